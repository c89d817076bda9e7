"""The two rules that make the house (DESIGN.md): the library never imports Streamlit, and no SQL
runs on DuckDB's module-level default connection."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import retention

ROOT = Path(__file__).resolve().parents[2]


def _submodules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(retention.__path__, prefix="retention."))


def test_importing_every_retention_module_leaves_streamlit_out():
    modules = ["retention", *_submodules()]
    assert "retention.cli" in modules and "retention.charts" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_query_on_the_default_duckdb_connection():
    pattern = re.compile(r"duckdb\.(sql|query|execute)\(")
    files = [*ROOT.joinpath("retention").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"), ROOT / "dashboard.py"]
    assert len(files) > 5
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in files
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []
