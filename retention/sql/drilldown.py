"""The orders of one customer, for the app's customer drill-down."""

from __future__ import annotations

import pandas as pd

from retention.sql import fetch_df, quote_ident


def customer_orders(con, customer_id: str, *, table: str = "orders") -> pd.DataFrame:
    """One row per order of `customer_id` in `table`, newest first: order_id, order_day (DATE),
    lines, items (quantity), revenue (net, DECIMAL sum), products (distinct), discount_code, channel."""
    sql = f"""
        SELECT order_id,
               CAST(min(order_date) AS DATE) AS order_day,
               CAST(count(*) AS BIGINT) AS lines,
               sum(quantity) AS items,
               sum(CAST(revenue AS DECIMAL(18, 2))) AS revenue,
               CAST(count(DISTINCT coalesce(product_name, product_id)) AS BIGINT) AS products,
               max(discount_code) AS discount_code,
               max(channel) AS channel
        FROM {quote_ident(table)}
        WHERE customer_id = $customer_id
        GROUP BY order_id
        ORDER BY order_day DESC, order_id DESC
    """
    return fetch_df(con, sql, {"customer_id": str(customer_id)})
