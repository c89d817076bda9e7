"""Ingest shop order exports into the canonical `orders` table, with a ledger of every row.

Public surface:
- `load_orders(con, files, *, mapping=None, rejected_path=None, progress=None) -> IngestReport`
- `inspect_files(files, *, mapping=None) -> Inspection` (what the app's mapping editor shows)
- `save_mapping(mapping, path)`, `load_mapping(path)` (reuse a corrected mapping)

`files` items are paths or in-memory uploads `(file name, bytes)`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from retention.errors import UserInputError
from retention.i18n import note_text
from retention.ingest.cleaning import (
    SHOPIFY_REVENUE_RULE,
    FileSettings,
    build_stage_sql,
    decide_comma_decimal,
    decide_currency,
    decide_date_formats,
    decide_day_first,
    decide_typed_columns,
)
from retention.ingest.formats import BASIS_CODES, GENERIC, ExportFormat, recognise_format
from retention.ingest.mapping import (
    MAPPABLE,
    MappingGuess,
    apply_user_mapping,
    check_user_mapping,
    guess_mapping,
    load_mapping,
    save_mapping,
)
from retention.ingest.reader import PreparedFile, prepare_file, reprepare_as_decoded
from retention.sql import ingest as q
from retention.sql import quote_ident

__all__ = [
    "FileInspection",
    "IngestReport",
    "Inspection",
    "MAPPABLE",
    "MAPPING_FIXES",
    "SHOPIFY_REVENUE_RULE",
    "inspect_files",
    "ledger_balances",
    "ledger_table",
    "load_mapping",
    "load_orders",
    "require_rows_kept",
    "save_mapping",
]

FileItem = str | Path | tuple[str, bytes]
# UserInputError codes of a load that naming a column fixes (`mapping={"order_date": ...}`)
MAPPING_FIXES = ("no_date_column", "no_amount_column", "nothing_kept")
Progress = Callable[[float, str], None]


@dataclass
class FileInspection:
    """What was recognised in one file, for the mapping editor."""

    name: str
    format: str
    format_label: str
    columns: list[str]
    sample_rows: list[list[str]]
    mapping: dict[str, str]
    confidence: dict[str, float]
    how: dict[str, str]
    delimiter: str
    has_header: bool
    encoding: str
    how_notes: dict[str, dict[str, str]] = field(default_factory=dict)  # `how` as data: `retention.i18n.how_text`

    @property
    def guessed(self) -> list[str]:
        return sorted(f for f, c in self.confidence.items() if c < 1.0)


@dataclass
class Inspection:
    files: list[FileInspection]

    @property
    def format(self) -> str:
        names = {f.format for f in self.files}
        return names.pop() if len(names) == 1 else "mixed"

    @property
    def mapping(self) -> dict[str, str]:
        """The first file's proposed mapping (files of one shop share their layout)."""
        return dict(self.files[0].mapping) if self.files else {}


@dataclass
class IngestReport:
    """The data-quality ledger. Revenue is net (see `retention.ingest.cleaning`), shop currency."""

    format: str
    mapping: dict[str, str]
    rows_in: int
    rows_kept: int
    orders: int | None  # None when the caller asked not to count them (`load_orders(count_ids=False)`)
    customers: int | None
    revenue: float
    dropped: dict[str, int]
    date_min: str | None
    date_max: str | None
    currency: str | None
    warnings: list[str]
    revenue_in: float = 0.0
    revenue_dropped: dict[str, float] = field(default_factory=dict)
    guessed: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    synthesised_order_ids: int = 0
    guests_joined: int = 0
    zero_value_orders: int = 0
    revenue_basis: str = ""
    # The warnings as data, for the app to say in the user's language (`retention.i18n` keys
    # `note.<code>`): each is {"code": ..., plus the values the sentence needs}.
    notes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _item_name(item: FileItem) -> str:
    return Path(str(item[0] if isinstance(item, tuple) else item)).name


