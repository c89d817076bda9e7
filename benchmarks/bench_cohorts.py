"""Benchmark: the monthly cohort table and the KPI set in DuckDB, against idiomatic pandas.

    python -m benchmarks.bench_cohorts [--lines 10000000] [--repeats 3]

Generates N order lines directly in DuckDB (deterministic hashes: 1-3 lines per order, about 1.7
orders per customer, three years of dates), then times in the same run:
- `retention.cohorts.cohort_table(period="month")` (DuckDB, result assembled in pandas);
- the same monthly cohort table in plain pandas (groupby, transform, pivot/unstack, cumsum) on
  the same lines already loaded in memory (loading is not timed);
- `retention.kpis.compute_kpis()` (the whole KPI set, monthly retention series).
DuckDB cases run cold (the cached order history dropped before each run, so the window pass is
inside the timing) and warm (history cached, as in the app after the first page). The cold cohort
run and the pandas run alternate, so both meet the same load of the shared machine.
Prints medians in seconds and the speed-up pandas / DuckDB.

Measured 2026-11-23, 10M lines (5M orders, 2.4M customers), 2 cores shared with other sessions,
median of 3 (single runs vary up to 2x with the other load: every run is printed). History:
- first round (load 5-6): pandas 67.8 s; cohort_table cold 10.5 s (6.5x); compute_kpis cold 15.1 s.
- second round (history build with the order revenue cast inside the aggregation and a ROWS frame),
  load about 2: pandas 26.8 s; cohort_table cold 2.76 s (9.7x), warm 0.63 s (42.8x); compute_kpis
  cold 3.29 s, warm 0.72 s; history build 2.93 s; digest scan 0.26 s. Busier runs of the same code:
  cohort cold 5.44 s (4.7x) and 3.81 s (6.7x), KPIs cold 4.17 s and 5.56 s.
- third round (this code: each customer's orders sorted by time only, customers with two orders at
  the same moment rebuilt with the order_id tie-break; the KPI summary in one scan grouped by order
  number; cold cohort and pandas runs alternating), load 1.7-2, digest scan 0.31 s (so about 20%
  slower than the quiet second-round run): pandas 27.3 s (30.8 27.3 26.0); cohort_table cold 3.41 s
  (2.70-3.53), 8.0x, per pair 9.0x 7.7x 9.6x; warm 0.66 s (41.4x); compute_kpis cold 2.89 s
  (2.67-3.42), warm 0.58 s; history build with its digest scan 2.57 s.
  Same-process A/B against the second-round build, alternating, 5 runs each: 2.66 -> 2.44 s wall,
  5.1 -> 4.8 CPU-s; KPI summary query 0.28-0.32 -> 0.15 s; warm KPI set 0.72 -> 0.58 s.
Where the cold KPI time goes now (CPU seconds summed over both threads, EXPLAIN ANALYZE / json
profile at 10M lines): line scan and string compression 0.46, the (customer_id, order_id)
aggregation 1.4, the window pass 2.0 (sort 1.0, lag 0.3, lead 0.25, first_value 0.1), writing the
temp table 0.3; then the digest scan about 0.3 s wall and the two KPI scans 0.3 s wall.
Targets (issue 3): cohort ratio >= 8 (met at the median of alternating pairs, 7.7x in one pair:
not robust on the busy machine); KPIs < 2 s cold (NOT met: 2.7-2.9 s). Tried and measured, no
better: partitioning the window by 64-bit or 128-bit hashes of customer_id (the hashing costs what
the integer sort saves), first_value frames instead of lag/lead (-3%), grouping lines by a hash of
(customer_id, order_id) (-10%, and not exact), computing the digest inside the aggregation (+0.5 s),
more DuckDB threads than cores (slower). The floor of this design at 10M lines on 2 cores is the
aggregation of the lines into orders (about 1 s wall) plus the window over the orders (0.8 s) plus
the digest (0.26 s): over 2 s before any KPI is read. Integer customer/order keys would take the
aggregation to about 0.75 s (measured on integer copies of the ids) and the build to about 1.8 s;
the same SQL over an order-level table (5M rows, one per order, as an ingester could keep at load)
measured 2.3 s for the whole cold KPI path, because the aggregation still runs (5M -> 5M groups).
Reaching 2 s cold needs the aggregation out of the cold path (done at load), not a faster query.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import pandas as pd

from retention.cohorts import cohort_table
from retention.db import connect
from retention.history import clear_history_cache, order_history
from retention.kpis import compute_kpis
from retention.schema import orders_ddl

GENERATE_SQL = """
INSERT INTO orders (order_id, customer_id, order_date, revenue, source_file, source_row)
WITH o AS (
    SELECT range AS oid,
           CAST(hash(range, 11) % CAST($customers AS UBIGINT) AS BIGINT) AS cid,
           TIMESTAMP '2021-01-01' + to_seconds(CAST(hash(range, 12) % 94608000 AS BIGINT)) AS ts,
           CAST(1 + hash(range, 13) % 3 AS INTEGER) AS n_lines
    FROM range(CAST($orders AS BIGINT))
)
SELECT 'o' || CAST(o.oid AS VARCHAR), 'c' || CAST(o.cid AS VARCHAR), o.ts,
       CAST(CAST(100 + hash(o.oid, l.line) % 9900 AS DECIMAL(18,2)) / 100 AS DECIMAL(18,2)),
       'bench', o.oid * 3 + l.line
