"""The fast engine against the reference, call by call (issue 10, item 2).

Same seed, same scenario, same router: the same per-call log (who was served by which group
and agent, when, with what outcome; times to 1e-9 s) and the same KPIs (every key and table,
floats to 1e-9 relative). Short days in the fast suite, whole days marked slow.

Repeat calls: both engines implement the common-random-numbers contract of issue 9 item 1
(every draw of a repeat call from the ``repeat_call`` streams); the scenarios with repeats are
checked with them and, separately, with their repeats removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _compare import assert_same_run, has_repeats, shorten, without_repeats
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_invariants import centers

from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario

SCENARIOS = sorted(p.stem for p in Path("configs/scenario").glob("*.yaml"))
ROUTERS = ["fifo", "priority", "sbr", "lia", "cmu_theta", "random"]
EXTRA_ROUTERS = ["fifo_priority", "cmu", "threshold", "gcmu"]  # gcmu: a Python router


def _case(name: str, n_intervals: int | None):
    sc = load_scenario(name)
    return sc if n_intervals is None else shorten(sc, n_intervals)


@pytest.mark.parametrize("router", ROUTERS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_short_day_same_calls_and_kpis(name: str, router: str) -> None:
    sc = _case(name, 3)
    if has_repeats(sc):
        sc = without_repeats(sc)
    assert_same_run(sc, seed=7, router=router)


@pytest.mark.parametrize("router", ROUTERS)
@pytest.mark.parametrize("name", [n for n in SCENARIOS if has_repeats(load_scenario(n))])
def test_short_day_with_repeat_calls(name: str, router: str) -> None:
    assert_same_run(_case(name, 3), seed=7, router=router)


@pytest.mark.parametrize("router", EXTRA_ROUTERS)
def test_other_routers_compiled_or_asked(router: str) -> None:
    assert_same_run(without_repeats(_case("heterogeneous", 3)), seed=3, router=router)


@pytest.mark.slow
@pytest.mark.parametrize("router", ROUTERS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_whole_day_same_calls_and_kpis(name: str, router: str) -> None:
    sc = load_scenario(name)
    for seed in (0, 1):
        assert_same_run(without_repeats(sc) if has_repeats(sc) else sc, seed=seed, router=router)


@pytest.mark.slow
@pytest.mark.parametrize("router", ROUTERS)
@pytest.mark.parametrize("name", [n for n in SCENARIOS if has_repeats(load_scenario(n))])
def test_whole_day_with_repeat_calls(name: str, router: str) -> None:
    for seed in (0, 1):
        assert_same_run(load_scenario(name), seed=seed, router=router)


HYPOTHESIS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@HYPOTHESIS
@given(
    scenario=centers().filter(lambda sc: not has_repeats(sc)),
    router=st.sampled_from([*ROUTERS, "fifo_priority", "cmu", "threshold"]),
    seed=st.integers(0, 2**16),
)
def test_random_centers_same_calls_and_kpis(scenario, router: str, seed: int) -> None:
    """Random types, groups, skills, every distribution kind, wrap-ups, handle-time
    profiles, balking, staffing that drops to zero, infinite patience."""
    assert_same_run(scenario, seed=seed, router=router)


@settings(HYPOTHESIS, max_examples=10, phases=(Phase.explicit, Phase.generate))  # no shrinking
@given(
    scenario=centers().filter(has_repeats),
    router=st.sampled_from(ROUTERS),
    seed=st.integers(0, 2**16),
)
def test_random_centers_with_repeat_calls(scenario, router: str, seed: int) -> None:
    assert_same_run(scenario, seed=seed, router=router)


def test_many_staffing_changes_grow_the_agent_table() -> None:
    """Agents are never reused: a schedule that sends everyone home and hires again many
    times outgrows the first agent table (the driver grows it between compiled calls)."""
    sc = Scenario.from_dict(
        {
            "name": "on_off",
            "interval_s": 600.0,
            "n_intervals": 24,
            "call_types": [
                {
                    "name": "a",
                    "arrival_rates_per_hour": [120.0],
                    "patience": {"kind": "exponential", "mean_s": 200.0},
                }
            ],
            "agent_groups": [
                {
                    "name": "g",
                    "head_count": [6, 0, 9, 2] * 6,
                    "skills": {"a": {"handle_time": {"kind": "exponential", "mean_s": 240.0}}},
                }
            ],
        }
    )
    assert_same_run(sc, seed=5, router="fifo")
    assert_same_run(sc, seed=6, router="random")


def with_day_staffing(scenario: Scenario, n_days: int, n_intervals: int) -> Scenario:
    """``n_days`` short days of ``scenario`` (its first ``n_intervals`` intervals), with Gamma
    day multipliers and a staffing day factor on every group (issue 12 item 3)."""
    sc = shorten(scenario, n_intervals)
    d = sc.to_dict()
    d["n_intervals"], d["intervals_per_day"] = n_intervals * n_days, n_intervals
    for k, c in enumerate(d["call_types"]):
        c["arrival_rates_per_hour"] = sc.rates_per_hour(k) * n_days
        c["day_multiplier_shape"] = 4.0
        if (m := sc.handle_time_multipliers(k)) is not None:
            c["handle_time_profile"] = m * n_days
    for g, grp in enumerate(d["agent_groups"]):
        grp["head_count"] = sc.head_counts(g) * n_days
        grp["staffing_day_factor"] = {"shape": 3.0 + g, "load_slope": [0.0, 0.7, 1.0][g % 3]}
    return Scenario.from_dict(d)


@pytest.mark.parametrize("router", ["fifo", "cmu_theta", "random"])
@pytest.mark.parametrize("name", ["anonymous_bank", "heterogeneous", "w_design", "single_pool"])
def test_staffing_day_factor_same_calls_and_kpis(name: str, router: str) -> None:
    sc = with_day_staffing(load_scenario(name), 3, 2)
    if has_repeats(sc):
        sc = without_repeats(sc)
    for seed in (0, 1):
        assert_same_run(sc, seed=seed, router=router)
