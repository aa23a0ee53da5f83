"""Helpers for environment tests: short scenarios and seeded masked-random rollouts."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

import rlroute  # noqa: F401 - registers rlroute/CallCenter-v1
from rlroute.bench.specs import truncate_horizon
from rlroute.envs.versions import ENV_ID
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario

__all__ = ["ENV_ID", "rollout", "short"]


def short(name: str, n_intervals: int = 2) -> Scenario:
    """The first ``n_intervals`` intervals of a named scenario (keeps tests fast)."""
    return truncate_horizon(load_scenario(name), n_intervals)


def rollout(env: gym.Env, seed: int, policy_seed: int = 0, max_steps: int | None = None):
    """Run one episode with a uniformly random valid action; returns observations, rewards,
    actions and the last info."""
    rng = np.random.default_rng(policy_seed)
    obs, info = env.reset(seed=seed)
    observations, rewards, actions = [obs], [], []
    terminated = truncated = False
    while not (terminated or truncated):
        action = int(rng.choice(np.flatnonzero(info["action_mask"])))
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        actions.append(action)
        if max_steps is not None and len(actions) >= max_steps:
            break
    return observations, rewards, actions, info
