"""Customer lifetime value: the customer summary, the fitted models, predictions and a backtest.

Time is in days throughout; a month is 30.4375 days (365.25 / 12). Money is net revenue in the
shop currency. The purchase model (BG/NBD or MBG/NBD) and the spend model (Gamma-Gamma) are fitted
on the distinct (frequency, recency, T) rows of the summary with counts as weights, and scores are
computed per distinct row and mapped back to the customers: the cost depends on how many distinct
histories there are, not on how many customers.

Predicted CLV over H months (`predicted_clv`), with margin g and annual discount rate D:

    d = (1 + D)^(1/12) - 1                         (the equivalent monthly rate)
    CLV_H = g * E[M | x, m_x] * sum_{m=1..H} (E[Y(m M) | x, t_x, T] - E[Y((m-1) M) | x, t_x, T]) / (1 + d)^m

with M = 30.4375 days: expected purchases of each future month are discounted at the end of that
month (discrete monthly discounting, as in Fader, Hardie and Lee 2005 "RFM and CLV", section 5,
which discounts continuously; monthly steps are what a marketer's spreadsheet does).
`historical_clv` is g times net revenue to date, undiscounted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from retention.errors import ModelFitError, UserInputError
from retention.i18n import format_date, format_number, format_percent, strings, t
from retention.models import BetaGeoModel, GammaGammaModel, ModifiedBetaGeoModel, frequency_spend_correlation
from retention.models.bgnbd import _BetaGeoFamily
from retention.sql import table_exists
from retention.sql.clv import (
    query_customer_summary,
    query_customer_summary_arrow,
    query_first_order_date,
    query_holdout_activity,
    query_last_order_date,
)

DAYS_PER_MONTH = 30.4375
DAYS_PER_WEEK = 7.0
TIME_UNIT_DAYS = {"day": 1.0, "week": DAYS_PER_WEEK}
PURCHASE_MODELS: dict[str, type[_BetaGeoFamily]] = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel}
CLV_HORIZONS_MONTHS = (3, 6, 12, 24)
SUMMARY_COLUMNS = (
    "customer_id",
    "orders",
    "revenue",
    "first_order",
    "last_order",
    "frequency",
    "recency",
    "T",
    "monetary_value",
)
_NUMERIC_SUMMARY = ("orders", "revenue", "frequency", "recency", "T", "monetary_value")
VALUE_COLUMNS = ("p_alive", "expected_purchases", "expected_spend_per_order", "predicted_clv", "historical_clv")


@dataclass
class FitStatus:
    """Whether the models could be fitted, and in plain words why not, plus warnings."""

    purchase_ok: bool
    spend_ok: bool
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    # the reasons and warnings as data ({"code": ..., values}): `fit_status_text` says them in a language
    notes: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.purchase_ok and self.spend_ok

    def to_dict(self) -> dict:
        return {
            "purchase_ok": self.purchase_ok,
            "spend_ok": self.spend_ok,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "notes": [dict(n) for n in self.notes],
        }


@dataclass
class FittedModels:
    """The result of `fit_models`: models (None when they could not be fitted) and the status."""

    purchase: _BetaGeoFamily | None
    spend: GammaGammaModel | None
    status: FitStatus
    spend_correlation: float = float("nan")


def _check_orders(con, table: str) -> None:
    if not table_exists(con, table):
        raise UserInputError(f"there is no table {table!r}: load order files first")
    if query_last_order_date(con, table) is None:
        raise UserInputError("there are no orders to analyse: load a file with at least one dated order")


def customer_summary(
    con,
    *,
    observation_end: date | None = None,
    calibration_end: date | None = None,
    table: str = "orders",
) -> pd.DataFrame:
    """One row per customer, from the orders up to the end of observation (SQL in DuckDB).

    The end is `calibration_end` when given (the summary of the calibration period of a
    backtest), else `observation_end`, else the date of the last order; orders on the end date
    count. Columns: customer_id, orders (distinct order ids), revenue (net, to the end),
    first_order, last_order (dates), frequency (days with a purchase - 1), recency (days from
    first to last purchase), T (days from first purchase to the end), monetary_value (mean net
    value of the repeat customer-days, 0 without repeats). Customer-days are the unit.
    """
    _check_orders(con, table)
    end = _resolve_end(con, table, observation_end=observation_end, calibration_end=calibration_end)
    return query_customer_summary(con, end_date=end, table=table)


def _resolve_end(con, table: str, *, observation_end: date | None, calibration_end: date | None) -> date:
    first, last = query_first_order_date(con, table), query_last_order_date(con, table)
    end = calibration_end or observation_end or last
    if end < first:
        option = "the calibration end" if calibration_end else "the observation end"
        raise UserInputError(f"{option} {end} is before the first order ({first}): choose a later date")
    if calibration_end is not None and calibration_end >= last:
        raise UserInputError(
            f"the calibration end {calibration_end} leaves no orders to test against (the last order is on "
            f"{last}): choose an earlier date"
        )
    return end


def purchase_triples(summary: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct (frequency, recency, T) rows with their count as `weight`, and each
    customer's row number in it (to map scores back).

    Triples come in the order of their first customer (the fit sums over them in that order, so
    customers ordered by id give the same parameters to the last bit on every path).
    """
    x, r, t = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    n_r = n_t = 0
    if len(x) and all(np.issubdtype(a.dtype, np.integer) for a in (x, r, t)):
        lows = min(int(a.min()) for a in (x, r, t))
        n_x, n_r, n_t = (int(a.max()) + 1 for a in (x, r, t))
        if lows < 0 or float(n_x) * n_r * n_t >= 2.0**62:
            n_r = n_t = 0
    if n_r:
        # whole days (the summary's case): one integer key and one hash pass instead of four
        codes, uniques = pd.factorize((x.astype(np.int64) * n_r + r) * n_t + t)
        uniques = np.asarray(uniques)
        u_x, u_r, u_t = uniques // (n_r * n_t), (uniques // n_t) % n_r, uniques % n_t
    else:
        # three 1-D factorizations combined into one integer key (hashing a MultiIndex is slow)
        c_x, v_x = pd.factorize(x)
        c_r, v_r = pd.factorize(r)
        c_t, v_t = pd.factorize(t)
        codes, uniques = pd.factorize((c_x.astype(np.int64) * len(v_r) + c_r) * len(v_t) + c_t)
        uniques = np.asarray(uniques)
        u_x = np.asarray(v_x)[uniques // (len(v_r) * len(v_t))]
        u_r = np.asarray(v_r)[(uniques // len(v_t)) % len(v_r)]
        u_t = np.asarray(v_t)[uniques % len(v_t)]
    triples = pd.DataFrame(
        {
            "frequency": np.asarray(u_x, dtype=np.float64),
            "recency": np.asarray(u_r, dtype=np.float64),
            "T": np.asarray(u_t, dtype=np.float64),
            "weight": np.bincount(codes, minlength=len(uniques)).astype(np.float64),
        },
        copy=False,  # the arrays are new: no need to copy them into one block
    )
    return triples, codes


def fit_models(summary: pd.DataFrame, *, model: str = "bgnbd", triples: pd.DataFrame | None = None) -> FittedModels:
    """Fit the purchase model (`bgnbd` or `mbgnbd`) and the Gamma-Gamma spend model.

    Never raises on data that cannot be fitted: the model is None and `status.reason` says why
    (for example: too few repeat customers, so only historical CLV is shown). Warns in
    `status.warnings` when frequency and spend are correlated (the Gamma-Gamma assumption).
    """
    if model not in PURCHASE_MODELS:
        raise UserInputError(f"unknown purchase model {model!r}: choose one of {', '.join(PURCHASE_MODELS)}")
    if triples is None:
        triples, _codes = purchase_triples(summary)
    reasons: list[str] = []
    notes: list[dict] = []
    purchase: _BetaGeoFamily | None = None
    spend: GammaGammaModel | None = None
    try:
        purchase = PURCHASE_MODELS[model]().fit(triples)
    except ModelFitError as exc:
        reasons.append(str(exc))
        notes.append({"code": exc.code or "fit_failed", "message": str(exc), **exc.values})
    try:
        spend = GammaGammaModel().fit(summary)
    except ModelFitError as exc:
        reasons.append(str(exc))
        notes.append({"code": exc.code or "fit_failed", "message": str(exc), **exc.values})
    corr, warning = frequency_spend_correlation(summary)
    status = FitStatus(
        purchase_ok=purchase is not None,
        spend_ok=spend is not None,
        reason="; ".join(reasons) or None,
        warnings=[warning] if warning else [],
        notes=notes,
    )
    if warning:
        status.notes.append({"code": "spend_correlated", "message": warning, "corr": corr})
    if purchase is not None and purchase.penalised_:
        status.warnings.append("the purchase model needed a small penalty to converge: treat its predictions as rough")
        status.notes.append({"code": "penalised", "message": status.warnings[-1]})
    return FittedModels(purchase=purchase, spend=spend, status=status, spend_correlation=corr)


def monthly_discount_rate(annual_discount_rate: float) -> float:
    """The monthly rate equivalent to an annual one: (1 + D)^(1/12) - 1."""
    return (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0


def prob_no_purchase(model: _BetaGeoFamily, summary: pd.DataFrame, days: float) -> np.ndarray:
    """P(no purchase in the next `days` days) per customer of a day-unit summary."""
    return model.probability_no_purchase(
        float(days), summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy()
    )


def _check_value_options(horizon_months: int, margin: float, annual_discount_rate: float) -> None:
    if not isinstance(horizon_months, (int, np.integer)) or horizon_months < 1 or horizon_months > 120:
        raise UserInputError(f"the horizon must be a whole number of months from 1 to 120, not {horizon_months!r}")
    if not np.isfinite(margin) or margin <= 0 or margin > 1:
        raise UserInputError(f"the margin must be a share between 0 and 1 (for example 0.3), not {margin!r}")
    if not np.isfinite(annual_discount_rate) or annual_discount_rate < 0 or annual_discount_rate >= 1:
        raise UserInputError(
            f"the annual discount rate must be between 0 and 1 (for example 0.1), not {annual_discount_rate!r}"
        )


def score_customers(
    summary: pd.DataFrame,
    models: FittedModels,
    *,
    horizon_months: int = 12,
    margin: float = 1.0,
    annual_discount_rate: float = 0.1,
    codes: np.ndarray | None = None,
    triples: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Add p_alive, expected_purchases, expected_spend_per_order, predicted_clv, historical_clv.

    `summary` is in days. Purchase scores are computed once per distinct (frequency, recency, T)
    row and mapped back. Columns a model could not provide are NaN.
    """
    _check_value_options(horizon_months, margin, annual_discount_rate)
    out = summary.copy(deep=False)  # copy-on-write: columns are added, the summary is not changed
    n = len(out)
    out["historical_clv"] = out["revenue"].to_numpy(dtype=np.float64) * margin
    p_alive = np.full(n, np.nan)
    expected = np.full(n, np.nan)
    discounted = np.full(n, np.nan)
    if models.purchase is not None and n:
        if triples is None or codes is None:
            triples, codes = purchase_triples(summary)
        x, t_x, T = (triples[c].to_numpy() for c in ("frequency", "recency", "T"))
        model = models.purchase
        p_alive = model.probability_alive(x, t_x, T)[codes]
        expected = model.conditional_expected_purchases(horizon_months * DAYS_PER_MONTH, x, t_x, T)[codes]
        discounted = model.discounted_expected_purchases(
            x,
            t_x,
            T,
            period=DAYS_PER_MONTH,
            n_periods=horizon_months,
            discount_per_period=monthly_discount_rate(annual_discount_rate),
        )[codes]
    spend = np.full(n, np.nan)
    if models.spend is not None and n:
        spend = models.spend.conditional_expected_spend(
            out["frequency"].to_numpy(dtype=np.float64), out["monetary_value"].to_numpy(dtype=np.float64)
        )
    out["p_alive"] = p_alive
    out["expected_purchases"] = expected
    out["expected_spend_per_order"] = spend
    out["predicted_clv"] = margin * spend * discounted
    # historical value last, next to the predicted one it is compared with
    out["historical_clv"] = out.pop("historical_clv")
    return out


def _fit_and_score(
    summary: pd.DataFrame, *, horizon_months: int, margin: float, annual_discount_rate: float, model: str
) -> tuple[pd.DataFrame, FittedModels]:
    """Fit the models on the distinct purchase triples of `summary` and score every customer."""
    triples, codes = purchase_triples(summary)
    models = fit_models(summary, model=model, triples=triples)
    scored = score_customers(
        summary,
        models,
        horizon_months=horizon_months,
        margin=margin,
        annual_discount_rate=annual_discount_rate,
        codes=codes,
        triples=triples,
    )
    return scored, models


def customer_value_table(
    con,
    *,
    horizon_months: int = 12,
    margin: float = 1.0,
    annual_discount_rate: float = 0.1,
    table: str = "orders",
    observation_end: date | None = None,
    model: str = "bgnbd",
    prepared: bool = False,
) -> pd.DataFrame:
    """One row per customer: the summary, contact fields, and predicted and historical value.

    Columns: customer_id, orders, revenue (net), first_order, last_order, frequency, recency, T
    (days), monetary_value, email, phone, first_name, last_name, country, city, zip,
    accepts_marketing (from the customer's most recent order that has each), p_alive,
    expected_purchases (next `horizon_months` months), expected_spend_per_order (net),
    predicted_clv (over the horizon, times `margin`, discounted monthly at the monthly equivalent
    of `annual_discount_rate`), historical_clv (net revenue to date times `margin`).

    When the models cannot be fitted (too few repeat customers) the predicted columns are NaN and
    `table.attrs["fit_status"]` (a `FitStatus.to_dict()`) says why; it never raises for that.
    `prepared`: order rows from `retention.sql.segments.create_prepared_order_rows`' temp table.
    """
    _check_value_options(horizon_months, margin, annual_discount_rate)
    _check_orders(con, table)
    end = _resolve_end(con, table, observation_end=observation_end, calibration_end=None)
    summary = query_customer_summary(con, end_date=end, table=table, with_contacts=True, prepared=prepared)
    scored, models = _fit_and_score(
        summary, horizon_months=horizon_months, margin=margin, annual_discount_rate=annual_discount_rate, model=model
    )
    scored = scored.take(_most_valuable_first(scored)).reset_index(drop=True)
    scored.attrs["fit_status"] = models.status.to_dict()
    scored.attrs["observation_end"] = end.isoformat()
    return scored


def _most_valuable_first(scored: pd.DataFrame) -> np.ndarray:
    """Row order: predicted CLV descending (missing last), then historical CLV descending.

    The SQL returns customers by customer_id and the sort is stable, so ties keep that order run to
    run; numeric keys only (sorting by the text id costs more than the fit).
    """
    predicted = scored["predicted_clv"].to_numpy(dtype=np.float64)
    historical = scored["historical_clv"].to_numpy(dtype=np.float64)
    return np.lexsort((-historical, np.where(np.isnan(predicted), np.inf, -predicted)))


def customer_summary_rows(con, *, observation_end: date | None = None, table: str = "orders") -> pa.Table:
    """The customer summary (columns SUMMARY_COLUMNS, ordered by customer_id) as an Arrow table.

    The rows of `customer_value_table` before scoring, without contact fields: the command line's
    path at millions of customers. The text ids and dates stay in Arrow buffers and never become
    Python objects (at 10M order lines, 2.5M customers, that saved about 2 s out of DuckDB and more
    on the way back in for the CSV). Schema metadata `observation_end`: the end used (ISO date).
    """
    _check_orders(con, table)
    end = _resolve_end(con, table, observation_end=observation_end, calibration_end=None)
    rows = query_customer_summary_arrow(con, end_date=end, table=table).select(list(SUMMARY_COLUMNS))
    return rows.replace_schema_metadata({"observation_end": end.isoformat()})


def customer_values(
    rows: pa.Table,
    *,
    horizon_months: int = 12,
    margin: float = 1.0,
    annual_discount_rate: float = 0.1,
    model: str = "bgnbd",
) -> pa.Table:
    """`rows` (from `customer_summary_rows`) with VALUE_COLUMNS added, in the same order (by id).

    The numbers are those of `customer_value_table` to the last bit: the same summary rows in the
    same order go through the same fit and scoring. Missing predictions (no fit) are nulls. Rows
    are not sorted by value here: `retention.sql.clv.write_customer_values_csv` writes them most
    valuable first, as `customer_value_table` orders them. Schema metadata: `observation_end` and
    `fit_status` (JSON of `FitStatus.to_dict()`).
    """
    _check_value_options(horizon_months, margin, annual_discount_rate)
    # copy=False: one block per column as they come from Arrow (stacking them took 0.5 s at 2.5M rows)
    numbers = pd.DataFrame({c: rows.column(c).to_numpy() for c in _NUMERIC_SUMMARY}, copy=False)
    scored, models = _fit_and_score(
        numbers, horizon_months=horizon_months, margin=margin, annual_discount_rate=annual_discount_rate, model=model
    )
    del numbers
    out = rows
    for column in VALUE_COLUMNS:
        out = out.append_column(column, pa.array(scored[column].to_numpy(dtype=np.float64), from_pandas=True))
    metadata = dict(rows.schema.metadata or {})
    metadata[b"fit_status"] = json.dumps(models.status.to_dict()).encode()
    return out.replace_schema_metadata(metadata)


# ------------------------------------------------------------------------------------- fit report
BACKTEST_BUCKETS = 7  # past repeat purchases 0..6, then "7+": the calibration/holdout chart of FHL 2005


def _time_unit_days(time_unit: str) -> float:
    if time_unit not in TIME_UNIT_DAYS:
        raise UserInputError(f"the time unit must be one of {', '.join(TIME_UNIT_DAYS)}, not {time_unit!r}")
    return TIME_UNIT_DAYS[time_unit]


def purchase_model_report(model: _BetaGeoFamily, summary: pd.DataFrame, *, time_unit: str = "day") -> dict:
    """Name, parameters and log-likelihood of a purchase model fitted in days, in `time_unit`.

    alpha is a time, so it is divided by the unit's length in days; the log-likelihood carries
    lambda^x per customer, so it gains x * ln(unit length) per customer (FHL 2005 eq. 6).
    """
    unit = _time_unit_days(time_unit)
    params = dict(model.params_)
    params["alpha"] = params["alpha"] / unit
    repeat_days = float(summary["frequency"].to_numpy(dtype=np.float64).sum())
    return {
        "name": model.model_name,
        "params": params,
        "log_likelihood": model.log_likelihood_ + np.log(unit) * repeat_days,
        "customers": int(model.n_customers_),
        "repeat_customers": int((summary["frequency"] > 0).sum()),
        "time_unit": time_unit,
        "converged_with_penalty": bool(model.penalised_),
    }


def _percent_words(predicted: float, actual: float, what: str, lang: str) -> str:
    """'predicted 1,234.5 purchases against 1,200 actual: 2.9% over the truth' in `lang`."""
    values = {"predicted": format_number(predicted, lang, 1), "what": t(f"value.bt_{what}", lang)}
    if actual == 0:
        return t("value.bt_none_happened", lang, **values)
    diff = (predicted - actual) / actual
    return t(
        "value.bt_against",
        lang,
        **values,
        actual=format_number(actual, lang),
        pct=format_percent(abs(diff), lang, 1),
        side=t("value.bt_over" if diff > 0 else "value.bt_under", lang),
    )


def backtest_text(result: dict, lang: str = "en") -> str:
    """The purchase backtest of `backtest` in plain words, in `lang`."""
    better = result["mean_absolute_error_per_customer"] < result["naive_mean_absolute_error_per_customer"]
    return _percent_words(result["predicted_purchases"], result["actual_purchases"], "purchases", lang) + t(
        "value.bt_per_customer",
        lang,
        days=format_number(result["holdout_days"], lang),
        date=format_date(result["calibration_end"], lang),
        mae=format_number(result["mean_absolute_error_per_customer"], lang, 2),
        better=t("value.bt_better" if better else "value.bt_worse", lang),
        naive=format_number(result["naive_mean_absolute_error_per_customer"], lang, 2),
    )


def spend_backtest_text(spend: dict, lang: str = "en") -> str:
    """The spend backtest (`backtest(...)["spend"]`) in plain words, in `lang`."""
    return _percent_words(spend["predicted_revenue"], spend["actual_revenue"], "revenue", lang)


def fit_status_text(status: dict, lang: str = "en") -> tuple[str | None, list[str]]:
    """Why a model could not be fitted, and the warnings, of a `FitStatus.to_dict()` in `lang`.

    Each note has an i18n key `value.fit_<code>`; a note without one keeps its English message.
    """
    notes = status.get("notes")
    if not notes:  # a status from before notes existed
        return status.get("reason"), list(status.get("warnings") or [])

    def say(note: dict) -> str:
        key = f"value.fit_{note.get('code')}"
        if key not in strings("en"):
            return str(note.get("message", ""))
        values = {k: v for k, v in note.items() if k not in ("code", "message")}
        for k, v in values.items():
            if isinstance(v, float):
                values[k] = format_number(v, lang, 2 if k == "corr" else 0)
        if "corr" in note:
            values["direction"] = t("value.fit_more" if note["corr"] > 0 else "value.fit_less", lang)
        return t(key, lang, **values)

    warning_codes = ("spend_correlated", "penalised")
    reasons = [say(n) for n in notes if n.get("code") not in warning_codes]
    return ("; ".join(reasons) or None), [say(n) for n in notes if n.get("code") in warning_codes]


def backtest(
    con,
    summary: pd.DataFrame,
    models: FittedModels,
    *,
    calibration_end: date,
    observation_end: date,
    table: str = "orders",
    codes: np.ndarray | None = None,
    triples: pd.DataFrame | None = None,
) -> dict:
    """Compare predicted with actual purchases and spend after `calibration_end`.

    `summary` and `models` come from the orders up to `calibration_end`. Actual purchases are the
    customer-days with an order in (calibration_end, observation_end] of the customers first seen
    on or before the cut-off. The naive baseline assumes each customer keeps buying at their past
    rate, frequency / T per day (0 for customers with T = 0), at their past mean day value.
    """
    holdout_days = (observation_end - calibration_end).days
    activity = query_holdout_activity(
        con, calibration_end=calibration_end, observation_end=observation_end, table=table
    )
    merged = summary[["customer_id", "frequency", "recency", "T", "monetary_value", "revenue"]].merge(
        activity, on="customer_id", how="left"
    )
    actual = merged["holdout_purchases"].fillna(0).to_numpy(dtype=np.float64)
    actual_revenue = merged["holdout_revenue"].fillna(0).to_numpy(dtype=np.float64)
    x = merged["frequency"].to_numpy(dtype=np.float64)
    T = merged["T"].to_numpy(dtype=np.float64)
    if triples is None or codes is None:
        triples, codes = purchase_triples(summary)
    assert models.purchase is not None  # the caller checks
    predicted = models.purchase.conditional_expected_purchases(
        float(holdout_days), triples["frequency"], triples["recency"], triples["T"]
    )[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = np.where(T > 0, x / T, 0.0) * holdout_days
        past_day_value = merged["revenue"].to_numpy(dtype=np.float64) / (x + 1)
    buckets = np.minimum(x, BACKTEST_BUCKETS).astype(int)
    rows = []
    for k in range(BACKTEST_BUCKETS + 1):
        sel = buckets == k
        if not sel.any():
            continue
        rows.append(
            {
                "past_repeat_purchases": f"{k}+" if k == BACKTEST_BUCKETS else str(k),
                "customers": int(sel.sum()),
                "actual_mean": float(actual[sel].mean()),
                "predicted_mean": float(predicted[sel].mean()),
                "naive_mean": float(naive[sel].mean()),
            }
        )
    mae_model = float(np.abs(predicted - actual).mean())
    mae_naive = float(np.abs(naive - actual).mean())
    result: dict = {
        "calibration_end": calibration_end.isoformat(),
        "observation_end": observation_end.isoformat(),
        "holdout_days": holdout_days,
        "customers": int(len(merged)),
        "actual_purchases": float(actual.sum()),
        "predicted_purchases": float(predicted.sum()),
        "naive_predicted_purchases": float(naive.sum()),
        "mean_absolute_error_per_customer": mae_model,
        "naive_mean_absolute_error_per_customer": mae_naive,
        "by_past_repeat_purchases": rows,
    }
    result["error_in_words"] = backtest_text(result)
    if models.spend is not None:
        spend = models.spend.conditional_expected_spend(x, merged["monetary_value"].to_numpy(dtype=np.float64))
        predicted_revenue = float(np.nansum(predicted * spend))
        naive_revenue = float(np.nansum(naive * past_day_value))
        result["spend"] = {
            "actual_revenue": float(actual_revenue.sum()),
            "predicted_revenue": predicted_revenue,
            "naive_predicted_revenue": naive_revenue,
        }
        result["spend"]["error_in_words"] = spend_backtest_text(result["spend"])
    return result


def fit_report(
    con,
    *,
    time_unit: str = "day",
    calibration_end: date | None = None,
    model: str = "bgnbd",
    table: str = "orders",
) -> dict:
    """The JSON of `retention fit`: the fitted purchase and spend models, and a backtest.

    Fits on the orders up to `calibration_end` (inclusive; default all of them). Parameters are
    reported in `time_unit` (`day` or `week`: alpha in that unit; r, a, b, p, q unitless; gamma in
    money). With a calibration end, `backtest` compares predictions with what happened after it.
    Raises ModelFitError (a plain sentence) when the purchase model cannot be fitted.
    """
    _time_unit_days(time_unit)
    _check_orders(con, table)
    observation_end = query_last_order_date(con, table)
    summary = customer_summary(con, calibration_end=calibration_end, table=table)
    triples, codes = purchase_triples(summary)
    models = fit_models(summary, model=model, triples=triples)
    if models.purchase is None:
        raise ModelFitError(models.status.reason or "the purchase model could not be fitted")
    spend_model: dict = {"name": "Gamma-Gamma", "params": None, "customers": 0}
    if models.spend is not None:
        spend_model.update(
            params=dict(models.spend.params_),
            log_likelihood=models.spend.log_likelihood_,
            customers=int(models.spend.n_customers_),
            population_mean_spend=models.spend.population_mean_spend(),
        )
    spend_model["frequency_spend_correlation"] = models.spend_correlation
    report: dict = {
        "purchase_model": purchase_model_report(models.purchase, summary, time_unit=time_unit),
        "spend_model": spend_model,
        "status": models.status.to_dict(),
    }
    if calibration_end is not None:
        report["backtest"] = backtest(
            con,
            summary,
            models,
            calibration_end=calibration_end,
            observation_end=observation_end,
            table=table,
            codes=codes,
            triples=triples,
        )
    return report
