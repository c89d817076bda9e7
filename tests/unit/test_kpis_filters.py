"""Filters on the hand-made shop: customers chosen by their FIRST order, all their orders kept."""

from __future__ import annotations

from datetime import date

import pytest
from _orders_handmade import handmade_connection

from retention.errors import UserInputError
from retention.filters import NONE_LABEL, Filters, apply_filters, filter_options
from retention.kpis import compute_kpis


@pytest.fixture()
def con():
    c = handmade_connection()
    yield c
    c.close()


def kept(con, filters):
    scope = apply_filters(con, filters)
    return sorted({r[0] for r in con.execute(f'SELECT order_id FROM "{scope}"').fetchall()})


def test_no_filter_copies_nothing(con):
    assert apply_filters(con, Filters()) == "orders"
    assert apply_filters(con, None) == "orders"


def test_country_of_the_first_order(con):
    # C's second order ships to DE, but C was acquired in IT: C is not a German customer.
    assert kept(con, Filters(countries=("DE",))) == ["B1", "B2"]
    assert kept(con, Filters(countries=["IT"])) == ["A1", "A2", "A3", "C1", "C2"]
    assert kept(con, Filters(countries=("IT", "FR"), channels=("web",))) == ["A1", "A2", "A3", "D1"]


def test_discount_code_and_none_label(con):
    assert kept(con, Filters(first_discount_codes=("WELCOME",))) == ["B1", "B2", "C1", "C2"]
    # NULL and blank codes are both "(none)".
    assert kept(con, Filters(first_discount_codes=(NONE_LABEL,))) == ["A1", "A2", "A3", "D1"]


def test_any_line_of_the_first_order_matches_a_product_or_category(con):
    assert kept(con, Filters(first_products=("Spoon",))) == ["A1", "A2", "A3"]
    assert kept(con, Filters(first_categories=("Home",))) == ["A1", "A2", "A3", "D1"]


def test_date_range_keeps_whole_days(con):
    assert kept(con, Filters(date_from=date(2024, 2, 1), date_to=date(2024, 3, 1))) == ["A3", "B2", "C1"]
    assert kept(con, Filters(date_to=date(2024, 1, 31))) == ["A1", "A2", "B1"]


def test_kpis_on_the_filtered_table(con):
    scope = apply_filters(con, Filters(first_discount_codes=("WELCOME",)))
    k = compute_kpis(con, table=scope)
    assert (k["customers"], k["orders"], k["revenue"]) == (2, 4, 113.0)


def test_filter_options_list_first_order_values(con):
    opts = filter_options(con)
    assert opts["date_min"] == date(2024, 1, 5) and opts["date_max"] == date(2024, 4, 15)
    assert opts["countries"] == ["DE", "FR", "IT"]
    assert opts["first_discount_codes"] == [NONE_LABEL, "WELCOME"]
    assert opts["first_products"] == ["Mug", "Spoon", "Tea"]
    assert opts["customers_by_option"]["countries"] == {"DE": 1, "FR": 1, "IT": 2}


def test_bad_filters(con):
    with pytest.raises(UserInputError, match="swap"):
        Filters(date_from=date(2024, 3, 1), date_to=date(2024, 1, 1))
    with pytest.raises(UserInputError, match="different"):
        apply_filters(con, Filters(countries=("IT",)), target="orders")


def test_filters_are_hashable():
    assert hash(Filters(countries=["IT"])) == hash(Filters(countries=("IT",)))
