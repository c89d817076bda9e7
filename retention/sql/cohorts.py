"""SQL of the acquisition cohorts: per (customer, calendar period) activity and its aggregates.

Calendar periods are integer keys (see retention/periods.py for the same arithmetic in Python):
an order's period index since acquisition is `key(order day) - key(first order day)`.
"""

from __future__ import annotations

from retention.sql import quote_ident


def period_key_sql(period: str, day: str) -> str:
    """SQL integer key of the calendar period holding the DATE expression `day`.

    Portable: months by year/month arithmetic, weeks by day difference of the Monday // 7.
    """
    if period == "day":
        return f"date_diff('day', DATE '1970-01-01', {day})"
    if period == "week":
        return f"(date_diff('day', DATE '1970-01-05', CAST(date_trunc('week', {day}) AS DATE)) // 7)"
    if period == "month":
        return f"(year({day}) * 12 + month({day}) - 1)"
    if period == "quarter":
        return f"(year({day}) * 4 + (month({day}) - 1) // 3)"
    if period == "year":
        return f"year({day})"
    raise ValueError(f"unknown period {period!r}")


def orders_sql(table: str) -> str:
    """One row per order (customer_id, order_id) up to `$end` (exclusive TIMESTAMP).

    Columns: customer_id, order_id, order_ts (its earliest line), order_day (DATE), revenue (net,
    DECIMAL sum of its lines).
    """
    t = quote_ident(table)
    return f"""
SELECT customer_id, order_id, min(order_date) AS order_ts, CAST(min(order_date) AS DATE) AS order_day,
       sum(CAST(revenue AS DECIMAL(18,2))) AS revenue
FROM {t}
WHERE order_date < CAST($end AS TIMESTAMP)
GROUP BY customer_id, order_id"""


def fingerprint_sql(table: str) -> str:
    """One row (lines, digest): the number of order lines and an order-insensitive digest of their
    (customer_id, order_id, order_date, revenue); any change of the table's rows changes it."""
    return f"""
SELECT CAST(count(*) AS BIGINT) AS n_lines,
       CAST(sum(hash(customer_id, order_id, order_date, revenue)) AS VARCHAR) AS digest
FROM {quote_ident(table)}"""


def last_order_day_sql(table: str) -> str:
    return f"SELECT CAST(max(order_date) AS DATE) FROM {quote_ident(table)}"


def drop_table_sql(name: str) -> str:
    return f"DROP TABLE IF EXISTS {quote_ident(name)}"


def temp_tables_sql() -> str:
    """Names of the connection's temporary tables."""
    return "SELECT table_name FROM information_schema.tables WHERE table_type = 'LOCAL TEMPORARY'"


# Integer key of a customer inside the history: it names the customers to rebuild after a tie (see
# history_sql) without carrying the id strings. Customers sharing a key are all rebuilt, so a hash
# collision costs time, never a number.
CUSTOMER_KEY = "hash(customer_id)"
HISTORY_COLUMNS = ("ck", "order_no", "order_day", "first_day", "prev_day", "next_day", "revenue", "tied")


def order_totals_sql(table: str, target: str) -> str:
    """CREATE TABLE target: one row per order of `table` (a distinct customer_id, order_id) with its
    customer's key ck, order_ts (its earliest line) and revenue (net sum of its lines).

    The load writes it for its `orders` (see sql/ingest.py `write_order_totals`): the report counts
    orders and customers on it, and the history of those orders starts from it instead of
    aggregating the lines again (at 10M lines the history then takes 1.0 s instead of 2.2 s).
    """
    return f"CREATE OR REPLACE TABLE {quote_ident(target)} AS SELECT customer_id, {CUSTOMER_KEY} AS ck, " + (
        "min(order_date) AS order_ts, "
        f"CAST(sum(CAST(revenue AS DECIMAL(18,2))) AS DECIMAL(18,2)) AS revenue FROM {quote_ident(table)} "
        "GROUP BY customer_id, order_id"
    )


