"""rlroute.policies: routers (routing policies) behind one interface, and a registry by name.

Every router implements :class:`rlroute.sim.Router`. ``make_router("fifo")`` builds one by
name; ``ROUTERS`` lists the names. Learned policies (SB3 models, ONNX files) register here too,
so the benchmark treats every policy the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rlroute.sim.router import FIFORouter, Router

ROUTERS: dict[str, Callable[..., Router]] = {
    "fifo": FIFORouter,
    "fifo_priority": lambda **kw: FIFORouter(by_priority=True, **kw),
}


def register_router(name: str, factory: Callable[..., Router]) -> None:
    """Make ``make_router(name, ...)`` build routers with ``factory``."""
    ROUTERS[name] = factory


def make_router(name: str, **kwargs: Any) -> Router:
    """Build a router by registry name; unknown names list the known ones."""
    try:
        factory = ROUTERS[name]
    except KeyError:
        raise ValueError(f"unknown router {name!r}; known routers: {sorted(ROUTERS)}") from None
    return factory(**kwargs)


__all__ = ["ROUTERS", "FIFORouter", "Router", "make_router", "register_router"]
