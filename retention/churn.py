"""Churn risk: who will not order in the next N days, scored three ways and judged on a later window.

Churn means **no order in the next N days** (the churn window). By default N comes from the shop's
own rhythm: the 80th percentile of the days between consecutive orders of the same customer, bounded
to 30-365 days (`default_window_days`).

Three scorers give each customer a probability of churning in the next N days:

- ``classifier``: a scikit-learn `Pipeline` (one-hot of channel and country, then a
  `HistGradientBoostingClassifier`) on features computed in SQL as of a cut-off (recency, tenure,
  orders, revenue, AOV, mean and last gap between orders, days overdue against the customer's own
  cadence, distinct products, discount share, first channel, country).
- ``bgnbd``: the BG/NBD model's probability of no purchase in N days (`retention.clv`).
- ``recency_rule``: the customer's own cadence. Expected gap = their mean gap between orders (the
  shop's median gap for one-order customers); P(order in N days) = exp(-days overdue / gap) x
  (1 - exp(-N / gap)), times the shop's repeat-customer share for one-order customers.

The time split (never judged on the period it was fitted on), with `end` the observation end:

    c1 = end - 2N   features as of c1, labels from (c1, c2]       -> training
    c2 = end - N    features as of c2, labels from (c2, end]      -> holdout: the leaderboard
    end             features as of end                            -> today's scores

The leaderboard gives each scorer's ROC AUC, the precision among the 20% flagged riskiest, the Brier
score and reliability bins on the holdout. The scorer with the highest AUC scores today's customers
(the classifier refitted on the holdout window, the most recent labelled data). Shops with too little
data for that fall back to the recency rule with confidence "low", never blank fields.

Risk tiers: low below `RISK_THRESHOLDS["medium"]`, high from `RISK_THRESHOLDS["high"]`, medium between.
The share at risk (`churn_risk_share`, the KPI compared with the founding research's ~28% typical,
<= 18% goal) is the share of the ACTIVE customers (an order in the last 365 days) in the high tier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from retention.errors import UserInputError
from retention.i18n import format_date, format_number, format_percent, t

__all__ = [
    "ACTIVE_DAYS",
    "ChurnResult",
    "RISK_THRESHOLDS",
    "active_customer_count",
    "drilldown_candidates",
    "WindowChoice",
    "cadence_churn_probability",
    "churn_risk_share",
    "default_window_days",
    "judge_churn_risk",
    "score_churn",
]

WINDOW_QUANTILE = 0.8
WINDOW_BOUNDS = (30, 365)
WINDOW_WITHOUT_DATA = 90  # days, when the shop has too few repeat orders to measure its rhythm
MIN_GAPS_FOR_WINDOW = 20
# Probability of no order in the next N days at which a customer enters the tier.
RISK_THRESHOLDS: dict[str, float] = {"medium": 0.6, "high": 0.8}
# Below these a fitted classifier or its leaderboard would be noise: fall back to the cadence rule.
MIN_CUSTOMERS_TO_TRAIN = 300
MIN_PER_CLASS = 30
MAX_TRAIN_ROWS = 200_000  # a stratified random sample above this: the fit stays within seconds at 10M lines
TOP_SHARE = 0.2


def choice_text(values: dict[str, object], lang: str = "en") -> str:
    """Why the churn scorer was chosen (`ChurnResult.reason_values`), in plain words in `lang`."""
    if values.get("code") == "too_little_history":
        counts = ("days", "min_customers", "min_per_class", "n_train", "n_hold", "span")
        return t("churn.reason_too_little_history", lang, **{k: format_number(values[k], lang) for k in counts})
    others = "".join(
        f"; {t(f'churn.scorer_{name}', lang)} {format_number(auc, lang, 3)}" for name, auc in values.get("others", [])
    )
    return t(
        "churn.reason_best_scorer",
        lang,
        scorer=t(f"churn.scorer_{values['scorer']}", lang),
        days=format_number(values["days"], lang),
        auc_pct=format_percent(values["auc"], lang, 0),
        auc=format_number(values["auc"], lang, 3),
        others=others,
        precision=format_percent(values["precision"], lang, 0),
        auc_in_100=round(float(values["auc"]) * 100),
        precision_in_100=round(float(values["precision"]) * 100),
    )


def churn_note_text(values: dict[str, object], lang: str = "en") -> str:
    """One note of the churn scoring (`ChurnResult.note_values`) in `lang`."""
    code = values.get("code")
    if code == "classifier_sample":
        return t(
            "churn.note_classifier_sample",
            lang,
            sample=format_number(values["sample"], lang),
            customers=format_number(values["customers"], lang),
        )
    from retention.clv import fit_status_text

    reason = values.get("reason") or {}
    why = fit_status_text({"notes": [reason]}, lang)[0] or str(reason.get("message", ""))
    if code == "bgnbd_unfit":
        return t("churn.note_bgnbd_unfit", lang, date=format_date(values["date"], lang), reason=why)
    return t("churn.note_scorer_failed", lang, scorer=t(f"churn.scorer_{values.get('scorer')}", lang), reason=why)


def _reason_values(exc: BaseException) -> dict[str, object]:
    """An exception as a note's reason: its code and values when it has them (a ModelFitError)."""
    return {"code": getattr(exc, "code", None) or "failed", "message": str(exc), **getattr(exc, "values", {})}


