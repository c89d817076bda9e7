"""SQL of the ingester: read an export as text, convert it, classify every row, write the ledger.

Every column is read as VARCHAR (so postcodes keep their zeros wherever they appear) and converted
here with TRY_CAST and explicit date assembly, because DuckDB's sniffer misreads dd/mm/yy dates and
decimal commas (FIELD-NOTES.md). Identifiers go through `quote_ident`; user values are bound.
The small fixed vocabularies below (status words, yes/no words) are constants of this module.
"""

from __future__ import annotations

from collections.abc import Sequence

from retention.schema import FIELDS, ORDERS_TABLE, REJECTED_TABLE, orders_ddl
from retention.sql import fetch_all, quote_ident

STAGE_PREFIX = "_ingest_stage_"
ALL_TABLE = "_ingest_all"
CLASSIFIED_TABLE = "_ingest_classified"

REASON_CANCELLED = "cancelled or failed"
REASON_TEST = "test order"
REASON_NO_DATE = "missing date"
REASON_BAD_DATE = "unparseable date"
REASON_NO_AMOUNT = "missing amount"
REASON_BAD_AMOUNT = "unparseable amount"
REASON_NO_IDENTITY = "missing customer identity"
REASON_DUPLICATE = "duplicate"

_CANCELLED_WORDS = (
    "cancelled",
    "canceled",
    "failed",
    "voided",
    "void",
    "trash",
    "draft",
    "checkout-draft",
    "expired",
    "wc-cancelled",
    "wc-failed",
    "payment error",
    "declined",
    "blocked",
    "annullato",
    "annullata",
    "cancellato",
    "cancellata",
    "fallito",
    "fallita",
    "rifiutato",
    "errore di pagamento",
    "errore pagamento",
    "incomplete",
    "requires_payment_method",
)
_TRUE_WORDS = ("yes", "true", "1", "y", "si", "sì", "subscribed", "opt-in", "opted_in", "x", "vero")
_FALSE_WORDS = ("no", "false", "0", "n", "not_subscribed", "unsubscribed", "opt-out", "falso", "")
_TEST_WORDS = ("test", "true", "yes", "1", "si", "sì")


def _literals(words: Sequence[str]) -> str:
    return ", ".join("'" + w.replace("'", "''") + "'" for w in words)


def text_expr(col: str) -> str:
    """Trimmed text, NULL when blank."""
    return f"NULLIF(trim({quote_ident(col)}), '')"


def number_text_expr(col: str, comma_decimal: bool) -> str:
    """Amount text without currency symbols, spaces and thousands separators, with a '.' decimal."""
    bare = f"regexp_replace({quote_ident(col)}, '[^0-9,.\\-]', '', 'g')"
    if comma_decimal:
        return f"replace(replace({bare}, '.', ''), ',', '.')"
    return f"replace({bare}, ',', '')"


def money_expr(col: str, comma_decimal: bool) -> str:
    """DECIMAL(18,2) amount or NULL: handles '€ 1.234,56', '1,234.56 USD', '-12.5'."""
    return f"TRY_CAST(NULLIF({number_text_expr(col, comma_decimal)}, '') AS DECIMAL(18,2))"


def double_expr(col: str, comma_decimal: bool) -> str:
    return f"TRY_CAST(NULLIF({number_text_expr(col, comma_decimal)}, '') AS DOUBLE)"


# day, month, year, hour, minute, second of 'dd/mm/yyyy hh:mm[:ss]' (or mm/dd, '.' and '-' too)
_DMY_RE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"


def date_parts_expr(col: str) -> str:
    """Struct of the pieces of a 'dd/mm/yy[yy] [hh:mm[:ss]]' date (one regex pass per row)."""
    return f"regexp_extract(trim({quote_ident(col)}), '{_DMY_RE}', ['a', 'b', 'y', 'hh', 'mi', 'ss'])"


