"""Real-world mess: encodings, separators, number and date forms, hostile headers, uploads.

Each case is a tiny file written here; its expected figures follow from its rows.
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from retention.db import connect
from retention.errors import UserInputError
from retention.ingest import load_mapping, load_orders, save_mapping

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow" / "CDNOW_sample.txt"


@pytest.fixture()
def con():
    c = connect()
    yield c
    c.close()


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def kept(con, cols: str = "order_id, order_date, revenue") -> list[tuple]:
    return con.execute(f"SELECT {cols} FROM orders ORDER BY source_file, source_row").fetchall()


def test_utf8_bom_and_crlf(con, tmp_path):
    p = write(tmp_path, "bom.csv", "\ufefforder_id,date,email,total\r\n1,2024-02-03,a@x.com,10.50\r\n")
    r = load_orders(con, [p])
    assert r.mapping["order_id"] == "order_id"
    assert kept(con) == [("1", datetime(2024, 2, 3), Decimal("10.50"))]


def test_cp1252_euro_and_curly_quotes(con, tmp_path):
    p = write(
        tmp_path,
        "w.csv",
        "Ordine;Data;Cliente;Prodotto;Importo\n7;03/02/2024;C1;L\u2019ultimo \u201cpezzo\u201d;\u20ac 1.234,56\n",
        "cp1252",
    )
    load_orders(con, [p])
    assert kept(con, "product_name, revenue") == [("L\u2019ultimo \u201cpezzo\u201d", Decimal("1234.56"))]


def test_excel_sep_line_semicolon_decimal_comma(con, tmp_path):
    p = write(
        tmp_path,
        "x.csv",
        "sep=;\nID;Data ordine;Email;Totale\n1;31/12/2024;a@x.it;1.000,00\n2;01/01/2025;b@x.it;0,99\n",
    )
    r = load_orders(con, [p])
    assert r.revenue == pytest.approx(1000.99)
    assert (r.date_min, r.date_max) == ("2024-12-31", "2025-01-01")


def test_day_first_two_digit_year(con, tmp_path):
    # 05/01/24 is 5 January 2024 (DuckDB's sniffer reads it as 2005-01-24); 13/01/24 proves day first
    p = write(
        tmp_path, "d.csv", "order,date,customer,amount\n1,05/01/24,c1,1\n2,13/01/24,c1,1\n3,31/12/2024 14:35,c2,1\n"
    )
    r = load_orders(con, [p])
    assert [row[1] for row in kept(con)] == [
        datetime(2024, 1, 5),
        datetime(2024, 1, 13),
        datetime(2024, 12, 31, 14, 35),
    ]
    assert r.files[0]["day_first"] is True


def test_month_first_when_the_data_proves_it(con, tmp_path):
    p = write(tmp_path, "m.csv", "order,date,customer,amount\n1,05/01/2024,c1,1\n2,12/25/2024,c1,1\n")
    r = load_orders(con, [p])
    assert [row[1] for row in kept(con)] == [datetime(2024, 5, 1), datetime(2024, 12, 25)]
    assert r.files[0]["day_first"] is False


def test_ambiguous_dates_are_read_day_first_with_a_warning(con, tmp_path):
    p = write(tmp_path, "a.csv", "order,date,customer,amount\n1,05/01/24,c1,1\n")
    r = load_orders(con, [p])
    assert kept(con)[0][1] == datetime(2024, 1, 5)
    assert any("day first" in w for w in r.warnings)


def test_iso_with_offsets_keeps_local_time(con, tmp_path):
    p = write(
        tmp_path,
        "i.csv",
        "order,created,customer,amount\n1,2024-03-01T23:30:00+01:00,c,1\n2,2024-03-02T08:00:00Z,c,1\n",
    )
    load_orders(con, [p])
    assert [row[1] for row in kept(con)] == [datetime(2024, 3, 1, 23, 30), datetime(2024, 3, 2, 8, 0)]


def test_currency_symbols_and_thousands(con, tmp_path):
    p = write(
        tmp_path,
        "c.csv",
        'order,date,customer,amount\n1,2024-01-01,c,"$1,234.50"\n2,2024-01-01,c,12.00 USD\n3,2024-01-01,c,-5.25\n',
    )
    r = load_orders(con, [p])
    assert [row[2] for row in kept(con)] == [Decimal("1234.50"), Decimal("12.00"), Decimal("-5.25")]
    assert r.revenue == pytest.approx(1241.25)


def test_an_amount_in_the_other_convention_is_read_by_its_own_separators(con, tmp_path):
    # a file of decimal points with one amount written the Italian way, and the reverse
    dots = "order,date,customer,amount\n1,2024-01-01,c,2.50\n2,2024-01-02,c,\"2.000,00\"\n3,2024-01-03,c,\"1,234\"\n"
    load_orders(con, [write(tmp_path, "dots.csv", dots)])
    assert [row[2] for row in kept(con)] == [Decimal("2.50"), Decimal("2000.00"), Decimal("1234.00")]
    commas = (
        "Numero ordine;Data ordine;Cliente;Totale\n1;01/01/2024;c;2,50\n2;02/01/2024;c;12.5\n"
        "3;03/01/2024;c;1,234.50\n4;04/01/2024;c;1.234\n5;05/01/2024;c;1.234.567,89\n"
    )
    load_orders(con, [write(tmp_path, "commas.csv", commas)])
    assert [row[2] for row in kept(con)] == [
        Decimal("2.50"),  # the file's decimal comma
        Decimal("12.50"),  # one point not followed by three digits: a decimal point
        Decimal("1234.50"),  # both separators: the last one is the decimal
        Decimal("1234.00"),  # one point and three digits: thousands, as the file writes them
        Decimal("1234567.89"),
    ]


def test_text_around_an_amount_rejects_the_row_instead_of_gluing_its_digits(con, tmp_path):
    text = (
        "order,date,customer,amount\n1,2024-01-01,c,10 (was 15)\n2,2024-01-01,c,3 x 4\n"
        "3,2024-01-01,c,=2+5\n4,2024-01-01,c,\u20ac 7.50\n5,2024-01-01,c,8.00 EUR\n"
    )
    r = load_orders(con, [write(tmp_path, "t.csv", text)])
    assert r.dropped == {"unparseable amount": 3}
    assert [row[2] for row in kept(con)] == [Decimal("7.50"), Decimal("8.00")]
    assert con.execute("SELECT source_row FROM rejected_rows").fetchall() == [(2,), (3,), (4,)]


def test_the_currency_symbol_of_the_amounts_is_the_currency_when_no_column_says(con, tmp_path):
    head = "order,date,customer,amount\n"
    dollars = write(tmp_path, "d.csv", head + '1,2024-01-01,c,$39.64\n2,2024-01-02,c,"$1,000.00"\n')
    assert load_orders(con, [dollars]).currency == "USD"
    pounds = write(tmp_path, "p.csv", head + "1,2024-01-01,c,\u00a312.00\n2,2024-01-02,c,\u00a38.50\n")
    assert load_orders(con, [pounds]).currency == "GBP"
    bare = write(tmp_path, "b.csv", head + "1,2024-01-01,c,12.00\n")
    assert load_orders(con, [bare]).currency is None  # nothing says: the app shows its default
    column = write(tmp_path, "c.csv", "order,date,customer,amount,currency\n1,2024-01-01,c,$5.00,cad\n")
    assert load_orders(con, [column]).currency == "CAD"  # the export's own column comes first


def test_quoted_newlines_and_ragged_rows(con, tmp_path):
    p = write(
        tmp_path,
        "q.csv",
        'order,date,customer,note,amount\n1,2024-01-01,c,"two\nlines",3\n2,2024-01-02,c\n3,2024-01-03,c,x,4\n',
    )
    r = load_orders(con, [p])
    assert r.rows_in == 3 and r.rows_kept == 2
    assert r.dropped == {"missing amount": 1}
    assert [row[0] for row in kept(con)] == ["1", "3"]
    assert con.execute("SELECT source_row FROM rejected_rows").fetchall() == [(3,)]


def test_hostile_and_duplicate_column_names(con, tmp_path):
    p = write(
        tmp_path,
        "h.csv",
        '"""; DROP TABLE orders; --",=cmd(),order,order,date,email,total\nx,y,1,dup,2024-01-01,a@x.com,5\n',
    )
    r = load_orders(con, [p], mapping={"product_name": '"; DROP TABLE orders; --', "category": "=cmd()"})
    assert kept(con, "order_id, product_name, category, revenue") == [("1", "x", "y", Decimal("5.00"))]
    assert r.mapping["order_id"] == "order"
    assert con.execute("SELECT count(*) FROM orders").fetchone() == (1,)


