"""The compiled engine replays given arrivals as the reference does, call by call (issue 12
item 2): ``FastSimulator(scenario, seed, arrivals=times)``."""

from __future__ import annotations

import numpy as np
import pytest
from _compare import assert_same_run, has_repeats, shorten, without_repeats
from hypothesis import given, settings
from hypothesis import strategies as st
from test_differential import HYPOTHESIS
from test_invariants import centers

from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim.fast import FastSimulator


def _random_times(sc: Scenario, seed: int, per_type: int) -> list[np.ndarray]:
    """Arrival times unlike any Poisson draw: clumps and gaps, a few at the same instant."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in sc.type_names:
        n = int(rng.integers(0, per_type + 1))
        t = rng.beta(0.5, 0.8, n) * sc.horizon_s
        if n > 2:
            t[:2] = t[2]  # ties
        out.append(np.minimum(t, np.nextafter(sc.horizon_s, 0)))
    return out


@pytest.mark.parametrize("router", ["fifo", "cmu_theta", "random"])
@pytest.mark.parametrize("name", ["anonymous_bank", "heterogeneous", "single_pool", "w_design"])
def test_replayed_day_same_calls_and_kpis(name: str, router: str) -> None:
    sc = shorten(load_scenario(name), 3)
    if has_repeats(sc):
        sc = without_repeats(sc)
    for seed in (0, 1):
        times = _random_times(sc, seed, 400)
        assert_same_run(sc, seed=seed, router=router, arrivals=times)


def test_replay_with_repeat_calls() -> None:
    sc = shorten(load_scenario("heterogeneous"), 3)
    assert has_repeats(sc)
    for router in ("fifo", "random"):
        assert_same_run(sc, seed=4, router=router, arrivals=_random_times(sc, 4, 600))


def test_empty_replay_and_errors() -> None:
    sc = shorten(load_scenario("heterogeneous"), 2)
    empty = [np.array([]) for _ in sc.type_names]
    assert_same_run(sc, seed=2, router="fifo", arrivals=empty)
    with pytest.raises(ValueError, match="call types"):
        FastSimulator(sc, arrivals=[[1.0]] * (len(sc.type_names) + 1))


@settings(HYPOTHESIS, max_examples=15)
@given(
    scenario=centers(), seed=st.integers(0, 2**16), router=st.sampled_from(["fifo", "sbr", "lia"])
)
def test_random_centers_random_replays(scenario: Scenario, seed: int, router: str) -> None:
    assert_same_run(scenario, seed=seed, router=router, arrivals=_random_times(scenario, seed, 80))
