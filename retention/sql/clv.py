"""SQL of the CLV area: the customer summary (frequency, recency, T, monetary value) and the backtest.

Customer-days are the unit of a transaction: all orders of one customer on one calendar day make
one transaction (as in the published CDNOW summary, Fader, Hardie and Lee 2005). Times are whole
days between DATEs. Money is summed as DECIMAL and turned into DOUBLE once, at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from retention.sql import fetch_all, fetch_df, fetch_one, quote_ident
from retention.sql.segments import PREPARED_ORDERS

CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "country", "city", "zip", "accepts_marketing")

# One row per customer: the whole history up to $end_date (inclusive; default the last order date).
_SUMMARY = """
WITH bounds AS (
    SELECT COALESCE(CAST($end_date AS DATE), CAST(max(order_date) AS DATE)) AS end_date FROM {table}
),
{order_rows},
customer_days AS (
    SELECT customer_id, order_day, sum(revenue) AS day_revenue, count(*) AS day_orders
    FROM order_rows
    GROUP BY customer_id, order_day
),
summary AS (
    -- arg_min(day_revenue, order_day) is the first day's revenue: days are unique per customer, so
    -- it is deterministic (min_by on Spark), and cheaper than a window over all customer-days.
    SELECT d.customer_id,
           CAST(sum(d.day_orders) AS BIGINT) AS orders,
           CAST(sum(d.day_revenue) AS DOUBLE) AS revenue,
           min(d.order_day) AS first_order,
           max(d.order_day) AS last_order,
           CAST(count(*) - 1 AS BIGINT) AS frequency,
           CAST(date_diff('day', min(d.order_day), max(d.order_day)) AS BIGINT) AS recency,
           CAST(date_diff('day', min(d.order_day), max(b.end_date)) AS BIGINT) AS "T",
           COALESCE(
               CAST(sum(d.day_revenue) - arg_min(d.day_revenue, d.order_day) AS DOUBLE) / NULLIF(count(*) - 1, 0),
               0.0
           ) AS monetary_value
    FROM customer_days AS d CROSS JOIN bounds AS b
    GROUP BY d.customer_id
){contact_ctes}
SELECT s.*{contact_cols}
FROM summary AS s{contact_join}{order_by}
"""

_ORDER_ROWS = """order_rows AS (
    SELECT o.customer_id, o.order_id,
           CAST(min(o.order_date) AS DATE) AS order_day,
           sum(CAST(o.revenue AS DECIMAL(18, 2))) AS revenue
    FROM {table} AS o CROSS JOIN bounds
    WHERE o.customer_id IS NOT NULL AND CAST(o.order_date AS DATE) <= bounds.end_date
    GROUP BY o.customer_id, o.order_id
)"""
# The same rows from `retention.sql.segments.create_prepared_order_rows` (grouped once per run).
_PREPARED_ORDER_ROWS = f"""order_rows AS (
    SELECT o.customer_id, o.order_id, o.order_day, o.order_revenue AS revenue
    FROM {PREPARED_ORDERS} AS o CROSS JOIN bounds
    WHERE o.order_day <= bounds.end_date
)"""

# Contact details: per field, the value on the customer's most recent order line that has one, in
# the same single pass over the lines for all fields. Ties (same timestamp, different values) are
# broken by the line's place in the files (source_file, source_row), so the result is fixed;
# the struct key costs about a third more than a bare timestamp, a window twice the whole summary.
_CONTACT_CTES = (
    """,
