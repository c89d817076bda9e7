"""Retention KPIs of a shop, beside the benchmark bands of the founding research, and a what-if.

Definitions (orders up to `as_of`, default the last order day; revenue is net):
- customers: distinct customer_id; orders: distinct (customer_id, order_id); revenue: sum of line
  revenue; aov = revenue / orders; orders_per_customer = orders / customers;
- repeat_purchase_rate = customers with 2+ orders / customers; one_time_buyer_share = 1 - it;
- time_between_orders: median days from the 1st to the 2nd order (over customers with a 2nd
  order), 2nd to 3rd, 3rd to 4th (calendar days between order dates);
- repurchase_within[w] = customers whose 2nd order came within w days of the first / customers
  whose first order is at least w days before as_of (younger customers could not yet have done it);
- retention rate of period t = customers active in t-1 who are active in t / customers active in
  t-1 (calendar periods); `retention_rate` is the latest period t that is complete by as_of;
  churn_rate = 1 - retention_rate;
- clv_cac = CLV / CAC, CLV the historical average net revenue per customer unless a predicted
  CLV is passed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pandas as pd

from retention.benchmark_bands import judge_churn_risk_share, judge_clv_cac, judge_repeat_purchase_rate
from retention.cohorts import end_param, resolve_as_of
from retention.errors import UserInputError
from retention.periods import PERIODS, check_period, is_complete, period_key, period_start
from retention.sql import fetch_all, fetch_df, quote_ident
from retention.sql import kpis as q

__all__ = ["compute_kpis", "REPURCHASE_WINDOWS_DAYS"]

REPURCHASE_WINDOWS_DAYS: tuple[int, ...] = (30, 60, 90, 180, 365)
CLV_HISTORICAL = "historical_average_revenue_per_customer"
CLV_PREDICTED = "predicted_clv_given"


@contextmanager
def _order_tables(con, table: str, as_of: date) -> Iterator[tuple[str, str]]:
    """Temp tables (numbered orders, customers) for one computation, dropped afterwards."""
    suffix = uuid.uuid4().hex[:12]
    orders, customers = f"_kpi_orders_{suffix}", f"_kpi_customers_{suffix}"
    try:
        con.execute(q.numbered_orders_sql(table, orders), {"end": end_param(as_of)})
        con.execute(q.customers_sql(orders, customers))
        yield orders, customers
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(orders)}")
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(customers)}")


def _ratio(num, den) -> float | None:
    return None if not den else float(num) / float(den)


def _float(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _retention_series(con, orders: str, period: str, as_of: date) -> list[dict]:
    rows = fetch_all(con, q.retention_series_sql(orders, period), {"as_of_key": period_key(as_of, period)})
    return [
        {
            "period_start": period_start(p, period).isoformat(),
            "customers_prev": int(prev),
            "retained": int(kept),
            "retention_rate": _ratio(kept, prev),
            "complete": is_complete(p, period, as_of),
        }
        for p, prev, kept in rows
    ]


def _month_key(value) -> int:
    try:
        ts = pd.Timestamp(str(value)[:7] + "-01") if isinstance(value, str) else pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UserInputError(f"Marketing spend month {value!r} is not a month; write it as YYYY-MM.") from None
    return ts.year * 12 + ts.month - 1


def _clv_cac(
    con,
    customers: str,
    *,
    cac: float | None,
    marketing_spend: pd.DataFrame | None,
    clv: float | None,
    hist_clv: float | None,
) -> dict | None:
    """CLV:CAC overall and, with marketing spend per month, per acquisition cohort."""
    clv_used = clv if clv is not None else hist_clv
    clv_source = CLV_PREDICTED if clv is not None else CLV_HISTORICAL
    if marketing_spend is not None:
        missing = {"month", "spend"} - set(marketing_spend.columns)
        if missing:
            raise UserInputError(
                f"Marketing spend needs the columns month and spend (missing: {', '.join(sorted(missing))})."
            )
        spend = pd.DataFrame(
            {
                "acq_month": [_month_key(m) for m in marketing_spend["month"]],
                "spend": pd.to_numeric(marketing_spend["spend"], errors="coerce"),
            }
        )
        if spend["spend"].isna().any() or (spend["spend"] < 0).any():
            raise UserInputError("Marketing spend must be a number of 0 or more for every month; fix the spend column.")
        spend = spend.groupby("acq_month", as_index=False)["spend"].sum()
        acq = fetch_df(con, q.acquisition_sql(customers))
        merged = spend.merge(acq, on="acq_month", how="left").fillna({"new_customers": 0, "revenue": 0.0})
        by_cohort = []
        for row in merged.itertuples(index=False):
            n = int(row.new_customers)
            cohort_clv = clv if clv is not None else _ratio(row.revenue, n)
            cohort_cac = _ratio(row.spend, n)
            by_cohort.append(
                {
                    "cohort": period_start(int(row.acq_month), "month").isoformat(),
                    "spend": float(row.spend),
                    "new_customers": n,
                    "cac": cohort_cac,
                    "clv": cohort_clv,
                    "clv_cac": _ratio(cohort_clv, cohort_cac) if cohort_clv is not None and cohort_cac else None,
                }
            )
        total_new = int(merged["new_customers"].sum())
        cac_used = _ratio(merged["spend"].sum(), total_new)
        if clv is None:
            clv_used = _ratio(merged["revenue"].sum(), total_new)
        cac_source = "marketing_spend_per_acquisition_month"
    else:
        if cac is None:
            return None
        by_cohort = None
        cac_used = float(cac)
        cac_source = "given"
    ratio = _ratio(clv_used, cac_used) if clv_used is not None and cac_used else None
    return {
        "ratio": ratio,
        "clv": clv_used,
        "clv_source": clv_source,
        "cac": cac_used,
        "cac_source": cac_source,
        "by_cohort": by_cohort,
    }


def compute_kpis(
    con,
    *,
    period: str = "month",
    cac: float | None = None,
    marketing_spend: pd.DataFrame | None = None,
    clv: float | None = None,
    as_of: date | None = None,
    table: str = "orders",
) -> dict:
    """Every KPI of the module docstring for the orders of `table` up to `as_of`, as a JSON-ready dict.

    - period: calendar period of the retention rate (day, week, month, quarter, year);
    - cac: one customer acquisition cost (shop currency); marketing_spend: a frame (month, spend)
      giving a CAC per acquisition month (spend / new customers of that month); either gives
      `clv_cac` (the ratio) and `clv_cac_detail` (CLV and CAC used, their source, per cohort);
    - clv: a predicted CLV per customer to use instead of the historical average revenue.
    Keys: customers, orders, revenue, aov, orders_per_customer, repeat_purchase_rate,
    one_time_buyer_share, retention_rate, churn_rate, retention_period_start, retention_series,
    time_between_orders, repurchase_within, benchmarks, clv_cac (when a CAC is given), as_of,
    period, notes. Rates are fractions; an empty selection gives zeros and None rates with a note.
    """
    check_period(period, PERIODS)
    if cac is not None and not cac > 0:
        raise UserInputError(f"The customer acquisition cost must be more than 0, not {cac}; give it in shop currency.")
    if clv is not None and not clv >= 0:
        raise UserInputError(f"The CLV must be 0 or more, not {clv}.")
    as_of = resolve_as_of(con, table, as_of)
    notes: list[str] = []
    windows = list(REPURCHASE_WINDOWS_DAYS)
    if as_of is None:
        out = _empty_kpis(period, windows)
        out["notes"] = ["No orders in the selection: widen the date range or remove filters."]
        if cac is not None or marketing_spend is not None:
            out["clv_cac"] = None
            out["clv_cac_detail"] = None
            out["benchmarks"]["clv_cac"] = judge_clv_cac(None)
        return out

    with _order_tables(con, table, as_of) as (orders, customers):
        params: dict = {"as_of": as_of}
        params.update({f"w{i}": w for i, w in enumerate(windows)})
        s = fetch_df(con, q.summary_sql(customers, windows), params).iloc[0]
        series = _retention_series(con, orders, period, as_of)
        n_customers = int(s["customers"]) if not pd.isna(s["customers"]) else 0
        hist_clv = _ratio(s["revenue"], n_customers) if n_customers else None
        clv_cac = _clv_cac(con, customers, cac=cac, marketing_spend=marketing_spend, clv=clv, hist_clv=hist_clv)

    if n_customers == 0:
        out = _empty_kpis(period, windows)
        out["as_of"] = as_of.isoformat()
        out["notes"] = [f"No orders on or before {as_of.isoformat()}: pick a later as-of date."]
        if cac is not None or marketing_spend is not None:
            out["clv_cac"] = None
            out["clv_cac_detail"] = None
            out["benchmarks"]["clv_cac"] = judge_clv_cac(None)
        return out

    n_orders = int(s["orders"])
    revenue = float(s["revenue"])
    repeat_rate = int(s["repeat_customers"]) / n_customers
    complete = [r for r in series if r["complete"] and r["customers_prev"] > 0]
    latest = complete[-1] if complete else None
    if latest is None:
        notes.append(
            f"No complete {period} with customers in the {period} before it yet: the retention rate needs two "
            f"consecutive {period}s of data."
        )
    retention_rate = latest["retention_rate"] if latest else None
    repurchase = {}
    for i, w in enumerate(windows):
        observed, repurchased = int(s[f"observed_{i}"]), int(s[f"repurchased_{i}"])
        repurchase[w] = {
            "rate": _ratio(repurchased, observed),
            "customers_observed": observed,
            "repurchased": repurchased,
        }

    def gap(col: str, count: str) -> dict:
        return {"median_days": _float(s[col]), "customers": int(s[count])}

    out = {
        "as_of": as_of.isoformat(),
        "period": period,
        "customers": n_customers,
        "orders": n_orders,
        "revenue": round(revenue, 2),
        "aov": revenue / n_orders,
        "orders_per_customer": n_orders / n_customers,
        "repeat_purchase_rate": repeat_rate,
        "one_time_buyer_share": 1 - repeat_rate,
        "retention_rate": retention_rate,
        "churn_rate": None if retention_rate is None else 1 - retention_rate,
        "retention_period_start": latest["period_start"] if latest else None,
        "retention_series": series,
        "time_between_orders": {
            "first_to_second": gap("days_1_2", "n_1_2"),
            "second_to_third": gap("days_2_3", "n_2_3"),
            "third_to_fourth": gap("days_3_4", "n_3_4"),
        },
        "repurchase_within": repurchase,
        "average_revenue_per_customer": hist_clv,
        "benchmarks": {
            "repeat_purchase_rate": judge_repeat_purchase_rate(repeat_rate),
            "churn_risk_share": judge_churn_risk_share(None),
        },
        "notes": notes,
    }
    if clv_cac is not None:
        out["clv_cac"] = clv_cac["ratio"]
        out["clv_cac_detail"] = clv_cac
        out["benchmarks"]["clv_cac"] = judge_clv_cac(clv_cac["ratio"])
        if clv_cac["clv_source"] == CLV_HISTORICAL:
            notes.append(
                "CLV:CAC uses the historical average net revenue per customer so far (young customers have not "
                "finished buying); pass a predicted CLV for a forward-looking ratio."
            )
    elif cac is not None or marketing_spend is not None:
        out["clv_cac"] = None
    return out


def _empty_kpis(period: str, windows: list[int]) -> dict:
    return {
        "as_of": None,
        "period": period,
        "customers": 0,
        "orders": 0,
        "revenue": 0.0,
        "aov": None,
        "orders_per_customer": None,
        "repeat_purchase_rate": None,
        "one_time_buyer_share": None,
        "retention_rate": None,
        "churn_rate": None,
        "retention_period_start": None,
        "retention_series": [],
        "time_between_orders": {
            k: {"median_days": None, "customers": 0} for k in ("first_to_second", "second_to_third", "third_to_fourth")
        },
        "repurchase_within": {w: {"rate": None, "customers_observed": 0, "repurchased": 0} for w in windows},
        "average_revenue_per_customer": None,
        "benchmarks": {
            "repeat_purchase_rate": judge_repeat_purchase_rate(None),
            "churn_risk_share": judge_churn_risk_share(None),
        },
        "notes": [],
    }