def _as_list(files) -> list[FileItem]:
    if isinstance(files, (str, Path)) or (isinstance(files, tuple) and len(files) == 2 and isinstance(files[1], bytes)):
        return [files]
    items = list(files)
    if not items:
        raise UserInputError("no file was given; choose at least one order export.")
    return items


def _inspect_one(item: FileItem, user: dict[str, str]) -> tuple[PreparedFile, ExportFormat, MappingGuess, list[str]]:
    positional = bool(user) and all(v.strip().isdigit() for v in user.values() if v)
    pf = prepare_file(item, positional=positional)
    fmt = recognise_format(pf.columns) if pf.has_header else GENERIC
    guess = guess_mapping(pf.columns, pf.sample_rows, fmt)
    missing = apply_user_mapping(guess, pf.columns, user)
    return pf, fmt, guess, missing


def inspect_files(files, *, mapping: dict[str, str] | None = None) -> Inspection:
    """Recognise each file's format and propose a mapping, without loading anything."""
    user = dict(mapping or {})
    check_user_mapping(user)
    out = []
    for item in _as_list(files):
        pf, fmt, guess, _missing = _inspect_one(item, user)
        pf.cleanup()
        out.append(
            FileInspection(
                name=pf.name,
                format=fmt.name,
                format_label=fmt.label,
                columns=pf.columns,
                sample_rows=pf.sample_rows[:20],
                mapping=dict(guess.mapping),
                confidence=dict(guess.confidence),
                how=dict(guess.how),
                how_notes=dict(guess.how_notes),
                delimiter=pf.delimiter,
                has_header=pf.has_header,
                encoding=pf.encoding,
            )
        )
    return Inspection(files=out)


def _settings(con, pf: PreparedFile, fmt: ExportFormat, mapping: dict[str, str], source_sql: str) -> FileSettings:
    pos = {name: f"c{i}" for i, name in enumerate(pf.columns, start=1)}
    date_col = pos.get(mapping.get("order_date", ""))
    money_cols = list(
        dict.fromkeys(
            pos[mapping[f]]
            for f in ("revenue", "unit_price", "refunded", "order_subtotal", "line_discount")
            if mapping.get(f) in pos
        )
    )
    qty_col = pos.get(mapping.get("quantity", ""))
    refs = ([date_col] if date_col else []) + money_cols + ([qty_col] if qty_col else [])
    sample_sql = q.read_csv_sql(
        "path", pf.columns, pf.delimiter, pf.skip, pf.compression, False, line_bytes=q.SAMPLE_LINE_BYTES
    )
    rows = q.sample_columns(con, [sample_sql, source_sql], pf.path, refs) if refs else []
    settings = FileSettings()
    italian = any(w in " ".join(pf.columns).lower() for w in ("data", "totale", "importo", "ordine", "cliente"))
    if date_col:
        default = True if fmt.day_first is None else fmt.day_first
        settings.day_first, settings.dates_ambiguous = decide_day_first([r[0] for r in rows], default)
        settings.iso_dates, settings.date_formats = decide_date_formats([r[0] for r in rows], settings.day_first)
    offset = 1 if date_col else 0
    money_values = [v for r in rows for v in r[offset : offset + len(money_cols)] if v]
    settings.comma_decimal = decide_comma_decimal(money_values, default=italian)
    if "currency" not in mapping:
        settings.currency = decide_currency(money_values)
    samples: dict[str, tuple[str, list[str]]] = {}
    if date_col:
        samples[date_col] = ("date", [r[0] for r in rows])
    for i, c in enumerate(money_cols):
        samples[c] = ("money", [r[offset + i] for r in rows])
    if qty_col and qty_col not in samples:
        samples[qty_col] = ("quantity", [r[-1] for r in rows])
    # a sample that is the whole file proves nothing more than the text reading would: keep it
    # simple for small files, where the typed reading saves nothing measurable
    if len(rows) >= q.SAMPLE_ROWS:
        settings.typed = decide_typed_columns(samples, settings)
    return settings


