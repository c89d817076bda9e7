"""The customer acquisition cost as an Italian marketer types it, and the marketing spend per month
as a file, on the Overview (and the CAC box of Customer value). Expected numbers come from the
library run directly on the demo shop: the historical CLV from `compute_kpis` without a CAC, the new
customers of a month from the cohort table (another code path than the one behind the page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from retention.cohorts import cohort_table
from retention.db import connect
from retention.i18n import format_money, format_number, t
from retention.ingest import load_orders
from retention.kpis import compute_kpis

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard.py")
DEMO = ROOT / "data" / "demo_orders.csv"


@pytest.fixture(scope="module")
def demo():
    con = connect()
    load_orders(con, [str(DEMO)])
    kpis = compute_kpis(con, period="month")
    cohorts = cohort_table(con, period="month")
    new_customers = {r.cohort: int(r.cohort_size) for r in cohorts[cohorts["period"] == 0].itertuples()}
    return {"clv": kpis["revenue"] / kpis["customers"], "new_customers": new_customers}


def _overview_in(lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return values[0]


def _clv_cac(at: AppTest) -> str:
    """The CLV:CAC card's value ("4,6 : 1"), its label in the page's language."""
    return _metric(at, t("kpi.clv_cac", at.session_state["lang"]))


def test_a_cac_typed_with_a_decimal_comma_gives_clv_over_25_50_and_survives_a_page_switch(demo):
    at = _overview_in("it")
    at.text_input(key="ov_cac__it").input("25,50").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # e.g. CLV 118.34 / 25.50 = 4.64 -> "4,6 : 1"
    assert _clv_cac(at) == format_number(demo["clv"] / 25.5, "it", 1) + " : 1"
    at.switch_page("pages/cohorts.py").run()
    at.switch_page("pages/overview.py").run()
    assert at.text_input(key="ov_cac__it").value == "25,50"
    assert _clv_cac(at) == format_number(demo["clv"] / 25.5, "it", 1) + " : 1"
    # an Italian "1.250" is 1,250; switching to English rewrites it so, not as 1.25
    at.text_input(key="ov_cac__it").input("1.250").run()
    at.session_state["lang"] = "en"
    at.run()
    assert at.text_input(key="ov_cac__en").value == "1,250"
    assert _clv_cac(at) == format_number(demo["clv"] / 1250, "en", 1) + " : 1"


def test_a_cac_that_is_not_an_amount_is_said_in_the_page_language_and_the_page_still_draws():
    at = _overview_in("it")
    at.text_input(key="ov_cac__it").input("venti").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "'venti' non è un importo: scrivi il costo di acquisizione come numero, per esempio 25,50 o 30 €, "
        "oppure lascia vuoto."
    ]
    assert _clv_cac(at) == "–"
    at.switch_page("pages/customer_value.py").run()
    at.text_input(key="cv_cac__it").input("-5").run()
    assert not at.exception
    assert any("maggiore di 0" in e.value for e in at.error)


SPEND_IT = "Mese;Spesa (€)\n01/2024;€ 1.234,56\n2024-02;2.000\n31/03/2024;950,5\n".encode("cp1252")


def test_a_spend_file_gives_a_cac_per_acquisition_month_in_the_table(demo):
    at = _overview_in("it")
    at.get("file_uploader")[0].upload("spesa.csv", SPEND_IT, "text/csv").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "Mese di acquisizione", "Spesa marketing", "Nuovi clienti", "CAC", "CLV", "CLV:CAC"
    ]
    assert list(table["Mese di acquisizione"]) == ["01/2024", "02/2024", "03/2024"]
    new = [demo["new_customers"][m] for m in ("2024-01-01", "2024-02-01", "2024-03-01")]  # 95 in January
    assert list(table["Nuovi clienti"]) == [format_number(n, "it") for n in new]
    assert list(table["Spesa marketing"]) == ["1.234,56 €", "2.000,00 €", "950,50 €"]
    assert list(table["CAC"]) == [
        format_money(spend / n, "it", "EUR") for spend, n in zip((1234.56, 2000.0, 950.5), new, strict=True)
    ]
    # the file survives a page switch; removing it brings back the single CAC
    at.switch_page("pages/cohorts.py").run()
    at.switch_page("pages/overview.py").run()
    assert at.dataframe[0].value.equals(table)
    at.button(key="ov_spend__remove").click().run()
    assert not at.dataframe and _clv_cac(at) == "–"


def test_a_spend_file_that_cannot_be_read_says_which_row_and_the_kpis_still_draw():
    at = _overview_in("en")
    at.get("file_uploader")[0].upload("spend.csv", b"month,spend\n2024-01,100\n2024-02,abc\n", "text/csv").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Row 3 of the marketing spend file: 'abc' is not an amount; write it like 1234.56 or 1.234,56."
    ]
    assert _clv_cac(at) == "–"
    assert _metric(at, t("kpi.customers", "en")) != "–"
