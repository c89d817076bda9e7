"""`read_marketing_spend` on small hand-written files as Italian and English marketers save them
from a spreadsheet, `parse_amount` value by value, and every message a bad file gets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _orders_handmade import handmade_connection

from retention.errors import UserInputError
from retention.i18n import error_text
from retention.kpis import compute_kpis, parse_amount, read_marketing_spend

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "retention_small_orders.csv"


def _frame(source) -> list[tuple[str, float]]:
    f = read_marketing_spend(source)
    assert list(f.columns) == ["month", "spend"]
    return list(zip(f["month"], f["spend"], strict=True))


@pytest.mark.parametrize(
    ("text", "comma_decimal", "value"),
    [
        ("1.234,56", True, 1234.56),
        ("1.234,56", False, 1234.56),  # both separators: the last one is the decimal
        ("1,234.56", True, 1234.56),
        ("250,5", False, 250.5),  # one separator not followed by three digits: the decimal
        ("250.50", True, 250.5),
        ("1.000", True, 1000.0),  # ambiguous: an Italian file's thousands dot
        ("1.000", False, 1.0),
        ("1,000", False, 1000.0),
        ("1.234.567", False, 1234567.0),
        ("€ 1.234,56", True, 1234.56),
        ("1 234,56 EUR", True, 1234.56),
        ("$1,234.56", False, 1234.56),
        ("30 €", True, 30.0),
        ("0", True, 0.0),
        ("-12,5", True, -12.5),
        ("abc", True, None),
        ("12 abc", True, None),
        ("1.2.3", True, None),
        ("", True, None),
    ],
)
def test_parse_amount_reads_as_a_person_reads(text, comma_decimal, value):
    assert parse_amount(text, comma_decimal=comma_decimal) == value


def test_an_italian_excel_file_semicolons_decimal_commas_and_every_month_shape():
    data = (
        "Mese;Spesa (€);Note\n"
        "2024-01;1.234,56;gennaio\n"
        "02/2024;€ 2.000;\n"  # a thousands dot in an Italian file: two thousand
        "3/2024;250,5;\n"
        "2024-04-01;1.000;\n"
        "31/05/2024;99,90;\n"
        "giu 2024;0;\n"
    ).encode("cp1252")  # what Italian Excel saves as "CSV (separato da un separatore di elenco)"
    assert _frame(data) == [
        ("2024-01", 1234.56),
        ("2024-02", 2000.0),
        ("2024-03", 250.5),
        ("2024-04", 1000.0),
        ("2024-05", 99.9),
        ("2024-06", 0.0),
    ]


def test_utf8_with_bom_upper_case_headers_and_blank_lines():
    data = "\ufeff MESE ; SPESA \n\n2024-01 ; 250,50 \n2024-02;1.250\n;;\n".encode()
    assert _frame(data) == [("2024-01", 250.5), ("2024-02", 1250.0)]


def test_an_english_file_with_quoted_thousands_commas_from_a_path(tmp_path):
    path = tmp_path / "spend.csv"
    path.write_text('month,spend\n2024-01,"1,234.56"\n2024-02,$980\n2024-03,1000.5\n', encoding="utf-8")
    assert _frame(str(path)) == [("2024-01", 1234.56), ("2024-02", 980.0), ("2024-03", 1000.5)]
    assert _frame(path.read_bytes()) == _frame(path)


def test_tab_separated_budget_column_and_excels_sep_line():
    assert _frame(b"month\tbudget\n2024-01\t1,234.50\n") == [("2024-01", 1234.5)]
    assert _frame(b"sep=;\nmese;importo\n01/2024;12,5\n") == [("2024-01", 12.5)]
    assert _frame(b"Month,Costo\n2024-01,10\n") == [("2024-01", 10.0)]


def test_a_day_above_12_in_the_second_place_reads_the_dates_month_first():
    assert _frame(b"month,spend\n01/31/2024,10\n02/15/2024,20\n") == [("2024-01", 10.0), ("2024-02", 20.0)]


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (
            b"month,spend\n2024-01,100\n2024-02,100\n2024-03,abc\n",
            "spend_bad_amount",
            "Row 4 of the marketing spend file: 'abc' is not an amount; write it like 1234.56 or 1.234,56.",
        ),
        (
            b"mese;spesa\n2024-01;10\n13/2024;10\n",
            "spend_bad_month",
            "Row 3 of the marketing spend file: '13/2024' is not a month; write it as 2024-01 or 01/2024.",
        ),
        (
            b"mese;spesa\n2024-01;\n",
            "spend_no_amount",
            "Row 2 of the marketing spend file has no spend for 2024-01; write 0 for a month without spend.",
        ),
        (
            b"mese;spesa\n2024-01;-5\n",
            "spend_negative",
            "Row 2 of the marketing spend file: the spend '-5' is below 0; give what was spent in the month, 0 "
            "or more.",
        ),
        (
            b"date,amount\n2024-01,5\n",
            "spend_columns",
            "The marketing spend file spend.csv needs a header row with a month column (month or mese) and a "
            "spend column (spend, spesa, costo, budget or importo); its first row is 'date,amount'.",
        ),
        (
            b"month,spend\n",
            "spend_no_rows",
            "The marketing spend file spend.csv has a header but no months; add one row per month under it.",
        ),
        (
            b"\n \n",
            "spend_empty",
            "The marketing spend file spend.csv is empty; write a header (month,spend) and one row per month.",
        ),
        (
            b"\x81\x8d\x8f\x90",  # bytes neither UTF-8 nor Windows-1252 gives a character to
            "spend_not_text",
            "The marketing spend file spend.csv is not a text file; save it from the spreadsheet as CSV.",
        ),
    ],
)
def test_each_bad_file_says_what_is_wrong_and_where(data, code, message):
    with pytest.raises(UserInputError) as err:
        read_marketing_spend(data, name="spend.csv")
    assert (err.value.code, str(err.value)) == (code, message)
    assert error_text(err.value, "en") == message  # the app's English is the command line's
    assert error_text(err.value, "it") != message  # and the Italian page has its own sentence


def test_the_italian_message_names_the_row():
    with pytest.raises(UserInputError) as err:
        read_marketing_spend(b"mese;spesa\n2024-01;10\n2024-02;dieci\n")
    assert error_text(err.value, "it") == (
        "Riga 3 del file della spesa marketing: 'dieci' non è un importo; scrivilo come 1.234,56 o 1234,56."
    )


def test_a_missing_path_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="Cannot read the marketing spend file .*nope.csv"):
        read_marketing_spend(str(tmp_path / "nope.csv"))


def test_an_italian_spend_file_gives_the_cac_per_acquisition_month():
    # The hand-made shop: January won A and B (2 customers, 47.50 + 38.00 so far), February C.
    spend = read_marketing_spend(b"mese;spesa\n01/2024;100,00\n2024-02;30\n")
    con = handmade_connection()
    try:
        jan, feb = compute_kpis(con, marketing_spend=spend)["clv_cac_detail"]["by_cohort"]
    finally:
        con.close()
    assert (jan["cohort"], jan["spend"], jan["new_customers"], jan["cac"], jan["clv"]) == (
        "2024-01-01", 100.0, 2, 50.0, 42.75
    )
    assert (feb["cohort"], feb["spend"], feb["new_customers"], feb["cac"]) == ("2024-02-01", 30.0, 1, 30.0)


def _kpis_with_spend(path):
    return subprocess.run(
        [sys.executable, "-m", "retention.cli", "kpis", str(FIXTURE), "--marketing-spend", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_reads_an_italian_spend_file(tmp_path):
    path = tmp_path / "spesa.csv"
    path.write_bytes("Mese;Spesa\n01/2024;€ 1.000,00\n".encode("cp1252"))
    out = _kpis_with_spend(path)
    assert out.returncode == 0, out.stderr
    (jan,) = json.loads(out.stdout)["clv_cac_detail"]["by_cohort"]
    assert (jan["spend"], jan["new_customers"], jan["cac"]) == (1000.0, 2, 500.0)
    path.write_bytes(b"mese;spesa\n2024-01;mille\n")
    bad = _kpis_with_spend(path)
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith(
        "Row 2 of the marketing spend file: 'mille' is not an amount; write it like 1234.56 or 1.234,56."
    )