@pytest.mark.parametrize("sep", ["|", "\t"])
def test_pipe_and_tab_separated(con, tmp_path, sep):
    p = write(
        tmp_path,
        "s.txt",
        sep.join(["order", "date", "customer", "amount"]) + "\n" + sep.join(["9", "2024-01-01", "c", "2.50"]) + "\n",
    )
    load_orders(con, [p])
    assert kept(con) == [("9", datetime(2024, 1, 1), Decimal("2.50"))]


def test_gzip_on_disk_and_as_upload(con, tmp_path):
    data = gzip.compress(b"order,date,customer,amount\n1,2024-01-01,c,1.00\n2,2024-01-02,c,2.00\n")
    p = tmp_path / "o.csv.gz"
    p.write_bytes(data)
    assert load_orders(con, [p]).revenue == pytest.approx(3.0)
    assert load_orders(con, [("upload.csv.gz", data)]).revenue == pytest.approx(3.0)


def test_xlsx_upload(con):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Order", "Date", "Email", "Zip", "Total"])
    ws.append([1, datetime(2024, 6, 1, 9, 30), "a@x.com", "00184", 19.9])
    ws.append([2, datetime(2024, 6, 2), "b@x.com", "20121", 5])
    buf = io.BytesIO()
    wb.save(buf)
    r = load_orders(con, [("orders.xlsx", buf.getvalue())])
    assert (r.rows_kept, r.revenue) == (2, pytest.approx(24.9))
    assert kept(con, "order_date, zip") == [(datetime(2024, 6, 1, 9, 30), "00184"), (datetime(2024, 6, 2), "20121")]


