"""Churn and segments: risk tiers, the scorer leaderboard, RFM groups, lifecycle segments with their
playbook, segment migration, and one customer's story."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

import app_state
import app_ui
from retention import charts
from retention.churn import choice_text, churn_note_text, drilldown_candidates, window_source_text
from retention.i18n import format_date, format_money, format_number, format_percent, segment_label, t
from retention.segments import (
    rfm_grid_counts,
    rfm_group_rules_table,
    risk_tier_counts,
    segment_migration,
    segment_names,
    segment_summary,
)
from retention.sql.drilldown import customer_orders

lang = app_state.lang()
ds = app_state.dataset()
table = app_state.scope()
currency = ds.report.get("currency") or "EUR"

SUMMARY_COLUMNS = {
    "share": st.column_config.NumberColumn(format="percent"),
    "revenue_share": st.column_config.NumberColumn(format="percent"),
    "revenue": st.column_config.NumberColumn(format="%.0f"),
    "aov": st.column_config.NumberColumn(format="%.2f"),
    "avg_predicted_clv": st.column_config.NumberColumn(format="%.2f"),
    "orders_per_customer": st.column_config.NumberColumn(format="%.2f"),
    "churn_low_share": st.column_config.NumberColumn(format="percent"),
    "churn_medium_share": st.column_config.NumberColumn(format="percent"),
    "churn_high_share": st.column_config.NumberColumn(format="percent"),
}



def _named(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """A segment summary's segments by their names in the page's language (tiers as Low/Medium/High
    under the "Churn risk" column, the others as translated segment names)."""
    if by == "churn_risk":
        return frame.assign(segment=frame["segment"].astype(str).map(lambda s: t(f"churn.tier_{s}", lang)))
    return frame.assign(segment=frame["segment"].astype(str).map(lambda s: segment_label(s, lang)))


def _summary_table(frame: pd.DataFrame, by: str) -> None:
    """Draw a segment summary with its column names and segments in the page's language."""
    names = {c: t(f"summary.{c}", lang) for c in frame.columns}
    names["segment"] = t({"churn_risk": "churn.risk", "rfm": "churn.group", "lifecycle": "churn.segment"}[by], lang)
    config = {names[c]: cfg for c, cfg in SUMMARY_COLUMNS.items() if c in names}
    st.dataframe(_named(frame, by).rename(columns=names), hide_index=True, column_config=config)


app_ui.page_header("🚦 " + t("churn.title", lang), t("churn.subtitle", lang))

o = st.columns([2, 1, 3])
own_window = app_ui.kept(
    o[0].toggle, "ch_own_window", t("churn.own_window", lang), value=True, help=t("churn.own_window_help", lang)
)
window = None
if not own_window:
    window = int(
        app_ui.kept(
            o[1].number_input, "ch_window", t("churn.window_days", lang), min_value=7, max_value=730, value=90, step=7
        )
    )

st.session_state["churn_window"] = window  # the audiences page builds on the same scores
bundle = app_state.churn_bundle(window, label=t("churn.scoring", lang))
customers: pd.DataFrame = bundle["customers"]
result = bundle["result"]
if customers.empty:
    st.warning(t("common.no_data", lang))
    st.stop()

source = window_source_text(result.window_values, lang) if result.window_values else str(result.window_source)
# the source is a fragment (the CLI prints it as a field): here it is a sentence of its own
o[2].info("⏱️ " + t("churn.window_is", lang, n=result.window_days) + " " + source[:1].upper() + source[1:] + ".")

m = st.columns([1, 2])
with m[0]:
    share = bundle["share"]
    app_ui.metric_card(
        t("kpi.churn_risk_share", lang),
        format_percent(share, lang),
        help=t("kpi.churn_risk_share_help", lang),
        kpi="churn_risk_share",
        kpi_value=share,
    )
with m[1]:
    with st.container(border=True):
        st.markdown("**" + t("churn.scorer", lang) + ": " + t(f"churn.scorer_{result.chosen}", lang) + "**")
        st.badge(
            t("churn.confidence", lang) + ": " + t(f"churn.conf_{result.confidence}", lang),
            color={"high": "green", "medium": "blue", "low": "orange"}.get(result.confidence, "gray"),
        )
        st.write(choice_text(result.reason_values, lang) if result.reason_values else result.reason)
        for note in result.note_values or result.notes:
            st.caption("ℹ️ " + (churn_note_text(note, lang) if isinstance(note, dict) else note))

