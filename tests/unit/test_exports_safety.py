"""Spreadsheet safety: every dangerous cell prefix neutralised in every text format; identifiers
validated instead of escaped; hashed formats never carry raw PII."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from retention.exports import DANGEROUS_PREFIXES, HASHED_FORMATS, TEXT_FORMATS, normalise_emails, render

E164 = re.compile(r"\+[1-9]\d{6,14}")


def hostile(prefix: str) -> pd.DataFrame:
    payload = prefix + "cmd|' /C calc'!A0"
    return pd.DataFrame(
        {
            "customer_id": [prefix + "id1", "id2"],
            "email": ["mario@example.it", prefix + "evil@example.it"],
            "phone": ["+39 06 1234 5678", prefix + "1+2"],
            "first_name": [payload, "Anna"],
            "last_name": ["Rossi", payload],
            "city": [payload, "Roma"],
            "zip": ["00184", prefix + "1"],
            "country": ["IT", "IT"],
            "lifecycle_segment": [payload, "loyal"],
            "segment": [payload, "loyal"],
            "next_best_product": [payload, "Caffè"],
            "note": [payload, "x" + payload],
            "predicted_clv": [10.0, -3.5],  # a negative number is a number, not text
        }
    )


def cells(fmt: str, data: bytes) -> list[tuple[str, str]]:
    """(header, value) of every data cell, as a spreadsheet would read it."""
    if fmt == "xlsx":
        ws = load_workbook(io.BytesIO(data)).active
        rows = list(ws.iter_rows())
        header = [c.value for c in rows[0]]
        out = []
        for row in rows[1:]:
            for h, c in zip(header, row, strict=True):
                assert c.data_type != "f", f"formula cell in {h}"
                if isinstance(c.value, str):
                    out.append((h, c.value))
        return out
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    return [(h, v) for row in rows[1:] for h, v in zip(rows[0], row, strict=True)]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("prefix", DANGEROUS_PREFIXES, ids=repr)
def test_every_dangerous_prefix_is_neutralised(fmt: str, prefix: str):
    result = render(hostile(prefix), fmt)
    found = cells(fmt, result.data)
    assert found
    for header, value in found:
        if value.startswith(DANGEROUS_PREFIXES):
            # the only cells allowed to start with '+' or '-' are validated phones and plain numbers
            assert E164.fullmatch(value) or re.fullmatch(r"-?\d+(\.\d+)?", value), (header, value)
    texts = [v for _h, v in found]
    kept = "\n" if prefix == "\r" else prefix  # a carriage return inside a cell is written as a line feed
    assert "'" + kept + "cmd|' /C calc'!A0" in texts  # neutralised, not deleted


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_identifiers_are_validated_not_escaped(fmt: str):
    result = render(hostile("="), fmt)
    texts = [v for _h, v in cells(fmt, result.data)]
    assert "+390612345678" in texts  # a phone stays a phone, normalised to E.164
    assert "'+390612345678" not in texts
    # '=evil@example.it' is a valid address (RFC 5322 allows '=' in the local part): kept, neutralised
    assert "'=evil@example.it" in texts and "=evil@example.it" not in texts
    assert "email" not in result.dropped and result.dropped["phone"] == 1 and result.dropped["zip"] == 1


@pytest.mark.parametrize("fmt", HASHED_FORMATS)
def test_hashed_formats_carry_no_raw_pii(fmt: str):
    frame = hostile("=")
    text = render(frame, fmt).data.decode("utf-8")
    for raw in ("mario", "Mario", "Rossi", "rossi", "Roma", "roma", "Anna", "1234", "example", "cmd", "Caff"):
        assert raw not in text, raw
    header, *rows = list(csv.reader(io.StringIO(text)))
    hashed_cols = [i for i, h in enumerate(header) if h not in ("value", "Country", "Zip")]
    for row in rows:
        for i in hashed_cols:
            assert row[i] == "" or re.fullmatch(r"[0-9a-f]{64}", row[i])


def test_csv_is_utf8_and_keeps_leading_zeros():
    data = render(hostile("="), "csv").data
    text = data.decode("utf-8")
    assert "Caffè" in text and ",00184," in text


def test_email_validation_rules():
    emails, invalid = normalise_emails(pd.Series([" A.B@Example.COM ", "a@b", "=x@y.com", None, "", "nome@città.it"]))
    assert emails.tolist()[0] == "a.b@example.com"
    assert emails.isna().tolist() == [False, True, False, True, True, False]  # "=x@y.com" is RFC-valid
    assert invalid == 1


@pytest.mark.parametrize("fmt", ["csv", "klaviyo", "mailchimp", "brevo"])
def test_commas_quotes_and_newlines_round_trip(fmt: str):
    frame = hostile("=").assign(first_name=['Rossi, "Jr"', "Anna\nMaria"], email=["a@example.it", "b@example.it"])
    header, *rows = list(csv.reader(io.StringIO(render(frame, fmt).data.decode("utf-8"))))
    col = header.index({"csv": "first_name", "klaviyo": "First Name", "mailchimp": "First Name",
                        "brevo": "FIRSTNAME"}[fmt])
    assert [r[col] for r in rows] == ['Rossi, "Jr"', "Anna\nMaria"]
    assert all(len(r) == len(header) for r in rows)


def test_rfc_5322_local_parts_are_valid():
    valid = [
        "-minus@example.it",  # a local part may start with '-'
        "+tag@example.it",
        "o'brien@example.ie",
        "a.b.c@example.com",
        "_under@example.com",
        "x!#$%&'*+/=?^_`{|}~-y@example.com",  # every special character of atext
        "user+promo@sub.example.co.uk",
        "mario@città.it",
    ]
    emails, invalid = normalise_emails(pd.Series(valid))
    assert emails.tolist() == valid and invalid == 0


def test_broken_addresses_stay_invalid():
    broken = [
        "mario rossi@example.it",  # a space
        "a@b@example.it",  # two @
        "mario@example",  # a domain without a dot
        ".mario@example.it",  # a dot first
        "mario.@example.it",  # a dot last
        "ma..rio@example.it",  # a doubled dot
        "@example.it",  # no local part
        "mario@",  # no domain
        "mario@-example.it",  # a domain label starting with '-'
        'ma"rio@example.it',  # a quote (the quoted-string form is not accepted)
        "ma,rio@example.it",
    ]
    emails, invalid = normalise_emails(pd.Series(broken))
    assert emails.isna().all() and invalid == len(broken)


@pytest.mark.parametrize("fmt", ["csv", "klaviyo", "mailchimp", "brevo"])
def test_an_email_starting_with_minus_is_written_neutralised_in_text_files(fmt: str):
    frame = pd.DataFrame({"customer_id": ["c1", "c2"], "email": ["-Minus@Example.it", "anna@example.it"]})
    result = render(frame, fmt)
    assert "email" not in result.dropped  # valid, not left empty
    lines = result.data.decode("utf-8").split("\n")
    col = lines[0].split(",").index({"csv": "email", "brevo": "EMAIL"}.get(fmt, "Email Address"))
    # exact bytes: the OWASP apostrophe, no quoting (the cell holds no comma or quote), lowercased
    assert lines[1].split(",")[col] == "'-minus@example.it"
    assert lines[2].split(",")[col] == "anna@example.it"  # an ordinary address is untouched
    if fmt == "csv":
        assert result.data.startswith(b"customer_id,email\nc1,'-minus@example.it\nc2,anna@example.it\n")


def test_an_email_starting_with_minus_in_xlsx_is_text_not_a_formula():
    frame = pd.DataFrame({"customer_id": ["c1"], "email": ["-minus@example.it"]})
    found = cells("xlsx", render(frame, "xlsx").data)  # asserts no formula cell
    assert ("email", "'-minus@example.it") in found


@pytest.mark.parametrize("fmt", HASHED_FORMATS)
def test_hashed_formats_hash_the_address_itself_not_the_neutralised_cell(fmt: str):
    import hashlib

    frame = pd.DataFrame({"customer_id": ["c1"], "email": ["-minus@example.it"]})
    text = render(frame, fmt).data.decode("utf-8")
    assert hashlib.sha256(b"-minus@example.it").hexdigest() in text
