"""Semi-Markov discounting: GAE with a discount per step of ``gamma ** (dt / time_scale_s)``.

The routing decisions of a call center are not evenly spaced: two assignments can happen at
the same instant and the next decision can come minutes later. Discounting once per decision
(SB3's GAE) weighs a cost paid ten decisions later the same whether those decisions took one
second or ten minutes. The decision process is semi-Markov, so ``algo.discount: per_time``
discounts by the simulated time between a decision and the next one the agent sees (forced
decisions skipped in between included): a step of ``dt`` seconds is discounted by
``gamma ** (dt / time_scale_s)``, so ``gamma`` is the discount of ``time_scale_s`` seconds.
With every ``dt == time_scale_s`` this is SB3's GAE bit for bit (``tests/rl/test_semi_markov.py``).

Pieces:

* :func:`gae`: the advantages and returns of a rollout with a per-step discount array, in SB3's
  arithmetic (float32 buffers, the same order of operations).
* :class:`TimeDiscountRolloutBuffer` (MaskablePPO) and :class:`TimeDiscountPlainRolloutBuffer`
  (PPO, A2C): SB3's rollout buffers with a ``discounts [n_steps, n_envs]`` array used by
  ``compute_returns_and_advantage``.
* :class:`ElapsedTimeDiscount`: the callback that fills ``discounts`` after every environment
  step from the training envs' clocks (:func:`decision_clock`).

``gae_lambda`` stays per decision (it trades bias for variance between estimators, it is not
a preference over time). The reward normalisation of VecNormalize (``normalize.norm_reward``)
keeps its per-step ``gamma``: it only sets the scale of the rewards.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sb3_contrib.common.maskable.buffers import MaskableRolloutBuffer
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv

#: ``algo.discount`` values: SB3's per-decision discount, or by elapsed simulated time.
DISCOUNTS = ("per_decision", "per_time")


def time_discounts(gamma: float, dt: np.ndarray, time_scale_s: float) -> np.ndarray:
    """``gamma ** (dt / time_scale_s)`` (float64): the discount of steps lasting ``dt`` s."""
    if time_scale_s <= 0:
        raise ValueError(f"algo.time_scale_s: {time_scale_s!r}; use a positive number of seconds")
    return np.power(float(gamma), np.asarray(dt, dtype=float) / float(time_scale_s))


def gae(
    rewards: np.ndarray,
    values: np.ndarray,
    episode_starts: np.ndarray,
    last_values: np.ndarray,
    dones: np.ndarray,
    discounts: np.ndarray,
    gae_lambda: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(advantages, returns)`` of a rollout ``[n_steps, n_envs]`` (float32, as SB3's buffer)
    where step ``t`` of env ``n`` is discounted by ``discounts[t, n]``:

    ``delta_t = r_t + c_t V(s_{t+1}) (1 - done) - V(s_t)``,
    ``A_t = delta_t + c_t lambda (1 - done) A_{t+1}``, ``returns = A + V``.

    SB3's ``RolloutBuffer.compute_returns_and_advantage`` with ``c_t = gamma`` everywhere, in
    its arithmetic: ``c_t`` and ``c_t lambda`` rounded to float32 as SB3's Python scalars are
    when they meet its float32 arrays.
    """
    n_steps = rewards.shape[0]
    c32 = np.asarray(discounts, dtype=np.float64).astype(np.float32)
    cl32 = (np.asarray(discounts, dtype=np.float64) * float(gae_lambda)).astype(np.float32)
    advantages = np.zeros_like(rewards, dtype=np.float32)
    last_gae_lam: Any = 0
    for step in reversed(range(n_steps)):
        if step == n_steps - 1:
            next_non_terminal = 1.0 - dones.astype(np.float32)
            next_values = last_values
        else:
            next_non_terminal = 1.0 - episode_starts[step + 1]
            next_values = values[step + 1]
        delta = rewards[step] + c32[step] * next_values * next_non_terminal - values[step]
        last_gae_lam = delta + cl32[step] * next_non_terminal * last_gae_lam
        advantages[step] = last_gae_lam
    return advantages, advantages + values


