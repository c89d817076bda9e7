"""Figure builders: the numbers drawn are the numbers given, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from retention import charts


def _cells() -> pd.DataFrame:
    return pd.DataFrame({
        "cohort": ["2024-01-01"] * 3 + ["2024-02-01"] * 2,
        "period": [0, 1, 2, 0, 1],
        "retention": [1.0, 0.3, 0.2, 1.0, 0.25],
        "complete": [True, True, False, True, False],
        "cohort_size": [10, 10, 10, 8, 8],
        "retention_low": [0.72, 0.11, 0.06, 0.68, 0.07],
        "retention_high": [1.0, 0.6, 0.51, 1.0, 0.59],
    })


def test_heatmap_puts_incomplete_cells_in_the_grey_trace_only():
    fig = charts.cohort_heatmap(_cells())
    coloured, grey = (np.array(tr.z, dtype=float) for tr in fig.data[:2])
    # January period 2 and February period 1 are incomplete: grey, not coloured.
    assert math.isnan(coloured[0, 2]) and grey[0, 2] == 20.0
    assert math.isnan(coloured[1, 1]) and grey[1, 1] == 25.0
    assert coloured[0, 1] == 30.0 and math.isnan(grey[0, 1])
    # The Wilson interval reaches the hover as percentages, on the clickable points over the cells.
    cells = fig.data[2]
    jan_1 = list(zip(cells.x, cells.y, strict=True)).index((1, "2024-01-01"))
    assert list(cells.customdata[jan_1]) == [10.0, 11.0, 60.0, 30.0]
    assert "95%" in cells.hovertemplate
    assert cells.text[list(zip(cells.x, cells.y, strict=True)).index((1, "2024-02-01"))] == "not yet complete"


def test_heatmap_writes_each_number_once_in_the_trace_that_colours_its_cell():
    fig = charts.cohort_heatmap(_cells())
    coloured, grey = (np.array(tr.text, dtype=object) for tr in fig.data[:2])
    # January: 100.0 and 30.0 complete (coloured trace), 20.0 incomplete (grey trace); February 100.0, then 25.0 grey.
    assert coloured.tolist() == [["100.0", "30.0", ""], ["100.0", "", ""]]
    assert grey.tolist() == [["", "", "20.0"], ["", "25.0", ""]]


def test_pareto_points_of_four_customers():
    pts = charts.pareto_points([100, 1, 2, 3])
    # The largest customer is a quarter of the customers and 100/106 of the revenue.
    row = pts[pts["customer_share"] == 0.25].iloc[0]
    assert abs(row["value_share"] - 100 / 106) < 1e-12
    assert pts["value_share"].iloc[-1] == 1.0


def test_benchmark_band_marker_sits_at_the_value():
    bands = [(0.0, 0.15, "low", "#f00"), (0.15, 0.30, "typical", "#fa0"), (0.30, 0.6, "excellent", "#0a0")]
    fig = charts.benchmark_band(0.22, bands)
    assert fig.data[-1].x[0] == 22.0
    assert [tr.name for tr in fig.data[:3]] == ["low", "typical", "excellent"]


def test_risk_tiers_in_order_low_medium_high():
    fig = charts.risk_tiers(pd.DataFrame({"tier": ["high", "low", "medium"], "customers": [20, 50, 30]}))
    assert list(fig.data[0].y) == [50, 30, 20]
    assert list(fig.data[0].text) == ["50%", "30%", "20%"]


def test_benchmark_band_html_places_the_marker_by_value():
    bands = [(0.0, 0.15, "low", "#f00"), (0.15, 0.30, "typical", "#fa0"), (0.30, 0.6, "<b>excellent</b>", "#0a0")]
    html = charts.benchmark_band_html(0.3, bands)
    assert "left:calc(50.00% - 7px)" in html  # 0.30 is half of the 0-0.6 scale
    assert "width:25.00%" in html and "width:50.00%" in html
    assert "<b>excellent</b>" not in html and "&lt;b&gt;excellent&lt;/b&gt;" in html
    assert "left:calc(100.00% - 7px)" in charts.benchmark_band_html(0.9, bands)  # clipped to the scale


# --- the top-20% share, exact (not read off the sampled Pareto curve) ---------------------------------


def test_top_customers_share_of_ten_customers_by_hand():
    # 10 customers spending 1..10, total 55: the top 20% are the 2 largest, 10 + 9 = 19 of 55.
    assert charts.top_customers_share(list(range(1, 11))) == 19 / 55
    # order does not matter; a refund (negative) and a missing value count as 0
    assert charts.top_customers_share([3, 10, None, 9, -5, 1, 2, 4, 5, 6]) == 19 / 40  # 3+10+9+1+2+4+5+6


def test_top_customers_share_rounds_the_boundary_to_the_nearest_customer():
    # 11 customers: 20% is 2.2, the top 2; 13 customers: 2.6, the top 3; 15: exactly 3 (not 4).
    assert charts.top_customers_share([100, 50] + [1] * 9) == 150 / 159
    assert charts.top_customers_share([100, 50, 25] + [1] * 10) == 175 / 185
    assert charts.top_customers_share([100, 50, 25] + [1] * 12) == 175 / 187
    # one customer is always counted; nothing to share gives NaN
    assert charts.top_customers_share([7, 3]) == 0.7
    assert math.isnan(charts.top_customers_share([]))
    assert math.isnan(charts.top_customers_share([0, 0]))


def test_top_customers_share_on_cdnow_is_exact():
    from pathlib import Path

    from retention.i18n import format_percent

    raw = pd.read_csv(Path(__file__).resolve().parents[1] / "fixtures" / "cdnow" / "cdnow_sample_transactions.csv")
    spend = raw.groupby("id")["spent"].sum()
    # 2,357 customers: the top 471 (20% is 471.4), summed independently here
    assert len(spend) == 2357
    expected = spend.sort_values(ascending=False).iloc[:471].sum() / spend.sum()
    share = charts.top_customers_share(spend)
    assert abs(share - expected) < 1e-12
    assert format_percent(share, "en") == "67.4%"  # the 200-point curve said 67.6%
    # the Pareto chart's marker says the same number
    marker = charts.pareto_curve(spend).data[-1]
    assert marker.text[0] == "20% → 67%" and abs(marker.y[0] - 100 * expected) < 1e-9


# --- cohort heatmap labels: legible numbers on big grids, the value always in the hover -------------


def _grid(cohorts: int, periods: int) -> pd.DataFrame:
    rows = [
        {"cohort": f"2020-{c:03d}", "period": p, "retention": 1.0 if p == 0 else 0.234, "cohort_size": 50}
        for c in range(cohorts)
        for p in range(periods)
    ]
    return pd.DataFrame(rows)


def test_heatmap_numbers_by_grid_size():
    # 20 x 20 = 400 cells: every cell labelled with its decimal, normal font
    fig = charts.cohort_heatmap(_grid(20, 20))
    text = np.array(fig.data[0].text, dtype=object)
    assert text[0, 1] == "23.4" and (text != "").all()
    assert fig.data[0].textfont.size is None
    # 60 cohorts x 10 periods = 600 cells: numbers when asked (rows never crowd, so every cell keeps
    # its number); not drawn unasked, as each label costs the browser time at every visit
    assert (np.array(charts.cohort_heatmap(_grid(60, 10)).data[0].text, dtype=object) == "").all()
    assert charts.heatmap_numbers_optional(_grid(60, 10)) and not charts.heatmap_numbers_optional(_grid(20, 20))
    text = np.array(charts.cohort_heatmap(_grid(60, 10), numbers=True).data[0].text, dtype=object)
    assert text[59, 1] == "23.4" and (text != "").all()
    # 30 x 30 = 900 cells, asked: whole numbers at a smaller font
    fig = charts.cohort_heatmap(_grid(30, 30), numbers=True)
    text = np.array(fig.data[0].text, dtype=object)
    assert text[0, 1] == "23" and text[0, 0] == "100" and (text != "").all()
    assert fig.data[0].textfont.size == charts.TEXT_SMALL_FONT
    # 45 periods: too narrow for any number; 70 x 40 = 2,800 labels: too many to draw; asked or not
    for cohorts, periods in ((10, 45), (70, 40)):
        assert not charts.heatmap_numbers_optional(_grid(cohorts, periods))
        fig = charts.cohort_heatmap(_grid(cohorts, periods), numbers=True)
        assert (np.array(fig.data[0].text, dtype=object) == "").all()
    # and a small grid can be drawn without its numbers
    assert (np.array(charts.cohort_heatmap(_grid(5, 5), numbers=False).data[0].text, dtype=object) == "").all()


def test_heatmap_hover_gives_every_cells_value_at_any_size():
    fig = charts.cohort_heatmap(_grid(10, 45))
    points = fig.data[2]
    assert len(points.x) == 450  # one hover point per cell
    assert "%{customdata[3]:.1f}%" in points.hovertemplate
    values = np.array(points.customdata, dtype=float)[:, 3]
    assert sorted(set(np.round(values, 6))) == [23.4, 100.0]


def test_time_series_lines_take_the_colours_given():
    df = pd.DataFrame({"m": ["2024-01", "2024-02"], "ret": [0.3, 0.32], "churn": [0.7, 0.68]})
    fig = charts.time_series(
        df, x="m", y=["ret", "churn"], x_label="", y_label="", colours=[charts.BLUE, charts.CHURN_COLOUR]
    )
    assert [tr.line.color for tr in fig.data] == ["#2563eb", "#dc2626"]
    assert charts.CHURN_COLOUR != charts.GREEN
