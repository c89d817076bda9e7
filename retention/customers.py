"""One row per customer: history, predicted value, and (later) segments and churn risk.

The segments engineer extends this module; the CLV part comes from `retention.clv`.
"""

from __future__ import annotations

import pandas as pd

from retention.clv import customer_value_table


def customer_table(
    con,
    *,
    horizon_months: int = 12,
    margin: float = 1.0,
    annual_discount_rate: float = 0.1,
    churn_window_days: int | None = None,
    table: str = "orders",
) -> pd.DataFrame:
    """The customer table of `retention customers`; see `retention.clv.customer_value_table`.

    `churn_window_days` is accepted for the churn model that builds on this table.
    """
    return customer_value_table(
        con,
        horizon_months=horizon_months,
        margin=margin,
        annual_discount_rate=annual_discount_rate,
        table=table,
    )
