"""Audiences: pick customers by segment and filters, respect consent, keep a holdout, export.

The input is the customer table of `retention.customers.customer_table` (one row per customer;
columns used here: customer_id, orders, revenue, first_order, last_order, frequency, p_alive,
expected_purchases, predicted_clv, historical_clv, email, phone, first_name, last_name, country,
city, zip, accepts_marketing, and the segment columns rfm_group, lifecycle_segment, churn_risk).
Every function takes a frame and returns a new one; nothing is modified in place.

- `build_audience`: segments + filters + marketing consent + a stratified random holdout.
- moments: first-order anniversaries, an Nth-order milestone, the predicted next order, customers
  overdue against their own cadence.
- cross-sell: the next best product per customer (co-occurrence rules with support and lift, never
  a product already bought) and the replenishment date of products bought again and again.
- `to_bytes`, `zip_all_segments`, `export_audience`: files, through `retention.exports`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from retention.errors import UserInputError
from retention.exports import (
    DEFAULT_REGION,
    FORMATS,
    Contacts,
    ExportFormat,
    ExportResult,
    get_format,
    prepare_contacts,
    render,
)

__all__ = [
    "FORMATS",
    "SEGMENT_COLUMNS",
    "Audience",
    "AudienceFilters",
    "add_cross_sell",
    "assign_holdout",
    "build_audience",
    "export_audience",
    "first_order_anniversaries",
    "order_milestone",
    "overdue_customers",
    "predicted_next_orders",
    "to_bytes",
    "zip_all_segments",
]

SEGMENT_COLUMNS: dict[str, str] = {"rfm": "rfm_group", "lifecycle": "lifecycle_segment", "churn_risk": "churn_risk"}
CHANNELS: tuple[str, ...] = ("email", "sms", "ads")
ALL = "all"


@dataclass(frozen=True)
class AudienceFilters:
    """Optional narrowing of an audience; every field left None does not filter.

    clv_percentile_min/max: predicted-CLV percentile, 0-100, of the customer among *all*
    customers (100 x share of customers with a strictly smaller predicted CLV): the top 20% is
    `clv_percentile_min=80`. Bounds inclusive.
    last_order_from/to: calendar days, inclusive.
    countries: ISO codes (case ignored). products / categories: bought at least once (product id
    or name, case ignored); needs the orders connection. min_orders/max_orders: distinct orders,
    inclusive.
    """

    clv_percentile_min: float | None = None
    clv_percentile_max: float | None = None
    last_order_from: date | None = None
    last_order_to: date | None = None
    countries: Sequence[str] | None = None
    products: Sequence[str] | None = None
    categories: Sequence[str] | None = None
    min_orders: int | None = None
    max_orders: int | None = None


@dataclass
class Audience:
    """Members (with a `segment` and a `holdout` bool column) and the counts to show the user."""

    members: pd.DataFrame
    by: str
    segments: tuple[str, ...] | None
    channel: str
    left_out_no_consent: int = 0
    holdout_size: int = 0
    filtered_out: int = 0
    warnings: list[str] = field(default_factory=list)
    _contacts: dict[str, Contacts] = field(default_factory=dict, repr=False, compare=False)

    def contacts(self, default_region: str = DEFAULT_REGION) -> Contacts:
        """The validated identifiers of the members, computed once per audience and region."""
        if default_region not in self._contacts:
            self._contacts[default_region] = prepare_contacts(self.members, default_region=default_region)
        return self._contacts[default_region]

    @property
    def treatment(self) -> pd.DataFrame:
        """Members who receive the campaign (holdout excluded)."""
        return self.members[~self.members["holdout"].to_numpy()]

    @property
    def control(self) -> pd.DataFrame:
        """The holdout: members kept out of the campaign to measure its lift."""
        return self.members[self.members["holdout"].to_numpy()]

    def counts(self) -> pd.DataFrame:
        """Members per (`segment`, `holdout`): the numbers behind the audience preview."""
        return self.members.groupby(["segment", "holdout"]).size().rename("customers").reset_index()

    def segment_sizes(self) -> pd.DataFrame:
        """Members per `segment` (control group included), largest first."""
        per_segment = self.counts().groupby("segment", as_index=False)["customers"].sum()
        return per_segment.sort_values("customers", ascending=False)


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def segment_column(by: str) -> str:
    try:
        return SEGMENT_COLUMNS[by]
    except KeyError:
        raise UserInputError(f"--by takes one of {', '.join(SEGMENT_COLUMNS)}, not {by!r}") from None


def _require(customers: pd.DataFrame, column: str, why: str) -> None:
    if column not in customers.columns:
        raise UserInputError(f"the customer table has no {column!r} column, needed for {why}; compute it first")


def _segment_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")


def clv_percentile(predicted_clv: pd.Series) -> pd.Series:
    """100 x share of customers with a strictly smaller predicted CLV (0 for the lowest)."""
    values = pd.to_numeric(predicted_clv, errors="coerce")
    n = int(values.notna().sum())
    if n == 0:
        return pd.Series(np.nan, index=values.index)
    return (values.rank(method="min") - 1) / n * 100.0


def _apply_filters(
    customers: pd.DataFrame, filters: AudienceFilters, selected: pd.Series, con: Any
) -> pd.Series:
    keep = selected.copy()
    if filters.clv_percentile_min is not None or filters.clv_percentile_max is not None:
        _require(customers, "predicted_clv", "the predicted CLV filter")
        pct = clv_percentile(customers["predicted_clv"])  # among all customers, before selection
        if filters.clv_percentile_min is not None:
            keep &= (pct >= float(filters.clv_percentile_min)).to_numpy()
        if filters.clv_percentile_max is not None:
            keep &= (pct <= float(filters.clv_percentile_max)).to_numpy()
    if filters.last_order_from is not None or filters.last_order_to is not None:
        _require(customers, "last_order", "the last order date filter")
        last = pd.to_datetime(customers["last_order"]).dt.normalize()
        if filters.last_order_from is not None:
            keep &= (last >= pd.Timestamp(filters.last_order_from)).fillna(False).to_numpy()
        if filters.last_order_to is not None:
            keep &= (last <= pd.Timestamp(filters.last_order_to)).fillna(False).to_numpy()
    if filters.countries:
        _require(customers, "country", "the country filter")
        wanted = {c.strip().upper() for c in filters.countries if c and c.strip()}
        keep &= customers["country"].astype("string").str.strip().str.upper().isin(wanted).fillna(False).to_numpy()
    if filters.min_orders is not None or filters.max_orders is not None:
        _require(customers, "orders", "the number of orders filter")
        orders = pd.to_numeric(customers["orders"], errors="coerce")
        if filters.min_orders is not None:
            keep &= (orders >= filters.min_orders).fillna(False).to_numpy()
        if filters.max_orders is not None:
            keep &= (orders <= filters.max_orders).fillna(False).to_numpy()
    if filters.products or filters.categories:
        if con is None:
            raise UserInputError("filtering by product or category needs the orders; pass the connection (con=)")
        from retention.sql.audiences import query_customers_who_bought

        buyers = query_customers_who_bought(con, products=filters.products or (), categories=filters.categories or ())
        ids = set(buyers["customer_id"].astype(str))
        keep &= customers["customer_id"].astype(str).isin(ids).to_numpy()
    return keep


def assign_holdout(strata: pd.Series, share: float, *, seed: int = 0, ids: pd.Series | None = None) -> pd.Series:
    """A reproducible random holdout of `share` of each stratum (bool Series, True = holdout).

    Each stratum of n members gets exactly round(share x n) holdout members (half rounds up), so
    every segment is represented in the control group in its own proportion. The draw depends
    only on the seed and the set of (stratum, id) pairs, not on the order of the rows: rows are
    put in (stratum, id) order before one `numpy.random.default_rng(seed)` stream is drawn.
    """
    if not 0.0 <= share < 1.0:
        raise UserInputError(f"the holdout is a share between 0 and 1 (for example 0.1), not {share}")
    out = pd.Series(False, index=strata.index)
    if share == 0.0 or len(strata) == 0:
        return out
    key = (ids if ids is not None else pd.Series(np.arange(len(strata)), index=strata.index)).astype(str)
    order = pd.DataFrame({"stratum": strata.astype("string").fillna("").to_numpy(), "id": key.to_numpy(),
                          "pos": np.arange(len(strata))}).sort_values(["stratum", "id"], kind="mergesort")
    order["draw"] = np.random.default_rng(seed).random(len(order))
    order["rank"] = order.groupby("stratum", sort=False)["draw"].rank(method="first")
    size = order.groupby("stratum", sort=False)["stratum"].transform("size")
    quota = np.floor(size * share + 0.5)
    chosen = order.loc[order["rank"] <= quota, "pos"].to_numpy()
    out.iloc[chosen] = True
    return out


def build_audience(
    customers: pd.DataFrame,
    *,
    by: str = "lifecycle",
    segments: Sequence[str] | None = None,
    filters: AudienceFilters | None = None,
    channel: str = "email",
    include_no_consent: bool = False,
    holdout: float = 0.0,
    seed: int = 0,
    con: Any = None,
) -> Audience:
    """The customers of `segments` (values of the `by` column; None or ["all"]: everybody).

    Steps, in order: segment selection, `filters`, marketing consent, holdout.
    Consent: for `channel` "email" or "sms", when the data says who accepted marketing (an
    `accepts_marketing` column with at least one known value), only customers with True are kept
    unless `include_no_consent`; `left_out_no_consent` counts the others. For "ads" nobody is left
    out, but a warning counts the members without consent.
    Holdout: `holdout` share of each segment, drawn with `seed` (see `assign_holdout`); flagged in
    the `holdout` column of `members`.
    `con` (a DuckDB connection with `orders`) is needed only for product or category filters.
    """
    if channel not in CHANNELS:
        raise UserInputError(f"channel is one of {', '.join(CHANNELS)}, not {channel!r}")
    col = segment_column(by)
    wanted = None if segments is None or any(str(s).lower() == ALL for s in segments) else tuple(segments)
    warnings: list[str] = []
    if wanted is not None:
        _require(customers, col, f"audiences by {by}")
        labels = customers[col].astype("string")
        known = set(labels.dropna().unique())
        # "at_risk", "at risk" and "At risk" name the same segment (the CLI cannot easily quote spaces)
        by_key = {_segment_key(k): k for k in known}
        unknown = [s for s in wanted if s not in known and _segment_key(s) not in by_key]
        wanted = tuple(s if s in known else by_key.get(_segment_key(s), s) for s in wanted)
        if unknown:
            raise UserInputError(
                f"no {by} segment named {', '.join(map(repr, unknown))}; "
                f"choose among {', '.join(sorted(known)) or 'none (empty table)'} or 'all'"
            )
        selected = labels.isin(list(wanted)).fillna(False).to_numpy()
    else:
        selected = np.ones(len(customers), dtype=bool)
    n_selected = int(selected.sum())
    if filters is not None:
        selected = _apply_filters(customers, filters, pd.Series(selected, index=customers.index), con).to_numpy()
    filtered_out = n_selected - int(selected.sum())

    left_out = 0
    has_consent = "accepts_marketing" in customers.columns and customers["accepts_marketing"].notna().any()
    if has_consent:
        consent = customers["accepts_marketing"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        no_consent = selected & ~consent
        if channel in ("email", "sms") and not include_no_consent:
            left_out = int(no_consent.sum())
            selected = selected & consent
        elif channel == "ads" and no_consent.any():
            warnings.append(
                f"{int(no_consent.sum())} members did not accept marketing; ad platforms' EU rules ask for consent"
            )

    # A frame that already went through here (or any "segment"/"holdout" column) is re-labelled.
    members = customers[selected].drop(columns=[c for c in ("segment", "holdout") if c in customers.columns])
    if col in members.columns:
        members.insert(1 if "customer_id" in members.columns else 0, "segment", members[col].astype("string"))
    else:
        members.insert(1 if "customer_id" in members.columns else 0, "segment", pd.Series(ALL, index=members.index,
                                                                                            dtype="string"))
    ids = members["customer_id"] if "customer_id" in members.columns else None
    members["holdout"] = assign_holdout(members["segment"], holdout, seed=seed, ids=ids).to_numpy(dtype=bool)
    return Audience(
        members=members.reset_index(drop=True),
        by=by,
        segments=wanted,
        channel=channel,
        left_out_no_consent=left_out,
        holdout_size=int(members["holdout"].sum()),
        filtered_out=filtered_out,
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------------
# Moments
# --------------------------------------------------------------------------------------------


def _as_of(customers: pd.DataFrame, as_of: date | None) -> pd.Timestamp:
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    _require(customers, "last_order", "moments")
    last = pd.to_datetime(customers["last_order"]).max()
    if pd.isna(last):
        raise UserInputError("no customer has an order date; load orders first")
    return pd.Timestamp(last).normalize()


def first_order_anniversaries(
    customers: pd.DataFrame, *, within_days: int = 30, as_of: date | None = None
) -> pd.DataFrame:
    """Customers whose first-order anniversary falls in the next `within_days` days (as_of excluded).

    Adds `anniversary_date` and `anniversary_years` (1 for the first anniversary). A first order
    on 29 February has its anniversary on 28 February in common years. `as_of` defaults to the
    latest last order in the table.
    """
    _require(customers, "first_order", "anniversaries")
    today = _as_of(customers, as_of)
    first = pd.to_datetime(customers["first_order"]).dt.normalize()
    years = today.year - first.dt.year

    def on_year(y: pd.Series) -> pd.Series:
        day = first.dt.day.where(~((first.dt.month == 2) & (first.dt.day == 29)) | _is_leap(y), 28)
        return pd.to_datetime(pd.DataFrame({"year": y, "month": first.dt.month, "day": day}), errors="coerce")

    this_year = on_year(first.dt.year + years)
    upcoming = this_year.where(this_year > today, on_year(first.dt.year + years + 1))
    n_years = upcoming.dt.year - first.dt.year
    due = (upcoming > today) & (upcoming <= today + pd.Timedelta(days=within_days)) & (n_years >= 1)
    out = customers[due.fillna(False).to_numpy()].copy()
    out["anniversary_date"] = upcoming[due.fillna(False)].dt.date.to_numpy()
    out["anniversary_years"] = n_years[due.fillna(False)].astype("int64").to_numpy()
    return out.sort_values(["anniversary_date", "customer_id"]).reset_index(drop=True)


def _is_leap(year: pd.Series) -> pd.Series:
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)


def order_milestone(customers: pd.DataFrame, *, n: int) -> pd.DataFrame:
    """Customers whose next order will be their `n`th (they have n - 1 orders): a milestone to mark."""
    if n < 2:
        raise UserInputError(f"a milestone order is the 2nd or later, not {n}")
    _require(customers, "orders", "milestones")
    out = customers[(pd.to_numeric(customers["orders"], errors="coerce") == n - 1).to_numpy()].copy()
    out["next_order_number"] = n
    return out.reset_index(drop=True)


def order_cadence_days(customers: pd.DataFrame) -> pd.Series:
    """Each customer's own mean days between orders: (last - first) / (orders - 1); NaN with one order."""
    first = pd.to_datetime(customers["first_order"]).dt.normalize()
    last = pd.to_datetime(customers["last_order"]).dt.normalize()
    gaps = pd.to_numeric(customers["orders"], errors="coerce") - 1
    span = (last - first).dt.days.astype("float64")
    return (span / gaps.where(gaps > 0)).astype("float64")