def test_unit_price_times_quantity_when_no_line_total(con, tmp_path):
    p = write(
        tmp_path,
        "u.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        "536365,85123A,HEART,6,12/1/2010 8:26,2.55,17850\n536365,71053,LANTERN,3,12/1/2010 8:26,3.39,17850\n",
    )
    r = load_orders(con, [p])
    assert [row[2] for row in kept(con)] == [Decimal("15.30"), Decimal("10.17")]
    assert (r.orders, r.customers, r.revenue) == (1, 1, pytest.approx(25.47))


def test_postcode_with_leading_zeros_after_many_rows(con, tmp_path):
    lines = ["order,date,customer,zip,amount"] + [f"{i},2024-01-01,c{i},{20000 + i},1" for i in range(30000)]
    lines.append("99999,2024-01-01,cz,00184,1")
    p = write(tmp_path, "z.csv", "\n".join(lines) + "\n")
    load_orders(con, [p])
    assert con.execute("SELECT zip FROM orders WHERE order_id = '99999'").fetchone() == ("00184",)


def test_duplicates_across_overlapping_exports_count_once(con, tmp_path):
    a = write(tmp_path, "jan.csv", "order,date,email,amount\n1,2024-01-01,a@x.com,10\n2,2024-01-02,b@x.com,20\n")
    b = write(tmp_path, "jan_feb.csv", "order,date,email,amount\n2,2024-01-02,b@x.com,20\n3,2024-02-01,a@x.com,30\n")
    r = load_orders(con, [a, b])
    assert (r.rows_in, r.rows_kept, r.orders, r.revenue) == (4, 3, 3, pytest.approx(60.0))
    assert r.dropped == {"duplicate": 1} and r.revenue_dropped == {"duplicate": 20.0}
    assert con.execute("SELECT source_file, source_row FROM rejected_rows").fetchall() == [("jan_feb.csv", 2)]


