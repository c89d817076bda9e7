"""`retention segments` and the churn/segment columns of `retention customers`, end to end."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import pandas as pd
import pytest

from retention.cli import main

SEGMENT_HEADER = (
    "segment,customers,share,revenue,revenue_share,orders_per_customer,aov,avg_predicted_clv,recommended_action"
)


@pytest.fixture(scope="module")
def orders_file(tmp_path_factory):
    """60 customers buying every 20-300 days from their first order until the end of 2025."""
    rng = random.Random(1)
    rows, oid = [], 0
    for c in range(60):
        day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 500))
        while day <= date(2025, 12, 31):
            oid += 1
            rows.append((f"#{1000 + oid}", f"cust{c}@example.com", f"{day} 10:00:00", f"{rng.randint(20, 120)}.00"))
            day += timedelta(days=rng.randint(20, 300))
    path = tmp_path_factory.mktemp("segcli") / "orders.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["order_id", "email", "order_date", "revenue"])
        writer.writerows(rows)
    return path, len(rows)


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("by", ["rfm", "lifecycle", "churn_risk"])
def test_segments_command_prints_one_row_per_segment(capsys, orders_file, by):
    path, n_orders = orders_file
    code, out, _err = _run(capsys, "segments", str(path), "--by", by)
    assert code == 0
    assert out.splitlines()[0].startswith(SEGMENT_HEADER)
    table = pd.read_csv(io.StringIO(out))
    assert table["customers"].sum() == 60
    assert table["share"].sum() == pytest.approx(1.0, abs=1e-3)
    assert (table["orders_per_customer"] * table["customers"]).sum() == pytest.approx(n_orders, abs=0.1)
    assert table.loc[table["customers"] > 0, "recommended_action"].notna().all()


def test_customers_command_has_churn_and_segment_columns(capsys, orders_file):
    path, _n = orders_file
    code, out, _err = _run(capsys, "customers", str(path), "--churn-window-days", "120")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype={"rfm_score": str})
    for column in (
        "churn_probability",
        "churn_risk",
        "rfm_score",
        "rfm_group",
        "lifecycle_segment",
        "r_score",
        "f_score",
        "m_score",
        "churn_confidence",
        "days_overdue",
    ):
        assert column in table.columns and table[column].notna().all(), column
    assert table["churn_risk"].isin(["low", "medium", "high"]).all()
    assert table["rfm_score"].str.fullmatch(r"[1-5]{3}").all()
    assert (
        table["rfm_score"] == table["r_score"].astype(str) + table["f_score"].astype(str) + table["m_score"].astype(str)
    ).all()
    # 60 customers are too few to train and test a model: the cadence fallback, marked low.
    assert set(table["churn_confidence"]) == {"low"}


def test_bad_churn_window_is_one_line_and_exit_2(capsys, orders_file):
    path, _n = orders_file
    code, out, err = _run(capsys, "segments", str(path), "--churn-window-days", "0")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "whole number of days" in err
