"""SQL of the ingester: read an export as text, convert it, classify every row, write the ledger.

Every column is read as VARCHAR (so postcodes keep their zeros wherever they appear) and converted
here with TRY_CAST and explicit date assembly, because DuckDB's sniffer misreads dd/mm/yy dates and
decimal commas (FIELD-NOTES.md). Identifiers go through `quote_ident`; user values are bound.
The small fixed vocabularies below (status words, yes/no words) are constants of this module.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from typing import NamedTuple

import duckdb

from retention.schema import FIELDS, ORDERS_TABLE, PROVENANCE, REJECTED_TABLE
from retention.sql import fetch_all, quote_ident

STAGE_PREFIX = "_ingest_stage_"
MAX_LINE_BYTES = 10_000_000  # longest line of an export (a long product description, many tags)

REASON_CANCELLED = "cancelled or failed"
REASON_TEST = "test order"
REASON_NO_DATE = "missing date"
REASON_BAD_DATE = "unparseable date"
REASON_NO_AMOUNT = "missing amount"
REASON_BAD_AMOUNT = "unparseable amount"
REASON_NO_IDENTITY = "missing customer identity"
REASON_DUPLICATE = "duplicate"

# The work table stores a reason as a one-byte code (a VARCHAR column costs 16 bytes a row in an
# in-memory table, 160 MB at 10M rows, even when NULL); the text is given back in the outputs.
REASONS: tuple[str, ...] = (
    REASON_CANCELLED,
    REASON_TEST,
    REASON_NO_DATE,
    REASON_BAD_DATE,
    REASON_NO_AMOUNT,
    REASON_BAD_AMOUNT,
    REASON_NO_IDENTITY,
    REASON_DUPLICATE,
)


def reason_code(reason: str) -> int:
    return REASONS.index(reason) + 1


def reason_text_sql(code: str) -> str:
    """The reason text of a work-table reason code (NULL for kept rows)."""
    arms = " ".join(f"WHEN {reason_code(r)} THEN '{r}'" for r in REASONS)
    return f"CASE {code} {arms} END"


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


def _one_of(expr: str, words: Sequence[str]) -> str:
    """`expr` is one of the fixed `words`.

    A chain of equalities: `expr` is computed once (common subexpression) and each comparison of a
    short constant is cheap; at 10M rows it took 0.28 s against 1.25 s for a search of the words
    joined in one string. Not `expr IN (...)`: DuckDB may plan a long IN list as a join, and a join
    in the stage statement loses the file order the row numbers (rowid) rely on.
    """
    return "(" + " OR ".join(f"{expr} = '{w.replace(chr(39), chr(39) * 2)}'" for w in words) + ")"


def first_of(exprs: Sequence[str]) -> str:
    """The first non-NULL of `exprs`, computing later ones only where needed.

    DuckDB's coalesce() evaluates every argument on every row; CASE evaluates lazily, so the slow
    cleaners run only on the few values the fast cast could not read.
    """
    if len(exprs) == 1:
        return exprs[0]
    head, rest = exprs[0], first_of(exprs[1:])
    return f"CASE WHEN {head} IS NOT NULL THEN {head} ELSE {rest} END"


def text_expr(col: str) -> str:
    """Text without surrounding spaces, NULL when blank.

    `trim` on every row is the most expensive step of a load; values rarely have spaces around
    them, so only those that start or end with one are trimmed. Most values hold no space at all
    (ids, emails, codes), and `contains` finds that faster than the two LIKE tests, which then run
    only on the values with a space (10M lines, 7 text columns, one of them all with inner spaces:
    1.87 s against 2.35 s for LIKE alone, 1.49 s storing the text as read).
    """
    c = quote_ident(col)
    return f"NULLIF(CASE WHEN contains({c}, ' ') AND ({c} LIKE ' %' OR {c} LIKE '% ') THEN trim({c}) ELSE {c} END, '')"


# Around an amount: spaces (also no-break ones, and "1 234,56"), apostrophes ("1'234.50"), a currency
# symbol, or a three-letter currency code at either end ("EUR 12", "12.50 USD").
_AMOUNT_NOISE = "[\\s\u00a0''\u2019]|[\u20ac$\u00a3\u00a5]|^[A-Za-z]{3}|[A-Za-z]{3}$"  # SQL text: '' is one quote


def number_text_expr(col: str, comma_decimal: bool) -> str:
    """Amount text as a plain number with a '.' decimal, or NULL when it is not one amount.

    Each value is read on its own: with both separators the last one is the decimal ("2.000,00"
    and "2,000.00" are both 2000); several groups of three digits are thousands ("1.234.567");
    one separator followed by exactly three digits is ambiguous ("1.234") and follows the file's
    convention (`comma_decimal`); any other single separator is the decimal ("12.5" in a file of
    decimal commas is twelve and a half). Text around the digits other than currency and spaces
    ("10 (was 15)", "3 x 4", "=2+5") makes it no amount, and the row is rejected as unparseable
    instead of its digits being glued together.
    """
    t = f"regexp_replace({quote_ident(col)}, '{_AMOUNT_NOISE}', '', 'g')"
    ambiguous = f"replace(replace({t}, '.', ''), ',', '.')" if comma_decimal else f"replace({t}, ',', '')"
    return (
        f"CASE WHEN NOT regexp_full_match({t}, '[-+]?[0-9]+([.,][0-9]+)*') THEN NULL "
        f"WHEN strpos({t}, ',') = 0 AND strpos({t}, '.') = 0 THEN {t} "
        f"WHEN strpos({t}, ',') > 0 AND strpos({t}, '.') > 0 THEN CASE WHEN regexp_matches({t}, ',[0-9]*$') "
        f"THEN replace(replace({t}, '.', ''), ',', '.') ELSE replace({t}, ',', '') END "
        f"WHEN regexp_full_match({t}, '[-+]?[0-9]{{1,3}}([.,][0-9]{{3}}){{2,}}') "
        f"THEN replace(replace({t}, '.', ''), ',', '') "
        f"WHEN regexp_full_match({t}, '[-+]?[0-9]{{1,3}}[.,][0-9]{{3}}') THEN {ambiguous} "
        f"WHEN regexp_full_match({t}, '[-+]?[0-9]+[.,][0-9]+') THEN replace({t}, ',', '.') END"
    )


def money_expr(col: str, comma_decimal: bool) -> str:
    """DECIMAL(18,2) amount or NULL: handles '€ 1.234,56', '1,234.56 USD', '-12.5'.

    With a decimal point a plain number casts directly (fast path); the symbol-stripping reader
    runs only on what did not cast. With a decimal comma the direct cast would misread '1.234'.
    """
    slow = f"TRY_CAST(NULLIF({number_text_expr(col, comma_decimal)}, '') AS DECIMAL(18,2))"
    if comma_decimal:
        return slow
    return first_of([f"TRY_CAST({quote_ident(col)} AS DECIMAL(18,2))", slow])


def double_expr(col: str, comma_decimal: bool) -> str:
    """DOUBLE or NULL; a plain number casts directly, the rest goes through the amount cleaner."""
    slow = f"TRY_CAST(NULLIF({number_text_expr(col, comma_decimal)}, '') AS DOUBLE)"
    if comma_decimal:
        return slow
    return first_of([f"TRY_CAST({quote_ident(col)} AS DOUBLE)", slow])


# day, month, year, hour, minute, second of 'dd/mm/yyyy hh:mm[:ss]' (or mm/dd, '.' and '-' too)
_DMY_RE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"


def date_parts_expr(col: str) -> str:
    """Struct of the pieces of a 'dd/mm/yy[yy] [hh:mm[:ss]]' date."""
    return f"regexp_extract(trim({quote_ident(col)}), '{_DMY_RE}', ['a', 'b', 'y', 'hh', 'mi', 'ss'])"


def timestamp_expr(col: str, day_first: bool, formats: Sequence[str] = (), iso_first: bool = False) -> str:
    """TIMESTAMP or NULL from the text of a date column.

    Fast path first: the ISO cast (`iso_first`) and the strptime `formats` the sample of the file
    showed. Rows the fast path cannot read go through the general reader: ISO (offset dropped: the
    shop's local time as written), yyyymmdd, 'Jan 5, 2024 10:00:00 AM', or dd/mm/yy[yy]
    [hh:mm[:ss]] (mm/dd/... when `day_first` is False), two-digit years being 20yy.
    """
    c = f"trim({quote_ident(col)})"
    parts = date_parts_expr(col)
    d, m = ("a", "b") if day_first else ("b", "a")
    iso = f"TRY_CAST(replace(left({c}, 19), 'T', ' ') AS TIMESTAMP)"

    def part(name: str) -> str:
        return f"({parts}).{name}"

    assembled = (
        f"TRY_CAST(CASE WHEN length({part('y')}) = 2 THEN '20' || {part('y')} ELSE {part('y')} END || '-' "
        f"|| {part(m)} || '-' || {part(d)} || ' ' || coalesce(NULLIF({part('hh')}, ''), '0') || ':' "
        f"|| coalesce(NULLIF({part('mi')}, ''), '0') || ':' || coalesce(NULLIF({part('ss')}, ''), '0') AS TIMESTAMP)"
    )
    general = (
        f"CASE WHEN regexp_matches({c}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') THEN {iso} "
        f"WHEN regexp_matches({c}, '^\\d{{8}}$') THEN TRY_STRPTIME({c}, '%Y%m%d') "
        # Magento's grid: 'Jan 5, 2024 10:00:00 AM'
        f"WHEN regexp_matches({c}, '^[A-Za-z]{{3}} \\d') THEN coalesce(TRY_STRPTIME({c}, '%b %d, %Y %I:%M:%S %p'), "
        f"TRY_STRPTIME({c}, '%b %d, %Y %H:%M:%S'), TRY_STRPTIME({c}, '%b %d, %Y')) "
        f"WHEN regexp_matches({c}, '{_DMY_RE}') THEN {assembled} END"
    )
    # DuckDB's cast reads ISO with 'T', fractions and offsets, keeping the local time as written
    fast = ([f"TRY_CAST({quote_ident(col)} AS TIMESTAMP)"] if iso_first else []) + [
        f"TRY_STRPTIME({quote_ident(col)}, '{f.replace(chr(39), '')}')" for f in formats
    ]
    return first_of([*fast, general])


def read_csv_sql(
    path_param: str,
    columns: Sequence[str],
    delimiter: str,
    skip: int,
    compression: str,
    parallel: bool,
    types: dict[str, str] | None = None,
    line_bytes: int = MAX_LINE_BYTES,
) -> str:
    """`read_csv` of a prepared file, columns named c1..cN (display names live in Python).

    Every column is VARCHAR except those in `types` (`{"c3": "TIMESTAMP"}`): columns whose sample
    was clean are parsed by the CSV reader itself, which is faster than text plus TRY_CAST; a value
    it cannot parse fails the whole read, and the caller then reads the file again as text.
    `line_bytes`: the longest line accepted; the reader's buffer is sized from it, so a smaller
    one reads less of the file before the first rows come out.
    """
    types = types or {}
    cols = ", ".join(f"'c{i}': '{types.get(f'c{i}', 'VARCHAR')}'" for i in range(1, len(columns) + 1))
    delim = delimiter.replace("'", "''")
    return (
        f"read_csv(${path_param}, auto_detect = false, header = false, skip = {int(skip)}, "
        f"columns = {{{cols}}}, delim = '{delim}', quote = '\"', escape = '\"', comment = '', "
        f"null_padding = true, strict_mode = false, compression = '{compression}', "
        f"parallel = {'true' if parallel else 'false'}, max_line_size = {int(line_bytes)}"
        + (f", buffer_size = {2 * int(line_bytes)})" if line_bytes < MAX_LINE_BYTES else ")")
    )


SAMPLE_ROWS = 5000
# Lines of real exports are far shorter; a file with a longer line in its first rows is sampled
# with the reader of the whole file (MAX_LINE_BYTES).
SAMPLE_LINE_BYTES = 1_000_000


def sample_columns(
    con, sources: Sequence[str], path: str, refs: Sequence[str], limit: int = SAMPLE_ROWS
) -> list[tuple]:
    """The first `limit` values of some columns, to decide date order and decimal separator.

    `sources`: `read_csv` SQL to try in turn. The first is meant to read little: with the whole
    file's reader the sample of a 1M-line export cost 0.15-0.2 s (its buffer is 16 x 10 MB) against
    0.01 s with a 2 MB buffer read serially.
    """
    if not refs:
        return []
    cols = ", ".join(quote_ident(r) for r in refs)
    for source_sql in sources[:-1]:
        try:
            return fetch_all(con, f"SELECT {cols} FROM {source_sql} LIMIT {int(limit)}", {"path": path})
        except duckdb.Error:
            continue  # a line too long for the small buffer: try the next reader
    return fetch_all(con, f"SELECT {cols} FROM {sources[-1]} LIMIT {int(limit)}", {"path": path})


def create_source_file_type(con, names: Sequence[str]) -> str:
    """An ENUM type of the file names of one load, for `source_file`.

    A file name repeated on every row of an in-memory table costs 16 bytes plus its length per
    row (about 500 MB at 10M rows); an ENUM costs one byte, and reads back as the text.
    """
    unique = list(dict.fromkeys(names))
    type_name = f"_ingest_source_file_{uuid.uuid4().hex[:12]}"
    con.execute("CREATE OR REPLACE TEMP TABLE _ingest_file_names (pos INTEGER, name VARCHAR)")
    con.executemany("INSERT INTO _ingest_file_names VALUES (?, ?)", list(enumerate(unique)))
    con.execute(f"CREATE TYPE {quote_ident(type_name)} AS ENUM (SELECT name FROM _ingest_file_names ORDER BY pos)")
    con.execute("DROP TABLE _ingest_file_names")
    return type_name


def drop_unused_source_file_types(con, keep: str) -> None:
    """Drop the file-name ENUM types of earlier loads that no table uses any more."""
    names = fetch_all(
        con,
        "SELECT type_name FROM duckdb_types() WHERE starts_with(type_name, '_ingest_source_file_') "
        "AND type_name <> $keep",
        {"keep": keep},
    )
    for (name,) in names:
        try:
            con.execute(f"DROP TYPE IF EXISTS {quote_ident(name)}")
        except duckdb.Error:
            pass  # still used by a table the caller made from an earlier `orders`


_UNITS = {"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30}
_UNITS["tib"] = 2**40


def _bytes(setting: str) -> float | None:
    m = re.match(r"^\s*([0-9.]+)\s*([a-zA-Z]*)\s*$", setting or "")
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


def limit_memory_for_load(con, limit_bytes: int, temp_dir: str) -> str | None:
    """Lower DuckDB's memory limit for a big load; returns the previous limit to restore, or None.

    In-memory tables are uncompressed; under the limit DuckDB moves their blocks to `temp_dir`
    instead of growing, which bounds the peak of a 10M-line load at a small cost in time.
    """
    previous = str(fetch_all(con, "SELECT current_setting('memory_limit')")[0][0])
    current = _bytes(previous)
    if current is not None and current <= limit_bytes:
        return None
    temp = str(fetch_all(con, "SELECT current_setting('temp_directory')")[0][0])
    if not temp or temp == ".tmp":  # DuckDB's default is relative to the working directory
        try:
            con.execute(f"SET temp_directory = '{temp_dir.replace(chr(39), chr(39) * 2)}'")
        except duckdb.Error:
            pass  # temporary files already in use: keep the directory DuckDB has
    con.execute(f"SET memory_limit = '{int(limit_bytes)}B'")
    return previous


def restore_memory_limit(con, previous: str | None) -> None:
    if previous:
        con.execute(f"SET memory_limit = '{previous.replace(chr(39), '')}'")


def _create_in_file_order(con, name: str, select_sql: str, params: dict) -> str:
    """CREATE TABLE name AS select_sql, keeping the order of the rows (rowid = position in the file)."""
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS {select_sql}", params)
    finally:
        con.execute("SET preserve_insertion_order = false")
    return name


def create_stage(con, stage_no: int, select_sql: str, params: dict) -> str:
    """Materialise one file's classified rows. File order is kept so row numbers are spreadsheet rows.

    Fields the export lacks are not stored at all (a NULL column costs memory and time at 10M rows,
    even when added by ALTER TABLE): the `orders` view gives them as NULL.
    """
    return _create_in_file_order(con, f"{STAGE_PREFIX}{int(stage_no)}", select_sql, params)


RAW_PREFIX = "_ingest_raw_"


def create_raw_lines(con, stage_no: int, source_sql: str, params: dict) -> str:
    """The raw records of a line-item export as a table in file order: its rowid + 1 is the record
    number, which the stage of such a file needs (first line of each order, `source_row`).

    Reading into a table first lets the CSV reader run on every thread; numbering the records
    inside the stage statement took a row_number() window, which reads on one thread and kept a
    copy of every raw column for the aggregate and the join (1M Shopify lines: 2.5-3.1 s for both
    statements against 3.1-3.5 s for the one, same rows).
    """
    return _create_in_file_order(con, f"{RAW_PREFIX}{int(stage_no)}", f"SELECT * FROM {source_sql}", params)


def source_row_sql(con, table: str, offset: int, qualifier: str = "") -> str:
    """`source_row` of `table`: its column, or (stages of whole-row files) rowid + `offset`."""
    prefix = f"{qualifier}." if qualifier else ""
    if "source_row" in table_columns(con, table):
        return f"{prefix}source_row"
    return f"({prefix}rowid + {int(offset)})"


def fill_synthesised_order_ids(con, table: str, source_file: str, offset: int) -> None:
    """Rows without an order number are their own order: '~file:row' (whole-row stages)."""
    t = quote_ident(table)
    con.execute(
        f"UPDATE {t} SET order_id = '~' || $source_file || ':' || CAST(rowid + {int(offset)} AS VARCHAR) "
        "WHERE order_synthesised",
        {"source_file": source_file},
    )


def table_columns(con, table: str) -> set[str]:
    return {r[0] for r in fetch_all(con, f"SELECT * FROM (DESCRIBE {quote_ident(table)})")}


def _col_or_null(name: str, have: set[str]) -> str:
    if name in have:
        return quote_ident(name)
    sql_type = dict(STAGE_COLUMNS)[name]
    return f"CAST(NULL AS {sql_type})"


# Work columns the stage carries besides the canonical ones and provenance; dropped at the end.
WORK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_no", "INTEGER"),
    ("order_synthesised", "BOOLEAN"),
    ("line_level", "BOOLEAN"),
    ("has_customer_id", "BOOLEAN"),  # the customer id came from the export's id column
    ("joined_guest", "BOOLEAN"),
    ("reason", "UTINYINT"),  # code of REASONS, NULL = kept
    ("raw_row", "VARCHAR"),
)
STAGE_COLUMNS: tuple[tuple[str, str], ...] = tuple((f.name, f.sql_type) for f in FIELDS) + PROVENANCE + WORK_COLUMNS


_ALWAYS_STORED = ("order_id", "customer_id", "order_date", "revenue")


def stage_select_sql(
    source_sql: str,
    *,
    exprs: dict[str, str],
    order_expr: str | None,
    reason_sql: str,
    raw_cols: Sequence[str],
    skip: int,
    line_items: bool,
    order_fields: Sequence[str],
    shopify_revenue: bool,
    pre: dict[str, str] | None = None,
    source_type: str | None = None,
    store: Collection[str] | None = None,
    refund_column: bool = False,
) -> str:
    """SELECT turning one raw file into stage rows (one per input record).

    `exprs` maps stage column -> SQL over the raw columns c1..cN; missing columns become NULL.
    `source_sql`: the `read_csv` of the file; for `line_items` exports, the table of its raw
    records in file order (`create_raw_lines`), whose rowid numbers the lines. Their order-level
    values (`order_fields`) are filled from the first line of the order onto every line (grouped
    by order number within the file).
    `store`: the canonical fields written to the stage (None: every one the export has); the
    others are still read and used by the cleaning rules, then left out (each text column of 10M
    rows costs about 0.25 s of a load to store). `refund_column`: the export has a refunded amount
    (else `refunded` is used by the revenue rule but not stored: the `orders` view gives NULL).
    """
    # the raw text is assembled only for rejected rows, at the very end (cheap for kept rows)
    raw = "concat_ws(' | ', " + ", ".join(f"coalesce(CAST({quote_ident(c)} AS VARCHAR), '')" for c in raw_cols) + ")"
    raw_list = ", ".join(quote_ident(c) for c in raw_cols)
    # Row numbers: a streaming row_number() window forces the whole read onto one thread (it took
    # twice the time of the parallel read at 10M lines). Files of whole rows do without it: the
    # stage keeps file order, so its rowid is the row number, and `source_row` is derived from it
    # (`source_row_sql`). Line-item exports need numbers inside the statement (first line of an
    # order): they come from the rowid of the raw table read beforehand (`create_raw_lines`).
    base_cols = ["rowid + 1 AS _rn", "*"] if line_items else ["*"]
    base_cols += [f"{sql} AS {quote_ident(name)}" for name, sql in (pre or {}).items()]
    # NOT MATERIALIZED (line items, read by the aggregate and by the join): scanning the raw table
    # twice costs less than copying it into a temporary result
    parts = [f"WITH src AS NOT MATERIALIZED (SELECT {', '.join(base_cols)} FROM {source_sql})"]
    # 1. typed values per raw record
    typed = [f"{sql} AS {quote_ident(name)}" for name, sql in exprs.items()]
    oid = order_expr or "NULL"
    parts.append(
        f", typed AS NOT MATERIALIZED (SELECT {'_rn, ' if line_items else ''}{oid} AS _order_raw, "
        f"{', '.join(typed) or 'NULL AS _none'}, {raw_list} FROM src)"
    )
    prev = "typed"
    if line_items:
        # Order-level values sit on the first line of each order: take each order's value (max of
        # the non-empty ones) with one GROUP BY and join it back to every line. A row without an
        # order number is its own order. (A hash aggregate and join cost far less than windows.)
        key = first_of(["_order_raw", "'~' || CAST(_rn AS VARCHAR)"])
        gross = (
            ", (coalesce(_unit_price, 0) * CAST(coalesce(quantity, 1) AS DECIMAL(18,4)) "
            "- coalesce(_line_discount, 0)) AS _gross"
            if shopify_revenue
            else ""
        )
        # NOT MATERIALIZED: read twice (aggregate and join), and inlining lets each read take only
        # the columns it needs instead of spilling every raw column into a temporary result
        parts.append(f", lines AS NOT MATERIALIZED (SELECT *, {key} AS _okey{gross} FROM {prev})")
        # any_value skips NULLs: the first line's value, without max()'s string comparisons
        aggs = [f"any_value({quote_ident(f)}) AS {quote_ident(f)}" for f in order_fields]
        if shopify_revenue:
            aggs += ["sum(_gross) AS _order_gross", "count(*) AS _n_lines", "min(_rn) AS _first_rn"]
        parts.append(f", agg AS (SELECT _okey, {', '.join(aggs)} FROM lines GROUP BY _okey)")
        others = [n for n in exprs if n not in order_fields]
        line_cols = ["_rn", "_order_raw", *raw_cols, "_okey", *others] + (["_gross"] if shopify_revenue else [])
        agg_cols = [*order_fields] + (["_order_gross", "_n_lines", "_first_rn"] if shopify_revenue else [])
        parts.append(
            ", filled AS NOT MATERIALIZED (SELECT "
            + ", ".join([f"l.{quote_ident(c)}" for c in line_cols] + [f"a.{quote_ident(c)}" for c in agg_cols])
            + " FROM lines l JOIN agg a ON l._okey = a._okey)"
        )
        prev = "filled"
    if shopify_revenue:
        parts.append(shopify_revenue_ctes(prev))
        prev = "alloc"
    sources = [n for n in ("customer_src", "email") if n in exprs]
    if "phone" in exprs:
        sources.append("NULLIF(regexp_replace(phone, '[^0-9+]', '', 'g'), '')")
    identity = first_of(sources) if sources else "CAST(NULL AS VARCHAR)"
    parts.append(f", ided AS (SELECT *, {identity} AS _customer_id FROM {prev})")
    reason = reason_sql.replace(" END)", f" WHEN _customer_id IS NULL THEN {reason_code(REASON_NO_IDENTITY)} END)")
    parts.append(f", judged AS (SELECT *, {reason} AS _reason FROM ided)")
    values = {
        "order_id": (
            first_of(["_order_raw", f"'~' || $source_file || ':' || CAST(_rn + {int(skip)} AS VARCHAR)"])
            if line_items
            else "_order_raw"  # synthesised afterwards from the rowid (`fill_synthesised_order_ids`)
        ),
        "customer_id": "_customer_id",
        "source_file": f"CAST($source_file AS {quote_ident(source_type)})" if source_type else "$source_file",
        "source_row": f"_rn + {int(skip)}" if line_items else None,
        # file_no and line_level are the same on every row of a file, and joined_guest is false until
        # guests are joined: not stored per row (at 10M lines they made the table 0.1 GB larger, and
        # past the load's memory limit), added by combine_stages / join_guests_to_accounts
        "file_no": None,
        "order_synthesised": "_order_raw IS NULL",
        "line_level": None,
        "joined_guest": None,
        "has_customer_id": "customer_src IS NOT NULL" if "customer_src" in exprs else "false",
        "reason": "_reason",
        "raw_row": f"CASE WHEN _reason IS NOT NULL THEN {raw} END",
    }
    cols = []
    for n, t in STAGE_COLUMNS:
        if n in values and values[n] is None:
            continue
        if n in values:
            v = values[n]
            if n == "source_file" and source_type:
                cols.append(f"{v} AS {quote_ident(n)}")
                continue
        elif n in exprs or n == "revenue" or (n == "refunded" and refund_column):
            if store is not None and n not in store and n not in _ALWAYS_STORED:
                continue
            v = quote_ident(n)
        else:
            continue  # absent from this export: added as an empty column afterwards, at no cost
        cols.append(f"CAST({v} AS {t}) AS {quote_ident(n)}")
    parts.append(f"SELECT {', '.join(cols)} FROM judged")
    return "\n".join(parts)


def shopify_revenue_ctes(prev: str) -> str:
    """Net line revenue of a Shopify order (see `cleaning.SHOPIFY_REVENUE_RULE`).

    Expects per line `_okey`, `_rn`, `_gross`, and per order `_order_gross`, `_n_lines`,
    `_first_rn`, `_order_subtotal`, `refunded` (order level). Produces `revenue` and `refunded` per
    line; the cents lost to rounding go to the order's first line.
    """
    return (
        ", shares AS NOT MATERIALIZED (SELECT *, "
        "CASE WHEN _order_gross > 0 THEN CAST(_gross AS DOUBLE) / CAST(_order_gross AS DOUBLE) "
        "ELSE 1.0 / _n_lines END AS _share, "
        "greatest(coalesce(_order_subtotal, _order_gross) - coalesce(refunded, 0), 0) AS _order_net "
        f"FROM {prev})"
        ", rounded AS NOT MATERIALIZED (SELECT * REPLACE ("
        "CAST(round(CAST(refunded AS DOUBLE) * _share, 2) AS DECIMAL(18,2)) "
        "AS refunded), CAST(round(CAST(_order_net AS DOUBLE) * _share, 2) AS DECIMAL(18,2)) AS _rev FROM shares)"
        ", remainders AS (SELECT _okey AS _rem_okey, CAST(max(_order_net) - sum(_rev) AS DECIMAL(18,2)) AS _rem "
        "FROM rounded WHERE _n_lines > 1 GROUP BY _okey)"
        ", alloc AS (SELECT r.*, CAST(r._rev + CASE WHEN r._rn = r._first_rn THEN coalesce(m._rem, 0) ELSE 0 END "
        "AS DECIMAL(18,2)) AS revenue FROM rounded r LEFT JOIN remainders m ON r._okey = m._rem_okey)"
    )


def first_name_expr(full: str) -> str:
    """First token of a full name (the whole name when it has one word)."""
    return f"CASE WHEN strpos({full}, ' ') > 0 THEN left({full}, strpos({full}, ' ') - 1) ELSE {full} END"


def last_name_expr(full: str) -> str:
    """Everything after the first token of a full name, NULL for a one-word name."""
    return f"CASE WHEN strpos({full}, ' ') > 0 THEN NULLIF(trim(substr({full}, strpos({full}, ' ') + 1)), '') END"


def status_reason_sql(
    status: str | None,
    cancelled_at: str | None,
    test: str | None,
    gateway: str | None = None,
    tags: str | None = None,
) -> str:
    """CASE arms rejecting cancelled, failed and test orders (empty string when nothing applies).

    Test orders: a status `test`; a test flag column (`test`/`true`/`yes`, Stripe `Mode` = Test);
    a payment gateway that is a test gateway (its name contains `bogus`, Shopify's Bogus Gateway,
    or the word `test`, as WooCommerce's and PrestaShop's test-payment modules are named); a tag
    `test` in a comma-separated tag list (Shopify `Tags`). Cancellation is looked at first.
    """
    arms = []
    if cancelled_at:
        arms.append(f"WHEN {cancelled_at} IS NOT NULL THEN {reason_code(REASON_CANCELLED)}")
    if status:
        arms.append(f"WHEN {_one_of(f'lower({status})', _CANCELLED_WORDS)} THEN {reason_code(REASON_CANCELLED)}")
        arms.append(f"WHEN lower({status}) = 'test' THEN {reason_code(REASON_TEST)}")
    if test:
        arms.append(f"WHEN {_one_of(f'lower({test})', _TEST_WORDS)} THEN {reason_code(REASON_TEST)}")
    if gateway:
        arms.append(
            f"WHEN lower({gateway}) LIKE '%bogus%' OR regexp_matches(lower({gateway}), '(^|[^a-z])test([^a-z]|$)') "
            f"THEN {reason_code(REASON_TEST)}"
        )
    if tags:
        arms.append(f"WHEN regexp_matches(lower({tags}), '(^|,)\\s*test\\s*(,|$)') THEN {reason_code(REASON_TEST)}")
    return " ".join(arms)


def boolean_expr(col: str) -> str:
    t = f"lower(trim({quote_ident(col)}))"
    return f"CASE WHEN {_one_of(t, _TRUE_WORDS)} THEN true WHEN {_one_of(t, _FALSE_WORDS)} THEN false END"


WORK_TABLE = "_ingest_work"


def combine_stages(con, stages: Sequence[str], offsets: Sequence[int], line_levels: Sequence[bool]) -> str:
    """One work table of all files' stage rows. One file: its stage table is the work table (no copy).

    `offsets`: per stage, what its rowid adds up to for `source_row` (stages without the column).
    `line_levels`: per stage, whether its file has order lines (a product column). Several files
    get the columns `file_no` (0, 1, ...) and `line_level`; one file does without them
    (`_file_no_sql`, `_line_level_sql`: one value for every row).
    """
    if len(stages) == 1:
        return stages[0]
    have = [table_columns(con, s) for s in stages]
    present = [n for n, _ in STAGE_COLUMNS if n == "source_row" or any(n in h for h in have)]

    def col(n: str, h: set[str], no: int, off: int, line_level: bool) -> str:
        if n == "source_row" and n not in h:
            return f"CAST(rowid + {int(off)} AS BIGINT)"
        if n == "file_no":
            return f"CAST({int(no)} AS INTEGER)"
        if n == "line_level":
            return "true" if line_level else "false"
        return _col_or_null(n, h)

    present += [n for n in ("file_no", "line_level") if n not in present]
    union = " UNION ALL ".join(
        f"SELECT {', '.join(f'{col(n, h, no, off, ll)} AS {quote_ident(n)}' for n in present)} FROM {quote_ident(s)}"
        for no, (s, h, off, ll) in enumerate(zip(stages, have, offsets, line_levels, strict=True))
    )
    con.execute(f"CREATE OR REPLACE TABLE {quote_ident(WORK_TABLE)} AS {union}")
    for s in stages:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(s)}")
    return WORK_TABLE


def _file_no_sql(have: set[str], qualifier: str = "") -> str:
    """The file number of a work row: its column, or 0 in the work table of one file.
    `qualifier`: the table, already quoted."""
    return f"{qualifier + '.' if qualifier else ''}file_no" if "file_no" in have else "0"


def _line_level_sql(have: set[str], line_level: bool) -> str:
    """Whether a work row comes from a file of order lines: its column, or the one file's `line_level`."""
    if "line_level" in have:
        return "line_level"
    return "true" if line_level else "false"


def join_guests_to_accounts(con, work: str) -> None:
    """Guest orders (no customer id, an email) take the id of the account with the same email
    (the smallest id when several accounts share it)."""
    w = quote_ident(work)
    # the grouping of every email costs seconds at 10M rows: skip it when there is no guest row
    guests = fetch_all(
        con,
        f"SELECT count(*) FROM (SELECT 1 FROM {w} WHERE NOT has_customer_id AND email IS NOT NULL "
        "AND reason IS NULL LIMIT 1)",
    )[0][0]
    if not guests:
        return
    if "joined_guest" not in table_columns(con, work):  # not stored until a guest is joined
        con.execute(f"ALTER TABLE {w} ADD COLUMN joined_guest BOOLEAN DEFAULT false")
    con.execute(
        f"UPDATE {w} SET customer_id = acct.account_id, joined_guest = true "
        f"FROM (SELECT email AS account_email, min(customer_id) AS account_id FROM {w} "
        "WHERE has_customer_id AND email IS NOT NULL AND reason IS NULL GROUP BY email) acct "
        f"WHERE NOT {w}.has_customer_id AND {w}.email = acct.account_email"
    )


def mark_duplicates(con, work: str, row_offset: int = 0, line_level: bool = False) -> None:
    """Reason 'duplicate' for the repeats of an order line.

    Key: order number, customer, date, product id and name, quantity, revenue. In files of order
    lines (`line_level`: a product column is mapped) two identical lines of one order in one file
    are real (two of the same item on separate lines), so there the n-th copy in a file is only a
    duplicate of the n-th copy in an earlier file (overlapping exports). In files of whole orders a
    repeated order is a duplicate wherever it appears. Rows whose order number was synthesised are
    never duplicates. `line_level`: the file's kind, for the work table of one file (which has no
    `line_level` column; see combine_stages).

    First, by whole orders: an order (order number and customer) whose lines are in several files of
    order lines is kept from the file holding the most of its lines (the earliest file on a tie), and
    its lines in the other files are duplicates. An export that ends inside an order holds only its
    first lines, and where a line's revenue is a share of the order's value (Shopify) those lines
    differ from the complete copy's, so the line key alone would count the order twice.
    """
    w = quote_ident(work)
    have = table_columns(con, work)
    fno, fno_w = _file_no_sql(have), _file_no_sql(have, w)
    ll = _line_level_sql(have, line_level)
    if "file_no" in have:  # whole orders in several files
        con.execute(
            f"UPDATE {w} SET reason = {reason_code(REASON_DUPLICATE)} FROM ("
            "SELECT order_id AS d_order, customer_id AS d_customer, file_no AS d_file FROM ("
            "SELECT order_id, customer_id, file_no, row_number() OVER ("
            "PARTITION BY order_id, customer_id ORDER BY count(*) DESC, file_no) AS pick "
            f"FROM {w} WHERE reason IS NULL AND line_level AND NOT order_synthesised "
            "GROUP BY order_id, customer_id, file_no) WHERE pick > 1) d "
            f"WHERE {w}.reason IS NULL AND {w}.line_level AND {w}.order_id = d.d_order "
            f"AND {w}.customer_id = d.d_customer AND {w}.file_no = d.d_file"
        )
    key_cols = ("order_id", "customer_id", "order_date", "product_id", "product_name", "quantity", "revenue")
    key = ", ".join(quote_ident(c) for c in key_cols if c in have)
    row = source_row_sql(con, work, row_offset)
    row_w = source_row_sql(con, work, row_offset, qualifier=w)
    con.execute(
        f"UPDATE {w} SET reason = {reason_code(REASON_DUPLICATE)} FROM ("
        "SELECT d_file, source_row AS d_row FROM ("
        f"SELECT d_file, source_row, row_number() OVER (PARTITION BY {key}, copy_no "
        "ORDER BY d_file, source_row) AS seen FROM ("
        f"SELECT {fno} AS d_file, {row} AS source_row, {key}, CASE WHEN {ll} THEN row_number() OVER ("
        f"PARTITION BY {fno}, {key} ORDER BY {row}) ELSE 1 END AS copy_no "
        f"FROM {w} WHERE reason IS NULL AND NOT order_synthesised)) WHERE seen > 1) d "
        f"WHERE {fno_w} = d.d_file AND {row_w} = d.d_row"
    )


def ledger_rows(con, work: str) -> list[tuple]:
    """(reason or NULL for kept, rows, revenue, guest rows joined, synthesised order ids) per reason."""
    return fetch_all(
        con,
        f"SELECT {reason_text_sql('reason')}, CAST(count(*) AS BIGINT), "
        "CAST(sum(coalesce(revenue, 0)) AS DECIMAL(18,2)), "
        f"CAST(sum(CASE WHEN {_col_or_null('joined_guest', table_columns(con, work))} THEN 1 ELSE 0 END) AS BIGINT), "
        "CAST(sum(CASE WHEN order_synthesised THEN 1 ELSE 0 END) AS BIGINT) "
        f"FROM {quote_ident(work)} GROUP BY reason ORDER BY reason NULLS FIRST",
    )


ROWS_TABLE = "_ingest_rows"


def _drop_relation(con, name: str) -> None:
    kind = fetch_all(
        con,
        "SELECT table_type FROM information_schema.tables WHERE table_name = $name AND table_schema = 'main'",
        {"name": name},
    )
    if kind:
        con.execute(f"DROP {'VIEW' if kind[0][0] == 'VIEW' else 'TABLE'} IF EXISTS {quote_ident(name)}")


def write_outputs(con, work: str, row_offset: int = 0) -> None:
    """`orders` (the kept rows) and `rejected_rows` (reason, provenance, main fields, raw text).

    Both are views over one table of every input row (`_ingest_rows`, the work table renamed),
    filtered on the one-byte reason code: no copy of the rejected rows, no DELETE, and fields the
    exports lack cost nothing (NULL in the view). Any previous `orders` and `rejected_rows`
    (views or tables) are replaced.
    """
    have = table_columns(con, work)
    row = source_row_sql(con, work, row_offset)
    # First: no moment where an old load's token could vouch for this load's rows.
    con.execute(f"DROP TABLE IF EXISTS {quote_ident(LOAD_TABLE)}")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident(ORDER_TOTALS_TABLE)}")
    for name in (ORDERS_TABLE, REJECTED_TABLE):
        _drop_relation(con, name)
    if work != ROWS_TABLE:
        _drop_relation(con, ROWS_TABLE)
        con.execute(f"ALTER TABLE {quote_ident(work)} RENAME TO {quote_ident(ROWS_TABLE)}")
    rows = quote_ident(ROWS_TABLE)
    order_cols = [f.name for f in FIELDS] + [n for n, _ in PROVENANCE]
    con.execute(
        f"CREATE VIEW {quote_ident(ORDERS_TABLE)} AS SELECT "
        + ", ".join(f"{row if n == 'source_row' else _col_or_null(n, have)} AS {quote_ident(n)}" for n in order_cols)
        + f" FROM {rows} WHERE reason IS NULL"
    )
    rejected = [
        f"CAST({_col_or_null('source_file', have)} AS VARCHAR) AS source_file",
        f"{row} AS source_row",
        f"{reason_text_sql('reason')} AS reason",
        "order_id",
        "customer_id",
        "CAST(order_date AS VARCHAR) AS order_date",
        "revenue",
        *(f"{_col_or_null(n, have)} AS {quote_ident(n)}" for n in ("email", "product_name", "status", "raw_row")),
    ]
    con.execute(
        f"CREATE VIEW {quote_ident(REJECTED_TABLE)} AS SELECT {', '.join(rejected)} FROM {rows} "
        f"WHERE reason IS NOT NULL ORDER BY {'file_no, ' if 'file_no' in have else ''}{row}"
    )


