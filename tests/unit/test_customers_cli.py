"""`retention customers`: the default value table, and the full table behind `--segments`.

The default path (`clv.customer_summary_rows` + `clv.customer_values` + `write_customer_values_csv`)
keeps ids and dates in Arrow and sorts in DuckDB; these tests check it prints the same cells, in the
same order, as the app's path (`customers.customer_table`), and numbers a person can check by hand.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _orders import orders_from_csv

from retention import clv
from retention.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHOP60 = FIXTURES / "clv_small_shop_60.csv"
CONTRACT = [
    "customer_id", "orders", "revenue", "first_order", "last_order", "frequency", "recency", "T",
    "monetary_value", "p_alive", "expected_purchases", "predicted_clv", "historical_clv",
]  # fmt: skip
DEFAULT_HEADER = (
    "customer_id,orders,revenue,first_order,last_order,frequency,recency,T,monetary_value,"
    "p_alive,expected_purchases,expected_spend_per_order,predicted_clv,historical_clv"
)
SEGMENT_AND_CHURN = [
    "email", "phone", "first_name", "last_name", "country", "city", "zip", "accepts_marketing",
    "r_score", "f_score", "m_score", "rfm_score", "rfm_group", "lifecycle_segment",
    "churn_probability", "churn_risk", "churn_confidence", "days_overdue",
]  # fmt: skip


def _run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_default_output_is_the_full_tables_value_columns_cell_for_cell(capsys):
    default = _run(capsys, "customers", str(SHOP60), "--margin", "0.4", "--horizon-months", "6")
    full = _run(capsys, "customers", str(SHOP60), "--margin", "0.4", "--horizon-months", "6", "--segments")
    assert default.splitlines()[0] == DEFAULT_HEADER
    # Same customers, same order, same text in every cell (read as strings: no float round trip).
    fast = pd.read_csv(io.StringIO(default), dtype=str, keep_default_na=False)
    slow = pd.read_csv(io.StringIO(full), dtype=str, keep_default_na=False)
    assert len(fast) == 60 and fast["customer_id"].is_unique
    pd.testing.assert_frame_equal(fast, slow[list(fast.columns)])
    # The fit worked on this shop: every prediction is there, most valuable first.
    numbers = pd.read_csv(io.StringIO(default))
    assert numbers[CONTRACT].notna().all().all()
    assert numbers["predicted_clv"].is_monotonic_decreasing
    np.testing.assert_allclose(numbers["historical_clv"], 0.4 * numbers["revenue"], atol=0.005)
    # money in cents, probabilities and expected purchases to 6 places
    cells = fast.iloc[0]
    assert len(cells["predicted_clv"].split(".")[1]) == 2 and len(cells["p_alive"].split(".")[1]) == 6


def test_segments_adds_contacts_segments_and_churn(capsys):
    full = pd.read_csv(io.StringIO(_run(capsys, "customers", str(SHOP60), "--segments")), dtype={"rfm_score": str})
    assert set(CONTRACT + SEGMENT_AND_CHURN) <= set(full.columns)
    assert full["churn_risk"].isin(["low", "medium", "high"]).all()
    assert full["rfm_score"].str.fullmatch(r"[1-5]{3}").all()
    default = pd.read_csv(io.StringIO(_run(capsys, "customers", str(SHOP60))))
    assert not set(SEGMENT_AND_CHURN) & set(default.columns)


def test_default_values_equal_customer_value_table():
    con = orders_from_csv(SHOP60)
    values = clv.customer_values(clv.customer_summary_rows(con), horizon_months=24, margin=0.5)
    table = clv.customer_value_table(con, horizon_months=24, margin=0.5).sort_values("customer_id")
    arrow = values.to_pandas().sort_values("customer_id")
    for column in ("orders", "frequency", "recency", "T", *clv.VALUE_COLUMNS, "revenue", "monetary_value"):
        np.testing.assert_array_equal(arrow[column].to_numpy(float), table[column].to_numpy(float), err_msg=column)
    assert values.schema.metadata[b"observation_end"].decode() == table.attrs["observation_end"]


def test_a_shop_too_small_to_fit_by_hand(capsys, tmp_path):
    """Three customers: too few to fit, so predictions are empty and only history is printed.

    A: orders on 1 Jan (two lines of one order, 10 + 5) and on 11 Jan: 2 customer-days, frequency
    1, recency 10, T 30 (last order in the data: 31 Jan), repeat value 20. B: two orders on 31 Jan
    (same day: one transaction), 7 + 3. "Rossi, Mario": one order of 100 on 21 Jan, T 10.
    """
    path = tmp_path / "tiny.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "customer_id", "order_date", "revenue"])
        w.writerows(
            [
                ["1", "A", "2024-01-01 09:00:00", "10.00"],
                ["1", "A", "2024-01-01 09:00:00", "5.00"],
                ["2", "A", "2024-01-11 18:30:00", "20.00"],
                ["3", "B", "2024-01-31 08:00:00", "7.00"],
                ["4", "B", "2024-01-31 20:00:00", "3.00"],
                ["5", "Rossi, Mario", "2024-01-21 12:00:00", "100.00"],
            ]
        )
    out = _run(capsys, "customers", str(path), "--margin", "0.5")
    lines = out.splitlines()
    assert lines[0] == DEFAULT_HEADER
    # No predicted CLV: ordered by historical value; the id with a comma is quoted.
    assert lines[1:] == [
        '"Rossi, Mario",1,100.00,2024-01-21,2024-01-21,0,0,10,0.00,,,,,50.00',
        "A,2,35.00,2024-01-01,2024-01-11,1,10,30,20.00,,,,,17.50",
        "B,2,10.00,2024-01-31,2024-01-31,0,0,0,0.00,,,,,5.00",
    ]
    assert (
        _run(capsys, "customers", str(path), "--margin", "0.5", "--segments")
        .splitlines()[1]
        .startswith('"Rossi, Mario",1,100.00,2024-01-21,2024-01-21,0,0,10,0.00,')
    )


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_purchase_triples_in_first_seen_order_with_counts(dtype):
    summary = pd.DataFrame(
        {"frequency": [2, 0, 2, 1, 0], "recency": [30, 0, 30, 5, 0], "T": [40, 9, 40, 40, 9]}
    ).astype(dtype)
    triples, codes = clv.purchase_triples(summary)
    assert triples[["frequency", "recency", "T"]].to_numpy().tolist() == [[2, 30, 40], [0, 0, 9], [1, 5, 40]]
    assert triples["weight"].tolist() == [2.0, 2.0, 1.0]
    assert codes.tolist() == [0, 1, 0, 2, 1]
