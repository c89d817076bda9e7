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
