"""Segments: RFM scores and groups, lifecycle segments, churn-risk tiers, and what to do with each.

Three ways of cutting the customer base, each with a channel and a recommended action (English and
Italian):

- **RFM groups** (Shopify's names): R, F and M scores 1-5 from ranks, so equal values share a score
  (`retention.sql.segments`). As in Shopify's RFM report, a customer's group is read from the
  recency score R and FM = (F + M) / 2. The rule table (`RFM_GROUP_RULES`) is data: pass your own
  list to change it. The first rule that matches wins.
- **Lifecycle segments** (the founding research's playbook): new, one-time buyers, repeat, loyal
  high-value, at risk, lost. Thresholds in `LifecycleRules`, in days, default from the shop's own
  churn window.
- **Churn-risk tiers** low / medium / high (`retention.churn`).

`segment_summary` turns a customer table into one row per segment; `segment_migration` counts how
customers moved between segments from a past date to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from retention.errors import UserInputError

__all__ = [
    "CHURN_TIERS",
    "LIFECYCLE_SEGMENTS",
    "LifecycleRules",
    "RFM_GROUP_RULES",
    "RfmGroupRule",
    "assign_lifecycle_segments",
    "assign_rfm_groups",
    "playbook",
    "rfm_grid_counts",
    "rfm_group_rules_table",
    "risk_tier_counts",
    "rfm_segments",
    "segment_migration",
    "segment_names",
    "segment_summary",
]


# --------------------------------------------------------------------------------------------------
# RFM groups


@dataclass(frozen=True)
class RfmGroupRule:
    """A customer is in `name` when r_min <= R <= r_max and fm_min <= (F + M) / 2 <= fm_max."""

    name: str
    r_min: int
    r_max: int
    fm_min: float
    fm_max: float
    description: str = ""

    def matches(self, r: np.ndarray, fm: np.ndarray) -> np.ndarray:
        return (r >= self.r_min) & (r <= self.r_max) & (fm >= self.fm_min) & (fm <= self.fm_max)


# Shopify's RFM report places a customer by R and FM = (F + M) / 2 (Shopify Help Center, "RFM
# customer analysis"; group descriptions from the Admin API enum CustomerRfmGroup). Shopify does
# not publish its exact cut-offs; this table is our reading of its descriptions and covers every
# (R, FM) cell exactly once (FM takes the values 1, 1.5, ..., 5):
#
#   R \ FM   1 - 2        2.5 - 3.5         4 - 5
#   5        New          Active            Champions
#   4        Promising    Active            Loyal
#   3        Promising    Needs attention   Loyal
#   2        Almost lost  At risk           Previously loyal
#   1        Dormant      At risk           Previously loyal
RFM_GROUP_RULES: tuple[RfmGroupRule, ...] = (
    RfmGroupRule("Champions", 5, 5, 4.0, 5.0, "Very recent purchases, many orders and the most spend"),
    RfmGroupRule("Loyal", 3, 4, 4.0, 5.0, "Recent purchases, many orders and the most spend"),
    RfmGroupRule("Active", 4, 5, 2.5, 3.5, "Recent purchases, some orders and moderate spend"),
    RfmGroupRule("Promising", 3, 4, 1.0, 2.0, "Recent purchases, few orders and low spend"),
    RfmGroupRule("New", 5, 5, 1.0, 2.0, "Very recent purchases, few orders and low spend"),
    RfmGroupRule("Needs attention", 3, 3, 2.5, 3.5, "Fairly recent purchases, some orders, moderate spend"),
    RfmGroupRule("At risk", 1, 2, 2.5, 3.5, "No recent purchases, but a good history of orders and spend"),
    RfmGroupRule("Previously loyal", 1, 2, 4.0, 5.0, "No recent purchases, but a very strong history"),
    RfmGroupRule("Almost lost", 2, 2, 1.0, 2.0, "No recent purchases, few orders and low spend"),
    RfmGroupRule("Dormant", 1, 1, 1.0, 2.0, "No purchase for the longest time, few orders, low spend"),
)
UNCLASSIFIED = "Unclassified"


def assign_rfm_groups(
    r_score, f_score, m_score, *, rules: tuple[RfmGroupRule, ...] | list[RfmGroupRule] = RFM_GROUP_RULES
) -> np.ndarray:
    """RFM group of each customer: the first rule matching (R, (F + M) / 2); "Unclassified" if none."""
    r = np.asarray(r_score, dtype=float)
    fm = (np.asarray(f_score, dtype=float) + np.asarray(m_score, dtype=float)) / 2.0
    out = np.full(r.shape, UNCLASSIFIED, dtype=object)
    free = np.ones(r.shape, dtype=bool)
    for rule in rules:
        hit = free & rule.matches(r, fm)
        out[hit] = rule.name
        free &= ~hit
    return out


def rfm_group_rules_table(rules: tuple[RfmGroupRule, ...] | list[RfmGroupRule] = RFM_GROUP_RULES) -> pd.DataFrame:
    """The rule table as a frame (for the app and the README): group, R range, FM range, description."""
    return pd.DataFrame(
        {
            "group": [r.name for r in rules],
            "r_score": [f"{r.r_min}-{r.r_max}" if r.r_min != r.r_max else str(r.r_min) for r in rules],
            "fm_score": [f"{r.fm_min:g}-{r.fm_max:g}" for r in rules],
            "description": [r.description for r in rules],
        }
    )


# --------------------------------------------------------------------------------------------------
# Lifecycle segments

NEW, ONE_TIME, REPEAT, LOYAL, AT_RISK, LOST = (
    "New customers",
    "One-time buyers",
    "Repeat customers",
    "Loyal high-value",
    "At risk",
    "Lost",
)
LIFECYCLE_SEGMENTS: tuple[str, ...] = (NEW, ONE_TIME, REPEAT, LOYAL, AT_RISK, LOST)
CHURN_TIERS: tuple[str, ...] = ("low", "medium", "high")


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of the lifecycle segments; days are calendar days before the observation end.

    Rules, first match wins:
    1. New customers: first order at most `new_days` days ago.
    2. Lost: last order more than `lost_after_days` days ago (default twice the churn window).
    3. At risk: two or more orders, last order more than `at_risk_after_days` days ago (default the
       churn window: the time within which most of the shop's repeat orders arrive).
    4. Loyal high-value: at least `loyal_min_orders` orders and M score >= `high_value_min_m_score`.
    5. Repeat customers: two or more orders.
    6. One-time buyers: one order.
    """

    new_days: int = 30
    at_risk_after_days: int | None = None
    lost_after_days: int | None = None
    loyal_min_orders: int = 3
    high_value_min_m_score: int = 4

    def resolved(self, window_days: int) -> LifecycleRules:
        """These rules with the defaults that depend on the churn window filled in."""
        at_risk = self.at_risk_after_days if self.at_risk_after_days is not None else int(window_days)
        lost = self.lost_after_days if self.lost_after_days is not None else 2 * int(window_days)
        return LifecycleRules(
            self.new_days, at_risk, max(lost, at_risk), self.loyal_min_orders, self.high_value_min_m_score
        )


