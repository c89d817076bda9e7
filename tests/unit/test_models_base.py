"""The shared fit machinery: the penalised retry and the plain failure message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention.errors import ModelFitError
from retention.models.base import distinct_rows, factorize_pairs, maximise_log_likelihood


def test_a_runaway_parameter_is_caught_by_the_penalised_retry():
    # -log-likelihood falling forever as z[0] grows (a parameter not identified by the data);
    # with the retry's ridge 1e-3 z^2 the minimum of -0.01 z + 1e-3 z^2 is at z = 5.
    def objective(z):
        return float(-0.01 * z[0] + (z[1] - 1) ** 2), np.array([-0.01, 2 * (z[1] - 1)])

    z, penalised, _ = maximise_log_likelihood(objective, np.zeros(2), model_name="test")
    assert penalised
    assert z[0] == pytest.approx(5.0, rel=1e-3)
    assert z[1] == pytest.approx(1.0, abs=1e-3)


def test_an_objective_that_cannot_be_evaluated_says_so_in_words():
    def objective(z):
        return float("nan"), np.full(2, np.nan)

    with pytest.raises(ModelFitError, match="could not be fitted on this data"):
        maximise_log_likelihood(objective, np.zeros(2), model_name="test")


def test_distinct_rows_sum_weights_and_drop_zero_weights():
    columns = [np.array([1.0, 1.0, 2.0, 3.0]), np.array([5.0, 5.0, 6.0, 7.0])]
    (a, b), w = distinct_rows(columns, np.array([1, 2, 3, 0.0]))
    got = sorted(zip(a, b, w, strict=True))
    assert got == [(1.0, 5.0, 3.0), (2.0, 6.0, 3.0)]


def test_factorize_pairs_round_trips():
    x = np.array([0.0, 1.0, 0.0, 1.0, 2.0])
    t = np.array([5.0, 5.0, 5.0, 7.0, 5.0])
    codes, ux, ut = factorize_pairs(x, t)
    np.testing.assert_array_equal(ux[codes], x)
    np.testing.assert_array_equal(ut[codes], t)
    assert len(ux) == len(pd.MultiIndex.from_arrays([x, t]).unique()) == 4