# One row naming the load that wrote `orders`: a token new at every load, the text of the view, the
# number of distinct customers in it and whether ORDER_TOTALS_TABLE holds its orders, when the load
# counted them.
LOAD_TABLE = "_ingest_load"
# One row per order of the load's `orders` (sql/cohorts.py order_totals_sql), written when the load
# counts orders and customers; dropped with LOAD_TABLE when the next load starts writing.
ORDER_TOTALS_TABLE = "_ingest_order_totals"


class Load(NamedTuple):
    token: str
    customers: int | None  # count(DISTINCT customer_id) of the load's orders; None: not counted
    totals: str | None = None  # the table of the load's orders (ORDER_TOTALS_TABLE), None: not written


def record_load(con, customers: int | None, *, totals: bool = False) -> None:
    """Name the load that just wrote `orders` (see `load_of`); the last step of a load.
    `totals`: ORDER_TOTALS_TABLE holds this load's orders (`write_order_totals`)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {quote_ident(LOAD_TABLE)} AS SELECT CAST($token AS VARCHAR) AS token, "
        "sql AS orders_sql, CAST($customers AS BIGINT) AS customers, CAST($totals AS BOOLEAN) AS totals "
        "FROM duckdb_views() WHERE view_name = $name AND schema_name = 'main' AND NOT temporary",
        {"token": uuid.uuid4().hex, "customers": customers, "totals": totals, "name": ORDERS_TABLE},
    )


def load_of(con, table: str) -> Load | None:
    """The load whose rows `table` shows, or None when `table` is anything else.

    `table` is that load's `orders` when it is still the view the load created (same SQL text) over
    `_ingest_rows`, which nothing changes after a load. A table or view of the same name created
    later, or a later load, does not match. Costs a catalog lookup instead of a scan of the rows.
    """
    if not fetch_all(
        con,
        "SELECT 1 FROM information_schema.tables WHERE table_name = $name AND table_schema = 'main'",
        {"name": LOAD_TABLE},
    ):
        return None
    row = fetch_all(
        con,
        f"SELECT l.token, l.customers, l.totals FROM {quote_ident(LOAD_TABLE)} AS l "
        "JOIN duckdb_views() AS v ON v.sql = l.orders_sql "
        "WHERE v.view_name = $name AND v.schema_name = 'main' AND NOT v.temporary "
        # nothing else of that name (a temporary table would be read instead of the view)
        "AND (SELECT count(*) FROM information_schema.tables WHERE table_name = $name) = 1",
        {"name": table},
    )
    if len(row) != 1:
        return None
    token, customers, totals = row[0]
    return Load(token, None if customers is None else int(customers), ORDER_TOTALS_TABLE if totals else None)


def kept_summary(con, *, distinct_counts: bool = True) -> tuple:
    """orders, customers, net revenue, first and last order date, smallest and largest currency of `orders`.

    Without `distinct_counts` the orders and customers are None and no order totals are written
    (`write_order_totals`, the costly part: about 1.3 s at 10M lines); a caller that counts
    customers itself can skip it.
    The currency bounds come with the same scan: when they are equal there is one currency (or
    none), and the per-currency count (`currencies`) is not needed.
    """
    t = quote_ident(ORDERS_TABLE)
    revenue, dmin, dmax, cur_min, cur_max = fetch_all(
        con,
        f"SELECT CAST(sum(revenue) AS DECIMAL(18,2)), CAST(min(order_date) AS DATE), "
        f"CAST(max(order_date) AS DATE), min(currency), max(currency) FROM {t}",
    )[0]
    orders = customers = None
    if distinct_counts:
        orders, customers = write_order_totals(con)
    return orders, customers, revenue, dmin, dmax, cur_min, cur_max


def write_order_totals(con) -> tuple[int, int]:
    """Write ORDER_TOTALS_TABLE, one row per order of `orders`; returns (orders, customers).

    An order is a distinct (customer_id, order_id), as in every KPI. Counting them costs one
    aggregation of the lines, which the history of the orders (history.py) would do again: grouping
    them once here costs the load about 0.5 s more at 10M lines than counting distinct ids did, and
    saves the first KPI or cohort query 1.2 s.
    """
    from retention.sql.cohorts import order_totals_sql

    con.execute(order_totals_sql(ORDERS_TABLE, ORDER_TOTALS_TABLE))
    totals = quote_ident(ORDER_TOTALS_TABLE)
    orders, customers = fetch_all(
        con, f"SELECT CAST(count(*) AS BIGINT), CAST(count(DISTINCT customer_id) AS BIGINT) FROM {totals}"
    )[0]
    return int(orders), int(customers)


def zero_value_orders(con) -> int:
    return int(
        fetch_all(
            con,
            f"SELECT CAST(count(*) AS BIGINT) FROM (SELECT order_id FROM {quote_ident(ORDERS_TABLE)} "
            "GROUP BY order_id HAVING sum(revenue) = 0)",
        )[0][0]
    )


def currencies(con) -> list[str]:
    """The currencies of `orders`, the most frequent first."""
    return [
        r[0]
        for r in fetch_all(
            con,
            f"SELECT currency, CAST(count(*) AS BIGINT) AS n FROM {quote_ident(ORDERS_TABLE)} "
            "WHERE currency IS NOT NULL GROUP BY currency ORDER BY n DESC, currency",
        )
    ]


def drop_table(con, name: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def drop_work_tables(con, stages: Sequence[str] = ()) -> None:
    """Remove what a failed load left behind."""
    for name in (*stages, WORK_TABLE):
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def copy_rejected_csv(con, path: str) -> None:
    """Write `rejected_rows` to a CSV file (header, comma separated, UTF-8)."""
    # the view's ORDER BY (file, row) holds in the file only with insertion order kept
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"COPY {quote_ident(REJECTED_TABLE)} TO $path (HEADER, DELIMITER ',')", {"path": path})
    finally:
        con.execute("SET preserve_insertion_order = false")


def plain_read_csv_table(con, path: str, table: str = "_plain_read_csv") -> int:
    """The benchmark baseline: DuckDB's own `read_csv` of a file into a table, all defaults."""
    con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT * FROM read_csv($path)", {"path": path})
    return int(fetch_all(con, f"SELECT CAST(count(*) AS BIGINT) FROM {quote_ident(table)}")[0][0])
