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

import hashlib
import json
import logging
import os
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


@dataclass
class Dataset:
    """The data of one session: its own connection with `orders` (and `rejected_rows`) loaded."""

    con: Any
    source: str  # "demo" or "upload"
    names: list[str]
    report: dict[str, Any]
    version: str  # content hash of the files plus the mapping: the key of every cached result
    files: list[Any] = field(default_factory=list)  # paths (demo) or (name, bytes) tuples (upload)
    mapping: dict[str, str] | None = None


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
    from retention.ingest import load_orders

    con = connect()
    try:
        report = load_orders(con, files, mapping=mapping or None, progress=progress)
    except BaseException:
        con.close()
        raise
    return con, report.to_dict()


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
        con=con, source="demo", names=[DEMO_PATH.name], report=report, version="demo-" + digest, files=[str(DEMO_PATH)]
    )
    _swap(ds)
    return ds


def _swap(ds: Dataset) -> None:
    s = state()
    old = s.dataset
    s.dataset = ds
    s.memo.clear()
    s.scope_key = None
    # Page choices made on the old data (segments, countries, dates) may not exist in the new one.
    for k in [k for k in st.session_state if str(k).startswith(KEEP_PREFIX)]:
        del st.session_state[k]
    if old is not None and old.con is not ds.con:
        try:
            old.con.close()
        except Exception:  # noqa: BLE001 - closing a stale connection must never break the page
            pass


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
    parts: list[bytes | str] = [_mapping_key(mapping)]
    for f in files:
        if isinstance(f, tuple):
            parts += [f[0], hashlib.sha256(f[1]).digest()]
        else:
            parts += [str(f), str(os.path.getmtime(f))]
    version = source + "-" + _digest(parts)
    current = state().dataset
    if current is not None and current.version == version:
        return current  # the same content and mapping: nothing to redo
    con, report = _load_into_new_connection(list(files), mapping, progress)
    ds = Dataset(
        con=con, source=source, names=names, report=report, version=version, files=list(files), mapping=mapping or None
    )
    _swap(ds)
    return ds


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
