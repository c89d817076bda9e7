"""Simulated shops for the churn and segments tests: BG/NBD customers written into `orders`.

The simulation runs past the observation end, so the truth of the next N days is known: who will
buy in (observation_end, observation_end + N] and who will not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retention.schema import orders_ddl
from retention.simulate import BGNBDParams, simulate_bgnbd


def load_simulated_orders(
    con,
    *,
    n_customers: int,
    start: str,
    observation_end: str,
    future_days: int = 0,
    params: BGNBDParams | None = None,
    seed: int = 0,
    table: str = "orders",
) -> pd.DataFrame:
    """Write the orders up to `observation_end` into `table`; return the truth per customer.

    Customers are simulated from `start` to `observation_end + future_days`; those whose first
    purchase is after the observation end are dropped (they are not customers yet). The returned
    frame has customer_id ("C000123"), alive_at_end of the whole simulation, and
    `buys_next` = whether the customer orders in (observation_end, observation_end + future_days],
    `next_purchase_day` = the day of their first order after the observation end (NaT if none in the
    simulated future).
    Order values: a Gamma-distributed basket per customer, rounded to cents.
    """
    end = pd.Timestamp(observation_end)
    sim_end = end + pd.Timedelta(days=future_days)
    customers, purchases = simulate_bgnbd(n_customers, start, sim_end, params=params or BGNBDParams(), seed=seed)
    customers = customers[customers["first_purchase"] <= end + pd.Timedelta(hours=23, minutes=59)]
    purchases = purchases[purchases["customer_no"].isin(customers["customer_no"])].copy()
    day = purchases["purchase_ts"].dt.normalize()
    future = purchases[(day > end) & (day <= sim_end)]
    past = purchases[day <= end].copy()
    rng = np.random.default_rng(seed + 1)
    basket = rng.gamma(4.0, 12.0, customers["customer_no"].max() + 1)
    past["revenue"] = np.round(basket[past["customer_no"]] * rng.gamma(10.0, 0.1, len(past)), 2)
    past["customer_id"] = "C" + past["customer_no"].astype(str).str.zfill(6)
    past["order_id"] = "O" + np.arange(len(past)).astype(str)
    countries = np.array(["IT", "DE", "FR"])
    channels = np.array(["web", "instagram", "google"])
    past["country"] = countries[past["customer_no"] % 3]
    past["channel"] = channels[(past["customer_no"] // 3) % 3]
    con.execute(orders_ddl(table))
    frame = past.rename(columns={"purchase_ts": "order_date"})[
        ["order_id", "customer_id", "order_date", "revenue", "country", "channel"]
    ]
    con.register("_sim_orders", frame)
    con.execute(
        f'INSERT INTO "{table}" (order_id, customer_id, order_date, revenue, country, channel) '
        "SELECT order_id, customer_id, order_date, CAST(revenue AS DECIMAL(18,2)), country, channel "
        "FROM _sim_orders"
    )
    con.unregister("_sim_orders")
    truth = pd.DataFrame({"customer_no": customers["customer_no"], "alive_at_end": customers["alive_at_end"]})
    truth["customer_id"] = "C" + truth["customer_no"].astype(str).str.zfill(6)
    truth["buys_next"] = truth["customer_no"].isin(future["customer_no"])
    first_future = future.groupby("customer_no")["purchase_ts"].min().dt.normalize()
    truth["next_purchase_day"] = truth["customer_no"].map(first_future)
    return truth.reset_index(drop=True)
