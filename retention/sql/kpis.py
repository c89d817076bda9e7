"""SQL of the KPIs: conditional aggregates over the order history (sql/cohorts.py `history_sql`).

Every query reads the history up to $as_of (`scoped_history_sql`), so the whole KPI set costs
a few scans of one row per order once the history exists.
"""

from __future__ import annotations

from retention.sql.cohorts import scoped_history_sql

FIRST_IN_PERIOD = "(prev_p IS NULL OR prev_p <> p)"


def summary_sql(history: str, windows: list[int], period: str = "month") -> str:  # binds $as_of
    """One row: totals, repeat buyers, median gaps between orders (days), and per repurchase window
    w (binds $w<i> and $as_of): customers whose first order is at least w days before as_of
    (observed_i), and of them those whose 2nd order came within w days of the first (repurchased_i)."""
    parts = []
    for i, _w in enumerate(windows):
        parts.append(
            f"CAST(sum(CASE WHEN order_no = 1 AND date_diff('day', order_day, CAST($as_of AS DATE)) >= $w{i} "
            f"THEN 1 ELSE 0 END) AS BIGINT) AS observed_{i}"
        )
        parts.append(
            f"CAST(sum(CASE WHEN order_no = 2 AND date_diff('day', first_day, CAST($as_of AS DATE)) >= $w{i} "
            f"AND date_diff('day', first_day, order_day) <= $w{i} THEN 1 ELSE 0 END) AS BIGINT) AS repurchased_{i}"
        )
    window_cols = (",\n       " + ",\n       ".join(parts)) if parts else ""
    gaps = []
    for n, name in ((2, "1_2"), (3, "2_3"), (4, "3_4")):
        gaps.append(f"median(CASE WHEN order_no = {n} THEN date_diff('day', prev_day, order_day) END) AS days_{name}")
        gaps.append(f"CAST(sum(CASE WHEN order_no = {n} THEN 1 ELSE 0 END) AS BIGINT) AS n_{name}")
    return f"""
SELECT CAST(sum(CASE WHEN order_no = 1 THEN 1 ELSE 0 END) AS BIGINT) AS customers,
       CAST(count(*) AS BIGINT) AS orders,
       sum(revenue) AS revenue,
       CAST(sum(CASE WHEN order_no = 2 THEN 1 ELSE 0 END) AS BIGINT) AS repeat_customers,
       {", ".join(gaps)}{window_cols}
FROM ({scoped_history_sql(history, period)}) AS h"""


def activity_sql(history: str, period: str) -> str:
    """Per period key p: customers active in p, and of them those whose previous order was in p - 1
    (retained from the period before); plus new customers, revenue and repeat-order revenue (net)."""
    return f"""
SELECT p,
       CAST(sum(CASE WHEN {FIRST_IN_PERIOD} THEN 1 ELSE 0 END) AS BIGINT) AS active_customers,
       CAST(sum(CASE WHEN {FIRST_IN_PERIOD} AND prev_p = p - 1 THEN 1 ELSE 0 END) AS BIGINT) AS retained_from_prev,
       CAST(sum(CASE WHEN order_no = 1 THEN 1 ELSE 0 END) AS BIGINT) AS new_customers,
       CAST(sum(revenue) AS DOUBLE) AS revenue,
       CAST(sum(CASE WHEN order_no > 1 THEN revenue ELSE 0 END) AS DOUBLE) AS repeat_revenue
FROM ({scoped_history_sql(history, period)}) AS h
GROUP BY p
ORDER BY p"""


def acquisition_sql(history: str, period: str = "month") -> str:
    """Per acquisition month key: new customers and the net revenue of all their orders to date."""
    return f"""
SELECT year(first_day) * 12 + month(first_day) - 1 AS acq_month,
       CAST(sum(CASE WHEN order_no = 1 THEN 1 ELSE 0 END) AS BIGINT) AS new_customers,
       CAST(sum(revenue) AS DOUBLE) AS revenue
FROM ({scoped_history_sql(history, period)}) AS h
GROUP BY 1
ORDER BY 1"""


def first_year_repeat_sql(history: str, period: str = "month") -> str:
    """Over customers whose first order is at least 365 days before $as_of: how many (observed), how
    many made a 2nd order within 365 days of the first (repeaters), and the net revenue of all their
    repeat orders within those 365 days (repeat_revenue)."""
    seen = "date_diff('day', first_day, CAST($as_of AS DATE)) >= 365"
    within = "date_diff('day', first_day, order_day) <= 365"
    return f"""
SELECT CAST(sum(CASE WHEN order_no = 1 AND {seen} THEN 1 ELSE 0 END) AS BIGINT) AS observed,
       CAST(sum(CASE WHEN order_no = 2 AND {seen} AND {within} THEN 1 ELSE 0 END) AS BIGINT) AS repeaters,
       CAST(sum(CASE WHEN order_no > 1 AND {seen} AND {within} THEN revenue ELSE 0 END) AS DOUBLE) AS repeat_revenue
FROM ({scoped_history_sql(history, period)}) AS h"""
