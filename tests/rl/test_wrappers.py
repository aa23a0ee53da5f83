"""The trainer's wrapper: forced decisions are skipped without changing the return (minus
the day's cost), with the env's own fallback for the invalid actions of unmasked algorithms."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import rlroute  # noqa: F401 - registers the environment
from rlroute.bench.specs import truncate_horizon
from rlroute.envs.versions import ENV_ID
from rlroute.rl.algos import get_algo
from rlroute.rl.train import TrainSettings, make_env
from rlroute.rl.wrappers import SkipForcedDecisions
from rlroute.scenarios import load_scenario, scenario_names

N_INTERVALS = 4  # a short day per scenario keeps this fast; long enough for real choices


def _episode(env: gym.Env, seed: int, policy: str) -> tuple[list[float], dict]:
    """One episode: ``"random"`` picks a uniformly random valid action, ``"fixed"`` always
    sends action 0 (valid or not: the env's fallback replaces it when it is masked)."""
    rng = np.random.default_rng(seed)
    _obs, info = env.reset(seed=seed)
    rewards, done = [], False
    while not done:
        if policy == "random":
            action = int(rng.choice(np.flatnonzero(env.get_wrapper_attr("action_masks")())))
        else:
            action = 0
        _obs, r, terminated, truncated, info = env.step(action)
        rewards.append(float(r))
        done = terminated or truncated
    return rewards, info


@pytest.mark.parametrize("name", scenario_names())
@pytest.mark.parametrize(("algo", "policy"), [("maskable_ppo", "random"), ("ppo", "fixed")])
def test_the_return_is_minus_the_days_cost(name: str, algo: str, policy: str) -> None:
    """With the trainer's wrapper stack, the rewards of an episode sum to minus the day's cost
    (forced steps before the first choice included): the return is the benchmark's cost."""
    scenario = truncate_horizon(load_scenario(name), N_INTERVALS)
    # A single pool under work-conserving masking has no choice at all (see the next test).
    wc = name != "single_pool"
    env = make_env(TrainSettings(scenario=scenario, algo=get_algo(algo), work_conserving=wc))
    for seed in (11,):
        rewards, info = _episode(env, seed, policy)
        cost = env.unwrapped.sim.cost
        assert info["kpis"]["cost"] == cost > 0
        assert math.fsum(rewards) == pytest.approx(-cost, rel=0, abs=1e-9), (name, seed)


def test_the_return_is_minus_the_cost_on_a_whole_day() -> None:
    """The issue's case, a whole day of anonymous_bank on seed 11 (the return fell short of
    the cost by about 10 when the forced steps of reset were dropped)."""
    env = make_env(TrainSettings(scenario=load_scenario("anonymous_bank"), algo=get_algo("ppo")))
    rewards, info = _episode(env, 11, "random")
    assert math.fsum(rewards) == pytest.approx(-info["kpis"]["cost"], rel=0, abs=1e-9)


class _ScriptedDays(gym.Env):
    """A stand-in env whose days are scripted lists of (number of valid actions, reward)."""

    def __init__(self, days: list[list[tuple[int, float]]]) -> None:
        self.action_space = gym.spaces.Discrete(3)
        self.observation_space = gym.spaces.Box(0.0, 1.0, (1,), np.float32)
        self.days, self.day, self.t = days, -1, 0
        self.cost = 0.0

    def _info(self) -> dict:
        n_valid = self.days[self.day][self.t][0] if self.t < len(self.days[self.day]) else 1
        mask = np.zeros(3, dtype=bool)
        mask[:n_valid] = True
        return {"action_mask": mask}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.day, self.t, self.cost = self.day + 1, 0, 0.0
        return np.zeros(1, np.float32), self._info()

    def step(self, action):
        reward = self.days[self.day][self.t][1]
        self.cost -= reward
        self.t += 1
        done = self.t == len(self.days[self.day])
        return np.zeros(1, np.float32), reward, done, False, self._info()


def test_an_empty_day_is_replaced_and_not_charged_to_the_next() -> None:
    """reset skips a day without any real choice; the episode returned is the next day, and
    its return is minus that day's cost (the empty day's rewards are not carried over)."""
    empty = [(1, -5.0), (1, -7.0)]
    played = [(1, -1.0), (1, -2.0), (2, -3.0), (1, -4.0), (2, -0.5)]
    env = SkipForcedDecisions(_ScriptedDays([empty, played]))
    env.reset(seed=0)
    assert env.unwrapped.day == 1
    _o, r1, done, _t, info = env.step(0)
    assert (r1, done, info["forced_steps"]) == (-1.0 - 2.0 - 3.0 - 4.0, False, 3)
    _o, r2, done, _t, info = env.step(1)
    assert (r2, done, info["forced_steps"]) == (-0.5, True, 0)
    assert r1 + r2 == -env.unwrapped.cost == -10.5


def test_no_choice_at_all_is_a_clear_error() -> None:
    env = SkipForcedDecisions(gym.make(ENV_ID, scenario="single_pool"))
    with pytest.raises(ValueError, match=r"nothing to learn.*work_conserving=false"):
        env.reset(seed=0)
    env = SkipForcedDecisions(gym.make(ENV_ID, scenario="single_pool", work_conserving=False))
    env.reset(seed=0)
    assert env.action_masks().all()  # assign or hold


def test_the_trainer_leaves_invalid_actions_to_the_env() -> None:
    """One fallback, the env's: no wrapper of the trainer replaces actions, and the config's
    env.invalid_action reaches the env (also for unmasked algorithms)."""
    scenario = truncate_horizon(load_scenario("heterogeneous"), 2)
    for mode in ("fallback", "raise"):
        env = make_env(TrainSettings(scenario=scenario, algo=get_algo("ppo"), invalid_action=mode))
        assert env.unwrapped.invalid_action == mode
        assert isinstance(env, SkipForcedDecisions)
        assert not any(type(w).__name__.endswith("Fallback") for w in _wrappers(env))
    with pytest.raises(ValueError, match=r"env\.kwargs\.invalid_action: set env\.invalid_action"):
        TrainSettings.from_config(
            {
                "scenario": "n_design",
                "algo": {"name": "ppo"},
                "env": {"kwargs": {"invalid_action": "raise"}},
            }
        )


def _wrappers(env: gym.Env) -> list[gym.Env]:
    chain = [env]
    while isinstance(chain[-1], gym.Wrapper):
        chain.append(chain[-1].env)
    return chain
