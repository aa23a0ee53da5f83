"""rlroute.policies: routers (routing policies) behind one interface, and a registry by name.

Every router implements :class:`rlroute.sim.Router`. ``make_router("fifo")`` builds one by
name; ``ROUTERS`` lists the names. Learned policies register here too, from their own layer
(``import rlroute.rl`` adds ``sb3``, ``import rlroute.export`` adds ``onnx``; this package never
imports them), so the benchmark treats every policy the same way.

Heuristics (``HEURISTICS``), one module per family, each with its rule and source in its
docstring:

==================  ==========================================================================
``fifo``            oldest call first, to the longest-idle group (:mod:`rlroute.sim.router`)
``fifo_priority``   FIFO within static priority levels
``sbr``             skill-based: oldest call, to the most proficient idle group
``lia``             longest-idle agent picks the oldest call it can serve
``random``          uniform over assignable pairs (the floor)
``priority``        static priority (``CallType.priority`` or overrides), FIFO within a level
``threshold``       priority, with ``reserve`` agents of each flexible group kept for its
                    primary type (not work-conserving)
``cmu``             max c_k * mu_kg
``gcmu``            generalised c-mu, delay version: max c_k * w_k * mu_kg
``cmu_theta``       max c_k * mu_kg / theta_k (abandonment)
``weight_based``    max q_kg + a_k * wait_k + b_g * idle_g (Chan, Koole and L'Ecuyer)
``maxweight``       max queue_len_k * mu_kg
==================  ==========================================================================

``index`` (:mod:`rlroute.policies.index`): max ``q_kg + a_k * wait_k / target_k`` with optional
per-pair reserves, built from parameters or a file tuned by ``python -m rlroute.policies.tune``.
``priority_boost`` (:mod:`rlroute.policies.priority`): max ``wait_k + boost * priority_k``
(priority as a delay credit; not in ``HEURISTICS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rlroute.policies.compiled  # noqa: F401 - registers the fast engine's compiled twins
from rlroute.policies.cmu import CMuRouter, CMuThetaRouter, GeneralizedCMuRouter
from rlroute.policies.index import IndexRouter, make_index_router
from rlroute.policies.longest_idle import LongestIdleRouter
from rlroute.policies.maxweight import MaxWeightRouter
from rlroute.policies.priority import PriorityBoostRouter, PriorityRouter, ThresholdRouter
from rlroute.policies.random_router import RandomRouter
from rlroute.policies.skill_based import SkillBasedRouter
from rlroute.policies.weight_based import WeightBasedRouter
from rlroute.sim.router import FIFORouter, Router


def _fifo_priority(**kw: Any) -> FIFORouter:
    return FIFORouter(by_priority=True, **kw)


ROUTERS: dict[str, Callable[..., Router]] = {
    "fifo": FIFORouter,
    "fifo_priority": _fifo_priority,
    "sbr": SkillBasedRouter,
    "lia": LongestIdleRouter,
    "random": RandomRouter,
    "priority": PriorityRouter,
    "threshold": ThresholdRouter,
    "cmu": CMuRouter,
    "gcmu": GeneralizedCMuRouter,
    "cmu_theta": CMuThetaRouter,
    "weight_based": WeightBasedRouter,
    "maxweight": MaxWeightRouter,
}

#: The heuristic routers (buildable without arguments), in registry order.
HEURISTICS: tuple[str, ...] = tuple(ROUTERS)


#: Routers that an upper layer registers when it is imported (the arrows point one way: this
#: layer never imports them). Named so that ``make_router`` can say where a missing one lives.
PROVIDERS: dict[str, str] = {"sb3": "rlroute.rl", "onnx": "rlroute.export"}

# Tuned parametric routers (rlroute.policies.tune): they need path= or parameters, so
# ``routers: all`` in rlroute-bench leaves them out (not in HEURISTICS).
ROUTERS["index"] = make_index_router
# Strict priority relaxed by a delay credit (``boost`` s per level); a model of a center's
# routing for the backtest, kept out of HEURISTICS so the benchmark's ``all`` does not change.
ROUTERS["priority_boost"] = PriorityBoostRouter


def register_router(name: str, factory: Callable[..., Router]) -> None:
    """Make ``make_router(name, ...)`` build routers with ``factory``.

    Upper layers add their routers this way when imported: ``import rlroute.rl`` registers
    ``sb3`` (a trained run), ``import rlroute.export`` registers ``onnx`` (an exported policy).
    Registering a name again replaces its factory.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"router name must be a non-empty string, got {name!r}")
    ROUTERS[name] = factory


def make_router(name: str, **kwargs: Any) -> Router:
    """Build a router by registry name; unknown names list the known ones, and a router of an
    upper layer that was not imported names the module to import."""
    try:
        factory = ROUTERS[name]
    except KeyError:
        if name in PROVIDERS:
            raise ValueError(
                f"router {name!r} is provided by {PROVIDERS[name]}: `import {PROVIDERS[name]}` "
                f"registers it (rlroute-bench and the other rlroute-* commands do)"
            ) from None
        raise ValueError(f"unknown router {name!r}; known routers: {sorted(ROUTERS)}") from None
    return factory(**kwargs)


__all__ = [
    "HEURISTICS",
    "PROVIDERS",
    "ROUTERS",
    "CMuRouter",
    "CMuThetaRouter",
    "FIFORouter",
    "GeneralizedCMuRouter",
    "IndexRouter",
    "LongestIdleRouter",
    "MaxWeightRouter",
    "PriorityBoostRouter",
    "PriorityRouter",
    "RandomRouter",
    "Router",
    "SkillBasedRouter",
    "ThresholdRouter",
    "WeightBasedRouter",
    "make_router",
    "register_router",
]
