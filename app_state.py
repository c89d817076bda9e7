"""Per-browser-session state of the dashboard: the data set, its DuckDB connection, the filters and
the cache of computed results.

Everything a user uploads lives in `st.session_state` (one connection per browser session), so a
second session can never see it. The only global cache holds the bundled demo shop, which is the
same for everybody: loaded once per server process as immutable Arrow tables, keyed by the file's
content, and copied into each new session's own connection.

Results are cached per session under (data version, filters, what was asked): switching pages
reruns the page script but recomputes nothing. Streamlit code stays here and in the pages; the
library (`retention/`) never imports Streamlit.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from retention.db import connect
from retention.errors import UserInputError
from retention.i18n import error_text, t
from retention.schema import ORDERS_TABLE, REJECTED_TABLE
from retention.sql.session import restore_tables, snapshot_tables

T = TypeVar("T")
log = logging.getLogger("retention.app")

ROOT = Path(__file__).resolve().parent
DEMO_PATH = ROOT / "data" / "demo_orders.csv"
SCOPE_TABLE = "orders_scope"
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # 1 GB in total, as the issue asks
MEMO_ENTRIES = 160  # results and figures kept per session; a page needs 5-15, filters multiply them

_STATE = "_retention_state"
KEEP_PREFIX = "_keep_"  # page widget values kept across page switches (see app_ui.kept)
LANG_SUFFIX = "__lang"  # beside a kept amount: the language it was typed in (see app_ui.cac_input)


@dataclass
class Dataset:
    """The data of one session: its own connection with `orders` (and `rejected_rows`) loaded."""

    connection: Any
    source: str  # "demo" or "upload"
    names: list[str]
    report: dict[str, Any]
    version: str  # content hash of the files plus the mapping: the key of every cached result
    files: list[Any] = field(default_factory=list)  # paths (demo) or (name, bytes) tuples (upload)
    mapping: dict[str, str] | None = None
    # A second connection to the same database (a DuckDB cursor): sees `orders`, not the temp
    # tables. Reads that run while work started ahead holds `connection` go through it.
    reader: Any = None

    @property
    def con(self) -> Any:
        """The session's connection, once the work started ahead on it is over (see prefetch)."""
        settle()
        return self.connection

    def close(self) -> None:
        for c in (self.reader, self.connection):
            if c is not None:
                try:
                    c.close()
                except Exception:  # noqa: BLE001 - closing a stale connection must never break the page
                    pass


@dataclass
class SessionState:
    dataset: Dataset | None = None
    memo: OrderedDict = field(default_factory=OrderedDict)
    scope_key: str | None = None
    scope_table: str = ORDERS_TABLE
    last_upload_ids: tuple = ()
    upload_error: str | None = None
    upload_notice: str | None = None
    # an upload that failed for want of a date or amount column, with what was recognised in it:
    # (files, FileInspection), kept until the user maps it or uploads something else
    unmapped: tuple | None = None
    # results computed ahead between two runs (see prefetch): the thread, and its (memo key, value)s
    background: threading.Thread | None = None
    background_results: list = field(default_factory=list)
    background_keys: set = field(default_factory=set)
    # a connection opened ahead for the next upload (see warm_spare_connection)
    spare: Any = None
    spare_thread: threading.Thread | None = None


def state() -> SessionState:
    """This browser session's state (created on first use)."""
    if _STATE not in st.session_state:
        st.session_state[_STATE] = SessionState()
    return st.session_state[_STATE]


def lang() -> str:
    """The UI language chosen in the sidebar: "en" or "it"."""
    return st.session_state.get("lang", "en")


def _digest(parts: Sequence[bytes | str]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:20]


def _mapping_key(mapping: dict[str, str] | None) -> str:
    return json.dumps(mapping or {}, sort_keys=True)


# --- loading -------------------------------------------------------------------------------------


def _load_into_new_connection(files: list[Any], mapping: dict[str, str] | None, progress=None):
    """Ingest `files` into a fresh connection; the caller swaps it in only when this succeeded,
    so a bad file never replaces the data that is loaded."""
    from retention.ingest import load_orders, require_rows_kept

    con = _take_spare_connection()
    try:
        report = load_orders(con, files, mapping=mapping or None, progress=progress).to_dict()
        require_rows_kept(report)  # an empty shop would replace the data the user had
    except BaseException:
        con.close()
        raise
    return con, report


