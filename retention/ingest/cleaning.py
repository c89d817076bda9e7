"""Cleaning rules: how one prepared file becomes typed, classified stage rows.

The heavy work is one DuckDB statement per file (`retention.sql.ingest.stage_select_sql`); this
module decides, from a sample of the file, what that statement must do: day-first or month-first
dates, decimal comma or point, which revenue rule applies.

Revenue (net, DECIMAL(18,2), shop currency) of a row:
- the mapped `revenue` column (a line or order total) minus the mapped `refunded` amount;
- else `unit_price` x `quantity` (1 when absent) minus `line_discount` and `refunded`;
- Shopify: see `SHOPIFY_REVENUE_RULE`.
Formats whose export only has the amount paid (Stripe, PrestaShop, Magento grid, WooCommerce's
plugin export, most generic files) therefore count shipping and taxes in revenue; the report's
warnings say so. Shopify and WooCommerce Analytics count merchandise only.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from retention.ingest.formats import REVENUE_SHOPIFY, ExportFormat
from retention.ingest.reader import PreparedFile
from retention.sql import ingest as q
from retention.sql import quote_ident

SHOPIFY_REVENUE_RULE = """Shopify line revenue = the order's net merchandise value shared out over its lines.

line gross = Lineitem price x Lineitem quantity - Lineitem discount
order net  = max(Subtotal - Refunded Amount, 0)   (Subtotal: merchandise after all discounts,
             without shipping and taxes; Subtotal missing: the sum of the line gross values)
line revenue = order net x line gross / order gross, rounded to cents, the rounding remainder on
               the order's first line, so an order's lines add up exactly to its net value.
