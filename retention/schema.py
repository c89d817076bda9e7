"""The canonical order schema.

One row per order line. Every analysis reads the DuckDB table `orders` with these columns; the
ingester (`retention.ingest`) is the only writer. Money is DECIMAL(18,2) in the shop currency,
`revenue` is net of discounts and refunds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    sql_type: str
    required: bool
    description: str


FIELDS: tuple[Field, ...] = (
    Field("order_id", "VARCHAR", True, "Order number; synthesised as '~<file>:<row>' when the export has none"),
    Field("customer_id", "VARCHAR", True, "Customer id, else the normalised email, else the phone"),
    Field("order_date", "TIMESTAMP", True, "When the order was placed (shop local time, no zone)"),
    Field("revenue", "DECIMAL(18,2)", True, "Net value of the line: after discounts, minus refunds"),
    Field("email", "VARCHAR", False, "Trimmed, lowercased email"),
    Field("phone", "VARCHAR", False, "Phone as exported"),
    Field("first_name", "VARCHAR", False, "First name"),
    Field("last_name", "VARCHAR", False, "Last name"),
    Field("country", "VARCHAR", False, "Country code (ISO 3166 alpha-2 where recognisable)"),
    Field("city", "VARCHAR", False, "City"),
    Field("zip", "VARCHAR", False, "Postcode, as text (leading zeros kept)"),
    Field("accepts_marketing", "BOOLEAN", False, "Marketing consent as exported"),
    Field("product_id", "VARCHAR", False, "Product id or SKU"),
    Field("product_name", "VARCHAR", False, "Product name"),
    Field("category", "VARCHAR", False, "Product category or type"),
    Field("quantity", "DOUBLE", False, "Units on the line"),
    Field("discount_code", "VARCHAR", False, "Discount code used on the order"),
    Field("channel", "VARCHAR", False, "Sales channel or source"),
    Field("currency", "VARCHAR", False, "ISO currency code"),
    Field("status", "VARCHAR", False, "Order or payment status as exported"),
    Field("refunded", "DECIMAL(18,2)", False, "Amount refunded on the line (already netted out of revenue)"),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
OPTIONAL: tuple[str, ...] = tuple(f.name for f in FIELDS if not f.required)
# Provenance columns the ingester adds to every kept row, so any number can be traced to its line.
PROVENANCE = (("source_file", "VARCHAR"), ("source_row", "BIGINT"))

ORDERS_TABLE = "orders"
REJECTED_TABLE = "rejected_rows"


def orders_ddl(table: str = ORDERS_TABLE) -> str:
    """CREATE TABLE statement of the canonical orders table."""
    from retention.sql import quote_ident

    cols = [f"{quote_ident(f.name)} {f.sql_type}" for f in FIELDS]
    cols += [f"{quote_ident(n)} {t}" for n, t in PROVENANCE]
    return f"CREATE OR REPLACE TABLE {quote_ident(table)} (\n  " + ",\n  ".join(cols) + "\n)"
