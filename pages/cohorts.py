"""Cohorts: acquisition cohorts against periods since acquisition, as a heatmap and as curves."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_state
import app_ui
from retention import charts
from retention.cohorts import cohort_average, cohort_customers, cohort_table, revenue_layer_cake
from retention.i18n import format_number, t

lang = app_state.lang()
ds = app_state.dataset()
table = app_state.scope()
MAX_HEATMAP_COHORTS = 24  # beyond that the rows are too thin to read; the CSV has them all
MAX_LISTED = 1000  # customers of a cell shown in the page; the download has them all

app_ui.page_header("🧩 " + t("cohorts.title", lang), t("cohorts.subtitle", lang))

METRICS = {  # metric -> shown as a percentage?
    "retention": True,
    "active_customers": False,
    "orders": False,
    "revenue": False,
    "cumulative_revenue_per_customer": False,
    "repeat_share": True,
}
SPLITS = [None, "channel", "country", "discount_code", "product", "category"]

o = st.columns(4)
period = app_ui.kept(
    o[0].selectbox,
    "co_period",
    t("cohorts.period", lang),
    ["month", "week", "quarter", "year"],
    format_func=lambda p: t(f"period.{p}", lang),
)
mode = app_ui.kept(
    o[1].selectbox,
    "co_mode",
    t("cohorts.mode", lang),
    ["on", "on_or_after"],
    format_func=lambda m: t(f"cohorts.mode_{m}", lang),
    help=t("cohorts.mode_help", lang),
)
metric = app_ui.kept(
    o[2].selectbox,
    "co_metric",
    t("cohorts.metric", lang),
    list(METRICS),
    format_func=lambda m: t(f"cohorts.metric_{m}", lang),
)
split_by = app_ui.kept(
    o[3].selectbox,
    "co_split",
    t("cohorts.split_by", lang),
    SPLITS,
    format_func=lambda s: t(f"cohorts.split_{s or 'none'}", lang),
    help=t("cohorts.split_help", lang),
)

cells = app_state.cached(
    ("cohort_table", period, mode, split_by),
    lambda: cohort_table(ds.con, period=period, mode=mode, split_by=split_by, table=table),
    label=t("common.computing", lang),
)
if cells.empty:
    st.warning(t("common.no_data", lang))
    st.stop()
average = app_state.cached(("cohort_average", period, mode, split_by), lambda: cohort_average(cells))

segment = None
view, view_avg = cells, average
if split_by:
    segments = sorted(cells["segment"].astype(str).unique())
    segment = app_ui.kept(st.selectbox, f"co_segment_{split_by}", t("cohorts.segment", lang), segments)
    view = cells[cells["segment"].astype(str) == segment]
    view_avg = average[average["segment"].astype(str) == segment] if "segment" in average else average

percent = METRICS[metric]
label = t(f"cohorts.metric_{metric}", lang)
x_label = t("cohorts.periods_since", lang, period=t(f"period.{period}", lang).lower())

tab_heat, tab_curves, tab_cake = st.tabs(
    ["🟦 " + t("cohorts.heatmap", lang), "📈 " + t("cohorts.curves", lang), "🎂 " + t("cohorts.layer_cake", lang)],
    key="cohort_tabs",
    on_change="rerun",
)

with tab_heat:
    if tab_heat.open:  # only the open tab is computed and drawn
        cohorts_all = sorted(view["cohort"].astype(str).unique())
        shown = view[view["cohort"].astype(str).isin(cohorts_all[-MAX_HEATMAP_COHORTS:])]
        if len(cohorts_all) > MAX_HEATMAP_COHORTS:
            st.caption(t("cohorts.latest_only", lang, n=MAX_HEATMAP_COHORTS, total=len(cohorts_all)))
        numbers = None
        if charts.heatmap_numbers_optional(shown):  # big grids: numbers on request (slower to draw)
            numbers = app_ui.kept(
                st.toggle, "co_numbers", t("cohorts.numbers", lang), help=t("cohorts.numbers_help", lang)
            )
        fig = app_ui.figure(
            ("cohort_heatmap1", period, mode, metric, split_by, segment, numbers),
            lambda: charts.cohort_heatmap(
                shown,
                value=metric,
                percent=percent,
                x_label=x_label,
                y_label=t("cohorts.cohort", lang),
                value_label=label,
                incomplete_label=t("cohorts.incomplete", lang),
                numbers=numbers or None,
                lang=lang,
            ),
        )
        event = app_ui.chart(
            fig,
            view,
            guide=t("cohorts.heatmap_guide", lang),
            name=f"cohorts_{period}_{metric}",
            key="co_heatmap",
            on_select="rerun",
            selection_mode="points",
        )

        # Click-to-list: a click on a cell fills the two pickers; they also work on their own.
        st.markdown("##### 👥 " + t("cohorts.cell_customers", lang))
        points = []
        try:
            points = list(event.selection.points) if event is not None else []
        except AttributeError:
            points = []
        if points:
            p = points[0]
            st.session_state["co_pick_cohort"] = str(p.get("y"))
            st.session_state["co_pick_period"] = int(p.get("x"))
        c1, c2 = st.columns(2)
        cohort_options = cohorts_all[::-1]
        if st.session_state.get("co_pick_cohort") not in cohort_options:
            st.session_state.pop("co_pick_cohort", None)
        pick_cohort = c1.selectbox(t("cohorts.cohort", lang), cohort_options, key="co_pick_cohort")
        max_period = int(view.loc[view["cohort"].astype(str) == pick_cohort, "period"].max() or 0)
        if st.session_state.get("co_pick_period", 0) > max_period:
            st.session_state["co_pick_period"] = 0
        pick_period = c2.number_input(x_label, min_value=0, max_value=max_period, step=1, key="co_pick_period")
        members = app_state.cached(
            ("cohort_customers", period, mode, split_by, segment, pick_cohort, int(pick_period)),
            lambda: cohort_customers(
                ds.con,
                pick_cohort,
                int(pick_period),
                cohort_period=period,
                mode=mode,
                split_by=split_by,
                segment=segment,
                table=table,
            ),
        )
        if len(members) > MAX_LISTED:
            # the whole list goes to the download; the browser draws the most valuable customers
            # (an 8,000-row table is 0.6 MB to send and draw on every visit of this page)
            n, shown = format_number(len(members), lang), format_number(MAX_LISTED, lang)
            st.caption(t("cohorts.cell_count_top", lang, n=n, shown=shown))
            listed = members.nlargest(MAX_LISTED, "total_revenue")
        else:
            st.caption(t("cohorts.cell_count", lang, n=format_number(len(members), lang)))
            listed = members
        st.dataframe(listed, hide_index=True, height=260)
        st.download_button(
            "⬇ " + t("cohorts.download_customers", lang),
            lambda: app_ui.csv_bytes(members),
            f"cohort_{pick_cohort}_period_{int(pick_period)}.csv",
            "text/csv",
            key="dl_cell",
            on_click="ignore",
        )

with tab_curves:
    if tab_curves.open:  # only the open tab is computed and drawn
        if split_by:
            # One average curve per segment: the comparison the split exists for.
            curves = average.rename(columns={"segment": "cohort_label"}).assign(cohort=lambda d: d["cohort_label"])
            fig = app_ui.figure(
                ("retention_curves2", period, mode, metric, split_by, segment),
                lambda: charts.retention_curves(
                    curves, value=metric, percent=percent, x_label=x_label, y_label=label, max_cohorts=20, lang=lang
                ),
            )
            app_ui.chart(
                fig,
                average,
                guide=t("cohorts.split_curves_guide", lang),
                name=f"cohort_curves_by_{split_by}",
                key="co_curves",
            )
        else:
            fig = app_ui.figure(
                ("retention_curves3", period, mode, metric, split_by, segment),
                lambda: charts.retention_curves(
                    view,
                    value=metric,
                    average=view_avg,
                    percent=percent,
                    x_label=x_label,
                    y_label=label,
                    average_label=t("cohorts.average", lang),
                    lang=lang,
                ),
            )
            app_ui.chart(
                fig,
                pd.concat([view, view_avg], ignore_index=True),
                guide=t("cohorts.curves_guide", lang),
                name=f"cohort_curves_{period}_{metric}",
                key="co_curves",
            )

with tab_cake:
    if tab_cake.open:  # only the open tab is computed and drawn
        cake_period = "month" if period == "week" else period
        cake = app_state.cached(
            ("layer_cake", cake_period), lambda: revenue_layer_cake(ds.con, period=cake_period, table=table)
        )
        if cake.empty:
            st.info(t("common.no_data", lang))
        else:
            fig = app_ui.figure(
                ("layer_cake4", period, mode, metric, split_by, segment),
                lambda: charts.layer_cake(
                    cake.rename(columns={"period_start": "period"}),
                    x_label=t(f"period.{cake_period}", lang),
                    y_label=t("kpi.revenue", lang),
                    lang=lang,
                ),
            )
            app_ui.chart(
                fig, cake, guide=t("cohorts.layer_cake_guide", lang), name=f"layer_cake_{cake_period}", key="co_cake"
            )