@st.cache_resource(max_entries=2, ttl=24 * 3600, show_spinner=False)
def _demo_snapshot(path: str, digest: str) -> tuple[dict, dict]:
    """The demo shop, loaded once per server process: Arrow tables (immutable, safe to share)
    and its ingest report. `digest` (the file's content hash) is the cache key."""
    con, report = _load_into_new_connection([path], None)
    try:
        return snapshot_tables(con, [ORDERS_TABLE, REJECTED_TABLE]), report
    finally:
        con.close()


def _demo_digest() -> str:
    stat = DEMO_PATH.stat()
    # Size and mtime identify the bundled file cheaply; a regenerated demo gets a new key.
    return _digest([str(stat.st_size), str(stat.st_mtime_ns)])


def load_demo() -> Dataset:
    """Give this session its own copy of the demo shop and make it the current data."""
    digest = _demo_digest()
    tables, report = _demo_snapshot(str(DEMO_PATH), digest)
    con = connect()
    restore_tables(con, tables)
    ds = Dataset(
        connection=con,
        source="demo",
        names=[DEMO_PATH.name],
        report=report,
        version="demo-" + digest,
        files=[str(DEMO_PATH)],
        reader=con.cursor(),
    )
    _swap(ds)
    return ds


def _swap(ds: Dataset) -> None:
    s = state()
    settle()  # nothing may still be reading the old connection when it is closed
    old = s.dataset
    s.dataset = ds
    s.memo.clear()
    s.scope_key = None
    # Page choices made on the old data (segments, countries, dates) may not exist in the new one.
    for k in [k for k in st.session_state if str(k).startswith(KEEP_PREFIX)]:
        del st.session_state[k]
    if old is not None and old.connection is not ds.connection:
        old.close()


def dataset() -> Dataset:
    """The current data of this session; the demo shop on the first visit."""
    s = state()
    if s.dataset is None:
        load_demo()
    return s.dataset  # type: ignore[return-value]


def friendly_error(exc: BaseException, *, context: str | None = None) -> str:
    """One sentence for the page, in the page's language: the library's own message for input
    problems, a generic one (with the technical reason in the server log) for anything unexpected."""
    if isinstance(exc, UserInputError):
        return error_text(exc, lang())
    log.error("unexpected error", exc_info=exc)
    reason = type(exc).__name__ + ": " + str(exc)[:200]
    if context:
        return f"{context} ({reason})"
    return t("error.unexpected", lang(), reason=reason)


def load_files(
    files: list[tuple[str, bytes]] | list[str],
    *,
    mapping: dict[str, str] | None = None,
    source: str = "upload",
    progress: Callable[..., Any] | None = None,
) -> Dataset:
    """Load uploaded files (name, bytes) as this session's data. Raises `UserInputError` for
    files that cannot be used; the previously loaded data then stays as it was."""
    names = [f[0] if isinstance(f, tuple) else os.path.basename(str(f)) for f in files]
    sizes = sum(len(f[1]) if isinstance(f, tuple) else os.path.getsize(f) for f in files)
    if not files:
        raise UserInputError("No file was given: choose one or more order exports to upload.", code="no_file")
    if sizes > MAX_UPLOAD_BYTES:
        raise UserInputError(
            "The files are larger than 1 GB in total: upload fewer or smaller exports.", code="too_large"
        )
    current = state().dataset
    if current is not None and _same_names_and_sizes(current, list(files), source, mapping):
        version = _version(files, mapping, source)
        if current.version == version:
            return current  # the same content and mapping: nothing to redo
        con, report = _load_into_new_connection(list(files), mapping, progress)
    else:
        # Other names or sizes: the content differs for sure, so the hash (0.13 s for 170 MB) is
        # computed beside the load instead of before it (hashlib lets go of the GIL).
        hashed: dict[str, str] = {}
        hasher = threading.Thread(target=lambda: hashed.update(v=_version(files, mapping, source)), daemon=True)
        hasher.start()
        try:
            con, report = _load_into_new_connection(list(files), mapping, progress)
        finally:
            hasher.join()
        version = hashed.get("v") or _version(files, mapping, source)
    ds = Dataset(
        connection=con,
        source=source,
        names=names,
        report=report,
        version=version,
        files=list(files),
        mapping=mapping or None,
        reader=con.cursor(),
    )
    _swap(ds)
    return ds


def _version(files: Sequence[Any], mapping: dict[str, str] | None, source: str) -> str:
    """The data version: a digest of the mapping and of each file's name and content (SHA-256 of
    the bytes of an upload; path and modification time of a file on disk)."""
    parts: list[bytes | str] = [_mapping_key(mapping)]
    for f in files:
        if isinstance(f, tuple):
            parts += [f[0], hashlib.sha256(f[1]).digest()]
        else:
            parts += [str(f), str(os.path.getmtime(f))]
    return source + "-" + _digest(parts)


