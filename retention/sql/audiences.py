"""SQL of the audiences area: who bought what, product co-occurrence rules, replenishment cadence.

Baskets are taken per *customer* (every product a customer ever bought), because the question is
"customers who bought A also bought B", across orders. A product is its `product_id`, else its
`product_name`. With N customers that bought anything, n(A) those who bought A and n(A,B) those
who bought both:

    support(A->B)    = n(A,B) / N
    confidence(A->B) = n(A,B) / n(A)
    lift(A->B)       = confidence(A->B) / (n(B) / N)

(Agrawal, Imielinski & Swami 1993; lift as in Brin et al. 1997). Portable subset (FIELD-NOTES.md):
counts cast to BIGINT, ratios on DOUBLE with NULLIF, day counts with `date_diff('day', ...)` on
DATEs, every ranking with a unique tie-breaker.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from retention.sql import fetch_df, fetch_one, quote_ident


def _bought_cte(table: str) -> str:
    t = quote_ident(table)
    return f"""
bought AS (
    SELECT DISTINCT customer_id, COALESCE(product_id, product_name) AS product
    FROM {t}
    WHERE customer_id IS NOT NULL AND COALESCE(product_id, product_name) IS NOT NULL
)"""


def query_customers_who_bought(
    con, *, products: Sequence[str] = (), categories: Sequence[str] = (), table: str = "orders"
) -> pd.DataFrame:
    """Customers with at least one order line whose product (id or name) or category is listed.

    Matching is exact after trimming and ignoring case. One column: customer_id.
    """
    prods = [p.strip().lower() for p in products if p and p.strip()]
    cats = [c.strip().lower() for c in categories if c and c.strip()]
    if not prods and not cats:
        return pd.DataFrame({"customer_id": pd.Series([], dtype="string")})
    t = quote_ident(table)
    con.execute("CREATE OR REPLACE TEMP TABLE _aud_products (v VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE _aud_categories (v VARCHAR)")
    if prods:
        con.executemany("INSERT INTO _aud_products VALUES (?)", [[p] for p in prods])
    if cats:
        con.executemany("INSERT INTO _aud_categories VALUES (?)", [[c] for c in cats])
    sql = f"""
SELECT DISTINCT o.customer_id
FROM {t} o
WHERE o.customer_id IS NOT NULL AND (
    lower(trim(o.product_id)) IN (SELECT v FROM _aud_products)
    OR lower(trim(o.product_name)) IN (SELECT v FROM _aud_products)
    OR lower(trim(o.category)) IN (SELECT v FROM _aud_categories)
)
ORDER BY o.customer_id"""
    return fetch_df(con, sql)


def _rules_ctes(table: str) -> str:
    """CTEs `bought`, `n`, `item`, `pair` and `rules`: every rule A -> B bought together by at least
    $min_pair customers, with n_pair, n_antecedent, n_consequent, n_customers, support, confidence
    and lift. Text to put after `WITH`."""
    return f"""{_bought_cte(table)},
n AS (SELECT CAST(count(DISTINCT customer_id) AS BIGINT) AS n_customers FROM bought),
item AS (SELECT product, CAST(count(*) AS BIGINT) AS n_item FROM bought GROUP BY product),
pair AS (
    SELECT a.product AS antecedent, b.product AS consequent, CAST(count(*) AS BIGINT) AS n_pair
    FROM bought a JOIN bought b ON a.customer_id = b.customer_id AND a.product <> b.product
    GROUP BY a.product, b.product
    HAVING count(*) >= $min_pair
),
rules AS (
    SELECT p.antecedent, p.consequent, p.n_pair, ia.n_item AS n_antecedent, ic.n_item AS n_consequent,
           n.n_customers,
           CAST(p.n_pair AS DOUBLE) / NULLIF(n.n_customers, 0) AS support,
           CAST(p.n_pair AS DOUBLE) / NULLIF(ia.n_item, 0) AS confidence,
           (CAST(p.n_pair AS DOUBLE) / NULLIF(ia.n_item, 0))
             / NULLIF(CAST(ic.n_item AS DOUBLE) / NULLIF(n.n_customers, 0), 0) AS lift
    FROM pair p
    JOIN item ia ON ia.product = p.antecedent
    JOIN item ic ON ic.product = p.consequent
    CROSS JOIN n
)"""


def query_product_rules(
    con, *, min_pair_customers: int = 2, min_support: float = 0.0, table: str = "orders"
) -> pd.DataFrame:
    """Every rule A -> B with n(A,B) >= `min_pair_customers` and support >= `min_support`.

    Columns: antecedent, consequent, n_pair, n_antecedent, n_consequent, n_customers, support,
    confidence, lift. Sorted by antecedent, lift descending, consequent.
    """
    sql = f"""
