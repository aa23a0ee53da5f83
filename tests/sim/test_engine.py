"""Simulator mechanics: determinism, common random numbers, staffing, balking, repeats, logs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rlroute.distributions import Exponential
from rlroute.scenario import AgentGroup, CallCost, CallType, RepeatCalls, Scenario, Skill
from rlroute.scenarios import load_scenario, scenario_names
from rlroute.sim import FIFORouter, Simulator


def _pool(**overrides) -> Scenario:
    base = Scenario.single_pool(120.0, 180.0, 5, mean_patience_s=120.0, hours=1.0)
    data = base.to_dict() | {"n_intervals": 4}
    for key, value in overrides.items():
        data["call_types"][0][key] = value
    return Scenario.from_dict(data)


def _library(name: str) -> Scenario:
    """A library scenario; the 500-agent long chain cut to its first two intervals (fast)."""
    scenario = load_scenario(name)
    if name == "long_chain_20x20":
        data = scenario.to_dict()
        data["n_intervals"] = 2
        for ct in data["call_types"]:
            ct["arrival_rates_per_hour"] = ct["arrival_rates_per_hour"][:2]
        scenario = Scenario.from_dict(data)
    return scenario


@pytest.mark.parametrize("name", scenario_names())
def test_same_seed_same_numbers(name: str) -> None:
    scenario = _library(name)
    a = Simulator(scenario, seed=7).run(FIFORouter())
    b = Simulator(scenario, seed=7).run(FIFORouter())
    c = Simulator(scenario, seed=8).run(FIFORouter())
    assert a.overall == b.overall
    assert a.by_interval.equals(b.by_interval)
    assert a.overall != c.overall


@pytest.mark.parametrize("name", scenario_names())
def test_in_loop_dispatch_equals_stepping(name: str) -> None:
    """run() decides inside the event loop; advance()/step() (the env's path) must agree."""
    scenario = _library(name)
    fast = Simulator(scenario, seed=3).run(FIFORouter())
    stepped = Simulator(scenario, seed=3)
    router = FIFORouter()
    router.reset(stepped)
    while stepped.advance():
        stepped.step(router.act(stepped))
    assert fast.overall == stepped.report().overall


class _CountingFIFO:
    """FIFO behind a wrapper: the simulator cannot skip asking it, so run() takes its general
    path, where the one-pair shortcut for FIFO itself does not apply."""

    name = "counting_fifo"

    def __init__(self) -> None:
        self.fifo, self.calls = FIFORouter(), 0

    def reset(self, sim: Simulator) -> None:
        self.fifo.reset(sim)

    def act(self, sim: Simulator) -> int:
        self.calls += 1
        return self.fifo.act(sim)


def _repeats_and_shifts() -> Scenario:
    return Scenario(
        interval_s=1800.0,
        n_intervals=4,
        call_types=[
            CallType(
                name="c",
                arrival_rates_per_hour=[300, 600, 100, 400],
                patience=Exponential(mean_s=90.0),
                repeat=RepeatCalls(probability=0.7, delay=Exponential(mean_s=120.0)),
                cost=CallCost(sl_miss=0.5, unresolved=2.0),
            )
        ],
        agent_groups=[
            AgentGroup(
                name="g",
                head_count=[8, 4, 10, 2],
                skills={"c": Skill(handle_time=Exponential(mean_s=60.0), fcr=0.6)},
            )
        ],
    )


@pytest.mark.parametrize(
    "make",
    [
        _repeats_and_shifts,
        lambda: _pool(balk_probability=0.3, arrival_rates_per_hour=[300.0]),
        lambda: _pool(balk_queue_length=2, arrival_rates_per_hour=[300.0]),
    ],
    ids=["repeats_and_shifts", "balk_probability", "balk_queue_length"],
)
def test_one_pair_shortcut_changes_no_number(make) -> None:
    """On one pair, run() assigns for FIFO without asking it; the KPIs and every call's fate
    must be those of asking (a wrapped FIFO) and of advance()/step()."""
    runs = []
    for router, validate in ((FIFORouter(), False), (_CountingFIFO(), False), (FIFORouter(), True)):
        sim = Simulator(make(), seed=6, record_calls=True)
        report = sim.run(router, validate=validate)
        runs.append((report.overall, sim.call_log()))
    (fast, fast_log), (asked, asked_log), (stepped, stepped_log) = runs
    assert fast["repeats"] + fast["balked"] > 0
    assert fast == asked == stepped
    assert fast_log.equals(asked_log) and fast_log.equals(stepped_log)


class _LastGroupRouter:
    """Serves the newest pair index it can: a different policy from FIFO."""

    name = "last"

    def reset(self, sim: Simulator) -> None:
        pass

    def act(self, sim: Simulator) -> int:
        mask = sim.action_mask()
        return int(np.flatnonzero(mask)[-1])


def test_common_random_numbers_across_routers() -> None:
    """Two routers on one seed face the same callers: same offered counts per type and
    interval; only what routing changes (waits, who serves) differs."""
    scenario = load_scenario("n_design")
    a = Simulator(scenario, seed=11).run(FIFORouter())
    b = Simulator(scenario, seed=11).run(_LastGroupRouter())
    assert a.by_type_interval["offered"].tolist() == b.by_type_interval["offered"].tolist()
    assert a.overall["asa"] != b.overall["asa"]


def test_call_log_is_consistent() -> None:
    sim = Simulator(_pool(), seed=5, record_calls=True)
    report = sim.run(FIFORouter())
    log = sim.call_log()
    assert len(log) == report.overall["offered"]
    answered = log[log.outcome == "answered"]
    abandoned = log[log.outcome == "abandoned"]
    assert len(answered) == report.overall["answered"]
    assert len(abandoned) == report.overall["abandoned"]
    np.testing.assert_allclose(answered.service_start_s - answered.arrival_s, answered.wait_s)
    np.testing.assert_allclose(answered.service_end_s - answered.service_start_s, answered.handle_s)
    np.testing.assert_allclose(abandoned.wait_s, abandoned.patience_s)
    assert (answered.wait_s <= answered.patience_s + 1e-9).all()
    # no agent serves two calls at once
    for _, calls in answered.groupby("agent_id"):
        calls = calls.sort_values("service_start_s")
        assert (
            calls.service_start_s.to_numpy()[1:] >= calls.service_end_s.to_numpy()[:-1] - 1e-9
        ).all()


def test_call_log_needs_opt_in() -> None:
    sim = Simulator(_pool(), seed=5)
    sim.run(FIFORouter())
    with pytest.raises(RuntimeError, match="record_calls=True"):
        sim.call_log()


def test_staffing_follows_the_schedule_and_agents_finish_calls() -> None:
    scenario = Scenario(
        interval_s=3600.0,
        n_intervals=4,
        call_types=[CallType(name="c", arrival_rates_per_hour=[60, 60, 0, 60])],
        agent_groups=[
            AgentGroup(
                name="g",
                head_count=[3, 6, 0, 2],
                skills={"c": Skill(handle_time=Exponential(mean_s=120.0))},
            )
        ],
    )
    sim = Simulator(scenario, seed=1, record_calls=True)
    report = sim.run(FIFORouter())
    on_duty = report.by_interval["agents_on_duty"].to_numpy()
    # on-duty time is the schedule, plus at most the overtime of calls finishing after a shift
    assert on_duty[0] == pytest.approx(3.0)
    assert on_duty[1] == pytest.approx(6.0)
    assert 0.0 <= on_duty[2] < 0.5  # only agents finishing their last call of interval 1
    assert on_duty[3] == pytest.approx(2.0)
    log = sim.call_log()
    starts = log.service_start_s.dropna()
    assert not ((starts >= 7200) & (starts < 10800)).any(), "no service starts with no agents"


def test_balking_everyone_gives_erlang_b_blocking() -> None:
    """balk_probability=1: nobody waits, the center is M/M/n/n and blocks Erlang B's share."""
    from rlroute.theory import erlang_b

    data = Scenario.single_pool(600.0, 30.0, 4, hours=10.0).to_dict() | {"n_intervals": 20}
    data["call_types"][0]["balk_probability"] = 1.0
    scenario = Scenario.from_dict(data)
    by_interval = Simulator(scenario, seed=4).run(FIFORouter()).by_interval
    blocked = by_interval["balked"] / by_interval["offered"]
    exact = erlang_b(4, 600.0 * 30.0 / 3600.0)
    half = stats.t.ppf(0.995, len(blocked) - 1) * blocked.std(ddof=1) / math.sqrt(len(blocked))
    assert abs(blocked.mean() - exact) < half
    assert by_interval["asa"].fillna(0).max() == 0.0


def test_balk_queue_length_caps_the_queue() -> None:
    scenario = _pool(balk_queue_length=2, arrival_rates_per_hour=[300.0])
    sim = Simulator(scenario, seed=2)
    report = sim.run(FIFORouter())
    assert report.overall["balked"] > 0
    assert report.overall["queue_len_p99"] <= 2


def test_unresolved_calls_repeat() -> None:
    scenario = Scenario(
        interval_s=3600.0,
        n_intervals=8,
        call_types=[
            CallType(
                name="c",
                arrival_rates_per_hour=[60],
                repeat=RepeatCalls(probability=1.0, delay=Exponential(mean_s=60.0)),
            )
        ],
        agent_groups=[
            AgentGroup(
                name="g",
                head_count=[10],
                skills={"c": Skill(handle_time=Exponential(mean_s=60.0), fcr=0.5)},
            )
        ],
    )
    sim = Simulator(scenario, seed=9, record_calls=True)
    report = sim.run(FIFORouter())
    o = report.overall
    assert o["fcr"] == pytest.approx(0.5, abs=0.05)
    # every unresolved call comes back unless that would be after the horizon
    unresolved = o["answered"] - o["fcr"] * o["answered"]
    assert o["repeats"] == pytest.approx(unresolved, abs=10)
    log = sim.call_log()
    repeats = log[log.is_repeat]
    assert set(repeats.customer_id) <= set(log[~log.is_repeat].customer_id)


def test_nobody_on_duty_means_everyone_abandons_after_their_patience() -> None:
    data = _pool().to_dict()
    data["agent_groups"][0]["head_count"] = [0]
    report = Simulator(Scenario.from_dict(data), seed=3).run(FIFORouter())
    o = report.overall
    assert o["answered"] == 0
    assert o["abandon_rate"] == 1.0
    assert o["mean_wait"] == pytest.approx(120.0, rel=0.15)


def test_infinitely_patient_callers_left_at_close_are_counted() -> None:
    data = Scenario.single_pool(60.0, 60.0, 1).to_dict()
    data["agent_groups"][0]["head_count"] = [0]
    report = Simulator(Scenario.from_dict(data), seed=3).run(FIFORouter())
    assert report.overall["unserved"] == report.overall["offered"] > 0


def test_day_multiplier_makes_days_overdispersed() -> None:
    """Gamma(shape) multiplier of mean 1: daily totals vary with variance m + m^2/shape."""
    shape, per_day = 10.0, 500.0
    data = Scenario.single_pool(per_day, 1.0, 50, hours=1.0).to_dict() | {
        "n_intervals": 60,
        "intervals_per_day": 1,
    }
    data["call_types"][0]["day_multiplier_shape"] = shape
    offered = Simulator(Scenario.from_dict(data), seed=1).run(FIFORouter()).by_interval["offered"]
    assert offered.mean() == pytest.approx(per_day, rel=0.1)
    expected_var = per_day + per_day**2 / shape
    assert offered.var() > 5 * per_day  # far beyond Poisson
    assert offered.var() == pytest.approx(expected_var, rel=0.5)


def test_invalid_actions_are_refused_without_changing_state() -> None:
    sim = Simulator(load_scenario("n_design"), seed=0)
    assert sim.advance()
    mask = sim.action_mask()
    bad = int(np.flatnonzero(~mask)[0]) if (~mask).any() else None
    before = (list(sim.queue_len), list(sim.idle_count))
    if bad is not None:
        with pytest.raises(ValueError, match=r"not possible now|outside"):
            sim.step(bad)
    with pytest.raises(ValueError, match="outside"):
        sim.step(sim.n_actions + 3)
    assert (list(sim.queue_len), list(sim.idle_count)) == before


def test_hold_moves_to_the_next_event() -> None:
    sim = Simulator(_pool(), seed=0)
    assert sim.advance()
    t0 = sim.now
    sim.step(sim.HOLD)
    assert sim.advance()
    assert sim.now > t0


def test_memory_is_flat_in_the_horizon() -> None:
    """Counters, not call lists: the collector's size does not grow with the number of calls."""
    short = Simulator(Scenario.single_pool(600.0, 60.0, 12, hours=1.0), seed=0)
    long_ = Simulator(Scenario.single_pool(600.0, 60.0, 12, hours=50.0), seed=0)
    short.run(FIFORouter())
    long_.run(FIFORouter())
    assert len(long_.stats.log) == len(short.stats.log) == 0
    assert len(long_._arr) < 4 * 2048  # arrivals are drawn in blocks, not for the whole horizon
    assert len(long_._heap) < 200