def _same_names_and_sizes(ds: Dataset, files: list[Any], source: str, mapping: dict[str, str] | None) -> bool:
    """Whether `files` could be the content `ds` was loaded from (only then is its hash needed first)."""

    def shape(items: list[Any]) -> list[tuple[str, int]]:
        return [(f[0], len(f[1])) if isinstance(f, tuple) else (str(f), -1) for f in items]

    return ds.source == source and _mapping_key(ds.mapping) == _mapping_key(mapping) and shape(ds.files) == shape(files)


def reload_with_mapping(mapping: dict[str, str] | None, progress=None) -> Dataset:
    """Read the current files again with an edited column mapping."""
    ds = dataset()
    return load_files(ds.files, mapping=mapping, source=ds.source, progress=progress)


# --- filters and cached results ------------------------------------------------------------------


def filters_key() -> str:
    return st.session_state.get("_filters_key", "")


def set_filters(filters: Any) -> None:
    """Remember the sidebar's filters (a `retention.filters.Filters` or None) for this run."""
    st.session_state["_filters"] = filters
    empty = filters is None or bool(getattr(filters, "is_empty", False))
    # An empty filter shares the cache of "no filter": both read every order.
    st.session_state["_filters_key"] = "" if empty else repr(filters)


def current_filters() -> Any:
    return st.session_state.get("_filters")


def scope() -> str:
    """The table every page reads: the orders inside the sidebar's filters. The filtered table is
    rebuilt only when the data or the filters change."""
    s = state()
    ds = dataset()
    filters = current_filters()
    if filters is None:
        return ORDERS_TABLE
    key = ds.version + "|" + filters_key()
    if s.scope_key != key:
        from retention.filters import apply_filters

        s.scope_table = apply_filters(ds.con, filters, source=ORDERS_TABLE, target=SCOPE_TABLE)
        s.scope_key = key
    return s.scope_table


def cached(key: Sequence[Any], compute: Callable[[], T], *, label: str | None = None, filtered: bool = True) -> T:
    """`compute()` once per (data version, filters, key) in this session; later calls, including
    after a page switch, return the stored result. `label` shows a spinner while computing."""
    s = state()
    ds = dataset()
    full = (ds.version, filters_key() if filtered else "", *[repr(k) for k in key])
    if full in s.background_keys:
        settle()  # being computed ahead: wait for it rather than compute it twice
    if full in s.memo:
        s.memo.move_to_end(full)
        return s.memo[full]
    if label:
        with st.spinner(label, show_time=True):
            value = compute()
    else:
        value = compute()
    s.memo[full] = value
    while len(s.memo) > MEMO_ENTRIES:
        s.memo.popitem(last=False)
    return value


def peek(key: Sequence[Any]) -> Any:
    """A result already computed under `key` for the current data and filters, else None
    (lets a page show a number another page computed without computing it itself)."""
    s = state()
    full = (dataset().version, filters_key(), *[repr(k) for k in key])
    if full in s.background_keys:
        settle()
    return s.memo.get(full)


def churn_bundle(window_days: int | None, *, label: str | None = None) -> dict[str, Any]:
    """Everything the churn, segments and audiences pages share, computed once per session, data,
    filters and churn window: the customer table (history, predicted value, churn score, RFM and
    lifecycle segments), the churn result (leaderboard, thresholds) and the share at risk."""
    from retention.churn import churn_risk_share
    from retention.customers import build_customer_table

    def compute() -> dict[str, Any]:
        ds = dataset()
        customers, result = build_customer_table(ds.con, churn_window_days=window_days, table=scope())
        return {"customers": customers, "result": result, "share": churn_risk_share(customers)}

    return cached(("churn", window_days), compute, label=label)


# --- work done ahead, between two runs ----------------------------------------------------------
#
# After an upload the browser draws the Data page and the user reads it; the Overview is where they
# go next. Its numbers are computed meanwhile on the session's own connection by one thread; the
# main thread waits for it before it touches that connection (Dataset.con, cached() of a key being
# computed, _swap all call settle()), and reads beside it through Dataset.reader (the sidebar's
# filter choices). Results go into the session's memo under the keys the page would use, so the
# page finds them as if it had computed them itself; a failure is dropped and the page computes
# (and reports) it again.


