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

import os
import re
from datetime import date
from pathlib import Path

import pandas as pd

from retention.benchmark_bands import judge_churn_risk_share, judge_clv_cac, judge_repeat_purchase_rate
from retention.cohorts import resolve_as_of
from retention.errors import UserInputError
from retention.history import order_history
from retention.periods import PERIODS, check_period, is_complete, period_key, period_start
from retention.sql import fetch_df
from retention.sql import kpis as q

__all__ = ["compute_kpis", "what_if", "read_marketing_spend", "parse_amount", "REPURCHASE_WINDOWS_DAYS"]

REPURCHASE_WINDOWS_DAYS: tuple[int, ...] = (30, 60, 90, 180, 365)
CLV_HISTORICAL = "historical_average_revenue_per_customer"
CLV_PREDICTED = "predicted_clv_given"


def _ratio(num, den) -> float | None:
    return None if not den else float(num) / float(den)


def _float(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _retention_series(activity: pd.DataFrame, period: str, as_of: date) -> list[dict]:
    """Per period t after a period with customers: customers active in t-1 and of them active in t."""
    active = dict(zip(activity["p"].astype(int), activity["active_customers"].astype(int), strict=True))
    kept = dict(zip(activity["p"].astype(int), activity["retained_from_prev"].astype(int), strict=True))
    last = period_key(as_of, period)
    series = []
    for prev_p in sorted(active):
        t = prev_p + 1
        if t > last:
            break
        series.append(
            {
                "period_start": period_start(t, period).isoformat(),
                "customers_prev": active[prev_p],
                "retained": kept.get(t, 0),
                "retention_rate": _ratio(kept.get(t, 0), active[prev_p]),
                "complete": is_complete(t, period, as_of),
            }
        )
    return series


def _summary(con, history: str, as_of: date, windows: list[int]) -> dict:
    """The totals of the history up to as_of from summary_sql's rows (one per order number 1..5+):
    customers, orders, revenue (net), repeat_customers, days_<a>_<b> / n_<a>_<b> (median gap and
    customers with that order), observed_<i> / repurchased_<i> per repurchase window."""
    params: dict = {"as_of": as_of}
    params.update({f"w{i}": w for i, w in enumerate(windows)})
    rows = fetch_df(con, q.summary_sql(history, windows), params)
    by_n = {int(r["n"]): r for _, r in rows.iterrows()}

    def count(n: int, col: str = "orders") -> int:
        return int(by_n[n][col]) if n in by_n else 0

    s: dict = {
        "customers": count(1),
        "orders": int(rows["orders"].sum()) if len(rows) else 0,
        "revenue": float(rows["total_revenue"].iloc[0]) if len(rows) else None,
        "repeat_customers": count(2),
    }
    for n, name in ((2, "1_2"), (3, "2_3"), (4, "3_4")):
        s[f"days_{name}"] = by_n[n]["gap_days"] if n in by_n else None
        s[f"n_{name}"] = count(n)
    for i, _w in enumerate(windows):
        s[f"observed_{i}"] = count(1, f"window_{i}")
        s[f"repurchased_{i}"] = count(2, f"window_{i}")
    return s


def _month_key(value) -> int:
    try:
        ts = pd.Timestamp(str(value)[:7] + "-01") if isinstance(value, str) else pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UserInputError(f"Marketing spend month {value!r} is not a month; write it as YYYY-MM.") from None
    return ts.year * 12 + ts.month - 1


def _clv_cac(
    con,
    history: str,
    as_of: date,
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
        acq = fetch_df(con, q.acquisition_sql(history), {"as_of": as_of})
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

    history = order_history(con, table)
    s = _summary(con, history, as_of, windows)
    series = _retention_series(fetch_df(con, q.activity_sql(history, period), {"as_of": as_of}), period, as_of)
    n_customers = s["customers"]
    hist_clv = _ratio(s["revenue"], n_customers) if n_customers else None
    clv_cac = _clv_cac(con, history, as_of, cac=cac, marketing_spend=marketing_spend, clv=clv, hist_clv=hist_clv)

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


WHAT_IF_HORIZON_MONTHS = 12


def what_if(
    con,
    *,
    repeat_rate_points: float = 0.0,
    retention_rate_points: float = 0.0,
    as_of: date | None = None,
    table: str = "orders",
) -> dict:
    """What N more points of repeat rate, or of monthly retention, would bring over the next 12 months.

    Points are percentage points: `repeat_rate_points=5` takes a 22% repeat rate to 27%. Every input
    comes from the shop's own orders; the window is the last (up to) 12 complete calendar months
    before `as_of`.

    Repeat-rate scenario (more first-time buyers come back within a year):
        N  = new customers per month (window average)
        V  = net revenue of the repeat orders placed within 365 days of the first order, per customer
             who made one (over customers whose first order is at least 365 days before as_of;
             if there are none, over all repeat customers with all their repeat orders)
        extra returning customers per month = d * N                (d = points / 100)
        extra revenue over 12 months        = d * N * 12 * V
    i.e. each month's new customers include d * N more who come back, each bringing V.

    Retention-rate scenario (more of last month's buyers buy again this month):
        A  = active customers per month (window average), r = monthly retention rate (pooled over
             the window: retained / customers active the month before), M = net revenue per active
             customer per month (window revenue / window active customer-months)
        extra active customers, month t:  D_t = (r + d) * D_(t-1) + d * A,   D_0 = 0
        extra revenue over 12 months     = M * (D_1 + ... + D_12)
    i.e. every month d * A more customers are kept, and those kept keep returning at the new rate.
    Baseline revenue: net revenue of the window scaled to 12 months. Both scenarios assume the
    shop otherwise goes on as in the window (same acquisition, order values and seasonality).
    """
    for name, pts in (("repeat_rate_points", repeat_rate_points), ("retention_rate_points", retention_rate_points)):
        if not -100 <= pts <= 100:
            raise UserInputError(f"{name} is in percentage points between -100 and 100 (5 means +5 points), not {pts}.")
    as_of = resolve_as_of(con, table, as_of)
    result: dict = {
        "as_of": None if as_of is None else as_of.isoformat(),
        "horizon_months": WHAT_IF_HORIZON_MONTHS,
        "repeat_rate_points": repeat_rate_points,
        "retention_rate_points": retention_rate_points,
        "window": None,
        "inputs": {},
        "baseline_revenue_12m": None,
        "repeat_rate_scenario": None,
        "retention_rate_scenario": None,
        "notes": [],
    }
    if as_of is None:
        result["notes"].append("No orders in the selection: widen the date range or remove filters.")
        return result
    history = order_history(con, table)
    monthly = fetch_df(con, q.activity_sql(history, "month"), {"as_of": as_of})
    first_year = fetch_df(con, q.first_year_repeat_sql(history), {"as_of": as_of}).iloc[0]
    totals = _summary(con, history, as_of, [])
    series = pd.DataFrame(_retention_series(monthly, "month", as_of))

    last_complete = period_key(as_of, "month") - (0 if is_complete(period_key(as_of, "month"), "month", as_of) else 1)
    window = monthly[(monthly["p"] <= last_complete) & (monthly["p"] > last_complete - WHAT_IF_HORIZON_MONTHS)]
    if window.empty:
        result["notes"].append("No complete month of orders yet: the what-if needs at least one whole month.")
        return result
    months = len(window)
    first_p, last_p = int(window["p"].min()), int(window["p"].max())
    result["window"] = {
        "from": period_start(first_p, "month").isoformat(),
        "to": period_start(last_p + 1, "month").isoformat(),
        "months": months,
    }
    if months < WHAT_IF_HORIZON_MONTHS:
        result["notes"].append(f"Only {months} complete month(s) of history: the averages are rough.")
    new_per_month = float(window["new_customers"].sum()) / months
    active_per_month = float(window["active_customers"].sum()) / months
    revenue_per_active = _ratio(window["revenue"].sum(), window["active_customers"].sum())
    result["baseline_revenue_12m"] = float(window["revenue"].sum()) / months * WHAT_IF_HORIZON_MONTHS

    if int(first_year["observed"] or 0) > 0 and int(first_year["repeaters"] or 0) > 0:
        value_per_returner = float(first_year["repeat_revenue"]) / int(first_year["repeaters"])
        first_year_rate = int(first_year["repeaters"]) / int(first_year["observed"])
        v_basis = "first_year_repeat_revenue_per_returning_customer"
    else:
        repeaters = int(totals["repeat_customers"] or 0)
        repeat_rev = float(monthly["repeat_revenue"].sum())
        value_per_returner = _ratio(repeat_rev, repeaters)
        first_year_rate = None
        v_basis = "all_repeat_revenue_per_returning_customer"
        result["notes"].append(
            "No customer has a full year of history: the value of a returning customer uses all their repeat orders."
        )
    if not series.empty:
        sw = series[
            series["complete"]
            & (series["period_start"] >= result["window"]["from"])
            & (series["period_start"] < result["window"]["to"])
        ]
    else:
        sw = series
    monthly_retention = _ratio(sw["retained"].sum(), sw["customers_prev"].sum()) if len(sw) else None
    result["inputs"] = {
        "new_customers_per_month": new_per_month,
        "active_customers_per_month": active_per_month,
        "monthly_retention_rate": monthly_retention,
        "revenue_per_active_customer_month": revenue_per_active,
        "first_year_repeat_rate": first_year_rate,
        "repeat_revenue_per_returning_customer": value_per_returner,
        "repeat_revenue_basis": v_basis,
    }

    d = repeat_rate_points / 100.0
    if value_per_returner is not None:
        result["repeat_rate_scenario"] = {
            "extra_returning_customers_per_month": d * new_per_month,
            "extra_revenue_12m": d * new_per_month * WHAT_IF_HORIZON_MONTHS * value_per_returner,
            "lift_share": _ratio(
                d * new_per_month * WHAT_IF_HORIZON_MONTHS * value_per_returner, result["baseline_revenue_12m"]
            ),
        }
    else:
        result["notes"].append("No repeat customers yet: the repeat-rate scenario needs at least one.")

    d = retention_rate_points / 100.0
    if monthly_retention is not None and revenue_per_active is not None:
        extra, extra_by_month = 0.0, []
        for _ in range(WHAT_IF_HORIZON_MONTHS):
            extra = (monthly_retention + d) * extra + d * active_per_month
            extra_by_month.append(extra)
        extra_revenue = revenue_per_active * sum(extra_by_month)
        result["retention_rate_scenario"] = {
            "new_monthly_retention_rate": min(max(monthly_retention + d, 0.0), 1.0),
            "extra_returning_customers_per_month": sum(extra_by_month) / WHAT_IF_HORIZON_MONTHS,
            "extra_returning_customers_month_12": extra_by_month[-1],
            "extra_revenue_12m": extra_revenue,
            "lift_share": _ratio(extra_revenue, result["baseline_revenue_12m"]),
        }
    else:
        result["notes"].append("No complete month after another one yet: the retention scenario needs two.")
    return result


# Header names of the marketing spend file, English and Italian, compared trimmed and lower-case
# ("Mese", " SPESA ", "Spesa (€)" and "spesa marketing" all count).
SPEND_MONTH_HEADERS = ("month", "mese")
SPEND_AMOUNT_HEADERS = ("spend", "spesa", "costo", "budget", "importo")

_MONTH_NAMES = {
    name: i + 1
    for names in (
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"),
        ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
        ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
         "novembre", "dicembre"),
    )
    for i, name in enumerate(names)
}
# Around an amount: spaces (also no-break and narrow ones), apostrophes ("1'234.50"), a currency
# symbol or a currency code at either end ("EUR 12", "12,50 EUR"): the rule of the ingester's SQL
# amount reader (`retention.sql.ingest.number_text_expr`) for one value in Python, with only the
# codes of the shops' currencies, so that "12 abc" is no amount rather than 12.
_AMOUNT_NOISE = re.compile(
    "[\\s\u00a0\u202f'\u2019]|[\u20ac$\u00a3\u00a5]|^(EUR|USD|GBP|CHF)|(EUR|USD|GBP|CHF)$", re.IGNORECASE
)
_AMOUNT_SHAPE = re.compile(r"[-+]?[0-9]+([.,][0-9]+)*")
_MONTH_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_NAMED_MONTH = re.compile(r"([^\W\d_]+)\.?[\s\-/.]*(\d{4})")
_TIME_OF_DAY = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2})?$")


