"""The trainer's wrappers: forced decisions are skipped without changing the return, and
invalid actions of unmasked algorithms become valid ones by the documented rule."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rlroute  # noqa: F401 - registers the environment
from rlroute.rl.wrappers import InvalidActionFallback, SkipForcedDecisions


def test_skipping_forced_decisions_keeps_the_return() -> None:
    env = SkipForcedDecisions(gym.make("rlroute/CallCenter-v0", scenario="heterogeneous"))
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    total, steps, forced, done = 0.0, 0, 0, False
    while not done:
        mask = env.action_masks()
        assert mask.sum() >= 2  # the agent only sees real choices
        _obs, r, done, _trunc, info = env.step(int(rng.choice(np.flatnonzero(mask))))
        total += r
        steps += 1
        forced += info["forced_steps"]
    sim = env.unwrapped.sim
    assert forced > 0 and steps > 0
    # Cost before the first real choice is not the agent's; everything after is in the return.
    assert total <= 0 and -total <= sim.cost + 1e-6
    assert info["kpis"]["cost"] == sim.cost


def test_no_choice_at_all_is_a_clear_error() -> None:
    env = SkipForcedDecisions(gym.make("rlroute/CallCenter-v0", scenario="single_pool"))
    with pytest.raises(ValueError, match=r"nothing to learn.*work_conserving=false"):
        env.reset(seed=0)
    env = SkipForcedDecisions(
        gym.make("rlroute/CallCenter-v0", scenario="single_pool", work_conserving=False)
    )
    env.reset(seed=0)
    assert env.action_masks().all()  # assign or hold


def test_fallback_rule() -> None:
    env = InvalidActionFallback(gym.make("rlroute/CallCenter-v0", scenario="heterogeneous"))
    pairs = env.unwrapped.pairs
    names = env.unwrapped.action_names
    n = len(names)
    a = names.index("tech->generalists")
    same_group = names.index("billing->generalists")
    same_type = names.index("tech->experts")
    other = names.index("vip->experts")
    mask = np.zeros(n, dtype=bool)
    mask[[same_group, same_type, other]] = True
    assert env.fallback(a, mask) == same_group
    mask[same_group] = False
    assert env.fallback(a, mask) == same_type
    mask[same_type] = False
    assert env.fallback(a, mask) == other
    mask[:] = False
    mask[-1] = True
    assert env.fallback(a, mask) == n - 1  # hold when nothing is assignable
    assert pairs[a] == (2, 2)


def test_fallback_never_lets_an_invalid_action_through() -> None:
    env = InvalidActionFallback(gym.make("rlroute/CallCenter-v0", scenario="heterogeneous"))
    env.reset(seed=1)
    rng = np.random.default_rng(1)
    replaced = 0
    for _ in range(2000):
        _obs, _r, done, _trunc, info = env.step(int(rng.integers(env.action_space.n)))
        replaced += info["invalid_action"]
        if done:
            break
    assert replaced > 0  # random actions are often invalid, and the env never raised
