"""Property: whatever rows come in, every row is kept or rejected, and so is every cent.

rows_in == rows_kept + sum(dropped) and revenue_in == revenue + sum(revenue_dropped), whatever the
mix of good rows, bad dates, bad amounts, missing identities, cancelled orders and repeats. The
kept revenue is also checked against an independent sum in Python of the rows that should stay.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention.db import connect
from retention.ingest import load_orders

row = st.fixed_dictionaries(
    {
        "order": st.one_of(st.just(""), st.integers(1, 6).map(str)),
        "date": st.sampled_from(["2024-01-05", "05/01/2024", "31/12/2023 10:00", "", "not a date"]),
        "email": st.sampled_from(["a@x.com", "B@x.com", "", "c@x.com"]),
        "status": st.sampled_from(["paid", "paid", "cancelled", "refunded", "failed"]),
        "amount": st.one_of(
            st.decimals(-50, 500, places=2, allow_nan=False, allow_infinity=False).map(str),
            st.sampled_from(["", "n/a", "0"]),
        ),
    }
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.lists(row, min_size=1, max_size=12), min_size=1, max_size=2))
def test_ledger_balances(files):
    con = connect()
    items = []
    for n, rows in enumerate(files):
        text = "order,date,email,status,amount\n" + "".join(
            f"{r['order']},{r['date']},{r['email']},{r['status']},{r['amount']}\n" for r in rows
        )
        items.append((f"f{n}.csv", text.encode()))
    report = load_orders(con, items)
    assert report.rows_in == sum(len(rows) for rows in files)
    assert report.rows_in == report.rows_kept + sum(report.dropped.values())
    assert round(report.revenue_in, 2) == round(report.revenue + sum(report.revenue_dropped.values()), 2)
    kept_sum = con.execute("SELECT coalesce(sum(revenue), 0) FROM orders").fetchone()[0]
    assert round(float(kept_sum), 2) == round(report.revenue, 2)
    # independent: rows that can stay (valid date, amount, email, not cancelled/failed)
    good = [
        r
        for rows in files
        for r in rows
        if r["date"] not in ("", "not a date")
        and r["amount"] not in ("", "n/a")
        and r["email"]
        and r["status"] not in ("cancelled", "failed")
    ]
    expected_before_dupes = sum(Decimal(r["amount"]) for r in good)
    dup_revenue = Decimal(str(report.revenue_dropped.get("duplicate", 0)))
    assert Decimal(str(report.revenue)).quantize(Decimal("0.01")) == (expected_before_dupes - dup_revenue).quantize(
        Decimal("0.01")
    )
    assert report.rows_kept == len(good) - report.dropped.get("duplicate", 0)
    con.close()


def test_ledger_table_from_a_report_by_hand():
    from retention.ingest import ledger_balances, ledger_table

    report = {
        "rows_in": 10,
        "rows_kept": 7,
        "revenue": 70.0,
        "dropped": {"duplicate": 2, "test order": 1},
        "revenue_dropped": {"duplicate": 20.0, "test order": 5.0},
    }
    ledger = ledger_table(report)
    assert ledger["reason"].tolist() == ["kept", "duplicate", "test order"]
    assert ledger["rows"].tolist() == [7, 2, 1] and ledger["share"].tolist() == [0.7, 0.2, 0.1]
    assert ledger["revenue"].tolist() == [70.0, 20.0, 5.0]
    assert ledger_balances(report) and not ledger_balances({**report, "rows_in": 11})