def parse_amount(text: str, *, comma_decimal: bool = False) -> float | None:
    """An amount written by a person, as a float; None when the text is not one amount.

    Read the way a person reads it: with both separators the last one is the decimal
    ("1.234,56" and "1,234.56" are both 1234.56); several groups of three digits are thousands
    ("1.234.567"); one separator followed by exactly three digits is ambiguous ("1.000") and
    follows `comma_decimal` (True: an Italian thousands dot, one thousand; False: a decimal point,
    one); any other single separator is the decimal ("250,5" and "250.50"). Currency symbols,
    codes and spaces around or inside the digits ("€ 1.234,56", "1 234,56 EUR") are dropped; any
    other text ("abc", "10 (was 15)", "3 x 4") makes it no amount.
    """
    t = _AMOUNT_NOISE.sub("", str(text).strip())
    if not _AMOUNT_SHAPE.fullmatch(t):
        return None
    if "," in t and "." in t:
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    elif re.fullmatch(r"[-+]?[0-9]{1,3}([.,][0-9]{3}){2,}", t):
        t = t.replace(".", "").replace(",", "")
    elif re.fullmatch(r"[-+]?[0-9]{1,3}[.,][0-9]{3}", t):
        t = t.replace(".", "").replace(",", ".") if comma_decimal else t.replace(",", "")
    elif t.count(",") + t.count(".") > 1:
        return None  # "1.2.3": no reading a person would agree on
    else:
        t = t.replace(",", ".")
    return float(t)


