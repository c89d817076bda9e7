"""Data: upload exports, see what was recognised, fix the mapping, read the cleaning ledger."""

from __future__ import annotations

import json
import re

import pandas as pd
import streamlit as st

import app_state
import app_ui
from retention.i18n import (
    field_meaning,
    format_date,
    format_label,
    format_money,
    format_number,
    how_text,
    note_text,
    reason_label,
    t,
)
from retention.ingest import MAPPABLE, MAPPING_FIXES, inspect_files, ledger_balances, ledger_table
from retention.schema import FIELDS, REJECTED_TABLE
from retention.sql.session import read_table

lang = app_state.lang()
ds = app_state.dataset()
s = app_state.state()


def _unmapped(exc: BaseException, files: list[tuple[str, bytes]]) -> tuple | None:
    """(files, what was recognised in the first) when naming a column can fix the failed load."""
    if getattr(exc, "code", None) not in MAPPING_FIXES:
        return None
    try:
        return files, inspect_files(files).files[0]  # once, not on every rerun of the page
    except Exception:  # noqa: BLE001 - the error shown already says what is wrong
        return None


def _name_the_missing_columns(files: list[tuple[str, bytes]], seen) -> None:
    """Pick the date, amount and customer columns of an upload that could not be loaded (or kept
    no row) without them; the customer is optional (identity then falls back to e-mail or phone)."""
    with st.container(border=True):
        st.markdown("**🗺️ " + t("data.fix_title", lang) + "**")
        st.caption(t("data.fix_help", lang))
        columns = list(seen.columns)
        picks = {}
        for box, fld in zip(st.columns(3), ("order_date", "revenue", "customer_id"), strict=True):
            guess = seen.mapping.get(fld)
            picks[fld] = box.selectbox(
                t(f"data.fix_{fld}", lang),
                columns,
                index=columns.index(guess) if guess in columns else None,
                key=f"fix_{fld}",
            )
        st.caption(t("data.fix_sample", lang))
        st.dataframe(pd.DataFrame(seen.sample_rows[:5], columns=columns), hide_index=True)
        if st.button(t("data.fix_load", lang), key="fix_load", disabled=not (picks["order_date"] and picks["revenue"])):
            try:
                app_state.load_files(files, mapping={fld: col for fld, col in picks.items() if col})
            except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a traceback
                s.upload_error = app_state.friendly_error(exc)
            else:
                s.upload_error, s.unmapped = None, None
            st.rerun()


app_ui.page_header("📥 " + t("data.title", lang), t("data.subtitle", lang))

# --- upload ----------------------------------------------------------------------------------------
with st.container(border=True):
    up_col, demo_col = st.columns([4, 1], vertical_alignment="bottom")
    uploads = up_col.file_uploader(
        t("data.upload_label", lang),
        type=["csv", "tsv", "txt", "gz", "xlsx"],
        accept_multiple_files=True,
        help=t("data.upload_help", lang),
        key="uploader",
    )
    if ds.source != "demo" and demo_col.button("🧪 " + t("data.back_to_demo", lang), key="back_to_demo"):
        app_state.load_demo()
        s.last_upload_ids = tuple(f.file_id for f in uploads or [])
        s.upload_error, s.unmapped = None, None
        st.rerun()

    ids = tuple(f.file_id for f in uploads or [])
    if not ids:
        s.unmapped = None  # the user took the file away: nothing left to map
    if ids and ids != s.last_upload_ids:
        # A new set of files: read it into a fresh connection; only a success replaces the data.
        s.last_upload_ids = ids
        s.upload_error = None
        with app_ui.LoadBox(t("data.loading", lang)) as status:
            files = [(f.name, f.getvalue()) for f in uploads]
            s.unmapped = None
            try:
                app_state.load_files(files, progress=app_ui.progress_reporter(status))
                status.update(label=t("data.loaded", lang), state="complete")
                loaded = True
            except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a traceback
                s.upload_error = app_state.friendly_error(exc)
                s.unmapped = _unmapped(exc, files)  # the user can name the columns below
                status.update(label=t("data.load_failed", lang), state="error")
                loaded = False
        if loaded:
            # The Overview's numbers start now, beside the sidebar's filter choices and this page.
            app_state.prefetch_overview()
            st.rerun()  # the sidebar (drawn before this page) then shows the new data and its filters
    app_state.warm_spare_connection()  # the next upload's connection, opened while the user picks a file
    if s.upload_error:
        st.error("⚠️ " + t("data.bad_file", lang) + " " + s.upload_error + " " + t("data.previous_kept", lang))
    if s.unmapped:
        _name_the_missing_columns(*s.unmapped)

rep = ds.report
currency = rep.get("currency") or "EUR"