def timestamp_expr(col: str, parts_col: str, day_first: bool) -> str:
    """TIMESTAMP or NULL from ISO (offset dropped: the shop's local time as written), yyyymmdd,
    or dd/mm/yy[yy] [hh:mm[:ss]] (mm/dd/... when `day_first` is False) whose pieces are in
    `parts_col` (see `date_parts_expr`). Two-digit years are 20yy."""
    c = f"trim({quote_ident(col)})"
    p = quote_ident(parts_col)
    d, m = ("a", "b") if day_first else ("b", "a")
    assembled = (
        f"TRY_CAST(CASE WHEN length({p}.y) = 2 THEN '20' || {p}.y ELSE {p}.y END || '-' || {p}.{m} || '-' "
        f"|| {p}.{d} || ' ' || coalesce(NULLIF({p}.hh, ''), '0') || ':' || coalesce(NULLIF({p}.mi, ''), '0') "
        f"|| ':' || coalesce(NULLIF({p}.ss, ''), '0') AS TIMESTAMP)"
    )
    return (
        f"CASE WHEN {p}.y <> '' THEN {assembled} "
        f"WHEN regexp_matches({c}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') "
        f"THEN TRY_CAST(replace(left({c}, 19), 'T', ' ') AS TIMESTAMP) "
        f"WHEN regexp_matches({c}, '^\\d{{8}}$') THEN TRY_STRPTIME({c}, '%Y%m%d') "
        # Magento's grid: 'Jan 5, 2024 10:00:00 AM'
        f"WHEN regexp_matches({c}, '^[A-Za-z]{{3}} \\d') THEN coalesce(TRY_STRPTIME({c}, '%b %d, %Y %I:%M:%S %p'), "
        f"TRY_STRPTIME({c}, '%b %d, %Y %H:%M:%S'), TRY_STRPTIME({c}, '%b %d, %Y')) "
        f"END"
    )


def read_csv_sql(
    path_param: str, columns: Sequence[str], delimiter: str, skip: int, compression: str, parallel: bool
) -> str:
    """`read_csv` of a prepared file, every column VARCHAR, named c1..cN (display names live in Python)."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(columns) + 1))
    delim = delimiter.replace("'", "''")
    return (
        f"read_csv(${path_param}, auto_detect = false, header = false, skip = {int(skip)}, "
        f"columns = {{{cols}}}, delim = '{delim}', quote = '\"', escape = '\"', comment = '', "
        f"null_padding = true, strict_mode = false, compression = '{compression}', "
        f"parallel = {'true' if parallel else 'false'}, max_line_size = 10000000)"
    )


def sample_columns(con, source_sql: str, path: str, refs: Sequence[str], limit: int = 5000) -> list[tuple]:
    """The first `limit` values of some columns, to decide date order and decimal separator."""
    if not refs:
        return []
    cols = ", ".join(quote_ident(r) for r in refs)
    return fetch_all(con, f"SELECT {cols} FROM {source_sql} LIMIT {int(limit)}", {"path": path})


def create_stage(con, stage_no: int, select_sql: str, params: dict) -> str:
    """Materialise one file's classified rows. File order is kept so row numbers are spreadsheet rows."""
    name = f"{STAGE_PREFIX}{int(stage_no)}"
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(name)} AS {select_sql}", params)
    finally:
        con.execute("SET preserve_insertion_order = false")
    return name


STAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_no", "INTEGER"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("order_synthesised", "BOOLEAN"),
    ("customer_src", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("raw_row", "VARCHAR"),
    ("line_level", "BOOLEAN"),
) + tuple((f.name, f.sql_type) for f in FIELDS if f.name != "customer_id")


