"""The trainer's fast backend: an SB3 ``VecEnv`` over the batched vector env.

:class:`FastVecEnv` steps ``n_envs`` days with one batch object
(:class:`rlroute.envs.vector.CallCenterVectorEnv`) and presents them to stable-baselines3
exactly as the reference training env does, ``DummyVecEnv`` of ``Monitor(SkipForcedDecisions(
env))`` (:func:`rlroute.rl.train.make_vec_env` with ``env.backend: reference``): the same
observations, ``float32`` rewards, dones, the same seeding (``seed(s)`` gives env ``i`` the day
of seed ``s + i``, later days from its own generator) and ``infos`` (``action_mask``,
``invalid_action``, ``invalid_actions``, ``kpis``, Monitor's ``episode``,
``terminal_observation``, ``TimeLimit.truncated``); ``env_method("action_masks")`` and
``get_attr`` as sb3-contrib's MaskablePPO uses them. So a run trains to the same weights, bit
for bit, on either backend (``tests/rl/test_vec_env.py``).

Not reproduced: SkipForcedDecisions' ``info["forced_steps"]`` (the batch API does not count
forced steps), Monitor's CSV file and ``get_episode_rewards()``; rendering.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from rlroute.envs.compiled_batch import CompiledBatch
from rlroute.envs.vector import CallCenterVectorEnv
from rlroute.rl.wrappers import SkipForcedDecisions
from rlroute.scenario import Scenario

#: The env options the fast backend serves (keyword arguments of CallCenterEnv it implements).
SUPPORTED_ENV_KWARGS = ("observe_wrap_up", "observation")


class FastVecEnv(VecEnv):
    """``n_envs`` training environments in one batch, for SB3 (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        n_envs: int,
        *,
        reward_scale: float = 1.0,
        work_conserving: bool = True,
        invalid_action: str = "fallback",
        observe_wrap_up: bool = False,
        observation: str = "v1",
        skip_forced: bool = True,
        batch_cls: type = CompiledBatch,
    ) -> None:
        self.venv = CallCenterVectorEnv(
            n_envs,
            scenario,
            reward_scale=reward_scale,
            work_conserving=work_conserving,
            invalid_action=invalid_action,
            observe_wrap_up=observe_wrap_up,
            observation=observation,
            skip_forced=skip_forced,
            batch_cls=batch_cls,
        )
        self.skip_forced = bool(skip_forced)
        super().__init__(n_envs, self.venv.single_observation_space, self.venv.single_action_space)
        self._actions: np.ndarray | None = None
        self._t_start = time.time()  # Monitor's clock for episode["t"]
        self._ep_return = np.zeros(n_envs)
        self._ep_len = np.zeros(n_envs, dtype=np.int64)

    # ------------------------------------------------------------------ VecEnv API
    def reset(self) -> np.ndarray:
        v = self.venv
        v.reset_rows(np.arange(self.num_envs), list(self._seeds))
        self._ep_return[:] = 0.0
        self._ep_len[:] = 0
        self.reset_infos = [self._reset_info(n) for n in range(self.num_envs)]
        self._reset_seeds()
        self._reset_options()
        return v.batch.obs.copy()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise RuntimeError("step_async() must come before step_wait()")
        actions, self._actions = self._actions, None
        v = self.venv
        batch = v.batch
        rewards, dones, finished = v.step_core(actions.reshape(self.num_envs))
        # Monitor's bookkeeping, in its order: sum(rewards) of the episode, left to right
        self._ep_return += rewards
        self._ep_len += 1
        masks, invalid, n_invalid = batch.masks, batch.invalid, batch.n_invalid
        infos: list[dict[str, Any]] = [
            {
                "action_mask": masks[n].copy(),
                "invalid_action": bool(invalid[n]),
                "invalid_actions": int(n_invalid[n]),
                "TimeLimit.truncated": False,
            }
            for n in range(self.num_envs)
        ]
        if finished:
            now = time.time()
            for f in finished:
                n = f.row
                infos[n] = {
                    "action_mask": f.mask,
                    "invalid_action": f.invalid,
                    "invalid_actions": f.n_invalid,
                    "kpis": f.kpis,
                    "episode": {
                        "r": round(float(self._ep_return[n]), 6),
                        "l": int(self._ep_len[n]),
                        "t": round(now - self._t_start, 6),
                    },
                    "TimeLimit.truncated": False,
                    "terminal_observation": f.obs,
                }
                self._ep_return[n] = 0.0
                self._ep_len[n] = 0
                self.reset_infos[n] = self._reset_info(n)
        return batch.obs.copy(), rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The single env's attribute for each env of ``indices``: ``action_masks`` (bound to
        the row), or an option/layout attribute shared by every row."""
        rows = self._get_indices(indices)
        if attr_name == "action_masks":
            return [self._row_masks(n) for n in rows]
        if attr_name.startswith("_") or not hasattr(self.venv, attr_name):
            raise AttributeError(f"FastVecEnv's environments have no attribute {attr_name!r}")
        value = getattr(self.venv, attr_name)
        return [value for _ in rows]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise AttributeError(
            f"FastVecEnv cannot set {attr_name!r} on its environments (one batch serves them "
            "all); use env.backend=reference"
        )

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        if method_name == "action_masks" and indices is None:  # MaskablePPO, every step
            return list(self.venv.batch.masks.copy())
        return [f(*method_args, **method_kwargs) for f in self.get_attr(method_name, indices)]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        """True for the wrappers this backend reproduces: Monitor, and SkipForcedDecisions
        when ``skip_forced``."""
        wrapped = issubclass(Monitor, wrapper_class) or (
            self.skip_forced and issubclass(SkipForcedDecisions, wrapper_class)
        )
        return [wrapped for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]

    def clock(self) -> np.ndarray:
        """Each env's simulated time in seconds at its current decision (after an autoreset:
        the new day's first decision), as ``env.unwrapped.sim.now`` of the reference envs;
        semi-Markov discounting (:mod:`rlroute.rl.semi_markov`) reads it after every step."""
        return np.asarray(self.venv.batch.clock, dtype=float)

    # ------------------------------------------------------------------ helpers
    def _row_masks(self, n: int) -> Any:
        batch = self.venv.batch

        def action_masks() -> np.ndarray:
            return batch.masks[n].copy()

        return action_masks

    def _reset_info(self, n: int) -> dict[str, Any]:
        b = self.venv.batch
        return {"action_mask": b.masks[n].copy(), "invalid_action": False, "invalid_actions": 0}


__all__ = ["SUPPORTED_ENV_KWARGS", "FastVecEnv"]
