"""Each export format against output worked out by hand from the platform's published rules.

The expected hashes are SHA-256 of normalised literals written here by hand, so a reader can
check each one against the rule quoted in `retention/exports.py`.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from retention.audiences import build_audience, to_bytes, zip_all_segments
from retention.exports import FORMATS, render


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "orders": [3, 1, 2],
            "first_order": pd.to_datetime(["2023-01-10", "2024-02-01", "2023-06-05"]),
            "last_order": pd.to_datetime(["2024-03-01", "2024-02-01", "2024-01-20"]),
            "predicted_clv": [123.456, -5.0, 40.0],
            "email": [" Mario.Rossi@Example.IT ", "emilie.dangelo@gmail.com", "not-an-email"],
            "phone": ["06 1234 5678", "+33 6 12 34 56 78", "333 123 4567"],
            "first_name": ["Mario", "Émilie", "Luca"],
            "last_name": ["Rossi", "D'Angelo", "De  Luca"],
            "country": ["IT", "FR", "IT"],
            "city": ["Roma", "Saint-Étienne", "Milano"],
            "zip": ["00184", "42000", "20121"],
            "accepts_marketing": [True, True, True],
            "lifecycle_segment": ["loyal", "new", "loyal"],
        }
    )


def read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")


def test_meta_hashes_follow_metas_normalisation():
    out = read(to_bytes(customers(), "meta"))
    assert list(out.columns) == ["email", "phone", "fn", "ln", "ct", "st", "zip", "country", "value"]
    assert out.iloc[0].tolist() == [
        sha("mario.rossi@example.it"),
        sha("390612345678"),  # Rome landline 06 1234 5678 with Italy's country code, digits only
        sha("mario"),
        sha("rossi"),
        sha("roma"),
        "",
        sha("00184"),
        sha("it"),
        "123.46",
    ]
    emilie = out.iloc[1]
    assert emilie["phone"] == sha("33612345678")
    assert (emilie["fn"], emilie["ln"], emilie["ct"]) == (sha("emilie"), sha("dangelo"), sha("saintetienne"))
    assert emilie["value"] == "0.0"  # a negative prediction is no value, never a negative one
    luca = out.iloc[2]
    assert luca["email"] == ""  # invalid email left empty, the row kept for its phone
    assert (luca["phone"], luca["ln"]) == (sha("393331234567"), sha("deluca"))


def test_meta_warns_under_100_rows():
    result = render(customers(), "meta")
    assert any("at least 100" in w for w in result.warnings)
    assert any("1 email" in w for w in result.warnings)


def test_google_customer_match_exact_headers_and_hashing():
    out = read(to_bytes(customers(), "google"))
    assert list(out.columns) == ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
    assert out.iloc[0].tolist() == [
        sha("mario.rossi@example.it"),
        sha("+390612345678"),  # E.164 before hashing
        sha("mario"),
        sha("rossi"),
        "IT",
        "00184",  # Country and Zip are not hashed; the postcode keeps its leading zeros
    ]
    # gmail.com: the dots before @ go; names keep accents and apostrophes, lowercased
    assert out.loc[1, "Email"] == sha("emiliedangelo@gmail.com")
    assert out.loc[1, "First Name"] == sha("émilie")
    assert out.loc[1, "Last Name"] == sha("d'angelo")
    assert out.loc[2, "Last Name"] == sha("de luca")  # extra inner spaces removed


def test_tiktok_hashed_email_and_e164_phone():
    out = read(to_bytes(customers(), "tiktok"))
    assert list(out.columns) == ["Email_SHA256", "Phone_SHA256"]
    assert out.iloc[0].tolist() == [sha("mario.rossi@example.it"), sha("+390612345678")]
    assert out.iloc[2].tolist() == ["", sha("+393331234567")]


def test_klaviyo_email_first_properties_and_dates():
    aud = build_audience(customers(), by="lifecycle", segments=["loyal"], channel="email")
    out = read(to_bytes(aud, "klaviyo"))
    assert out.columns[0] == "Email Address"
    row = out.iloc[0]
    assert row["Email Address"] == "mario.rossi@example.it"
    assert row["Phone Number"] == "+390612345678"
    assert (row["First Name"], row["Zip Code"], row["Country"]) == ("Mario", "00184", "IT")
    assert row["Segment"] == "loyal"
    assert row["Lifecycle Segment"] == "loyal"
    assert row["Predicted CLV"] == "123.456"
    assert row["Last Order Date"] == "2024-03-01"
    assert len(out) == 2  # c3 kept for its phone, with an empty email
    assert out.iloc[1]["Email Address"] == ""


def test_mailchimp_needs_email_and_writes_tags():
    result = render(build_audience(customers(), by="lifecycle", segments=None).members, "mailchimp")
    out = read(result.data)
    assert list(out.columns[:8]) == [
        "Email Address", "First Name", "Last Name", "Phone Number", "City", "Country", "Zip", "Tags"
    ]
    assert out["Email Address"].tolist() == ["mario.rossi@example.it", "emilie.dangelo@gmail.com"]
    assert out["Tags"].tolist() == ["loyal,lifecycle: loyal", "new,lifecycle: new"]
    assert result.rows_without_identifier == 1  # c3 has no valid email


def test_brevo_attribute_headers():
    out = read(to_bytes(customers(), "brevo"))
    assert list(out.columns[:7]) == ["EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "CITY", "COUNTRY", "ZIP"]
    assert out.iloc[0][["EMAIL", "SMS", "ZIP"]].tolist() == ["mario.rossi@example.it", "+390612345678", "00184"]
    assert out.iloc[1]["CITY"] == "Saint-Étienne"
    assert "PREDICTED_CLV" in out.columns


def test_plain_csv_has_every_field_and_holdout_flag():
    aud = build_audience(customers(), by="lifecycle", segments=None, holdout=0.0)
    out = read(to_bytes(aud, "csv"))
    assert set(customers().columns) <= set(out.columns)
    assert {"segment", "holdout"} <= set(out.columns)
    assert out.loc[0, "email"] == "mario.rossi@example.it"
    assert out.loc[0, "phone"] == "+390612345678"
    assert out.loc[0, "zip"] == "00184"
    assert out.loc[2, "email"] == ""
    assert out["holdout"].tolist() == ["false"] * 3


def test_xlsx_keeps_text_and_numbers():
    data = to_bytes(customers(), "xlsx")
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    first = dict(zip(header, rows[1], strict=True))
    assert first["zip"] == "00184"
    assert first["orders"] == 3
    assert first["predicted_clv"] == pytest.approx(123.456)
    assert first["phone"] == "+390612345678"


def test_xlsx_reads_the_same_in_an_independent_reader():
    """The workbook's XML is written by hand: calamine (Rust, the reader behind pandas'
    engine="calamine") must read the same cells as openpyxl, so it is not one parser's leniency."""
    from python_calamine import CalamineWorkbook

    data = to_bytes(customers(), "xlsx")
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    opened = [list(r) for r in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True)]
    assert len(calamine) == len(opened) == 4
    assert calamine[0] == opened[0]
    first = dict(zip(calamine[0], calamine[1], strict=True))
    assert first["zip"] == "00184" and first["phone"] == "+390612345678"
    assert first["orders"] == 3 and first["predicted_clv"] == pytest.approx(123.456)
    for mine, theirs in zip(calamine[1:], opened[1:], strict=True):
        assert [("" if v is None else v) for v in theirs] == [("" if v is None else v) for v in mine]


