"""Benchmark: the monthly cohort table and the KPI set in DuckDB, against idiomatic pandas.

    python -m benchmarks.bench_cohorts [--lines 10000000] [--repeats 3] [--direct]

Generates N order lines in DuckDB (deterministic hashes: 1-3 lines per order, about 1.7 orders per
customer, three years of dates), writes them to a CSV file and loads it with the ingester, as the
app and the command line get their orders (untimed; `--direct`: into a plain table instead, as
rounds 1-3 and session 3 below did). Then it times in the same run:
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

Session 3 (2026-11-23, same code as the third round; CPU seconds of the process now printed beside
the wall times), load 1.7-2.7 from browser tests of other sessions: pandas 33.4 s (33.43 34.19
27.84); cohort_table cold 3.63 s (3.54 3.63 4.36), 9.2x, per pair 9.4x 9.4x 6.4x, CPU-s 6.55 vs
pandas 33.4: a CPU-seconds ratio of 5.1x; warm 0.53 s (63.5x); compute_kpis cold 3.33 s (3.41 2.79
3.33), warm 0.78 s; history build 3.12 s; digest scan 0.30 s. Why the cohort ratio is not robust:
pandas runs on one core, DuckDB on both, so the wall ratio is about 2 x the CPU ratio (5.1x) on an
idle machine and falls toward 5x as soon as another process takes a core (the 6.4x pair).
Robust 8x under load would need the cold cohort at about 3.4 CPU-s instead of 5.4-6.5.
Session 3 attempts, same process, alternating, medians at 10M lines (wall s; CPU-s where given),
none kept (numbers identical in every variant, checked with EXCEPT ALL or sums):
- order revenue as BIGINT cents: the plan already sums DECIMAL(18,2) with sum_no_overflow (64-bit
  state, no hugeint) and min(order_date) is computed once (common aggregate): aggregation alone
  0.84-0.93 vs 0.75-0.86 s, within noise.
- storing the history: CTAS 2.28 vs the same SELECT read in full 2.10: the store is about 0.2 s,
  so narrower columns can save a fraction of that. The window carrying order_ts only (the days cast
  after it, no order_day copy in the sorted rows): 7 runs 2.25 -> 2.30 wall, 4.43 -> 4.48 CPU-s.
- window partitioned by ck (already computed for the tie rebuild): window alone 0.97 -> 0.68, build
  2.23 -> 1.94 (4.32 -> 3.78 CPU-s), but two customers sharing a 64-bit hash would merge. Making it
  exact costs the gain: lag(customer_id) to flag them 0.96 (window alone), a second hash of
  customer_id || chr(1) flagged by lag 2.27 or as a second partition key 2.17 (build),
  count(DISTINCT customer_id) in the digest scan to prove no collision +0.42 s.
- the digest summed per order inside the aggregation (to skip the separate scan on a first build):
  build+digest 2.52 -> 2.67 (hugeint per group), 3.04 (two BIGINT halves); the standalone digest
  with BIGINT halves 0.28 vs 0.27; the scan of the four columns alone costs 0.15 of the 0.27.
- window functions: lead costs 0.12 s, first_value 0.13 s (window alone); min() OVER (PARTITION BY
  customer_id) instead of first_value 1.45 vs 1.27 (a second pass), first_value over the whole
  partition 1.22 vs 1.27 (noise). next_day (lead) is part of the tested history contract.
- compressed_materialization disabled for the build: 5.35 vs 5.24 CPU-s (worse).
- allocator: kernel time is 0.3-0.45 of the build's 4.1-4.7 CPU-s; allocator_flush_threshold 4GB
  (memory kept between queries) changed neither user nor kernel time.
- the KPI summary and activity queries as one GROUPING SETS scan: 0.71 CPU-s either way.
- per-customer lists instead of the history (the brief's idea; list functions are forbidden by
  FIELD-NOTES' portable subset): lines -> orders -> customers with count, min(order_ts, 4), then
  distinct (customer, month) pairs self-joined for the retention series, no cache: 2.90 s vs 2.72 s
  for the current cold KPI path in the same process. Lists would not help even if allowed.
What would reach 2 s: an order-level table with an integer customer key kept at load (ingest), as
measured on such a table built from the same lines (dense_rank customer key, one row per order):
the cold KPI path (digest over orders 0.09, history window 1.09, tie count, summary, activity)
1.43 s (1.33 1.72) at 10M lines, 2.74 CPU-s. Within the files of this issue the cold floor stays
digest 0.27 + aggregation 0.85 + window 0.97 + store 0.2 + KPI scans 0.37: about 2.7 s.

Session 4 (2026-11-23), lines loaded through the ingester (9,997,458 lines, 5.0M orders, 2.40M
customers), quiet machine: pandas 33.0 s (33.89 33.01 30.90); cohort_table cold 3.27 s (3.27 3.42
2.94), 10.1x, per pair 10.4x 9.7x 10.5x, CPU-s 6.26 vs 32.96 (5.3x); warm 0.32 s (103x);
compute_kpis cold 2.77 s (3.19 2.77 2.72), warm 0.43 s (0.45 0.43 0.38); history build 2.37 s;
cache lookup 0.01 s. What changed (retention/history.py):
- a load writes a token naming its rows (and the view it created); the history of a load's
  `orders` is found by that token, a catalog lookup instead of the 0.27-0.30 s digest scan, on
  every cold and warm call (warm KPI set 0.58-0.78 -> 0.43 s);
- the load's count of distinct customers is recorded with the token, and the history of a load's
  rows is sorted by the 64-bit customer key: kept only if it holds one first order per customer
  (proof that no two customers share a key), else rebuilt on the ids. Same process, alternating,
  10M-line generic export: compute_kpis cold 2.70 2.77 3.07 2.70 s against 3.20 3.06 3.49 3.66 s.
Tried, no gain: grouping the lines by key as well (2.67-3.21 against 2.70-3.36 s).
KPIs cold still miss 2 s: the history build (aggregation of 10M lines into 5M orders about 1.1 s,
window 0.7 s, store 0.2 s) is 2.4 s of the 2.8 s. Building it at load instead of the report's
distinct counts would make the first KPI call 0.4 s and the load about 1.5 s longer: it moves the
time between the two measurements (the user would wait about 0.9 s less in all), so it was not done.

Session 5 (2026-11-24), same data: pandas 25.6 s (26.55 25.58 25.59); cohort_table cold 1.19 s
(1.30 1.12 1.19), 21.4x, per pair 20.4x 22.8x 21.4x, CPU-s 2.24 vs 25.58 (11.4x); warm 0.25 s
(101x); compute_kpis cold 1.18 s (1.26 1.18 1.18), warm 0.33 s; history build 0.87 s. What changed:
the load groups its lines into orders once (retention/sql/ingest.py write_order_totals, one row per
order) instead of counting distinct order ids for its report, and the history of the load's orders
starts from that table. "Cold" here is the first call after a load, as in the app and the CLI; the
load pays for the grouping. Accounting for it, old and new commit alternating in fresh processes on
the 10M-line generic export (load, then compute_kpis): load 6.42 6.50 9.59 -> 6.94 7.15 7.67 s
(+0.5-0.65 s: the grouping costs 1.2-1.4 s where the distinct counts cost 0.8 s), compute_kpis
cold 2.56 2.69 2.51 -> 1.53 1.47 1.56 s, load + KPIs 8.98 9.19 12.11 -> 8.48 8.62 9.23 s; peak
1.86-1.97 -> 1.62-1.68 GB (the history no longer aggregates 10M lines outside the load's memory
limit). Even with the load's extra 0.5-0.65 s counted as KPI time, the first KPI set takes under 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import pandas as pd

from retention.cohorts import cohort_table
from retention.db import connect
from retention.history import clear_history_cache, order_history
from retention.ingest import load_orders
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


def generate(con, lines: int, *, through_ingest: bool = True) -> int:
    """Fill `orders` with about `lines` order lines (2 per order on average); returns the count.

    `through_ingest`: write them to a CSV file and load it with `load_orders`, as every order table
    of the app and the command line is made (the load names its rows and counts their customers,
    which the order history uses); else insert them into a plain table (the history then finds its
    rows by a digest scan and sorts by the id strings)."""
    if not through_ingest:
        con.execute(orders_ddl())
    else:
        con.execute(orders_ddl("_bench_lines"))
    orders = max(lines // 2, 1)
    sql = GENERATE_SQL if not through_ingest else GENERATE_SQL.replace("INSERT INTO orders", "INSERT INTO _bench_lines")
    con.execute(sql, {"orders": orders, "customers": max(int(orders / 1.7), 1)})
    if through_ingest:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bench_lines.csv")
            con.execute(
                "COPY (SELECT order_id, customer_id, order_date, revenue FROM _bench_lines) "
                "TO $path (HEADER, DELIMITER ',')",
                {"path": path},
            )
            con.execute("DROP TABLE _bench_lines")
            load_orders(con, [path])
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
CPU: dict[float, float] = {}  # median wall -> median CPU seconds of the process (all DuckDB threads)


def timed(fn: Callable[[], object], repeats: int, setup: Callable[[], object] | None = None) -> tuple[float, object]:
    """Median wall time of `fn` over `repeats` runs (seconds); `setup` runs untimed before each."""
    times, cpus, result = [], [], None
    for _ in range(repeats):
        if setup is not None:
            setup()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    median = statistics.median(times)
    # On a machine shared with other benchmarks single runs vary 2x: show them all, not only the median.
    RUNS[median] = times
    CPU[median] = statistics.median(cpus)
    return median, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to generate (default 1M)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; the median is reported")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="insert the lines into a plain orders table instead of loading them with the ingester",
    )
    args = parser.parse_args(argv)

    con = connect()
    t0 = time.perf_counter()
    n = generate(con, args.lines, through_ingest=not args.direct)
    print(f"generated {n:,} order lines in {time.perf_counter() - t0:.1f} s")
    lines = con.execute("SELECT customer_id, order_id, order_date, revenue FROM orders").df()

    def cold() -> None:
        clear_history_cache(con)

    # The cold DuckDB run and the pandas run alternate, so that both meet the same load of the shared
    # machine (run back to back they met different loads, and the ratio swung 4.7x-9.7x between runs).
    duck_times, pandas_times, duck_cpus, pandas_cpus = [], [], [], []
    for _ in range(args.repeats):
        cold()
        c0, t0 = time.process_time(), time.perf_counter()
        table = cohort_table(con, period="month")
        duck_times.append(time.perf_counter() - t0)
        duck_cpus.append(time.process_time() - c0)
        c0, t0 = time.process_time(), time.perf_counter()
        matrices = cohort_table_pandas(lines)
        pandas_times.append(time.perf_counter() - t0)
        pandas_cpus.append(time.process_time() - c0)
    duck_cold, pandas_s = statistics.median(duck_times), statistics.median(pandas_times)
    RUNS[duck_cold], RUNS[pandas_s] = duck_times, pandas_times
    CPU[duck_cold], CPU[pandas_s] = statistics.median(duck_cpus), statistics.median(pandas_cpus)
    pair_ratios = " ".join(f"{p / d:.1f}x" for p, d in zip(pandas_times, duck_times, strict=True))
    order_history(con)
    duck_warm, _ = timed(lambda: cohort_table(con, period="month"), args.repeats)
    kpis_cold, kpis = timed(lambda: compute_kpis(con, period="month"), args.repeats, setup=cold)
    order_history(con)
    kpis_warm, _ = timed(lambda: compute_kpis(con, period="month"), args.repeats)
    history_s, _ = timed(lambda: order_history(con), args.repeats, setup=cold)
    # With the history cached, order_history costs only its cache lookup (the load's token, or for a
    # plain table a digest scan of the lines):
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
        ("order history build alone (lookup + aggregation + window)", history_s, None),
        ("order history cache lookup alone (token or digest)", lookup_s, None),
    ]
    # CPU seconds (summed over DuckDB's threads) show what each case costs whatever the other load: pandas runs
    # on one core, DuckDB on both, so when another process takes a core the wall ratio falls toward the CPU ratio.
    print(f"{'case':<54}{'median s':>10}{'speed-up':>10}{'CPU s':>8}  runs s")
    for label, secs, ratio in rows:
        runs = " ".join(f"{t:.2f}" for t in RUNS.get(secs, []))
        speed_up = "" if ratio is None else f"{ratio:.1f}x"
        cpu = "" if secs not in CPU else f"{CPU[secs]:.2f}"
        print(f"{label:<54}{secs:>10.3f}{speed_up:>10}{cpu:>8}  {runs}")
    print(f"\ncohort speed-up cold per alternating pair (pandas / DuckDB): {pair_ratios}")
    print(f"cohort CPU-seconds ratio cold (pandas / DuckDB, medians): {CPU[pandas_s] / CPU[duck_cold]:.1f}x")
    print(
        f"retention matrices equal: {same}; cohort speed-up cold {pandas_s / duck_cold:.1f}x, warm "
        f"{pandas_s / duck_warm:.1f}x (target >= 8x); KPIs cold {kpis_cold:.2f} s, warm {kpis_warm:.2f} s "
        "(target < 2 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
