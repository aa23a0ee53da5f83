"""The environment as the trainer makes it: ``gym.make`` with a clear error, and the layout
(names, version) of the env actually made.

Serving needs none of this: the observation and layout of a served policy come from
:mod:`rlroute.envs.layout` without Gymnasium (the tests check that both layouts agree).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from rlroute.envs.layout import EnvLayout
from rlroute.scenario import Scenario

#: Options of the trainer's wrappers, not of the environment itself.
WRAPPER_OPTIONS = ("skip_forced",)


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


__all__ = ["EnvLayout", "env_layout", "env_version", "make_base_env"]
