"""Acquisition cohorts: customers grouped by the calendar period of their first order, followed
period by period since acquisition.

Definitions (calendar periods; see retention/periods.py):
- cohort: the first day of the period (week, month, quarter, year) of the customer's first order;
- period: the period of an order minus the period of the first order (0 = acquisition period);
- active_customers: customers of the cohort with an order IN that period (mode "on"), or IN THAT
  PERIOD OR LATER (mode "on_or_after": the customer has not yet been seen for the last time);
- retention = active_customers / cohort_size, with a Wilson 95% interval (retention_low/high);
- orders, revenue: orders and net revenue of the cohort placed in that period (same in both modes);
- cumulative_revenue_per_customer: net revenue of the cohort from period 0 to this period divided
  by cohort_size (the average LTV curve);
- repeat_share: share of the cohort that made a second order by the end of this period;
- complete: the period is fully observed (its last day is on or before as_of).
Cells after as_of's period are not listed; the last listed cell of every cohort can be incomplete.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from retention.errors import UserInputError
from retention.history import order_history
from retention.periods import check_period, is_complete, period_key, period_start
from retention.sql import cohorts as q
from retention.sql import fetch_df, fetch_one
from retention.sql.filters import ATTRIBUTE_EXPRESSIONS, NONE_LABEL, first_order_segment_sql

__all__ = [
    "COHORT_COLUMNS",
    "cohort_table",
    "cohort_average",
    "cohort_matrix",
    "revenue_layer_cake",
    "cohort_customers",
    "wilson_interval",
]

COHORT_PERIODS = ("week", "month", "quarter", "year")
COHORT_COLUMNS = [
    "cohort",
    "period",
    "cohort_size",
    "active_customers",
    "retention",
    "retention_low",
    "retention_high",
    "orders",
    "revenue",
    "cumulative_revenue_per_customer",
    "complete",
    "repeat_share",
]
MODES = ("on", "on_or_after")
Z95 = 1.959963984540054


def wilson_interval(successes, trials, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (Wilson 1927) of a proportion: arrays (low, high); NaN where trials == 0."""
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    # at 0 of n (n of n) the bound is 0 (1) exactly; the subtraction leaves about 1e-18 in floating point
    low, high = np.where(x <= 0, 0.0, low), np.where(x >= n, 1.0, high)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high


def last_order_day(con, table: str) -> date | None:
    row = fetch_one(con, q.last_order_day_sql(table))
    return row[0] if row else None


def resolve_as_of(con, table: str, as_of: date | datetime | str | None) -> date | None:
    """as_of as a date: the given day, else the last order day (None for an empty table)."""
    if as_of is None:
        return last_order_day(con, table)
    if isinstance(as_of, str):
        try:
            return date.fromisoformat(as_of)
        except ValueError:
            raise UserInputError(f"as_of takes a date as YYYY-MM-DD, not {as_of!r}.") from None
    if isinstance(as_of, datetime):
        return as_of.date()
    return as_of


def end_param(as_of: date) -> datetime:
    """Exclusive TIMESTAMP bound: orders up to and including the whole day as_of."""
    return datetime.combine(as_of + timedelta(days=1), datetime.min.time())


def _check_split(split_by: str | None) -> None:
    if split_by is not None and split_by not in ATTRIBUTE_EXPRESSIONS:
        raise UserInputError(f"Cannot split cohorts by {split_by!r}; use one of: {', '.join(ATTRIBUTE_EXPRESSIONS)}.")


def _empty_table(split_by: str | None) -> pd.DataFrame:
    cols = (["segment"] if split_by else []) + COHORT_COLUMNS
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