class _TimeDiscountMixin:
    """``discounts [buffer_size, n_envs]`` (float64, ``gamma`` until set) used by GAE."""

    buffer_size: int
    n_envs: int
    gamma: float
    gae_lambda: float
    rewards: np.ndarray
    values: np.ndarray
    episode_starts: np.ndarray
    advantages: np.ndarray
    returns: np.ndarray
    pos: int

    def reset(self) -> None:
        self.discounts = np.full((self.buffer_size, self.n_envs), float(self.gamma))
        super().reset()  # type: ignore[misc]

    def compute_returns_and_advantage(self, last_values: Any, dones: np.ndarray) -> None:
        last = last_values.clone().cpu().numpy().flatten()
        self.advantages, self.returns = gae(
            self.rewards,
            self.values,
            self.episode_starts,
            last,
            dones,
            self.discounts,
            self.gae_lambda,
        )


class TimeDiscountRolloutBuffer(_TimeDiscountMixin, MaskableRolloutBuffer):
    """MaskablePPO's rollout buffer with a discount per step (see the module docstring)."""


class TimeDiscountPlainRolloutBuffer(_TimeDiscountMixin, RolloutBuffer):
    """PPO's / A2C's rollout buffer with a discount per step (see the module docstring)."""


def decision_clock(venv: VecEnv) -> np.ndarray:
    """Each training env's simulated time (s) at its current decision: the fast backend's
    ``FastVecEnv.clock()``, else ``env.unwrapped.sim.now`` of each reference env."""
    inner = venv.unwrapped
    clock = getattr(inner, "clock", None)
    if callable(clock):
        return np.asarray(clock(), dtype=float)
    return np.array([float(sim.now) for sim in inner.get_attr("sim")])


class ElapsedTimeDiscount(BaseCallback):
    """Writes ``gamma ** (dt / time_scale_s)`` into the rollout buffer after every env step,
    ``dt`` being the simulated time from the decision the action was taken at to the next one.

    SB3 calls ``on_step`` after ``env.step`` and before the buffer's ``add``, so the row
    written is ``buffer.pos``. A step that ends a day gets an arbitrary discount (the day's
    end time minus the decision's); GAE multiplies it by ``1 - done = 0``.
    """

    def __init__(self, time_scale_s: float) -> None:
        super().__init__()
        if time_scale_s <= 0:
            raise ValueError(
                f"algo.time_scale_s: {time_scale_s!r}; use a positive number of seconds"
            )
        self.time_scale_s = float(time_scale_s)
        self._last: np.ndarray | None = None

    def _on_training_start(self) -> None:
        buffer = getattr(self.model, "rollout_buffer", None)
        if not isinstance(buffer, _TimeDiscountMixin):
            raise TypeError(
                "algo.discount=per_time needs a TimeDiscountRolloutBuffer "
                f"(the model has {type(buffer).__name__})"
            )
        self._last = decision_clock(self.training_env)

    def _on_step(self) -> bool:
        now = decision_clock(self.training_env)
        assert self._last is not None
        buffer = self.model.rollout_buffer  # type: ignore[attr-defined]
        # a row that just started a new day has a negative dt: its step ends a day, so its
        # discount is multiplied by 0; clipped at 0 s so that it is not an overflow (inf * 0)
        dt = np.maximum(now - self._last, 0.0)
        buffer.discounts[buffer.pos] = time_discounts(buffer.gamma, dt, self.time_scale_s)
        self._last = now
        return True


__all__ = [
    "DISCOUNTS",
    "ElapsedTimeDiscount",
    "TimeDiscountPlainRolloutBuffer",
    "TimeDiscountRolloutBuffer",
    "decision_clock",
    "gae",
    "time_discounts",
]
