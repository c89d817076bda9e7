"""Benchmark: `load_orders` (all cleaning) against DuckDB's plain `read_csv` of the same file.

    python -m benchmarks.bench_ingest [--lines 1000000] [--formats generic,italian,shopify] [--repeats 3]

For each format, generates the file once (`benchmarks.generate`, cached under /tmp), then runs
each measurement in a fresh Python process, alternating baseline and ingest, and reports the
median wall time and the peak resident memory of that process (VmHWM). Target (issue 2):
ingest <= 1.5 x plain read_csv, peak memory < 2 GB, at 10M lines.

Measured on the shared 2-core machine (other benchmarks running; wall times vary by 2x run to run):

    format          lines      MB  read_csv s  ingest s  ratio  read_csv MB  ingest MB        kept
    generic       100,000      10        1.28      2.16   1.68          181        217      98,013
    italian       100,000      10        0.74      1.02   1.37          180        215      98,013
    shopify       100,000      17        0.60      1.00   1.65          209        346      98,013
    generic     1,000,000     106        1.16      2.59   2.24          355        523     979,936
    italian     1,000,000     100        0.66      2.15   3.25          358        573     979,936
    shopify     1,000,000     172        1.41      4.59   3.27          479      1,644     979,936
    generic    10,000,000   1,090        7.91     17.61   2.23        1,344      2,857   9,799,583

Not yet at target: the rows are read as text (postcodes keep their zeros, amounts and dates are
converted explicitly), and DuckDB keeps in-memory tables uncompressed until a CHECKPOINT, so the
staged text columns cost memory that the typed baseline does not.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
from retention.db import connect
mode, path = sys.argv[1], sys.argv[2]
con = connect()
t = time.perf_counter()
if mode == "plain":
    from retention.sql.ingest import plain_read_csv_table
    rows = plain_read_csv_table(con, path)
else:
    from retention.ingest import load_orders
    rows = load_orders(con, [path]).rows_kept
seconds = time.perf_counter() - t
# VmHWM: this process's own peak (ru_maxrss would include the parent's peak inherited at fork)
peak_mb = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak_mb}))
"""


def measure(mode: str, path: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--formats", default="generic,italian,shopify")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    args = p.parse_args(argv)
    print(
        f"{'format':<9} {'lines':>11} {'MB':>7} {'read_csv s':>11} {'ingest s':>9} {'ratio':>6} "
        f"{'read_csv MB':>12} {'ingest MB':>10} {'kept':>11}"
    )
    for fmt in args.formats.split(","):
        path = f"/tmp/bench_ingest_{fmt}_{args.lines}.csv"
        if not Path(path).exists():
            # in a child process, so this one stays small while the measurements run
            subprocess.run(
                [sys.executable, "-m", "benchmarks.generate", "--lines", str(args.lines), "--format", fmt, "-o", path],
                check=True,
            )
        plain, ingest = [], []
        for _ in range(args.repeats):
            plain.append(measure("plain", path))
            ingest.append(measure("ingest", path))
        ps = statistics.median(r["seconds"] for r in plain)
        is_ = statistics.median(r["seconds"] for r in ingest)
        print(
            f"{fmt:<9} {args.lines:>11,} {os.path.getsize(path) / 1e6:>7.0f} {ps:>11.2f} {is_:>9.2f} "
            f"{is_ / ps:>6.2f} {max(r['peak_mb'] for r in plain):>12.0f} {max(r['peak_mb'] for r in ingest):>10.0f} "
            f"{ingest[0]['rows']:>11,}",
            flush=True,
        )
        if not args.keep:
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