def test_rows_without_order_id_are_never_duplicates(con, tmp_path):
    p = write(tmp_path, "n.csv", "date,email,amount\n2024-01-01,a@x.com,10\n2024-01-01,a@x.com,10\n")
    r = load_orders(con, [p])
    assert (r.rows_kept, r.orders, r.synthesised_order_ids) == (2, 2, 2)
    assert [row[0] for row in kept(con)] == ["~n.csv:2", "~n.csv:3"]


def test_identity_falls_back_to_email_then_phone(con, tmp_path):
    p = write(
        tmp_path,
        "id.csv",
        "order,date,customer id,email,phone,amount\n"
        "1,2024-01-01,C1,a@x.com,,1\n2,2024-01-02,, A@X.com ,,1\n3,2024-01-03,,,+39 333 111,1\n4,2024-01-04,,,,1\n",
    )
    r = load_orders(con, [p])
    assert kept(con, "order_id, customer_id") == [("1", "C1"), ("2", "C1"), ("3", "+39333111")]
    assert r.dropped == {"missing customer identity": 1}


def test_bad_dates_and_amounts_are_rejected_with_reasons(con, tmp_path):
    p = write(
        tmp_path,
        "b.csv",
        "order,date,customer,amount\n1,,c,1\n2,yesterday,c,1\n3,2024-01-01,c,\n4,2024-01-01,c,abc\n5,2024-01-01,c,0\n",
    )
    r = load_orders(con, [p])
    assert r.dropped == {"missing date": 1, "unparseable date": 1, "missing amount": 1, "unparseable amount": 1}
    assert (r.rows_kept, r.orders, r.zero_value_orders) == (1, 1, 1)


def test_headerless_cdnow_with_positional_map(con):
    r = load_orders(con, [CDNOW], mapping={"customer_id": "2", "order_date": "3", "revenue": "5", "quantity": "4"})
    assert (r.rows_in, r.rows_kept, r.customers) == (6919, 6919, 2357)
    assert (r.date_min, r.date_max) == ("1997-01-01", "1998-06-30")
    assert r.revenue == pytest.approx(244091.94, abs=0.01)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02binary\x00" * 50, "not a text export"),
        (b"a,b\nx,y\n", "no column with the order date"),
        (b"order,date\n1,2024-01-01\n", "no column with the order amount"),
    ],
)
def test_bad_input_raises_one_sentence(con, content, message):
    with pytest.raises(UserInputError, match=message):
        load_orders(con, [("bad.csv", content)])


def test_unknown_map_column_and_field(con, tmp_path):
    p = write(tmp_path, "o.csv", "order,date,customer,amount\n1,2024-01-01,c,1\n")
    with pytest.raises(UserInputError, match="has no such column"):
        load_orders(con, [p], mapping={"revenue": "Totale"})
    with pytest.raises(UserInputError, match="unknown field"):
        load_orders(con, [p], mapping={"price": "amount"})


def test_mapping_round_trip(con, tmp_path):
    path = tmp_path / "m.json"
    save_mapping({"order_date": "Quando", "revenue": "Quanto"}, path)
    assert json.loads(path.read_text())["mapping"]["revenue"] == "Quanto"
    mapping = load_mapping(path)
    p = write(tmp_path, "o.csv", "Quando,Quanto,Chi\n2024-01-01,3,c\n")
    r = load_orders(con, [p], mapping={**mapping, "customer_id": "Chi"})
    assert (r.rows_kept, r.revenue) == (1, 3.0)


