"""After-call work from idle gaps: observed and censored durations on hand-made logs, the
Kaplan-Meier fit on known censored data, and zero not-ready time in a simulator's own log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calib_helpers import canonical

from rlroute.calibrate.common import queue_calls
from rlroute.calibrate.wrapup import fit_wrap_up, wrap_up_samples

GROUPS = {"ann": "g", "bob": "g"}
SKILLS = {"g": {"A"}}


def _samples(rows: list[dict]) -> pd.DataFrame:
    frame = canonical(rows)
    served = frame[frame["outcome"] == "answered"]
    return wrap_up_samples(served, queue_calls(frame), GROUPS, SKILLS, max_gap_s=1800)


def test_gap_while_a_call_waits_is_an_observed_not_ready_time() -> None:
    s = _samples(
        [
            {"clock_s": 36_000, "handle_s": 100, "agent": "ann"},  # ends 36,100
            {"clock_s": 36_050, "wait_s": 60, "agent": "ann"},  # waits 36,050-36,110
        ]
    )
    assert len(s) == 1
    row = s.iloc[0]
    assert row["observed"] and row["duration_s"] == pytest.approx(10.0)
    assert row["group"] == "g" and row["call_type"] == "A"


def test_gap_outlasting_the_queue_is_censored_where_the_queue_empties() -> None:
    s = _samples(
        [
            {"clock_s": 40_000, "handle_s": 100, "agent": "ann"},  # ends 40,100
            {"clock_s": 40_050, "wait_s": 70, "agent": "bob"},  # waits 40,050-40,120
            {"clock_s": 40_200, "agent": "ann"},  # ann's next call, 100 s after her last
            {"clock_s": 30_000, "handle_s": 50, "agent": "bob"},  # bob's earlier call
        ]
    )
    ann = s[s["duration_s"] < 50]
    assert len(ann) == 1
    assert not ann["observed"].iloc[0]
    assert ann["duration_s"].iloc[0] == pytest.approx(20.0)  # 40,120 - 40,100


def test_idle_with_nobody_waiting_and_shift_ends_say_nothing() -> None:
    s = _samples(
        [
            {"clock_s": 45_000, "handle_s": 100, "agent": "ann"},  # ends 45,100, queue empty
            {"clock_s": 45_200, "agent": "ann"},
            {"clock_s": 50_000, "handle_s": 100, "agent": "ann"},  # ends 50,100
            {"clock_s": 50_050, "wait_s": 4000, "agent": "ann"},  # 1 h 5 min later: new shift
        ]
    )
    assert s.empty


def test_other_groups_queues_do_not_count() -> None:
    frame = canonical(
        [
            {"clock_s": 36_000, "handle_s": 100, "agent": "ann"},
            {"clock_s": 36_050, "wait_s": 60, "agent": "cyd", "call_type": "B"},
            {"clock_s": 36_150, "agent": "ann"},
        ]
    )
    served = frame[frame["outcome"] == "answered"]
    s = wrap_up_samples(
        served, queue_calls(frame), {**GROUPS, "cyd": "h"}, {"g": {"A"}, "h": {"B"}}
    )
    assert s[s["group"] == "g"].empty  # a B call waited, but group g does not serve B


def test_kaplan_meier_fit_recovers_a_censored_mean() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    ready = rng.exponential(20.0, n)
    empties = rng.exponential(40.0, n)
    samples = pd.DataFrame(
        {
            "call_type": "A",
            "group": "g",
            "duration_s": np.minimum(ready, empties),
            "observed": ready <= empties,
        }
    )
    fit = fit_wrap_up(samples, min_events=50)
    d = fit.dist("A", "g")
    assert d is not None and d.mean == pytest.approx(20.0, rel=0.1)
    naive = samples["duration_s"].mean()
    assert naive < 15  # censoring hides a quarter of the mean: the estimator must undo it
    table = fit.table()
    assert table.loc[0, "source"] == "pair" and table.loc[0, "n"] == n


def test_too_few_events_fall_back_to_the_group_then_to_none() -> None:
    rows = [("A", 10.0)] * 60 + [("B", 5.0)] * 5
    samples = pd.DataFrame(
        {
            "call_type": [t for t, _ in rows],
            "group": "g",
            "duration_s": [d for _, d in rows],
            "observed": True,
        }
    )
    fit = fit_wrap_up(samples, min_events=50)
    assert fit.dist("A", "g") is fit.dists[("A", "g")]
    assert fit.dist("B", "g") is fit.pooled["g"]  # 5 events: the group's curve
    assert fit.dist("A", "other") is None
    assert fit_wrap_up(samples, min_events=100).dist("A", "g") is None


def test_a_simulated_center_has_no_not_ready_time(roundtrip) -> None:
    """The simulator gives a waiting call to an agent the instant a call ends, so every
    informative gap of its own log is an observed 0."""
    _, records, _, report = roundtrip
    frame = records.frame
    served = frame[frame["outcome"] == "answered"]
    s = wrap_up_samples(served, queue_calls(frame), report.groups.assignment, report.groups.skills)
    assert len(s) > 1000
    assert s["observed"].all()
    assert s["duration_s"].max() == pytest.approx(0.0, abs=1e-3)


def test_round_trip_recovers_a_known_after_call_work() -> None:
    """Simulate a center whose agents take 30 s (mean, exponential) of after-call work, log it
    as call records, calibrate with ``wrap_up=True``: the fitted means come back within 15%."""
    from calib_helpers import truth_scenario

    from rlroute.bench.synthetic import simulate_records
    from rlroute.calibrate import calibrate
    from rlroute.distributions import Exponential

    data = truth_scenario(n_days=12).to_dict()
    for g in data["agent_groups"]:
        for skill in g["skills"].values():
            skill["wrap_up"] = Exponential(mean_s=30.0).model_dump()
    truth = type(truth_scenario(1)).from_dict(data)
    records = simulate_records(truth, seed=11)
    scenario, report = calibrate(
        records, interval_minutes=30, day_type=None, staffing_method="shifts", wrap_up=True
    )
    assert report.wrap_up is not None
    means = {
        (t, g.name): skill.wrap_up.mean
        for g in scenario.agent_groups
        for t, skill in g.skills.items()
        if skill.wrap_up is not None
    }
    assert len(means) == 3
    for pair, mean in means.items():
        assert mean == pytest.approx(30.0, rel=0.15), pair


def test_spans_are_split_across_intervals_exactly() -> None:
    from rlroute.bench.backtest import span_seconds_per_interval

    got = span_seconds_per_interval(
        np.array([10.0, 90.0, 150.0, 390.0]), np.array([20.0, 230.0, 150.0, 500.0]), 100.0, 4
    )
    # [10, 20) -> 10 in 0; [90, 230) -> 10 + 100 + 30; an empty span; [390, 500) -> 10, rest past
    assert got.tolist() == [20.0, 100.0, 30.0, 10.0]