def _stage_file(
    con,
    item: FileItem,
    pf: PreparedFile,
    fmt: ExportFormat,
    mapping: dict[str, str],
    file_no: int,
    source_type: str | None = None,
    store: Collection[str] | None = None,
) -> tuple[str, FileSettings]:
    use_typed = True
    parallel = True
    for _attempt in range(5):
        # parallel reading first; DuckDB needs the serial reader for quoted newlines with ragged rows
        text_sql = q.read_csv_sql("path", pf.columns, pf.delimiter, pf.skip, pf.compression, parallel)
        typed: dict[str, str] = {}
        try:
            settings = _settings(con, pf, fmt, mapping, text_sql)
            if not use_typed:
                settings.typed = {}
            typed = settings.typed
            source_sql = q.read_csv_sql(
                "path", pf.columns, pf.delimiter, pf.skip, pf.compression, parallel, types=typed
            )
            line_items = fmt.line_items and "order_id" in mapping
            params = {"path": pf.path, "source_file": pf.name}
            raw_table = None
            if line_items:
                raw_table = q.create_raw_lines(con, file_no, source_sql, {"path": pf.path})
                source_sql = quote_ident(raw_table)
                del params["path"]
            sql = build_stage_sql(pf, fmt, mapping, settings, source_sql, source_type, store)
            try:
                stage = q.create_stage(con, file_no, sql, params)
            finally:
                if raw_table:
                    q.drop_table(con, raw_table)
            if not line_items:
                # whole-row stage: rowid + skip + 1 is the spreadsheet row (see q.stage_select_sql)
                q.fill_synthesised_order_ids(con, stage, pf.name, pf.skip + 1)
            return stage, settings
        except duckdb.Error as exc:
            msg = str(exc)
            if typed:
                # a value after the sample that the reader cannot parse: read the file as text
                use_typed = False
                continue
            if "parallel" in msg.lower() and parallel:
                parallel = False
                continue
            if ("unicode" in msg.lower() or "utf" in msg.lower()) and pf.verbatim:
                reprepare_as_decoded(pf, item)
                continue
            raise UserInputError(
                f"{pf.name} could not be read as a table ({msg.splitlines()[0][:160]}); export it again as CSV.",
                code="not_a_table",
                file=pf.name,
            ) from None
    raise UserInputError(
        f"{pf.name} could not be read as a table; export it again as CSV.", code="not_a_table", file=pf.name
    )


# Loads of more than this many bytes run under LOAD_MEMORY_LIMIT (see q.limit_memory_for_load):
# a 10M-line file (about 1 GB) then peaks at 1.67-1.74 GB instead of near 3 GB. The process needs
# about 0.25 GB above the limit; 1.4 GB took 0.35 s longer at 10M lines (peak 1.61-1.68 GB), 1.6 GB
# peaked at up to 1.87 GB and 1.75 GB at up to 1.99 GB, too close to the 2 GB goal.
BIG_LOAD_BYTES = 64 << 20
LOAD_MEMORY_LIMIT = 1500 << 20


def _input_bytes(items: list[FileItem]) -> int:
    total = 0
    for item in items:
        if isinstance(item, tuple):
            total += len(item[1])
        else:
            try:
                total += os.path.getsize(item)
            except OSError:
                pass  # reported when the file is read
    return total


def _money(value: Decimal | None) -> float:
    return float(value or 0)


