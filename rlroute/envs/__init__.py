"""rlroute.envs: the call center as a Gymnasium environment (``rlroute/CallCenter-v1``).

Knows nothing of stable-baselines3: masks go through ``action_masks()`` and ``info``.
:class:`CallCenterEnv`'s docstring is the environment's full specification (Gymnasium's
layout); :func:`observe` builds the same observation from any simulator, and
:mod:`rlroute.envs.layout` the observer of a served policy from its scenario and env options.
Only :class:`CallCenterEnv` needs Gymnasium, so it is imported on first use: a served policy
imports this package without Gymnasium installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rlroute.envs.registration  # noqa: F401 - registers rlroute/CallCenter-v1 (with gymnasium)
from rlroute.envs.observation import observe
from rlroute.envs.versions import ENV_ID

if TYPE_CHECKING:
    from rlroute.envs.call_center import CallCenterEnv
    from rlroute.envs.vector import CallCenterVectorEnv


def __getattr__(name: str) -> Any:
    if name == "CallCenterEnv":  # lazily: the env class needs gymnasium
        from rlroute.envs.call_center import CallCenterEnv

        return CallCenterEnv
    if name == "CallCenterVectorEnv":
        from rlroute.envs.vector import CallCenterVectorEnv

        return CallCenterVectorEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ENV_ID", "CallCenterEnv", "CallCenterVectorEnv", "observe"]
