"""Plotly figure builders: data in, figure out.

Pure functions with no Streamlit and no database: each takes a small pandas frame (already
computed by the analytics modules) and returns a `plotly.graph_objects.Figure`. Labels come in
as arguments so the caller chooses the language; `lang` only sets the number separators.
Fractions (0.22) are shown as percentages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from retention.i18n import plotly_separators

BLUE = "#2563eb"
GREY = "#d1d5db"
GREEN = "#16a34a"
AMBER = "#f59e0b"
RED = "#dc2626"
PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c"]
TIER_COLOURS = {"low": GREEN, "medium": AMBER, "high": RED}
# Churn is a warning, drawn in the colour of the high churn-risk tier; green reads as "good".
CHURN_COLOUR = RED

# Cohort heatmap cell labels (see `cohort_heatmap`): columns that fit numbers at the normal size,
# columns that fit whole numbers at TEXT_SMALL_FONT px, and the most labels drawn at all.
TEXT_FULL_COLUMNS = 20
TEXT_SMALL_COLUMNS = 40
TEXT_SMALL_FONT = 9
TEXT_MAX_CELLS = 2500
# Labels drawn without being asked: each costs the browser time at every visit of the page (the 300
# observed cells of a 24 x 24 monthly grid, 1M-line upload: the switch to Cohorts took 0.51-0.57 s
# with their numbers, 0.38-0.50 s without).
TEXT_AUTO_CELLS = 400


def _layout(fig: go.Figure, *, lang: str, title: str | None = None, height: int = 380) -> go.Figure:
    fig.update_layout(
        title=title,
        separators=plotly_separators(lang),
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


def cohort_heatmap(
    cells: pd.DataFrame,
    *,
    value: str = "retention",
    percent: bool = True,
    x_label: str = "Periods since first order",
    y_label: str = "Cohort",
    value_label: str = "Retention",
    incomplete_label: str = "not yet complete",
    numbers: bool | None = None,
    lang: str = "en",
) -> go.Figure:
    """Acquisition cohorts (rows) against periods since acquisition (columns).

    `cells`: one row per (cohort, period) with `cohort` (label or date), `period` (int), the
    `value` column, and optionally `complete` (bool), `cohort_size`, `retention_low`,
    `retention_high` (the Wilson 95% interval, fractions). Incomplete cells are drawn grey.
    `numbers`: the value written in each cell, where it stays legible; None: only on grids of up to
    TEXT_AUTO_CELLS cells (`heatmap_numbers_optional` says when asking makes a difference).
    """
    df = cells.copy()
    df["cohort"] = df["cohort"].astype(str)
    if "complete" not in df:
        df["complete"] = True
    df["complete"] = df["complete"].fillna(True).astype(bool)
    cohorts = sorted(df["cohort"].unique())
    periods = sorted(int(p) for p in df["period"].unique())
    grid = df.pivot_table(index="cohort", columns="period", values=value, aggfunc="first").reindex(
        index=cohorts, columns=periods
    )
    done = df.pivot_table(index="cohort", columns="period", values="complete", aggfunc="first").reindex(
        index=cohorts, columns=periods
    )
    done = done.astype("boolean").fillna(True).to_numpy(dtype=bool)
    z = grid.to_numpy(dtype=float)
    scale = 100.0 if percent else 1.0
    fmt = ".1f" if percent else ",.2f"
    unit = "%" if percent else ""

    def hover(col: str) -> np.ndarray:
        if col not in df:
            return np.full(z.shape, np.nan)
        return (
            df.pivot_table(index="cohort", columns="period", values=col, aggfunc="first")
            .reindex(index=cohorts, columns=periods)
            .to_numpy(dtype=float)
        )

    custom = np.dstack([hover("cohort_size"), hover("retention_low") * 100, hover("retention_high") * 100])
    has_interval = "retention_low" in df and "retention_high" in df
    template = (
        f"{y_label}: %{{y}}<br>{x_label}: %{{x}}<br>{value_label}: %{{z:{fmt}}}{unit}"
        + "<br>n = %{customdata[0]:,.0f}"
        + ("<br>95%: %{customdata[1]:.1f}% – %{customdata[2]:.1f}%" if has_interval else "")
    )
    # Numbers in the cells while they stay legible. Every row gets its own 22 px (the figure grows
    # with the cohorts), so only the columns share the page width: up to TEXT_FULL_COLUMNS periods
    # the numbers keep their decimal at the normal size; up to TEXT_SMALL_COLUMNS they are whole
    # numbers at a smaller font (a marketer reads "23" as well as "23.4" at a glance); beyond that,
    # or past TEXT_MAX_CELLS labels (the browser slows down drawing thousands of them), the cells
    # carry no number. The hover of every cell always gives its value (the invisible points below).
    n_cols = len(periods)
    show_text = n_cols <= TEXT_SMALL_COLUMNS and z.size <= (TEXT_AUTO_CELLS if numbers is None else TEXT_MAX_CELLS)
    show_text = show_text and numbers is not False
    small = n_cols > TEXT_FULL_COLUMNS
    cell_fmt = (".0f" if percent else ",.0f") if small else fmt
    text = (
        np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v * scale:{cell_fmt}}")(np.nan_to_num(z)))
        if show_text
        else np.full(z.shape, "")
    )
    textfont = {"size": TEXT_SMALL_FONT} if small else {}
    # Period 0 is 100% retention by definition: leave it out of the colour range, or every later
    # cell (typically 2-30%) would be drawn in the palest shade.
    later = (z * scale)[:, 1:] if z.shape[1] > 1 and periods[0] == 0 and value == "retention" else z * scale
    zmax = float(np.nanmax(later)) if np.isfinite(later).any() else None
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=np.where(done, z * scale, np.nan),
            zmin=0 if zmax is not None else None,
            zmax=zmax,
            x=periods,
            y=cohorts,
            customdata=custom,
            # each trace writes the numbers of its own cells only: the two traces cover the same
            # grid, and a second label drawn over a dark cell in the grey trace's dark font
            # smeared the white one
            text=np.where(done, text, ""),
            texttemplate="%{text}",
            textfont=textfont,
            colorscale="Blues",
            colorbar={"title": value_label + (" %" if percent else "")},
            hovertemplate=template + "<extra></extra>",
            hoverongaps=False,
            name=value_label,
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=np.where(~done & ~np.isnan(z), z * scale, np.nan),
            x=periods,
            y=cohorts,
            customdata=custom,
            text=np.where(done, "", text),
            texttemplate="%{text}",
            textfont=textfont,
            colorscale=[[0, GREY], [1, GREY]],
            showscale=False,
            hovertemplate=template + f"<br><i>{incomplete_label}</i><extra></extra>",
            hoverongaps=False,
            name=incomplete_label,
        )
    )
    # Heatmaps cannot be selected in Streamlit, scatter points can: an invisible point on every
    # cell carries the hover and makes a click select (cohort, period), which lists its customers.
    has = ~np.isnan(z)
    rows, cols = np.nonzero(has)
    fig.add_trace(
        go.Scatter(
            x=[periods[c] for c in cols],
            y=[cohorts[r] for r in rows],
            mode="markers",
            marker={"symbol": "square", "size": 18, "opacity": 0},
            customdata=np.column_stack([custom[rows, cols], (z * scale)[rows, cols]]) if len(rows) else None,
            text=[incomplete_label if not done[r, c] else "" for r, c in zip(rows, cols, strict=True)],
            hovertemplate=template.replace("%{z:", "%{customdata[3]:") + "<br><i>%{text}</i><extra></extra>",
            showlegend=False,
            name="cells",
        )
    )
    for trace in fig.data[:2]:
        trace.hoverinfo = "skip"
        trace.hovertemplate = None
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed", title=y_label, type="category")
    fig.update_xaxes(title=x_label, dtick=1)
    return _layout(fig, lang=lang, height=max(320, 22 * len(cohorts) + 120))


def retention_curves(
    cells: pd.DataFrame,
    *,
    value: str = "retention",
    average: pd.DataFrame | None = None,
    percent: bool = True,
    x_label: str = "Periods since first order",
    y_label: str = "Retention",
    average_label: str = "Weighted average",
    max_cohorts: int = 12,
    lang: str = "en",
) -> go.Figure:
    """One line per cohort (the latest `max_cohorts`), plus the weighted average in bold.

    `cells`: `cohort`, `period`, `value`; `average`: `period`, `value` (optional).
    """
    df = cells.copy()
    df["cohort"] = df["cohort"].astype(str)
    scale = 100.0 if percent else 1.0
    fig = go.Figure()
    for i, cohort in enumerate(sorted(df["cohort"].unique())[-max_cohorts:]):
        part = df[df["cohort"] == cohort].sort_values("period")
        fig.add_trace(
            go.Scatter(
                x=part["period"],
                y=part[value] * scale,
                mode="lines",
                name=cohort,
                line={"width": 1.2, "color": PALETTE[i % len(PALETTE)]},
                opacity=0.55,
            )
        )
    if average is not None and len(average):
        avg = average.sort_values("period")
        fig.add_trace(
            go.Scatter(
                x=avg["period"],
                y=avg[value] * scale,
                mode="lines+markers",
                name=average_label,
                line={"width": 4, "color": "#111827"},
            )
        )
    fig.update_xaxes(title=x_label, dtick=1)
    fig.update_yaxes(title=y_label + (" %" if percent else ""), rangemode="tozero")
    return _layout(fig, lang=lang)


def histogram(
    values: Sequence[float] | pd.Series,
    *,
    x_label: str,
    y_label: str = "Customers",
    bins: int = 40,
    clip_quantile: float = 0.99,
    colour: str = BLUE,
    lang: str = "en",
) -> go.Figure:
    """Distribution of one number per customer (for example CLV), clipped at the 99th percentile
    so one whale does not squash the bars; the clipped tail lands in the last bar."""
    v = pd.Series(values, dtype=float).dropna()
    if len(v):
        cap = float(v.quantile(clip_quantile))
        v = v.clip(upper=cap)
    fig = go.Figure(go.Histogram(x=v, nbinsx=bins, marker_color=colour))
    fig.update_xaxes(title=x_label)
    fig.update_yaxes(title=y_label)
    return _layout(fig, lang=lang, height=320)


def heatmap_numbers_optional(cells: pd.DataFrame) -> bool:
    """Whether `cohort_heatmap(cells)` would write its numbers if asked (`numbers=True`) but not by
    itself: a grid legible enough for labels, with more cells than are drawn without asking."""
    n_cols, n_rows = cells["period"].nunique(), cells["cohort"].nunique()
    return n_cols <= TEXT_SMALL_COLUMNS and TEXT_AUTO_CELLS < n_cols * n_rows <= TEXT_MAX_CELLS


def pareto_points(values: Sequence[float] | pd.Series, points: int = 200) -> pd.DataFrame:
    """Share of customers (largest first) against their cumulative share of the total, sampled at
    about `points` points: the numbers behind `pareto_curve`."""
    v = np.sort(pd.Series(values, dtype=float).fillna(0).clip(lower=0).to_numpy())[::-1]
    n = len(v)
    if n == 0 or v.sum() <= 0:
        return pd.DataFrame({"customer_share": [0.0, 1.0], "value_share": [0.0, 1.0]})
    cum = np.cumsum(v) / v.sum()
    idx = np.unique(np.linspace(0, n - 1, min(points, n)).astype(int))
    return pd.DataFrame(
        {"customer_share": np.concatenate([[0.0], (idx + 1) / n]), "value_share": np.concatenate([[0.0], cum[idx]])}
    )


def top_customers_share(values: Sequence[float] | pd.Series, share: float = 0.2) -> float:
    """Fraction of the total that the top `share` of customers bring (0.674 = 67.4%), exact.

    `values`: one amount per customer (for example historical CLV, net revenue); missing values
    count as 0 and negative ones (net refunds) as 0, as in `pareto_points`. The customers are
    sorted by value, largest first, and the top k are summed, k = `share` * n rounded to the
    nearest whole customer (halves up), at least 1: the customers counted are as close to the
    stated 20% as whole customers allow. 10 customers: the top 2; 11: 2 (2.2); 13: 3 (2.6);
    CDNOW's 2,357: 471 (471.4, 19.98% of them). NaN when there is no customer or the total is 0.
    """
    v = np.sort(pd.Series(values, dtype=float).fillna(0).clip(lower=0).to_numpy())[::-1]
    n = len(v)
    total = float(v.sum())
    if n == 0 or total <= 0:
        return float("nan")
    # round(.., 9) first: 0.2 * 15 is 3.0000000000000004 in floating point, 0.5 * 5 may be 2.4999..
    k = min(n, max(1, math.floor(round(share * n, 9) + 0.5)))
    return float(v[:k].sum() / total)


def pareto_curve(
    values: Sequence[float] | pd.Series,
    *,
    x_label: str = "Share of customers (largest first)",
    y_label: str = "Share of revenue",
    marker_share: float = 0.2,
    lang: str = "en",
) -> go.Figure:
    """Cumulative share of revenue against share of customers ranked by value; a marker at the
    top `marker_share` (20%) says how much of the total they bring."""
    pts = pareto_points(values)
    fig = go.Figure(
        go.Scatter(
            x=pts["customer_share"] * 100,
            y=pts["value_share"] * 100,
            mode="lines",
            line={"color": BLUE, "width": 3},
            fill="tozeroy",
            hovertemplate="%{x:.1f}% → %{y:.1f}%<extra></extra>",
        )
    )
    fig.add_trace(go.Scatter(x=[0, 100], y=[0, 100], mode="lines", line={"dash": "dot", "color": "#9ca3af"}))
    # the marker is the exact share (the curve itself is sampled at about 200 points)
    at = top_customers_share(values, marker_share)
    at = 0.0 if np.isnan(at) else at
    fig.add_trace(
        go.Scatter(
            x=[marker_share * 100],
            y=[at * 100],
            mode="markers+text",
            text=[f"{marker_share * 100:.0f}% → {at * 100:.0f}%"],
            textposition="bottom right",
            marker={"size": 11, "color": RED},
        )
    )
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title=x_label + " %", range=[0, 100])
    fig.update_yaxes(title=y_label + " %", range=[0, 101])
    return _layout(fig, lang=lang, height=340)


def bar_chart(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    x_label: str,
    y_label: str,
    percent: bool = False,
    colours: Sequence[str] | None = None,
    horizontal: bool = False,
    text_format: str | None = None,
    lang: str = "en",
) -> go.Figure:
    """A plain bar chart; `percent` shows fractions as percentages."""
    vals = df[y].astype(float) * (100.0 if percent else 1.0)
    tf = text_format or (".1f" if percent else ",.0f")
    labels = df[x].astype(str)
    kwargs = {"x": vals, "y": labels, "orientation": "h"} if horizontal else {"x": labels, "y": vals}
    fig = go.Figure(
        go.Bar(
            **kwargs,
            marker_color=list(colours) if colours is not None else BLUE,
            texttemplate="%{" + ("x" if horizontal else "y") + ":" + tf + "}" + ("%" if percent else ""),
            textposition="auto",
        )
    )
    (fig.update_yaxes if not horizontal else fig.update_xaxes)(title=y_label + (" %" if percent else ""))
    (fig.update_xaxes if not horizontal else fig.update_yaxes)(title=x_label, type="category")
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return _layout(fig, lang=lang, height=max(300, 34 * len(df) + 80) if horizontal else 320)


def risk_tiers(
    tiers: pd.DataFrame,
    *,
    tier_labels: dict[str, str] | None = None,
    x_label: str = "Churn risk",
    y_label: str = "Customers",
    lang: str = "en",
) -> go.Figure:
    """Customers per churn-risk tier (`tier` in low/medium/high, `customers`, optional `share`)."""
    df = tiers.copy()
    order = {"low": 0, "medium": 1, "high": 2}
    df = df.assign(_o=df["tier"].map(order).fillna(9)).sort_values("_o")
    labels = [(tier_labels or {}).get(str(tr), str(tr)) for tr in df["tier"]]
    colours = [TIER_COLOURS.get(str(tr), BLUE) for tr in df["tier"]]
    share = df["share"] if "share" in df else df["customers"] / max(float(df["customers"].sum()), 1.0)
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=df["customers"],
            marker_color=colours,
            text=[f"{s * 100:.0f}%" for s in share],
            textposition="auto",
        )
    )
    fig.update_xaxes(title=x_label)
    fig.update_yaxes(title=y_label)
    return _layout(fig, lang=lang, height=300)


def rfm_grid(
    cells: pd.DataFrame,
    *,
    x_label: str = "Frequency score (F)",
    y_label: str = "Recency score (R)",
    value_label: str = "Customers",
    lang: str = "en",
) -> go.Figure:
    """The classic R × F grid: `r_score`, `f_score` (1-5), `customers`, optional `avg_monetary`."""
    grid = cells.pivot_table(index="r_score", columns="f_score", values="customers", aggfunc="sum").reindex(
        index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5]
    )
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=[str(c) for c in grid.columns],
            y=[str(i) for i in grid.index],
            colorscale="Blues",
            texttemplate="%{z:,.0f}",
            colorbar={"title": value_label},
            hovertemplate=f"R %{{y}} · F %{{x}}<br>{value_label}: %{{z:,.0f}}<extra></extra>",
        )
    )
    fig.update_xaxes(title=x_label, type="category")
    fig.update_yaxes(title=y_label, type="category")
    return _layout(fig, lang=lang, height=360)


def layer_cake(
    cells: pd.DataFrame,
    *,
    x_label: str = "Month",
    y_label: str = "Revenue",
    lang: str = "en",
) -> go.Figure:
    """Revenue by acquisition cohort over calendar time, stacked (`period`, `cohort`, `revenue`):
    the oldest cohorts at the bottom."""
    df = cells.copy()
    df["cohort"] = df["cohort"].astype(str)
    fig = go.Figure()
    for i, cohort in enumerate(sorted(df["cohort"].unique())):
        part = df[df["cohort"] == cohort].sort_values("period")
        fig.add_trace(
            go.Scatter(
                x=part["period"],
                y=part["revenue"].astype(float),
                mode="lines",
                stackgroup="one",
                name=cohort,
                line={"width": 0.5, "color": PALETTE[i % len(PALETTE)]},
            )
        )
    fig.update_xaxes(title=x_label)
    fig.update_yaxes(title=y_label)
    fig.update_layout(showlegend=len(df["cohort"].unique()) <= 16)
    return _layout(fig, lang=lang, height=400)


def backtest_calibration(
    buckets: pd.DataFrame,
    *,
    x_label: str = "Purchases before the cut-off",
    y_label: str = "Average purchases after the cut-off",
    actual_label: str = "Actual",
    predicted_label: str = "Predicted",
    baseline_label: str = "Naive baseline",
    lang: str = "en",
) -> go.Figure:
    """Calibration/holdout chart: per bucket of past purchases (`bucket`), the mean `actual` and
    `predicted` purchases after the cut-off, and optionally a naive `baseline`."""
    df = buckets.copy()
    x = df["bucket"].astype(str)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=df["actual"], name=actual_label, marker_color="#9ca3af"))
    fig.add_trace(
        go.Scatter(x=x, y=df["predicted"], name=predicted_label, mode="lines+markers", line={"color": BLUE, "width": 3})
    )
    if "baseline" in df:
        fig.add_trace(
            go.Scatter(
                x=x, y=df["baseline"], name=baseline_label, mode="lines+markers", line={"color": AMBER, "dash": "dash"}
            )
        )
    fig.update_xaxes(title=x_label, type="category")
    fig.update_yaxes(title=y_label, rangemode="tozero")
    return _layout(fig, lang=lang, height=340)


def time_series(
    df: pd.DataFrame,
    *,
    x: str,
    y: str | Sequence[str],
    x_label: str,
    y_label: str,
    percent: bool = False,
    names: Sequence[str] | None = None,
    colours: Sequence[str] | None = None,
    lang: str = "en",
) -> go.Figure:
    """One or more lines over time (for example retention and churn rate per month); `colours`
    one per line (default the palette in order)."""
    ys = [y] if isinstance(y, str) else list(y)
    fig = go.Figure()
    for i, col in enumerate(ys):
        fig.add_trace(
            go.Scatter(
                x=df[x],
                y=df[col].astype(float) * (100.0 if percent else 1.0),
                mode="lines+markers",
                name=(names[i] if names else col),
                line={"color": colours[i] if colours else PALETTE[i % len(PALETTE)], "width": 2.5},
            )
        )
    fig.update_xaxes(title=x_label)
    fig.update_yaxes(title=y_label + (" %" if percent else ""), rangemode="tozero")
    return _layout(fig, lang=lang, height=320)


def benchmark_band(
    value: float | None,
    bands: Sequence[tuple[float, float, str, str]],
    *,
    percent: bool = True,
    lang: str = "en",
) -> go.Figure:
    """A thin horizontal scale of coloured bands (`(low, high, label, colour)`) with a marker at
    the shop's value: where it sits against the founding research's benchmarks at a glance."""
    scale = 100.0 if percent else 1.0
    span = max(b[1] for b in bands) - min(b[0] for b in bands)
    fig = go.Figure()
    for low, high, label, colour in bands:
        wide = (high - low) >= 0.22 * span  # a label only where it fits; the hover names every band
        fig.add_trace(
            go.Bar(
                x=[(high - low) * scale],
                base=[low * scale],
                y=[""],
                orientation="h",
                marker_color=colour,
                opacity=0.35,
                name=label,
                text=[label if wide else ""],
                textposition="inside",
                textangle=0,
                insidetextanchor="middle",
                textfont={"size": 11},
                hovertemplate=f"{label}: {low * scale:g}–{high * scale:g}<extra></extra>",
            )
        )
    if value is not None and not (isinstance(value, float) and np.isnan(value)):
        lo = min(b[0] for b in bands)
        hi = max(b[1] for b in bands)
        shown = min(max(float(value), lo), hi) * scale
        fig.add_trace(
            go.Scatter(
                x=[shown],
                y=[""],
                mode="markers",
                marker={"symbol": "diamond", "size": 16, "color": "#111827"},
                hovertemplate=f"{float(value) * scale:.1f}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="overlay",
        showlegend=False,
        height=70,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        template="plotly_white",
        separators=plotly_separators(lang),
    )
    fig.update_xaxes(ticksuffix="%" if percent else "", fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True)
    return fig


__all__ = [
    "backtest_calibration",
    "bar_chart",
    "benchmark_band",
    "benchmark_band_html",
    "cohort_heatmap",
    "histogram",
    "layer_cake",
    "migration_heatmap",
    "pareto_curve",
    "pareto_points",
    "retention_curves",
    "heatmap_numbers_optional",
    "rfm_grid",
    "risk_tiers",
    "time_series",
    "top_customers_share",
]


def migration_heatmap(
    moves: pd.DataFrame,
    *,
    order: Sequence[str] | None = None,
    x_label: str = "Now",
    y_label: str = "Before",
    value_label: str = "Share of the 'before' segment",
    lang: str = "en",
) -> go.Figure:
    """Segment migration: rows the segment at the past date, columns the segment now; colour is the
    share of the row's customers (`share_of_from`), the text their number (`customers`)."""
    rows = list(dict.fromkeys(moves["from_segment"].astype(str)))
    cols = list(dict.fromkeys(moves["to_segment"].astype(str)))
    if order:
        rows = [s for s in [*order, *rows] if s in set(rows)]
        rows = list(dict.fromkeys(rows))
        cols = list(dict.fromkeys([s for s in [*order, *cols] if s in set(cols)]))
    share = moves.pivot_table(index="from_segment", columns="to_segment", values="share_of_from", aggfunc="sum")
    count = moves.pivot_table(index="from_segment", columns="to_segment", values="customers", aggfunc="sum")
    share = share.reindex(index=rows, columns=cols)
    count = count.reindex(index=rows, columns=cols)
    fig = go.Figure(
        go.Heatmap(
            z=share.to_numpy(dtype=float) * 100,
            x=cols,
            y=rows,
            text=np.where(np.isnan(count.to_numpy(dtype=float)), "", count.fillna(0).astype(int).astype(str)),
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": "%"},
            hovertemplate=f"{y_label}: %{{y}}<br>{x_label}: %{{x}}<br>{value_label}: %{{z:.1f}}%"
            "<br>n = %{text}<extra></extra>",
            hoverongaps=False,
        )
    )
    fig.update_xaxes(title=x_label, type="category")
    fig.update_yaxes(title=y_label, type="category", autorange="reversed")
    return _layout(fig, lang=lang, height=max(360, 34 * len(rows) + 140))


