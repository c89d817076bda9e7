"""A small shop written by hand, for tests whose every number can be checked on paper.

Customer  order  when                    lines (net revenue)            country channel code     product
A         A1     2024-01-05 10:00        Mug 10.00, Spoon 5.50          IT      web     -        Mug (main line)
A         A2     2024-01-05 15:00        Mug 20.00                      IT      web     -
A         A3     2024-03-01 00:00        Mug 12.00 (first moment of March)
B         B1     2024-01-31 23:59:59     Tea 30.00 (last moment of January)   DE  web  WELCOME
B         B2     2024-02-01 00:00        Tea 8.00
C         C1     2024-02-10 12:00        Tea 50.00                      IT      shop    WELCOME  (a cohort of one)
C         C2     2024-04-15 09:00        Tea 25.00                      DE (moved; the first order counts)
D         D1     2024-03-20 18:00        Mug 40.00                      FR      web     -
Last order day (default as_of): 2024-04-15. Total net revenue 200.50 in 8 orders by 4 customers.
"""

from __future__ import annotations

from retention.db import connect
from retention.schema import orders_ddl

ROWS = [
    # order_id, customer_id, order_date, revenue, country, channel, discount_code, product_name, category
    ("A1", "A", "2024-01-05 10:00:00", "10.00", "IT", "web", None, "Mug", "Home"),
    ("A1", "A", "2024-01-05 10:00:00", "5.50", "IT", "web", None, "Spoon", "Kitchen"),
    ("A2", "A", "2024-01-05 15:00:00", "20.00", "IT", "web", None, "Mug", "Home"),
    ("A3", "A", "2024-03-01 00:00:00", "12.00", "IT", "web", None, "Mug", "Home"),
    ("B1", "B", "2024-01-31 23:59:59", "30.00", "DE", "web", "WELCOME", "Tea", "Food"),
    ("B2", "B", "2024-02-01 00:00:00", "8.00", "DE", "web", None, "Tea", "Food"),
    ("C1", "C", "2024-02-10 12:00:00", "50.00", "IT", "shop", "WELCOME", "Tea", "Food"),
    ("C2", "C", "2024-04-15 09:00:00", "25.00", "DE", "shop", None, "Tea", "Food"),
    ("D1", "D", "2024-03-20 18:00:00", "40.00", "FR", "web", "", "Mug", "Home"),
]


def handmade_connection():
    """A fresh connection whose `orders` table holds ROWS."""
    con = connect()
    con.execute(orders_ddl())
    con.executemany(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue, country, channel, discount_code, "
        "product_name, category) VALUES (?, ?, CAST(? AS TIMESTAMP), CAST(? AS DECIMAL(18,2)), ?, ?, ?, ?, ?)",
        ROWS,
    )
    return con
