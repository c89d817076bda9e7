"""Audiences: pick segments and filters, respect consent, keep a holdout, download the list in the
format the email tool or ad platform accepts as it is."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

import app_state
import app_ui
from retention import charts
from retention.audiences import (
    FORMATS,
    AudienceFilters,
    add_cross_sell,
    build_audience,
    first_order_anniversaries,
    order_milestone,
    overdue_customers,
    predicted_next_orders,
    render_audience,
    to_bytes,
    zip_all_segments,
)
from retention.errors import UserInputError
from retention.i18n import export_format_label, format_number, segment_label, t
from retention.segments import segment_names

lang = app_state.lang()
ds = app_state.dataset()
table = app_state.scope()

app_ui.page_header("🎯 " + t("aud.title", lang), t("aud.subtitle", lang))

window = st.session_state.get("churn_window")  # the window chosen on the churn page, if any
bundle = app_state.churn_bundle(window, label=t("churn.scoring", lang))
customers: pd.DataFrame = bundle["customers"]
if customers.empty:
    st.warning(t("common.no_data", lang))
    st.stop()

# --- who -------------------------------------------------------------------------------------------
st.subheader("1️⃣ " + t("aud.who", lang))
w = st.columns([1, 3])
by = app_ui.kept(
    w[0].selectbox,
    "au_by",
    t("aud.by", lang),
    ["lifecycle", "rfm", "churn_risk"],
    format_func=lambda b: t(f"aud.by_{b}", lang),
)
present = set(
    customers[{"lifecycle": "lifecycle_segment", "rfm": "rfm_group", "churn_risk": "churn_risk"}[by]]
    .dropna()
    .astype(str)
)
options = [s for s in segment_names(by) if s in present] or sorted(present)
chosen = app_ui.kept(
    w[1].multiselect,
    f"au_segments_{by}",
    t("aud.segments", lang),
    options,
    placeholder=t("aud.all_customers", lang),
    format_func=lambda s: segment_label(s, lang),
)

MOMENTS = ["none", "anniversary", "milestone", "next_order", "overdue"]
m = st.columns([1, 1, 2])
moment = app_ui.kept(
    m[0].selectbox,
    "au_moment",
    t("aud.moment", lang),
    MOMENTS,
    format_func=lambda x: t(f"aud.moment_{x}", lang),
    help=t("aud.moment_help", lang),
)
moment_value = None
if moment in ("anniversary", "next_order"):
    moment_value = int(app_ui.kept(m[1].number_input, "au_moment_days", t("aud.within_days", lang), 1, 365, 30))
elif moment == "milestone":
    moment_value = int(app_ui.kept(m[1].number_input, "au_moment_n", t("aud.milestone_n", lang), 2, 100, 5))
elif moment == "overdue":
    moment_value = float(
        app_ui.kept(m[1].number_input, "au_moment_f", t("aud.overdue_factor", lang), 1.0, 5.0, 1.5, 0.1)
    )

with st.expander("🔎 " + t("aud.filters", lang)):
    f = st.columns(3)
    clv_range = app_ui.kept(
        f[0].slider, "au_clv", t("aud.clv_percentile", lang), 0, 100, (0, 100), help=t("aud.clv_percentile_help", lang)
    )
    first_day = pd.Timestamp(customers["last_order"].min()).date()
    last_day = pd.Timestamp(customers["last_order"].max()).date()
    last_range = app_ui.kept(
        f[1].date_input,
        "au_last",
        t("aud.last_order", lang),
        (first_day, last_day),
        min_value=first_day,
        max_value=last_day,
        format="DD/MM/YYYY" if lang == "it" else "YYYY-MM-DD",
    )
    orders_range = app_ui.kept(
        f[2].slider,
        "au_orders",
        t("aud.orders", lang),
        1,
        int(max(2, min(50, customers["orders"].max()))),
        (1, int(max(2, min(50, customers["orders"].max())))),
    )
    g = st.columns(3)
    countries = app_ui.kept(
        g[0].multiselect,
        "au_countries",
        t("filters.country", lang).split(" (")[0],
        sorted(customers["country"].dropna().astype(str).unique()),
        placeholder=t("filters.all", lang),
    )
    products = app_ui.kept(g[1].text_input, "au_products", t("aud.products", lang), help=t("aud.products_help", lang))
    categories = app_ui.kept(
        g[2].text_input, "au_categories", t("aud.categories", lang), help=t("aud.products_help", lang)
    )


def _split(text: str) -> tuple[str, ...] | None:
    items = tuple(s.strip() for s in (text or "").split(",") if s.strip())
    return items or None


max_orders_allowed = int(max(2, min(50, customers["orders"].max())))
start, end = last_range if isinstance(last_range, (tuple, list)) and len(last_range) == 2 else (None, None)
audience_filters = AudienceFilters(
    clv_percentile_min=clv_range[0] if clv_range[0] > 0 else None,
    clv_percentile_max=clv_range[1] if clv_range[1] < 100 else None,
    last_order_from=start if start and start != first_day else None,
    last_order_to=end if end and end != last_day else None,
    countries=tuple(countries) or None,
    products=_split(products),
    categories=_split(categories),
    min_orders=orders_range[0] if orders_range[0] > 1 else None,
    max_orders=orders_range[1] if orders_range[1] < max_orders_allowed else None,
)

# --- how -------------------------------------------------------------------------------------------
st.subheader("2️⃣ " + t("aud.how", lang))
h = st.columns(3)
fmt = app_ui.kept(
    h[0].selectbox,
    "au_fmt",
    t("aud.format", lang),
    list(FORMATS),
    format_func=lambda k: export_format_label(k, FORMATS[k].label, lang),
)
holdout_pct = app_ui.kept(
    h[1].slider, "au_holdout", t("aud.holdout", lang), 0, 50, 10, help=t("aud.holdout_help", lang)
)
seed = int(app_ui.kept(h[2].number_input, "au_seed", t("aud.seed", lang), 0, 10_000, 0, help=t("aud.seed_help", lang)))
k = st.columns(2)
include_no_consent = app_ui.kept(
    k[0].toggle, "au_consent", t("aud.include_no_consent", lang), value=False, help=t("aud.consent_help", lang)
)
cross_sell = app_ui.kept(
    k[1].toggle, "au_cross", t("aud.cross_sell", lang), value=False, help=t("aud.cross_sell_help", lang)
)

# --- build -----------------------------------------------------------------------------------------
base = customers
if cross_sell:
    base = app_state.cached(
        ("cross_sell", window),
        lambda: add_cross_sell(customers, ds.con, table=table),
        label=t("common.computing", lang),
    )
if moment == "anniversary":
    base = first_order_anniversaries(base, within_days=moment_value)
elif moment == "milestone":
    base = order_milestone(base, n=moment_value)
elif moment == "next_order":
    base = predicted_next_orders(base, within_days=moment_value)
elif moment == "overdue":
    base = overdue_customers(base, factor=moment_value)

fmt_info = FORMATS[fmt]
fmt_label = export_format_label(fmt, fmt_info.label, lang)
try:
    audience = build_audience(
        base,
        by=by,
        segments=chosen or None,
        filters=audience_filters,
        channel=fmt_info.channel,
        include_no_consent=include_no_consent,
        holdout=holdout_pct / 100,
        seed=seed,
        con=ds.con,
    )
except UserInputError as exc:
    st.error("⚠️ " + str(exc))
    st.stop()

# --- preview ---------------------------------------------------------------------------------------
st.subheader("3️⃣ " + t("aud.preview", lang))
p = st.columns(4)
p[0].metric(
    t("aud.members", lang), format_number(len(audience.treatment), lang), border=True, help=t("aud.members_help", lang)
)
p[1].metric(t("aud.holdout_size", lang), format_number(audience.holdout_size, lang), border=True)
p[2].metric(
    t("aud.left_out_consent", lang),
    format_number(audience.left_out_no_consent, lang),
    border=True,
    help=t("aud.consent_help", lang),
)
p[3].metric(t("aud.filtered_out", lang), format_number(audience.filtered_out, lang), border=True)
for warning in audience.warnings:
    st.warning(warning)
if audience.members.empty:
    st.info(t("aud.empty", lang))
    st.stop()

counts = audience.counts().assign(
    group=lambda d: d["holdout"].map({True: t("aud.control", lang), False: t("aud.treatment", lang)})
)
# the segments by their names in the page's language (the data keeps the canonical names)
per_segment = audience.segment_sizes().assign(
    segment=lambda d: d["segment"].astype(str).map(lambda s: segment_label(s, lang))
)
fig = charts.bar_chart(
    per_segment,
    x="segment",
    y="customers",
    x_label=t("aud.segment", lang),
    y_label=t("kpi.customers", lang),
    horizontal=True,
    lang=lang,
)
app_ui.chart(fig, counts, guide=t("aud.preview_guide", lang), name="audience_counts", key="au_counts")
st.dataframe(audience.members.head(100), hide_index=True, height=280)

# --- download --------------------------------------------------------------------------------------
st.subheader("4️⃣ " + t("aud.download", lang))
result = app_state.cached(
    (
        "audience_file",
        by,
        tuple(chosen),
        repr(audience_filters),
        moment,
        moment_value,
        fmt,
        holdout_pct,
        seed,
        include_no_consent,
        cross_sell,
        window,
    ),
    lambda: render_audience(audience, fmt),
)
# the writer's warnings, said from its counts in the page's language (result.warnings are English)
if result.dropped:
    detail = ", ".join(
        f"{format_number(n, lang)} {t(f'aud.cell_{k}', lang)}" for k, n in sorted(result.dropped.items())
    )
    st.warning("⚠️ " + t("aud.invalid_left_empty", lang, detail=detail))
if result.rows_without_identifier:
    n = format_number(result.rows_without_identifier, lang)
    st.warning("⚠️ " + t("aud.no_identifier", lang, n=n, fmt=fmt_label))
stem = "audience_" + ("_".join(chosen) if chosen else "all").replace(" ", "_").lower()[:60] + f"_{fmt}"
d = st.columns(3)
d[0].download_button(
    "⬇ " + t("aud.download_file", lang, fmt=fmt_label, n=format_number(result.rows, lang)),
    result.data,
    f"{stem}.{fmt_info.extension}",
    fmt_info.mime,
    key="dl_audience",
    type="primary",
    on_click="ignore",
)
if audience.holdout_size:
    control = audience.control
    d[1].download_button(
        "⬇ " + t("aud.download_holdout", lang, n=format_number(len(control), lang)),
        lambda: to_bytes(control, "csv"),
        f"{stem}_holdout.csv",
        "text/csv",
        key="dl_holdout",
        on_click="ignore",
    )
zip_key = (
    ds.version,
    app_state.filters_key(),
    by,
    repr(audience_filters),
    fmt,
    holdout_pct,
    seed,
    include_no_consent,
    cross_sell,
    moment,
    moment_value,
    window,
)
if d[2].button("🗜️ " + t("aud.prepare_zip", lang), key="au_zip"):
    with st.spinner(t("common.computing", lang)):
        st.session_state["_audience_zip"] = (
            zip_key,
            zip_all_segments(
                base,
                by=by,
                fmt=fmt,
                filters=audience_filters,
                include_no_consent=include_no_consent,
                holdout=holdout_pct / 100,
                seed=seed,
                con=ds.con,
            ),
        )
prepared = st.session_state.get("_audience_zip")
if prepared and prepared[0] == zip_key:
    d[2].download_button(
        "⬇ " + t("aud.download_zip", lang),
        prepared[1],
        f"audiences_{by}_{fmt}_{date.today().isoformat()}.zip",
        "application/zip",
        key="dl_zip",
        on_click="ignore",
    )
st.caption("🔒 " + t("aud.privacy", lang))
