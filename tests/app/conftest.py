"""AppTest fixtures: absolute paths, fresh Streamlit caches per test, a small Shopify upload."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the pages import app_state/app_ui from the repository root
    sys.path.insert(0, str(ROOT))

APP = str(ROOT / "dashboard.py")
DEMO = ROOT / "data" / "demo_orders.csv"


@pytest.fixture(autouse=True)
def fresh_caches():
    # Caches outlive AppTest instances inside one pytest process; every test starts clean.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def shopify_upload() -> tuple[str, bytes]:
    """A real Shopify export: the first 3,000 lines of the demo shop (an order cut in two at the
    end is still a valid export)."""
    lines = DEMO.read_bytes().splitlines(keepends=True)
    return "my_shop_orders.csv", b"".join(lines[:3001])
