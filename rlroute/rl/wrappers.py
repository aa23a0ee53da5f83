"""The Gymnasium wrapper the trainer puts around ``rlroute/CallCenter-v1``.

:class:`SkipForcedDecisions`: decision epochs with a single valid action are stepped
automatically and their rewards summed into the next real decision, so the agent's samples are
all choices that matter (with work-conserving masking, about half the epochs of the
heterogeneous scenario offer only one assignment). It keeps ``action_masks()`` and
``info["action_mask"]`` current, so sb3-contrib's MaskablePPO sees the mask of the decision it
is actually asked to make.

Invalid actions of algorithms that ignore the mask (PPO, A2C, DQN) need no wrapper: the
environment itself replaces them by a valid one by default (``invalid_action="fallback"``, see
:meth:`rlroute.envs.CallCenterEnv.fallback_action`; v0's ``InvalidActionFallback`` wrapper, same
rule, is gone).
"""

from __future__ import annotations

from typing import Any

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
    step, so the episode return (minus the day's cost) is unchanged: the forced steps that
    ``reset`` takes before the first real choice are carried into the first step's reward, and
    a day without any real choice is replaced by a new one whose return starts from zero (the
    episode returned is the day the agent plays). ``info["forced_steps"]`` counts the steps
    taken automatically after the agent's action (plus, on the first step, those of ``reset``).
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._mask = np.ones(env.action_space.n, dtype=np.bool_)  # type: ignore[attr-defined]
        self._carry, self._carry_steps = 0.0, 0

    #: Days in a row without a single real choice before giving up (see ``reset``).
    max_empty_days = 3

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        mask = _mask_of(self.env, info)
        empty_days = 0
        carry, forced = 0.0, 0
        while mask.sum() == 1:
            obs, reward, terminated, truncated, info = self.env.step(int(np.flatnonzero(mask)[0]))
            carry += float(reward)
            forced += 1
            mask = _mask_of(self.env, info)
            if terminated or truncated:  # a day without a single choice: start another one
                carry, forced = 0.0, 0  # that day is not the episode returned
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
        # Rewards (cost) of the forced steps before the first real choice: paid out with the
        # first step's reward, so the episode return is exactly minus the day's cost.
        self._carry, self._carry_steps = carry, forced
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        total = self._carry + float(reward)
        forced = self._carry_steps
        self._carry, self._carry_steps = 0.0, 0
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


__all__ = ["SkipForcedDecisions"]