# the last order day of the data: the migration tab counts back from it, the drill-down's recency to it
last = pd.Timestamp(customers["last_order"].max()).date()
tabs = st.tabs(
    [
        "🚦 " + t("churn.tiers", lang),
        "🏁 " + t("churn.leaderboard", lang),
        "🧮 " + t("churn.rfm", lang),
        "🌱 " + t("churn.lifecycle", lang),
        "🔀 " + t("churn.migration", lang),
        "🔍 " + t("churn.drilldown", lang),
    ],
    key="churn_tabs",
    on_change="rerun",
)

with tabs[0]:
    if tabs[0].open:  # only the open tab is computed and drawn
        tiers = risk_tier_counts(customers)
        fig = app_ui.figure(
            ("risk_tiers2", window),
            lambda: charts.risk_tiers(
                tiers,
                tier_labels={k: t(f"churn.tier_{k}", lang) for k in ("low", "medium", "high")},
                x_label=t("churn.risk", lang),
                y_label=t("kpi.customers", lang),
                lang=lang,
            ),
        )
        th = result.thresholds
        app_ui.chart(
            fig,
            tiers,
            guide=t(
                "churn.tiers_guide",
                lang,
                n=result.window_days,
                medium=format_percent(th.get("medium"), lang, 0),
                high=format_percent(th.get("high"), lang, 0),
            ),
            name="churn_risk_tiers",
            key="ch_tiers",
        )
        by_tier = app_state.cached(
            ("segment_summary", "churn_risk", lang, window),
            lambda: segment_summary(customers, by="churn_risk", language=lang),
        )
        _summary_table(by_tier.drop(columns=[c for c in by_tier.columns if c.startswith("churn_")]), "churn_risk")

with tabs[1]:
    if tabs[1].open:  # only the open tab is computed and drawn
        board = result.leaderboard
        if board is None or board.empty:
            st.info(t("churn.no_leaderboard", lang))
        else:
            shown = board.copy()
            st.caption(t("churn.leaderboard_guide", lang))
            st.dataframe(
                shown,
                hide_index=True,
                column_config={
                    "roc_auc": st.column_config.NumberColumn("ROC AUC", format="%.3f"),
                    "precision_top20": st.column_config.NumberColumn(t("churn.precision_top20", lang), format="%.2f"),
                    "brier": st.column_config.NumberColumn("Brier", format="%.3f"),
                    "chosen": st.column_config.CheckboxColumn(t("churn.chosen", lang)),
                },
            )
            fig = app_ui.figure(
                ("churn_bar_chart3", window),
                lambda: charts.bar_chart(
                    board,
                    x="label" if "label" in board else "scorer",
                    y="roc_auc",
                    x_label=t("churn.scorer", lang),
                    y_label="ROC AUC",
                    text_format=".3f",
                    colours=[charts.GREEN if c else charts.GREY for c in board["chosen"]],
                    lang=lang,
                ),
            )
            app_ui.chart(fig, board, guide=t("churn.auc_guide", lang), name="churn_leaderboard", key="ch_board")

with tabs[2]:
    if tabs[2].open:  # only the open tab is computed and drawn
        c1, c2 = st.columns(2)
        with c1:
            grid = rfm_grid_counts(customers)
            fig = app_ui.figure(
                ("rfm_grid4", window),
                lambda: charts.rfm_grid(
                    grid,
                    x_label=t("churn.f_score", lang),
                    y_label=t("churn.r_score", lang),
                    value_label=t("kpi.customers", lang),
                    lang=lang,
                ),
            )
            app_ui.chart(fig, grid, guide=t("churn.rfm_grid_guide", lang), name="rfm_grid", key="ch_rfm_grid")
        with c2:
            rfm = app_state.cached(
                ("segment_summary", "rfm", lang, window), lambda: segment_summary(customers, by="rfm", language=lang)
            )
            fig = app_ui.figure(
                ("churn_bar_chart5", window),
                lambda: charts.bar_chart(
                    _named(rfm, "rfm"),
                    x="segment",
                    y="customers",
                    x_label=t("churn.group", lang),
                    y_label=t("kpi.customers", lang),
                    horizontal=True,
                    lang=lang,
                ),
            )
            app_ui.chart(fig, rfm, guide=t("churn.rfm_groups_guide", lang), name="rfm_groups", key="ch_rfm_groups")
        st.markdown("##### " + t("churn.groups_table", lang))
        _summary_table(rfm, "rfm")
        with st.expander(t("churn.rfm_rules", lang)):
            st.caption(t("churn.rfm_rules_guide", lang))
            st.dataframe(rfm_group_rules_table(), hide_index=True)

