"""Benchmark: export a segment of N customers (default 1,000,000) in every audience format.

    python -m benchmarks.bench_exports [--customers N] [--repeats R] [--formats meta,google]

Each format runs in a fresh subprocess (so peak memory is that format's own): the subprocess
builds the same synthetic customer table (seeded), notes its resident memory, exports, and
reports the export's wall time and the rise of peak resident memory (ru_maxrss) over the
memory held before the export. The baseline, measured the same way in the same run, is a bare
`DataFrame.to_csv` of the same table: the cost of writing the bytes with no validation,
normalisation, hashing or escaping. Printed: median seconds, ratio to the baseline, peak memory
rise, output size.

The table has realistic identifiers: unique emails, phones in mixed national and international
forms (so every one goes through E.164 parsing), names with accents, postcodes with leading
zeros, and the predicted and segment columns of the customer table.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

FIRST = ["Mario", "Anna", "Luca", "Giulia", "Nicolò", "Émilie", "Francesca", "Marco", "Sofia", "Lorenzo"]
LAST = ["Rossi", "Bianchi", "De Luca", "D'Angelo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino"]
CITY = [("Roma", "00184"), ("Milano", "20121"), ("Napoli", "80133"), ("Torino", "10121"), ("Firenze", "50122"),
        ("Bologna", "40121"), ("Bari", "70121"), ("Aosta", "11100")]


def synthetic_customers(n: int, seed: int = 0) -> pd.DataFrame:
    """One row per customer with every column of the customer table contract."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n)
    city = rng.integers(0, len(CITY), n)
    phone_kind = rng.integers(0, 3, n)
    national = 3_000_000_000 + ids  # unique mobile numbers 3xx xxx xxxx
    phones = np.where(
        phone_kind == 0,
        pd.Series(national).map(lambda v: f"+39 {v}").to_numpy(),
        np.where(phone_kind == 1, pd.Series(national).map(lambda v: f"{v:010d}").to_numpy(),
                 pd.Series(ids % 10_000_000).map(lambda v: f"06 {v:08d}").to_numpy()),
    )
    first = pd.to_datetime("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    orders = rng.geometric(0.45, n)
    segments = np.array(["champions", "loyal", "promising", "at_risk", "hibernating", "lost"])
    return pd.DataFrame(
        {
            "customer_id": pd.Series(ids).map(lambda v: f"C{v:08d}").astype("string"),
            "orders": orders,
            "revenue": (orders * rng.uniform(20, 80, n)).round(2),
            "first_order": first,
            "last_order": first + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "frequency": orders - 1,
            "p_alive": rng.uniform(0, 1, n).round(4),
            "expected_purchases": rng.gamma(1.0, 0.8, n).round(4),
            "predicted_clv": rng.gamma(2.0, 60.0, n).round(2),
            "historical_clv": (orders * rng.uniform(20, 80, n)).round(2),
            "email": pd.Series(ids).map(lambda v: f"Customer.{v}@Example.it").astype("string"),
            "phone": pd.Series(phones, dtype="string"),
            "first_name": pd.Series(np.array(FIRST)[rng.integers(0, len(FIRST), n)], dtype="string"),
            "last_name": pd.Series(np.array(LAST)[rng.integers(0, len(LAST), n)], dtype="string"),
            "country": pd.Series(np.where(rng.uniform(0, 1, n) < 0.9, "IT", "FR"), dtype="string"),
            "city": pd.Series([CITY[i][0] for i in city], dtype="string"),
            "zip": pd.Series([CITY[i][1] for i in city], dtype="string"),
            "accepts_marketing": rng.uniform(0, 1, n) < 0.8,
            "churn_probability": rng.uniform(0, 1, n).round(4),
            "churn_risk": pd.Series(np.array(["low", "medium", "high"])[rng.integers(0, 3, n)], dtype="string"),
            "rfm_score": pd.Series(rng.integers(111, 556, n).astype(str), dtype="string"),
            "rfm_group": pd.Series(segments[rng.integers(0, len(segments), n)], dtype="string"),
            "lifecycle_segment": pd.Series(np.full(n, "loyal"), dtype="string"),
            "segment": pd.Series(np.full(n, "loyal"), dtype="string"),
            "holdout": np.zeros(n, dtype=bool),
        }
    )


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_one(fmt: str, n: int) -> dict:
    """In this process: build the table, export once, report seconds and peak memory rise (MiB)."""
    from retention.exports import render

    frame = synthetic_customers(n)
    before = _rss_mib()
    t0 = time.perf_counter()
    if fmt == "baseline":
        data = frame.to_csv(index=False).encode("utf-8")
        rows = len(frame)
    else:
        result = render(frame, fmt)
        data, rows = result.data, result.rows
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"format": fmt, "seconds": seconds, "peak_rise_mib": max(0.0, peak - before), "bytes": len(data),
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", "--lines", type=int, default=1_000_000, dest="customers")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--formats", default="baseline,csv,xlsx,klaviyo,mailchimp,brevo,meta,google,tiktok")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.customers)))
        return 0
    results: dict[str, list[dict]] = {}
    for fmt in args.formats.split(","):
        for _ in range(args.repeats):
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_exports", "--one", fmt, "--customers", str(args.customers)],
                capture_output=True, text=True, check=True,
            )
            results.setdefault(fmt, []).append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"  {fmt}: {results[fmt][-1]['seconds']:.2f} s", file=sys.stderr, flush=True)
    base = statistics.median(r["seconds"] for r in results["baseline"]) if "baseline" in results else float("nan")
    print(f"export of {args.customers:,} customers, median of {args.repeats} run(s); "
          "baseline = bare DataFrame.to_csv of the same table")
    head = ("format", "rows", "seconds", "x baseline", "peak MiB +", "MiB out")
    print("| {:<10} | {:>9} | {:>8} | {:>10} | {:>10} | {:>8} |".format(*head))
    print(f"|{'-' * 12}|{'-' * 11}|{'-' * 10}|{'-' * 12}|{'-' * 12}|{'-' * 10}|")
    for fmt, runs in results.items():
        sec = statistics.median(r["seconds"] for r in runs)
        mem = statistics.median(r["peak_rise_mib"] for r in runs)
        size = runs[0]["bytes"] / 2**20
        rows = runs[0]["rows"]
        print(f"| {fmt:<10} | {rows:>9,} | {sec:>8.2f} | {sec / base:>10.2f} | {mem:>10.0f} | {size:>8.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
