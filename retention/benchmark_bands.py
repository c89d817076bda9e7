"""Benchmark bands of the founding research, and a plain verdict for a shop's own figure.

- Repeat purchase rate (share of customers with 2+ orders): 15-30% is the usual range, about 22%
  the average, 30% or more excellent.
- CLV:CAC: 2.5:1 the European average, 3:1 healthy, 4:1 or more excellent.
- Customers at churn risk: about 28% typical, 18% or less the goal (the share is computed by the
  churn-risk segments; they call `judge_churn_risk_share`).

Every judge returns a dict: `value` (as given; rates are fractions), `band` (the reference, in
words), `level` (one of "below", "typical", "good", "excellent"; None without a value) and
`verdict` (one plain sentence, in English or Italian). `BANDS` holds the same thresholds as
(low, high, level) spans for drawing the scale, so the picture and the words cannot disagree.
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
    "judge",
    "BANDS",
]

REPEAT_RATE_LOW = 0.15
REPEAT_RATE_AVERAGE = 0.22
REPEAT_RATE_EXCELLENT = 0.30
CLV_CAC_EUROPEAN_AVERAGE = 2.5
CLV_CAC_HEALTHY = 3.0
CLV_CAC_EXCELLENT = 4.0
CHURN_RISK_TYPICAL = 0.28
CHURN_RISK_GOAL = 0.18

# (low, high, level) spans of each KPI's scale; the last span's high is only where the drawing stops.
BANDS: dict[str, tuple[tuple[float, float, str], ...]] = {
    "repeat_purchase_rate": (
        (0.0, REPEAT_RATE_LOW, "below"),
        (REPEAT_RATE_LOW, REPEAT_RATE_AVERAGE, "typical"),
        (REPEAT_RATE_AVERAGE, REPEAT_RATE_EXCELLENT, "good"),
        (REPEAT_RATE_EXCELLENT, 0.6, "excellent"),
    ),
    "clv_cac": (
        (0.0, CLV_CAC_EUROPEAN_AVERAGE, "below"),
        (CLV_CAC_EUROPEAN_AVERAGE, CLV_CAC_HEALTHY, "typical"),
        (CLV_CAC_HEALTHY, CLV_CAC_EXCELLENT, "good"),
        (CLV_CAC_EXCELLENT, 6.0, "excellent"),
    ),
    "churn_risk_share": (
        (0.0, CHURN_RISK_GOAL, "good"),
        (CHURN_RISK_GOAL, CHURN_RISK_TYPICAL, "typical"),
        (CHURN_RISK_TYPICAL, 0.6, "below"),
    ),
}


def _result(value: float | None, band: str, level: str | None, verdict: str) -> dict:
    return {"value": value, "band": band, "level": level, "verdict": verdict}


# The sentences of every verdict, per language; {v} is the shop's own figure, already formatted.
_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "repeat_purchase_rate.band": "15-30% usual, about 22% average, 30% or more excellent",
        "repeat_purchase_rate.none": "No customers in the selection, so no repeat purchase rate.",
        "repeat_purchase_rate.excellent": "Excellent: {v} of customers buy again, at or above the 30% mark.",
        "repeat_purchase_rate.good": "Above average: {v} buy again, against about 22% for most shops.",
        "repeat_purchase_rate.typical": "Within the usual range but below average: {v} buy again, against about 22%.",
        "repeat_purchase_rate.below": "Below the usual range: only {v} buy again, most shops reach 15-30%.",
        "clv_cac.band": "2.5:1 European average, 3:1 healthy, 4:1 or more excellent",
        "clv_cac.none": "Give a customer acquisition cost to compare CLV with it.",
        "clv_cac.excellent": "Excellent: each customer is worth {v} what it costs to win.",
        "clv_cac.good": "Healthy: {v}, at or above the 3:1 rule of thumb.",
        "clv_cac.typical": "Around the European average ({v}), below the healthy 3:1: acquisition is costly.",
        "clv_cac.below": "Below the European average of 2.5:1 ({v}): customers cost too much for what they bring.",
        "churn_risk_share.band": "about 28% typical, 18% or less the goal",
        "churn_risk_share.none": "Churn-risk scores are needed for this comparison.",
        "churn_risk_share.good": "On goal: {v} of customers are at churn risk, 18% or less.",
        "churn_risk_share.typical": "Typical: {v} at churn risk, at or under the usual 28% but above the 18% goal.",
        "churn_risk_share.below": "Worse than typical: {v} at churn risk, more than the usual 28%.",
    },
    "it": {
        "repeat_purchase_rate.band": "15-30% la norma, circa 22% la media, dal 30% in su eccellente",
        "repeat_purchase_rate.none": "Nessun cliente nella selezione: il tasso di riacquisto non si calcola.",
        "repeat_purchase_rate.excellent": "Eccellente: il {v} dei clienti torna a comprare, al 30% o oltre.",
        "repeat_purchase_rate.good": "Sopra la media: torna a comprare il {v}, contro circa il 22% dei negozi.",
        "repeat_purchase_rate.typical": "Nella norma ma sotto la media: torna a comprare il {v}, contro circa il 22%.",
        "repeat_purchase_rate.below": "Sotto la norma: torna a comprare solo il {v}, di solito è tra il 15% e il 30%.",
        "clv_cac.band": "2,5:1 media europea, 3:1 sano, da 4:1 in su eccellente",
        "clv_cac.none": "Indica un costo di acquisizione cliente per confrontarlo con il CLV.",
        "clv_cac.excellent": "Eccellente: ogni cliente vale {v} rispetto a quanto costa acquisirlo.",
        "clv_cac.good": "Sano: {v}, alla regola empirica del 3:1 o oltre.",
        "clv_cac.typical": "Nella media europea ({v}), sotto il 3:1 sano: acquisire clienti costa caro.",
        "clv_cac.below": "Sotto la media europea di 2,5:1 ({v}): i clienti costano troppo per quello che portano.",
        "churn_risk_share.band": "circa 28% tipico, 18% o meno l'obiettivo",
        "churn_risk_share.none": "Per questo confronto servono i punteggi di rischio abbandono.",
        "churn_risk_share.good": "Obiettivo raggiunto: il {v} dei clienti è a rischio abbandono, 18% o meno.",
        "churn_risk_share.typical": "Nella norma: {v} a rischio abbandono, entro il 28% abituale ma sopra il 18%.",
        "churn_risk_share.below": "Peggio della norma: {v} a rischio abbandono, più del 28% abituale.",
    },
}


def _level(kpi: str, value: float) -> str:
    """The level of the span `value` falls in; a value on a boundary takes the better side."""
    spans = BANDS[kpi]
    lower_is_better = spans[0][2] == "good"
    for low, high, level in spans:
        if (low < value <= high) if lower_is_better else (low <= value < high):
            return level
    return spans[-1][2] if value > spans[-1][0] else spans[0][2]


def judge(kpi: str, value: float | None, *, language: str = "en") -> dict:
    """The verdict on `kpi` ("repeat_purchase_rate", "clv_cac" or "churn_risk_share") in `language`."""
    if kpi not in BANDS:
        raise ValueError(f"no benchmark for {kpi!r}; known: {', '.join(BANDS)}")
    text = _TEXT.get(language, _TEXT["en"])
    band = text[f"{kpi}.band"]
    if value is None:
        return _result(None, band, None, text[f"{kpi}.none"])
    shown = f"{value:.1f}:1" if kpi == "clv_cac" else f"{value:.0%}"
    if language != "en":
        shown = shown.replace(".", ",")
    level = _level(kpi, value)
    return _result(value, band, level, text[f"{kpi}.{level}"].format(v=shown))


def judge_repeat_purchase_rate(rate: float | None, *, language: str = "en") -> dict:
    """Verdict on the share of customers with two or more orders (a fraction, 0.22 = 22%)."""
    return judge("repeat_purchase_rate", rate, language=language)


def judge_clv_cac(ratio: float | None, *, language: str = "en") -> dict:
    """Verdict on customer lifetime value divided by customer acquisition cost (3.0 = 3:1)."""
    return judge("clv_cac", ratio, language=language)


def judge_churn_risk_share(share: float | None, *, language: str = "en") -> dict:
    """Verdict on the share of customers at churn risk (a fraction; lower is better)."""
    return judge("churn_risk_share", share, language=language)