with tabs[3]:
    if tabs[3].open:  # only the open tab is computed and drawn
        life = app_state.cached(
            ("segment_summary", "lifecycle", lang, window),
            lambda: segment_summary(customers, by="lifecycle", language=lang),
        )
        fig = app_ui.figure(
            ("churn_bar_chart6", window),
            lambda: charts.bar_chart(
                _named(life, "lifecycle"),
                x="segment",
                y="customers",
                x_label=t("churn.segment", lang),
                y_label=t("kpi.customers", lang),
                horizontal=True,
                lang=lang,
            ),
        )
        app_ui.chart(fig, life, guide=t("churn.lifecycle_guide", lang), name="lifecycle_segments", key="ch_life")
        st.markdown("##### 📋 " + t("churn.playbook", lang))
        for row in life.itertuples():
            if not row.customers:
                continue
            with st.container(border=True):
                a, b = st.columns([1, 3])
                a.markdown(
                    f"**{segment_label(row.segment, lang)}**  \n"
                    f"{format_number(row.customers, lang)} · {format_percent(row.share, lang)}"
                    f"  \n{format_money(row.revenue, lang, currency, 0)}"
                )
                b.markdown(f"📣 **{row.channel}**  \n{row.recommended_action}")
        _summary_table(life, "lifecycle")

with tabs[4]:
    if tabs[4].open:  # only the open tab is computed and drawn
        by = app_ui.kept(
            st.radio,
            "ch_mig_by",
            t("churn.segmentation", lang),
            ["rfm", "lifecycle"],
            horizontal=True,
            format_func=lambda b: t(f"churn.by_{b}", lang),
        )
        months_back = app_ui.kept(
            st.select_slider, "ch_mig_months", t("churn.since_months", lang), options=[1, 3, 6, 12], value=6
        )
        since = last - timedelta(days=round(30.4375 * months_back))
        moves = app_state.cached(
            ("migration", by, since.isoformat(), window),
            lambda: segment_migration(ds.con, since=since, by=by, table=table, window_days=result.window_days),
            label=t("common.computing", lang),
        )
        if moves.empty:
            st.info(t("common.no_data", lang))
        else:
            fig = app_ui.figure(
                ("migration_heatmap7", window, by, since),
                lambda: charts.migration_heatmap(
                    moves,
                    order=segment_names(by),
                    x_label=t("churn.now", lang),
                    y_label=t("churn.on_date", lang, date=format_date(since, lang)),
                    value_label=t("churn.share_of_before", lang),
                    lang=lang,
                ),
            )
            app_ui.chart(
                fig,
                moves,
                guide=t("churn.migration_guide", lang, date=format_date(since, lang)),
                name=f"segment_migration_{by}",
                key="ch_mig",
            )

with tabs[5]:
    if tabs[5].open:  # only the open tab is computed and drawn
        st.caption(t("churn.drilldown_guide", lang))
        ids = drilldown_candidates(customers)
        labels = dict(zip(customers["customer_id"], customers["email"].fillna(customers["customer_id"]), strict=False))
        pick = app_ui.kept(
            st.selectbox,
            "ch_pick",
            t("churn.pick_customer", lang),
            ids,
            format_func=lambda c: f"{labels.get(c, c)}",
            help=t("churn.pick_help", lang),
        )
        if pick is not None:
            row = customers.loc[customers["customer_id"] == pick].iloc[0]
            k = st.columns(5)
            k[0].metric(t("kpi.orders", lang), format_number(row["orders"], lang), border=True)
            k[1].metric(t("data.revenue", lang), format_money(row["revenue"], lang, currency), border=True)
            k[2].metric(
                t("churn.p_churn", lang, n=result.window_days),
                format_percent(row["churn_probability"], lang),
                border=True,
            )
            k[3].metric(
                t("value.predicted_short", lang) + " CLV",
                format_money(row["predicted_clv"], lang, currency),
                border=True,
            )
            k[4].metric("RFM", f"{row['rfm_score']} · {row['rfm_group']}", border=True)
            recency_days = (last - pd.Timestamp(row["last_order"]).date()).days
            reasons = [t("churn.why_last_order", lang, days=recency_days, date=format_date(row["last_order"], lang))]
            if row["orders"] > 1 and row["frequency"] > 0:
                gap = row["recency"] / row["frequency"]
                reasons.append(t("churn.why_cadence", lang, gap=format_number(gap, lang)))
            if row.get("days_overdue", 0) and row["days_overdue"] > 0:
                reasons.append(t("churn.why_overdue", lang, days=format_number(row["days_overdue"], lang)))
            if row["orders"] == 1:
                reasons.append(t("churn.why_one_order", lang))
            risk = t(f"churn.tier_{row['churn_risk']}", lang)
            reasons.append(t("churn.why_segment", lang, life=segment_label(row["lifecycle_segment"], lang), risk=risk))
            st.markdown("**" + t("churn.why", lang) + "**\n\n" + "\n".join(f"- {r}" for r in reasons))
            history = customer_orders(ds.con, pick, table=table)
            st.dataframe(history, hide_index=True)