def load_orders(
    con,
    paths: Sequence[FileItem] | FileItem,
    *,
    mapping: dict[str, str] | None = None,
    rejected_path: str | None = None,
    progress: Progress | None = None,
    count_ids: bool = True,
    fields: Collection[str] | None = None,
) -> IngestReport:
    """Read order exports into the table `orders` (replaced) and `rejected_rows` of `con`.

    Every input row is kept or rejected with a reason; `rows_in == rows_kept + sum(dropped)` and
    `revenue_in == revenue + sum(revenue_dropped)`. `mapping` overrides the guessed `{field: column}`
    (a column name, or a 1-based position for headerless files). `rejected_path`: also write the
    rejected rows there as CSV. `progress(fraction, message)` is called between steps.
    `count_ids=False` leaves the report's `orders` and `customers` None: counting them groups the
    lines into orders (1.3 s at 10M lines, kept for the KPIs and cohorts of these orders, see
    sql/ingest.py `write_order_totals`), and a caller that counts customers itself can skip it.
    `fields`: the canonical fields a caller needs in `orders` (None: all); order_id, customer_id,
    order_date, revenue and currency are always there, and so are the fields the cleaning needs
    afterwards (email to join guest orders to accounts, the product and quantity of the duplicate
    check). The others read as NULL. Rows kept and rejected, and the report, do not depend on it.
    """

    def step(frac: float, msg: str) -> None:
        if progress is not None:
            progress(frac, msg)

    user = dict(mapping or {})
    check_user_mapping(user)
    items = _as_list(paths)
    prepared: list[PreparedFile] = []
    stages: list[str] = []
    files_info: list[dict[str, Any]] = []
    warnings: list[str] = []
    notes: list[dict[str, Any]] = []
    formats: list[ExportFormat] = []
    merged_mapping: dict[str, str] = {}
    guessed: set[str] = set()
    any_customer_id = any_email = False
    missing_everywhere: list[str] = []
    previous_limit = None
    written_currency = None  # the currency symbol of the amounts, for files without a currency column
    source_type = None
    offsets: list[int] = []
    try:
        if _input_bytes(items) > BIG_LOAD_BYTES:
            previous_limit = q.limit_memory_for_load(con, LOAD_MEMORY_LIMIT, tempfile.gettempdir())
        source_type = q.create_source_file_type(con, [_item_name(item) for item in items])
        for n, item in enumerate(items):
            step(0.8 * n / len(items), f"Reading {_item_name(item)}")
            pf, fmt, guess, missing = _inspect_one(item, user)
            prepared.append(pf)
            missing_everywhere = missing if n == 0 else [m for m in missing_everywhere if m in missing]
            if missing and len(items) == 1:
                raise UserInputError(
                    f"--map {missing[0]}: {pf.name} has no such column; its columns are "
                    f"{', '.join(repr(c) for c in pf.columns[:12])}{' ...' if len(pf.columns) > 12 else ''}."
                )
            mp = guess.mapping
            if "order_date" not in mp:
                raise UserInputError(
                    f"{pf.name} has no column with the order date; name it with --map order_date=COLUMN "
                    "(or pick it in the mapping editor).",
                    code="no_date_column",
                    file=pf.name,
                )
            if not ({"revenue", "unit_price"} & mp.keys()):
                raise UserInputError(
                    f"{pf.name} has no column with the order amount; name it with --map revenue=COLUMN "
                    "(or pick it in the mapping editor).",
                    code="no_amount_column",
                    file=pf.name,
                )
            store = None
            if fields is not None:
                store = set(fields) | {"currency"}  # the report's currency and its several-currencies note
                if "email" in mp and ("customer_id" in mp or len(items) > 1):
                    store.add("email")  # join_guests_to_accounts
                if len(items) > 1 or not ({"product_id", "product_name"} & mp.keys()):
                    store |= {"product_id", "product_name", "quantity"}  # mark_duplicates' key
            stage, settings = _stage_file(con, item, pf, fmt, mp, n, source_type, store)
            written_currency = written_currency or settings.currency
            stages.append(stage)
            offsets.append(pf.skip + 1)
            formats.append(fmt)
            any_customer_id |= "customer_id" in mp
            any_email |= "email" in mp
            for fld, c in mp.items():
                merged_mapping.setdefault(fld, c)
            guessed |= set(guess.guessed)
            files_info.append(
                {
                    "name": pf.name,
                    "format": fmt.name,
                    "format_label": fmt.label,
                    "mapping": dict(mp),
                    "guessed": guess.guessed,
                    "delimiter": pf.delimiter,
                    "header": pf.has_header,
                    "encoding": pf.encoding,
                    "converted_from": pf.converted_from,
                    "day_first": settings.day_first,
                    "decimal_comma": settings.comma_decimal,
                }
            )
            named = [f for f in guess.guessed if guess.confidence.get(f, 0) >= 0.8]
            if named:
                notes.append({"code": "columns_named", "file": pf.name, "columns": [[mp[f], f] for f in named]})
                warnings.append(
                    f"{pf.name}: columns matched by their names: "
                    + ", ".join(f"{mp[f]!r} as {f.replace('_', ' ')}" for f in named)
                    + "; correct any with --map FIELD=COLUMN."
                )
            for fld in guess.guessed:
                if guess.confidence.get(fld, 0) >= 0.8:
                    continue
                notes.append({"code": "column_guessed", "file": pf.name, "column": mp[fld], "field": fld})
                warnings.append(
                    f"{pf.name}: we guessed that column {mp[fld]!r} holds the {fld.replace('_', ' ')} "
                    f"({guess.how.get(fld, 'from its name')}); check it, "
                    f"and correct it with --map {fld}=COLUMN if wrong."
                )
            if settings.dates_ambiguous:
                notes.append({"code": "dates_ambiguous", "file": pf.name})
                warnings.append(
                    f"{pf.name}: dates like 05/01/24 could be read either way; they were read day first "
                    "(5 January 2024). If the shop writes month first, this is wrong: tell us with a date "
                    "whose day is above 12."
                )
            if fmt.name == "prestashop":
                notes.append({"code": "prestashop_names", "file": pf.name})
                warnings.append(note_text(notes[-1], "en"))
        if missing_everywhere:
            raise UserInputError(
                f"--map {missing_everywhere[0]}: none of the files has such a column; check the column name "
                "(or its position, for files without a header)."
            )
        step(0.8, "Checking identities and duplicates")
        line_files = [bool({"product_id", "product_name"} & f["mapping"].keys()) for f in files_info]
        work = q.combine_stages(con, stages, offsets, line_files)
        row_offset = offsets[0] if len(offsets) == 1 else 0
        stages = [] if work != stages[0] else stages
        if any_customer_id and any_email:
            q.join_guests_to_accounts(con, work)
        # one file of order lines cannot hold duplicates under the rule of `mark_duplicates`
        if not (len(line_files) == 1 and line_files[0]):
            q.mark_duplicates(con, work, row_offset, line_level=line_files[0])
        ledger = q.ledger_rows(con, work)
        q.write_outputs(con, work, row_offset)
        step(0.9, "Summing up")
        orders_n, customers_n, revenue, dmin, dmax, cur_min, cur_max = q.kept_summary(con, distinct_counts=count_ids)
        q.record_load(con, int(customers_n) if count_ids and customers_n is not None else None, totals=count_ids)
        zero_orders = q.zero_value_orders(con)
        cur = q.currencies(con) if cur_min != cur_max else [c for c in (cur_min,) if c]
        if rejected_path:
            q.copy_rejected_csv(con, rejected_path)
    except BaseException:
        q.drop_work_tables(con, stages)
        if source_type:
            q.drop_unused_source_file_types(con, keep="")
        raise
    finally:
        for pf in prepared:
            pf.cleanup()
        q.restore_memory_limit(con, previous_limit)
    q.drop_unused_source_file_types(con, keep=source_type)

    rows_in = sum(int(r[1]) for r in ledger)
    kept = next((r for r in ledger if r[0] is None), (None, 0, Decimal(0), 0, 0))
    dropped = {r[0]: int(r[1]) for r in ledger if r[0] is not None}
    revenue_dropped = {r[0]: _money(r[2]) for r in ledger if r[0] is not None}
    revenue_in = sum((r[2] or Decimal(0)) for r in ledger)
    guests = int(kept[3] or 0)
    synthesised = sum(int(r[4] or 0) for r in ledger)

    if rows_in == 0:
        raise UserInputError(
            "the files have a header but no order rows; export the orders again with a date range that has orders.",
            code="header_only",
        )
    fmt_names = sorted({f.name for f in formats})
    fmt_name = fmt_names[0] if len(fmt_names) == 1 else "mixed"
    bases = sorted({f.revenue_basis for f in formats})

    def note(code: str, **values: Any) -> None:
        notes.append({"code": code, **values})
        warnings.append(note_text(notes[-1], "en"))

    for reason, n in sorted(dropped.items(), key=lambda kv: -kv[1]):
        note("rows_left_out", n=n, reason=reason)
    if synthesised:
        note("no_order_number", n=synthesised)
    if guests:
        note("guests_joined", n=guests)
    if zero_orders:
        note("zero_value_orders", n=zero_orders)
    if len(cur) > 1:
        note("several_currencies", currencies=cur)
    note("revenue_basis", bases=[BASIS_CODES.get(b, b) for b in bases])
    if not int(kept[1]):
        note("nothing_kept")

    step(1.0, "Done")
    return IngestReport(
        format=fmt_name,
        mapping=merged_mapping,
        rows_in=rows_in,
        rows_kept=int(kept[1]),
        orders=int(orders_n or 0) if count_ids else None,
        customers=int(customers_n or 0) if count_ids else None,
        revenue=_money(revenue),
        dropped=dropped,
        date_min=dmin.isoformat() if dmin else None,
        date_max=dmax.isoformat() if dmax else None,
        currency=cur[0] if cur else written_currency,
        warnings=warnings,
        revenue_in=_money(revenue_in),
        revenue_dropped=revenue_dropped,
        guessed=sorted(guessed),
        files=files_info,
        synthesised_order_ids=synthesised,
        guests_joined=guests,
        zero_value_orders=zero_orders,
        revenue_basis="; ".join(bases),
        notes=notes,
    )


