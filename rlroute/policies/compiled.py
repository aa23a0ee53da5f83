"""The compiled twins of rlroute's heuristic routers, for the fast engine.

:mod:`rlroute.sim.fast` knows only FIFO (its own layer); it asks the functions registered in
:data:`rlroute.sim.router.ROUTER_COMPILERS` for every other router, so the simulator never
imports this upper layer. :func:`compile_policy_router` reads the tables a router's ``reset``
built and returns them as the compiled loop's arrays, or None when the router (or a subclass
that changes its rule) has no compiled twin and must be asked in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlroute.policies.cmu import StaticIndexRouter
from rlroute.policies.longest_idle import LongestIdleRouter
from rlroute.policies.priority import PriorityRouter, ThresholdRouter
from rlroute.policies.random_router import RandomRouter
from rlroute.policies.skill_based import SkillBasedRouter
from rlroute.sim.router import ROUTER_COMPILERS


def compile_policy_router(router: Any, reference_sim: Any) -> Any:
    """The fast engine's router arrays for ``router``, or None (asked in Python)."""
    # numba is imported only when the fast engine runs, never by ``import rlroute.policies``.
    from rlroute.sim.fast.layout import R_INDEX, R_LIA, R_PRIORITY, R_RANDOM, R_SBR
    from rlroute.sim.fast.routers import RouterArrays, empty_tables

    cls = type(router)
    if cls in (PriorityRouter, ThresholdRouter) or (
        isinstance(router, StaticIndexRouter) and cls.act is StaticIndexRouter.act
    ):
        items = router._items
        d = empty_tables(R_INDEX if isinstance(router, StaticIndexRouter) else R_PRIORITY)
        d["fa"] = np.array([float(it[0]) for it in items])
        need = [it[4] if cls is ThresholdRouter else 1 for it in items]
        d["ia"] = np.array(
            [[it[1] for it in items], [it[2] for it in items], [it[3] for it in items], need],
            dtype=np.int64,
        )
        return RouterArrays(**d)
    if cls is SkillBasedRouter:
        prefs = router._prefs
        assert [k for k, _ in router._types] == list(range(len(prefs)))
        width = max(1, max(len(x) for x in prefs))
        d = empty_tables(R_SBR)
        d["prefs"] = np.zeros((len(prefs), width, 4))
        d["prefs_n"] = np.array([len(x) for x in prefs], dtype=np.int64)
        for k, items in enumerate(prefs):
            for j, (a, g, rank) in enumerate(items):
                d["prefs"][k, j] = (a, g, rank[0], rank[1])
        return RouterArrays(**d)
    if cls is LongestIdleRouter:
        groups = router._groups
        assert [g for g, _ in groups] == list(range(len(groups)))
        width = max(1, max(len(items) for _, items in groups))
        d = empty_tables(R_LIA)
        d["prefs"] = np.zeros((len(groups), width, 4))
        d["prefs_n"] = np.array([len(items) for _, items in groups], dtype=np.int64)
        for g, items in groups:
            for j, (a, k, rank) in enumerate(items):
                d["prefs"][g, j] = (a, k, rank[0], rank[1])
        return RouterArrays(**d)
    if cls is RandomRouter:
        assert [(a, k, g) for a, k, g in router._pairs] == [
            (a, k, g) for a, (k, g) in enumerate(reference_sim.pairs)
        ]
        return RouterArrays(**empty_tables(R_RANDOM))
    return None


ROUTER_COMPILERS.append(compile_policy_router)

__all__ = ["compile_policy_router"]