def benchmark_band_html(
    value: float | None,
    bands: Sequence[tuple[float, float, str, str]],
    *,
    marker_label: str | None = None,
) -> str:
    """The benchmark scale as plain HTML (no plotly: a KPI card must draw in a few milliseconds):
    coloured bands `(low, high, label, colour)` side by side, widths proportional to their span,
    and a black line at `value` (clipped to the scale). Labels are escaped."""
    import html

    lo = min(b[0] for b in bands)
    hi = max(b[1] for b in bands)
    span = (hi - lo) or 1.0
    parts = []
    for low, high, label, colour in bands:
        width = (high - low) / span * 100
        text = html.escape(label) if width >= 22 else ""
        parts.append(
            f'<div title="{html.escape(label)}" style="width:{width:.2f}%;background:{colour}55;'
            f"display:flex;align-items:center;justify-content:center;font-size:11px;color:#374151;"
            f'white-space:nowrap;overflow:hidden">{text}</div>'
        )
    marker = ""
    if value is not None and not (isinstance(value, float) and np.isnan(value)):
        pos = (min(max(float(value), lo), hi) - lo) / span * 100
        tip = html.escape(marker_label or "")
        # a thin upright line through the bar, not a block over it: the band's label stays legible
        marker = (
            f'<div title="{tip}" style="position:absolute;left:calc({pos:.2f}% - 7px);top:-4px;width:14px;'
            'height:28px;display:flex;justify-content:center"><div style="width:3px;height:100%;'
            'background:#111827;border-radius:2px;box-shadow:0 0 0 1px white"></div></div>'
        )
    return (
        '<div style="position:relative;display:flex;height:20px;border-radius:4px;overflow:visible;'
        'margin:4px 0 6px 0">' + "".join(parts) + marker + "</div>"
    )
