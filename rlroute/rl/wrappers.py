"""Gymnasium wrappers the trainer puts around ``rlroute/CallCenter-v0``.

* :class:`SkipForcedDecisions`: decision epochs with a single valid action are stepped
  automatically and their rewards summed into the next real decision, so the agent's samples
  are all choices that matter (with work-conserving masking, about half the epochs of the
  heterogeneous scenario offer only one assignment).
* :class:`InvalidActionFallback`: for algorithms that do not read the mask (PPO, A2C, DQN), an
  invalid action becomes a valid one by a fixed rule, instead of an exception.

Both keep ``action_masks()`` and ``info["action_mask"]`` current, so sb3-contrib's MaskablePPO
sees the mask of the decision it is actually asked to make.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np


def _mask_of(env: gym.Env, info: dict[str, Any]) -> np.ndarray:
    mask = info.get("action_mask")
    if mask is None:
        mask = env.get_wrapper_attr("action_masks")()
    return np.asarray(mask, dtype=bool)


class SkipForcedDecisions(gym.Wrapper):
    """Step decision epochs that offer exactly one valid action without asking the agent.

    The reward returned is the sum of the rewards of the forced steps and of the agent's own
    step, so the episode return (the scenario's cost) is unchanged. ``info["forced_steps"]``
    counts the steps taken automatically after the agent's action.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._mask = np.ones(env.action_space.n, dtype=np.bool_)  # type: ignore[attr-defined]

    #: Days in a row without a single real choice before giving up (see ``reset``).
    max_empty_days = 3

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        mask = _mask_of(self.env, info)
        empty_days = 0
        while mask.sum() == 1:
            obs, _, terminated, truncated, info = self.env.step(int(np.flatnonzero(mask)[0]))
            mask = _mask_of(self.env, info)
            if terminated or truncated:  # a day without a single choice: start another one
                empty_days += 1
                if empty_days >= self.max_empty_days:
                    raise ValueError(
                        f"scenario {self.env.unwrapped.scenario.name!r}: {empty_days} simulated "  # type: ignore[attr-defined]
                        "days without a single decision that has more than one valid action, "
                        "so there is nothing to learn (with work_conserving=True a single pool "
                        "is always FIFO); train with env.work_conserving=false"
                    )
                obs, info = self.env.reset()
                mask = _mask_of(self.env, info)
        self._mask = mask
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        total = float(reward)
        forced = 0
        mask = _mask_of(self.env, info)
        while not (terminated or truncated) and mask.sum() == 1:
            obs, reward, terminated, truncated, info = self.env.step(int(np.flatnonzero(mask)[0]))
            total += float(reward)
            forced += 1
            mask = _mask_of(self.env, info)
        info["forced_steps"] = forced
        self._mask = mask
        return obs, total, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        return self._mask.copy()


class InvalidActionFallback(gym.Wrapper):
    """Map an invalid action to a valid one, for algorithms that ignore the mask.

    Rule (fixed, documented, deterministic): an invalid pair (type k, group g) becomes the
    valid pair of the same group g with the lowest index (the free agent takes another call),
    else the valid pair of the same type k (the call goes to another group), else the lowest
    valid action (hold when nothing is assignable, or hold when not work-conserving).
    ``info["invalid_action"]`` is True when the agent's action was replaced.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._pairs: list[tuple[int, int]] = list(env.unwrapped.pairs)  # type: ignore[attr-defined]
        self._mask = np.ones(env.action_space.n, dtype=np.bool_)  # type: ignore[attr-defined]

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._mask = _mask_of(self.env, info)
        return obs, info

    def fallback(self, action: int, mask: np.ndarray) -> int:
        """The valid action that replaces ``action`` under ``mask``."""
        if mask[action]:
            return action
        valid = np.flatnonzero(mask)
        pairs = self._pairs
        if action < len(pairs):
            k, g = pairs[action]
            same_group = [a for a in valid if a < len(pairs) and pairs[a][1] == g]
            same_type = [a for a in valid if a < len(pairs) and pairs[a][0] == k]
            for candidates in (same_group, same_type):
                if candidates:
                    return int(candidates[0])
        return int(valid[0])

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        a = int(action)
        valid = self.fallback(a, self._mask)
        obs, reward, terminated, truncated, info = self.env.step(valid)
        info["invalid_action"] = valid != a
        self._mask = _mask_of(self.env, info)
        return obs, reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        return self._mask.copy()


__all__ = ["InvalidActionFallback", "SkipForcedDecisions"]