def stage_select_sql(
    source_sql: str,
    *,
    file_no: int,
    exprs: dict[str, str],
    order_expr: str | None,
    reason_sql: str,
    raw_cols: Sequence[str],
    skip: int,
    line_items: bool,
    order_fields: Sequence[str],
    shopify_revenue: bool,
    pre: dict[str, str] | None = None,
) -> str:
    """SELECT turning one raw file into stage rows (one per input record).

    `exprs` maps stage column -> SQL over the raw columns c1..cN; missing columns become NULL.
    For `line_items` exports the order-level values (`order_fields`) are filled from the first
    line of the order onto every line (grouped by order number within the file).
    """
    # the raw text is assembled only for rejected rows, at the very end (cheap for kept rows)
    raw = f"concat_ws(' | ', {', '.join(f'coalesce({quote_ident(c)}, {chr(39)}{chr(39)})' for c in raw_cols)})"
    raw_list = ", ".join(quote_ident(c) for c in raw_cols)
    base_cols = ["row_number() OVER () AS _rn", "*"]
    base_cols += [f"{sql} AS {quote_ident(name)}" for name, sql in (pre or {}).items()]
    parts = [f"WITH src AS (SELECT {', '.join(base_cols)} FROM {source_sql})"]
    # 1. typed values per raw record
    typed = [f"{sql} AS {quote_ident(name)}" for name, sql in exprs.items()]
    oid = order_expr or "NULL"
    parts.append(
        f", typed AS (SELECT _rn, {oid} AS _order_raw, {', '.join(typed) or 'NULL AS _none'}, {raw_list} FROM src)"
    )
    prev = "typed"
    if line_items:
        # a row's order key: its order number, else itself (rows without order number stay alone)
        key = "coalesce(_order_raw, '~' || CAST(_rn AS VARCHAR))"
        filled = ", ".join(f"max({quote_ident(f)}) OVER (PARTITION BY {key}) AS {quote_ident(f)}" for f in order_fields)
        others = [n for n in exprs if n not in order_fields]
        parts.append(
            f", filled AS (SELECT _rn, _order_raw, {raw_list}, {key} AS _okey, "
            f"{', '.join(quote_ident(n) for n in others) + ',' if others else ''} {filled} FROM {prev})"
        )
        prev = "filled"
    if shopify_revenue:
        parts.append(shopify_revenue_ctes(prev))
        prev = "alloc"
    parts.append(f", judged AS (SELECT *, {reason_sql} AS _reason FROM {prev})")
    prev = "judged"
    reason = "_reason"
    parts.append(
        f"SELECT CAST($file_no AS INTEGER) AS file_no, CAST($source_file AS VARCHAR) AS source_file, "
        f"CAST(_rn + {int(skip)} AS BIGINT) AS source_row, "
        f"_order_raw IS NULL AS order_synthesised, CAST($line_level AS BOOLEAN) AS line_level, "
        f"coalesce(_order_raw, '~' || $source_file || ':' || CAST(_rn + {int(skip)} AS VARCHAR)) AS order_id, "
        f"{reason} AS reason, CASE WHEN {reason} IS NOT NULL THEN {raw} END AS raw_row, "
        + ", ".join(
            f"{quote_ident(n)}"
            if n in exprs or n in ("revenue", "refunded")
            else f"CAST(NULL AS {t}) AS {quote_ident(n)}"
            for n, t in STAGE_COLUMNS
            if n
            not in (
                "file_no",
                "source_file",
                "source_row",
                "order_synthesised",
                "reason",
                "raw_row",
                "order_id",
                "line_level",
            )
        )
        + f" FROM {prev}"
    )
    del file_no
    return "\n".join(parts)


def shopify_revenue_ctes(prev: str) -> str:
    """Net line revenue of a Shopify order (see `cleaning.SHOPIFY_REVENUE_RULE`).

    Expects columns `_okey`, `_rn`, `_unit_price`, `quantity`, `_line_discount`, `_order_subtotal`,
    `refunded` (order level). Produces `revenue` and `refunded` per line.
    """
    gross = "(coalesce(_unit_price, 0) * CAST(coalesce(quantity, 1) AS DECIMAL(18,4)) - coalesce(_line_discount, 0))"
    return (
        f", lines AS (SELECT *, {gross} AS _gross FROM {prev})"
        ", totals AS (SELECT *, sum(_gross) OVER (PARTITION BY _okey) AS _order_gross, "
        "count(*) OVER (PARTITION BY _okey) AS _n_lines, "
        "row_number() OVER (PARTITION BY _okey ORDER BY _rn) AS _line_no FROM lines)"
        ", shares AS (SELECT *, "
        "CASE WHEN _order_gross > 0 THEN CAST(_gross AS DOUBLE) / CAST(_order_gross AS DOUBLE) "
        "ELSE 1.0 / _n_lines END AS _share, "
        "greatest(coalesce(_order_subtotal, _order_gross) - coalesce(refunded, 0), 0) AS _order_net "
        "FROM totals)"
        ", rounded AS (SELECT * REPLACE (CAST(round(CAST(refunded AS DOUBLE) * _share, 2) AS DECIMAL(18,2)) AS refunded), "
        "CAST(round(CAST(_order_net AS DOUBLE) * _share, 2) AS DECIMAL(18,2)) AS _rev FROM shares)"
        ", alloc AS (SELECT *, CAST(_rev + CASE WHEN _line_no = 1 "
        "THEN _order_net - sum(_rev) OVER (PARTITION BY _okey) ELSE 0 END AS DECIMAL(18,2)) AS revenue FROM rounded)"
    )


