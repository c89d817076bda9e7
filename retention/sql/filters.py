"""SQL of the filters: the first order of every customer, its attributes, and the filtered copy.

A customer-level filter (country, channel, discount code, first product or category) selects
customers by their FIRST order (the earliest order_date, ties broken by order_id) and keeps all
their orders; the date range keeps order lines whose order_date falls inside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from retention.sql import quote_ident

# The label of a missing value (NULL or blank) in filter options, filters and cohort segments:
# "no discount code" is itself a segment worth comparing.
NONE_LABEL = "(none)"

# First-order attributes that can filter or split customers, with the SQL expression (over one
# order line) that gives their label. Product: the name where the export has one, else the id.
ATTRIBUTE_EXPRESSIONS: dict[str, str] = {
    "country": "coalesce(nullif(trim(country), ''), $none_label)",
    "channel": "coalesce(nullif(trim(channel), ''), $none_label)",
    "discount_code": "coalesce(nullif(trim(discount_code), ''), $none_label)",
    "product": "coalesce(nullif(trim(product_name), ''), nullif(trim(product_id), ''), $none_label)",
    "category": "coalesce(nullif(trim(category), ''), $none_label)",
}


def first_order_ctes(source: str) -> str:
    """CTEs `first_order (customer_id, order_id)` and `first_lines` (the lines of that order).

    The first order is the one with the earliest order_date (its earliest line), ties broken by the
    smallest order_id, so the choice is deterministic. Found with aggregates and joins only (no
    window: sorting millions of string ids is the slow part): the customer's earliest line time,
    then the smallest order_id among the orders with a line at that time. Text to put after `WITH`.
    """
    src = quote_ident(source)
    return f"""
first_time AS (
    SELECT customer_id, min(order_date) AS first_ts FROM {src} GROUP BY customer_id
),
first_order AS (
    SELECT l.customer_id, min(l.order_id) AS order_id
    FROM {src} AS l
    JOIN first_time AS t ON l.customer_id = t.customer_id AND l.order_date = t.first_ts
    GROUP BY l.customer_id
),
first_lines AS (
    -- only what the attributes and the segment ranking read: with l.* the lines of every column
    -- were materialised (260 ms of 440 for the filter options at 1M lines)
    SELECT l.customer_id, l.revenue, l.country, l.channel, l.discount_code, l.product_name, l.product_id,
           l.category
    FROM {src} AS l
    JOIN first_order AS f ON l.customer_id = f.customer_id AND l.order_id = f.order_id
)"""


def first_order_segment_sql(source: str, attribute: str) -> str:
    """SELECT customer_id, segment: one first-order attribute label per customer.

    Order-level attributes (country, channel, discount code) take the smallest label among the
    first order's lines (they are equal on every line in real exports). Product and category take
    the line with the highest net revenue, ties broken by label, so each customer has one segment.
    Binds `$none_label`.
    """
    expr = ATTRIBUTE_EXPRESSIONS[attribute]
    if attribute in ("product", "category"):
        return f"""
WITH {first_order_ctes(source)},
labelled AS (
    SELECT customer_id, {expr} AS segment, CAST(revenue AS DECIMAL(18,2)) AS revenue FROM first_lines
),
per_label AS (
    SELECT customer_id, segment, sum(revenue) AS revenue FROM labelled GROUP BY customer_id, segment
)
SELECT customer_id, segment
FROM (
    SELECT customer_id, segment,
           row_number() OVER (PARTITION BY customer_id ORDER BY revenue DESC, segment) AS rank_no
    FROM per_label
) AS ranked
WHERE rank_no = 1"""
    return f"""
WITH {first_order_ctes(source)}
SELECT customer_id, min({expr}) AS segment FROM first_lines GROUP BY customer_id"""


def _in_list(expr: str, name: str, values: Sequence[str], params: dict) -> str:
    """`expr IN ($name_0, $name_1, ...)` with every value bound (only placeholders enter the text)."""
    names = []
    for i, value in enumerate(values):
        key = f"{name}_{i}"
        params[key] = str(value)
        names.append(f"${key}")
    return f"{expr} IN ({', '.join(names)})"


def filtered_copy_sql(
    source: str,
    target: str,
    *,
    customer_filters: dict[str, Sequence[str]],
    has_start: bool,
    has_end: bool,
) -> tuple[str, dict]:
    """CREATE TEMP TABLE target AS the filtered lines of source; returns (sql, params without dates).

    `customer_filters` maps an attribute of ATTRIBUTE_EXPRESSIONS to the labels kept: a customer
    is kept when a line of their first order matches every attribute given. Dates bind as
    `$start` (inclusive) and `$end` (exclusive) TIMESTAMPs.
    """
    params: dict = {}
    src, tgt = quote_ident(source), quote_ident(target)
    where: list[str] = []
    ctes = ""
    if customer_filters:
        params["none_label"] = NONE_LABEL
        conds = []
        for attribute, values in customer_filters.items():
            expr = ATTRIBUTE_EXPRESSIONS[attribute]
            match = _in_list(expr, attribute, values, params)
            conds.append(f"max(CASE WHEN {match} THEN 1 ELSE 0 END) = 1")
        ctes = f"""WITH {first_order_ctes(source)},
