"""Each known export layout, from a small hand-written file in tests/fixtures/ingest/.

The expected numbers are worked out by hand from the rows of each file (see the comments).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from retention.db import connect
from retention.ingest import inspect_files, load_orders

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


@pytest.fixture()
def con():
    c = connect()
    yield c
    c.close()


# file, format, rows_in, rows_kept, orders, customers, revenue, dropped, date_min, date_max, currency
CASES = [
    # 11 lines, #1003 voided+cancelled (3 spoons, 30.00); #1001 70, #1002 50-15, #1004 free, #1005 refunded, #1006 100
    (
        "shopify_orders.csv",
        "shopify",
        11,
        10,
        5,
        4,
        205.00,
        {"cancelled or failed": 1},
        "2024-01-05",
        "2024-05-20",
        "EUR",
    ),
    # older headers (no Id, Source, Lineitem discount); #2 has Cancelled at
    (
        "shopify_old_headers.csv",
        "shopify",
        2,
        1,
        1,
        1,
        45.00,
        {"cancelled or failed": 1},
        "2019-06-01",
        "2019-06-01",
        "USD",
    ),
    # 503 cancelled, 504 failed; 501 55.00 + 502 25.00-10.00 refunded + 505 0.00; guest 502 joins customer 7
    (
        "woocommerce_orders.csv",
        "woocommerce",
        5,
        3,
        3,
        2,
        70.00,
        {"cancelled or failed": 2},
        "2024-03-01",
        "2024-03-05",
        "EUR",
    ),
    # Net Sales 1,200.00 + 0.00 (refunded) + 85.50; customers by name
    ("woocommerce_analytics.csv", "woocommerce_analytics", 3, 3, 3, 2, 1285.50, {}, "2024-04-01", "2024-04-03", None),
    # ch_3 failed, ch_4 test mode; 100 + (50-20) + (1250-1250)
    (
        "stripe_payments.csv",
        "stripe",
        5,
        3,
        3,
        2,
        130.00,
        {"cancelled or failed": 1, "test order": 1},
        "2024-05-01",
        "2024-05-05",
        "EUR",
    ),
    # 1.234,56 EUR + 45,00 EUR; Annullato rejected; 31/12/2024 14:35 day first
    (
        "prestashop_it.csv",
        "prestashop",
        3,
        2,
        2,
        1,
        1279.56,
        {"cancelled or failed": 1},
        "2024-12-31",
        "2025-01-05",
        "EUR",  # no currency column: the amounts are written with the euro sign
    ),
    # "$39.64": no currency column, the dollar sign says USD
    ("magento_orders.csv", "magento", 1, 1, 1, 1, 39.64, {}, "2024-01-05", "2024-01-05", "USD"),
    # cp1252 + sep=; + decimal comma: 30 x 1.000,50 + 12,30; customers C0..C4 and C9
    ("italian_cp1252.csv", "generic", 31, 31, 31, 6, 30027.30, {}, "2024-01-01", "2024-01-28", "EUR"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_format_figures(con, case):
    name, fmt, rows_in, kept, orders, customers, revenue, dropped, dmin, dmax, currency = case
    r = load_orders(con, [FIX / name])
    assert r.format == fmt
    assert (r.rows_in, r.rows_kept, r.orders, r.customers) == (rows_in, kept, orders, customers)
    assert r.revenue == pytest.approx(revenue, abs=0.001)
    assert r.dropped == dropped
    assert (r.date_min, r.date_max, r.currency) == (dmin, dmax, currency)
    assert r.rows_in == r.rows_kept + sum(r.dropped.values())
    assert r.revenue_in == pytest.approx(r.revenue + sum(r.revenue_dropped.values()), abs=0.001)


def test_shopify_lines_share_the_order_net_value(con):
    load_orders(con, [FIX / "shopify_orders.csv"])
    rows = con.execute(
        "SELECT order_id, product_name, revenue, refunded, email, zip, accepts_marketing, channel "
        "FROM orders ORDER BY source_row"
    ).fetchall()
    by_line = {(r[0], r[1]): r for r in rows}
    # #1001: Subtotal 70 over gross 40 (2 mugs) and 40 (teapot): 35 + 35
    assert by_line[("#1001", "Mug")][2] == Decimal("35.00")
    assert by_line[("#1001", "Teapot")][2] == Decimal("35.00")
    # #1002: 50 - 15 refunded = 35 over 40 and 10: 28 + 7; refund shared 12 + 3
    assert by_line[("#1002", "Teapot")][2:4] == (Decimal("28.00"), Decimal("12.00"))
    assert by_line[("#1002", "Spoon")][2:4] == (Decimal("7.00"), Decimal("3.00"))
    # order fields filled from the first line; email trimmed and lowercased; zip keeps its zeros
    assert by_line[("#1002", "Spoon")][4] == "ben@example.com"
    assert by_line[("#1001", "Teapot")][5:8] == ("00184", True, "web")
    # #1006: 100 over 20, 20, 70 -> 18.18, 18.18, 63.64 (two identical Mug lines are both kept)
    r1006 = sorted(r[2] for r in rows if r[0] == "#1006")
    assert r1006 == [Decimal("18.18"), Decimal("18.18"), Decimal("63.64")]
    assert sum(r1006) == Decimal("100.00")


def test_woocommerce_guest_joins_account_by_email(con):
    r = load_orders(con, [FIX / "woocommerce_orders.csv"])
    ids = dict(con.execute("SELECT order_id, customer_id FROM orders").fetchall())
    assert ids["502"] == ids["501"] == "7"
    assert r.guests_joined == 1
    assert r.zero_value_orders == 1


def test_rejected_rows_keep_reason_and_raw_text(con, tmp_path):
    out = tmp_path / "rejected.csv"
    load_orders(con, [FIX / "stripe_payments.csv"], rejected_path=str(out))
    rej = con.execute("SELECT source_row, reason, order_id, revenue FROM rejected_rows ORDER BY source_row").fetchall()
    assert rej == [(4, "cancelled or failed", "ch_3", Decimal("70.00")), (5, "test order", "ch_4", Decimal("10.00"))]
    text = out.read_text(encoding="utf-8")
    assert "The bank declined." in text and text.splitlines()[0].startswith("source_file,source_row,reason")


def test_inspect_files_proposes_mapping_with_confidence():
    ins = inspect_files([FIX / "prestashop_it.csv", FIX / "italian_cp1252.csv"])
    presta, italian = ins.files
    assert presta.format == "prestashop" and presta.mapping["revenue"] == "Totale"
    assert presta.confidence["revenue"] == 1.0
    assert italian.format == "generic"
    assert italian.mapping["order_date"] == "Data" and italian.mapping["zip"] == "CAP"
    assert "order_date" in italian.guessed
    assert italian.sample_rows[0][2] == "C1"


def test_test_orders_rejected_by_gateway_and_tag(con):
    # Shopify: #2 paid through the Bogus Gateway (2 lines, the gateway only on the first line),
    # #3 tagged "vip, test"; #4's tag "testimonial" and name "Tester" are not test marks.
    text = (
        "Name,Email,Financial Status,Created at,Lineitem quantity,Lineitem name,Lineitem price,Subtotal,"
        "Billing Name,Payment Method,Tags\n"
        "#1,a@x.com,paid,2024-01-01,1,Mug,10.00,10.00,Giulia De Luca,Shopify Payments,vip\n"
        "#2,b@x.com,paid,2024-01-02,1,Mug,10.00,15.00,Bob,Bogus,\n"
        "#2,,,2024-01-02,1,Cup,5.00,,,,\n"
        '#3,c@x.com,paid,2024-01-03,2,Mug,10.00,20.00,Ann Lee,Shopify Payments,"vip, test"\n'
        "#4,d@x.com,paid,2024-01-04,1,Mug,10.00,10.00,Tester  Jones,Shopify Payments,testimonial\n"
    )
    r = load_orders(con, [("shop.csv", text.encode())])
    assert r.format == "shopify"
    assert (r.rows_in, r.rows_kept, r.dropped) == (5, 2, {"test order": 3})
    assert r.revenue == pytest.approx(20.00)  # #1 10.00 + #4 10.00
    assert r.revenue_dropped == {"test order": pytest.approx(35.00)}  # #2 15.00 + #3 20.00
    names = con.execute("SELECT order_id, first_name, last_name FROM orders ORDER BY order_id").fetchall()
    assert names == [("#1", "Giulia", "De Luca"), ("#4", "Tester", "Jones")]


def test_test_orders_rejected_by_woocommerce_test_gateway(con):
    # a gateway named with the word "test" is a test payment; "contest-pay" is not
    text = (
        "order_id,order_date,status,order_total,customer_email,payment_method\n"
        "1,2024-01-01,completed,10.00,a@x.com,stripe\n"
        "2,2024-01-02,completed,20.00,b@x.com,test_gateway\n"
        "3,2024-01-03,completed,30.00,c@x.com,contest-pay\n"
    )
    r = load_orders(con, [("woo.csv", text.encode())])
    assert r.format == "woocommerce"
    assert (r.rows_kept, r.dropped, r.revenue) == (2, {"test order": 1}, pytest.approx(40.00))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("shopify_orders.csv", ("#1001", "Anna", "Rossi")),  # Billing Name
        ("magento_orders.csv", ("000000001", "Veronica", "Costello")),  # Customer Name
        ("prestashop_it.csv", ("XKBKNABJK", "M.", "ROSSI")),  # Cliente
        ("woocommerce_orders.csv", ("501", "Giulia", "Neri")),  # first/last columns win
    ],
)
def test_first_and_last_name_from_a_full_name_column(con, name, expected):
    load_orders(con, [FIX / name])
    row = con.execute(
        "SELECT DISTINCT order_id, first_name, last_name FROM orders WHERE order_id = $o", {"o": expected[0]}
    ).fetchall()
    assert row == [expected]


def test_stripe_payments_without_customer_email_are_recognised(con):
    # the unified payments export lets the user leave out the customer columns
    text = (
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Customer ID,Customer Name\n"
        "ch_1,2024-05-01 10:00:00,100.00,0.00,eur,Paid,cus_A,Ada Lovelace\n"
        "ch_2,2024-05-02 10:00:00,40.00,10.00,eur,Paid,cus_A,Ada Lovelace\n"
    )
    r = load_orders(con, [("unified_payments.csv", text.encode())])
    assert r.format == "stripe"
    assert (r.rows_kept, r.customers, r.revenue) == (2, 1, pytest.approx(130.00))
    assert con.execute("SELECT DISTINCT first_name, last_name FROM orders").fetchall() == [("Ada", "Lovelace")]