def predicted_next_order_dates(
    customers: pd.DataFrame, *, as_of: date | None = None, horizon_days: float = 365.0
) -> pd.Series:
    """Predicted date of each customer's next order (Timestamp; NaT where nothing is expected).

    Repeat customers: last order + their own cadence, or `as_of` + 1 day once that date has
    passed (they are due now). One-order customers: `as_of` + horizon_days / expected_purchases,
    the mean wait at the model's expected purchase rate over the horizon of `expected_purchases`
    (12 months = 365 days by default).
    """
    today = _as_of(customers, as_of)
    last = pd.to_datetime(customers["last_order"]).dt.normalize()
    cadence = order_cadence_days(customers)
    by_cadence = last + pd.to_timedelta(cadence.round(), unit="D")
    by_cadence = by_cadence.where(by_cadence.isna() | (by_cadence > today), today + pd.Timedelta(days=1))
    if "expected_purchases" in customers.columns:
        rate = pd.to_numeric(customers["expected_purchases"], errors="coerce")
        wait = (horizon_days / rate.where(rate > 0)).round()
        by_rate = today + pd.to_timedelta(wait.clip(lower=1), unit="D")
    else:
        by_rate = pd.Series(pd.NaT, index=customers.index, dtype="datetime64[ns]")
    return by_cadence.where(cadence.notna(), by_rate)