def status_reason_sql(status: str | None, cancelled_at: str | None, test: str | None) -> str:
    """CASE arms rejecting cancelled, failed and test orders (empty string when nothing applies)."""
    arms = []
    if cancelled_at:
        arms.append(f"WHEN {cancelled_at} IS NOT NULL THEN '{REASON_CANCELLED}'")
    if status:
        arms.append(f"WHEN lower({status}) IN ({_literals(_CANCELLED_WORDS)}) THEN '{REASON_CANCELLED}'")
        arms.append(f"WHEN lower({status}) = 'test' THEN '{REASON_TEST}'")
    if test:
        arms.append(f"WHEN lower({test}) IN ({_literals(_TEST_WORDS)}) THEN '{REASON_TEST}'")
    return " ".join(arms)


def boolean_expr(col: str) -> str:
    t = f"lower(trim({quote_ident(col)}))"
    return (
        f"CASE WHEN {t} IN ({_literals(_TRUE_WORDS)}) THEN true WHEN {t} IN ({_literals(_FALSE_WORDS)}) THEN false END"
    )


def combine_stages(con, stages: Sequence[str]) -> None:
    """All files' stage rows in one table (same columns, in STAGE_COLUMNS order)."""
    cols = ", ".join(quote_ident(n) for n, _ in STAGE_COLUMNS)
    union = " UNION ALL ".join(f"SELECT {cols} FROM {quote_ident(s)}" for s in stages)
    # a view: copying 10M rows once more costs more than reading the stages twice
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(ALL_TABLE)} AS {union}")


def classify(con, *, join_guests: bool, dedupe: bool) -> None:
    """Final identity and duplicates.

    Identity: customer id, else the account id of the same email (guest orders join the account),
    else the email, else the phone digits.

    Duplicates (`dedupe`): rows with the same order number, customer, date, product, quantity and
    revenue. In files of order lines (`line_level`: a product column is mapped) two identical lines
    of one order in one file are real (two of the same item on separate lines), so there the n-th
    copy in a file is only a duplicate of the n-th copy in an earlier file (overlapping exports).
    In files of whole orders a repeated order is a duplicate wherever it appears. Rows whose order
    number was synthesised are never duplicates.
    """
    if join_guests:
        accounts = (
            f"LEFT JOIN (SELECT email AS _acct_email, min(customer_src) AS _acct_id FROM {quote_ident(ALL_TABLE)} "
            "WHERE customer_src IS NOT NULL AND email IS NOT NULL AND reason IS NULL GROUP BY email) acct "
            "ON s.customer_src IS NULL AND s.email = acct._acct_email"
        )
        acct_id = "acct._acct_id"
    else:
        accounts, acct_id = "", "NULL"
    identity = f"coalesce(s.customer_src, {acct_id}, s.email, NULLIF(regexp_replace(s.phone, '[^0-9+]', '', 'g'), ''))"
    key = "order_id, customer_id, order_date, product_id, product_name, quantity, revenue"
    if dedupe:
        copies = (
            f", copies AS (SELECT *, CASE WHEN line_level THEN row_number() OVER (PARTITION BY file_no, {key} "
            "ORDER BY source_row) ELSE 1 END AS _copy_no FROM ided) "
        )
        dup = (
            f"WHEN NOT order_synthesised AND row_number() OVER (PARTITION BY {key}, _copy_no "
            f"ORDER BY file_no, source_row) > 1 THEN '{REASON_DUPLICATE}' "
        )
        source = "copies"
    else:
        copies, dup, source = "", "", "ided"
    # without guest joins and duplicates the classification is a projection: a view is enough
    kind = "TABLE" if (join_guests or dedupe) else "VIEW"
    con.execute(
        f"CREATE OR REPLACE TEMP {kind} {quote_ident(CLASSIFIED_TABLE)} AS "
        f"WITH ided AS (SELECT s.*, {identity} AS customer_id, "
        f"s.customer_src IS NULL AND {acct_id} IS NOT NULL AS joined_guest "
        f"FROM {quote_ident(ALL_TABLE)} s {accounts}) {copies}"
        "SELECT * REPLACE (CASE WHEN reason IS NOT NULL THEN reason "
        f"WHEN customer_id IS NULL THEN '{REASON_NO_IDENTITY}' {dup}"
        f"END AS reason) FROM {source}"
    )


