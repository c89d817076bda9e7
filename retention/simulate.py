"""Customers who buy the way the BG/NBD model says they do, for tests, the demo shop and benchmarks.

The story (Fader, Hardie and Lee 2005, section 3): while alive, a customer buys as a Poisson process
with rate lambda ~ Gamma(r, alpha); after every repeat purchase they drop out for good with
probability p ~ Beta(a, b), so everyone is alive right after their first purchase. The modified
story (MBG/NBD, Batislam et al. 2007) also lets them drop out right after the first purchase:
`variant="mbgnbd"`. Rates are per day. Because the truth is known (who dropped out and
when), these customers are the yardstick of the models and the churn scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BGNBDParams:
    """Population parameters, time unit days. Defaults: an online shop, ~1.5 orders/year while alive."""

    r: float = 0.6
    alpha: float = 140.0
    a: float = 0.8
    b: float = 2.6


def simulate_bgnbd(
    n_customers: int,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    *,
    params: BGNBDParams = BGNBDParams(),
    acquisition_growth: float = 0.0,
    variant: str = "bgnbd",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate customers first buying between `start` and `end` and their purchases up to `end`.

    Returns `(customers, purchases)`:
    - customers: `customer_no` (0..n-1), `first_purchase` (Timestamp), `lam` (purchases per day
      while alive), `p` (drop-out probability after each purchase), `purchases_before_dropout`
      (K: the customer drops out right after their K-th purchase), `dropout_date` (NaT if still
      alive at `end`), `alive_at_end`;
    - purchases: `customer_no`, `purchase_ts` (Timestamp with a time of day), `purchase_no` (1 = first).

    `acquisition_growth` > 0 makes later acquisition dates more likely (a growing shop): the density
    of first purchases rises linearly by that factor from `start` to `end`.
    """
    rng = np.random.default_rng(seed)
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    horizon = (end_ts - start_ts).total_seconds() / 86400.0
    if horizon <= 0 or n_customers <= 0:
        raise ValueError("simulate_bgnbd needs end after start and at least one customer")
    if variant not in ("bgnbd", "mbgnbd"):
        raise ValueError(f"variant is 'bgnbd' or 'mbgnbd', not {variant!r}")

    u = rng.random(n_customers)
    if acquisition_growth > 0:
        # inverse CDF of the density (1 + g x) on [0, 1]
        g = acquisition_growth
        birth_frac = (np.sqrt(1 + g * (2 + g) * u) - 1) / g
    else:
        birth_frac = u
    birth = birth_frac * horizon  # days after start
    lam = rng.gamma(params.r, 1.0 / params.alpha, n_customers)
    p = rng.beta(params.a, params.b, n_customers)
    # Drop out right after the k-th purchase (the first counts as 1). BG/NBD: only after a repeat
    # purchase, so k >= 2; MBG/NBD: after any purchase, so k >= 1.
    k = rng.geometric(p) + (1 if variant == "bgnbd" else 0)

    window = horizon - birth
    n_events = rng.poisson(lam * window)  # Poisson events in (birth, end] had they stayed alive
    # Their times are uniform on the window; the first (k - 1) of them happen before the drop-out.
    owner = np.repeat(np.arange(n_customers), n_events)
    times = birth[owner] + rng.random(owner.size) * window[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    starts = np.cumsum(n_events) - n_events
    rank = np.arange(owner.size) - starts[owner]  # 0-based rank within customer
    keep = rank < (k[owner] - 1)
    owner, times, rank = owner[keep], times[keep], rank[keep]
    repeats = np.bincount(owner, minlength=n_customers)

    dropped = (k - 1) <= n_events
    last_time = birth.copy()
    has_rep = repeats > 0
    last_by_owner = np.zeros(n_customers)
    np.maximum.at(last_by_owner, owner, times)
    last_time[has_rep] = last_by_owner[has_rep]
    # A customer who drops out does so right after their k-th (last) purchase.
    dropout = np.where(dropped, last_time, np.nan)

    day = pd.Timedelta(days=1)
    customers = pd.DataFrame(
        {
            "customer_no": np.arange(n_customers),
            "first_purchase": start_ts + pd.to_timedelta(birth, unit="D"),
            "lam": lam,
            "p": p,
            "purchases_before_dropout": k,
            "dropout_date": start_ts + pd.to_timedelta(dropout, unit="D"),
            "alive_at_end": ~dropped,
        }
    )
    first = pd.DataFrame({"customer_no": np.arange(n_customers), "t": birth, "purchase_no": 1})
    rep = pd.DataFrame({"customer_no": owner, "t": times, "purchase_no": rank + 2})
    purchases = pd.concat([first, rep], ignore_index=True).sort_values(["customer_no", "t"], kind="stable")
    purchases["purchase_ts"] = (start_ts + purchases["t"] * day).dt.floor("s")
    purchases = purchases[["customer_no", "purchase_ts", "purchase_no"]].reset_index(drop=True)
    return customers, purchases
