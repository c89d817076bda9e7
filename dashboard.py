"""Retention dashboard: the Streamlit entry point.

Routes between the pages (`st.navigation`) and draws the shared sidebar once: the language, the
data source (the bundled demo shop or the user's upload), and the global filters that every page
applies. Run with `streamlit run dashboard.py`.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # pages import the app-side helpers next to this file
    sys.path.insert(0, str(ROOT))

import app_state  # noqa: E402
from retention.errors import UserInputError  # noqa: E402
from retention.filters import NONE_LABEL, Filters, filter_choices  # noqa: E402
from retention.i18n import LANGUAGES, format_date, format_number, t  # noqa: E402

st.set_page_config(page_title="Retention dashboard", page_icon="🔁", layout="wide")
app_state.share_uploaded_bytes()
app_state.freeze_startup_objects()

if "lang" not in st.session_state:
    st.session_state["lang"] = "en"
lang = app_state.lang()

PAGES = [
    ("pages/data.py", "nav.data", "📥", "data", False),
    ("pages/overview.py", "nav.overview", "📊", "overview", True),
    ("pages/cohorts.py", "nav.cohorts", "🧩", "cohorts", False),
    ("pages/customer_value.py", "nav.customer_value", "💶", "customer-value", False),
    ("pages/churn_segments.py", "nav.churn_segments", "🚦", "churn-segments", False),
    ("pages/audiences.py", "nav.audiences", "🎯", "audiences", False),
]
navigation = st.navigation(
    [
        st.Page(str(ROOT / path), title=t(key, lang), icon=icon, url_path=url, default=default)
        for path, key, icon, url, default in PAGES
    ]
)


def _sidebar_source(ds: app_state.Dataset) -> None:
    rep = ds.report
    if ds.source == "demo":
        st.sidebar.info("🧪 **" + t("sidebar.demo_title", lang) + "**  \n" + t("sidebar.demo_body", lang))
    else:
        st.sidebar.success("📄 **" + t("sidebar.upload_title", lang) + "**  \n" + ", ".join(ds.names))
    span = ""
    if rep.get("date_min") and rep.get("date_max"):
        span = f"{format_date(rep['date_min'], lang)} – {format_date(rep['date_max'], lang)}"
    st.sidebar.caption(
        t(
            "sidebar.summary",
            lang,
            customers=format_number(rep.get("customers", 0), lang),
            orders=format_number(rep.get("orders", 0), lang),
        )
        + (f" · {span}" if span else "")
    )


def _sidebar_filters(ds: app_state.Dataset) -> None:
    """Global filters. Widget keys carry the data version so a new upload starts unfiltered."""
    # beside the Overview's numbers that an upload starts computing (app_state.prefetch)
    options = app_state.cached(("filter_choices",), lambda: app_state.read_beside(filter_choices), filtered=False)
    v = ds.version
    lo, hi = options.get("date_min"), options.get("date_max")
    period = None
    if lo and hi:
        lo, hi = _as_date(lo), _as_date(hi)
        # outside the expander: inside it, its padding cut the end date ("30/10/202")
        period = st.sidebar.date_input(
            "🗓️ " + t("filters.dates", lang),
            value=(lo, hi),
            min_value=lo,
            max_value=hi,
            key=f"f_dates_{v}",
            format="DD/MM/YYYY" if lang == "it" else "YYYY-MM-DD",
        )
    with st.sidebar.expander("🔎 " + t("sidebar.filters", lang), expanded=True):
        countries = st.multiselect(
            t("filters.country", lang),
            options.get("countries") or [],
            key=f"f_country_{v}",
            placeholder=t("filters.all", lang),
        )
        channels = st.multiselect(
            t("filters.channel", lang),
            options.get("channels") or [],
            key=f"f_channel_{v}",
            placeholder=t("filters.all", lang),
        )
        discounts = st.multiselect(
            t("filters.discount", lang),
            options.get("first_discount_codes") or [],
            key=f"f_discount_{v}",
            placeholder=t("filters.all", lang),
            format_func=lambda o: t("filters.no_discount", lang) if o == NONE_LABEL else o,
            help=t("filters.discount_help", lang),
        )
    start = end = None
    if isinstance(period, (tuple, list)) and len(period) == 2:
        start, end = period
        if (start, end) == (lo, hi):
            start = end = None  # the whole range is no filter: keeps the cache key of "unfiltered"
    try:
        filters = Filters(
            date_from=start,
            date_to=end,
            countries=tuple(countries),
            channels=tuple(channels),
            first_discount_codes=tuple(discounts),
        )
    except UserInputError as exc:
        st.sidebar.error(str(exc))
        filters = None
    app_state.set_filters(filters)


def _as_date(value) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


with st.sidebar:
    st.markdown("### 🔁 " + t("app.title", lang))
    # The choice lives under a plain key ("lang") that survives any run; the widget has its own key.
    st.session_state["_lang_widget"] = lang
    st.selectbox(
        "🌐 " + t("sidebar.language", lang),
        list(LANGUAGES),
        key="_lang_widget",
        format_func=LANGUAGES.get,
        on_change=lambda: st.session_state.update(lang=st.session_state["_lang_widget"]),
    )

dataset = app_state.dataset()
_sidebar_source(dataset)
_sidebar_filters(dataset)
try:
    navigation.run()
except Exception as exc:  # noqa: BLE001 - a page never shows a traceback (Streamlit's reruns are BaseException)
    st.error("⚠️ " + app_state.friendly_error(exc, context=t("app.page_failed", lang)))
# While the browser draws this page, compute what the Overview will ask for if it is missing (after
# an upload on the Data page, the Overview is where the user goes next).
app_state.prefetch_overview()
