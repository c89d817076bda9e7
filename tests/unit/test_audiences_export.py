"""`export_audience` end to end on a simulated shop: the file, the holdout file, the summary line."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from retention.audiences import export_audience
from retention.db import connect
from retention.errors import UserInputError
from retention.schema import orders_ddl
from retention.simulate import simulate_bgnbd


@pytest.fixture(scope="module")
def con():
    customers, purchases = simulate_bgnbd(400, "2023-01-01", "2024-06-30", seed=5)
    rng = np.random.default_rng(5)
    n = len(purchases)
    cno = purchases["customer_no"].to_numpy()
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": [f"cust{c:04d}" for c in cno],
            "order_date": pd.to_datetime(purchases["purchase_ts"]),
            "revenue": rng.uniform(10, 90, n).round(2),
            "email": [f"user{c}@example.it" for c in cno],
            "phone": [f"06 1234 {c:04d}" for c in cno],
            "first_name": ["Anna"] * n,
            "last_name": ["Rossi"] * n,
            "country": ["IT"] * n,
            "city": ["Roma"] * n,
            "zip": ["00184"] * n,
            "accepts_marketing": (cno % 4 != 0),
            "product_id": [f"P{p}" for p in rng.integers(0, 6, n)],
        }
    )
    c = connect()
    c.execute(orders_ddl())
    c.register("src", orders)
    cols = ", ".join(orders.columns)
    c.execute(f"INSERT INTO orders ({cols}) SELECT {cols} FROM src")
    c.unregister("src")
    return c


def test_export_all_to_klaviyo_with_holdout(con, tmp_path):
    out = tmp_path / "all.csv"
    line = export_audience(con, segment="all", by="lifecycle", fmt="klaviyo", output=out, holdout=0.1, seed=2,
                           include_no_consent=False)
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    control = pd.read_csv(tmp_path / "all.holdout.csv", dtype=str, keep_default_na=False)
    assert line.startswith(f"rows: {len(written)}, left out for consent: 100, holdout: {len(control)}")
    # 100 of 400 customers (customer_no % 4 == 0) did not accept marketing
    assert len(written) + len(control) == 300
    assert not set(written["Email Address"]) & set(control["email"])
    assert {"Next Best Product", "Lifecycle Segment", "Predicted CLV"} <= set(written.columns)


def test_export_zip_of_every_segment(con, tmp_path):
    out = tmp_path / "all.zip"
    line = export_audience(con, segment="all", by="rfm", fmt="zip", output=out, holdout=0.0, seed=0,
                           include_no_consent=True)
    with zipfile.ZipFile(out) as zf:
        summary = pd.read_csv(io.BytesIO(zf.read("summary.csv")))
    assert summary["rows"].sum() == 400
    assert line.startswith("rows: 400, left out for consent: 0, holdout: 0")


def test_unknown_segment_is_a_user_error(con, tmp_path):
    with pytest.raises(UserInputError, match="no lifecycle segment named 'nope'"):
        export_audience(con, segment="nope", by="lifecycle", fmt="meta", output=tmp_path / "m.csv", holdout=0.0,
                        seed=0, include_no_consent=False)
    assert not (tmp_path / "m.csv").exists()
