"""Benchmark bands of the founding research, and a plain verdict for a shop's own figure.

- Repeat purchase rate (share of customers with 2+ orders): 15-30% is the usual range, about 22%
  the average, 30% or more excellent.
- CLV:CAC: 2.5:1 the European average, 3:1 healthy, 4:1 or more excellent.
- Customers at churn risk: about 28% typical, 18% or less the goal (the share is computed by the
  churn-risk segments; they call `judge_churn_risk_share`).

Every judge returns a dict: `value` (as given; rates are fractions), `band` (the reference, in
words), `level` (one of "below", "typical", "good", "excellent"; None without a value) and
`verdict` (one plain sentence).
"""

from __future__ import annotations

__all__ = [
    "REPEAT_RATE_LOW",
    "REPEAT_RATE_AVERAGE",
    "REPEAT_RATE_EXCELLENT",
    "CLV_CAC_EUROPEAN_AVERAGE",
    "CLV_CAC_HEALTHY",
    "CLV_CAC_EXCELLENT",
    "CHURN_RISK_TYPICAL",
    "CHURN_RISK_GOAL",
    "judge_repeat_purchase_rate",
    "judge_clv_cac",
    "judge_churn_risk_share",
]

REPEAT_RATE_LOW = 0.15
REPEAT_RATE_AVERAGE = 0.22
REPEAT_RATE_EXCELLENT = 0.30
CLV_CAC_EUROPEAN_AVERAGE = 2.5
CLV_CAC_HEALTHY = 3.0
CLV_CAC_EXCELLENT = 4.0
CHURN_RISK_TYPICAL = 0.28
CHURN_RISK_GOAL = 0.18


def _result(value: float | None, band: str, level: str | None, verdict: str) -> dict:
    return {"value": value, "band": band, "level": level, "verdict": verdict}


def judge_repeat_purchase_rate(rate: float | None) -> dict:
    """Verdict on the share of customers with two or more orders (a fraction, 0.22 = 22%)."""
    band = "15-30% usual, about 22% average, 30% or more excellent"
    if rate is None:
        return _result(None, band, None, "No customers in the selection, so no repeat purchase rate.")
    pct = f"{rate:.0%}"
    if rate >= REPEAT_RATE_EXCELLENT:
        return _result(rate, band, "excellent", f"Excellent: {pct} of customers buy again, at or above the 30% mark.")
    if rate >= REPEAT_RATE_AVERAGE:
        return _result(rate, band, "good", f"Above average: {pct} buy again, against about 22% for most shops.")
    if rate >= REPEAT_RATE_LOW:
        return _result(
            rate, band, "typical", f"Within the usual range but below average: {pct} buy again, against about 22%."
        )
    return _result(rate, band, "below", f"Below the usual range: only {pct} buy again, most shops reach 15-30%.")


def judge_clv_cac(ratio: float | None) -> dict:
    """Verdict on customer lifetime value divided by customer acquisition cost (3.0 = 3:1)."""
    band = "2.5:1 European average, 3:1 healthy, 4:1 or more excellent"
    if ratio is None:
        return _result(None, band, None, "Give a customer acquisition cost to compare CLV with it.")
    txt = f"{ratio:.1f}:1"
    if ratio >= CLV_CAC_EXCELLENT:
        return _result(ratio, band, "excellent", f"Excellent: each customer is worth {txt} what it costs to win.")
    if ratio >= CLV_CAC_HEALTHY:
        return _result(ratio, band, "good", f"Healthy: {txt}, at or above the 3:1 rule of thumb.")
    if ratio >= CLV_CAC_EUROPEAN_AVERAGE:
        return _result(
            ratio,
            band,
            "typical",
            f"Around the European average ({txt}), below the healthy 3:1: acquisition is costly.",
        )
    return _result(
        ratio,
        band,
        "below",
        f"Below the European average of 2.5:1 ({txt}): customers cost too much for what they bring.",
    )


def judge_churn_risk_share(share: float | None) -> dict:
    """Verdict on the share of customers at churn risk (a fraction; lower is better)."""
    band = "about 28% typical, 18% or less the goal"
    if share is None:
        return _result(None, band, None, "Churn-risk scores are needed for this comparison.")
    pct = f"{share:.0%}"
    if share <= CHURN_RISK_GOAL:
        return _result(share, band, "good", f"On goal: {pct} of customers are at churn risk, 18% or less.")
    if share <= CHURN_RISK_TYPICAL:
        return _result(
            share, band, "typical", f"Typical: {pct} at churn risk, at or under the usual 28% but above the 18% goal."
        )
    return _result(share, band, "below", f"Worse than typical: {pct} at churn risk, more than the usual 28%.")
