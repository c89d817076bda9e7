"""One row per customer: history, predicted value, RFM group, lifecycle segment and churn risk.

The CLV part comes from `retention.clv.customer_value_table`; segments from `retention.segments`;
churn risk from `retention.churn.score_churn`.
"""

from __future__ import annotations

import pandas as pd

from retention.churn import ChurnResult, churn_risk_share, judge_churn_risk, score_churn
from retention.clv import customer_value_table
from retention.segments import LifecycleRules, rfm_segments
from retention.sql.segments import create_prepared_order_rows, drop_prepared_order_rows

SEGMENT_COLUMNS = (
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_group",
    "lifecycle_segment",
)
CHURN_COLUMNS = ("churn_probability", "churn_risk", "churn_confidence", "days_overdue")


def build_customer_table(
    con,
    *,
    horizon_months: int = 12,
    margin: float = 1.0,
    annual_discount_rate: float = 0.1,
    churn_window_days: int | None = None,
    table: str = "orders",
    random_state: int = 0,
    lifecycle_rules: LifecycleRules | None = None,
) -> tuple[pd.DataFrame, ChurnResult]:
    """The customer table and the churn result behind it (leaderboard, thresholds, window) for the app.

    Adds to `customer_value_table`: r_score, f_score, m_score (1-5), rfm_score ("545"), rfm_group,
    lifecycle_segment, churn_probability (no order in the next N days), churn_risk (low/medium/high),
    churn_confidence (high/medium/low), days_overdue (days past the customer's own expected gap, 0
    when not yet due). N is `churn_window_days`, default the shop's own (see `retention.churn`).
    `table.attrs["churn"]` holds `ChurnResult.to_dict()` plus `at_risk_share` (`churn_risk_share`: the
    share of the ACTIVE customers, with an order in the last 365 days, whose risk tier is high),
    `at_risk_base` (that definition in words), `active_customers` (the base's size) and
    `at_risk_verdict` (the benchmark verdict, ~28% typical, <= 18% goal).
    """
    # Churn and RFM first, on order rows grouped once into temp tables for the three cut-offs, the
    # gap histogram and RFM; they are dropped before the value table, whose summary reads the lines
    # itself (with the prepared rows it held about a third more memory at its peak). In this order the
    # two memory peaks (churn features, contact fields) never meet a live copy of the other's frames.
    create_prepared_order_rows(con, table=table)
    try:
        churn = score_churn(con, window_days=churn_window_days, table=table, random_state=random_state, prepared=True)
        segments = rfm_segments(
            con,
            as_of=churn.observation_end,
            window_days=churn.window_days,
            table=table,
            lifecycle_rules=lifecycle_rules or LifecycleRules(),
            prepared=True,
        )[["customer_id", *SEGMENT_COLUMNS]]
    finally:
        drop_prepared_order_rows(con)
    customers = customer_value_table(
        con,
        horizon_months=horizon_months,
        margin=margin,
        annual_discount_rate=annual_discount_rate,
        table=table,
    )
    attrs = dict(customers.attrs)
    # Columns added in the customers' order by one id lookup per frame (two merges copied the whole
    # 1.8M-row table twice at 10M lines); a customer missing from a frame gets a missing value.
    out = customers
    for frame, columns in ((segments, SEGMENT_COLUMNS), (churn.scores, CHURN_COLUMNS)):
        rows = pd.Index(frame["customer_id"]).get_indexer(out["customer_id"])
        complete = bool((rows >= 0).all())
        out = out.assign(
            **{c: frame[c].to_numpy()[rows] if complete else frame[c].reindex(rows).to_numpy() for c in columns}
        )
    del customers, segments
    out.attrs = attrs
    out.attrs["churn"] = churn.to_dict()
    verdict = judge_churn_risk(out)
    out.attrs["churn"]["at_risk_share"] = churn_risk_share(out)
    out.attrs["churn"]["at_risk_base"] = verdict["base"]
    out.attrs["churn"]["active_customers"] = verdict["active_customers"]
    out.attrs["churn"]["at_risk_verdict"] = verdict
    return out, churn


def customer_table(
    con,
    *,
    horizon_months: int = 12,
    margin: float = 1.0,
    annual_discount_rate: float = 0.1,
    churn_window_days: int | None = None,
    table: str = "orders",
) -> pd.DataFrame:
    """The customer table of `retention customers --segments` and `retention segments`: see
    `build_customer_table`. Plain `retention customers` prints only the value columns, through
    `retention.clv.customer_summary_rows` and `customer_values` (seconds instead of a minute at 10M
    order lines: no churn classifier, no contact fields)."""
    out, _churn = build_customer_table(
        con,
        horizon_months=horizon_months,
        margin=margin,
        annual_discount_rate=annual_discount_rate,
        churn_window_days=churn_window_days,
        table=table,
    )
    return out