WITH {_rules_ctes(table)}
SELECT antecedent, consequent, n_pair, n_antecedent, n_consequent, n_customers, support, confidence, lift
FROM rules
WHERE support >= $min_support
ORDER BY antecedent, lift DESC, consequent"""
    return fetch_df(con, sql, {"min_pair": int(min_pair_customers), "min_support": float(min_support)})


def query_next_best_product(
    con,
    *,
    min_pair_customers: int = 2,
    min_support: float = 0.0,
    min_lift: float = 1.0,
    table: str = "orders",
) -> pd.DataFrame:
    """The next best product of every customer who has one: never a product they already bought.

    Among the rules A -> B whose A the customer bought and B they did not, the one with the
    highest lift wins (then confidence, support, product name: a unique order). Only rules with
    lift > `min_lift` (more likely than for a random customer) qualify.

    Columns: customer_id, next_best_product (id or name), next_best_product_name, because_bought,
    support, confidence, lift.
    """
    t = quote_ident(table)
    sql = f"""
WITH {_rules_ctes(table)},
names AS (
    SELECT COALESCE(product_id, product_name) AS product, min(product_name) AS product_name
    FROM {t} WHERE COALESCE(product_id, product_name) IS NOT NULL
    GROUP BY COALESCE(product_id, product_name)
),
candidates AS (
    SELECT b.customer_id, r.consequent, r.antecedent, r.support, r.confidence, r.lift
    FROM bought b
    JOIN rules r ON r.antecedent = b.product
    LEFT JOIN bought owned ON owned.customer_id = b.customer_id AND owned.product = r.consequent
    WHERE owned.customer_id IS NULL
      AND r.support >= $min_support AND r.lift > $min_lift
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY customer_id
        ORDER BY lift DESC, confidence DESC, support DESC, consequent, antecedent
    ) AS rn
    FROM candidates
)
SELECT r.customer_id, r.consequent AS next_best_product, nm.product_name AS next_best_product_name,
       r.antecedent AS because_bought, r.support, r.confidence, r.lift
FROM ranked r LEFT JOIN names nm ON nm.product = r.consequent
WHERE r.rn = 1
ORDER BY r.customer_id"""
    params = {"min_pair": int(min_pair_customers), "min_support": float(min_support), "min_lift": float(min_lift)}
    return fetch_df(con, sql, params)


def query_replenishment(con, *, min_purchase_days: int = 2, table: str = "orders") -> pd.DataFrame:
    """Products each customer buys again and again, with their own interval between purchases.

    A (customer, product) qualifies when it was bought on at least `min_purchase_days` distinct
    days. Its interval is (last day - first day) / (purchase days - 1), in days; the next purchase
    is due `interval_days` after the last. Per customer the product due first is kept (ties:
    product id/name), preferring products not "stale": a product whose due day passed before the
    customer's latest purchase of anything was skipped on a later order, so it is a weaker
    reminder than one still ahead of them.

    Columns: customer_id, replenish_product, replenish_product_name, purchase_days,
    replenish_every_days (DOUBLE, days), last_purchase (DATE).
    """
    t = quote_ident(table)
    sql = f"""
WITH bought_days AS (
    SELECT customer_id, COALESCE(product_id, product_name) AS product, min(product_name) AS product_name,
           CAST(count(DISTINCT CAST(order_date AS DATE)) AS BIGINT) AS purchase_days,
           min(CAST(order_date AS DATE)) AS first_purchase,
           max(CAST(order_date AS DATE)) AS last_purchase
    FROM {t}
    WHERE customer_id IS NOT NULL AND order_date IS NOT NULL
      AND COALESCE(product_id, product_name) IS NOT NULL
    GROUP BY customer_id, COALESCE(product_id, product_name)
),
repeat AS (
    SELECT *, CAST(date_diff('day', first_purchase, last_purchase) AS DOUBLE) / (purchase_days - 1)
              AS interval_days
    FROM bought_days
    WHERE purchase_days >= $min_days
),
due AS (
    SELECT *,
           CAST(date_diff('day', DATE '1970-01-01', last_purchase) AS DOUBLE) + interval_days AS due_day,
           CAST(date_diff('day', DATE '1970-01-01', max(last_purchase) OVER (PARTITION BY customer_id)) AS DOUBLE)
             AS customer_last_day
    FROM repeat
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY customer_id
        ORDER BY CASE WHEN due_day < customer_last_day THEN 1 ELSE 0 END, due_day, product
    ) AS rn
    FROM due
)
SELECT customer_id, product AS replenish_product, product_name AS replenish_product_name, purchase_days,
       interval_days AS replenish_every_days, last_purchase
FROM ranked WHERE rn = 1
ORDER BY customer_id"""
    return fetch_df(con, sql, {"min_days": max(2, int(min_purchase_days))})


def query_has_products(con, *, table: str = "orders") -> bool:
    """Whether any order line names a product (id or name): cross-sell needs products."""
    sql = f"SELECT count(*) FROM {quote_ident(table)} WHERE COALESCE(product_id, product_name) IS NOT NULL"
    row = fetch_one(con, sql)
    return bool(row and row[0])
