"""The benchmark bands of the founding research: levels at the boundaries, the drawn scale agreeing
with the verdict, and the verdict in Italian."""

import pytest

from retention.benchmark_bands import BANDS, judge


@pytest.mark.parametrize(
    ("kpi", "value", "level"),
    [
        ("repeat_purchase_rate", 0.0, "below"),
        ("repeat_purchase_rate", 0.1499, "below"),
        ("repeat_purchase_rate", 0.15, "typical"),
        ("repeat_purchase_rate", 0.22, "good"),
        ("repeat_purchase_rate", 0.30, "excellent"),
        ("repeat_purchase_rate", 0.95, "excellent"),
        ("clv_cac", 2.49, "below"),
        ("clv_cac", 2.5, "typical"),
        ("clv_cac", 3.0, "good"),
        ("clv_cac", 4.0, "excellent"),
        ("clv_cac", 12.0, "excellent"),
        ("churn_risk_share", 0.0, "good"),
        ("churn_risk_share", 0.18, "good"),
        ("churn_risk_share", 0.1801, "typical"),
        ("churn_risk_share", 0.28, "typical"),
        ("churn_risk_share", 0.2801, "below"),
        ("churn_risk_share", 0.9, "below"),
    ],
)
def test_level_at_the_research_thresholds(kpi, value, level):
    assert judge(kpi, value)["level"] == level
    assert judge(kpi, value, language="it")["level"] == level


def test_the_drawn_scale_has_no_gap_and_names_every_level_the_verdict_can_give():
    for kpi, spans in BANDS.items():
        for (_, high, _), (low, _, _) in zip(spans, spans[1:], strict=False):
            assert high == low, kpi
        drawn = {level for _, _, level in spans}
        for low, high, _ in spans:
            assert judge(kpi, (low + high) / 2)["level"] in drawn


def test_italian_verdict_formats_the_figure_the_italian_way():
    it = judge("clv_cac", 2.7, language="it")
    assert it["verdict"] == "Nella media europea (2,7:1), sotto il 3:1 sano: acquisire clienti costa caro."
    repeat = judge("repeat_purchase_rate", 0.27, language="it")
    assert repeat["verdict"].startswith("Sopra la media: torna a comprare il 27%")
    assert judge("churn_risk_share", None, language="it")["level"] is None


def test_unknown_kpi_is_refused():
    with pytest.raises(ValueError, match="no benchmark for 'nps'"):
        judge("nps", 0.5)
