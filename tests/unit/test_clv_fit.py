"""fit_report (the JSON of `retention fit`) on the raw CDNOW transactions, against published values."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_clv_summary import SHOP, cdnow_connection, orders_connection

from retention import clv
from retention.errors import ModelFitError
from retention.models import BetaGeoModel

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow"
CUT = date(1997, 9, 30)


@pytest.fixture(scope="module")
def weekly():
    return clv.fit_report(cdnow_connection(), time_unit="week", calibration_end=CUT)


def check_published(report: dict) -> None:
    purchase = report["purchase_model"]
    assert purchase["name"] == "BG/NBD" and purchase["time_unit"] == "week" and purchase["customers"] == 2357
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert purchase["params"][name] == pytest.approx(value, abs=0.0005), name
    assert purchase["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    spend = report["spend_model"]
    assert spend["customers"] == 946
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert spend["params"][name] == pytest.approx(value, abs=0.005), name


def test_raw_transactions_reproduce_the_published_estimates(weekly):
    check_published(weekly)


def test_day_unit_reports_the_same_fit(weekly):
    daily = clv.fit_report(cdnow_connection(), time_unit="day", calibration_end=CUT)["purchase_model"]
    assert daily["params"]["alpha"] == pytest.approx(7 * weekly["purchase_model"]["params"]["alpha"], rel=1e-9)
    # lambda^x in the likelihood: x ln 7 per customer, 2,457 repeat purchases in all
    assert daily["log_likelihood"] == pytest.approx(weekly["purchase_model"]["log_likelihood"] - 2457 * np.log(7))


def test_backtest_counts_and_predictions(weekly):
    bt = weekly["backtest"]
    raw = pd.read_csv(CDNOW / "cdnow_sample_transactions.csv")
    holdout = raw[raw["date"] > 19970930].drop_duplicates(["id", "date"])
    assert bt["actual_purchases"] == len(holdout) == 1882
    assert bt["holdout_days"] == 273  # 39 weeks
    # independent: E[Y(39 weeks)] summed over the published summary with the published model
    published = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    model = BetaGeoModel.from_params(weekly["purchase_model"]["params"])
    expected = model.conditional_expected_purchases(39.0, published["x"], published["t_x"], published["T"]).sum()
    assert bt["predicted_purchases"] == pytest.approx(expected, rel=2e-3)
    buckets = bt["by_past_repeat_purchases"]
    assert [b["past_repeat_purchases"] for b in buckets] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(b["customers"] for b in buckets) == 2357
    assert sum(b["customers"] * b["actual_mean"] for b in buckets) == pytest.approx(1882)
    assert bt["mean_absolute_error_per_customer"] < bt["naive_mean_absolute_error_per_customer"]
    assert "1,882 actual" in bt["error_in_words"]
    assert bt["spend"]["actual_revenue"] == pytest.approx(raw.loc[raw["date"] > 19970930, "spent"].sum())


def test_no_backtest_without_a_calibration_end():
    report = clv.fit_report(cdnow_connection(), model="mbgnbd")
    assert "backtest" not in report and report["purchase_model"]["name"] == "MBG/NBD"


def test_a_shop_too_small_to_fit_gets_a_plain_reason():
    with pytest.raises(ModelFitError, match="too few customers"):
        clv.fit_report(orders_connection(SHOP))


def _ingest_ready() -> bool:
    try:
        from retention.ingest import load_orders  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _ingest_ready(), reason="the ingester (retention.ingest.load_orders) has not landed yet")
def test_command_line_on_the_headerless_raw_file():
    from retention.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        status = main(
            [
                "fit", str(CDNOW / "CDNOW_sample.txt"),
                "--map", "customer_id=2", "--map", "order_date=3", "--map", "revenue=5", "--map", "quantity=4",
                "--time-unit", "week", "--calibration-end", "1997-09-30",
            ]
        )  # fmt: skip
    assert status == 0
    report = json.loads(out.getvalue())
    check_published(report)
    assert report["backtest"]["actual_purchases"] == 1882


def test_fit_status_and_backtest_in_words_in_both_languages():
    from retention.clv import backtest_text, fit_status_text, spend_backtest_text

    bt = {"predicted_purchases": 1936.4, "actual_purchases": 1882.0, "holdout_days": 273,
          "calibration_end": "1997-09-30", "mean_absolute_error_per_customer": 0.61234,
          "naive_mean_absolute_error_per_customer": 0.75}  # fmt: skip
    # 1936.4 / 1882 - 1 = 2.89%
    assert backtest_text(bt, "en") == (
        "Predicted 1,936.4 purchases against 1,882 actual: 2.9% over the truth in the 273 days after 30 Sep 1997; "
        "per customer the model is off by 0.61 purchases on average, better than assuming everyone keeps their "
        "past rate (0.75)"
    )
    italian = backtest_text(bt, "it")
    assert italian.startswith("Previsti 1.936,4 acquisti contro 1.882 reali: 2,9% sopra il vero nei 273 giorni dopo")
    assert "il 30/09/1997" in italian and "0,61 acquisti, meglio che" in italian
    assert spend_backtest_text({"predicted_revenue": 900.0, "actual_revenue": 1000.0}, "it") == (
        "Previsti 900,0 di fatturato netto contro 1.000 reali: 10,0% sotto il vero"
    )
    status = {
        "reason": "too few customers ...",
        "notes": [
            {"code": "too_few_customers", "message": "x", "customers": 12.0, "repeat": 3.0,
             "min_customers": 20, "min_repeat": 10},  # fmt: skip
            {"code": "spend_correlated", "message": "y", "corr": 0.4123},
        ],
    }
    reason, warnings = fit_status_text(status, "it")
    assert reason.startswith("troppo pochi clienti per stimare il modello d'acquisto: 12 clienti in tutto, 3 con più")
    assert warnings == [
        "i clienti che comprano più spesso spendono anche di più per ordine (correlazione 0,41); il modello di "
        "spesa suppone di no, quindi la spesa prevista per ordine è meno affidabile"
    ]
    assert fit_status_text({"reason": "old", "warnings": ["w"]}, "it") == ("old", ["w"])