contacts AS (
    SELECT o.customer_id"""
    + "".join(
        f",\n           arg_max(o.{quote_ident(f)},"
        " struct_pack(d := o.order_date, f := o.source_file, r := o.source_row))"
        f" FILTER (WHERE o.{quote_ident(f)} IS NOT NULL) AS {quote_ident(f)}"
        for f in CONTACT_FIELDS
    )
    + """
    FROM {table} AS o CROSS JOIN bounds
    WHERE o.customer_id IS NOT NULL AND CAST(o.order_date AS DATE) <= bounds.end_date
    GROUP BY o.customer_id
)"""
)
_CONTACT_COLS = "".join(f", c.{quote_ident(f)}" for f in CONTACT_FIELDS)
_CONTACT_JOIN = "\nLEFT JOIN contacts AS c ON c.customer_id = s.customer_id"


def query_last_order_date(con, table: str = "orders") -> date | None:
    """The date of the last order in `table` (None when it is empty)."""
    row = fetch_one(con, f"SELECT CAST(max(order_date) AS DATE) FROM {quote_ident(table)}")
    return row[0] if row else None


def query_first_order_date(con, table: str = "orders") -> date | None:
    row = fetch_one(con, f"SELECT CAST(min(order_date) AS DATE) FROM {quote_ident(table)}")
    return row[0] if row else None


def query_customer_summary(
    con, *, end_date: date | None = None, table: str = "orders", with_contacts: bool = False, prepared: bool = False
) -> pd.DataFrame:
    """One row per customer with an order on or before `end_date` (default: the last order date).

    Columns: customer_id, orders (distinct order ids), revenue (net, DOUBLE), first_order and
    last_order (DATE), frequency (days with a purchase - 1), recency and T (days), monetary_value
    (mean net value of the repeat customer-days; 0 when there is none), ordered by
    customer_id; with `with_contacts`
    the contact fields of CONTACT_FIELDS. With `prepared`, the order rows come from
    `retention.sql.segments.create_prepared_order_rows`' temp table (made from the same `table`).
    """
    sql = _summary_sql(table, with_contacts=with_contacts, prepared=prepared, ordered=True)
    return fetch_df(con, sql, {"end_date": end_date})


def _summary_sql(table: str, *, with_contacts: bool, prepared: bool, ordered: bool) -> str:
    return _SUMMARY.format(
        table=quote_ident(table),
        order_rows=_PREPARED_ORDER_ROWS if prepared else _ORDER_ROWS.format(table=quote_ident(table)),
        contact_ctes=_CONTACT_CTES.format(table=quote_ident(table)) if with_contacts else "",
        contact_cols=_CONTACT_COLS if with_contacts else "",
        contact_join=_CONTACT_JOIN if with_contacts else "",
        order_by="\nORDER BY s.customer_id" if ordered else "",
    )


def query_customer_summary_arrow(con, *, end_date: date | None = None, table: str = "orders") -> pa.Table:
    """The rows of `query_customer_summary` (without contacts) as an Arrow table, same order.

    For the command line at millions of customers: turning 2.5M text ids into Python strings for
    pandas took about 2 s at 10M order lines; Arrow keeps them in DuckDB's buffers (0.1 s), and
    `write_frame_csv` writes an Arrow table as well. Dates are Arrow date32 (calendar days).
    """
    sql = _summary_sql(table, with_contacts=False, prepared=False, ordered=True)
    # a relation, not execute(): Arrow from a DB-API result makes an extra copy of the rows
    return con.sql(sql, params={"end_date": end_date}).to_arrow_table()


_HOLDOUT = """
WITH calibration_customers AS (
    SELECT customer_id
    FROM {table}
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
    HAVING CAST(min(order_date) AS DATE) <= CAST($calibration_end AS DATE)
),
holdout_days AS (
    SELECT o.customer_id, CAST(o.order_date AS DATE) AS order_day,
           sum(CAST(o.revenue AS DECIMAL(18, 2))) AS day_revenue
    FROM {table} AS o
    JOIN calibration_customers AS c ON c.customer_id = o.customer_id
    WHERE CAST(o.order_date AS DATE) > CAST($calibration_end AS DATE)
      AND CAST(o.order_date AS DATE) <= CAST($observation_end AS DATE)
    GROUP BY o.customer_id, CAST(o.order_date AS DATE)
)
SELECT customer_id,
       CAST(count(*) AS BIGINT) AS holdout_purchases,
       CAST(sum(day_revenue) AS DOUBLE) AS holdout_revenue
