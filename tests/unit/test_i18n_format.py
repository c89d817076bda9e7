"""UI strings and the number/date formats of each language, checked by hand."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from retention.i18n import format_date, format_money, format_number, format_percent, t

I18N = Path(__file__).resolve().parents[2] / "retention" / "i18n"


def test_italian_money_uses_dot_thousands_and_comma_decimals():
    assert format_money(1234.56, "it", "EUR") == "1.234,56 €"
    assert format_money(1234.56, "en", "EUR") == "€1,234.56"
    assert format_money(-5, "en", "USD") == "-$5.00"
    assert format_money(1234567, "it", "EUR", 0) == "1.234.567 €"
    assert format_money(None, "it") == "–"


def test_numbers_and_percentages():
    assert format_number(1234567.891, "it", 2) == "1.234.567,89"
    assert format_number(1234567.891, "en", 2) == "1,234,567.89"
    assert format_percent(0.2234, "it") == "22,3%"
    assert format_percent(0.2234, "en") == "22.3%"
    assert format_percent(float("nan"), "en") == "–"


def test_dates_per_language():
    assert format_date(date(2024, 12, 31), "it") == "31/12/2024"
    assert format_date(datetime(2024, 1, 5, 14, 35), "it") == "05/01/2024"
    assert format_date("2024-12-31", "en") == "31 Dec 2024"


def test_every_key_is_translated_in_both_languages():
    en = json.loads((I18N / "en.json").read_text(encoding="utf-8"))
    it = json.loads((I18N / "it.json").read_text(encoding="utf-8"))
    assert set(en) == set(it)
    assert all(v.strip() for v in [*en.values(), *it.values()])


def test_lookup_fills_placeholders_and_falls_back_to_the_key():
    assert t("sidebar.summary", "it", customers="12", orders="30") == "12 clienti · 30 ordini"
    assert t("no.such.key", "it") == "no.such.key"
