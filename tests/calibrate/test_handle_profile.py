"""Handle times over the day: the factor per interval on hand-made calls, group mix kept out,
thin intervals pooled, and the type's mean left where its fit put it."""

from __future__ import annotations

import pytest
from calib_helpers import canonical

from rlroute.calibrate import DayGrid
from rlroute.calibrate.handle_profile import fit_handle_profiles

GRID = DayGrid.from_hours(60, 8, 11)  # 3 one-hour intervals


def _calls(spec: list[tuple[int, str, str, float, int]]):
    """(hour, type, agent, handle, how many) -> answered canonical calls."""
    rows = [
        {"clock_s": h * 3600 + 60 + i, "call_type": t, "agent": a, "handle_s": d}
        for h, t, a, d, n in spec
        for i in range(n)
    ]
    return canonical(rows)


def test_factors_follow_the_hour_and_average_to_one() -> None:
    served = _calls([(8, "A", "ann", 50.0, 60), (9, "A", "ann", 150.0, 60)])
    prof, table = fit_handle_profiles(served, GRID, {("A", "g"): 100.0}, {"ann": "g"}, 50)
    # 0.5 and 1.5 raw; the third hour has no call and takes the pooled factor (1: too thin)
    assert prof["A"] == pytest.approx([0.5, 1.5, 1.0])
    assert list(table["source"]) == ["type", "type", "pooled"]


def test_a_slow_group_working_only_late_is_not_a_slower_hour() -> None:
    # fast agents all day (60 s), slow specialists only at 9:00 (200 s): each at its own mean
    served = _calls(
        [(8, "A", "fast", 60.0, 60), (9, "A", "fast", 60.0, 60), (9, "A", "slow", 200.0, 60)]
    )
    means = {("A", "g_fast"): 60.0, ("A", "g_slow"): 200.0}
    prof, _ = fit_handle_profiles(served, GRID, means, {"fast": "g_fast", "slow": "g_slow"}, 50)
    assert prof["A"][:2] == pytest.approx([1.0, 1.0])


def test_thin_intervals_borrow_the_center_pace_and_the_mean_is_kept() -> None:
    served = _calls(
        [
            (8, "A", "ann", 80.0, 100),
            (8, "B", "ann", 80.0, 100),
            (9, "A", "ann", 120.0, 100),
            (9, "B", "ann", 120.0, 10),  # too few B calls at 9:00: B borrows the pooled 1.2
        ]
    )
    means = {("A", "g"): 100.0, ("B", "g"): 100.0}
    prof, table = fit_handle_profiles(served, GRID, means, {"ann": "g"}, 50)
    assert prof["A"][:2] == pytest.approx([0.8, 1.2])
    pooled_9 = (100 * 120 + 10 * 120) / (110 * 100)
    b = [0.8, pooled_9]
    norm = (b[0] * 100 + b[1] * 10) / 110  # call-weighted mean brought back to 1
    assert prof["B"][:2] == pytest.approx([b[0] / norm, b[1] / norm], abs=1e-4)
    row = table[(table["call_type"] == "B") & (table["interval"] == "09:00")].iloc[0]
    assert row["source"] == "pooled" and row["calls"] == 10


def test_round_trip_recovers_a_known_profile() -> None:
    """Simulate a center whose calls are 30% shorter in the first interval of each day and 30%
    longer in the last, log it, calibrate with ``handle_profile=True``: the factors come back
    within 5%, and the fitted distributions keep the truth's means."""
    from calib_helpers import INTERVALS, truth_scenario

    from rlroute.bench.synthetic import simulate_records
    from rlroute.calibrate import calibrate

    n_days = 16
    truth = truth_scenario(n_days=n_days)
    day = [0.7, 1.0, 1.0, 1.3] + [1.0] * (truth.intervals_per_day - INTERVALS)
    data = truth.to_dict()
    for c in data["call_types"]:
        c["handle_time_profile"] = day * n_days
    records = simulate_records(type(truth).from_dict(data), seed=5)
    scenario, report = calibrate(records, interval_minutes=30, day_type=None, handle_profile=True)
    assert report.handle_profile is not None
    base = [0.7, 1.0, 1.0, 1.3]
    norm = sum(base) / 4  # the fit's profile has a call-weighted mean of 1
    for c in scenario.call_types:
        got = c.handle_time_profile
        assert got is not None and len(got) == scenario.n_intervals
        assert got[:4] == pytest.approx([b / norm for b in base], rel=0.05), c.name
