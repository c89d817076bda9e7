"""BG/NBD against the published CDNOW results, an independent likelihood, and simulated truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from retention.errors import ModelFitError, UserInputError
from retention.models import BetaGeoModel, NotFittedError

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """The published calibration summary (weeks) of Fader, Hardie and Lee (2005)."""
    frame = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    return frame.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="module")
def cdnow_model(cdnow_summary) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_summary)


def test_params_match_fader_hardie_lee_2005_table(cdnow_model):
    for name, value in PUBLISHED.items():
        assert cdnow_model.params_[name] == pytest.approx(value, abs=0.0005), name
    assert cdnow_model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)


def test_expected_purchases_match_hardie_spreadsheet(cdnow_model):
    # Hardie's BG/NBD spreadsheet: E[X(t)] for t = 1, 3, 32, 78 weeks
    got = cdnow_model.expected_purchases_population(np.array([1.0, 3.0, 32.0, 78.0]))
    np.testing.assert_allclose(got, [0.0532, 0.1506, 1.0437, 1.8576], atol=5e-4)
    # ... and the conditional expectation of customer 1 over the 39-week holdout
    assert cdnow_model.conditional_expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)


def test_weighted_distinct_triples_fit_like_all_rows(cdnow_summary, cdnow_model):
    triples = cdnow_summary.groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    assert len(triples) < len(cdnow_summary)
    weighted = BetaGeoModel().fit(triples, weights=triples["weight"])
    for name in PUBLISHED:
        assert weighted.params_[name] == pytest.approx(cdnow_model.params_[name], rel=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(cdnow_model.log_likelihood_, rel=1e-9)


def _likelihood_by_integration(x, t_x, T, r, alpha, a, b):
    """FHL 2005 eq. 3 before integrating out lambda and p, integrated numerically."""

    def integrand(p, lam):
        alive = (1 - p) ** x * lam**x * np.exp(-lam * T)
        dead = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x) if x > 0 else 0.0
        g = np.exp(r * np.log(alpha) + (r - 1) * np.log(lam) - alpha * lam - special.gammaln(r))
        f = p ** (a - 1) * (1 - p) ** (b - 1) / special.beta(a, b)
        return (alive + dead) * g * f

    value, _err = integrate.dblquad(integrand, 0, 5, 0, 1, epsabs=1e-13, epsrel=1e-9)
    return value


def test_log_likelihood_equals_numerical_integration():
    rows = pd.DataFrame({"frequency": [0, 2, 5], "recency": [0.0, 3.0, 8.5], "T": [4.0, 9.0, 10.0]})
    model = BetaGeoModel.from_params({"r": 1.5, "alpha": 3.0, "a": 1.2, "b": 2.5})
    expected = sum(
        np.log(_likelihood_by_integration(x, tx, T, 1.5, 3.0, 1.2, 2.5)) for x, tx, T in rows.itertuples(index=False)
    )
    objective = model._objective(*(rows[c].to_numpy(float) for c in ("frequency", "recency", "T")), np.ones(3))
    value, _grad = objective(np.log([1.5, 3.0, 1.2, 2.5]))
    assert -value * 3 == pytest.approx(expected, rel=1e-6)


def test_analytic_gradient_matches_finite_differences(cdnow_summary):
    x, t_x, T = (cdnow_summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    objective = BetaGeoModel()._objective(x, t_x / T.max(), T / T.max(), np.ones(len(x)))
    z = np.log([0.3, 0.1, 0.9, 2.0])
    _value, grad = objective(z)
    step = 1e-6
    numeric = [(objective(z + step * e)[0] - objective(z - step * e)[0]) / (2 * step) for e in np.eye(4)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_probability_alive_and_no_purchase_by_hand(cdnow_model):
    r, alpha, a, b = (cdnow_model.params_[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = 2, 30.43, 38.86
    # FHL "Computing P(alive)" eq. 2
    by_hand = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert cdnow_model.probability_alive(x, t_x, T) == pytest.approx(by_hand, rel=1e-12)
    # a one-time buyer is alive for sure under the BG/NBD
    assert cdnow_model.probability_alive(0, 0, 30.0) == 1.0
    quiet = ((alpha + T) / (alpha + T + 10)) ** (r + x)
    got = cdnow_model.probability_no_purchase(10, x, t_x, T)[0]
    assert got == pytest.approx(1 - by_hand + by_hand * quiet, rel=1e-12)
    assert cdnow_model.probability_no_purchase(0.0, x, t_x, T)[0] == pytest.approx(1.0)


def test_no_purchase_equals_numerical_integration():
    """Having the data and no purchase in (T, T + t] is the same event as the data observed to T + t
    (alive and quiet, or dead at t_x): P = L(x, t_x, T + t) / L(x, t_x, T)."""
    r, alpha, a, b = 1.5, 3.0, 1.2, 2.5
    x, t_x, T, t = 2, 3.0, 9.0, 4.0
    model = BetaGeoModel.from_params({"r": r, "alpha": alpha, "a": a, "b": b})
    quiet_joint = _likelihood_by_integration(x, t_x, T + t, r, alpha, a, b)
    data = _likelihood_by_integration(x, t_x, T, r, alpha, a, b)
    assert model.probability_no_purchase(t, x, t_x, T)[0] == pytest.approx(quiet_joint / data, rel=1e-6)


def _simulate_bgnbd_story(n: int, r: float, alpha: float, a: float, b: float, seed: int) -> pd.DataFrame:
    """FHL 2005 section 3 exactly: drop-out only after a repeat purchase. Continuous time in days."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(30, 730, n)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    rows = []
    for i in range(n):
        t, x, last = 0.0, 0, 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x, last = x + 1, t
            if rng.random() < p[i]:
                break
        rows.append((x, last, T[i]))
    return pd.DataFrame(rows, columns=["frequency", "recency", "T"])


def test_parameter_recovery_on_simulated_customers():
    truth = {"r": 0.6, "alpha": 140.0, "a": 0.8, "b": 2.6}
    summary = _simulate_bgnbd_story(20_000, seed=7, **truth)
    model = BetaGeoModel().fit(summary)
    assert model.params_["r"] == pytest.approx(truth["r"], rel=0.1)
    assert model.params_["alpha"] == pytest.approx(truth["alpha"], rel=0.1)
    mean_p = model.params_["a"] / (model.params_["a"] + model.params_["b"])
    assert mean_p == pytest.approx(truth["a"] / (truth["a"] + truth["b"]), rel=0.15)


def test_predicting_before_fit_says_so():
    with pytest.raises(NotFittedError, match="call fit"):
        BetaGeoModel().probability_alive(1, 1, 2)


def test_too_few_repeat_customers_is_a_plain_fit_error():
    summary = pd.DataFrame({"frequency": [0] * 30 + [1] * 3, "recency": [0] * 30 + [5] * 3, "T": [10] * 33})
    with pytest.raises(ModelFitError, match="too few customers"):
        BetaGeoModel().fit(summary)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"frequency": [1], "recency": [5.0], "T": [3.0]}, "recency cannot be greater than T"),
        ({"frequency": [0], "recency": [2.0], "T": [3.0]}, "recency must be 0"),
        ({"frequency": [1.5], "recency": [2.0], "T": [3.0]}, "whole number"),
        ({"frequency": [1], "T": [3.0]}, "no column 'recency'"),
    ],
)
def test_bad_summaries_name_the_broken_rule(frame, message):
    with pytest.raises(UserInputError, match=message):
        BetaGeoModel().fit(pd.DataFrame(frame))
