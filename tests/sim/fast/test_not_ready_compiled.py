"""Not-ready episodes (``AgentGroup.not_ready``) in the compiled engine against the reference.

The same seed gives the same not-ready requests (the ``availability`` streams, CRN contract
step 5), the same agents picked, the same episodes (pending ones too), so the same call by
call log and KPIs (``not_ready_s``, ``not_ready_share``, occupancy, per-group not-ready time);
the batch's rows equal their envs (observations, masks, rewards). A scenario without
``not_ready`` is the one before the feature existed (the fingerprint tests of
``tests/sim/test_common_random_numbers.py`` and the differential suite).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _compare import assert_same_run, has_repeats, run_both, shorten, with_not_ready
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_compiled_batch import run_against_envs
from test_differential import with_day_staffing
from test_invariants import centers

from rlroute.envs.call_center import CallCenterEnv
from rlroute.envs.fast_batch import FastBatch
from rlroute.envs.vector import CallCenterVectorEnv
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim.fast import FastSimulator
from rlroute.sim.fast.batch import BatchSimulator

SCENARIOS = sorted(p.stem for p in Path("configs/scenario").glob("*.yaml"))


def _mixed() -> Scenario:
    """Not-ready episodes with everything they interact with: wrap-ups (a request pending
    through talk and wrap-up), repeat calls, staffing that rises, drops (not-ready agents sent
    home first, episodes cut short) and goes to zero, rates and mean lengths per interval."""
    n = 6
    return Scenario.from_dict(
        {
            "name": "not_ready_mixed",
            "interval_s": 900.0,
            "n_intervals": n,
            "call_types": [
                {
                    "name": "a",
                    "arrival_rates_per_hour": [90.0, 160.0, 60.0, 140.0, 100.0, 80.0],
                    "patience": {"kind": "exponential", "mean_s": 240.0},
                    "repeat": {
                        "probability": 0.6,
                        "delay": {"kind": "exponential", "mean_s": 300.0},
                    },
                },
                {
                    "name": "b",
                    "arrival_rates_per_hour": [40.0],
                    "patience": {"kind": "exponential", "mean_s": 400.0},
                    "balk_probability": 0.2,
                },
            ],
            "agent_groups": [
                {
                    "name": "g0",
                    "head_count": [5, 8, 2, 0, 6, 3],
                    "skills": {
                        "a": {
                            "handle_time": {"kind": "exponential", "mean_s": 200.0},
                            "fcr": 0.6,
                            "wrap_up": {"kind": "exponential", "mean_s": 40.0},
                        },
                        "b": {"handle_time": {"kind": "lognormal", "mu": 5.0, "sigma": 0.5}},
                    },
                    "not_ready": {
                        "rate_per_hour": [6.0, 12.0, 0.0, 8.0, 20.0, 4.0],
                        "mean_length_s": [300.0, 120.0, 600.0, 60.0, 200.0, 900.0],
                    },
                },
                {
                    "name": "g1",
                    "head_count": [3, 1, 4, 4, 0, 5],
                    "skills": {
                        "b": {
                            "handle_time": {"kind": "exponential", "mean_s": 180.0},
                            "wrap_up": {"kind": "deterministic", "value_s": 30.0},
                        }
                    },
                    "not_ready": {"rate_per_hour": 10.0, "mean_length_s": 400.0},
                },
            ],
        }
    )


@pytest.mark.parametrize("router", ["fifo", "lia", "random"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_library_scenarios_with_not_ready(name: str, router: str) -> None:
    assert_same_run(with_not_ready(shorten(load_scenario(name), 3)), seed=5, router=router)


@pytest.mark.parametrize(
    "router", ["fifo", "priority", "sbr", "lia", "cmu_theta", "random", "gcmu"]
)
def test_not_ready_with_wrap_up_repeats_and_staffing_changes(router: str) -> None:
    sc = _mixed()
    assert has_repeats(sc)
    for seed in (1, 2):
        assert_same_run(sc, seed=seed, router=router)
    _, _, a, b = run_both(sc, 1, router, log=False)
    # the feature is exercised: episodes happen (and are cut at staffing drops)
    assert a.overall["not_ready_s"] > 0 and a.overall["not_ready_s"] == b.overall["not_ready_s"]


def test_no_not_ready_keys_without_the_feature() -> None:
    sc = shorten(load_scenario("heterogeneous"), 2)
    _, _, a, b = run_both(sc, 3, "fifo", log=False)
    assert "not_ready_s" not in b.overall and b.overall == a.overall


@st.composite
def not_ready_centers(draw: st.DrawFn) -> Scenario:
    """tests/sim/test_invariants.centers() with not-ready episodes on some groups (rates high
    enough for many episodes in the 10-minute intervals, per-interval or broadcast)."""
    sc = draw(centers())
    d = sc.to_dict()
    n = sc.n_intervals
    groups = d["agent_groups"]
    some = draw(st.lists(st.booleans(), min_size=len(groups), max_size=len(groups)))
    if not any(some):
        some[0] = True
    for g, on in zip(groups, some, strict=True):
        if on:
            per = draw(st.booleans())
            size = n if per else 1
            g["not_ready"] = {
                "rate_per_hour": draw(st.lists(st.floats(0, 40), min_size=size, max_size=size)),
                "mean_length_s": draw(st.lists(st.floats(5, 900), min_size=size, max_size=size)),
            }
    return Scenario.from_dict(d)


HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
)


@HYPOTHESIS
@given(
    scenario=not_ready_centers(),
    router=st.sampled_from(["fifo", "fifo_priority", "priority", "lia", "cmu", "threshold"]),
    seed=st.integers(0, 2**16),
)
def test_random_centers_with_not_ready(scenario: Scenario, router: str, seed: int) -> None:
    """Random types, groups, skills, distributions, wrap-ups, profiles, balking, repeats,
    staffing to zero, with not-ready episodes."""
    assert_same_run(scenario, seed=seed, router=router)


# ---------------------------------------------------------------- the batch against its envs
@pytest.mark.parametrize("skip_forced", [False, True])
def test_compiled_batch_rows_equal_envs_with_not_ready(skip_forced: bool) -> None:
    run_against_envs(_mixed(), 3, seed=4, skip_forced=skip_forced, days=2)


def test_compiled_batch_library_scenario_with_not_ready_wrap_up_observed() -> None:
    sc = with_not_ready(shorten(load_scenario("heterogeneous"), 2), rate=[6.0, 10.0])
    run_against_envs(sc, 3, seed=9, skip_forced=False, work_conserving=False, observe_wrap_up=True)


@settings(HYPOTHESIS, max_examples=10)
@given(scenario=not_ready_centers(), seed=st.integers(0, 2**16), skip=st.booleans())
def test_compiled_batch_random_centers_with_not_ready(
    scenario: Scenario, seed: int, skip: bool
) -> None:
    run_against_envs(scenario, 3, seed=seed, skip_forced=skip, days=2)


def test_fast_batch_rows_equal_envs_with_not_ready() -> None:
    """The batch API's readable twin (a FastSimulator per row)."""
    sc = _mixed()
    seeds = np.array([3, 4, 5])
    envs = [CallCenterEnv(sc) for _ in seeds]
    batch = FastBatch(sc, 3)
    batch.reset_rows(np.arange(3), seeds)
    for n, env in enumerate(envs):
        obs, _ = env.reset(seed=int(seeds[n]))
        assert batch.obs[n].tobytes() == obs.tobytes()
    rng = np.random.default_rng(2)
    while not batch.done.all():
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in batch.masks])
        was_done = batch.done.copy()
        batch.step(actions)
        for n, env in enumerate(envs):
            if was_done[n]:
                continue
            obs, r, term, _, _ = env.step(int(actions[n]))
            assert batch.obs[n].tobytes() == obs.tobytes()
            assert (batch.masks[n] == env.action_masks()).all()
            assert batch.rewards[n] == pytest.approx(r, rel=1e-12, abs=1e-12)
            assert batch.done[n] == term
    for n, env in enumerate(envs):
        assert batch.report(n).overall == env.sim.report().overall