def cohort_table(
    con,
    *,
    period: str = "month",
    mode: str = "on",
    as_of: date | None = None,
    split_by: str | None = None,
    table: str = "orders",
) -> pd.DataFrame:
    """The acquisition-cohort table: one row per (cohort, period), see the module docstring.

    Columns: COHORT_COLUMNS (`cohort` an ISO date string, rates as fractions, revenue net in shop
    currency), preceded by `segment` when `split_by` names a first-order attribute (channel,
    country, discount_code, product, category; missing values labelled "(none)"). Orders after
    `as_of` (default: the last order day) are ignored. An empty table gives zero rows.
    """
    check_period(period, COHORT_PERIODS)
    if mode not in MODES:
        raise UserInputError(f"Unknown cohort mode {mode!r}; use 'on' or 'on_or_after'.")
    _check_split(split_by)
    as_of = resolve_as_of(con, table, as_of)
    if as_of is None:
        return _empty_table(split_by)
    params: dict = {"as_of": as_of}
    split_sql = None
    if split_by:
        params["none_label"] = NONE_LABEL
        split_sql = first_order_segment_sql(table, split_by)
    history = order_history(con, table, with_customer_id=split_by is not None)
    cells = fetch_df(con, q.cohort_cells_sql(history, period, split_sql), params)
    if cells.empty:
        return _empty_table(split_by)
    return _assemble(cells, period=period, mode=mode, as_of=as_of, segmented=bool(split_by))


def _spread(cells: pd.DataFrame, col: str, idx: np.ndarray, n: int, dtype: type = np.int64) -> np.ndarray:
    """Column `col` of the sparse cells as a dense array over period indexes 0..n-1 (0 where absent)."""
    out = np.zeros(n, dtype=dtype)
    out[idx] = cells[col].to_numpy(dtype=dtype)
    return out


def _assemble(cells: pd.DataFrame, *, period: str, mode: str, as_of: date, segmented: bool) -> pd.DataFrame:
    """Build the full grid (every cohort x period 0..as_of's period) from the sparse SQL cells."""
    asof_key = period_key(as_of, period)
    complete_last = is_complete(asof_key, period, as_of)
    keys = ["segment", "cp"] if segmented else ["cp"]
    frames = []
    for group, c in cells.groupby(keys, sort=True):
        group = group if isinstance(group, tuple) else (group,)
        cp = int(group[-1])
        n_periods = asof_key - cp + 1
        idx = c["k"].to_numpy(dtype=np.int64)
        on, orders, last_counts, rep_counts = (
            _spread(c, col, idx, n_periods) for col in ("active_customers", "orders", "last_here", "repeaters")
        )
        revenue = _spread(c, "revenue", idx, n_periods, float)
        size = int(on[0])  # every customer is active in their acquisition period
        # on_or_after: customers whose last active period index is >= k.
        active = on if mode == "on" else size - np.concatenate([[0], np.cumsum(last_counts)[:-1]])
        complete = np.ones(n_periods, dtype=bool)
        complete[-1] = complete_last
        frame = pd.DataFrame(
            {
                "cohort": period_start(cp, period).isoformat(),
                "period": np.arange(n_periods),
                "cohort_size": size,
                "active_customers": active,
                "orders": orders,
                "revenue": np.round(revenue, 2),
                "cumulative_revenue_per_customer": np.cumsum(revenue) / size,
                "complete": complete,
                "repeat_share": np.cumsum(rep_counts) / size,
            }
        )
        if segmented:
            frame.insert(0, "segment", group[0])
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["retention"] = out["active_customers"] / out["cohort_size"]
    out["retention_low"], out["retention_high"] = wilson_interval(out["active_customers"], out["cohort_size"])
    cols = (["segment"] if segmented else []) + COHORT_COLUMNS
    sort = ["segment", "cohort", "period"] if segmented else ["cohort", "period"]
    return out[cols].sort_values(sort, kind="stable").reset_index(drop=True)


def cohort_average(table: pd.DataFrame) -> pd.DataFrame:
    """The weighted average row per period across cohorts, over COMPLETE cells only.

    Per period: retention = sum(active_customers) / sum(cohort_size) of the cohorts whose cell is
    complete (each customer weighs the same), with its Wilson interval; orders and revenue are sums;
    cumulative_revenue_per_customer and repeat_share are cohort-size weighted averages; `cohorts`
    counts the cohorts pooled. `cohort` is "average". Per segment when the table has one.
    """
    seg = ["segment"] if "segment" in table.columns else []
    cols = seg + COHORT_COLUMNS + ["cohorts"]
    done = table[table["complete"].astype(bool)] if len(table) else table
    if done.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    done = done.assign(
        _cum=done["cumulative_revenue_per_customer"] * done["cohort_size"],
        _rep=done["repeat_share"] * done["cohort_size"],
    )
    g = done.groupby(seg + ["period"], sort=True).agg(
        cohort_size=("cohort_size", "sum"),
        active_customers=("active_customers", "sum"),
        orders=("orders", "sum"),
        revenue=("revenue", "sum"),
        _cum=("_cum", "sum"),
        _rep=("_rep", "sum"),
        cohorts=("cohort", "count"),
    )
    g = g.reset_index()
    g["cohort"] = "average"
    g["retention"] = g["active_customers"] / g["cohort_size"]
    g["retention_low"], g["retention_high"] = wilson_interval(g["active_customers"], g["cohort_size"])
    g["cumulative_revenue_per_customer"] = g["_cum"] / g["cohort_size"]
    g["repeat_share"] = g["_rep"] / g["cohort_size"]
    g["complete"] = True
    return g[cols]


