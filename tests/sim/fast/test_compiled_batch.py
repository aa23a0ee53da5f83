"""CompiledBatch (one compiled call over [N, ...] state arrays) against N CallCenterEnv's.

Each row is driven by a seeded random policy (valid actions, and some masked ones to exercise
the fallback), rows are reset at different times with different seeds, and after every step
each row's observation (bitwise), mask, reward, termination, cost and counters, and at the end
of each day its KPIs, must equal those of its own env on the same seed. With
``skip_forced=True`` the env is stepped through its forced decisions like
``SkipForcedDecisions`` does (rewards summed in the same order).
"""

from __future__ import annotations

import numpy as np
import pytest
from _compare import shorten
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_differential import with_day_staffing
from test_invariants import centers

from rlroute.envs.call_center import CallCenterEnv
from rlroute.envs.compiled_batch import CompiledBatch
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario


class _Row:
    """One env standing for one batch row, with the skip-forced rule of the batch API."""

    def __init__(self, env: CallCenterEnv, skip: bool) -> None:
        self.env, self.skip = env, skip
        self.obs = np.zeros(0, dtype=np.float32)
        self.done = False
        self.reward = 0.0

    def _forced(self, total: float) -> float:
        env = self.env
        while not self.done and self.skip and env.action_masks().sum() == 1:
            obs, r, term, _, _ = env.step(int(np.flatnonzero(env.action_masks())[0]))
            self.obs, self.done = obs, term
            total += float(r)
        return total

    def reset(self, seed: int) -> None:
        self.obs, _ = self.env.reset(seed=seed)
        self.done = False
        self.reward = self._forced(0.0)

    def step(self, a: int) -> None:
        obs, r, term, _, _ = self.env.step(a)
        self.obs, self.done = obs, term
        self.reward = self._forced(float(r))


def _check(batch: CompiledBatch, rows: list[_Row], n: int, what: str) -> None:
    row = rows[n]
    env = row.env
    assert batch.obs[n].tobytes() == row.obs.tobytes(), (what, n, batch.obs[n], row.obs)
    assert (batch.masks[n] == env.action_masks()).all(), (what, n)
    assert batch.rewards[n] == row.reward, (what, n, batch.rewards[n], row.reward)
    assert bool(batch.done[n]) == row.done, (what, n)
    assert batch.costs[n] == env.sim.cost, (what, n)
    assert batch.n_invalid[n] == env._n_invalid, (what, n)


def run_against_envs(
    sc: Scenario,
    n_rows: int,
    seed: int,
    *,
    skip_forced: bool,
    work_conserving: bool = True,
    observe_wrap_up: bool = False,
    days: int = 2,
    masked_share: float = 0.1,
) -> int:
    """Drive ``n_rows`` rows until each finished ``days`` days; returns the steps taken."""
    kw = {"work_conserving": work_conserving, "observe_wrap_up": observe_wrap_up}
    batch = CompiledBatch(sc, n_rows, skip_forced=skip_forced, reward_scale=0.5, **kw)
    rows = [_Row(CallCenterEnv(sc, reward_scale=0.5, **kw), skip_forced) for _ in range(n_rows)]
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31, size=n_rows)
    days_left = np.full(n_rows, days)

    def reset(which: np.ndarray, new_seeds: np.ndarray) -> None:
        batch.reset_rows(which, new_seeds)
        for n, s in zip(which.tolist(), new_seeds.tolist()):
            rows[n].reset(int(s))
            _check(batch, rows, n, "reset")
            if rows[n].done:  # skip_forced: a day without a real choice ends in the reset
                days_left[n] -= 1

    reset(np.arange(n_rows), seeds)
    steps = 0
    while (days_left > 0).any():
        # rows whose day ended start a new one at different times (or stay done a while)
        again = np.flatnonzero(batch.done & (days_left > 0) & (rng.random(n_rows) < 0.5))
        if again.size:
            reset(again, rng.integers(0, 2**31, size=again.size))
        actions = rng.integers(0, batch.n_actions, size=n_rows)  # some masked: fallback
        for n in range(n_rows):
            valid = np.flatnonzero(batch.masks[n])
            if rng.random() >= masked_share:
                actions[n] = rng.choice(valid)
        was_done = batch.done.copy()
        batch.step(actions)
        steps += 1
        for n in range(n_rows):
            if was_done[n]:
                assert batch.done[n] and batch.rewards[n] == 0.0
                continue
            rows[n].step(int(actions[n]))
            _check(batch, rows, n, f"step {steps}")
            if rows[n].done:
                days_left[n] -= 1
                assert batch.report(n).overall == rows[n].env.sim.report().overall
    return steps


CASES = [  # scenario, intervals kept, rows, days per row
    ("heterogeneous", 2, 3, 2),
    ("n_design", 1, 3, 2),
    ("w_design", 1, 3, 2),
    ("single_pool", 1, 3, 2),
    ("overloaded_peak", 1, 3, 2),
    ("anonymous_bank", 3, 3, 2),
    ("long_chain_20x20", 1, 2, 1),
]


@pytest.mark.parametrize(("name", "n_intervals", "n_rows", "days"), CASES)
@pytest.mark.parametrize("skip_forced", [False, True])
def test_rows_equal_envs_on_library_scenarios(
    name: str, n_intervals: int, n_rows: int, days: int, skip_forced: bool
) -> None:
    sc = shorten(load_scenario(name), n_intervals)
    run_against_envs(sc, n_rows, seed=len(name), skip_forced=skip_forced, days=days)


def test_hold_allowed_and_wrap_up_observed() -> None:
    sc = shorten(load_scenario("heterogeneous"), 2)
    run_against_envs(sc, 3, seed=7, skip_forced=False, work_conserving=False, observe_wrap_up=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["heterogeneous", "anonymous_bank", "overloaded_peak"])
def test_whole_days(name: str) -> None:
    run_against_envs(load_scenario(name), 3, seed=1, skip_forced=True, days=1)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(scenario=centers(), seed=st.integers(0, 2**16), skip=st.booleans())
def test_rows_equal_envs_on_random_centers(scenario: Scenario, seed: int, skip: bool) -> None:
    run_against_envs(scenario, 3, seed=seed, skip_forced=skip, days=2)


def test_raise_names_the_row_and_out_of_range_always_raises() -> None:
    sc = shorten(load_scenario("n_design"), 1)
    batch = CompiledBatch(sc, 2, invalid_action="raise")
    batch.reset_rows(np.arange(2), np.array([1, 2]))
    masked = np.flatnonzero(~batch.masks[1])
    assert masked.size  # hold is masked at a work-conserving epoch
    actions = np.array([np.flatnonzero(batch.masks[0])[0], masked[0]])
    with pytest.raises(ValueError, match="row 1"):
        batch.step(actions)
    fb = CompiledBatch(sc, 2)
    fb.reset_rows(np.arange(2), np.array([1, 2]))
    with pytest.raises(ValueError, match="outside"):
        fb.step(np.array([0, batch.n_actions]))
    fb.step(actions)  # the fallback replaces the masked action
    assert fb.invalid.tolist() == [False, True] and fb.n_invalid.tolist() == [0, 1]


@pytest.mark.parametrize("name", ["anonymous_bank", "heterogeneous"])
def test_rows_equal_envs_with_staffing_day_factors(name: str) -> None:
    """Each row draws its own days' head counts (and grows the agent table when a day's
    factor hires beyond the schedule)."""
    sc = with_day_staffing(load_scenario(name), 3, 2)
    run_against_envs(sc, 3, seed=5, skip_forced=False, days=2)
