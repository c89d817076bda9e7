"""Customer value: historical and predicted CLV, the Pareto curve, CLV:CAC, and the model's backtest."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

import app_state
import app_ui
from retention import charts
from retention.clv import backtest_text, customer_value_table, fit_report, fit_status_text
from retention.cohorts import last_order_day
from retention.errors import UserInputError
from retention.i18n import format_date, format_money, format_number, format_percent, t

lang = app_state.lang()
ds = app_state.dataset()
table = app_state.scope()
currency = ds.report.get("currency") or "EUR"



def _spend_words(spend: dict) -> str:
    """The spend backtest in words with amounts in the shop's currency, like the page's other money
    figures: 'Predicted €12,345.60 of net revenue against €12,000.00 actual: 2.9% over the truth'."""
    predicted = format_money(spend["predicted_revenue"], lang, currency)
    actual = float(spend["actual_revenue"])
    if actual == 0:
        return t("value.bt_spend_none", lang, predicted=predicted)
    diff = (float(spend["predicted_revenue"]) - actual) / actual
    return t(
        "value.bt_spend_against",
        lang,
        predicted=predicted,
        actual=format_money(actual, lang, currency),
        pct=format_percent(abs(diff), lang, 1),
        side=t("value.bt_over" if diff > 0 else "value.bt_under", lang),
    )


app_ui.page_header("💶 " + t("value.title", lang), t("value.subtitle", lang))

o = st.columns(5)
horizon = app_ui.kept(
    o[0].selectbox,
    "cv_horizon",
    t("value.horizon", lang),
    [12, 3, 6, 24],
    format_func=lambda m: t("value.months", lang, n=m),
)
margin = app_ui.kept(
    o[1].number_input,
    "cv_margin",
    t("value.margin", lang),
    min_value=1,
    max_value=100,
    value=100,
    step=5,
    help=t("value.margin_help", lang),
)
discount = app_ui.kept(
    o[2].number_input,
    "cv_discount",
    t("value.discount_rate", lang),
    min_value=0,
    max_value=50,
    value=10,
    step=1,
    help=t("value.discount_rate_help", lang),
)
model = app_ui.kept(
    o[3].selectbox,
    "cv_model",
    t("value.model", lang),
    ["bgnbd", "mbgnbd"],
    format_func=lambda m: t(f"value.model_{m}", lang),
    help=t("value.model_help", lang),
)
cac = app_ui.cac_input(o[4], "cv_cac")

customers = app_state.cached(
    ("customer_value", horizon, margin, discount, model),
    lambda: customer_value_table(
        ds.con,
        horizon_months=int(horizon),
        margin=margin / 100,
        annual_discount_rate=discount / 100,
        table=table,
        model=model,
    ),
    label=t("value.fitting", lang),
)
if customers.empty:
    st.warning(t("common.no_data", lang))
    st.stop()

status = customers.attrs.get("fit_status") or {}
fit_reason, fit_warnings = fit_status_text(status, lang)
has_prediction = customers["predicted_clv"].notna().any()
if not has_prediction:
    st.warning("ℹ️ " + t("value.no_model", lang) + " " + str(fit_reason or ""))
for warning in fit_warnings:
    st.info(warning)

hist = customers["historical_clv"].astype(float)
pred = customers["predicted_clv"].astype(float)
pareto = charts.pareto_points(hist)
top20 = charts.top_customers_share(hist, 0.2)  # exact, not read off the sampled curve

m = st.columns(4)
m[0].metric(
    t("value.avg_historical", lang),
    format_money(hist.mean(), lang, currency),
    border=True,
    help=t("value.avg_historical_help", lang),
)
m[1].metric(
    t("value.avg_predicted", lang, n=horizon),
    format_money(pred.mean(), lang, currency),
    border=True,
    help=t("value.avg_predicted_help", lang),
)
m[2].metric(t("value.top20_share", lang), format_percent(top20, lang), border=True, help=t("value.top20_help", lang))
with m[3]:
    if cac is not None:
        ratio = float((hist.mean() + (pred.mean() if has_prediction else 0.0)) / cac)
        app_ui.metric_card(
            t("kpi.clv_cac", lang),
            format_number(ratio, lang, 1) + " : 1",
            help=t("value.clv_cac_help", lang, n=horizon),
            kpi="clv_cac",
            kpi_value=ratio,
        )
    else:
        st.metric(t("kpi.clv_cac", lang), "–", border=True, help=t("overview.enter_cac", lang))

tab_dist, tab_pareto, tab_backtest, tab_top = st.tabs(
    [
        "📊 " + t("value.distributions", lang),
        "📐 " + t("value.pareto", lang),
        "🧪 " + t("value.backtest", lang),
        "🏆 " + t("value.top_customers", lang),
    ],
    key="value_tabs",
    on_change="rerun",
)

with tab_dist:
    if tab_dist.open:  # only the open tab is computed and drawn
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**" + t("value.historical", lang) + "**")
            fig = app_ui.figure(
                ("histogram1", horizon, margin, discount, model),
                lambda: charts.histogram(
                    hist,
                    x_label=t("value.historical", lang) + f" ({currency})",
                    y_label=t("kpi.customers", lang),
                    lang=lang,
                ),
            )
            app_ui.chart(
                fig,
                customers[["customer_id", "historical_clv"]],
                guide=t("value.hist_guide", lang),
                name="historical_clv",
                key="cv_hist",
            )
        with c2:
            st.markdown("**" + t("value.predicted", lang, n=horizon) + "**")
            if has_prediction:
                fig = app_ui.figure(
                    ("histogram2", horizon, margin, discount, model),
                    lambda: charts.histogram(
                        pred,
                        x_label=t("value.predicted", lang, n=horizon) + f" ({currency})",
                        y_label=t("kpi.customers", lang),
                        colour=charts.GREEN,
                        lang=lang,
                    ),
                )
                app_ui.chart(
                    fig,
                    customers[["customer_id", "predicted_clv", "p_alive", "expected_purchases"]],
                    guide=t("value.pred_guide", lang),
                    name="predicted_clv",
                    key="cv_pred",
                )
            else:
                st.info(t("value.no_model", lang))

with tab_pareto:
    if tab_pareto.open:  # only the open tab is computed and drawn
        fig = app_ui.figure(
            ("pareto_curve3", horizon, margin, discount, model),
            lambda: charts.pareto_curve(
                hist, x_label=t("value.pareto_x", lang), y_label=t("value.pareto_y", lang), lang=lang
            ),
        )
        app_ui.chart(
            fig,
            pareto,
            guide=t("value.pareto_guide", lang, share=format_percent(top20, lang, 0)),
            name="pareto_revenue",
            key="cv_pareto",
        )

with tab_backtest:
    if tab_backtest.open:  # only the open tab is computed and drawn
        st.caption(t("value.backtest_intro", lang))
        last = app_state.cached(("last_order_day",), lambda: last_order_day(ds.con, table))
        holdout = app_ui.kept(
            st.select_slider, "cv_holdout", t("value.holdout_days", lang), options=[90, 180, 270, 365], value=180
        )
        cutoff = last - timedelta(days=int(holdout))
        st.caption(t("value.cutoff", lang, date=format_date(cutoff, lang)))
        try:
            report = app_state.cached(
                ("fit_report", model, cutoff.isoformat()),
                lambda: fit_report(ds.con, time_unit="day", calibration_end=cutoff, model=model, table=table),
                label=t("value.fitting", lang),
            )
        except UserInputError as exc:
            st.warning("ℹ️ " + str(exc))
            report = None
        bt = (report or {}).get("backtest")
        if bt:
            b = st.columns(3)
            b[0].metric(t("value.actual_purchases", lang), format_number(bt["actual_purchases"], lang), border=True)
            b[1].metric(
                t("value.predicted_purchases", lang),
                format_number(bt["predicted_purchases"], lang),
                border=True,
                delta=format_percent(bt["predicted_purchases"] / bt["actual_purchases"] - 1, lang)
                if bt["actual_purchases"]
                else None,
                delta_color="off",
            )
            b[2].metric(
                t("value.naive_purchases", lang),
                format_number(bt["naive_predicted_purchases"], lang),
                border=True,
                help=t("value.naive_help", lang),
            )
            st.success("🗣️ " + backtest_text(bt, lang))
            if bt.get("spend"):
                st.info("💶 " + _spend_words(bt["spend"]))
            buckets = pd.DataFrame(bt.get("by_past_repeat_purchases") or [])
            if len(buckets):
                frame = buckets.rename(
                    columns={
                        "past_repeat_purchases": "bucket",
                        "actual_mean": "actual",
                        "predicted_mean": "predicted",
                        "naive_mean": "baseline",
                    }
                )
                fig = app_ui.figure(
                    ("backtest_calibration4", model, cutoff),
                    lambda: charts.backtest_calibration(
                        frame,
                        x_label=t("value.bt_x", lang),
                        y_label=t("value.bt_y", lang),
                        actual_label=t("value.actual", lang),
                        predicted_label=t("value.predicted_short", lang),
                        baseline_label=t("value.naive", lang),
                        lang=lang,
                    ),
                )
                app_ui.chart(fig, buckets, guide=t("value.bt_guide", lang), name="backtest_calibration", key="cv_bt")
            with st.expander(t("value.model_params", lang)):
                st.json({"purchase_model": report.get("purchase_model"), "spend_model": report.get("spend_model")})

with tab_top:
    if tab_top.open:  # only the open tab is computed and drawn
        cols = [
            c
            for c in (
                "customer_id",
                "email",
                "country",
                "orders",
                "revenue",
                "last_order",
                "p_alive",
                "expected_purchases",
                "predicted_clv",
                "historical_clv",
            )
            if c in customers
        ]
        top = customers.sort_values(
            ["predicted_clv" if has_prediction else "historical_clv", "customer_id"], ascending=[False, True]
        ).head(200)[cols]
        st.caption(t("value.top_guide", lang, n=format_number(len(customers), lang)))
        st.dataframe(
            top,
            hide_index=True,
            height=420,
            column_config={"p_alive": st.column_config.ProgressColumn("P(alive)", min_value=0, max_value=1)},
        )
        st.download_button(
            "⬇ " + t("value.download_all", lang),
            lambda: app_ui.csv_bytes(customers[cols]),
            "customer_value.csv",
            "text/csv",
            key="dl_cv_all",
            on_click="ignore",
        )