def cohort_matrix(table: pd.DataFrame, metric: str = "retention", *, complete_only: bool = False) -> pd.DataFrame:
    """Pivot for the heatmap: rows cohort (and segment), columns period, values `metric`.

    With `complete_only`, incomplete cells are NaN (the heatmap can grey them out).
    """
    if metric not in table.columns:
        raise UserInputError(f"Unknown cohort metric {metric!r}; use one of: {', '.join(COHORT_COLUMNS[2:])}.")
    data = table
    if complete_only and len(table):
        data = table.assign(**{metric: table[metric].where(table["complete"].astype(bool))})
    index = ["segment", "cohort"] if "segment" in table.columns else "cohort"
    return data.pivot_table(index=index, columns="period", values=metric, aggfunc="first", dropna=False)


def revenue_layer_cake(con, *, period: str = "month", as_of: date | None = None, table: str = "orders") -> pd.DataFrame:
    """Net revenue by acquisition cohort over calendar periods (the stacked "layer cake").

    Columns: `period_start` (ISO date of the calendar period), `cohort` (ISO date of the acquisition
    period), `customers` (active that period), `orders`, `revenue` (net). Sorted by period, cohort.
    """
    check_period(period, COHORT_PERIODS)
    as_of = resolve_as_of(con, table, as_of)
    cols = ["period_start", "cohort", "customers", "orders", "revenue"]
    if as_of is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    cake = fetch_df(con, q.layer_cake_sql(order_history(con, table), period), {"as_of": as_of})
    if cake.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    cake["period_start"] = [period_start(k, period).isoformat() for k in cake["p"]]
    cake["cohort"] = [period_start(k, period).isoformat() for k in cake["cp"]]
    cake["revenue"] = cake["revenue"].round(2)
    return cake[cols].sort_values(["period_start", "cohort"]).reset_index(drop=True)


def cohort_customers(
    con,
    cohort: date | str,
    period: int,
    *,
    cohort_period: str = "month",
    mode: str = "on",
    as_of: date | None = None,
    split_by: str | None = None,
    segment: str | None = None,
    table: str = "orders",
) -> pd.DataFrame:
    """The customers behind one cell of `cohort_table` (for click-to-list in the app).

    `cohort`: a day inside the cohort period (its ISO start, as in the table); `period`: the period
    index. Columns: customer_id, first_order_day, last_order_day, orders_in_period,
    revenue_in_period (net), total_orders, total_revenue (net, up to as_of). With mode
    "on_or_after" the customers active in that period or later.
    """
    check_period(cohort_period, COHORT_PERIODS)
    if mode not in MODES:
        raise UserInputError(f"Unknown cohort mode {mode!r}; use 'on' or 'on_or_after'.")
    _check_split(split_by)
    if (split_by is None) != (segment is None):
        raise UserInputError("cohort_customers needs split_by and segment together (or neither).")
    if isinstance(cohort, str):
        try:
            cohort = date.fromisoformat(cohort[:10])
        except ValueError:
            raise UserInputError(f"cohort takes a date as YYYY-MM-DD, not {cohort!r}.") from None
    as_of = resolve_as_of(con, table, as_of)
    if as_of is None:
        as_of = date(1970, 1, 1)
    params: dict = {
        "end": end_param(as_of),
        "cohort_key": period_key(cohort, cohort_period),
        "k": int(period),
        "mode_on_or_after": mode == "on_or_after",
    }
    seg_sql = None
    if split_by:
        seg_sql = first_order_segment_sql(table, split_by)
        params["segment"] = segment
        params["none_label"] = NONE_LABEL
    return fetch_df(con, q.cell_customers_sql(table, cohort_period, seg_sql), params)
