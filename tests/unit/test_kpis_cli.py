"""`retention kpis` and `retention cohorts` through the real command line, on a small generic CSV.

tests/fixtures/retention_small_orders.csv is the hand-made shop of tests/unit/_orders_handmade.py
(order lines only): 4 customers, 8 orders, 200.50 net revenue, last order 15 April 2024.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "retention_small_orders.csv"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "retention.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_kpis_json_contract():
    out = run("kpis", str(FIXTURE), "--cac", "20")
    assert out.returncode == 0, out.stderr
    k = json.loads(out.stdout)
    for key in (
        "customers",
        "orders",
        "revenue",
        "aov",
        "orders_per_customer",
        "repeat_purchase_rate",
        "one_time_buyer_share",
        "retention_rate",
        "benchmarks",
        "clv_cac",
    ):
        assert key in k, key
    assert (k["customers"], k["orders"], k["revenue"]) == (4, 8, 200.5)
    assert k["repeat_purchase_rate"] == 0.75 and k["orders_per_customer"] == 2.0
    assert k["clv_cac"] == 2.50625  # 200.50 / 4 / 20
    assert set(k["benchmarks"]["repeat_purchase_rate"]) >= {"value", "band", "verdict"}
    assert k["benchmarks"]["clv_cac"]["value"] == 2.50625


def test_kpis_period_and_as_of():
    k = json.loads(run("kpis", str(FIXTURE), "--period", "quarter", "--as-of", "2024-06-30").stdout)
    assert k["retention_rate"] == 0.25 and k["churn_rate"] == 0.75


def test_kpis_bad_date_is_one_line_and_status_2():
    out = run("kpis", str(FIXTURE), "--as-of", "15/04/2024")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "YYYY-MM-DD" in out.stderr and "Traceback" not in out.stderr


def test_cohorts_csv_contract():
    out = run("cohorts", str(FIXTURE))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0])[:11] == [
        "cohort",
        "period",
        "cohort_size",
        "active_customers",
        "retention",
        "retention_low",
        "retention_high",
        "orders",
        "revenue",
        "cumulative_revenue_per_customer",
        "complete",
    ]
    jan = [r for r in rows if r["cohort"] == "2024-01-01"]
    assert [int(r["active_customers"]) for r in jan] == [2, 1, 1, 0]
    assert [float(r["revenue"]) for r in jan] == [65.5, 8.0, 12.0, 0.0]
    assert [r["complete"] for r in jan] == ["True", "True", "True", "False"]


def test_cohorts_on_or_after_mode():
    rows = list(csv.DictReader(io.StringIO(run("cohorts", str(FIXTURE), "--mode", "on_or_after").stdout)))
    jan = [r for r in rows if r["cohort"] == "2024-01-01"]
    assert [int(r["active_customers"]) for r in jan] == [2, 2, 1, 0]
