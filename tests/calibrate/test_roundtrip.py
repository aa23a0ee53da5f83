"""Round trip: simulate a known Scenario, calibrate on its call log, recover the parameters."""

from __future__ import annotations

import numpy as np
import pytest
from calib_helpers import (
    HEADS_B,
    HEADS_MIX,
    INTERVALS,
    PATIENCE,
    RATES_A,
    RATES_B,
    TRUTH,
    truth_scenario,
)

from rlroute.bench.synthetic import simulate_records
from rlroute.calibrate import calibrate
from rlroute.distributions import Exponential, LogNormal
from rlroute.policies import make_router
from rlroute.sim import Simulator

TRUE_RATES = {"A": RATES_A, "B": RATES_B}
TRUE_HEADS = {"mix": HEADS_MIX, "bonly": HEADS_B}


def _truth_group(report, fitted_group: str) -> str:
    """The true group of a fitted one: its members are named ``<true group>-<agent id>``."""
    members = report.groups.members(fitted_group)
    prefixes = {m.rsplit("-", 1)[0] for m in members}
    assert len(prefixes) == 1, f"{fitted_group} mixes agents of {prefixes}"
    return prefixes.pop()


def test_time_grid_recovered(roundtrip) -> None:
    truth, _, fitted, _ = roundtrip
    assert fitted.interval_s == truth.interval_s
    assert fitted.n_intervals == INTERVALS
    assert fitted.start_clock_s == truth.start_clock_s


def test_arrival_rates_within_5_percent(roundtrip) -> None:
    _, _, fitted, _ = roundtrip
    for c in fitted.call_types:
        err = np.asarray(c.arrival_rates_per_hour) / np.asarray(TRUE_RATES[c.name]) - 1
        assert np.abs(err).max() < 0.05, (c.name, err.round(3))


def test_groups_and_skills_recovered(roundtrip) -> None:
    _, _, fitted, report = roundtrip
    assert len(fitted.agent_groups) == 2
    skills = {_truth_group(report, g.name): sorted(g.skills) for g in fitted.agent_groups}
    assert skills == {"mix": ["A", "B"], "bonly": ["B"]}


def test_lognormal_parameters_within_5_percent(roundtrip) -> None:
    _, _, fitted, report = roundtrip
    checked = 0
    for g in fitted.agent_groups:
        true_group = _truth_group(report, g.name)
        for t, skill in g.skills.items():
            want, got = TRUTH[(t, true_group)], skill.handle_time
            assert isinstance(got, LogNormal)
            assert got.short_prob == 0.0, "a pure lognormal must not get a short-call mixture"
            assert abs(got.mu / want.mu - 1) < 0.05
            assert abs(got.sigma / want.sigma - 1) < 0.05
            checked += 1
    assert checked == 3


def test_mean_patience_within_10_percent(roundtrip) -> None:
    _, _, fitted, report = roundtrip
    for c in fitted.call_types:
        assert isinstance(c.patience, Exponential)  # the KM curve does not depart from it
        assert abs(c.patience.mean / PATIENCE[c.name] - 1) < 0.10, (c.name, c.patience.mean)
        assert report.patience[c.name].abandoned > 1000


def test_staffing_within_one_agent(roundtrip) -> None:
    _, _, fitted, report = roundtrip
    for g in fitted.agent_groups:
        want = np.asarray(TRUE_HEADS[_truth_group(report, g.name)])
        assert np.abs(np.asarray(g.head_count) - want).max() <= 1, (g.name, g.head_count)


def test_no_repeats_means_full_resolution(roundtrip) -> None:
    _, _, fitted, _ = roundtrip
    for g in fitted.agent_groups:
        for skill in g.skills.values():
            assert skill.fcr == 1.0


def test_fitted_scenario_reproduces_abandonment(roundtrip) -> None:
    _, records, fitted, _ = roundtrip
    observed = (records.frame["outcome"] == "abandoned").mean()
    runs = [Simulator(fitted, seed=s).run(make_router("fifo")) for s in range(3)]
    simulated = np.mean([r.overall["abandon_rate"] for r in runs])
    assert abs(simulated / observed - 1) < 0.15, (simulated, observed)


@pytest.mark.slow
def test_long_round_trip_tighter() -> None:
    """200 days: rates within 2.5%, lognormal within 2%, mean patience within 5%."""
    truth = truth_scenario(200)
    records = simulate_records(truth, seed=7)
    fitted, report = calibrate(records)
    for c in fitted.call_types:
        err = np.asarray(c.arrival_rates_per_hour) / np.asarray(TRUE_RATES[c.name]) - 1
        assert np.abs(err).max() < 0.025
        assert abs(c.patience.mean / PATIENCE[c.name] - 1) < 0.05
    for g in fitted.agent_groups:
        true_group = _truth_group(report, g.name)
        for t, skill in g.skills.items():
            want = TRUTH[(t, true_group)]
            assert abs(skill.handle_time.mu / want.mu - 1) < 0.02
            assert abs(skill.handle_time.sigma / want.sigma - 1) < 0.02
