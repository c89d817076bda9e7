"""Building audiences: segment selection, filters, consent counts, the stratified holdout."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from retention.audiences import AudienceFilters, assign_holdout, build_audience, clv_percentile
from retention.errors import UserInputError


def customers(n_loyal: int = 100, n_new: int = 50, n_risk: int = 10) -> pd.DataFrame:
    n = n_loyal + n_new + n_risk
    seg = ["loyal"] * n_loyal + ["new"] * n_new + ["at_risk"] * n_risk
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "lifecycle_segment": seg,
            "churn_risk": ["low" if s == "loyal" else "high" for s in seg],
            "orders": np.arange(n) % 5 + 1,
            "predicted_clv": np.arange(n, dtype=float),
            "last_order": pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(n), unit="D"),
            "country": ["IT" if i % 2 else "fr" for i in range(n)],
            "email": [f"c{i}@example.it" for i in range(n)],
            # every third customer said no, every seventh did not answer
            "accepts_marketing": [None if i % 7 == 0 else i % 3 != 0 for i in range(n)],
        }
    )


def test_segments_select_by_the_chosen_column():
    aud = build_audience(customers(), by="lifecycle", segments=["new", "at_risk"], include_no_consent=True)
    assert len(aud.members) == 60
    assert set(aud.members["segment"]) == {"new", "at_risk"}
    aud = build_audience(customers(), by="churn_risk", segments=["high"], include_no_consent=True)
    assert len(aud.members) == 60
    assert len(build_audience(customers(), by="rfm", segments=None, include_no_consent=True).members) == 160


def test_unknown_segment_is_a_user_error_listing_the_choices():
    with pytest.raises(UserInputError, match="no lifecycle segment named 'vip'.*at_risk, loyal, new"):
        build_audience(customers(), by="lifecycle", segments=["vip"])
    with pytest.raises(UserInputError, match="no 'rfm_group' column"):
        build_audience(customers(), by="rfm", segments=["champions"])


def test_consent_counts_by_hand():
    frame = customers(10, 0, 0)
    # i = 0..9: no answer at 0, 7; said no at 3, 6, 9; yes at 1, 2, 4, 5, 8
    aud = build_audience(frame, by="lifecycle", segments=["loyal"], channel="email")
    assert aud.members["customer_id"].tolist() == ["c0001", "c0002", "c0004", "c0005", "c0008"]
    assert aud.left_out_no_consent == 5
    sms = build_audience(frame, by="lifecycle", segments=None, channel="sms")
    assert sms.left_out_no_consent == 5
    everyone = build_audience(frame, by="lifecycle", segments=None, channel="email", include_no_consent=True)
    assert len(everyone.members) == 10 and everyone.left_out_no_consent == 0
    ads = build_audience(frame, by="lifecycle", segments=None, channel="ads")
    assert len(ads.members) == 10 and ads.left_out_no_consent == 0
    assert any("5 members did not accept marketing" in w for w in ads.warnings)


def test_no_consent_column_means_nobody_is_left_out():
    frame = customers(10, 0, 0).drop(columns="accepts_marketing")
    assert build_audience(frame, segments=None).left_out_no_consent == 0
    frame = customers(10, 0, 0).assign(accepts_marketing=None)
    assert len(build_audience(frame, segments=None).members) == 10


def test_holdout_is_stratified_by_segment():
    aud = build_audience(customers(), by="lifecycle", segments=None, include_no_consent=True, holdout=0.1, seed=7)
    per_segment = aud.members.groupby("segment")["holdout"].sum().to_dict()
    assert per_segment == {"loyal": 10, "new": 5, "at_risk": 1}
    assert aud.holdout_size == 16
    assert len(aud.treatment) == 144 and len(aud.control) == 16


def test_holdout_is_reproducible_and_independent_of_row_order():
    frame = customers()
    a = build_audience(frame, segments=None, include_no_consent=True, holdout=0.1, seed=3)
    b = build_audience(frame.iloc[::-1], segments=None, include_no_consent=True, holdout=0.1, seed=3)
    c = build_audience(frame, segments=None, include_no_consent=True, holdout=0.1, seed=4)
    held = set(a.control["customer_id"])
    assert held == set(b.control["customer_id"])
    assert held != set(c.control["customer_id"])


def test_holdout_share_rounds_half_up_and_rejects_bad_shares():
    strata = pd.Series(["a"] * 5 + ["b"] * 15)
    flags = assign_holdout(strata, 0.1, seed=0)
    assert flags[strata == "a"].sum() == 1  # 0.5 rounds up
    assert flags[strata == "b"].sum() == 2  # 1.5 rounds up
    with pytest.raises(UserInputError, match="between 0 and 1"):
        assign_holdout(strata, 1.5)


def test_clv_percentile_by_hand():
    pct = clv_percentile(pd.Series([10.0, 20.0, 20.0, 40.0]))
    assert pct.tolist() == [0.0, 25.0, 25.0, 75.0]


def test_filters_each_by_hand():
    frame = customers(10, 0, 0).assign(accepts_marketing=True)
    top = build_audience(frame, segments=None, filters=AudienceFilters(clv_percentile_min=80))
    assert top.members["customer_id"].tolist() == ["c0008", "c0009"]  # the top 20% of 10 customers
    assert top.filtered_out == 8
    dates = AudienceFilters(last_order_from=date(2024, 1, 3), last_order_to=date(2024, 1, 5))
    assert build_audience(frame, segments=None, filters=dates).members["customer_id"].tolist() == [
        "c0002", "c0003", "c0004"
    ]
    fr = build_audience(frame, segments=None, filters=AudienceFilters(countries=["FR"]))
    assert fr.members["customer_id"].tolist() == ["c0000", "c0002", "c0004", "c0006", "c0008"]
    # orders = i % 5 + 1
    many = build_audience(frame, segments=None, filters=AudienceFilters(min_orders=4, max_orders=4))
    assert many.members["customer_id"].tolist() == ["c0003", "c0008"]


def test_product_filter_needs_the_orders():
    with pytest.raises(UserInputError, match="needs the orders"):
        build_audience(customers(), segments=None, filters=AudienceFilters(products=["CAF-004"]))


def test_bad_channel():
    with pytest.raises(UserInputError, match="channel"):
        build_audience(customers(), segments=None, channel="fax")


def test_segment_names_match_ignoring_case_and_spaces():
    frame = customers(3, 2, 1).assign(lifecycle_segment=["At risk"] * 3 + ["Loyal high-value"] * 3)
    aud = build_audience(frame, by="lifecycle", segments=["at_risk", "loyal-high value"], include_no_consent=True)
    assert len(aud.members) == 6
    assert set(aud.members["segment"]) == {"At risk", "Loyal high-value"}


def test_an_audience_can_be_rebuilt_from_its_own_members():
    first = build_audience(customers(), by="lifecycle", segments=None, include_no_consent=True, holdout=0.1)
    again = build_audience(first.members, by="churn_risk", segments=["high"], include_no_consent=True, holdout=0.0)
    assert set(again.members["segment"]) == {"high"}
    assert not again.members["holdout"].any()
