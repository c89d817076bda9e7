"""UI strings and the number/date formats of each language, checked by hand."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from retention.i18n import format_date, format_money, format_number, format_percent, note_text, reason_label, t

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


def test_ingest_notes_and_reasons_in_both_languages():
    left_out = {"code": "rows_left_out", "n": 1234, "reason": "cancelled or failed"}
    assert note_text(left_out, "en") == "1,234 rows left out because the order was cancelled or its payment failed."
    assert note_text(left_out, "it") == (
        "1.234 righe escluse perché l'ordine è stato annullato o il pagamento non è andato a buon fine."
    )
    one = {"code": "rows_left_out", "n": 1, "reason": "duplicate"}
    assert note_text(one, "it") == (
        "1 riga esclusa perché la stessa riga d'ordine era già stata letta (export sovrapposti)."
    )
    named = {"code": "columns_named", "file": "ordini.csv", "columns": [["Totale", "revenue"]]}
    assert note_text(named, "it").startswith("ordini.csv: colonne riconosciute dal nome: 'Totale' → revenue.")
    basis = {"code": "revenue_basis", "bases": ["merchandise", "total_paid"]}
    assert note_text(basis, "it").startswith("Il fatturato è il valore netto della merce")
    assert "; l'importo pagato meno i rimborsi" in note_text(basis, "it")
    assert reason_label("missing customer identity", "it") == "cliente non identificabile"
    assert reason_label("kept", "it") == "kept"  # not a reason: left as it is


def test_how_a_column_was_found_and_what_a_field_means_in_italian(tmp_path):
    from retention.i18n import field_meaning, how_text
    from retention.ingest import inspect_files

    p = tmp_path / "ordini.csv"
    p.write_text("Numero ordine;Data ordine;Cliente;Totale EUR\n1;05/01/2024;a@x.it;10,00\n", encoding="utf-8")
    seen = inspect_files([p]).files[0]
    assert seen.how["order_date"] == "header 'Data ordine' reads as order_date"
    assert how_text(seen.how_notes["order_date"], "it") == "l'intestazione 'Data ordine' indica order_date"
    assert how_text(seen.how_notes["revenue"], "it") == "l'intestazione 'Totale EUR' contiene 'totale'"
    assert field_meaning("zip", "it") == "CAP, come testo (gli zeri iniziali restano)"
    assert field_meaning("no_such_field", "it", "as it is") == "as it is"


def test_input_errors_in_the_users_language(tmp_path):
    from retention.db import connect
    from retention.errors import UserInputError
    from retention.i18n import error_text
    from retention.ingest import load_orders

    empty = tmp_path / "vuoto.csv"
    empty.write_bytes(b"")
    try:
        load_orders(connect(), [empty])
    except UserInputError as exc:
        assert str(exc) == "vuoto.csv is empty; export the orders again and choose a file with rows."
        italian = "vuoto.csv è vuoto; esporta di nuovo gli ordini e scegli un file con delle righe."
        assert error_text(exc, "it") == italian
    else:
        raise AssertionError("an empty file must be refused")
    assert error_text(UserInputError("no code: as it is"), "it") == "no code: as it is"
    assert error_text(UserInputError("unknown", code="no_such_code"), "it") == "unknown"


def test_every_export_layout_has_its_name_in_both_languages():
    from retention.i18n import format_label
    from retention.ingest.formats import FORMATS, GENERIC

    for fmt in (*FORMATS, GENERIC):
        assert format_label(fmt.name, "?", "en") == fmt.label
        assert format_label(fmt.name, "?", "it") not in ("?", fmt.label), fmt.name
    assert format_label("generic", "?", "it") == "File di ordini generico"


def test_every_segment_and_audience_format_has_an_italian_name():
    from retention.exports import FORMATS
    from retention.i18n import export_format_label, segment_label, strings
    from retention.segments import LIFECYCLE_SEGMENTS, UNCLASSIFIED, segment_names

    names = [*segment_names("rfm"), *LIFECYCLE_SEGMENTS, UNCLASSIFIED, "low", "medium", "high"]
    for name in names:
        assert f"segment.{name}" in strings("it"), name
    assert segment_label("At risk", "it") == "A rischio" and segment_label("Champions", "it") == "Campioni"
    assert segment_label("high", "it") == "Rischio alto" and segment_label("my group", "it") == "my group"
    for key, fmt in FORMATS.items():
        assert export_format_label(key, fmt.label, "en") == fmt.label  # English names unchanged
        assert export_format_label(key, fmt.label, "it") != fmt.label, key
