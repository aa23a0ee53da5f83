"""The environment as a served policy sees it: layout (names, version) and observations built
from a bare :class:`~rlroute.sim.Simulator`.

A trained policy is a function of the environment's observation. To serve it as a router, the
same observation must be built from a simulator that a benchmark (not the env) drives; this
module is the one place that knows how. No torch, no SB3: the ONNX router uses it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from rlroute.scenario import Scenario
from rlroute.sim import Simulator

#: Options of the trainer's wrappers, not of the environment itself.
WRAPPER_OPTIONS = ("skip_forced",)


@dataclass(frozen=True)
class EnvLayout:
    """An environment's identity and its observation and action layouts."""

    env_id: str
    env_version: int
    observation_names: list[str]
    action_names: list[str]


def _env_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in WRAPPER_OPTIONS}


def make_base_env(env_id: str, scenario: Scenario, **kwargs: Any) -> gym.Env:
    """``gym.make(env_id, scenario=...)`` with a clear error for an unknown id."""
    import rlroute.envs  # noqa: F401 - registers rlroute/CallCenter-v1

    try:
        return gym.make(env_id, scenario=scenario, **_env_kwargs(kwargs))
    except gym.error.Error as exc:
        known = sorted(k for k in gym.registry if k.startswith("rlroute/"))
        raise ValueError(
            f"cannot make environment {env_id!r} ({exc}); rlroute ids: {known}"
        ) from None


def env_version(env: gym.Env) -> int:
    spec = env.spec
    return int(spec.version) if spec is not None and spec.version is not None else 0


def env_layout(env_id: str, scenario: Scenario, **options: Any) -> EnvLayout:
    """Identity and layout of ``env_id`` on ``scenario`` with ``options``."""
    env = make_base_env(env_id, scenario, **options)
    try:
        base = env.unwrapped
        return EnvLayout(
            env_id=env_id,
            env_version=env_version(env),
            observation_names=[str(n) for n in base.observation_names],  # type: ignore[attr-defined]
            action_names=[str(n) for n in base.action_names],  # type: ignore[attr-defined]
        )
    finally:
        env.close()


class SimObserver:
    """``observer(sim) -> float32 observation`` and ``observer.mask(sim)`` for a simulator the
    caller drives, exactly as the environment computes them for its own simulator."""

    def __init__(self, env_id: str, scenario: Scenario, options: dict[str, Any]) -> None:
        self.env = make_base_env(env_id, scenario, **options)
        self.base = self.env.unwrapped
        self.layout = EnvLayout(
            env_id,
            env_version(self.env),
            [str(n) for n in self.base.observation_names],  # type: ignore[attr-defined]
            [str(n) for n in self.base.action_names],  # type: ignore[attr-defined]
        )
        self.work_conserving = bool(options.get("work_conserving", True))
        self._observe: Callable[[Simulator], np.ndarray] = _observation_function(self.base)

    def __call__(self, sim: Simulator) -> np.ndarray:
        return self._observe(sim)

    def mask(self, sim: Simulator) -> np.ndarray:
        return sim.action_mask(self.work_conserving)


def _observation_function(base: Any) -> Callable[[Simulator], np.ndarray]:
    """The environment's observation of an arbitrary simulator: the env's own
    :class:`rlroute.envs.observation.Observer` (built from the scenario and the env's options,
    and stateless), so a served policy sees exactly the observation it was trained on."""
    return base.observer


__all__ = ["EnvLayout", "SimObserver", "env_layout", "make_base_env"]