def prefetch(requests: Sequence[tuple[Sequence[Any], Callable[[], Any]]]) -> bool:
    """Compute `requests` ((key, compute) pairs, as for `cached`, unfiltered data) in the
    background for the current data. Returns whether a thread was started (nothing to do when
    every result is already in the memo or other work is still running)."""
    s = state()
    ds = s.dataset
    if ds is None or s.background is not None or filters_key():
        return False
    todo = [((ds.version, "", *[repr(k) for k in key]), compute) for key, compute in requests]
    todo = [(full, compute) for full, compute in todo if full not in s.memo]
    if not todo:
        return False
    results: list = []

    def work() -> None:
        for full, compute in todo:
            try:
                results.append((full, compute()))
            except Exception:  # noqa: BLE001 - the page computes it again and shows the error
                log.debug("prefetch failed", exc_info=True)
                return

    s.background_results = results
    s.background_keys = {full for full, _ in todo}
    s.background = threading.Thread(target=work, name="retention-prefetch", daemon=True)
    s.background.start()
    return True


def settle() -> None:
    """Wait for the work started by `prefetch` and put its results in the memo."""
    s = state()
    if s.background is None:
        return
    s.background.join()
    s.background = None
    for full, value in s.background_results:
        if full not in s.memo:
            s.memo[full] = value
    s.background_results = []
    s.background_keys = set()
    while len(s.memo) > MEMO_ENTRIES:
        s.memo.popitem(last=False)


# The Overview's choices before the user makes any (its widgets start on these).
OVERVIEW_PERIODS = ["month", "quarter", "week", "year"]
OVERVIEW_WHAT_IF_POINTS = 5
OVERVIEW_LEVERS = ["repeat", "retention"]


def cac_from_text(text: Any, language: str) -> float | None:
    """The customer acquisition cost a user typed (shop currency), or None when the box is empty
    or 0 (no CAC). Read as written in `language`: "25,50", "25.50", "€ 30" anywhere, and "1.250"
    is one thousand two hundred and fifty in Italian, one and a quarter in English. Anything else
    raises UserInputError (codes `bad_cac`, `cac_below_zero`) for the page to say in its language."""
    from retention.kpis import parse_amount

    written = "" if text is None else str(text).strip()
    if not written:
        return None
    value = parse_amount(written, comma_decimal=language == "it")
    if value is None:
        raise UserInputError(
            f"{written!r} is not an amount: write the acquisition cost as a number, like 25.50 or €30, or leave it "
            "empty.",
            code="bad_cac",
            value=written,
        )
    if value < 0:
        raise UserInputError(
            f"The acquisition cost must be more than 0, not {written}; leave it empty if you do not know it.",
            code="cac_below_zero",
            value=written,
        )
    return value or None


def marketing_spend(file: tuple[str, bytes] | None) -> tuple[str, Any] | None:
    """(digest, frame) of a marketing spend file given as (name, bytes), read once per run by
    `retention.kpis.read_marketing_spend`; None without a file. A file it cannot read raises its
    UserInputError for the page to say."""
    if file is None:
        return None
    from retention.kpis import read_marketing_spend

    return _digest([file[1]]), read_marketing_spend(file[1], name=file[0])


def overview_kpis(
    period: str, cac_value: float | None, table: str, *, spend: tuple[str, Any] | None = None, con: Any = None
) -> tuple[tuple, Callable[[], dict]]:
    """(memo key, compute) of the Overview's KPIs; on `con` (the prefetch thread's), else on the
    session's connection once it is free. `spend`: a marketing spend file as `marketing_spend`
    gives it, which gives a CAC per acquisition month instead of `cac_value`; the key holds its
    digest, so another file is another result."""
    from retention.kpis import compute_kpis

    def compute() -> dict:
        return compute_kpis(
            con or dataset().con,
            period=period,
            cac=None if spend is not None else cac_value,
            marketing_spend=spend[1] if spend is not None else None,
            as_of=None,
            table=table,
        )

    return ("kpis", period, None if spend is not None else cac_value, spend[0] if spend else None), compute


def overview_what_if(points: int, lever: str, table: str, *, con: Any = None) -> tuple[tuple, Callable[[], dict]]:
    """(memo key, compute) of the Overview's what-if for `points` on the `lever` ("repeat" or
    "retention"); `con` as for overview_kpis."""
    from retention.kpis import what_if

    def compute() -> dict:
        return what_if(
            con or dataset().con,
            repeat_rate_points=points if lever == "repeat" else 0.0,
            retention_rate_points=points if lever == "retention" else 0.0,
            table=table,
        )

    return ("what_if", points, lever), compute