def test_upload_formats_leave_the_holdout_out():
    frame = customers().assign(holdout=[False, True, False])
    assert len(read(to_bytes(frame, "tiktok"))) == 2
    assert len(read(to_bytes(frame, "csv"))) == 3


def test_every_format_is_registered_with_label_extension_mime():
    assert set(FORMATS) == {"csv", "xlsx", "klaviyo", "mailchimp", "brevo", "meta", "google", "tiktok"}
    for f in FORMATS.values():
        assert f.label and f.extension in ("csv", "xlsx") and "/" in f.mime


def test_zip_holds_one_file_per_segment_and_a_summary():
    data = zip_all_segments(customers(), by="lifecycle", fmt="klaviyo", holdout=0.5, seed=1)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        summary = read(zf.read("summary.csv"))
    assert {"lifecycle_loyal.csv", "lifecycle_new.csv", "summary.csv", "lifecycle_loyal_holdout.csv"} <= names
    # loyal: 2 members, holdout round(0.5 * 2) = 1; new: 1 member, round(0.5) = 1 (half rounds up)
    assert summary.set_index("segment")["holdout"].to_dict() == {"loyal": "1", "new": "1"}
    assert summary.set_index("segment")["rows"].to_dict() == {"loyal": "1", "new": "0"}


def test_audience_written_in_several_formats_validates_once_and_drops_holdout():
    aud = build_audience(customers(), by="lifecycle", segments=None, holdout=0.5, seed=0)
    assert aud.holdout_size == 2  # loyal: round(1.0) = 1, new: round(0.5) = 1
    meta = read(to_bytes(aud, "meta"))
    assert len(meta) == 1
    kept = aud.treatment["customer_id"].iloc[0]
    expected = {"c1": sha("mario.rossi@example.it"), "c2": sha("emilie.dangelo@gmail.com"), "c3": ""}[kept]
    assert meta.loc[0, "email"] == expected
    assert len(read(to_bytes(aud, "csv"))) == 3
    assert len(aud._contacts) == 1


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_columns_entirely_missing_are_written_empty(fmt: str):
    frame = customers().assign(first_name=None, last_name=None, city=None, predicted_clv=float("nan"))
    assert render(frame, fmt).rows == (2 if fmt == "mailchimp" else 3)  # Mailchimp needs the email c3 lacks


def test_phones_use_the_customers_country_then_the_shop_default():
    from retention.exports import normalise_phones

    phones, invalid = normalise_phones(
        pd.Series(["06 1234 5678", "06 12 34 56 78", "06 1234 5678", None, "abc", "0039 333 123 4567", "333 1234567"]),
        pd.Series(["IT", "FR", "it", "IT", "IT", None, "XX"]),
    )
    assert phones.tolist()[:3] == ["+390612345678", "+33612345678", "+390612345678"]
    assert phones.isna().tolist()[3:5] == [True, True]
    assert phones.tolist()[5:] == ["+393331234567", "+393331234567"]  # no/unknown country: the shop's (IT)
    assert invalid == 1
    gb, _ = normalise_phones(pd.Series(["020 7183 8750"]), None, default_region="GB")
    assert gb.tolist() == ["+442071838750"]
