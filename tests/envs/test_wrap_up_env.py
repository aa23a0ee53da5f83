"""rlroute/CallCenter-v1 on a scenario with after-call work (wrap-up): the checkers pass,
agents in wrap-up are not idle in the observation, and a seeded episode is the benchmark day."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from env_helpers import ENV_ID, short

from rlroute.scenario import Scenario
from rlroute.sim import FIFORouter, Simulator


@pytest.fixture(scope="module")
def wrapped() -> Scenario:
    data = short("n_design", 2).to_dict()
    for grp in data["agent_groups"]:
        for skill in grp["skills"].values():
            skill["wrap_up"] = {"kind": "exponential", "mean_s": 30.0}
    return Scenario.from_dict(data)


def test_env_checkers_pass_with_wrap_up(wrapped) -> None:
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check(gym.make(ENV_ID, scenario=wrapped).unwrapped)
        sb3_check(gym.make(ENV_ID, scenario=wrapped).unwrapped)


def test_wrap_up_agents_are_not_idle_in_the_observation(wrapped) -> None:
    env = gym.make(ENV_ID, scenario=wrapped)
    base = env.unwrapped
    names = base.observation_names
    fifo = FIFORouter()
    obs, info = env.reset(seed=1)
    fifo.reset(base.sim)
    seen_wrap, terminated, total = 0, False, 0.0
    while not terminated:
        sim = base.sim
        v = dict(zip(names, obs.tolist()))
        for g, (name, head) in enumerate((("dedicated", 18), ("flex", 14))):
            idle, _talking, wrapping = sim.agent_counts(g)
            assert v[f"idle/{name}"] == pytest.approx(idle / head, rel=1e-6)
            seen_wrap += wrapping
        obs, reward, terminated, _, info = env.step(fifo.act(sim))
        total += reward
    assert seen_wrap > 0
    expected = Simulator(wrapped, seed=1).run(FIFORouter()).overall
    for key in ("offered", "answered", "asa", "occupancy", "mean_wrap_up", "cost"):
        assert info["kpis"][key] == expected[key], key
    assert expected["mean_wrap_up"] == pytest.approx(30.0, rel=0.1)
    assert np.isfinite(total)


def test_observe_wrap_up_adds_the_agents_in_after_call_work(wrapped) -> None:
    """``observe_wrap_up=True`` appends wrap_up/<group>; the default layout is unchanged, the
    checkers pass, and a served policy's observer (SimObserver) sees the same vector."""
    from gymnasium.utils.env_checker import check_env as gym_check

    from rlroute.envs.layout import SimObserver

    plain = gym.make(ENV_ID, scenario=wrapped).unwrapped
    env = gym.make(ENV_ID, scenario=wrapped, observe_wrap_up=True)
    base = env.unwrapped
    names = base.observation_names
    assert names[: len(plain.observation_names)] == plain.observation_names
    assert names[len(plain.observation_names) :] == ["wrap_up/dedicated", "wrap_up/flex"]
    assert env.observation_space.shape == (len(names),)
    served = SimObserver(ENV_ID, wrapped, {"observe_wrap_up": True})
    assert served.layout.observation_names == names
    fifo = FIFORouter()
    obs, _ = env.reset(seed=2)
    fifo.reset(base.sim)
    seen, terminated = 0.0, False
    while not terminated:
        sim = base.sim
        v = dict(zip(names, obs.tolist()))
        for g, (name, head) in enumerate((("dedicated", 18), ("flex", 14))):
            assert v[f"wrap_up/{name}"] == pytest.approx(min(sim.wrap_up_count[g] / head, 1.0))
            seen += v[f"wrap_up/{name}"]
        np.testing.assert_array_equal(served(sim), obs)
        obs, _, terminated, _, _ = env.step(fifo.act(sim))
    assert seen > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check(gym.make(ENV_ID, scenario=wrapped, observe_wrap_up=True).unwrapped)