SCORER_LABELS = {
    "classifier": "Classifier (gradient boosting on order history)",
    "bgnbd": "BG/NBD probability of no purchase in N days",
    "recency_rule": "Recency rule (days since last order vs the customer's own cadence)",
}
NUMERIC_FEATURES = [
    "recency_days",
    "tenure_days",
    "orders",
    "revenue",
    "aov",
    "mean_gap_days",
    "last_gap_days",
    "expected_gap_days",
    "days_overdue",
    "overdue_ratio",
    "distinct_products",
    "discount_share",
]
CATEGORICAL_FEATURES = ["first_channel", "first_country"]


# --------------------------------------------------------------------------------------------------
# Churn window


@dataclass(frozen=True)
class WindowChoice:
    """The churn window N in days and, in plain words, where it comes from."""

    days: int
    source: str
    typical_gap_days: float  # median days between consecutive orders (NaN without repeat orders)
    # `source` as data ({"code": ..., values}) for `window_source_text` in another language
    source_values: dict[str, object] = field(default_factory=dict)


def window_source_text(values: dict[str, object], lang: str = "en") -> str:
    """Where the churn window comes from (`WindowChoice.source_values`), in `lang`."""
    code = str(values.get("code"))
    numbers = {k: format_number(v, lang) for k, v in values.items() if k != "code"}
    text = t(f"churn.window_{code}", lang, **numbers)
    if code == "measured" and values.get("bounded") is not None:
        text += t("churn.window_bounded", lang, days=format_number(values["bounded"], lang))
    return text


