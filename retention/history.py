"""The order history of a table: one row per order placed in its customer's history, built once.

Every KPI and cohort figure derives from the same per-order facts (rank of the order, day of the
customer's first / previous / next order). Building them costs one aggregation of the order lines
(for a load's `orders`, done by the load: its order totals) and one window pass (0.9 s from the
totals at 10M lines on 2 cores), plus an exact rebuild of the customers with two orders at the
same moment; reading them costs a scan of one row per order. So the
history is kept as a temp table of the connection, named after the load that wrote the rows (or a
digest of the source table's rows, for tables the ingester did not write), and reused while the rows
are unchanged (a filtered copy with other rows gets its own history).
The most recent MAX_CACHED histories are kept per connection; older ones are dropped.
"""

from __future__ import annotations

import hashlib
import time

from retention.sql import cohorts as q
from retention.sql import fetch_all, fetch_one
from retention.sql.ingest import Load, load_of

__all__ = ["order_history", "clear_history_cache", "MAX_CACHED"]

PREFIX = "_retention_history_"
MAX_CACHED = 3


def order_history(con, table: str = "orders", *, with_customer_id: bool = False) -> str:
    """Name of the temp table with the order history of `table` (see sql/cohorts.py history_sql).

    Finds the history of a load's own `orders` by the load's token (a catalog lookup); any other
    table costs a digest scan (about 0.03 s per million lines). Builds the history when none is kept.
    `with_customer_id` keeps the customer ids (for joins on them), in a history of its own.
    """
    load = load_of(con, table)
    if load is not None:  # the rows of a load never change: its token names them
        rows = f"load\0{load.token}"
    else:
        n_lines, digest = fetch_one(con, q.fingerprint_sql(table)) or (0, None)
        rows = f"{n_lines}\0{digest}"
    key = hashlib.sha1(f"{table}\0{rows}\0{with_customer_id}".encode()).hexdigest()[:20]
    prefix = f"{PREFIX}{key}_"
    existing = [name for name in _cached(con) if name.startswith(prefix)]
    if existing:
        return existing[0]
    # The creation time in the name orders the cache for eviction without any state outside DuckDB.
    name = f"{prefix}{time.time_ns()}"
    _build(con, table, name, with_customer_id=with_customer_id, load=load)
    for old in sorted(_cached(con), key=lambda n: int(n.rsplit("_", 1)[1]), reverse=True)[MAX_CACHED:]:
        con.execute(q.drop_table_sql(old))
    return name


def _build(con, table: str, name: str, *, with_customer_id: bool, load: Load | None = None) -> None:
    """Build the history in its fast form, then rebuild exactly the customers with a tie in time.

    The fast form sorts each customer's orders by time alone; only customers with two orders at the
    same moment need the order_id tie-break, so only they go through the exact form (found by their
    integer key ck). Exports with dates but no times have many such customers: they cost more,
    never give other numbers.
    `load`: the load whose `orders` `table` is, if any. When it counted its customers, the fast form
    partitions by the customers' 64-bit keys, and is kept only if it has one first order per
    customer, which proves that no two customers share a key (else it is built again on the ids: a
    collision costs time, never a number); when it wrote its orders' totals, they are read instead
    of aggregating the lines.
    """
    customers = load.customers if load else None
    totals = load.totals if load and customers is not None else None
    con.execute(
        q.history_sql(table, name, with_customer_id=with_customer_id, by_key=customers is not None, totals=totals)
    )
    tied, firsts = fetch_one(con, q.history_counts_sql(name)) or (0, 0)
    if customers is not None and firsts != customers:
        con.execute(q.history_sql(table, name, with_customer_id=with_customer_id))
        tied, firsts = fetch_one(con, q.history_counts_sql(name)) or (0, 0)
    if not tied:
        return
    tied = f"_retention_tied_{time.time_ns()}"  # outside PREFIX: never taken for a cached history
    con.execute(q.tied_customers_sql(name, tied))
    try:
        con.execute(q.delete_tied_sql(name, tied))
        con.execute(q.insert_exact_sql(table, name, tied, with_customer_id=with_customer_id))
    except BaseException:
        # A half-repaired history must not stay in the cache under the key of the rows.
        con.execute(q.drop_table_sql(name))
        raise
    finally:
        con.execute(q.drop_table_sql(tied))


def clear_history_cache(con) -> None:
    """Drop every cached history of this connection (benchmarks measure cold runs with it)."""
    for name in _cached(con):
        con.execute(q.drop_table_sql(name))


def _cached(con) -> list[str]:
    return [r[0] for r in fetch_all(con, q.temp_tables_sql()) if r[0].startswith(PREFIX)]