def test_progress_is_reported(con, tmp_path):
    p = write(tmp_path, "o.csv", "order,date,customer,amount\n1,2024-01-01,c,1\n")
    seen = []
    load_orders(con, [p], progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_map_column_missing_from_every_file(con, tmp_path):
    a = write(tmp_path, "a.csv", "order,date,customer,amount\n1,2024-01-01,c,1\n")
    b = write(tmp_path, "b.csv", "order,date,customer,amount,Totale\n2,2024-01-01,c,1,2\n")
    with pytest.raises(UserInputError, match="none of the files"):
        load_orders(con, [a, a], mapping={"revenue": "Totale"})
    r = load_orders(con, [a, b], mapping={"revenue": "Totale"})
    assert r.rows_in == 2


@pytest.mark.parametrize("as_upload", [False, True])
def test_windows_character_after_the_sample_is_still_read(con, tmp_path, as_upload):
    # the first MiB is plain ASCII (read by DuckDB directly; an upload is copied as it is); a
    # cp1252 euro sign comes later
    lines = ["order,date,customer,note,amount"] + [f"{i},2024-01-01,c{i % 7},ok,1.00" for i in range(40000)]
    body = ("\n".join(lines) + "\n").encode("ascii") + "40000,2024-01-02,c1,5 \u20ac off,2.00\n".encode("cp1252")
    p = tmp_path / "late.csv"
    p.write_bytes(body)
    assert len(body) > 1 << 20
    r = load_orders(con, [("late.csv", body)] if as_upload else [p])
    assert (r.rows_kept, r.revenue) == (40001, pytest.approx(40002.0))
    assert r.files[0]["converted_from"] == "cp1252"


def test_bad_amount_and_date_after_the_sample_fall_back_to_text_reading():
    # 6,000 clean rows (the sample of 5,000 lets the CSV reader parse dates and amounts itself),
    # then row 5,502 has "€ 12.50" and row 5,802 "n/a" as date: the typed read fails, the file
    # is read again as text, and the ledger is exact: 5,999 kept, 1 unparseable date.
    lines = ["order,date,email,amount"]
    for i in range(6000):
        amount = "€ 12.50" if i == 5500 else "10.00"
        date = "n/a" if i == 5800 else "2024-01-05"
        lines.append(f"{i},{date},c{i % 7}@x.com,{amount}")
    con = connect()
    r = load_orders(con, [("late_mess.csv", ("\n".join(lines) + "\n").encode())])
    assert (r.rows_in, r.rows_kept, r.dropped) == (6000, 5999, {"unparseable date": 1})
    # 5,998 x 10.00 + 12.50 (the currency sign removed by the text reader)
    assert r.revenue == pytest.approx(5998 * 10 + 12.50)
    assert con.execute("SELECT source_row FROM rejected_rows").fetchall() == [(5802,)]


def test_a_customer_column_of_peoples_names_is_a_name_not_an_identity(con, tmp_path):
    # Two different people called Mario Rossi, told apart by their e-mails; the names are split.
    p = write(
        tmp_path,
        "ordini.csv",
        "Numero ordine;Data ordine;Cliente;Email;Totale\n"
        "1;05/01/2024;Mario Rossi;mario.rossi@example.it;10,00\n"
        "2;06/01/2024;Mario Rossi;m.rossi@example.com;20,00\n"
        "3;07/01/2024;Anna De Luca;anna@example.it;30,00\n"
        "4;08/01/2024;Mario Rossi;Mario.Rossi@example.it ;40,00\n",
    )
    report = load_orders(con, [p]).to_dict()
    assert "customer_id" not in report["mapping"] and report["mapping"]["full_name"] == "Cliente"
    assert report["customers"] == 3 and report["orders"] == 4
    rows = con.execute("SELECT DISTINCT customer_id, first_name, last_name FROM orders ORDER BY 1").fetchall()
    assert rows == [
        ("anna@example.it", "Anna", "De Luca"),
        ("m.rossi@example.com", "Mario", "Rossi"),
        ("mario.rossi@example.it", "Mario", "Rossi"),
    ]


def test_a_customer_column_of_codes_stays_the_identity(con, tmp_path):
    p = write(
        tmp_path,
        "ordini.csv",
        "Numero ordine;Data ordine;Cliente;Email;Totale\n"
        "1;05/01/2024;C001;a@example.it;10,00\n"
        "2;06/01/2024;C001;b@example.it;20,00\n",
    )
    report = load_orders(con, [p]).to_dict()
    assert report["mapping"]["customer_id"] == "Cliente" and report["customers"] == 1


def test_every_note_of_a_messy_load_reads_in_italian(con, tmp_path):
    # guessed columns, a row without order number, a zero-value order, two currencies, a rejected row
    p = write(
        tmp_path,
        "misto.csv",
        "Numero ordine;Data;Cliente;Totale;Valuta\n"
        "1;05/01/24;a@x.it;10,00;EUR\n;06/01/24;b@x.it;0,00;USD\n3;07/01/24;;5,00;EUR\n",
    )
    from retention.i18n import note_text

    r = load_orders(con, [p])
    codes = {n["code"] for n in r.notes}
    assert {"rows_left_out", "no_order_number", "zero_value_orders", "several_currencies", "revenue_basis"} <= codes
    assert len(r.notes) == len(r.warnings)
    for note in r.notes:
        text = note_text(note, "it")
        assert not any(k in text for k in ("note.", "reason_why.", "basis.", "{")), text
        assert note_text(note, "en") != text


@pytest.mark.parametrize(
    "files",
    [
        ["data/demo_orders.csv"],  # Shopify line items: cancelled orders, no duplicate check
        ["tests/fixtures/ingest/woocommerce_orders.csv", "tests/fixtures/ingest/woocommerce_orders.csv"],  # repeats
    ],
)
def test_loading_only_some_fields_keeps_and_rejects_the_same_rows(files):
    root = Path(__file__).resolve().parents[2]
    paths = [str(root / f) for f in files]
    full_con, narrow_con = connect(), connect()
    full = load_orders(full_con, paths)
    narrow = load_orders(narrow_con, paths, fields=())
    assert narrow.to_dict() == full.to_dict()
    assert full.dropped.get("duplicate") if len(files) > 1 else full.dropped.get("cancelled or failed")
    query = "SELECT order_id, customer_id, order_date, revenue, source_file, source_row FROM orders ORDER BY ALL"
    assert narrow_con.execute(query).fetchall() == full_con.execute(query).fetchall()
    rejected = "SELECT source_file, source_row, reason, raw_row FROM rejected_rows ORDER BY ALL"
    assert narrow_con.execute(rejected).fetchall() == full_con.execute(rejected).fetchall()
    # fields left out read as NULL
    assert narrow_con.execute("SELECT count(country), count(product_name) FROM orders").fetchone() == (0, 0)
    assert full_con.execute("SELECT count(country) FROM orders").fetchone()[0] > 0


def test_loading_only_some_fields_still_joins_guest_orders_to_accounts(tmp_path):
    # order 2 is a guest order (no customer id) by the account holder of order 1: it joins account 7
    p = write(
        tmp_path, "guests.csv", "order,date,customer,email,amount\n1,2024-01-05,7,a@x.it,10\n2,2024-02-05,,a@x.it,20\n"
    )
    full_con, narrow_con = connect(), connect()
    full, narrow = load_orders(full_con, [p]), load_orders(narrow_con, [p], fields=())
    assert narrow.guests_joined == full.guests_joined == 1
    query = "SELECT order_id, customer_id FROM orders ORDER BY order_id"
    assert narrow_con.execute(query).fetchall() == full_con.execute(query).fetchall() == [("1", "7"), ("2", "7")]


def test_a_line_longer_than_the_sample_reader_takes_is_still_read(con, tmp_path):
    # the sample of the first rows is read with a small buffer; a 1.5 MB product name does not fit
    # it, so the sample falls back to the reader of the whole file
    long_name = "x" * 1_500_000
    p = write(
        tmp_path,
        "long.csv",
        "order_id,order_date,customer_id,product,total\n"
        f"A1,31/12/2024,c1,{long_name},10.50\n"
        "A2,05/01/2025,c2,pen,2.00\n",
    )
    report = load_orders(con, [p])
    assert (report.rows_kept, report.revenue) == (2, 12.5)
    assert kept(con, "order_id, order_date, length(product_name)") == [
        ("A1", datetime(2024, 12, 31), 1_500_000),
        ("A2", datetime(2025, 1, 5), 3),
    ]


def test_cdnow_with_its_header_finds_the_customer_in_the_id_column(con, tmp_path):
    # pymc-marketing's CDNOW file: `_id` (master id) and `id` (sample id) both number the customer;
    # neither header names a customer, but their values come back on rows of other dates
    rows = [ln.split() for ln in CDNOW.read_text().splitlines()]
    text = "_id,id,date,cds_bought,spent\n" + "".join(",".join(r) + "\n" for r in rows)
    r = load_orders(con, [write(tmp_path, "cdnow_sample_transactions.csv", text)])
    assert r.mapping["customer_id"] == "_id" and "customer_id" in r.guessed
    assert (r.rows_in, r.rows_kept, r.customers) == (6919, 6919, 2357)
    assert r.revenue == pytest.approx(244091.94, abs=0.01)
    assert any("'_id' come back on rows of other dates" in w for w in r.warnings)


def test_an_id_that_repeats_only_within_one_order_is_not_taken_for_a_customer(con, tmp_path):
    # order lines: `id` is the order number, repeated on its lines with one date; no identity at all
    text = "id,date,product,total\n" + "".join(
        f"{o},2024-01-{o:02d} 10:00,item{k},5.00\n" for o in range(1, 6) for k in range(2)
    )
    r = load_orders(con, [write(tmp_path, "lines.csv", text)])
    assert "customer_id" not in r.mapping
    assert (r.rows_kept, r.dropped) == (0, {"missing customer identity": 10})


def test_an_order_split_by_the_end_of_one_overlapping_export_counts_once(con, tmp_path):
    """jan.csv ends after two of the three lines of #1006; jan_feb.csv starts at #1004 and has all of
    #1006. jan.csv's copy shares the order's net value over two lines, so its lines differ from
    jan_feb.csv's: the order is a duplicate as a whole, and the copy with more lines is kept."""
    src = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "shopify_orders.csv"
    header, *lines = src.read_text(encoding="utf-8").splitlines()
    whole = load_orders(con, [src])
    jan = write(tmp_path, "jan.csv", "\n".join([header, *lines[:-1]]) + "\n")
    jan_feb = write(tmp_path, "jan_feb.csv", "\n".join([header, *lines[5:]]) + "\n")
    r = load_orders(con, [jan, jan_feb])
    assert (r.rows_kept, r.orders, r.customers) == (whole.rows_kept, whole.orders, whole.customers)
    assert r.revenue == pytest.approx(whole.revenue)
    # #1004 (1 line) and #1005 (2 lines) are whole in both: jan.csv, the earlier file, keeps them;
    # #1006 is kept from jan_feb.csv, which has its 3 lines against jan.csv's 2.
    assert r.dropped["duplicate"] == 5
    assert con.execute(
        "SELECT source_file, source_row, order_id FROM rejected_rows WHERE reason = 'duplicate'"
    ).fetchall() == [
        ("jan.csv", 10, "#1006"),
        ("jan.csv", 11, "#1006"),
        ("jan_feb.csv", 2, "#1004"),
        ("jan_feb.csv", 3, "#1005"),
        ("jan_feb.csv", 4, "#1005"),
    ]