def require_rows_kept(report: dict[str, Any]) -> None:
    """Stop, with UserInputError `nothing_kept`, after a load that kept no row (an `IngestReport`
    as a dict): every analysis would show an empty shop. The quality report shows such a load, its
    ledger says why; the analyses and the app stop here, and the app keeps the data it had."""
    if report["rows_kept"]:
        return
    why, n = max(report["dropped"].items(), key=lambda kv: kv[1]) if report["dropped"] else ("", 0)
    raise UserInputError(
        f"none of the {report['rows_in']:,} rows could be kept ({n:,} {why}); name the order date, amount and "
        "customer columns with --map FIELD=COLUMN.",
        code="nothing_kept",
        rows=report["rows_in"],
        n=n,
        why=why,
    )


def ledger_table(report: dict, *, kept_label: str = "kept"):
    """The cleaning ledger of an `IngestReport.to_dict()`: one row for the kept rows, then one per
    rejection reason, with `reason`, `rows`, `revenue` (net) and `share` (of the rows read)."""
    import pandas as pd

    dropped = report.get("dropped") or {}
    dropped_revenue = report.get("revenue_dropped") or {}
    rows = [{"reason": kept_label, "rows": report.get("rows_kept", 0), "revenue": report.get("revenue")}]
    rows += [{"reason": str(r), "rows": n, "revenue": dropped_revenue.get(r)} for r, n in dropped.items()]
    ledger = pd.DataFrame(rows)
    ledger["share"] = ledger["rows"] / max(float(report.get("rows_in") or 0), 1.0)
    return ledger


def ledger_balances(report: dict) -> bool:
    """Rows read = rows kept + rows rejected, by the report's own counts."""
    dropped = report.get("dropped") or {}
    return int(report.get("rows_kept") or 0) + sum(int(n) for n in dropped.values()) == int(report.get("rows_in") or 0)