def _spend_month(text: str, day_first: bool) -> str | None:
    """'YYYY-MM' of a month written as 2024-01, 2024-01-31, 01/2024, 1/2024, 31/01/2024, gen 2024
    or January 2024; None when it is not a month."""
    t = _TIME_OF_DAY.sub("", text.strip()).strip()
    if m := _MONTH_ISO.fullmatch(t):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _MONTH_YEAR.fullmatch(t):
        year, month = int(m.group(2)), int(m.group(1))
    elif m := _DAY_MONTH_YEAR.fullmatch(t):
        first, second = int(m.group(1)), int(m.group(2))
        month = second if (day_first or first > 12) and second <= 12 else first
        year = int(m.group(3))
    elif (m := _NAMED_MONTH.fullmatch(t)) and m.group(1).lower() in _MONTH_NAMES:
        year, month = int(m.group(2)), _MONTH_NAMES[m.group(1).lower()]
    else:
        return None
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        return None
    return f"{year:04d}-{month:02d}"


def _spend_header(name: str) -> str:
    """A header cell compared the way a person reads it: trimmed, lower-case, without quotes,
    a currency note in brackets or a currency symbol ("Spesa (€)" -> "spesa")."""
    t = re.sub(r"\(.*?\)|\[.*?\]|[\u20ac$\u00a3\"']", " ", name).strip().lower()
    return " ".join(t.split())


