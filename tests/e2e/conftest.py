"""A real browser against a real server: `streamlit run dashboard.py` on 127.0.0.1 and a free port,
driven by Playwright's sync API with Debian's /usr/bin/chromium (see FIELD-NOTES.md)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, wait_idle


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, app_url):
    """A factory of pages, each in its own browser context (its own Streamlit session)."""
    contexts = []

    def make():
        ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(90_000)
        page.goto(app_url)
        wait_idle(page)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
