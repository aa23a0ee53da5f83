"""Not-ready episodes (``AgentGroup.not_ready``) in the reference engine: the model's
predictions, its bookkeeping, its random numbers, and nothing changed without it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rlroute.policies import make_router
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim.engine import Simulator
from rlroute.sim.streams import RandomStreams


def _scenario(
    rate: float | list[float],
    length: float | list[float],
    *,
    arrivals_per_hour: float = 60.0,
    heads: int | list[int] = 10,
    n_intervals: int = 8,
    interval_s: float = 1800.0,
    wrap_up: bool = False,
) -> Scenario:
    skill: dict[str, Any] = {"handle_time": {"kind": "exponential", "mean_s": 240.0}}
    if wrap_up:
        skill["wrap_up"] = {"kind": "lognormal", "mu": float(np.log(15.0)), "sigma": 0.6}
    return Scenario.from_dict(
        {
            "name": "not_ready_test",
            "interval_s": interval_s,
            "n_intervals": n_intervals,
            "call_types": [
                {
                    "name": "A",
                    "arrival_rates_per_hour": [arrivals_per_hour],
                    "patience": {"kind": "exponential", "mean_s": 300.0},
                }
            ],
            "agent_groups": [
                {
                    "name": "pool",
                    "head_count": heads,
                    "skills": {"A": skill},
                    "not_ready": {"rate_per_hour": rate, "mean_length_s": length},
                }
            ],
        }
    )


def _without_not_ready(sc: Scenario) -> Scenario:
    d = sc.to_dict()
    for g in d["agent_groups"]:
        g.pop("not_ready", None)
    return Scenario.from_dict(d)


def test_idle_agents_match_the_alternating_renewal_prediction() -> None:
    """Agents who never get a call alternate ready (Exp(rate r)) and not ready (Exp(mean m)):
    the not-ready share is r m / (1 + r m). 20 agents over 100 hours (about 5,000 episodes):
    the share within 0.02 of 1/3, and occupancy (busy / (busy + idle ready)) stays 0."""
    r, m = 4.0, 450.0  # r m = 0.5
    sc = _scenario(r, m, arrivals_per_hour=0.0, heads=20, n_intervals=1, interval_s=360_000.0)
    report = Simulator(sc, 3).run(make_router("fifo"))
    predicted = r * m / 3600 / (1 + r * m / 3600)
    assert abs(report["not_ready_share"] - predicted) < 0.02, report["not_ready_share"]
    assert report["occupancy"] == 0.0
    total = report.by_group["not_ready_s"].sum()
    # booked per episode (not cut at the horizon) vs integrated over [0, horizon]
    assert abs(total / report["not_ready_s"] - 1) < 0.01


def test_not_ready_agents_are_unavailable_and_counted_once() -> None:
    """At every decision epoch: no not-ready agent is in an idle queue, the idle counts are
    the idle queues, and every agent on duty is idle, talking, wrapping up or not ready."""
    sc = _scenario(
        [6.0, 2.0],
        [300.0, 120.0],
        arrivals_per_hour=200.0,
        heads=[12, 4],
        n_intervals=2,
        wrap_up=True,
    )
    sim = Simulator(sc, 5)
    checked = 0
    while sim.advance():
        for g in range(sim.n_groups):
            assert not any(a.not_ready for a in sim.idle[g])
            assert sim.idle_count[g] == len(sim.idle[g])
            idle, talking, wrapping = sim.agent_counts(g)
            present = sum(1 for a in sim.agents if a.group == g and a.present)
            nr = sum(1 for a in sim.agents if a.group == g and a.present and a.not_ready)
            assert nr == sim.not_ready_count[g]
            assert idle + talking + wrapping + nr == present
            assert idle == sim.idle_count[g]
        sim.step(sim.action_mask().argmax())
        checked += 1
    assert checked > 100
    assert sim.not_ready_total == sum(sim.not_ready_count)


def test_a_staffing_cut_sends_not_ready_agents_home_first() -> None:
    """12 agents, then 4: with no calls, idle agents go first, then not-ready ones at once,
    their episode cut at the boundary (nobody is left 'leaving')."""
    sc = _scenario(20.0, 600.0, arrivals_per_hour=0.0, heads=[12, 4], n_intervals=2)
    sim = Simulator(sc, 2)
    sim.run(make_router("fifo"))
    present = [a for a in sim.agents if a.present]
    assert len(present) == 4
    assert not any(a.leaving for a in sim.agents)
    report = sim.report()
    # the time booked per agent (whole episodes, cut when the agent left) is the integral over
    # [0, horizon] plus what the last episodes ran past the horizon
    past = sum(max(0.0, a.nr_until - sc.horizon_s) for a in present)
    booked = report.by_group["not_ready_s"].sum()
    assert booked - past == pytest.approx(report["not_ready_s"], rel=1e-9)


def test_busy_agents_keep_one_pending_request() -> None:
    """Under pressure agents are never idle ready: requests wait for the call (and wrap-up) in
    hand, episodes still happen, and occupancy (busy / (busy + idle ready)) is near 1."""
    sc = _scenario(4.0, 300.0, arrivals_per_hour=400.0, heads=10, wrap_up=True)
    sim = Simulator(sc, 8, record_calls=True)
    report = sim.run(make_router("fifo"))
    assert report["not_ready_share"] > 0.05
    assert report["occupancy"] > 0.95  # busy / (busy + idle ready): nearly never idle ready


def test_zero_rate_gives_the_same_calls_as_no_not_ready() -> None:
    """A not_ready with rate 0 draws nothing and changes no call: the call log, the KPIs the
    two share and the other streams are the same bits as without the field."""
    sc = _scenario(0.0, 300.0, arrivals_per_hour=200.0, heads=8, wrap_up=True)
    base = _without_not_ready(sc)
    runs = []
    for s in (sc, base):
        sim = Simulator(s, 11, record_calls=True)
        runs.append((sim.run(make_router("fifo")), sim.call_log()))
    (r1, log1), (r0, log0) = runs
    pd.testing.assert_frame_equal(log1, log0)
    assert set(r0.overall) < set(r1.overall)
    for k, v in r0.overall.items():
        assert v == r1.overall[k] or (math.isnan(v) and math.isnan(r1.overall[k])), k
    assert r1["not_ready_s"] == 0.0


def test_streams_layout_unchanged_by_the_availability_family() -> None:
    """The availability streams come after every other family: the others draw the same
    numbers whatever the number of groups."""
    a, b = RandomStreams.from_seed(7, 2), RandomStreams.from_seed(7, 2, 3)
    for name in ("arrival", "service", "wrap_up", "repeat_call"):
        for ga, gb in zip(getattr(a, name), getattr(b, name), strict=True):
            assert ga.random() == gb.random()
    assert a.day.random() == b.day.random()
    assert len(b.availability) == 3 and a.availability == ()
    # the root's child 9 (after repeat_call, 8): what a compiled twin spawns
    root = np.random.SeedSequence(7)
    child = np.random.SeedSequence(root.entropy, spawn_key=(9,)).spawn(3)[1]
    assert np.random.Generator(np.random.PCG64(child)).random() == b.availability[1].random()


def test_reproducible_by_seed() -> None:
    sc = _scenario([6.0, 2.0], [300.0, 120.0], heads=[10, 6], n_intervals=2, wrap_up=True)
    logs = []
    for seed in (4, 4, 5):
        sim = Simulator(sc, seed, record_calls=True)
        report = sim.run(make_router("fifo"))
        logs.append((report["not_ready_s"], sim.call_log()))
    assert logs[0][0] == logs[1][0]
    pd.testing.assert_frame_equal(logs[0][1], logs[1][1])
    assert logs[0][0] != logs[2][0]


def test_shipped_scenarios_run_as_before() -> None:
    """No shipped scenario has not_ready; their reports have no not-ready keys."""
    sc = load_scenario("single_pool")
    assert not sc.has_not_ready
    assert "not_ready_s" not in Simulator(sc, 0).run(make_router("fifo")).overall


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rate_per_hour", [-1.0], "rates must be >= 0"),
        ("mean_length_s", [0.0], "mean lengths must be > 0"),
        ("rate_per_hour", [1.0, 2.0, 3.0], "has 3 values, expected 1 or n_intervals=8"),
        ("day_shape", 0.0, "greater than 0"),
    ],
)
def test_validation_names_the_field(field: str, value: list[float] | float, message: str) -> None:
    d = _scenario(1.0, 300.0).to_dict()
    d["agent_groups"][0]["not_ready"][field] = value
    with pytest.raises(ValueError, match="not_ready") as err:
        Scenario.from_dict(d)
    assert message in str(err.value)


def test_day_stream_is_spawned_last() -> None:
    """``availability_day`` (NotReady.day_shape) is the root's child 11, after ``staffing``
    (10): every earlier stream draws the numbers it drew before it existed."""
    b = RandomStreams.from_seed(7, 2, 3)
    root = np.random.SeedSequence(7)
    for key, stream in ((10, b.staffing), (11, b.availability_day)):
        child = np.random.SeedSequence(root.entropy, spawn_key=(key,))
        assert stream is not None
        assert np.random.Generator(np.random.PCG64(child)).random() == stream.random()


def test_day_shape_scales_each_days_request_rate() -> None:
    """Four days: with ``day_shape`` the days' not-ready shares spread (one factor per day),
    without it they stay close; the last day's factor is the stream's fourth Gamma draw."""
    d = _scenario(6.0, 300.0, heads=[10], n_intervals=8).to_dict()
    d["intervals_per_day"] = 2
    shares = {}
    for shape in (None, 1.5):
        d["agent_groups"][0]["not_ready"]["day_shape"] = shape
        sim = Simulator(Scenario.from_dict(d), 3)
        report = sim.run(make_router("fifo"))
        shares[shape] = report.by_interval["not_ready_share"].to_numpy().reshape(4, 2).mean(1)
    assert np.ptp(shares[1.5]) > 2 * np.ptp(shares[None])
    stream = RandomStreams.from_seed(3, 1, 1).availability_day
    assert stream is not None
    assert sim._nr_day == [float(stream.gamma(1.5, 1 / 1.5, 4)[-1])]