def _format_label(report: dict) -> str:
    labels = {
        format_label(f.get("format", ""), f.get("format_label") or f.get("format"), lang)
        for f in report.get("files") or []
        if isinstance(f, dict)
    }
    labels.discard(None)
    return " + ".join(sorted(labels)) if labels else str(report.get("format", "–"))


# --- what was loaded -------------------------------------------------------------------------------
if ds.source == "demo":
    st.info("🧪 " + t("data.demo_notice", lang))
st.subheader(t("data.recognised", lang))
# On a line of its own: a metric card cut the export's name to "Export ordini…"
# (the currency is the file's own text: markdown characters in it are escaped)
currency_text = re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", str(rep.get("currency") or "–"))
st.markdown(f"{t('data.format', lang)}: **{_format_label(rep)}** · {t('data.currency', lang)}: **{currency_text}**")
c = st.columns(4)
c[0].metric(t("kpi.customers", lang), format_number(rep.get("customers"), lang))
c[1].metric(t("kpi.orders", lang), format_number(rep.get("orders"), lang))
c[2].metric(t("data.revenue_net", lang), format_money(rep.get("revenue"), lang, currency))
c[3].metric(t("data.rows_kept", lang), format_number(rep.get("rows_kept"), lang))
c = st.columns(4)
c[0].metric(t("data.rows_in", lang), format_number(rep.get("rows_in"), lang))
left_out = int(rep.get("rows_in") or 0) - int(rep.get("rows_kept") or 0)
c[1].metric(t("data.rows_dropped", lang), format_number(left_out, lang))
c[2].metric(t("data.first_order", lang), format_date(rep.get("date_min"), lang))
c[3].metric(t("data.last_order", lang), format_date(rep.get("date_max"), lang))
# the ingester's notes in the page's language (reports saved before notes existed: their English text)
notes = [note_text(n, lang) for n in rep.get("notes") or []] or rep.get("warnings") or []
if notes:
    # One box with every note of the ingester, instead of a wall of yellow boxes.
    st.info("**" + t("data.notes", lang) + "**\n\n" + "\n".join(f"- {n}" for n in notes))

tab_ledger, tab_mapping, tab_rejected = st.tabs(
    ["🧾 " + t("data.ledger", lang), "🗺️ " + t("data.mapping", lang), "🚫 " + t("data.rejected", lang)],
    key="data_tabs",
    on_change="rerun",
)

# --- the cleaning ledger ---------------------------------------------------------------------------
with tab_ledger:
    if tab_ledger.open:  # only the open tab is computed and drawn
        st.caption(t("data.ledger_guide", lang))
        ledger = ledger_table(rep, kept_label=t("data.kept", lang))
        shown = ledger.assign(
            reason=ledger["reason"].map(lambda r: reason_label(r, lang)),  # the kept label is not a reason: as it is
            rows=ledger["rows"].map(lambda v: format_number(v, lang)),
            revenue=ledger["revenue"].map(lambda v: format_money(v, lang, currency)),
            share=ledger["share"].map(lambda v: format_number(v * 100, lang, 1) + "%"),
        ).rename(
            columns={
                "reason": t("data.reason", lang),
                "rows": t("data.rows", lang),
                "revenue": t("data.revenue", lang),
                "share": t("data.share", lang),
            }
        )
        st.dataframe(shown, hide_index=True)
        balanced = ledger_balances(rep)
        st.caption(
            ("✅ " if balanced else "⚠️ ")
            + t("data.ledger_balance", lang, rows_in=format_number(rep.get("rows_in"), lang))
        )
        st.download_button(
            "⬇ " + t("data.download_ledger", lang),
            lambda: app_ui.csv_bytes(ledger),
            "cleaning_ledger.csv",
            "text/csv",
            key="dl_ledger",
            on_click="ignore",
        )