def write_outputs(con) -> None:
    """`orders` (kept rows, canonical schema) and `rejected_rows` (the rest, with reason and raw text)."""
    names = [f.name for f in FIELDS] + ["source_file", "source_row"]
    cols = ", ".join(quote_ident(n) for n in names)
    con.execute(orders_ddl(ORDERS_TABLE))
    con.execute(
        f"INSERT INTO {quote_ident(ORDERS_TABLE)} ({cols}) SELECT {cols} FROM {quote_ident(CLASSIFIED_TABLE)} "
        "WHERE reason IS NULL"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {quote_ident(REJECTED_TABLE)} AS SELECT source_file, source_row, reason, "
        "order_id, customer_id, CAST(order_date AS VARCHAR) AS order_date, revenue, email, product_name, "
        f"status, raw_row FROM {quote_ident(CLASSIFIED_TABLE)} WHERE reason IS NOT NULL"
    )


def ledger_rows(con) -> list[tuple]:
    """(reason or NULL for kept, rows, revenue, guests joined) over every input row."""
    return fetch_all(
        con,
        "SELECT reason, CAST(count(*) AS BIGINT), CAST(sum(coalesce(revenue, 0)) AS DECIMAL(18,2)), "
        f"CAST(sum(CASE WHEN joined_guest THEN 1 ELSE 0 END) AS BIGINT), "
        f"CAST(sum(CASE WHEN order_synthesised THEN 1 ELSE 0 END) AS BIGINT) "
        f"FROM {quote_ident(CLASSIFIED_TABLE)} GROUP BY reason ORDER BY reason NULLS FIRST",
    )


def kept_summary(con) -> tuple:
    """orders, customers, net revenue, first and last order date, zero-value orders of `orders`."""
    return fetch_all(
        con,
        "SELECT CAST(count(DISTINCT order_id) AS BIGINT), CAST(count(DISTINCT customer_id) AS BIGINT), "
        "CAST(sum(revenue) AS DECIMAL(18,2)), CAST(min(order_date) AS DATE), CAST(max(order_date) AS DATE) "
        f"FROM {quote_ident(ORDERS_TABLE)}",
    )[0]


def zero_value_orders(con) -> int:
    return int(
        fetch_all(
            con,
            f"SELECT CAST(count(*) AS BIGINT) FROM (SELECT order_id FROM {quote_ident(ORDERS_TABLE)} "
            "GROUP BY order_id HAVING sum(revenue) = 0)",
        )[0][0]
    )


def currencies(con) -> list[tuple[str, int]]:
    return [
        (r[0], int(r[1]))
        for r in fetch_all(
            con,
            f"SELECT currency, CAST(count(*) AS BIGINT) AS n FROM {quote_ident(ORDERS_TABLE)} "
            "WHERE currency IS NOT NULL GROUP BY currency ORDER BY n DESC, currency",
        )
    ]


def drop_work_tables(con, stages: Sequence[str] = ()) -> None:
    for kind in ("VIEW", "TABLE"):
        for name in (CLASSIFIED_TABLE, ALL_TABLE):
            try:
                con.execute(f"DROP {kind} IF EXISTS {quote_ident(name)}")
            except Exception:  # noqa: BLE001 - DuckDB refuses DROP VIEW on a table and vice versa
                pass
    for s in stages:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(s)}")


def copy_rejected_csv(con, path: str) -> None:
    """Write `rejected_rows` to a CSV file (header, comma separated, UTF-8)."""
    con.execute(f"COPY {quote_ident(REJECTED_TABLE)} TO $path (HEADER, DELIMITER ',')", {"path": path})


def plain_read_csv_table(con, path: str, table: str = "_plain_read_csv") -> int:
    """The benchmark baseline: DuckDB's own `read_csv` of a file into a table, all defaults."""
    con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT * FROM read_csv($path)", {"path": path})
    return int(fetch_all(con, f"SELECT CAST(count(*) AS BIGINT) FROM {quote_ident(table)}")[0][0])