def _spend_column(headers: list[str], names: tuple[str, ...]) -> int | None:
    """The column whose header is one of `names`, or starts with one ("spesa marketing")."""
    for exact in (True, False):
        for i, h in enumerate(headers):
            if h in names or (not exact and h.split(" ")[0] in names):
                return i
    return None


def _spend_text(data: bytes, name: str) -> str:
    """The file's text: UTF-8 (with or without the BOM Excel writes), else Windows-1252 (what an
    Italian Excel saves as "CSV (separato da un separatore di elenco)")."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserInputError(
        f"The marketing spend file {name} is not a text file; save it from the spreadsheet as CSV.",
        code="spend_not_text",
        file=name,
    )


def read_marketing_spend(source: str | os.PathLike | bytes, *, name: str | None = None) -> pd.DataFrame:
    """Marketing spend per month from a CSV a person wrote, for `compute_kpis(marketing_spend=)`.

    `source`: a path, or the file's bytes (an upload; `name` its file name for the messages).
    The file has a header row with a month column (`month` or `mese`) and a spend column
    (`spend`, `spesa`, `costo`, `budget` or `importo`), in any case, other columns ignored;
    separated by `,` `;` or tab (also after Excel's `sep=;` first line); UTF-8 with or without
    BOM, or Windows-1252. Months: 2024-01, 2024-01-01, 01/2024, 1/2024, 31/01/2024 (day first
    unless a day above 12 says otherwise), gen 2024. Amounts in shop currency as `parse_amount`
    reads them, "1.000" by the file's own convention (a thousands dot when its amounts write
    decimals with a comma, or it is `;`-separated or has Italian headers: Italian Excel).
    Returns a frame of `month` ('YYYY-MM') and `spend` (float, 0 or more), one row per data
    row in file order (rows of one month add up in compute_kpis). Bad input raises
    UserInputError naming the row by the spreadsheet's row number (the header is row 1).
    """
    import csv

    from retention.ingest.cleaning import decide_comma_decimal, decide_day_first

    if isinstance(source, (bytes, bytearray, memoryview)):
        name, data = name or "you uploaded", bytes(source)
    else:
        name = name or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise UserInputError(
                f"Cannot read the marketing spend file {name} ({exc.strerror or exc}); check the path.",
                code="spend_unreadable",
                file=name,
            ) from None
    text = _spend_text(data, name)
    lines = text.splitlines()
    sep = None
    if lines and re.fullmatch(r"\s*sep=(.)\s*", lines[0]):
        sep = lines[0].strip()[4]
        lines = lines[1:]
    body = [(i + 1 + (sep is not None), line) for i, line in enumerate(lines)]
    body = [(n, line) for n, line in body if line.strip().strip(",;\t")]
    if not body:
        raise UserInputError(
            f"The marketing spend file {name} is empty; write a header (month,spend) and one row per month.",
            code="spend_empty",
            file=name,
        )
    header_row, header_line = body[0]
    if sep is None:
        # the separator that splits the header into a month and a spend column
        for candidate in ("\t", ";", ","):
            cells = [_spend_header(c) for c in next(csv.reader([header_line], delimiter=candidate))]
            if _spend_column(cells, SPEND_MONTH_HEADERS) is not None and (
                _spend_column(cells, SPEND_AMOUNT_HEADERS) is not None
            ):
                sep = candidate
                break
    headers = [_spend_header(c) for c in next(csv.reader([header_line], delimiter=sep or ","))]
    month_col = _spend_column(headers, SPEND_MONTH_HEADERS)
    spend_col = _spend_column(headers, SPEND_AMOUNT_HEADERS)
    if sep is None or month_col is None or spend_col is None:
        raise UserInputError(
            f"The marketing spend file {name} needs a header row with a month column (month or mese) and a spend "
            f"column (spend, spesa, costo, budget or importo); its first row is {header_line.strip()[:80]!r}.",
            code="spend_columns",
            file=name,
            header=header_line.strip()[:80],
        )
    rows = []
    for row_number, line in body[1:]:
        cells = next(csv.reader([line], delimiter=sep))
        cells += [""] * (max(month_col, spend_col) + 1 - len(cells))
        rows.append((row_number, cells[month_col].strip(), cells[spend_col].strip()))
    if not rows:
        raise UserInputError(
            f"The marketing spend file {name} has a header but no months; add one row per month under it.",
            code="spend_no_rows",
            file=name,
        )
    italian = sep == ";" or any(h.split(" ")[0] in ("mese", "spesa", "costo", "importo") for h in headers)
    comma_decimal = decide_comma_decimal([a for _, _, a in rows], default=italian)
    day_first, _ = decide_day_first([m for _, m, _ in rows], default=True)
    months, spends = [], []
    for row_number, month_text, amount_text in rows:
        month = _spend_month(month_text, day_first)
        if month is None:
            raise UserInputError(
                f"Row {row_number} of the marketing spend file: {month_text!r} is not a month; write it as 2024-01 "
                "or 01/2024.",
                code="spend_bad_month",
                row=row_number,
                value=month_text,
            )
        if not amount_text:
            raise UserInputError(
                f"Row {row_number} of the marketing spend file has no spend for {month_text}; write 0 for a month "
                "without spend.",
                code="spend_no_amount",
                row=row_number,
                value=month_text,
            )
        amount = parse_amount(amount_text, comma_decimal=comma_decimal)
        if amount is None:
            raise UserInputError(
                f"Row {row_number} of the marketing spend file: {amount_text!r} is not an amount; write it like "
                "1234.56 or 1.234,56.",
                code="spend_bad_amount",
                row=row_number,
                value=amount_text,
            )
        if amount < 0:
            raise UserInputError(
                f"Row {row_number} of the marketing spend file: the spend {amount_text!r} is below 0; give what was "
                "spent in the month, 0 or more.",
                code="spend_negative",
                row=row_number,
                value=amount_text,
            )
        months.append(month)
        spends.append(amount)
    return pd.DataFrame({"month": months, "spend": spends})