# --- the mapping -----------------------------------------------------------------------------------
with tab_mapping:
    if tab_mapping.open:  # only the open tab is computed and drawn
        st.caption(t("data.mapping_guide", lang))
        mapping = dict(rep.get("mapping") or {})
        try:
            inspection = app_state.cached(
                ("inspect", json.dumps(ds.mapping or {}, sort_keys=True)),
                lambda: inspect_files(ds.files, mapping=ds.mapping),
                filtered=False,
            )
        except Exception:  # noqa: BLE001 - without the inspector the editor still offers the mapped columns
            inspection = None
        files_seen = inspection.files if inspection is not None else []
        columns = sorted({str(col) for f in files_seen for col in f.columns} | {str(v) for v in mapping.values() if v})
        how = files_seen[0].how if files_seen else {}
        how_notes = files_seen[0].how_notes if files_seen else {}
        confidence = files_seen[0].confidence if files_seen else {}
        if rep.get("guessed"):
            st.warning("🤔 " + t("data.guessed", lang, fields=", ".join(rep["guessed"])))
        described = {f.name: f for f in FIELDS}
        editor_frame = pd.DataFrame(
            {
                "field": list(MAPPABLE),
                "required": [bool(described[n].required) if n in described else False for n in MAPPABLE],
                "column": [mapping.get(n) for n in MAPPABLE],
                "how": [how_text(how_notes[n], lang) if n in how_notes else how.get(n, "") for n in MAPPABLE],
                "confidence": [confidence.get(n) for n in MAPPABLE],
                "meaning": [
                    field_meaning(n, lang, described[n].description) if n in described else t("data.helper_field", lang)
                    for n in MAPPABLE
                ],
            }
        )
        edited = st.data_editor(
            editor_frame,
            hide_index=True,
            disabled=["field", "required", "how", "confidence", "meaning"],
            column_config={
                "field": st.column_config.TextColumn(t("data.field", lang)),
                "required": st.column_config.CheckboxColumn(t("data.required", lang)),
                "column": st.column_config.SelectboxColumn(t("data.source_column", lang), options=columns),
                "how": st.column_config.TextColumn(t("data.how", lang)),
                "confidence": st.column_config.ProgressColumn(
                    t("data.confidence", lang), min_value=0, max_value=1, format="percent"
                ),
                "meaning": st.column_config.TextColumn(t("data.meaning", lang)),
            },
            key=f"mapping_editor_{ds.version}",
        )
        new_mapping = {
            r["field"]: str(r["column"])
            for r in edited.to_dict("records")
            if r["column"] is not None and not pd.isna(r["column"]) and str(r["column"])
        }
        # A field the user cleared is sent as "" (the ingester then drops its guess for it).
        new_mapping |= {f: "" for f in mapping if f not in new_mapping}
        changed = {k: v for k, v in new_mapping.items() if v} != {k: v for k, v in mapping.items() if v}
        b1, b2, b3 = st.columns(3)
        if b1.button("🔄 " + t("data.reload_mapping", lang), key="reload_mapping", disabled=not changed):
            with app_ui.LoadBox(t("data.loading", lang)) as status:
                try:
                    app_state.reload_with_mapping(new_mapping, progress=app_ui.progress_reporter(status))
                    status.update(label=t("data.loaded", lang), state="complete")
                    s.upload_error = None
                except Exception as exc:  # noqa: BLE001 - a bad mapping is a message, and the data stays
                    s.upload_error = app_state.friendly_error(exc)
                    status.update(label=t("data.load_failed", lang), state="error")
            st.rerun()
        b2.download_button(
            "💾 " + t("data.save_mapping", lang),
            json.dumps(new_mapping, indent=2, ensure_ascii=False),
            "mapping.json",
            "application/json",
            key="dl_mapping",
            on_click="ignore",
        )
        saved = b3.file_uploader(t("data.load_mapping", lang), type=["json"], key="mapping_upload")
        if saved is not None and st.session_state.get("_applied_mapping") != saved.file_id:
            st.session_state["_applied_mapping"] = saved.file_id
            try:
                loaded = json.loads(saved.getvalue().decode("utf-8"))
                if not isinstance(loaded, dict):
                    raise ValueError("not an object")
                with app_ui.LoadBox(t("data.loading", lang)) as status:
                    app_state.reload_with_mapping(
                        {str(k): str(v) for k, v in loaded.items()}, progress=app_ui.progress_reporter(status)
                    )
                s.upload_error = None
            except (ValueError, UnicodeDecodeError):
                s.upload_error = t("data.bad_mapping", lang)
            except Exception as exc:  # noqa: BLE001
                s.upload_error = app_state.friendly_error(exc)
            st.rerun()

# --- rejected rows ---------------------------------------------------------------------------------
with tab_rejected:
    if tab_rejected.open:  # only the open tab is computed and drawn
        st.caption(t("data.rejected_guide", lang))
        preview = app_state.cached(
            ("rejected_preview",), lambda: read_table(ds.con, REJECTED_TABLE, limit=500), filtered=False
        )
        if preview is None or preview.empty:
            st.success("✅ " + t("data.no_rejected", lang))
        else:
            st.dataframe(
                preview.assign(reason=preview["reason"].map(lambda r: reason_label(r, lang))),
                hide_index=True,
                height=320,
            )
            full = app_state.cached(("rejected_all",), lambda: read_table(ds.con, REJECTED_TABLE), filtered=False)
            st.caption(t("data.rejected_count", lang, n=format_number(len(full), lang)))
            # The CSV is built only when the button is clicked (deferred download).
            st.download_button(
                "⬇ " + t("data.download_rejected", lang),
                lambda: app_ui.csv_bytes(full),
                "rejected_rows.csv",
                "text/csv",
                key="dl_rejected",
                on_click="ignore",
            )