FROM o JOIN range(3) AS l(line) ON l.line < o.n_lines
"""


def generate(con, lines: int) -> int:
    """Fill `orders` with about `lines` order lines (2 per order on average); returns the count."""
    con.execute(orders_ddl())
    orders = max(lines // 2, 1)
    con.execute(GENERATE_SQL, {"orders": orders, "customers": max(int(orders / 1.7), 1)})
    return con.execute("SELECT count(*) FROM orders").fetchall()[0][0]


def cohort_table_pandas(lines: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The monthly cohort matrices the idiomatic pandas way (the baseline of the issue)."""
    orders = lines.groupby(["customer_id", "order_id"], sort=False, as_index=False).agg(
        ts=("order_date", "min"), revenue=("revenue", "sum")
    )
    orders["m"] = orders["ts"].dt.year * 12 + orders["ts"].dt.month - 1
    orders["cm"] = orders.groupby("customer_id")["m"].transform("min")
    orders["k"] = orders["m"] - orders["cm"]
    orders = orders.sort_values(["customer_id", "ts", "order_id"])
    orders["rank"] = orders.groupby("customer_id").cumcount() + 1
    size = orders.groupby("cm")["customer_id"].nunique()
    cells = orders.groupby(["cm", "k"]).agg(
        active=("customer_id", "nunique"), orders=("order_id", "size"), revenue=("revenue", "sum")
    )
    active = cells["active"].unstack(fill_value=0)
    revenue = cells["revenue"].unstack(fill_value=0.0)
    repeat = pd.crosstab(orders.loc[orders["rank"] == 2, "cm"], orders.loc[orders["rank"] == 2, "k"])
    last_k = orders.groupby("customer_id").agg(cm=("cm", "first"), lk=("k", "max"))
    last = pd.crosstab(last_k["cm"], last_k["lk"])
    return {
        "retention": active.div(size, axis=0),
        "orders": cells["orders"].unstack(fill_value=0),
        "revenue": revenue,
        "cumulative_revenue_per_customer": revenue.cumsum(axis=1).div(size, axis=0),
        "repeat_share": repeat.reindex(columns=active.columns, fill_value=0).cumsum(axis=1).div(size, axis=0),
        "on_or_after": (size.to_numpy()[:, None] - last.shift(1, axis=1, fill_value=0).cumsum(axis=1)),
    }


RUNS: dict[float, list[float]] = {}  # median -> every run (seconds), printed beside the median


