"""The dashboard in a real browser on generated data: `python -m benchmarks.bench_app [--lines N]`.

Measures, with Debian's Chromium driven by Playwright against `streamlit run dashboard.py`:
- upload end -> data loaded: from the server's answer to the browser's file upload (the last byte
  is in) to the Data page drawn with the new data (ingest, cleaning ledger, sidebar filters);
- upload end -> Overview drawn: the same, plus a click on Overview until its KPI cards show the
  new data's customer count and the script run has finished (goal: under 5 s);
- page switch: a click in the navigation until the target page is drawn and idle, for pages
  already visited (served from the session's cache; goal: under 0.5 s), and the first visit of
  Cohorts (computed);
and, in the same run, the baseline: the library alone on the same file (load_orders, then
filter_choices + compute_kpis + what_if, one after the other), i.e. the work the app has to do.
Files come from `benchmarks/generate.py` (Shopify format unless `--format` says otherwise: a
Shopify export has one row per line item and is the slowest to read) and are kept in benchmarks/data/.

Measured 2026-11-23, 1M lines, 3 browser sessions each (medians, seconds):

    measure                                         Shopify (172 MB)  generic (106 MB)  goal
    library: ingest                                             3.54              0.94
    library: Overview numbers                                   0.80              0.76
    browser: upload end -> Data page with new data              5.22              2.17
    browser: upload end -> Overview drawn                       6.11              3.01   5.0
    browser: first visit of Cohorts                             0.97              0.86
    browser: page switch, visited page (median)                 0.36              0.34   0.5
    browser: page switch, visited page (worst)                  0.45              0.44   0.5

Session 1 measured 7.8 s for the Shopify file. Server-side timeline of one Shopify run (instrumented,
not committed): 0.33 s from the end of the upload to the start of the load (script rerun, the
upload's bytes, its SHA-256), 3.95 s load, 0.59 s sidebar filter options, 0.15 s Data page, 0.3 s
browser drawing, 0.08 s click to rerun, 0.50 s KPIs (order history built cold), 0.22 s what-if,
0.17 s drawing. The Shopify load is the gap: its orders are put together from their lines (the
order fields sit on the first line only), which costs 2.8-3.2 s at 1M lines against 1.0 s for a
plain read.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GOAL_OVERVIEW_S = 5.0
GOAL_SWITCH_S = 0.5


def _data_file(lines: int, fmt: str = "shopify") -> Path:
    path = ROOT / "benchmarks" / "data" / f"app_{fmt}_{lines}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "benchmarks.generate", "--lines", str(lines), "--format", fmt,
                        "-o", str(path)], cwd=ROOT, check=True)
    return path


def _server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = ROOT / "benchmarks" / "results" / "bench_app_server.log"  # gitignored; the server's own log
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start")


def _drawn(page, title: str, must_contain: str | None = None, timeout: float = 600_000) -> None:
    """Wait (polling every animation frame) until the page titled `title` is drawn, holds
    `must_contain`, and the script run is over."""
    page.wait_for_function(
        """([title, text]) => {
            const app = document.querySelector('[data-testid="stApp"]');
            if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
            const h1 = [...document.querySelectorAll('h1')].some(h => h.textContent.includes(title));
            return h1 && (!text || document.body.textContent.includes(text));
        }""",
        arg=[title, must_contain],
        polling="raf",
        timeout=timeout,
    )


def _switch(page, title: str, must_contain: str | None = None) -> float:
    start = time.perf_counter()
    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
    _drawn(page, title, must_contain)
    return time.perf_counter() - start


def measure_browser(path: Path, url: str, browser, customers_text: str) -> dict[str, float]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(600_000)
    page.goto(url)
    _drawn(page, "Overview", "Demo shop")
    _switch(page, "Data")
    with page.expect_response(lambda r: "upload_file" in r.url and r.request.method == "PUT") as answer:
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(path))
    answer.value.finished()
    upload_end = time.perf_counter()
    _drawn(page, "Data", path.name)
    data_ready = time.perf_counter() - upload_end
    page.locator('[data-testid="stSidebarNavLink"]', has_text="Overview").first.click()
    _drawn(page, "Overview", customers_text)
    overview = time.perf_counter() - upload_end
    cohorts_first = _switch(page, "Cohorts")
    cached = [_switch(page, "Overview", customers_text), _switch(page, "Data"), _switch(page, "Cohorts"),
              _switch(page, "Overview", customers_text)]
    print("  page switches (Overview, Data, Cohorts, Overview):", " ".join(f"{c:.2f}" for c in cached), flush=True)
    ctx.close()
    return {"data_ready": data_ready, "overview": overview, "cohorts_first": cohorts_first,
            "switch_cached": statistics.median(cached), "switch_cached_max": max(cached)}


def measure_library(path: Path) -> tuple[dict[str, float], int]:
    from retention.db import connect
    from retention.filters import filter_choices
    from retention.ingest import load_orders
    from retention.kpis import compute_kpis, what_if

    data = path.read_bytes()
    con = connect()
    start = time.perf_counter()
    report = load_orders(con, [(path.name, data)])
    loaded = time.perf_counter()
    filter_choices(con)
    compute_kpis(con, period="month", table="orders")
    what_if(con, repeat_rate_points=5, table="orders")
    done = time.perf_counter()
    con.close()
    return {"ingest": loaded - start, "overview_numbers": done - loaded, "total": done - start}, report.customers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1, help="browser sessions measured (median reported)")
    parser.add_argument("--format", default="shopify", help="export format of the generated file (benchmarks.generate)")
    args = parser.parse_args(argv)
    path = _data_file(args.lines, args.format)
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB, {args.lines:,} lines", flush=True)

    lib, customers = measure_library(path)
    customers_text = f"{customers:,}"
    from playwright.sync_api import sync_playwright

    proc, url = _server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            runs = [measure_browser(path, url, browser, customers_text) for _ in range(args.runs)]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    rows = [
        ("library: ingest (baseline)", lib["ingest"], None),
        ("library: Overview numbers (baseline)", lib["overview_numbers"], None),
        ("library: ingest + Overview numbers", lib["total"], None),
        ("browser: upload end -> Data page with new data", med("data_ready"), None),
        ("browser: upload end -> Overview drawn", med("overview"), GOAL_OVERVIEW_S),
        ("browser: app overhead over the library", med("overview") - lib["total"], None),
        ("browser: first visit of Cohorts", med("cohorts_first"), None),
        ("browser: page switch, visited page (median)", med("switch_cached"), GOAL_SWITCH_S),
        ("browser: page switch, visited page (worst)", med("switch_cached_max"), GOAL_SWITCH_S),
    ]
    print(f"{'measure':48} {'median s':>9} {'goal s':>7} {'ratio':>6}")
    for name, value, goal in rows:
        ratio = f"{value / goal:6.2f}" if goal else "      "
        print(f"{name:48} {value:9.2f} {goal if goal else '':>7} {ratio}")
    print(f"(runs: {args.runs}; ratio = measured / goal; customers in the file: {customers:,})")


if __name__ == "__main__":
    main()
