"""`retention quality` as a user runs it: JSON on stdout, or exit 2 and one line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
CDNOW = str(Path(__file__).resolve().parents[1] / "fixtures" / "cdnow" / "CDNOW_sample.txt")
FIELDS = {
    "format",
    "mapping",
    "rows_in",
    "rows_kept",
    "orders",
    "customers",
    "revenue",
    "dropped",
    "date_min",
    "date_max",
    "currency",
    "warnings",
}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "retention.cli", "quality", *args], capture_output=True, text=True)


def test_quality_json_fields_for_shopify(tmp_path):
    rejected = tmp_path / "rejected.csv"
    p = run(str(FIX / "shopify_orders.csv"), "--rejected", str(rejected))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert FIELDS <= out.keys()
    assert (out["format"], out["rows_in"], out["rows_kept"], out["orders"], out["customers"]) == (
        "shopify",
        11,
        10,
        5,
        4,
    )
    assert out["revenue"] == 205.0 and out["dropped"] == {"cancelled or failed": 1}
    assert (out["date_min"], out["date_max"], out["currency"]) == ("2024-01-05", "2024-05-20", "EUR")
    assert out["mapping"]["order_id"] == "Name"
    assert all(isinstance(w, str) and w.endswith(".") for w in out["warnings"])
    assert len(rejected.read_text().splitlines()) == 2


def test_quality_cdnow_headerless_with_map():
    p = run(CDNOW, "--map", "customer_id=2", "--map", "order_date=3", "--map", "revenue=5", "--map", "quantity=4")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["rows_kept"] == 6919 and out["rows_in"] == 6919


def test_bad_input_exits_2_with_one_line(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    nodate = tmp_path / "nodate.csv"
    nodate.write_text("a,b\nx,y\n")
    for args in (
        [str(empty)],
        [str(nodate)],
        [str(FIX / "stripe_payments.csv"), "--map", "revenue=Nope"],
        [str(tmp_path / "missing.csv")],
    ):
        p = run(*args)
        assert p.returncode == 2, args
        assert p.stdout == ""
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr


def test_a_file_that_keeps_no_row_is_reported_by_quality_and_stops_the_analyses(tmp_path):
    f = tmp_path / "tessere.csv"
    f.write_text("Data ordine,Totale,Tessera\n2024-01-05,10.00,T1\n2024-02-01,20.00,T1\n")
    p = run(str(f))
    assert p.returncode == 0, p.stderr  # the ledger is the answer: both rows lack a customer
    assert json.loads(p.stdout)["dropped"] == {"missing customer identity": 2}
    for command in ("kpis", "cohorts", "customers"):
        q = subprocess.run([sys.executable, "-m", "retention.cli", command, str(f)], capture_output=True, text=True)
        assert q.returncode == 2 and q.stdout == "", (command, q.stdout)
        assert q.stderr.strip().splitlines() == [
            "retention: none of the 2 rows could be kept (2 missing customer identity); name the order date, "
            "amount and customer columns with --map FIELD=COLUMN."
        ], q.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "retention.cli", "kpis", str(f), "--map", "customer_id=Tessera"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["customers"] == 1