def _history_select(
    table: str,
    *,
    with_customer_id: bool,
    exact: bool,
    only_tied_of: str | None = None,
    by_key: bool = False,
    totals: str | None = None,
) -> str:
    """SELECT of the history rows (columns HISTORY_COLUMNS, customer_id first when asked).

    Fast form (exact=False): each customer's orders sorted by order_ts alone (the order_id strings
    stay out of the sort); `tied` marks an order placed at the same moment as the customer's
    previous one, where the order_id tie-break decides the order numbers. Exact form: sorted by
    (order_ts, order_id), the definition; `only_tied_of` restricts it to the customers whose key is
    in that table (column ck). `by_key` (fast form only): partition by the 64-bit key ck instead of
    the id strings, which sorts faster (at 10M lines, window 0.97 -> 0.68 s); exact only while no two
    customers share a key, which the caller must check (`history_counts_sql`: one first order per
    customer). `totals` (fast form only): the table of `order_totals_sql` for `table`, read instead of
    aggregating its lines.
    """
    customer = "customer_id, " if with_customer_id else ""
    part = "ck" if by_key and not exact else "customer_id"
    order = "order_ts, order_id" if exact else "order_ts"
    where = ""
    if only_tied_of:
        where = f"WHERE {CUSTOMER_KEY} IN (SELECT ck FROM {quote_ident(only_tied_of)})"
    # NULL-safe: two orders without a time are tied as well.
    tied = "false" if exact else "(order_no > 1 AND prev_ts IS NOT DISTINCT FROM order_ts)"
    if totals and not exact:
        orders = (
            "SELECT customer_id, ck, order_ts, CAST(order_ts AS DATE) AS order_day, revenue "
            f"FROM {quote_ident(totals)}"
        )
    else:
        orders = f"""
        SELECT customer_id, order_id, {CUSTOMER_KEY} AS ck,
               min(order_date) AS order_ts, CAST(min(order_date) AS DATE) AS order_day,
               CAST(sum(CAST(revenue AS DECIMAL(18,2))) AS DECIMAL(18,2)) AS revenue
        FROM {quote_ident(table)}
        {where}
        GROUP BY customer_id, order_id"""
    # order_ts of the previous order (not only its day) comes out of the same lag: it gives prev_day
    # and the tie flag at once. first_value runs on an explicit ROWS frame: no peer search, and
    # Spark cannot extend a named window.
    return f"""
SELECT {customer}ck, CAST(order_no AS INTEGER) AS order_no, order_day, first_day,
       CAST(prev_ts AS DATE) AS prev_day, next_day, revenue, {tied} AS tied
FROM (
    SELECT {customer}ck, order_ts, order_day, revenue,
           row_number() OVER w AS order_no,
           first_value(order_day) OVER (
               PARTITION BY {part} ORDER BY {order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS first_day,
           lag(order_ts) OVER w AS prev_ts,
           lead(order_day) OVER w AS next_day
    FROM ({orders}) AS o
    WINDOW w AS (PARTITION BY {part} ORDER BY {order})
) AS h"""


def history_sql(
    table: str, target: str, *, with_customer_id: bool = False, by_key: bool = False, totals: str | None = None
) -> str:
    """CREATE TEMP TABLE target: one row per order, placed in its customer's history (one window pass).

    An order is a distinct (customer_id, order_id); its day is the day of its earliest line; its
    revenue the net sum of its lines. Columns: ck (integer key of the customer), order_no (1 = first
    order; ties in time broken by order_id), order_day, first_day (day of the customer's first order),
    prev_day / next_day (days of the customer's previous / next order, NULL if none), revenue (net),
    tied (see below). Nothing in it depends on a period or on as_of: queries filter
    `order_day <= as_of` (the rank of an order does not depend on later orders) and derive period keys
    from the days. customer_id is kept only when asked (splits by first-order attributes join on it).

    This fast form orders a customer's orders by time only. Where two orders share a timestamp,
    `tied` is true and the order_id tie-break is still to be applied: history.py then rebuilds those
    customers with the exact form (tied_customers_sql, delete_tied_sql, insert_exact_sql).
    """
    return f"CREATE OR REPLACE TEMP TABLE {quote_ident(target)} AS" + _history_select(
        table, with_customer_id=with_customer_id, exact=False, by_key=by_key, totals=totals
    )


