"""End to end in Chromium: upload a Shopify export, read the KPIs, open every page (screenshots in
test-output/screenshots/), download a Meta audience and check it, and two sessions with different
uploads that never see each other's data. One server for the whole module."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from e2e_helpers import ROOT, screenshot, wait_idle
from playwright.sync_api import expect

from retention.db import connect
from retention.i18n import format_number
from retention.ingest import load_orders

pytestmark = pytest.mark.e2e

DEMO = ROOT / "data" / "demo_orders.csv"
PAGES = ["Overview", "Data", "Cohorts", "Customer value", "Churn and segments", "Audiences"]


def _export(first: int, last: int, name: str, tmp_path: Path) -> Path:
    """A real Shopify export: the demo's header and its lines first..last."""
    lines = DEMO.read_bytes().splitlines(keepends=True)
    path = tmp_path / name
    path.write_bytes(lines[0] + b"".join(lines[first:last]))
    return path


def _customers(path: Path) -> int:
    return load_orders(connect(), [str(path)]).to_dict()["customers"]


def go(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
    expect(page.locator("h1", has_text=title).first).to_be_visible(timeout=90_000)
    wait_idle(page)


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]', has=page.locator('[data-testid="stMetricLabel"]',
                                                                        has_text=re.compile("^" + re.escape(label))))
    return card.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def upload(page, path: Path) -> None:
    go(page, "Data")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(path))
    expect(page.locator('[data-testid="stSidebar"]', has_text=path.name)).to_be_visible(timeout=120_000)
    wait_idle(page)


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_upload_a_shopify_export_and_see_its_kpis_on_every_page(new_page, tmp_path):
    page = new_page()
    expect(page.locator('[data-testid="stSidebar"]', has_text="Demo shop")).to_be_visible()
    screenshot(page, "00_overview_demo")
    export = _export(1, 4000, "shop_export.csv", tmp_path)
    expected = format_number(_customers(export), "en")
    upload(page, export)
    assert metric(page, "Customers") == expected
    expect(page.locator('[data-testid="stSidebar"]', has_text="Demo shop")).to_have_count(0)
    screenshot(page, "01_data")
    go(page, "Overview")
    assert metric(page, "Customers") == expected
    expect(page.locator('[data-testid="stMetric"]', has_text="Repeat purchase rate")).to_be_visible()
    for i, title in enumerate(PAGES[2:], start=2):
        go(page, title)
        no_exception(page)
        expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=90_000)
        screenshot(page, f"{i:02d}_{title.lower().replace(' ', '_')}")


def test_download_a_meta_audience_with_hashed_columns(new_page):
    page = new_page()
    go(page, "Audiences")
    page.locator('[data-testid="stSelectbox"]', has_text="File format").click()
    page.get_by_role("option", name=re.compile("^Meta")).click()
    button = page.locator('[data-testid="stDownloadButton"] button', has_text="Meta")
    expect(button).to_be_visible(timeout=90_000)
    wait_idle(page)
    with page.expect_download() as info:
        button.click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:8] == ["email", "phone", "fn", "ln", "ct", "st", "zip", "country"]
    hexdigest = re.compile(r"^[0-9a-f]{64}$")
    assert len(rows) >= 100
    assert all(hexdigest.match(r["email"]) for r in rows if r["email"])
    assert sum(bool(r["email"]) for r in rows) > 0.9 * len(rows)
    assert all(hexdigest.match(r["phone"]) for r in rows if r["phone"])
    assert "@" not in text  # no clear-text email anywhere in the file
    screenshot(page, "06_audiences_meta")


def _audience_emails(page) -> set[str]:
    go(page, "Audiences")
    button = page.locator('[data-testid="stDownloadButton"] button', has_text="CSV (every field)")
    with page.expect_download() as info:
        button.first.click()
    rows = csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8")))
    return {r["email"] for r in rows if r.get("email")}


def test_two_sessions_with_different_uploads_never_see_each_other(new_page, tmp_path):
    file_a = _export(1, 3000, "shop_a.csv", tmp_path)
    file_b = _export(9000, 12000, "shop_b.csv", tmp_path)
    page_a, page_b = new_page(), new_page()
    upload(page_a, file_a)
    upload(page_b, file_b)
    assert metric(page_a, "Customers") == format_number(_customers(file_a), "en")
    assert metric(page_b, "Customers") == format_number(_customers(file_b), "en")
    emails_a, emails_b = _audience_emails(page_a), _audience_emails(page_b)
    con_a, con_b = connect(), connect()
    load_orders(con_a, [str(file_a)])
    load_orders(con_b, [str(file_b)])
    all_a = {e for (e,) in con_a.execute("SELECT DISTINCT email FROM orders WHERE email IS NOT NULL").fetchall()}
    all_b = {e for (e,) in con_b.execute("SELECT DISTINCT email FROM orders WHERE email IS NOT NULL").fetchall()}
    assert emails_a and emails_b
    assert emails_a <= all_a and emails_b <= all_b
    assert not (emails_a & (all_b - all_a)) and not (emails_b & (all_a - all_b))
    # Each sidebar names only its own file.
    expect(page_a.locator('[data-testid="stSidebar"]', has_text="shop_b.csv")).to_have_count(0)
    expect(page_b.locator('[data-testid="stSidebar"]', has_text="shop_a.csv")).to_have_count(0)


def test_sidebar_filter_and_language_switch_apply_to_every_page(new_page):
    from retention.filters import Filters, apply_filters
    from retention.kpis import compute_kpis

    con = connect()
    load_orders(con, [str(DEMO)])
    expected = compute_kpis(con, table=apply_filters(con, Filters(countries=("DE",))))["customers"]
    page = new_page()
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]', has_text="Country").click()
    page.get_by_role("option", name="DE", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.locator('[data-testid="stMetricValue"]', has_text=format_number(expected, "en")).first).to_be_visible()
    wait_idle(page)
    go(page, "Cohorts")
    go(page, "Overview")
    assert metric(page, "Customers") == format_number(expected, "en")  # the filter survived two page switches
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]', has_text="Language").click()
    page.get_by_role("option", name="Italiano").click()
    expect(page.locator("h1", has_text="Panoramica")).to_be_visible()
    wait_idle(page)
    assert metric(page, "Clienti") == format_number(expected, "it")
    screenshot(page, "07_overview_italian_filtered")
