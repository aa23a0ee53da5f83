"""Gymnasium registration of rlroute's environments, run on ``import rlroute``.

A flat list of ``register`` calls, as in Gymnasium itself; entry points are strings, so nothing
heavier than Gymnasium's registry is imported here. Bump the version (``ENV_VERSION`` in
:mod:`rlroute.envs.versions`) whenever the dynamics, observation or reward change, log it in the
env's Version History, and register only the current version: ``gym.make`` of an older one
then fails with Gymnasium's own message pointing at the new id.
"""

from __future__ import annotations

from gymnasium.envs.registration import register

from rlroute.envs.versions import ENV_ID

register(
    id=ENV_ID,
    entry_point="rlroute.envs.call_center:CallCenterEnv",
    kwargs={"scenario": "heterogeneous"},
)