def predicted_next_orders(
    customers: pd.DataFrame, *, within_days: int = 30, as_of: date | None = None, horizon_days: float = 365.0
) -> pd.DataFrame:
    """Customers whose predicted next order falls within the next `within_days` days."""
    today = _as_of(customers, as_of)
    nxt = predicted_next_order_dates(customers, as_of=today.date(), horizon_days=horizon_days)
    due = ((nxt > today) & (nxt <= today + pd.Timedelta(days=within_days))).fillna(False).to_numpy()
    out = customers[due].copy()
    out["predicted_next_order"] = nxt[due].dt.date.to_numpy()
    return out.sort_values(["predicted_next_order", "customer_id"]).reset_index(drop=True)


def overdue_customers(
    customers: pd.DataFrame, *, factor: float = 1.5, min_orders: int = 2, as_of: date | None = None
) -> pd.DataFrame:
    """Customers whose days since their last order exceed `factor` x their own cadence.

    Only customers with at least `min_orders` orders have a cadence. Adds `cadence_days`,
    `days_since_last_order` and `days_overdue` (days past last order + cadence), most overdue first.
    """
    today = _as_of(customers, as_of)
    cadence = order_cadence_days(customers)
    since = (today - pd.to_datetime(customers["last_order"]).dt.normalize()).dt.days
    orders = pd.to_numeric(customers["orders"], errors="coerce")
    late = ((orders >= min_orders) & (cadence > 0) & (since > factor * cadence)).fillna(False).to_numpy()
    out = customers[late].copy()
    out["cadence_days"] = cadence[late].round(1).to_numpy()
    out["days_since_last_order"] = since[late].astype("int64").to_numpy()
    out["days_overdue"] = (since[late] - cadence[late]).round(1).to_numpy()
    return out.sort_values(["days_overdue", "customer_id"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Cross-sell and replenishment
# --------------------------------------------------------------------------------------------


def add_cross_sell(
    customers: pd.DataFrame,
    con,
    *,
    min_pair_customers: int = 2,
    min_support: float = 0.0,
    min_lift: float = 1.0,
    table: str = "orders",
) -> pd.DataFrame:
    """The customer table with next-best-product and replenishment columns from the orders.

    Adds next_best_product (name when known, else id), next_best_lift, next_best_support,
    replenish_product, replenish_every_days and replenish_date (last purchase + interval).
    See `retention.sql.audiences` for the rules.
    """
    from retention.sql.audiences import query_next_best_product, query_replenishment

    nbp = query_next_best_product(
        con, min_pair_customers=min_pair_customers, min_support=min_support, min_lift=min_lift, table=table
    )
    rep = query_replenishment(con, table=table)
    cross = pd.DataFrame(
        {
            "customer_id": nbp["customer_id"].astype(str),
            "next_best_product": nbp["next_best_product_name"].fillna(nbp["next_best_product"]).astype("string"),
            "next_best_lift": nbp["lift"].round(3),
            "next_best_support": nbp["support"].round(4),
        }
    )
    last = pd.to_datetime(rep["last_purchase"])
    repl = pd.DataFrame(
        {
            "customer_id": rep["customer_id"].astype(str),
            "replenish_product": rep["replenish_product_name"].fillna(rep["replenish_product"]).astype("string"),
            "replenish_every_days": rep["replenish_every_days"].round(1),
            "replenish_date": (last + pd.to_timedelta(rep["replenish_every_days"].round(), unit="D")).dt.date,
        }
    )
    drop = [c for c in (*cross.columns[1:], *repl.columns[1:]) if c in customers.columns]
    out = customers.drop(columns=drop)
    key = out["customer_id"].astype(str)
    out = out.assign(_key=key.to_numpy())
    out = out.merge(cross.rename(columns={"customer_id": "_key"}), on="_key", how="left")
    out = out.merge(repl.rename(columns={"customer_id": "_key"}), on="_key", how="left")
    return out.drop(columns="_key")


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def render_audience(
    audience_or_frame: Audience | pd.DataFrame, fmt: str | ExportFormat, *, default_region: str = DEFAULT_REGION
) -> ExportResult:
    """The file of an audience in a format, with its row count and warnings."""
    if isinstance(audience_or_frame, Audience):
        aud = audience_or_frame
        return render(aud.members, fmt, default_region=default_region, contacts=aud.contacts(default_region))
    return render(audience_or_frame, fmt, default_region=default_region)


def to_bytes(
    audience_or_frame: Audience | pd.DataFrame, fmt: str | ExportFormat, *, default_region: str = DEFAULT_REGION
) -> bytes:
    """The file of an audience in a format (see `retention.exports.FORMATS`), as bytes.

    Upload formats leave the holdout out; `csv` and `xlsx` keep everybody with the flag. Write
    the control group separately with `to_bytes(audience.control, "csv")`.
    """
    return render_audience(audience_or_frame, fmt, default_region=default_region).data


def _slug(text: str) -> str:
    s = re.sub(r"[^\w-]+", "_", str(text).strip().lower(), flags=re.UNICODE).strip("_")
    return s or "segment"


def zip_all_segments(
    customers: pd.DataFrame,
    *,
    by: str = "lifecycle",
    fmt: str = "csv",
    filters: AudienceFilters | None = None,
    channel: str | None = None,
    include_no_consent: bool = False,
    holdout: float = 0.0,
    seed: int = 0,
    con: Any = None,
    default_region: str = DEFAULT_REGION,
) -> bytes:
    """One ZIP with a file per segment of `by` (format `fmt`), each holdout as `*_holdout.csv`,
    and `summary.csv` (segment, file, rows, left out for consent, holdout)."""
    f = get_format(fmt)
    col = segment_column(by)
    _require(customers, col, f"audiences by {by}")
    labels = sorted(customers[col].dropna().astype(str).unique())
    buf = io.BytesIO()
    rows: list[dict[str, Any]] = []
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for label in labels:
            aud = build_audience(
                customers, by=by, segments=[label], filters=filters, channel=channel or f.channel,
                include_no_consent=include_no_consent, holdout=holdout, seed=seed, con=con,
            )
            name = f"{by}_{_slug(label)}.{f.extension}"
            result = render_audience(aud, f, default_region=default_region)
            zf.writestr(name, result.data)
            if aud.holdout_size:
                zf.writestr(f"{by}_{_slug(label)}_holdout.csv", to_bytes(aud.control, "csv",
                                                                         default_region=default_region))
            rows.append({"segment": label, "file": name, "rows": result.rows,
                         "left_out_no_consent": aud.left_out_no_consent, "holdout": aud.holdout_size,
                         "warnings": "; ".join(aud.warnings + result.warnings)})
        summary = pd.DataFrame(rows, columns=["segment", "file", "rows", "left_out_no_consent", "holdout", "warnings"])
        zf.writestr("summary.csv", to_bytes(summary, "csv"))
    return buf.getvalue()


def _with_segments(con, customers: pd.DataFrame) -> pd.DataFrame:
    """The customer table with RFM and lifecycle segments, computed here if it lacks them."""
    wanted = ["rfm_score", "rfm_group", "lifecycle_segment"]
    if all(c in customers.columns for c in wanted):
        return customers
    from retention.segments import rfm_segments

    seg = rfm_segments(con)[["customer_id", *wanted]]
    seg = seg.assign(customer_id=seg["customer_id"].astype(str))
    base = customers.drop(columns=[c for c in wanted if c in customers.columns])
    return base.assign(customer_id=base["customer_id"].astype(str)).merge(seg, on="customer_id", how="left")


def export_audience(
    con,
    *,
    segment: str,
    by: str = "lifecycle",
    fmt: str = "csv",
    output: str | Path,
    holdout: float = 0.0,
    seed: int = 0,
    include_no_consent: bool = False,
    default_region: str = DEFAULT_REGION,
    filters: AudienceFilters | None = None,
) -> str:
    """Write the audience file of `segment` (or "all"; several separated by commas) to `output`.

    `fmt` "zip" writes every segment of `by` as CSV files in one ZIP. Upload formats leave the
    holdout out of the file and write it next to it as `<output stem>.holdout.csv`.
    Returns the one-line summary the CLI prints: rows, left out for consent, holdout size.
    """
    from retention.customers import customer_table

    customers = _with_segments(con, customer_table(con))
    from retention.sql.audiences import query_has_products

    if query_has_products(con):
        customers = add_cross_sell(customers, con)
    out = Path(output)
    if fmt == "zip":
        data = zip_all_segments(customers, by=by, fmt="csv", filters=filters, include_no_consent=include_no_consent,
                                holdout=holdout, seed=seed, con=con, default_region=default_region)
        out.write_bytes(data)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            summary = pd.read_csv(zf.open("summary.csv"))
        left_out = int(summary["left_out_no_consent"].sum())
        return (f"rows: {int(summary['rows'].sum())}, left out for consent: {left_out}, "
                f"holdout: {int(summary['holdout'].sum())}, segments: {len(summary)}, format: zip, file: {out}")
    f = get_format(fmt)
    segments = [s.strip() for s in segment.split(",") if s.strip()] or [ALL]
    aud = build_audience(customers, by=by, segments=segments, filters=filters, channel=f.channel,
                         include_no_consent=include_no_consent, holdout=holdout, seed=seed, con=con)
    result = render_audience(aud, f, default_region=default_region)
    out.write_bytes(result.data)
    line = (f"rows: {result.rows}, left out for consent: {aud.left_out_no_consent}, "
            f"holdout: {aud.holdout_size}, format: {f.name}, file: {out}")
    if aud.holdout_size and not f.full:
        control = out.with_name(out.stem + ".holdout.csv")
        control.write_bytes(to_bytes(aud.control, "csv", default_region=default_region))
        line += f", holdout file: {control}"
    warnings = aud.warnings + result.warnings
    if warnings:
        line += "; warnings: " + "; ".join(warnings)
    return line
