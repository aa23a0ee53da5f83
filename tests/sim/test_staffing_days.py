"""Day-to-day staffing (issue 12 item 3): ``AgentGroup.staffing_day_factor``."""

from __future__ import annotations

import numpy as np
import pytest

from rlroute.policies import make_router
from rlroute.scenario import Scenario, StaffingDayFactor
from rlroute.scenarios import load_scenario
from rlroute.sim.engine import Simulator
from rlroute.sim.staffing import day_load_factor, draw_day_staffing
from rlroute.sim.streams import RandomStreams


def _days(scenario: Scenario, n_days: int, factor: dict | None, day_shape: float | None = 5.0):
    """``scenario`` repeated ``n_days`` days, every group with ``factor``."""
    d = scenario.to_dict()
    n = scenario.n_intervals
    d["n_intervals"], d["intervals_per_day"] = n * n_days, n
    for k, c in enumerate(d["call_types"]):
        c["arrival_rates_per_hour"] = scenario.rates_per_hour(k) * n_days
        c["day_multiplier_shape"] = day_shape
        c.pop("handle_time_profile", None)
    for g, grp in enumerate(d["agent_groups"]):
        grp["head_count"] = scenario.head_counts(g) * n_days
        grp["staffing_day_factor"] = factor
    return Scenario.from_dict(d)


def test_absent_factor_is_not_serialised_and_round_trips(tmp_path) -> None:
    sc = load_scenario("heterogeneous")
    assert all("staffing_day_factor" not in g for g in sc.to_dict()["agent_groups"])
    with_f = _days(sc, 2, {"shape": 8.0, "load_slope": 0.5})
    with_f.to_yaml(tmp_path / "s.yaml")
    again = Scenario.from_yaml(tmp_path / "s.yaml")
    assert again.agent_groups[0].staffing_day_factor == StaffingDayFactor(shape=8.0, load_slope=0.5)
    with pytest.raises(ValueError, match="load_slope"):
        _days(sc, 2, {"shape": 8.0, "load_slope": 1.5})


def test_expected_head_count_is_the_schedule() -> None:
    """Stochastic rounding of the scaled schedule keeps the mean head count per interval,
    with and without a load slope (the load factor has mean 1)."""
    rng = np.random.default_rng(3)
    base = [[0, 3, 7, 12, 20], [1, 1, 2, 2, 5]]
    rates = [[10.0, 30.0, 50.0, 50.0, 20.0], [5.0, 5.0, 5.0, 5.0, 5.0]]
    types_of_group = [[0, 1], [1]]
    factors = [
        StaffingDayFactor(shape=4.0, load_slope=0.0),
        StaffingDayFactor(shape=9.0, load_slope=0.8),
    ]
    n_days = 20000
    heads = np.zeros((n_days, 2, 5))
    for d in range(n_days):
        mult = list(rng.gamma(6.0, 1 / 6.0, 2))
        draw_day_staffing(rng, factors, base, heads[d], rates, types_of_group, mult, 0, 5)
    mean, sd = heads.mean(axis=0), heads.std(axis=0)
    se = sd / np.sqrt(n_days)
    assert np.all(np.abs(mean - np.array(base)) <= 4 * se + 1e-12)
    # the day-to-day CV of the busiest interval is the factor's (1 / sqrt(shape) for group 0)
    assert sd[0, 4] / mean[0, 4] == pytest.approx(0.5, rel=0.05)
    assert heads[:, 0, 0].max() == 0  # a closed interval (base 0) stays closed


def test_load_slope_follows_the_arrival_factor() -> None:
    rates = [[10.0, 10.0], [30.0, 30.0]]
    assert day_load_factor(rates, [0, 1], [2.0, 1.0], 0, 2) == pytest.approx(1.25)
    assert day_load_factor(rates, [0], [2.0, 1.0], 0, 2) == 2.0
    assert day_load_factor([[0.0, 0.0]], [0], [3.0], 0, 2) == 1.0
    rng = np.random.default_rng(0)
    f = [StaffingDayFactor(shape=1e6, load_slope=1.0)]  # almost no noise: S = L
    loads, scales = [], []
    for _ in range(200):
        mult = [float(rng.gamma(4.0, 0.25))]
        row = np.zeros(1)
        draw_day_staffing(rng, f, [[1000]], [row], [[1.0]], [[0]], mult, 0, 1)
        loads.append(mult[0])
        scales.append(row[0] / 1000)
    assert np.corrcoef(loads, scales)[0, 1] > 0.99


def test_same_seed_same_days_and_no_draws_without_a_factor() -> None:
    sc = _days(load_scenario("heterogeneous"), 4, {"shape": 6.0, "load_slope": 0.5})
    a, b, c = Simulator(sc, 11), Simulator(sc, 11), Simulator(sc, 12)
    for s in (a, b, c):
        s.run(make_router("fifo"))
    assert a._heads == b._heads and a._heads != c._heads
    assert a._heads != [sc.head_counts(g) for g in range(len(sc.agent_groups))]
    assert a.report().overall == b.report().overall
    plain = _days(load_scenario("heterogeneous"), 4, None)
    sim = Simulator(plain, 11)
    sim.run(make_router("fifo"))
    fresh = RandomStreams.from_seed(11, len(plain.call_types)).staffing
    assert fresh is not None and sim.streams.staffing is not None
    assert sim.streams.staffing.random() == fresh.random()  # never drawn from
    assert sim._heads == [plain.head_counts(g) for g in range(len(plain.agent_groups))]


def test_kpis_move_only_through_staffing() -> None:
    """The factor changes agents, never callers: the same offered calls."""
    base = _days(load_scenario("heterogeneous"), 3, None)
    varied = _days(load_scenario("heterogeneous"), 3, {"shape": 2.0})
    log_a = Simulator(base, 5, record_calls=True)
    log_a.run(make_router("fifo"))
    log_b = Simulator(varied, 5, record_calls=True)
    log_b.run(make_router("fifo"))
    fresh = lambda log: log[~log["is_repeat"].astype(bool)]["arrival_s"].sort_values().tolist()  # noqa: E731
    assert fresh(log_a.call_log()) == fresh(log_b.call_log())
