"""rlroute.envs: the call center as a Gymnasium environment (``rlroute/CallCenter-v0``).

Knows nothing of stable-baselines3: masks go through ``action_masks()`` and ``info``.
"""

import rlroute.envs.registration  # noqa: F401 - registers rlroute/CallCenter-v0