def prefetch_overview() -> bool:
    """Start computing the Overview's numbers, as it would ask for them now, on unfiltered data.
    Called after a run: right after an upload the Overview is where the user goes next."""
    if state().dataset is None or filters_key():
        return False
    period = st.session_state.get(KEEP_PREFIX + "ov_period", OVERVIEW_PERIODS[0])
    points = st.session_state.get(KEEP_PREFIX + "ov_whatif", OVERVIEW_WHAT_IF_POINTS)
    lever = st.session_state.get(KEEP_PREFIX + "ov_lever", OVERVIEW_LEVERS[0])
    try:  # the CAC as the user typed it, in the language they typed it in (see app_ui.cac_input)
        cac = KEEP_PREFIX + "ov_cac"
        cac_value = cac_from_text(st.session_state.get(cac), st.session_state.get(cac + LANG_SUFFIX, lang()))
    except UserInputError:
        cac_value = None  # the page says what is wrong with it
    try:  # (name, bytes) kept by app_ui.kept_file
        spend = marketing_spend(st.session_state.get(KEEP_PREFIX + "ov_spend"))
    except UserInputError:
        spend = None  # the page says what is wrong with it
    con = state().dataset.connection  # type: ignore[union-attr]
    return prefetch(
        [
            overview_kpis(period, cac_value, ORDERS_TABLE, spend=spend, con=con),
            overview_what_if(points, lever, ORDERS_TABLE, con=con),
        ]
    )


def read_beside(read: Callable[[Any], T]) -> T:
    """`read(connection)` on the dataset's second connection, which work started ahead does not hold
    (on the main one, once free, if the second cannot run it)."""
    ds = dataset()
    if ds.reader is not None:
        try:
            return read(ds.reader)
        except Exception:  # noqa: BLE001 - e.g. a temp table the second connection does not see
            log.debug("read beside the main connection failed", exc_info=True)
    return read(ds.con)


def warm_spare_connection() -> None:
    """Open, in the background, the connection the next upload will be loaded into (opening a
    DuckDB database costs 0.04 s, paid otherwise between the end of the upload and its load)."""
    s = state()
    if s.spare is not None or s.spare_thread is not None or s.background is not None:
        return
    box: dict[str, Any] = {}
    s.spare_thread = threading.Thread(target=lambda: box.update(con=connect()), name="retention-spare", daemon=True)
    s.spare_thread.box = box  # type: ignore[attr-defined]
    s.spare_thread.start()


def _take_spare_connection() -> Any:
    """The connection opened ahead by warm_spare_connection, else a new one."""
    s = state()
    if s.spare_thread is not None:
        s.spare_thread.join()
        s.spare = s.spare_thread.box.get("con")  # type: ignore[attr-defined]
        s.spare_thread = None
    con, s.spare = s.spare, None
    return con if con is not None else connect()


# --- the server process ---------------------------------------------------------------------------


def share_uploaded_bytes() -> None:
    """Let a copy of an uploaded file share its bytes instead of copying them.

    Streamlit deep-copies a widget's value on every run that draws it; for st.file_uploader that is
    a copy of the whole upload (0.1-0.18 s for a 170 MB file, on every run of the Data page, two of
    them between the end of an upload and the data shown). An upload's bytes never change, so the
    copy is a new file object over the same bytes (its own read position, like a deep copy)."""
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    if "__deepcopy__" in UploadedFile.__dict__:
        return

    def copy_over_same_bytes(self, memo):  # noqa: ANN001 - the deepcopy protocol
        record = UploadedFileRec(file_id=self.file_id, name=self.name, type=self.type, data=self.getvalue())
        return UploadedFile(record, self._file_urls)

    UploadedFile.__deepcopy__ = copy_over_same_bytes


_FROZEN = False
# What every page imports: loaded before the freeze. The models (scikit-learn, scipy) are left to
# the pages that need them, not to slow the app's first start.
_PAGE_LIBRARIES = (
    "pandas",
    "plotly.graph_objects",
    "app_ui",
    "retention.charts",
    "retention.kpis",
    "retention.cohorts",
    "retention.ingest",
)


def freeze_startup_objects() -> None:
    """Move the objects alive now (the imported libraries) out of the garbage collector's sight,
    once per server process.

    Streamlit runs a full collection after every script run and at every st.rerun; with pandas,
    plotly and DuckDB imported it walks some 120,000 objects for 0.07-0.09 s each time, three times
    between the end of an upload and the Overview drawn. Called before any session data exists, so
    only long-lived library objects are frozen (reference counting still frees them as usual)."""
    global _FROZEN
    if _FROZEN:
        return
    _FROZEN = True
    import importlib

    for module in _PAGE_LIBRARIES:  # imported now (the pages would on their first run) to be frozen too
        importlib.import_module(module)
    gc.collect()
    gc.freeze()
    # Let the interpreter's exit see them again (DuckDB's bindings report frozen objects as leaks).
    atexit.register(gc.unfreeze)
