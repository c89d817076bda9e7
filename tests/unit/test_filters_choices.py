"""filter_choices: the sidebar's labels, checked by hand on the hand-made shop (see
_orders_handmade.py) and against filter_options, on each of its paths (labels found without the
first orders, and the first orders read when a label sits only on repeat orders)."""

from __future__ import annotations

from datetime import date

import pytest
from _orders_handmade import handmade_connection

from retention.db import connect
from retention.errors import UserInputError
from retention.filters import NONE_LABEL, filter_choices, filter_options
from retention.schema import orders_ddl

ALL_FIELDS = ("countries", "channels", "first_discount_codes", "first_products", "first_categories")


def _add(con, rows) -> None:
    con.executemany(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue, country, channel, discount_code) "
        "VALUES (?, ?, CAST(? AS TIMESTAMP), CAST(? AS DECIMAL(18,2)), ?, ?, ?)",
        rows,
    )


def _without_counts(options: dict) -> dict:
    return {k: v for k, v in options.items() if k != "customers_by_option"}


def test_the_handmade_shop():
    con = handmade_connection()
    got = filter_choices(con, fields=ALL_FIELDS)
    assert got["date_min"] == date(2024, 1, 5) and got["date_max"] == date(2024, 4, 15)
    # Every country has a customer who never left it (A: IT, B: DE, D: FR): all three, no first
    # order needed. C's move to DE adds nothing.
    assert got["countries"] == ["DE", "FR", "IT"]
    assert got["channels"] == ["shop", "web"]
    # WELCOME is on B1 and C1 (first orders) but no customer has it on every line: the first
    # orders decide (A1 none, B1 WELCOME, C1 WELCOME, D1 blank = none).
    assert got["first_discount_codes"] == [NONE_LABEL, "WELCOME"]
    assert got["first_products"] == ["Mug", "Spoon", "Tea"]
    assert got["first_categories"] == ["Food", "Home", "Kitchen"]  # A1: Home + Kitchen; B1, C1: Food; D1: Home
    assert got == _without_counts(filter_options(con))


def test_a_label_seen_only_on_repeat_orders_is_not_offered():
    con = handmade_connection()
    # C orders again from Spain; F's two orders share their first moment: F1 (smaller id) is the
    # first, so AT is a first-order country and PT is not.
    _add(
        con,
        [
            ("C3", "C", "2024-04-20 10:00:00", "9.00", "ES", "shop", None),
            ("F2", "F", "2024-02-02 08:00:00", "15.00", "PT", "web", None),
            ("F1", "F", "2024-02-02 08:00:00", "11.00", "AT", "web", None),
        ],
    )
    got = filter_choices(con)
    assert got["countries"] == ["AT", "DE", "FR", "IT"]
    assert got["channels"] == ["shop", "web"]
    assert got["first_discount_codes"] == [NONE_LABEL, "WELCOME"]
    assert got == {k: v for k, v in _without_counts(filter_options(con)).items() if k in got}


def test_one_label_everywhere_and_blank_labels():
    con = connect()
    con.execute(orders_ddl())
    _add(
        con,
        [
            ("1", "a", "2024-01-01 09:00:00", "10.00", " IT ", "web", None),
            ("2", "a", "2024-02-01 09:00:00", "10.00", "IT", "web", "  "),
            ("3", "b", "2024-01-15 09:00:00", "10.00", None, "web", "SPRING"),
            ("4", "b", "2024-03-15 09:00:00", "10.00", "", "web", "SPRING"),
        ],
    )
    got = filter_choices(con)
    # " IT " is IT once trimmed; b's country is missing on every line: "(none)".
    assert got["countries"] == [NONE_LABEL, "IT"]
    assert got["channels"] == ["web"]
    assert got["first_discount_codes"] == [NONE_LABEL, "SPRING"]
    assert got == {k: v for k, v in _without_counts(filter_options(con)).items() if k in got}


def test_an_empty_table():
    con = connect()
    con.execute(orders_ddl())
    got = filter_choices(con)
    assert got == {"date_min": None, "date_max": None, "countries": [], "channels": [], "first_discount_codes": []}
    assert got == {k: v for k, v in _without_counts(filter_options(con)).items() if k in got}


def test_an_unknown_field():
    with pytest.raises(UserInputError, match="Unknown filter field 'cities'"):
        filter_choices(handmade_connection(), fields=("cities",))


def test_a_shop_large_enough_for_the_sample():
    """400 customers, half of them always in IT and half always in FR, each with a repeat order;
    customer 7 once ordered from ES, on a repeat order only. Offered: FR and IT, not ES."""
    con = connect()
    con.execute(orders_ddl())
    rows = []
    for n in range(400):
        country = "IT" if n % 2 else "FR"
        rows.append((f"{n}-1", f"c{n}", "2024-01-10 10:00:00", "20.00", country, "web", None))
        rows.append((f"{n}-2", f"c{n}", "2024-03-10 10:00:00", "20.00", "ES" if n == 7 else country, "web", None))
    _add(con, rows)
    got = filter_choices(con)
    assert got["countries"] == ["FR", "IT"]
    assert got == {k: v for k, v in _without_counts(filter_options(con)).items() if k in got}
    rows_es = [(f"e{n}", f"d{n}", "2024-02-10 10:00:00", "20.00", "ES", "web", None) for n in range(200)]
    _add(con, rows_es)  # now 200 customers always in ES as well
    assert filter_choices(con)["countries"] == ["ES", "FR", "IT"]