def tied_customers_sql(history: str, target: str) -> str:
    """CREATE TEMP TABLE target (ck): the keys of the customers with a tie in time in `history`."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {quote_ident(target)} AS "
        f"SELECT DISTINCT ck FROM {quote_ident(history)} WHERE tied"
    )


def history_counts_sql(history: str) -> str:
    """One row (tied orders, first orders): a history partitioned by key (`by_key`) is exact when its
    first orders, one per partition, are as many as the distinct customers of its table."""
    return (
        "SELECT CAST(count(*) FILTER (WHERE tied) AS BIGINT), CAST(count(*) FILTER (WHERE order_no = 1) AS BIGINT) "
        f"FROM {quote_ident(history)}"
    )


def delete_tied_sql(history: str, tied: str) -> str:
    """Remove every order of the customers listed in `tied` (their rows are rebuilt exactly)."""
    return f"DELETE FROM {quote_ident(history)} WHERE ck IN (SELECT ck FROM {quote_ident(tied)})"


def insert_exact_sql(table: str, history: str, tied: str, *, with_customer_id: bool = False) -> str:
    """INSERT the exact history rows (order_id tie-break) of the customers whose key is in `tied`.

    Customers are selected by key, so a customer sharing a key with a tied one is rebuilt as well
    (correct either way: the exact form partitions by customer_id)."""
    cols = (["customer_id"] if with_customer_id else []) + list(HISTORY_COLUMNS)
    return f"INSERT INTO {quote_ident(history)} ({', '.join(cols)})" + _history_select(
        table, with_customer_id=with_customer_id, exact=True, only_tied_of=tied
    )


def scoped_history_sql(history: str, period: str) -> str:
    """SELECT over the history up to $as_of (DATE) with period keys: order_no, order_day, first_day,
    prev_day, revenue, p (this order), prev_p (previous order), cp (first order), is_last (1 when it
    is the customer's last order up to as_of), and customer_id when the history has it."""
    return f"""
SELECT *,
       {period_key_sql(period, "order_day")} AS p,
       {period_key_sql(period, "prev_day")} AS prev_p,
       {period_key_sql(period, "first_day")} AS cp,
       CASE WHEN next_day IS NULL OR next_day > CAST($as_of AS DATE) THEN 1 ELSE 0 END AS is_last
FROM {quote_ident(history)}
WHERE order_day <= CAST($as_of AS DATE)"""


FIRST_IN_PERIOD = "(w.prev_p IS NULL OR w.prev_p <> w.p)"


def cohort_cells_sql(history: str, period: str, split_sql: str | None) -> str:
    """Per (cohort key cp, period index k), from one scan of the order history up to $as_of:

    active_customers (customers with an order in the period, counted at their first order of the
    period), orders, revenue (net), repeaters (customers whose 2nd order falls in the period),
    last_here (customers whose last order up to as_of falls in the period). Binds $as_of (and
    $none_label with a split).
    """
    seg = seg_join = ""
    if split_sql:
        seg = "s.segment, "
        seg_join = f"JOIN ({split_sql}) AS s ON s.customer_id = w.customer_id"
    return f"""
WITH w AS ({scoped_history_sql(history, period)})
SELECT {seg}w.cp, w.p - w.cp AS k,
       CAST(sum(CASE WHEN {FIRST_IN_PERIOD} THEN 1 ELSE 0 END) AS BIGINT) AS active_customers,
       CAST(count(*) AS BIGINT) AS orders,
       CAST(sum(w.revenue) AS DOUBLE) AS revenue,
       CAST(sum(CASE WHEN w.order_no = 2 THEN 1 ELSE 0 END) AS BIGINT) AS repeaters,
       CAST(sum(w.is_last) AS BIGINT) AS last_here
FROM w {seg_join}
GROUP BY {seg}w.cp, w.p - w.cp"""


def layer_cake_sql(history: str, period: str) -> str:
    """Per (cohort key cp, calendar period key p): active customers, orders, revenue (net). Binds $as_of."""
    return f"""
WITH w AS ({scoped_history_sql(history, period)})
SELECT w.cp, w.p,
       CAST(sum(CASE WHEN {FIRST_IN_PERIOD} THEN 1 ELSE 0 END) AS BIGINT) AS customers,
       CAST(count(*) AS BIGINT) AS orders, CAST(sum(w.revenue) AS DOUBLE) AS revenue
FROM w
GROUP BY w.cp, w.p"""


def cell_customers_sql(table: str, period: str, segmented_sql: str | None) -> str:
    """The customers of one cohort cell: binds $end, $cohort_key, $k, $mode_on_or_after
    (and $segment, $none_label when a segment SQL is given).

    Columns: customer_id, first_order_day, last_order_day, orders_in_period, revenue_in_period
    (net, orders in period index k), total_orders, total_revenue (net, up to $end).
    """
    key = period_key_sql(period, "order_day")
    seg_join = seg_where = ""
    if segmented_sql:
        seg_join = f"JOIN ({segmented_sql}) AS s ON s.customer_id = c.customer_id"
        seg_where = "AND s.segment = $segment"
    return f"""
WITH o AS ({orders_sql(table)}),
ok AS (SELECT customer_id, order_day, revenue, {key} AS p FROM o),
c AS (
    SELECT customer_id, min(p) AS cp, max(p) AS lp, min(order_day) AS first_order_day,
           max(order_day) AS last_order_day, CAST(count(*) AS BIGINT) AS total_orders,
           sum(revenue) AS total_revenue
    FROM ok GROUP BY customer_id
),
cell AS (
    SELECT ok.customer_id, CAST(count(*) AS BIGINT) AS orders_in_period, sum(ok.revenue) AS revenue_in_period
    FROM ok JOIN c ON ok.customer_id = c.customer_id
    WHERE ok.p = c.cp + $k
    GROUP BY ok.customer_id
)
SELECT c.customer_id, c.first_order_day, c.last_order_day,
       coalesce(cell.orders_in_period, 0) AS orders_in_period,
       CAST(coalesce(cell.revenue_in_period, 0) AS DOUBLE) AS revenue_in_period,
       c.total_orders, CAST(c.total_revenue AS DOUBLE) AS total_revenue
FROM c
LEFT JOIN cell ON cell.customer_id = c.customer_id
{seg_join}
WHERE c.cp = $cohort_key {seg_where}
  AND (cell.customer_id IS NOT NULL OR ($mode_on_or_after AND c.lp >= c.cp + $k))
ORDER BY c.customer_id"""
