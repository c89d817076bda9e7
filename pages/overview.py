"""Overview: the retention KPIs beside the benchmark bands of the founding research, and the what-if."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_state
import app_ui
from retention import charts
from retention.errors import UserInputError
from retention.i18n import format_date, format_money, format_month, format_number, format_percent, t

lang = app_state.lang()
ds = app_state.dataset()
currency = ds.report.get("currency") or "EUR"

app_ui.page_header("📊 " + t("overview.title", lang), t("overview.subtitle", lang))

opt1, opt2, opt3 = st.columns([1, 1, 2])
period = app_ui.kept(
    opt1.selectbox,
    "ov_period",
    t("overview.period", lang),
    app_state.OVERVIEW_PERIODS,
    format_func=lambda p: t(f"period.{p}", lang),
)
cac_value = app_ui.cac_input(opt2, "ov_cac")
spend_file = app_ui.kept_file(opt3, "ov_spend", t("overview.spend_upload", lang), type=["csv", "tsv", "txt"])
opt3.caption(t("overview.spend_caption", lang))
try:  # a file that cannot be read is said here, and the KPIs still draw
    spend = app_state.marketing_spend(spend_file)
except UserInputError as exc:
    spend = None
    opt3.error(app_state.friendly_error(exc))
if spend is not None and cac_value is not None:
    opt2.caption("ℹ️ " + t("overview.spend_over_cac", lang))

table = app_state.scope()
kpis = app_state.cached(
    *app_state.overview_kpis(period, cac_value, table, spend=spend), label=t("common.computing", lang)
)

if not kpis.get("customers"):
    st.warning(t("common.no_data", lang))
    st.stop()


st.subheader(t("overview.headline", lang))
cols = st.columns(4)
with cols[0]:
    app_ui.metric_card(t("kpi.customers", lang), format_number(kpis.get("customers"), lang))
with cols[1]:
    app_ui.metric_card(t("kpi.orders", lang), format_number(kpis.get("orders"), lang))
with cols[2]:
    app_ui.metric_card(t("kpi.revenue", lang), format_money(kpis.get("revenue"), lang, currency, 0))
with cols[3]:
    app_ui.metric_card(t("kpi.aov", lang), format_money(kpis.get("aov"), lang, currency))

st.subheader(t("overview.against_benchmarks", lang))
cols = st.columns(3)
with cols[0]:
    app_ui.metric_card(
        t("kpi.repeat_rate", lang),
        format_percent(kpis.get("repeat_purchase_rate"), lang),
        help=t("kpi.repeat_rate_help", lang),
        kpi="repeat_purchase_rate",
        kpi_value=kpis.get("repeat_purchase_rate"),
    )
with cols[1]:
    value = kpis.get("clv_cac")
    app_ui.metric_card(
        t("kpi.clv_cac", lang),
        (format_number(value, lang, 1) + " : 1") if value is not None else "–",
        help=t("kpi.clv_cac_help", lang),
        kpi="clv_cac",
        kpi_value=value,
    )
    if value is None and (kpis.get("clv_cac_detail") or {}).get("cac") is None:
        st.caption("👉 " + t("overview.enter_cac", lang))
with cols[2]:
    churn = app_state.peek(("churn", None))
    share = churn["share"] if churn is not None else None
    app_ui.metric_card(
        t("kpi.churn_risk_share", lang),
        format_percent(share, lang),
        help=t("kpi.churn_risk_share_help", lang),
        kpi="churn_risk_share",
        kpi_value=share,
    )
    if churn is None and st.button("🚦 " + t("overview.estimate_churn", lang), key="ov_churn"):
        app_state.churn_bundle(None)
        st.rerun()

by_month = (kpis.get("clv_cac_detail") or {}).get("by_cohort")
if by_month:
    st.markdown("**" + t("overview.clv_cac_by_month", lang) + "**")
    rows = pd.DataFrame(by_month)
    labels = {
        "cohort": t("overview.col_acquisition_month", lang),
        "spend": t("overview.col_spend", lang),
        "new_customers": t("overview.col_new_customers", lang),
        "cac": "CAC",
        "clv": "CLV",
        "clv_cac": "CLV:CAC",
    }
    shown = pd.DataFrame(
        {
            labels["cohort"]: rows["cohort"].map(lambda d: format_month(d, lang)),
            labels["spend"]: rows["spend"].map(lambda v: format_money(v, lang, currency)),
            labels["new_customers"]: rows["new_customers"].map(lambda v: format_number(v, lang)),
            labels["cac"]: rows["cac"].map(lambda v: format_money(v, lang, currency)),
            labels["clv"]: rows["clv"].map(lambda v: format_money(v, lang, currency)),
            labels["clv_cac"]: rows["clv_cac"].map(lambda v: "–" if v is None else format_number(v, lang, 1) + " : 1"),
        }
    )
    st.dataframe(shown, hide_index=True, key="ov_clv_cac_by_month")
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption("💡 " + t("overview.clv_cac_by_month_guide", lang))
    right.download_button(
        "⬇ CSV",
        data=lambda: app_ui.csv_bytes(rows),
        file_name="clv_cac_by_month.csv",
        mime="text/csv",
        key="dl_clv_cac_by_month",
        on_click="ignore",
        help=t("common.download_numbers", lang),
    )

cols = st.columns(4)
cols[0].metric(t("kpi.one_time_share", lang), format_percent(kpis.get("one_time_buyer_share"), lang), border=True)
cols[1].metric(
    t("kpi.retention_rate", lang, period=t(f"period.{period}", lang)),
    format_percent(kpis.get("retention_rate"), lang),
    border=True,
    help=t("kpi.retention_rate_help", lang),
)
cols[2].metric(t("kpi.churn_rate", lang), format_percent(kpis.get("churn_rate"), lang), border=True)
cols[3].metric(t("kpi.orders_per_customer", lang), format_number(kpis.get("orders_per_customer"), lang, 2), border=True)

tab_series, tab_repurchase, tab_gaps = st.tabs(
    [
        "📈 " + t("overview.retention_series", lang),
        "🔁 " + t("overview.repurchase", lang),
        "⏱️ " + t("overview.gaps", lang),
    ],
    key="overview_tabs",
    on_change="rerun",
)
with tab_series:
    if tab_series.open:  # only the open tab is computed and drawn
        series = pd.DataFrame(kpis.get("retention_series") or [])
        if len(series):
            series = series[series["complete"].astype(bool)].assign(churn_rate=lambda d: 1 - d["retention_rate"])
        if len(series):
            fig = app_ui.figure(
                ("time_series5", period, cac_value),
                lambda: charts.time_series(
                    series,
                    x="period_start",
                    y=["retention_rate", "churn_rate"],
                    x_label=t(f"period.{period}", lang),
                    y_label=t("overview.rate", lang),
                    percent=True,
                    names=[t("kpi.retention", lang), t("kpi.churn", lang)],
                    colours=[charts.BLUE, charts.CHURN_COLOUR],  # churn in a warning colour, never green
                    lang=lang,
                ),
            )
            app_ui.chart(
                fig, series, guide=t("overview.retention_series_guide", lang), name="retention_series", key="ov_series"
            )
        else:
            st.info(t("overview.no_series", lang))
with tab_repurchase:
    if tab_repurchase.open:  # only the open tab is computed and drawn
        rep = kpis.get("repurchase_within") or {}
        frame = pd.DataFrame([{"days": int(k), **v} for k, v in rep.items()])
        if len(frame) and frame["rate"].notna().any():
            fig = app_ui.figure(
                ("overview_bar_chart5", period, cac_value),
                lambda: charts.bar_chart(
                    frame.assign(days=frame["days"].map(lambda d: t("overview.within_days", lang, n=d))),
                    x="days",
                    y="rate",
                    x_label=t("overview.days_after_first", lang),
                    y_label=t("overview.repurchased", lang),
                    percent=True,
                    lang=lang,
                ),
            )
            app_ui.chart(fig, frame, guide=t("overview.repurchase_guide", lang), name="repurchase_within", key="ov_rep")
        else:
            st.info(t("overview.no_series", lang))
with tab_gaps:
    if tab_gaps.open:  # only the open tab is computed and drawn
        gaps = kpis.get("time_between_orders") or {}
        frame = pd.DataFrame([{"step": k, **v} for k, v in gaps.items()])
        if len(frame) and frame["median_days"].notna().any():
            fig = app_ui.figure(
                ("overview_bar_chart6", period, cac_value),
                lambda: charts.bar_chart(
                    frame.assign(step=frame["step"].map(lambda k: t(f"overview.step_{k}", lang))),
                    x="step",
                    y="median_days",
                    x_label=t("overview.order_step", lang),
                    y_label=t("overview.median_days", lang),
                    text_format=",.0f",
                    lang=lang,
                ),
            )
            app_ui.chart(fig, frame, guide=t("overview.gaps_guide", lang), name="days_between_orders", key="ov_gaps")
        else:
            st.info(t("overview.no_series", lang))
for note in kpis.get("notes") or []:
    st.caption("ℹ️ " + note)

# --- what-if ---------------------------------------------------------------------------------------
st.subheader("🔮 " + t("overview.what_if", lang))
st.caption(t("overview.what_if_intro", lang))
wc = st.columns([2, 1])
points = app_ui.kept(
    wc[0].slider,
    "ov_whatif",
    t("overview.what_if_points_any", lang),
    min_value=1,
    max_value=20,
    value=app_state.OVERVIEW_WHAT_IF_POINTS,
)
lever = app_ui.kept(
    wc[1].radio,
    "ov_lever",
    t("overview.what_if_lever", lang),
    app_state.OVERVIEW_LEVERS,
    horizontal=True,
    format_func=lambda x: t(f"overview.lever_{x}", lang),
)
result = app_state.cached(*app_state.overview_what_if(points, lever, table))
scenario = result.get("repeat_rate_scenario" if lever == "repeat" else "retention_rate_scenario")
if scenario:
    w = st.columns(3)
    w[0].metric(
        t("overview.extra_revenue", lang),
        format_money(scenario.get("extra_revenue_12m"), lang, currency, 0),
        border=True,
    )
    w[1].metric(
        t("overview.extra_returning", lang),
        format_number(scenario.get("extra_returning_customers_per_month"), lang, 1),
        border=True,
    )
    w[2].metric(
        t("overview.revenue_lift", lang),
        format_percent(scenario.get("lift_share"), lang),
        border=True,
        help=t("overview.baseline", lang, amount=format_money(result.get("baseline_revenue_12m"), lang, currency, 0)),
    )
    inputs = result.get("inputs") or {}
    frame = pd.DataFrame(
        [{"input": k, "value": v} for k, v in inputs.items()] + [{"input": k, "value": v} for k, v in scenario.items()]
    )
    st.download_button(
        "⬇ " + t("overview.what_if_csv", lang),
        lambda: app_ui.csv_bytes(frame),
        "what_if.csv",
        "text/csv",
        key="dl_whatif",
        on_click="ignore",
    )
if lever == "repeat" and scenario and not (result.get("inputs") or {}).get("new_customers_per_month"):
    # the lever acts on new customers: with none in the window, its answer is 0, and this says why
    span = result.get("window") or {}
    start, end = (format_date(span[k], lang) if span.get(k) else "–" for k in ("from", "to"))
    st.info("ℹ️ " + t("overview.what_if_no_new", lang, start=start, end=end))
for note in result.get("notes") or []:
    st.caption("ℹ️ " + note)
