"""SQL of the churn area: gaps between orders and per-customer features as of a cut-off.

Everything a feature uses happens on or before the cut-off day (`$as_of`); the label looks only at
the days after it, `($as_of, $label_end]`. That split is what keeps the classifier honest: it is
trained on features of one cut-off and judged on a later one.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from retention.sql import fetch_df, quote_ident
from retention.sql.segments import PREPARED_ORDERS, PREPARED_PRODUCTS, order_rows_cte


def query_gap_histogram(con, *, as_of: date, table: str = "orders", prepared: bool = False) -> pd.DataFrame:
    """Days between consecutive orders of the same customer, as a histogram (gap_days, gaps).

    Same-day orders (gap 0: a split basket) are left out; they say nothing about the cadence.
    The percentile is taken in Python from this small table, because exact percentiles differ
    between SQL engines.
    """
    sql = f"""
WITH {order_rows_cte(table, prepared=prepared)},
g AS (
    SELECT date_diff('day',
                     lag(order_day) OVER (PARTITION BY customer_id ORDER BY order_day, order_id),
                     order_day) AS gap_days
    FROM ord
)
SELECT gap_days, CAST(count(*) AS BIGINT) AS gaps
FROM g
WHERE gap_days > 0
GROUP BY gap_days
ORDER BY gap_days
"""
    return fetch_df(con, sql, {"as_of": as_of})


def query_churn_features(
    con, *, as_of: date, label_end: date | None = None, table: str = "orders", prepared: bool = False
) -> pd.DataFrame:
    """One row per customer with an order on or before `as_of`: features as of that day.

    Columns (days are calendar days, money is net revenue in the shop currency):
    customer_id, orders, revenue, aov, recency_days (last order to `as_of`), tenure_days (first
    order to `as_of`), mean_gap_days (first to last order / (orders - 1); NULL with one order),
    last_gap_days (between the last two orders; NULL with one order), distinct_products,
    discount_share (share of orders with a discount code), first_channel, first_country (of the
    first order, ties by order_id); frequency, recency, T (the BG/NBD summary in customer-days:
    days with an order - 1, first to last order day, first order day to `as_of`);
    and, when `label_end` is given, `churned` = 1 if the customer has no order in
    (`as_of`, `label_end`], else 0. With `prepared`, read from `create_prepared_order_rows`' tables.
    """
    t = quote_ident(table)
    label_cte = ""
    label_col = ""
    label_join = ""
    params: dict[str, object] = {"as_of": as_of}
    if label_end is not None:
        source = PREPARED_ORDERS if prepared else t
        day = "order_day" if prepared else "CAST(order_date AS DATE)"
        label_cte = f""",
future AS (
    SELECT DISTINCT customer_id
    FROM {source}
    WHERE customer_id IS NOT NULL
      AND {day} > CAST($as_of AS DATE)
      AND {day} <= CAST($label_end AS DATE)
)"""
        label_col = ", CASE WHEN f.customer_id IS NULL THEN 1 ELSE 0 END AS churned"
        label_join = "LEFT JOIN future f ON f.customer_id = c.customer_id"
        params["label_end"] = label_end
    # No window functions: they sorted every order three times (the slowest part of the churn
    # scoring at 10M lines). The first order's channel and country come from the minimum of a
    # (day, order_id, channel, country) struct (the same tie-breaker, and NULL fields kept); the gap
    # before the last order from one join of the orders with their customer's last day.
    prod = (
        f"""
prod AS (
    SELECT customer_id, count(*) AS distinct_products
    FROM {PREPARED_PRODUCTS}
    WHERE first_day <= CAST($as_of AS DATE)
    GROUP BY customer_id
)"""
        if prepared
        else """
prod AS (
    SELECT customer_id, count(DISTINCT coalesce(product_id, product_name)) AS distinct_products
    FROM lines
    GROUP BY customer_id
)"""
    )
    sql = f"""
WITH {order_rows_cte(table, prepared=prepared)},
cust AS (
    SELECT customer_id, count(*) AS orders, sum(order_revenue) AS revenue,
           min(order_day) AS first_order, max(order_day) AS last_order,
           count(DISTINCT order_day) AS purchase_days,
           sum(discounted) AS discounted_orders,
           min(struct_pack(d := order_day, o := order_id, ch := channel, co := country)) AS first_row
    FROM ord
    GROUP BY customer_id
),
edge AS (
    SELECT o.customer_id,
           max(CASE WHEN o.order_day < c.last_order THEN o.order_day END) AS previous_day,
           sum(CASE WHEN o.order_day = c.last_order THEN 1 ELSE 0 END) AS last_day_orders
    FROM ord o
    JOIN cust c ON c.customer_id = o.customer_id
    WHERE c.orders > 1
    GROUP BY o.customer_id
),{prod}{label_cte}
SELECT c.customer_id,
       CAST(c.orders AS BIGINT) AS orders,
       CAST(c.revenue AS DOUBLE) AS revenue,
       CAST(c.revenue / c.orders AS DOUBLE) AS aov,
       date_diff('day', c.last_order, CAST($as_of AS DATE)) AS recency_days,
       date_diff('day', c.first_order, CAST($as_of AS DATE)) AS tenure_days,
       CASE WHEN c.orders > 1
            THEN CAST(date_diff('day', c.first_order, c.last_order) AS DOUBLE) / (c.orders - 1) END
           AS mean_gap_days,
       CAST(CASE WHEN e.last_day_orders > 1 THEN 0
                 ELSE date_diff('day', e.previous_day, c.last_order) END AS DOUBLE) AS last_gap_days,
       CAST(coalesce(p.distinct_products, 0) AS BIGINT) AS distinct_products,
       CAST(c.discounted_orders AS DOUBLE) / c.orders AS discount_share,
       c.first_row.ch AS first_channel, c.first_row.co AS first_country,
       CAST(c.purchase_days - 1 AS BIGINT) AS frequency,
       CAST(date_diff('day', c.first_order, c.last_order) AS BIGINT) AS recency,
       CAST(date_diff('day', c.first_order, CAST($as_of AS DATE)) AS BIGINT) AS "T"{label_col}
FROM cust c
LEFT JOIN edge e ON e.customer_id = c.customer_id
LEFT JOIN prod p ON p.customer_id = c.customer_id
{label_join}
ORDER BY c.customer_id
"""
    return fetch_df(con, sql, params)
