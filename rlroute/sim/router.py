"""The router interface, and FIFO: the rule every call center starts from.

A router is asked for an action at each decision epoch of a :class:`~rlroute.sim.Simulator`.
It reads the simulator's public state (``queue_len``, ``idle_count``, ``head_arrival(k)``,
``longest_idle_since(g)``, ``now``, ``pairs``, ``mean_handle``, ``mean_agent_time``, ``fcr``,
costs...) and returns an index into ``sim.pairs`` or ``sim.HOLD``. Heuristics, trained SB3 models and ONNX files all
implement this one interface, so the benchmark treats every policy the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


#: Functions that compile routers of upper layers for the fast engine
#: (:func:`rlroute.sim.fast.routers.compile_router` asks each in turn; ``rlroute.policies``
#: registers its own on import): each returns the router's compiled arrays, or None.
ROUTER_COMPILERS: list[Callable[[Any, Any], Any]] = []


@runtime_checkable
class Router(Protocol):
    """Anything with ``name``, ``reset(sim)`` and ``act(sim) -> action``."""

    name: str

    def reset(self, sim: Simulator) -> None:
        """Called once before a run: precompute what depends only on the scenario."""

    def act(self, sim: Simulator) -> int:
        """Return an action: an index into ``sim.pairs`` or ``sim.HOLD``."""
        ...


class FIFORouter:
    """First in, first out across types, to the longest-idle agent (FIFO + LIA).

    Decision rule: among pairs that can be assigned now, take the call that has waited longest
    (earliest head-of-line arrival over all types); among the groups able to take it, the one
    whose longest-idle agent has been idle longest. This is the default of most automatic call
    distributors and, for a single pool, the optimal rule for the usual KPIs.

    With ``by_priority=True`` the call types with the highest ``priority`` go first and FIFO
    holds within a priority level (how the Anonymous Bank's distributor behaved).
    """

    name = "fifo"
    #: ``act`` has no side effects and never holds while some pair is assignable. With a
    #: single eligible pair there is then nothing to decide, and :meth:`Simulator.run` assigns
    #: without asking (the same decisions, without a call per answered call). A subclass whose
    #: ``act`` does anything else must set it to False.
    assigns_whenever_possible = True

    def __init__(self, by_priority: bool = False) -> None:
        self.by_priority = by_priority
        if by_priority:
            self.name = "fifo_priority"
        self._prio: list[int] = []

    def reset(self, sim: Simulator) -> None:
        self._prio = [-c.priority for c in sim.scenario.call_types]

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        if len(sim.pairs) == 1:  # a single pool: nothing to choose
            k, g = sim.pairs[0]
            return 0 if qlen[k] and idle[g] else sim.HOLD
        best, best_key = sim.HOLD, None
        for a, (k, g) in enumerate(sim.pairs):
            if qlen[k] and idle[g]:
                key = (
                    self._prio[k] if self.by_priority else 0,
                    sim.head_arrival(k),
                    sim.longest_idle_since(g),
                )
                if best_key is None or key < best_key:
                    best, best_key = a, key
        return best
