"""Gymnasium registration of rlroute's environments, run on ``import rlroute``.

A flat list of ``register`` calls, as in Gymnasium itself; entry points are strings, so nothing
heavier than Gymnasium's registry is imported here. Bump the version (``ENV_VERSION`` in
:mod:`rlroute.envs.versions`) whenever the dynamics, observation or reward change, log it in the
env's Version History, and register only the current version: ``gym.make`` of an older one
then fails with Gymnasium's own message pointing at the new id.

Gymnasium is optional at this point: a served policy (:mod:`rlroute.export.onnx_router`) runs
without it, so when it cannot be imported nothing is registered (and ``gym.make`` is not
possible anyway). :data:`ENV_IDS` lists the ids for code that checks an id without Gymnasium.
"""

from __future__ import annotations

from rlroute.envs.versions import ENV_ID

#: Every id registered below (readable without Gymnasium: the served policy's observer checks
#: its sidecar's env id against it). Keep in step with the ``register`` calls.
ENV_IDS: tuple[str, ...] = (ENV_ID,)

try:
    from gymnasium.envs.registration import register
except ImportError:  # serving without the training stack: nothing to register
    pass
else:
    register(
        id=ENV_ID,
        entry_point="rlroute.envs.call_center:CallCenterEnv",
        # gym.make_vec's default (and vectorization_mode="vector_entry_point"): N days in one
        # batch (rlroute.envs.vector); vectorization_mode="sync" stacks N single envs instead.
        vector_entry_point="rlroute.envs.vector:CallCenterVectorEnv",
        kwargs={"scenario": "heterogeneous"},
    )