def assign_lifecycle_segments(
    *, orders, recency_days, tenure_days, m_score, window_days: int, rules: LifecycleRules = LifecycleRules()
) -> np.ndarray:
    """Lifecycle segment of each customer (see `LifecycleRules`); inputs are aligned arrays.

    `recency_days`: days since the last order; `tenure_days`: days since the first order.
    """
    r = rules.resolved(window_days)
    n = np.asarray(orders, dtype=float)
    rec = np.asarray(recency_days, dtype=float)
    ten = np.asarray(tenure_days, dtype=float)
    m = np.asarray(m_score, dtype=float)
    conditions = [
        ten <= r.new_days,
        rec > r.lost_after_days,
        (n >= 2) & (rec > r.at_risk_after_days),
        (n >= r.loyal_min_orders) & (m >= r.high_value_min_m_score),
        n >= 2,
    ]
    return np.select(conditions, [NEW, LOST, AT_RISK, LOYAL, REPEAT], default=ONE_TIME).astype(object)


# --------------------------------------------------------------------------------------------------
# Playbook: channel and recommended action per segment, English and Italian

_PLAYBOOK: dict[str, dict[str, tuple[dict[str, str], dict[str, str]]]] = {
    "rfm": {
        "Champions": (
            {"en": "Email + VIP", "it": "Email + VIP"},
            {
                "en": "Reward them: early access to new products, VIP perks, ask for reviews and referrals.",
                "it": "Premiali: anteprime delle novità, vantaggi VIP, chiedi recensioni e passaparola; niente sconti.",
            },
        ),
        "Loyal": (
            {"en": "Email", "it": "Email"},
            {
                "en": "Cross-sell and upsell: complementary products, bundles, loyalty-programme rewards.",
                "it": "Cross-selling e upselling: prodotti complementari, bundle, premi del programma fedeltà.",
            },
        ),
        "Active": (
            {"en": "Email", "it": "Email"},
            {
                "en": "Keep the rhythm: personalised recommendations and a reminder near their usual reorder time.",
                "it": "Mantieni il ritmo: consigli personalizzati e un promemoria vicino al loro solito riordino.",
            },
        ),
        "Promising": (
            {"en": "Email + social", "it": "Email + social"},
            {
                "en": "Build the habit: bestsellers, how-to content and a small incentive for the next order.",
                "it": "Crea l'abitudine: più venduti, contenuti utili e un piccolo incentivo per il prossimo ordine.",
            },
        ),
        "New": (
            {"en": "Email", "it": "Email"},
            {
                "en": "Welcome series: brand story, how to use what they bought, an invitation to a second order.",
                "it": "Serie di benvenuto: storia del marchio, come usare l'acquisto, invito a un secondo ordine.",
            },
        ),
        "Needs attention": (
            {"en": "Email", "it": "Email"},
            {
                "en": "Re-engage before they drift: limited-time offer on their favourite category.",
                "it": "Riattivali prima che si allontanino: offerta a tempo sulla loro categoria preferita.",
            },
        ),
        "At risk": (
            {"en": "Email + social retargeting", "it": "Email + retargeting social"},
            {
                "en": "Win them back: personalised offer on what they used to buy, retargeting ads.",
                "it": "Riconquistali: offerta personalizzata su ciò che compravano, annunci di retargeting.",
            },
        ),
        "Previously loyal": (
            {"en": "Personal contact", "it": "Contatto personale"},
            {
                "en": "Personal win-back: a personal message, ask what changed, a generous offer.",
                "it": "Riconquista personale: un messaggio personale, chiedi cosa è cambiato, un'offerta generosa.",
            },
        ),
        "Almost lost": (
            {"en": "Email", "it": "Email"},
            {
                "en": "Last-chance offer by email; keep the cost low.",
                "it": "Offerta dell'ultima occasione via email; costi contenuti.",
            },
        ),
        "Dormant": (
            {"en": "Email", "it": "Email"},
            {
                "en": "One low-cost reactivation email, then leave them out of paid audiences.",
                "it": "Una email di riattivazione a basso costo, poi escludili dal pubblico a pagamento.",
            },
        ),
        UNCLASSIFIED: ({"en": "-", "it": "-"}, {"en": "Review the RFM rules.", "it": "Rivedi le regole RFM."}),
    },
    "lifecycle": {
        NEW: (
            {"en": "Email", "it": "Email"},
            {
                "en": "Welcome series: thank them, show how to get the most from the first order, invite a second one.",
                "it": "Serie di benvenuto: ringrazia, mostra come sfruttare il primo acquisto, invita al secondo.",
            },
        ),
        ONE_TIME: (
            {"en": "Social retargeting", "it": "Retargeting social"},
            {
                "en": "Social retargeting with complementary products to earn the second order.",
                "it": "Retargeting sui social con prodotti complementari per ottenere il secondo ordine.",
            },
        ),
        REPEAT: (
            {"en": "Email", "it": "Email"},
            {
                "en": "Rewards and exclusive offers by email; a surprise on their first-order anniversary.",
                "it": "Premi e offerte esclusive via email; una sorpresa nell'anniversario del primo ordine.",
            },
        ),
        LOYAL: (
            {"en": "Email + VIP", "it": "Email + VIP"},
            {
                "en": "Cross-sell and upsell, VIP early access; a surprise on their first-order anniversary.",
                "it": "Cross-selling e upselling, anteprime VIP; una sorpresa nell'anniversario del primo ordine.",
            },
        ),
        AT_RISK: (
            {"en": "Personal contact", "it": "Contatto personale"},
            {
                "en": "Personal win-back, most valuable first: a personal message, an offer on what they used to buy.",
                "it": "Riconquista personale, dai più preziosi: messaggio personale, offerta su ciò che compravano.",
            },
        ),
        LOST: (
            {"en": "Email", "it": "Email"},
            {
                "en": "One last win-back email at low cost; exclude from paid audiences if they do not answer.",
                "it": "Un'ultima email di riconquista a basso costo; poi escludili dal pubblico a pagamento.",
            },
        ),
    },
    "churn_risk": {
        "low": (
            {"en": "Email", "it": "Email"},
            {
                "en": "No discount needed: regular newsletter and new products.",
                "it": "Nessuno sconto necessario: newsletter abituale e novità.",
            },
        ),
        "medium": (
            {"en": "Email + SMS", "it": "Email + SMS"},
            {
                "en": "Timely reminder near their usual reorder time, with a small incentive.",
                "it": "Promemoria al momento del loro solito riordino, con un piccolo incentivo.",
            },
        ),
        "high": (
            {"en": "Personal contact + retargeting", "it": "Contatto personale + retargeting"},
            {
                "en": "Win-back now: personal outreach for valuable customers, retargeting for the rest.",
                "it": "Riconquista subito: contatto personale per i clienti di valore, retargeting per gli altri.",
            },
        ),
    },
}

