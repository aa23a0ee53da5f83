"""Gymnasium registration of rlroute's environments, run on ``import rlroute``.

A flat list of ``register`` calls, as in Gymnasium itself; entry points are strings, so nothing
heavier than Gymnasium's registry is imported here. Bump the version suffix (``-v1``) whenever
the dynamics, observation or reward change, and log it in the env's Version History.
"""

from __future__ import annotations

from gymnasium.envs.registration import register

register(
    id="rlroute/CallCenter-v0",
    entry_point="rlroute.envs.call_center:CallCenterEnv",
    kwargs={"scenario": "heterogeneous"},
)