def test_every_compiled_entry_point_takes_not_ready() -> None:
    """No refusal left: the vector env (on CompiledBatch) runs such a scenario."""
    sc = with_not_ready(shorten(load_scenario("heterogeneous"), 1))
    env = CallCenterVectorEnv(2, sc)
    env.reset(seed=0)
    masks = env.action_masks()
    env.step(np.array([np.flatnonzero(m)[0] for m in masks]))
    BatchSimulator(sc, 2)
    FastSimulator(sc, 0)


def test_replayed_arrivals_with_not_ready() -> None:
    """Replayed arrival times (FastSimulator(arrivals=...)) and not-ready episodes together."""
    sc = with_not_ready(shorten(load_scenario("heterogeneous"), 2))
    rng = np.random.default_rng(0)
    arrivals = [np.sort(rng.uniform(0, sc.horizon_s, 150)) for _ in sc.call_types]
    assert_same_run(sc, seed=3, router="lia", arrivals=arrivals)


def _day_staffing_with_not_ready() -> Scenario:
    """Two days whose head counts are drawn per day (staffing_day_factor): the requests'
    Poisson means use the day's head counts, in the reference and in each batch row."""
    return with_not_ready(with_day_staffing(load_scenario("heterogeneous"), 3, 2), rate=6.0)


