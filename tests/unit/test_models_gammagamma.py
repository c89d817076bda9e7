"""Gamma-Gamma against Fader and Hardie (2013), note 025, on CDNOW, and formulas by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention.errors import ModelFitError
from retention.models import GammaGammaModel, frequency_spend_correlation

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow"


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    frame = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    return frame.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


def test_params_match_note_025_on_the_946_repeat_customers(cdnow_summary):
    model = GammaGammaModel().fit(cdnow_summary)
    assert model.n_customers_ == 946
    assert model.params_["p"] == pytest.approx(6.25, abs=0.005)
    assert model.params_["q"] == pytest.approx(3.74, abs=0.005)
    # the published summary rounds zbar to cents; the raw transactions give 15.44 (test_clv_fit)
    assert model.params_["gamma"] == pytest.approx(15.44, abs=0.01)


def test_conditional_expected_spend_by_hand():
    model = GammaGammaModel.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    # note 025 eq. 5: p (gamma + x m) / (p x + q - 1)
    assert model.conditional_expected_spend(2, 30.0)[0] == pytest.approx(6.25 * (15.44 + 60) / (12.5 + 2.74))
    # no repeat purchase: the population mean p gamma / (q - 1)
    assert model.conditional_expected_spend(0, 0.0)[0] == pytest.approx(6.25 * 15.44 / 2.74)
    assert model.population_mean_spend() == pytest.approx(6.25 * 15.44 / 2.74)


def test_frequency_and_spend_independence_check(cdnow_summary):
    corr, warning = frequency_spend_correlation(cdnow_summary)
    assert corr == pytest.approx(0.11, abs=0.01)  # note 025 reports 0.11 and calls it fine
    assert warning is None
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, 300)
    correlated = pd.DataFrame({"frequency": x, "monetary_value": 10.0 * x + rng.normal(0, 2, 300)})
    corr, warning = frequency_spend_correlation(correlated)
    assert corr > 0.9
    assert warning is not None and "spend more" in warning


def test_too_few_repeat_customers_is_a_plain_fit_error():
    frame = pd.DataFrame({"frequency": [0, 0, 1, 2], "monetary_value": [0, 0, 10, 12]})
    with pytest.raises(ModelFitError, match="too few repeat customers"):
        GammaGammaModel().fit(frame)


def test_customers_with_refunded_repeats_are_left_out(cdnow_summary):
    refunds = pd.DataFrame({"frequency": [3, 2], "recency": [1, 1], "T": [5, 5], "monetary_value": [-5.0, 0.0]})
    model = GammaGammaModel().fit(pd.concat([cdnow_summary, refunds], ignore_index=True))
    assert model.n_customers_ == 946