_SEGMENT_COLUMN = {"rfm": "rfm_group", "lifecycle": "lifecycle_segment", "churn_risk": "churn_risk"}


def rfm_grid_counts(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers per (`r_score`, `f_score`) cell with their `avg_revenue` (net): the R x F grid."""
    return customers.groupby(["r_score", "f_score"], as_index=False).agg(
        customers=("customer_id", "count"), avg_revenue=("revenue", "mean")
    )


def risk_tier_counts(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers per churn-risk `tier` and their `share` of all customers."""
    tiers = customers["churn_risk"].value_counts().rename_axis("tier").reset_index(name="customers")
    tiers["share"] = tiers["customers"] / tiers["customers"].sum()
    return tiers


def _check_by(by: str) -> None:
    if by not in _SEGMENT_COLUMN:
        raise UserInputError(f"segments can be by rfm, lifecycle or churn_risk, not {by!r}; pick one of those")


def _check_language(language: str) -> None:
    if language not in ("en", "it"):
        raise UserInputError(f"language must be 'en' or 'it', not {language!r}")


def segment_names(by: str, *, rules: tuple[RfmGroupRule, ...] | list[RfmGroupRule] = RFM_GROUP_RULES) -> list[str]:
    """The segment names of a segmentation, in display order."""
    _check_by(by)
    if by == "rfm":
        return [r.name for r in rules]
    return list(LIFECYCLE_SEGMENTS if by == "lifecycle" else CHURN_TIERS)


def playbook(by: str, segment: str, language: str = "en") -> tuple[str, str]:
    """(channel, recommended action) of a segment in the language asked; ("", "") if none is written."""
    _check_by(by)
    _check_language(language)
    entry = _PLAYBOOK[by].get(segment)
    if entry is None:
        return "", ""
    return entry[0][language], entry[1][language]


# --------------------------------------------------------------------------------------------------
# Summary and migration

SUMMARY_COLUMNS = (
    "segment",
    "customers",
    "share",
    "revenue",
    "revenue_share",
    "orders_per_customer",
    "aov",
    "avg_predicted_clv",
    "recommended_action",
    "channel",
    "churn_low_share",
    "churn_medium_share",
    "churn_high_share",
)


def segment_summary(
    customers: pd.DataFrame,
    *,
    by: str = "rfm",
    language: str = "en",
    rules: tuple[RfmGroupRule, ...] | list[RfmGroupRule] = RFM_GROUP_RULES,
) -> pd.DataFrame:
    """One row per segment of a customer table (`retention.customers.customer_table`).

    Columns: segment, customers, share (of all customers), revenue (net, historical), revenue_share,
    orders_per_customer, aov (revenue / orders), avg_predicted_clv (NaN if the table has no
    predicted_clv), recommended_action, channel, and the churn-risk mix churn_low_share,
    churn_medium_share, churn_high_share (shares of the segment's customers; NaN without churn_risk).
    Every segment of the segmentation is listed, empty ones with 0 customers, in display order.
    """
    _check_by(by)
    _check_language(language)
    column = _SEGMENT_COLUMN[by]
    missing = [c for c in (column, "orders", "revenue") if c not in customers.columns]
    if missing:
        raise UserInputError(
            f"the customer table lacks {', '.join(missing)}; build it with retention.customers.customer_table"
        )
    frame = pd.DataFrame(
        {
            "segment": customers[column].astype(object).to_numpy(),
            "orders": pd.to_numeric(customers["orders"]).astype(float).to_numpy(),
            "revenue": pd.to_numeric(customers["revenue"]).astype(float).to_numpy(),
            "clv": (
                pd.to_numeric(customers["predicted_clv"]).astype(float).to_numpy()
                if "predicted_clv" in customers.columns
                else np.full(len(customers), np.nan)
            ),
        }
    )
    for tier in CHURN_TIERS:
        frame[f"churn_{tier}"] = (
            (customers["churn_risk"].astype(object).to_numpy() == tier).astype(float)
            if "churn_risk" in customers.columns
            else np.nan
        )
    grouped = frame.groupby("segment", sort=False).agg(
        customers=("orders", "size"),
        orders=("orders", "sum"),
        revenue=("revenue", "sum"),
        avg_predicted_clv=("clv", "mean"),
        churn_low_share=("churn_low", "mean"),
        churn_medium_share=("churn_medium", "mean"),
        churn_high_share=("churn_high", "mean"),
    )
    names = segment_names(by, rules=rules)
    names += [s for s in grouped.index if s not in names]  # e.g. "Unclassified" under custom rules
    out = grouped.reindex(names)
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out["orders"] = out["orders"].fillna(0.0)
    out["revenue"] = out["revenue"].fillna(0.0)
    total_customers = max(int(out["customers"].sum()), 1)
    total_revenue = float(out["revenue"].sum())
    out["share"] = out["customers"] / total_customers
    out["revenue_share"] = out["revenue"] / total_revenue if total_revenue else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["orders_per_customer"] = np.where(
            out["customers"] > 0, out["orders"] / out["customers"].clip(lower=1), np.nan
        )
        out["aov"] = np.where(out["orders"] > 0, out["revenue"] / out["orders"].where(out["orders"] > 0, 1.0), np.nan)
    actions = [playbook(by, s, language) for s in names]
    out["channel"] = [a[0] for a in actions]
    out["recommended_action"] = [a[1] for a in actions]
    out = out.reset_index(names="segment")
    # Rounded for reading: shares to 0.01 percentage points, money to cents.
    out = out.round(
        {
            "revenue": 2,
            "share": 4,
            "revenue_share": 4,
            "orders_per_customer": 3,
            "aov": 2,
            "avg_predicted_clv": 2,
            "churn_low_share": 4,
            "churn_medium_share": 4,
            "churn_high_share": 4,
        }
    )
    return out[list(SUMMARY_COLUMNS)]


def rfm_segments(
    con,
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    table: str = "orders",
    rfm_rules: tuple[RfmGroupRule, ...] | list[RfmGroupRule] = RFM_GROUP_RULES,
    lifecycle_rules: LifecycleRules = LifecycleRules(),
    prepared: bool = False,
) -> pd.DataFrame:
    """Per customer as of `as_of` (default: the last order day): RFM scores, group and lifecycle.

    Columns: customer_id, orders, revenue, first_order, last_order, recency_days, tenure_days,
    r_score, f_score, m_score, rfm_score (e.g. "545"), rfm_group, lifecycle_segment.
    `window_days` is the churn window the lifecycle thresholds derive from (default: the shop's own,
    `retention.churn.default_window_days`). `prepared`: read the order rows from
    `retention.sql.segments.create_prepared_order_rows`' temp tables.
    """
    from retention.sql.segments import query_last_order_day, query_rfm_snapshot

    end = as_of or query_last_order_day(con, table=table)
    if end is None:
        raise UserInputError("there are no orders to segment; load an order export first")
    if window_days is None:
        from retention.churn import default_window_days

        window_days = default_window_days(con, as_of=end, table=table).days
    snap = query_rfm_snapshot(con, as_of=end, table=table, prepared=prepared)
    # "545" from a table of the 125 codes: concatenating 1.8M strings took seconds
    codes = np.array([f"{r}{f}{m}" for r in range(6) for f in range(6) for m in range(6)], dtype=object)
    scores = [snap[c].to_numpy(dtype=np.int64) for c in ("r_score", "f_score", "m_score")]
    snap["rfm_score"] = codes[scores[0] * 36 + scores[1] * 6 + scores[2]]
    snap["rfm_group"] = assign_rfm_groups(snap["r_score"], snap["f_score"], snap["m_score"], rules=rfm_rules)
    snap["lifecycle_segment"] = assign_lifecycle_segments(
        orders=snap["orders"],
        recency_days=snap["recency_days"],
        tenure_days=snap["tenure_days"],
        m_score=snap["m_score"],
        window_days=window_days,
        rules=lifecycle_rules,
    )
    return snap


NOT_YET_CUSTOMER = "(not yet a customer)"


def segment_migration(
    con,
    *,
    since: date,
    by: str = "rfm",
    table: str = "orders",
    window_days: int | None = None,
) -> pd.DataFrame:
    """How customers moved between segments from `since` to now (the last order day).

    Both snapshots are computed with the data each date had (scores rank customers against the
    customers of that date). Customers whose first order came after `since` start in
    "(not yet a customer)". Returns one row per (from, to) pair with customers > 0: from_segment,
    to_segment, customers, share_of_from (of the customers that were in from_segment), in display order.
    """
    if by not in ("rfm", "lifecycle"):
        raise UserInputError(f"migration is by rfm or lifecycle, not {by!r}")
    from retention.sql.segments import query_last_order_day

    end = query_last_order_day(con, table=table)
    if end is None:
        raise UserInputError("there are no orders; load an order export first")
    if since >= end:
        raise UserInputError(f"--since must be before the last order day {end.isoformat()}; pick an earlier date")
    if window_days is None:
        from retention.churn import default_window_days

        window_days = default_window_days(con, as_of=end, table=table).days
    column = _SEGMENT_COLUMN[by]
    before = rfm_segments(con, as_of=since, window_days=window_days, table=table)[["customer_id", column]]
    after = rfm_segments(con, as_of=end, window_days=window_days, table=table)[["customer_id", column]]
    moved = after.merge(before, on="customer_id", how="left", suffixes=("_to", "_from"))
    moved[f"{column}_from"] = (
        moved[f"{column}_from"].astype(object).where(moved[f"{column}_from"].notna(), NOT_YET_CUSTOMER)
    )
    table_ = (
        moved.groupby([f"{column}_from", f"{column}_to"], sort=False)
        .size()
        .rename("customers")
        .reset_index()
        .rename(columns={f"{column}_from": "from_segment", f"{column}_to": "to_segment"})
    )
    order = {name: i for i, name in enumerate([*segment_names(by), NOT_YET_CUSTOMER])}
    table_["_f"] = table_["from_segment"].map(order).fillna(len(order))
    table_["_t"] = table_["to_segment"].map(order).fillna(len(order))
    table_ = table_.sort_values(["_f", "_t"], kind="stable").drop(columns=["_f", "_t"]).reset_index(drop=True)
    table_["customers"] = table_["customers"].astype("int64")
    table_["share_of_from"] = table_["customers"] / table_.groupby("from_segment")["customers"].transform("sum")
    return table_