chosen AS (
    SELECT customer_id FROM first_lines GROUP BY customer_id HAVING {" AND ".join(conds)}
)
"""
        where.append("s.customer_id IN (SELECT customer_id FROM chosen)")
    if has_start:
        where.append("s.order_date >= CAST($start AS TIMESTAMP)")
    if has_end:
        where.append("s.order_date < CAST($end AS TIMESTAMP)")
    sql = f"CREATE OR REPLACE TEMP TABLE {tgt} AS\n{ctes}SELECT s.* FROM {src} AS s"
    if where:
        sql += "\nWHERE " + "\n  AND ".join(where)
    return sql, params


def date_range_sql(source: str) -> str:
    """First and last order day of the table."""
    src = quote_ident(source)
    return f"SELECT CAST(min(order_date) AS DATE), CAST(max(order_date) AS DATE) FROM {src}"


def attribute_options_sql(source: str) -> str:
    """(attribute, label, customers): the distinct labels of every first-order attribute with the
    number of customers whose first order carries them. Binds $none_label."""
    labels = ",\n    ".join(f"{expr} AS {quote_ident(name)}" for name, expr in ATTRIBUTE_EXPRESSIONS.items())
    unions = "\nUNION ALL\n".join(
        f"SELECT '{name}' AS attribute, {quote_ident(name)} AS label, "
        f"CAST(count(DISTINCT customer_id) AS BIGINT) AS customers FROM labelled GROUP BY 2"
        for name in ATTRIBUTE_EXPRESSIONS
    )
    return f"""
WITH {first_order_ctes(source)},
labelled AS (
    SELECT customer_id,
    {labels}
    FROM first_lines
)
{unions}
ORDER BY attribute, label"""


# The raw columns each attribute's label is made of (ATTRIBUTE_EXPRESSIONS reads only these).
ATTRIBUTE_COLUMNS: dict[str, tuple[str, ...]] = {
    "country": ("country",),
    "channel": ("channel",),
    "discount_code": ("discount_code",),
    "product": ("product_name", "product_id"),
    "category": ("category",),
}


def first_order_labels_sql(source: str, attributes: Sequence[str]) -> str:
    """(attribute, label): the distinct labels of the given first-order attributes, without counts.

    The same labels as attribute_options_sql, for a third of its cost: the first orders' lines are
    reduced to their distinct raw value combinations (a handful of rows) before any label is made,
    and no customer is counted. Binds $none_label.
    """
    columns = list(dict.fromkeys(c for a in attributes for c in ATTRIBUTE_COLUMNS[a]))
    unions = "\nUNION ALL\n".join(
        f"SELECT DISTINCT '{name}' AS attribute, {ATTRIBUTE_EXPRESSIONS[name]} AS label FROM raw_values"
        for name in attributes
    )
    return f"""
WITH {first_order_ctes(source)},
raw_values AS (
    SELECT DISTINCT {", ".join(columns)} FROM first_lines
)
{unions}"""


def line_labels_sql(source: str, attributes: Sequence[str]) -> str:
    """(attribute, label): the distinct labels of the given attributes over all lines of the table
    with a customer, a superset of the first orders' labels (first_order_labels_sql). Binds $none_label."""
    columns = list(dict.fromkeys(c for a in attributes for c in ATTRIBUTE_COLUMNS[a]))
    unions = "\nUNION ALL\n".join(
        f"SELECT DISTINCT '{name}' AS attribute, {ATTRIBUTE_EXPRESSIONS[name]} AS label FROM raw_values"
        for name in attributes
    )
    return f"""
WITH raw_values AS (
    SELECT DISTINCT {", ".join(columns)} FROM {quote_ident(source)} WHERE customer_id IS NOT NULL
)
{unions}"""


def single_label_customers_sql(source: str, attributes: Sequence[str], *, sampled: bool = False) -> str:
    """(attribute, label): the labels that some customer carries on every one of their lines.

    Such a label is on that customer's first order too (a subset of first_order_labels_sql's labels),
    and finding it takes one aggregation per customer instead of two joins back to the lines.
    Customers without an order date have no first order and are left out. Binds $none_label.
    `sampled`: only the customers whose id hashes to 0 modulo $one_in (binds it), a smaller
    aggregation that still finds every label many customers carry (the answer stays a subset).
    """
    bounds = ",\n    ".join(
        f"min({ATTRIBUTE_EXPRESSIONS[name]}) AS lo_{i}, max({ATTRIBUTE_EXPRESSIONS[name]}) AS hi_{i}"
        for i, name in enumerate(attributes)
    )
    unions = "\nUNION ALL\n".join(
        f"SELECT DISTINCT '{name}' AS attribute, lo_{i} AS label FROM per_customer WHERE lo_{i} = hi_{i}"
        for i, name in enumerate(attributes)
    )
    return f"""
WITH per_customer AS (
    SELECT customer_id,
    {bounds}
    FROM {quote_ident(source)}
    WHERE customer_id IS NOT NULL{" AND hash(customer_id) % $one_in = 0" if sampled else ""}
    GROUP BY customer_id
    HAVING count(order_date) > 0
)
{unions}"""