@pytest.mark.parametrize("router", ["fifo", "random"])
def test_not_ready_with_day_to_day_staffing(router: str) -> None:
    for seed in (0, 1):
        assert_same_run(_day_staffing_with_not_ready(), seed=seed, router=router)


def test_compiled_batch_not_ready_with_day_to_day_staffing() -> None:
    run_against_envs(_day_staffing_with_not_ready(), 3, seed=6, skip_forced=False, days=2)


def _not_ready_day_shape(day_staffing: bool = True) -> Scenario:
    """Three short days whose not-ready request rates are scaled per day and group
    (``NotReady.day_shape``, CRN contract step 6), on the first group only or, with day-to-day
    staffing, on every group (group 1 without a shape when there are two: it draws nothing)."""
    d = with_not_ready(with_day_staffing(load_scenario("heterogeneous"), 3, 2), 6.0).to_dict()
    for g, grp in enumerate(d["agent_groups"]):
        if not day_staffing:
            grp.pop("staffing_day_factor", None)
        if g != 1:
            grp["not_ready"]["day_shape"] = 0.8 + g
    return Scenario.from_dict(d)


def test_day_shape_absent_is_the_same_run() -> None:
    """``day_shape: null`` is the scenario without the field, bit for bit (no stream touched)."""
    sc = with_not_ready(shorten(load_scenario("heterogeneous"), 2))
    d = sc.to_dict()
    for grp in d["agent_groups"]:
        grp["not_ready"]["day_shape"] = None
    same = Scenario.from_dict(d)
    assert "day_shape" not in same.to_dict()["agent_groups"][0]["not_ready"]
    _, _, a, _ = run_both(sc, 2, "fifo", log=False)
    _, _, b, _ = run_both(same, 2, "fifo", log=False)
    assert a.overall == b.overall


def test_day_shape_changes_the_days() -> None:
    """The factor is drawn and used: the not-ready time differs from the run without it."""
    sc = _not_ready_day_shape()
    d = sc.to_dict()
    for grp in d["agent_groups"]:
        grp["not_ready"].pop("day_shape", None)
    _, _, a, _ = run_both(sc, 0, "fifo", log=False)
    _, _, b, _ = run_both(Scenario.from_dict(d), 0, "fifo", log=False)
    assert a.overall["not_ready_s"] != b.overall["not_ready_s"]


@pytest.mark.parametrize("day_staffing", [True, False])
@pytest.mark.parametrize("router", ["fifo", "lia", "random"])
def test_not_ready_day_shape(router: str, day_staffing: bool) -> None:
    for seed in (0, 1):
        assert_same_run(_not_ready_day_shape(day_staffing), seed=seed, router=router)


@pytest.mark.parametrize("skip_forced", [False, True])
def test_compiled_batch_not_ready_day_shape(skip_forced: bool) -> None:
    run_against_envs(_not_ready_day_shape(), 3, seed=6, skip_forced=skip_forced, days=2)