def _window_choice(days: int, typical_gap_days: float, **values: object) -> WindowChoice:
    values = {k: v for k, v in values.items() if v is not None}
    return WindowChoice(days, window_source_text(values, "en"), typical_gap_days, values)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value whose cumulative weight share reaches q (the 'lower' empirical quantile)."""
    cum = np.cumsum(weights) / weights.sum()
    return float(values[np.searchsorted(cum, q - 1e-12)])


def default_window_days(
    con, *, as_of: date | None = None, table: str = "orders", prepared: bool = False
) -> WindowChoice:
    """The shop's churn window: the 80th percentile of days between consecutive orders, 30-365 days.

    80% of the shop's repeat orders arrive within that many days of the previous one, so a customer
    without an order for that long is, by the shop's own standard, late. With fewer than 20 repeat
    orders the rhythm cannot be measured: 90 days.
    """
    from retention.sql.churn import query_gap_histogram
    from retention.sql.segments import query_last_order_day

    end = as_of or query_last_order_day(con, table=table)
    if end is None:
        raise UserInputError("there are no orders; load an order export first")
    hist = query_gap_histogram(con, as_of=end, table=table, prepared=prepared)
    gaps = int(hist["gaps"].sum()) if len(hist) else 0
    if gaps < MIN_GAPS_FOR_WINDOW:
        return _window_choice(
            WINDOW_WITHOUT_DATA,
            float("nan")
            if gaps == 0
            else _weighted_quantile(hist["gap_days"].to_numpy(), hist["gaps"].to_numpy(), 0.5),
            code="assumed",
            gaps=gaps,
            n=WINDOW_WITHOUT_DATA,
        )
    values, weights = hist["gap_days"].to_numpy(dtype=float), hist["gaps"].to_numpy(dtype=float)
    p80 = _weighted_quantile(values, weights, WINDOW_QUANTILE)
    median = _weighted_quantile(values, weights, 0.5)
    days = int(min(max(round(p80), WINDOW_BOUNDS[0]), WINDOW_BOUNDS[1]))
    bounded = days if days != int(p80) else None
    return _window_choice(days, median, code="measured", p80=int(p80), gaps=gaps, bounded=bounded)


# --------------------------------------------------------------------------------------------------
# Features and scorers


def _prepare(features: pd.DataFrame, *, typical_gap_days: float) -> pd.DataFrame:
    """Add the cadence columns: expected gap, days overdue, overdue ratio (no fitting, no leakage)."""
    f = features.copy(deep=False)  # copy-on-write: the caller's frame is not changed
    typical = typical_gap_days if typical_gap_days and not math.isnan(typical_gap_days) else 30.0
    expected = f["mean_gap_days"].astype(float).fillna(typical).clip(lower=1.0)
    f["expected_gap_days"] = expected
    f["days_overdue"] = (f["recency_days"].astype(float) - expected).clip(lower=0.0)
    f["overdue_ratio"] = f["recency_days"].astype(float) / expected
    for col in CATEGORICAL_FEATURES:
        f[col] = f[col].fillna("unknown").astype(str)
    return f


def cadence_churn_probability(
    recency_days, expected_gap_days, orders, *, window_days: int, repeat_share: float
) -> np.ndarray:
    """Probability of no order in the next `window_days` days from the customer's own cadence.

    A customer is expected to buy every `expected_gap_days` days (a Poisson rhythm). Each expected
    gap they are overdue makes it e times less likely they are still buying:
    P(order) = exp(-max(recency - gap, 0) / gap) x (1 - exp(-N / gap)); for one-order customers also
    x `repeat_share` (the share of the shop's customers who ever ordered twice).
    """
    rec = np.asarray(recency_days, dtype=float)
    gap = np.maximum(np.asarray(expected_gap_days, dtype=float), 1.0)
    n = np.asarray(orders, dtype=float)
    p_buy = np.exp(-np.maximum(rec - gap, 0.0) / gap) * (1.0 - np.exp(-float(window_days) / gap))
    p_buy = np.where(n <= 1, p_buy * repeat_share, p_buy)
    return np.clip(1.0 - p_buy, 0.0, 1.0)


def _classifier(random_state: int, numeric: list[str]):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    prep = ColumnTransformer(
        [
            ("num", "passthrough", numeric),
            (
                "cat",
                OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=12, sparse_output=False),
                CATEGORICAL_FEATURES,
            ),
        ]
    )
    # Shallow, slow and regularised: labels of one window are noisy, and deeper trees fitted the
    # training window's noise (holdout AUC 0.73 against 0.76 on simulated shops).
    model = HistGradientBoostingClassifier(
        max_iter=60,
        learning_rate=0.1,
        max_depth=2,
        min_samples_leaf=100,
        l2_regularization=1.0,
        random_state=random_state,
    )
    return Pipeline([("features", prep), ("model", model)])


def _feature_columns(frame: pd.DataFrame) -> list[str]:
    extra = ["bgnbd_no_purchase"] if "bgnbd_no_purchase" in frame.columns else []
    return NUMERIC_FEATURES + extra + CATEGORICAL_FEATURES


def stratified_sample(labels: np.ndarray, size: int, random_state: int) -> np.ndarray:
    """Row positions of a random sample of at most `size` rows keeping each label's share.

    Each class contributes round(size x its share) rows drawn without replacement (numpy Generator
    seeded with the integer `random_state`); positions come back sorted. All rows when they fit.
    """
    n = len(labels)
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    picked = []
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        take = min(len(rows), max(int(round(size * len(rows) / n)), 1))
        picked.append(rng.choice(rows, take, replace=False))
    return np.sort(np.concatenate(picked))


def _fit_classifier(train: pd.DataFrame, random_state: int):
    if len(train) > MAX_TRAIN_ROWS:
        # a stratified random sample: the fit's cost stops growing with the shop, the churn rate stays
        train = train.iloc[stratified_sample(train["churned"].to_numpy(), MAX_TRAIN_ROWS, random_state)]
    columns = _feature_columns(train)
    pipe = _classifier(random_state, numeric=[c for c in columns if c not in CATEGORICAL_FEATURES])
    with _one_thread():
        pipe.fit(train[columns], train["churned"].to_numpy())
    return pipe


def _one_thread():
    """Run scikit-learn's OpenMP loops on one thread.

    On a shared 2-core machine with DuckDB and other sessions busy, OpenMP's spinning threads made the
    boosting fit 6x slower (18 s against 3 s for 120k customers); one thread is also fast enough alone.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


PREDICT_CHUNK_ROWS = 250_000  # the pipeline's dense feature matrix is built this many rows at a time


def _predict_churn(pipe, frame: pd.DataFrame) -> np.ndarray:
    """P(churn) per row, scored in chunks: one dense one-hot matrix of 1.8M customers was ~0.5 GB."""
    columns = list(pipe.feature_names_in_)
    positive = list(pipe.classes_).index(1)
    out = np.empty(len(frame), dtype=np.float64)
    with _one_thread():
        for start in range(0, len(frame), PREDICT_CHUNK_ROWS):
            part = frame.iloc[start : start + PREDICT_CHUNK_ROWS][columns]
            out[start : start + len(part)] = pipe.predict_proba(part)[:, positive]
    return out


def _bgnbd_probability(frame: pd.DataFrame, *, window_days: int) -> np.ndarray:
    """BG/NBD probability of no purchase in the next `window_days` days, per row of `frame`.

    `frame` holds the BG/NBD summary as of its cut-off (frequency, recency, T in customer-days, from
    `query_churn_features`, so no second pass over the orders): the model is fitted once on the
    distinct (frequency, recency, T) triples weighted by their counts and scored per triple.
    """
    from retention import clv
    from retention.models import BetaGeoModel

    triples, codes = clv.purchase_triples(frame)
    model = BetaGeoModel().fit(triples)
    return np.asarray(clv.prob_no_purchase(model, triples, window_days), dtype=float)[codes]


# --------------------------------------------------------------------------------------------------
# Judging


def _roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else float("nan")


def _precision_top(y: np.ndarray, score: np.ndarray, share: float = TOP_SHARE) -> float:
    """Share of true churners among the `share` of customers with the highest score (ties by order)."""
    k = max(int(round(share * len(y))), 1)
    top = np.argsort(-score, kind="stable")[:k]
    return float(y[top].mean())


def reliability_bins(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Reliability table: per probability decile bin, customers, mean predicted and observed churn."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(prob, edges[1:-1], right=False), 0, bins - 1)
    frame = pd.DataFrame({"bin": idx, "y": y, "p": prob})
    g = frame.groupby("bin").agg(customers=("y", "size"), predicted=("p", "mean"), observed=("y", "mean"))
    g = g.reindex(range(bins))
    g["customers"] = g["customers"].fillna(0).astype("int64")
    g.insert(0, "bin_from", edges[:-1])
    g.insert(1, "bin_to", edges[1:])
    return g.reset_index(drop=True)


def _judge(name: str, y: np.ndarray, prob: np.ndarray) -> dict[str, object]:
    return {
        "scorer": name,
        "label": SCORER_LABELS[name],
        "roc_auc": _roc_auc(y, prob),
        "precision_top20": _precision_top(y, prob),
        "brier": float(np.mean((prob - y) ** 2)),
        "customers": int(len(y)),
        "churn_rate": float(y.mean()),
    }


# --------------------------------------------------------------------------------------------------
# Result


@dataclass
class ChurnResult:
    """Churn scores of today's customers and how the scorer was chosen.

    - scores: customer_id, churn_probability (no order in the next `window_days` days), churn_risk
      (low/medium/high), churn_confidence (high/medium/low), days_overdue (days past the customer's
      expected gap, 0 when not yet due), expected_gap_days;
    - leaderboard: one row per scorer on the holdout window: scorer, label, roc_auc,
      precision_top20, brier, customers, churn_rate, trained_on_customers (the classifier: its
      training rows, a stratified sample of at most MAX_TRAIN_ROWS), chosen (bool); empty with too little data;
    - calibration: scorer -> reliability bins on the holdout;
    - chosen, reason: the scorer used and why, in plain words (English); `reason_values` holds the
      same facts for `choice_text` to say in another language;
    - thresholds: {"medium": p, "high": p}; window_days and window_source; confidence; cutoffs.
    """

    scores: pd.DataFrame
    leaderboard: pd.DataFrame
    chosen: str
    reason: str
    thresholds: dict[str, float]
    window_days: int
    window_source: str
    confidence: str
    observation_end: date
    cutoffs: dict[str, date] = field(default_factory=dict)
    calibration: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reason_values: dict[str, object] = field(default_factory=dict)
    note_values: list[dict[str, object]] = field(default_factory=list)
    window_values: dict[str, object] = field(default_factory=dict)  # window_source as data

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly summary (no per-customer rows)."""
        return {
            "chosen": self.chosen,
            "reason": self.reason,
            "confidence": self.confidence,
            "window_days": self.window_days,
            "window_source": self.window_source,
            "thresholds": dict(self.thresholds),
            "observation_end": self.observation_end.isoformat(),
            "cutoffs": {k: v.isoformat() for k, v in self.cutoffs.items()},
            "leaderboard": self.leaderboard.to_dict(orient="records"),
            "risk_mix": self.scores["churn_risk"]
            .value_counts(normalize=True)
            .reindex(["low", "medium", "high"])
            .fillna(0.0)
            .to_dict(),
            "notes": list(self.notes),
        }


def risk_tiers(prob, thresholds: dict[str, float] = RISK_THRESHOLDS) -> np.ndarray:
    """low / medium / high from the probability of no order in the next N days."""
    p = np.asarray(prob, dtype=float)
    return np.select([p >= thresholds["high"], p >= thresholds["medium"]], ["high", "medium"], default="low").astype(
        object
    )


ACTIVE_DAYS = 365  # the founding research's base: customers with an order in the last year
_ACTIVE_BASE = {
    "en": "among the active customers (an order in the last {d} days)",
    "it": "tra i clienti attivi (un ordine negli ultimi {d} giorni)",
}


def _days_since_last_order(customers: pd.DataFrame) -> np.ndarray | None:
    """Days from each customer's last order to the observation end (T - recency in days)."""
    if "T" in customers.columns and "recency" in customers.columns:
        return customers["T"].to_numpy(dtype=float) - customers["recency"].to_numpy(dtype=float)
    if "recency_days" in customers.columns:
        return customers["recency_days"].to_numpy(dtype=float)
    return None


def churn_risk_share(customers: pd.DataFrame) -> float:
    """Share of the ACTIVE customer base in the high churn-risk tier (a fraction, 0.28 = 28%).

    This is the founding research's KPI: "about 28% of e-commerce customers are at risk of leaving
    within the year, 18% or less is the goal". Its base is the active customers: those with an order
    in the last `ACTIVE_DAYS` (365) days before the observation end, i.e. days since the last order
    (T - recency, or recency_days) of at most 364. A customer gone for years is lost, not at risk,
    and counting them would inflate the share. Among them, the share whose `churn_risk` is "high"
    (probability of no order in the next N days >= RISK_THRESHOLDS["high"]). Without a days-since-
    last-order column, among all customers. NaN when there is no active customer.
    """
    if "churn_risk" not in customers.columns:
        raise UserInputError("the customer table has no churn_risk column; build it with customer_table")
    since = _days_since_last_order(customers)
    high = customers["churn_risk"].astype(object).to_numpy() == "high"
    if since is not None:
        high = high[since < ACTIVE_DAYS]
    if high.size == 0:
        return float("nan")
    return float(high.mean())


def active_customer_count(customers: pd.DataFrame) -> int:
    """Customers with an order in the last `ACTIVE_DAYS` days: the base of `churn_risk_share`."""
    since = _days_since_last_order(customers)
    return int(len(customers) if since is None else (since < ACTIVE_DAYS).sum())


def drilldown_candidates(customers: pd.DataFrame, n: int = 200) -> list[str]:
    """Customer ids worth a closer look, without repeats: the `n` most valuable (predicted CLV) in the
    high-risk tier first, then the `n` most likely to churn."""
    ranked = customers.sort_values(
        ["churn_probability", "predicted_clv", "customer_id"], ascending=[False, False, True], na_position="last"
    )
    high_value_at_risk = ranked[ranked["churn_risk"] == "high"].sort_values(
        ["predicted_clv", "customer_id"], ascending=[False, True], na_position="last"
    )
    return list(dict.fromkeys([*high_value_at_risk["customer_id"].head(n), *ranked["customer_id"].head(n)]))


def judge_churn_risk(customers: pd.DataFrame, *, language: str = "en") -> dict:
    """`churn_risk_share` with its verdict against the founding research's band (~28% typical, <= 18% goal).

    The verdict comes from `retention.benchmark_bands.judge_churn_risk_share`; its text is completed
    with the base it counts ("among the active customers (an order in the last 365 days)") and the
    dict gains `base` (that phrase) and `active_customers`.
    """
    from retention.benchmark_bands import judge_churn_risk_share

    share = churn_risk_share(customers)
    verdict = judge_churn_risk_share(None if math.isnan(share) else share, language=language)
    base = _ACTIVE_BASE.get(language, _ACTIVE_BASE["en"]).format(d=ACTIVE_DAYS)
    if verdict.get("value") is not None:
        verdict["verdict"] = verdict["verdict"].rstrip(".") + f", {base}."
    verdict["base"] = base
    verdict["active_customers"] = active_customer_count(customers)
    return verdict


# --------------------------------------------------------------------------------------------------
# The whole run


def score_churn(
    con,
    *,
    window_days: int | None = None,
    table: str = "orders",
    random_state: int = 0,
    observation_end: date | None = None,
    thresholds: dict[str, float] | None = None,
    scorers: tuple[str, ...] = ("classifier", "bgnbd", "recency_rule"),
    prepared: bool = False,
) -> ChurnResult:
    """Score every customer's risk of no order in the next N days; see the module docstring.

    `window_days` N (default: `default_window_days`); `observation_end` defaults to the last order
    day; `random_state` makes the classifier and the leaderboard reproducible. `prepared`: read the
    order rows from `retention.sql.segments.create_prepared_order_rows`' temp tables.
    """
    from retention.sql.churn import query_churn_features
    from retention.sql.segments import query_last_order_day

    if window_days is not None and (int(window_days) != window_days or window_days < 1):
        raise UserInputError(f"the churn window must be a whole number of days >= 1, not {window_days!r}")
    end = observation_end or query_last_order_day(con, table=table)
    if end is None:
        raise UserInputError("there are no orders to score; load an order export first")
    choice = default_window_days(con, as_of=end, table=table, prepared=prepared)
    if window_days is not None:
        choice = _window_choice(int(window_days), choice.typical_gap_days, code="user")
    n = choice.days
    thr = dict(thresholds or RISK_THRESHOLDS)
    c2 = end - timedelta(days=n)
    c1 = c2 - timedelta(days=n)
    notes: list[str] = []
    note_values: list[dict[str, object]] = []  # the notes as data, for `churn_note_text`

    now = _prepare(
        query_churn_features(con, as_of=end, table=table, prepared=prepared), typical_gap_days=choice.typical_gap_days
    )
    repeat_share_now = float((now["orders"] >= 2).mean()) if len(now) else 0.0

    def rule(frame: pd.DataFrame) -> np.ndarray:
        rs = float((frame["orders"] >= 2).mean()) if len(frame) else 0.0
        return cadence_churn_probability(
            frame["recency_days"], frame["expected_gap_days"], frame["orders"], window_days=n, repeat_share=rs
        )

    train = _prepare(
        query_churn_features(con, as_of=c1, label_end=c2, table=table, prepared=prepared),
        typical_gap_days=choice.typical_gap_days,
    )
    hold = _prepare(
        query_churn_features(con, as_of=c2, label_end=end, table=table, prepared=prepared),
        typical_gap_days=choice.typical_gap_days,
    )

    def enough(frame: pd.DataFrame) -> bool:
        if len(frame) < MIN_CUSTOMERS_TO_TRAIN:
            return False
        pos = int(frame["churned"].sum())
        return pos >= MIN_PER_CLASS and len(frame) - pos >= MIN_PER_CLASS

    def with_bgnbd(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
        """Add `bgnbd_no_purchase` (a scorer, and a feature of the classifier); NaN if it cannot be fitted."""
        frame = frame.copy(deep=False)
        try:
            frame["bgnbd_no_purchase"] = _bgnbd_probability(frame, window_days=n)
        except Exception as exc:  # too few repeat customers, or no CLV module: reported, not fatal
            notes.append(f"BG/NBD as of {as_of.isoformat()} could not be fitted: {exc}")
            note_values.append({"code": "bgnbd_unfit", "date": as_of.isoformat(), "reason": _reason_values(exc)})
            frame["bgnbd_no_purchase"] = np.nan
        return frame

    rows: list[dict[str, object]] = []
    calibration: dict[str, pd.DataFrame] = {}
    fitted = None
    use_bgnbd = "bgnbd" in scorers
    if enough(train) and enough(hold):
        if len(train) > MAX_TRAIN_ROWS and "classifier" in scorers:
            notes.append(
                f"The classifier is trained on a stratified random sample of {MAX_TRAIN_ROWS:,} of the "
                f"{len(train):,} customers of each window (same churn rate, random_state {random_state}); "
                "every customer is scored."
            )
            note_values.append({"code": "classifier_sample", "sample": MAX_TRAIN_ROWS, "customers": len(train)})
        if use_bgnbd:
            train, hold = with_bgnbd(train, c1), with_bgnbd(hold, c2)
        y = hold["churned"].to_numpy(dtype=float)
        for name in scorers:
            try:
                if name == "classifier":
                    fitted = _fit_classifier(train, random_state)
                    prob = _predict_churn(fitted, hold)
                elif name == "bgnbd":
                    prob = hold["bgnbd_no_purchase"].to_numpy(dtype=float)
                    if np.isnan(prob).any():
                        raise RuntimeError("BG/NBD gave no probability for some customers")
                else:
                    prob = rule(hold)
            except Exception as exc:  # a scorer that cannot run is reported, not fatal
                notes.append(f"{SCORER_LABELS[name]} could not be scored: {exc}")
                note_values.append({"code": "scorer_failed", "scorer": name, "reason": _reason_values(exc)})
                continue
            row = _judge(name, y, prob)
            # customers the scorer was fitted on (a stratified sample above MAX_TRAIN_ROWS); 0: no fit
            row["trained_on_customers"] = min(len(train), MAX_TRAIN_ROWS) if name == "classifier" else 0
            rows.append(row)
            calibration[name] = reliability_bins(y, prob)
    n_train, n_hold = len(train), len(hold)
    del train  # the training window's features are not needed any more (memory at 10M lines)
    leaderboard = pd.DataFrame(
        rows,
        columns=[
            "scorer",
            "label",
            "roc_auc",
            "precision_top20",
            "brier",
            "customers",
            "churn_rate",
            "trained_on_customers",
        ],  # fmt: skip
    )

    scores = pd.DataFrame({"customer_id": now["customer_id"]})
    if len(leaderboard) == 0:
        chosen = "recency_rule"
        confidence = "low"
        span = int(now["tenure_days"].max()) if len(now) else 0
        reason_values: dict[str, object] = {
            "code": "too_little_history",
            "days": n,
            "min_customers": MIN_CUSTOMERS_TO_TRAIN,
            "min_per_class": MIN_PER_CLASS,
            "n_train": n_train,
            "n_hold": n_hold,
            "span": span,
        }
        prob = cadence_churn_probability(
            now["recency_days"], now["expected_gap_days"], now["orders"], window_days=n, repeat_share=repeat_share_now
        )
    else:
        leaderboard = leaderboard.sort_values(
            ["roc_auc", "scorer"], ascending=[False, True], kind="stable"
        ).reset_index(drop=True)
        best = leaderboard.iloc[0]
        chosen = str(best["scorer"])
        reason_values = {
            "code": "best_scorer",
            "scorer": chosen,
            "days": n,
            "auc": float(best["roc_auc"]),
            "precision": float(best["precision_top20"]),
            "others": [[str(r.scorer), float(r.roc_auc)] for r in leaderboard.iloc[1:].itertuples()],
        }
        auc = float(best["roc_auc"])
        confidence = "high" if auc >= 0.75 and n_hold >= 2000 else "medium"
        if chosen in ("classifier", "bgnbd") and use_bgnbd:
            now = with_bgnbd(now, end)
        if chosen == "classifier":
            # Refit on the latest labelled window (features as of c2, labels (c2, end]) for today.
            fitted = _fit_classifier(hold, random_state)
            prob = _predict_churn(fitted, now)
        elif chosen == "bgnbd":
            prob = now["bgnbd_no_purchase"].to_numpy(dtype=float)
        else:
            prob = rule(now)
    leaderboard["chosen"] = leaderboard["scorer"] == chosen
    scores["churn_probability"] = np.asarray(prob, dtype=float)
    scores["churn_risk"] = risk_tiers(scores["churn_probability"], thr)
    scores["churn_confidence"] = confidence
    scores["days_overdue"] = now["days_overdue"].round(0).astype("int64").to_numpy()
    scores["expected_gap_days"] = now["expected_gap_days"].round(1).to_numpy()
    return ChurnResult(
        scores=scores,
        leaderboard=leaderboard,
        chosen=chosen,
        reason=choice_text(reason_values, "en"),
        reason_values=reason_values,
        note_values=note_values,
        thresholds=thr,
        window_days=n,
        window_source=choice.source,
        window_values=choice.source_values,
        confidence=confidence,
        observation_end=end,
        cutoffs={"train": c1, "holdout": c2, "end": end},
        calibration=calibration,
        notes=notes,
    )
