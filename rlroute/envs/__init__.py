"""rlroute.envs: the call center as a Gymnasium environment (``rlroute/CallCenter-v1``).

Knows nothing of stable-baselines3: masks go through ``action_masks()`` and ``info``.
:class:`CallCenterEnv`'s docstring is the environment's full specification (Gymnasium's
layout); :func:`observe` builds the same observation from any simulator.
"""

import rlroute.envs.registration  # noqa: F401 - registers rlroute/CallCenter-v1
from rlroute.envs.call_center import CallCenterEnv
from rlroute.envs.observation import observe
from rlroute.envs.versions import ENV_ID

__all__ = ["ENV_ID", "CallCenterEnv", "observe"]