FROM holdout_days
GROUP BY customer_id
"""


def query_holdout_activity(con, *, calibration_end: date, observation_end: date, table: str = "orders") -> pd.DataFrame:
    """Per customer first seen on or before `calibration_end`: purchases (customer-days) and net
    revenue after it, up to `observation_end` inclusive. Customers with none are absent."""
    return fetch_df(
        con,
        _HOLDOUT.format(table=quote_ident(table)),
        {"calibration_end": calibration_end, "observation_end": observation_end},
    )


# Decimal places of the customer table's numbers in CSV: money in cents, probabilities and expected
# counts to 6 places. Written as DECIMAL, whose text DuckDB makes from an integer: at 2.5M customers
# the CSV took 0.85 s instead of 2.3 s with the shortest round-trip text of every double.
CSV_DECIMALS = {
    "revenue": 2,
    "monetary_value": 2,
    "expected_spend_per_order": 2,
    "predicted_clv": 2,
    "historical_clv": 2,
    "p_alive": 6,
    "expected_purchases": 6,
    "churn_probability": 6,
}


def _csv_cell_sql(column: str, dates: Sequence[str] = ()) -> str:
    """A column as written to CSV: dates as YYYY-MM-DD, CSV_DECIMALS numbers rounded (NaN empty)."""
    c = quote_ident(column)
    if column in dates:
        return f"CAST({c} AS DATE) AS {c}"
    if column in CSV_DECIMALS:
        return f"TRY_CAST({c} AS DECIMAL(18, {int(CSV_DECIMALS[column])})) AS {c}"
    return c


def write_frame_csv(con, frame: pd.DataFrame | pa.Table, path: str, *, date_columns: tuple[str, ...] = ()) -> None:
    """Write `frame` (pandas or Arrow) as a UTF-8 CSV with a header to `path`, through DuckDB's parallel writer.

    pandas' `to_csv` took 37 s for 1.8M customers; DuckDB writes the same rows in a few seconds.
    Dates come out as YYYY-MM-DD, booleans as true/false, missing values as empty cells, money in
    cents and probabilities to 6 places (CSV_DECIMALS). The frame
    is registered under a private name and unregistered afterwards; `path` is bound, not pasted.
    `date_columns` (calendar days that reach pandas as timestamps) are written as dates. pandas' NaN
    reaches DuckDB as NULL, Arrow's does not: build Arrow float columns with nulls for missing values.
    """
    name = "_frame_to_write"
    columns = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    cells = ", ".join(_csv_cell_sql(c, date_columns) for c in columns)
    con.register(name, frame)
    try:
        con.execute(
            f"COPY (SELECT {cells} FROM {quote_ident(name)}) TO $path (HEADER, DELIMITER ',', PRESERVE_ORDER true)",
            {"path": str(path)},
        )
    finally:
        con.unregister(name)


def write_customer_values_csv(con, values: pa.Table, path: str) -> None:
    """Write `values` (from `retention.clv.customer_values`) as CSV to `path`, most valuable first.

    The order of `retention.clv.customer_value_table`: predicted CLV descending (missing last),
    then historical CLV descending, then the row's place in `values` (customer_id order). Sorted
    here by DuckDB on both cores instead of numpy's single-threaded sort and an Arrow take (1.8 s
    at 2.5M customers). Cells as `write_frame_csv` writes them: dates YYYY-MM-DD, nulls empty.
    """
    name = "_customer_values_to_write"
    columns = ", ".join(_csv_cell_sql(c) for c in values.column_names)
    con.register(name, values.append_column("_row_no", pa.array(np.arange(values.num_rows, dtype=np.int64))))
    try:
        con.execute(
            f"COPY (SELECT {columns} FROM {quote_ident(name)}"
            # the unrounded values (qualified: the bare names are the rounded cells)
            f" ORDER BY {quote_ident(name)}.predicted_clv DESC NULLS LAST,"
            f" {quote_ident(name)}.historical_clv DESC NULLS LAST, _row_no)"
            " TO $path (HEADER, DELIMITER ',', PRESERVE_ORDER true)",
            {"path": str(path)},
        )
    finally:
        con.unregister(name)


def drop_loaded_orders(con) -> None:
    """Drop `orders`, `rejected_rows` and the ingest table behind them, to give their memory back.

    For a one-shot command that has read what it needs (the CLI after the customer summary): at 10M
    order lines it lowered the resident memory by about 0.4 GB before the fit and the CSV. Views and
    tables alike; names that do not exist are skipped.
    """
    from retention.schema import ORDERS_TABLE, REJECTED_TABLE
    from retention.sql.ingest import LOAD_TABLE, ROWS_TABLE

    for name in (ORDERS_TABLE, REJECTED_TABLE, ROWS_TABLE, LOAD_TABLE):
        kinds = fetch_all(
            con,
            "SELECT table_type FROM information_schema.tables WHERE table_name = $name AND table_schema = 'main'",
            {"name": name},
        )
        for (kind,) in kinds:
            con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {quote_ident(name)}")