def timed(fn: Callable[[], object], repeats: int, setup: Callable[[], object] | None = None) -> tuple[float, object]:
    """Median wall time of `fn` over `repeats` runs (seconds); `setup` runs untimed before each."""
    times, result = [], None
    for _ in range(repeats):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    # On a machine shared with other benchmarks single runs vary 2x: show them all, not only the median.
    RUNS[median] = times
    return median, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to generate (default 1M)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; the median is reported")
    args = parser.parse_args(argv)

    con = connect()
    t0 = time.perf_counter()
    n = generate(con, args.lines)
    print(f"generated {n:,} order lines in {time.perf_counter() - t0:.1f} s")
    lines = con.execute("SELECT customer_id, order_id, order_date, revenue FROM orders").df()

    def cold() -> None:
        clear_history_cache(con)

    # The cold DuckDB run and the pandas run alternate, so that both meet the same load of the shared
    # machine (run back to back they met different loads, and the ratio swung 4.7x-9.7x between runs).
    duck_times, pandas_times = [], []
    for _ in range(args.repeats):
        cold()
        t0 = time.perf_counter()
        table = cohort_table(con, period="month")
        duck_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        matrices = cohort_table_pandas(lines)
        pandas_times.append(time.perf_counter() - t0)
    duck_cold, pandas_s = statistics.median(duck_times), statistics.median(pandas_times)
    RUNS[duck_cold], RUNS[pandas_s] = duck_times, pandas_times
    pair_ratios = " ".join(f"{p / d:.1f}x" for p, d in zip(pandas_times, duck_times, strict=True))
    order_history(con)
    duck_warm, _ = timed(lambda: cohort_table(con, period="month"), args.repeats)
    kpis_cold, kpis = timed(lambda: compute_kpis(con, period="month"), args.repeats, setup=cold)
    order_history(con)
    kpis_warm, _ = timed(lambda: compute_kpis(con, period="month"), args.repeats)
    history_s, _ = timed(lambda: order_history(con), args.repeats, setup=cold)
    # With the history cached, order_history costs only its cache lookup (a digest scan of the lines):
    # the part of every warm call that does not depend on the analysis.
    lookup_s, _ = timed(lambda: order_history(con), args.repeats)

    # Same numbers both ways (a sanity check, not timed).
    duck_ret = table.pivot(index="cohort", columns="period", values="retention").to_numpy()
    pd_ret = matrices["retention"].to_numpy()
    same = duck_ret.shape == pd_ret.shape and bool(((abs(duck_ret - pd_ret) < 1e-12) | (duck_ret != duck_ret)).all())

    print(f"\n{n:,} order lines, {kpis['orders']:,} orders, {kpis['customers']:,} customers, {len(table)} cells")
    print(f"median of {args.repeats} runs; cold = order history built inside the call, warm = history cached")
    rows = [
        ("cohort table month, pandas groupby+pivot (baseline)", pandas_s, 1.0),
        ("cohort_table month, DuckDB cold", duck_cold, pandas_s / duck_cold),
        ("cohort_table month, DuckDB warm", duck_warm, pandas_s / duck_warm),
        ("compute_kpis month, DuckDB cold", kpis_cold, None),
        ("compute_kpis month, DuckDB warm", kpis_warm, None),
        ("order history build alone (digest scan + window pass)", history_s, None),
        ("order history cache lookup alone (digest scan)", lookup_s, None),
    ]
    print(f"{'case':<54}{'median s':>10}{'speed-up':>10}  runs s")
    for label, secs, ratio in rows:
        runs = " ".join(f"{t:.2f}" for t in RUNS.get(secs, []))
        print(f"{label:<54}{secs:>10.3f}{'' if ratio is None else f'{ratio:.1f}x':>10}  {runs}")
    print(f"\ncohort speed-up cold per alternating pair (pandas / DuckDB): {pair_ratios}")
    print(
        f"retention matrices equal: {same}; cohort speed-up cold {pandas_s / duck_cold:.1f}x, warm "
        f"{pandas_s / duck_warm:.1f}x (target >= 8x); KPIs cold {kpis_cold:.2f} s, warm {kpis_warm:.2f} s "
        "(target < 2 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