Shipping and taxes are not revenue. A refund larger than the merchandise (it included shipping)
leaves the order at 0, not negative. Order-level columns exist only on the first line of each
order in the export; they are filled onto every line of the same order `Name` first.
"""

LINE_FIELDS = ("product_id", "product_name", "quantity", "category", "_unit_price", "_line_discount")

_SLASH = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")


@dataclass
class FileSettings:
    """What the sample of a file decided."""

    day_first: bool = True
    dates_ambiguous: bool = False  # every slash date had day and month <= 12
    comma_decimal: bool = False
    iso_dates: bool = False  # the sample has ISO dates: cast them first
    date_formats: tuple[str, ...] = ()  # strptime formats seen in the sample, tried next
    # raw columns (c1..cN) the CSV reader may parse itself: the sample held only plain values
    typed: dict[str, str] = field(default_factory=dict)
    currency: str | None = None  # ISO code the amounts are written with ("$39.64"), when no column says


_PLAIN_NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,2})?$")
_PLAIN_INT = re.compile(r"^\d{1,9}$")
_PLAIN_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")


def decide_typed_columns(samples: dict[str, tuple[str, list[str]]], settings: FileSettings) -> dict[str, str]:
    """Which columns the CSV reader can parse directly: `{raw column: SQL type}`.

    `samples`: raw column -> (kind, sample values), kind `date`, `money` or `quantity`. A column
    qualifies when every non-empty sample value is plain (ISO date or timestamp without offset,
    a number with a decimal point and at most two decimals, a whole quantity) and at least one
    value is present; the reader's parse then equals the TRY_CAST fast path of the text reading.
    """
    out: dict[str, str] = {}
    for col, (kind, values) in samples.items():
        vals = [v for v in values if v is not None and v != ""]
        if not vals:
            continue
        if kind == "date" and settings.iso_dates and not settings.date_formats:
            if all(_PLAIN_ISO.match(v) for v in vals):
                out[col] = "TIMESTAMP"
        elif kind == "money" and not settings.comma_decimal:
            if all(_PLAIN_NUMBER.match(v) for v in vals):
                out[col] = "DECIMAL(18,2)"
        elif kind == "quantity" and all(_PLAIN_INT.match(v) for v in vals):
            out[col] = "DOUBLE"
    return out


_SLASH_FULL = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:( )(\d{1,2}):(\d{2})(:\d{2})?)?$")


def decide_date_formats(values: list[str], day_first: bool) -> tuple[bool, tuple[str, ...]]:
    """(ISO seen, strptime formats seen) in sample dates: the fast path of `timestamp_expr`."""
    iso, formats = False, []
    for v in values:
        v = (v or "").strip()
        if re.match(r"^\d{4}-\d{2}-\d{2}", v):
            iso = True
            continue
        if re.match(r"^\d{8}$", v):
            fmt = "%Y%m%d"
        else:
            m = _SLASH_FULL.match(v)
            if not m:
                continue
            sep = m.group(2)
            first, second = ("%d", "%m") if day_first else ("%m", "%d")
            fmt = f"{first}{sep}{second}{sep}{'%Y' if len(m.group(4)) == 4 else '%y'}"
            if m.group(5):
                fmt += " %H:%M" + (":%S" if m.group(8) else "")
        if fmt not in formats:
            formats.append(fmt)
        if len(formats) >= 4:
            break
    return iso, tuple(formats)


def decide_day_first(values: list[str], default: bool = True) -> tuple[bool, bool]:
    """(day_first, ambiguous) from sample dates: a first number > 12 proves day-first, a second
    number > 12 proves month-first; otherwise `default` (day-first, the European reading)."""
    firsts, seconds = [], []
    for v in values:
        m = _SLASH.match(v or "")
        if m:
            firsts.append(int(m.group(1)))
            seconds.append(int(m.group(2)))
    if not firsts:
        return default, False
    if max(firsts) > 12:
        return True, False
    if max(seconds) > 12:
        return False, False
    return default, True


_CURRENCY_MARKS = (("EUR", ("€", "EUR")), ("GBP", ("£", "GBP")), ("CHF", ("CHF",)), ("USD", ("$", "USD")))


def decide_currency(values: list[str]) -> str | None:
    """The currency most sampled amounts are written with ("$39.64", "12,50 €"), or None.

    A bare "$" is read as US dollars, the commonest; a code beside the amount ("CAD 12") is
    not a symbol this reads, and the export's currency column, when there is one, comes first.
    """
    vals = [v for v in values if v and v.strip()]
    if not vals:
        return None
    for code, marks in _CURRENCY_MARKS:
        if sum(1 for v in vals if any(m in v.upper() for m in marks)) >= 0.5 * len(vals):
            return code
    return None


def decide_comma_decimal(values: list[str], default: bool = False) -> bool:
    """Decimal comma when more amounts end in ',d' or ',dd' than in '.d' or '.dd'."""
    comma = dot = 0
    for v in values:
        bare = re.sub(r"[^0-9,.]", "", v or "")
        if re.search(r",\d{1,2}$", bare):
            comma += 1
        elif re.search(r"\.\d{1,2}$", bare):
            dot += 1
        elif re.search(r"^\d{1,3}(\.\d{3})+$", bare):
            comma += 1  # 1.234 is a thousands dot
    if comma == dot:
        return default
    return comma > dot


def build_stage_sql(
    pf: PreparedFile,
    fmt: ExportFormat,
    mapping: dict[str, str],
    settings: FileSettings,
    source_sql: str,
    source_type: str | None = None,
    store: Collection[str] | None = None,
) -> str:
    """The stage SELECT of one file; `mapping` uses the file's display column names.

    `source_type`: the ENUM type of the load's file names (`q.create_source_file_type`). `store`:
    the canonical fields to keep (None: all); the others still serve the cleaning rules.
    """
    pos = {name: f"c{i}" for i, name in enumerate(pf.columns, start=1)}
    col = {fld: pos[c] for fld, c in mapping.items() if c in pos}
    comma = settings.comma_decimal
    exprs: dict[str, str] = {}
    pre: dict[str, str] = {}
    typed = settings.typed

    def money(c: str) -> str:
        return quote_ident(c) if c in typed else q.money_expr(c, comma)

    def raw_text(c: str) -> str:
        # a column the reader parsed is NULL exactly when its text was empty
        return quote_ident(c) if c in typed else q.text_expr(c)

    def text(fld: str) -> str | None:
        return q.text_expr(col[fld]) if fld in col else None

    for fld in (
        "phone",
        "first_name",
        "last_name",
        "city",
        "zip",
        "product_id",
        "product_name",
        "category",
        "discount_code",
        "channel",
        "status",
    ):
        if fld in col:
            exprs[fld] = q.text_expr(col[fld])
    if "full_name" in col and "first_name" not in col and "last_name" not in col:
        # Shopify's `Billing Name`, Stripe's `Customer Name`, Magento's `Customer Name`: first
        # token = first name, the rest = last name ("Giulia De Luca" -> "Giulia", "De Luca").
        # Wrong for "last name first" exports, but audiences (Meta fn/ln, Google First/Last Name)
        # match on both names, and the common western order is right far more often.
        full = q.text_expr(col["full_name"])
        exprs["first_name"] = q.first_name_expr(full)
        exprs["last_name"] = q.last_name_expr(full)
    if "customer_id" in col:
        # WooCommerce writes customer id 0 for guests: no id, identity falls back to the email
        exprs["customer_src"] = f"NULLIF({q.text_expr(col['customer_id'])}, '0')"
    if "email" in col:
        exprs["email"] = f"lower({q.text_expr(col['email'])})"
    if "country" in col:
        t = q.text_expr(col["country"])
        exprs["country"] = f"CASE WHEN length({t}) = 2 THEN upper({t}) ELSE {t} END"
    if "currency" in col:
        exprs["currency"] = f"upper({q.text_expr(col['currency'])})"
    if "accepts_marketing" in col:
        exprs["accepts_marketing"] = q.boolean_expr(col["accepts_marketing"])
    if "quantity" in col:
        c = col["quantity"]
        exprs["quantity"] = quote_ident(c) if c in typed else q.double_expr(c, comma)
    if "order_date" in col:
        c = col["order_date"]
        if c in typed:
            exprs["order_date"] = quote_ident(c)
        else:
            exprs["order_date"] = q.timestamp_expr(c, settings.day_first, settings.date_formats, settings.iso_dates)
        date_text = raw_text(c)
    else:
        exprs["order_date"] = "CAST(NULL AS TIMESTAMP)"
        date_text = "CAST(NULL AS VARCHAR)"
    for fld in ("cancelled_at", "test", "payment_gateway", "tags"):
        if fld in col:
            exprs[f"_{fld}"] = q.text_expr(col[fld])
    refunded = money(col["refunded"]) if "refunded" in col else None
    exprs["refunded"] = refunded or "CAST(NULL AS DECIMAL(18,2))"

    shopify = fmt.revenue_rule == REVENUE_SHOPIFY and "unit_price" in col and "revenue" not in col
    if shopify:
        exprs["_unit_price"] = money(col["unit_price"])
        exprs["_line_discount"] = (
            money(col["line_discount"]) if "line_discount" in col else "CAST(NULL AS DECIMAL(18,2))"
        )
        exprs["_order_subtotal"] = (
            money(col["order_subtotal"]) if "order_subtotal" in col else "CAST(NULL AS DECIMAL(18,2))"
        )
        exprs.setdefault("quantity", "CAST(NULL AS DOUBLE)")
        amount_text = raw_text(col["unit_price"])
        amount_value = "_unit_price"
    elif "revenue" in col:
        total = money(col["revenue"])
        exprs["revenue"] = f"CAST({total} - coalesce({refunded}, 0) AS DECIMAL(18,2))" if refunded else total
        amount_text = raw_text(col["revenue"])
        amount_value = "revenue"
    elif "unit_price" in col:
        qty = exprs.get("quantity", "1")
        disc = money(col["line_discount"]) if "line_discount" in col else "0"
        exprs["revenue"] = (
            f"CAST(round({money(col['unit_price'])} * coalesce({qty}, 1), 2) - coalesce({disc}, 0) "
            f"- coalesce({refunded or 'NULL'}, 0) AS DECIMAL(18,2))"
        )
        amount_text = raw_text(col["unit_price"])
        amount_value = "revenue"
    else:
        exprs["revenue"] = "CAST(NULL AS DECIMAL(18,2))"
        amount_text = "CAST(NULL AS VARCHAR)"
        amount_value = "revenue"

    status_arms = q.status_reason_sql(
        "status" if "status" in exprs else None,
        "_cancelled_at" if "_cancelled_at" in exprs else None,
        "_test" if "_test" in exprs else None,
        "_payment_gateway" if "_payment_gateway" in exprs else None,
        "_tags" if "_tags" in exprs else None,
    )
    reason = (
        f"(CASE {status_arms} "
        # the raw texts are looked at only for the rows that failed (CASE evaluates lazily)
        f"WHEN order_date IS NULL AND {date_text} IS NULL THEN {q.reason_code(q.REASON_NO_DATE)} "
        f"WHEN order_date IS NULL THEN {q.reason_code(q.REASON_BAD_DATE)} "
        f"WHEN {amount_value} IS NULL AND {amount_text} IS NULL THEN {q.reason_code(q.REASON_NO_AMOUNT)} "
        f"WHEN {amount_value} IS NULL THEN {q.reason_code(q.REASON_BAD_AMOUNT)} END)"
    )
    order_expr = text("order_id")
    order_fields = [n for n in exprs if n not in LINE_FIELDS] if fmt.line_items else []
    return q.stage_select_sql(
        source_sql,
        exprs=exprs,
        order_expr=order_expr,
        reason_sql=reason,
        raw_cols=[f"c{i}" for i in range(1, len(pf.columns) + 1)],
        skip=pf.skip,
        line_items=fmt.line_items and order_expr is not None,
        order_fields=order_fields,
        shopify_revenue=shopify,
        pre=pre,
        source_type=source_type,
        store=store,
        refund_column="refunded" in col,
    )
