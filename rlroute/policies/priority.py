"""Static priority routing, and priority with reservation thresholds for flexible groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rlroute.policies._common import per_name

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


def _priorities(router: str, sim: Simulator, priorities: Mapping[str, float] | None) -> list[float]:
    sc = sim.scenario
    return per_name(
        router, "priorities", priorities, sc.type_names, [float(c.priority) for c in sc.call_types]
    )


class PriorityRouter:
    """Static priority: the most important waiting call first, FIFO within a priority level.

    Decision rule: among assignable pairs, take the call type with the highest priority
    (``CallType.priority``, or ``priorities={type name: level}`` to override some), then the
    oldest call within that level, then the group whose longest-idle agent has been idle
    longest. With no override this makes exactly the decisions of ``fifo_priority``; the
    override lets an experiment try other orders without editing the scenario.

    Source: static (preemptive-free) priority between call classes, the standard rule of
    automatic call distributors; Gans, Koole and Mandelbaum (2003), M&SOM 5(2), section 5.
    """

    name = "priority"

    def __init__(self, priorities: Mapping[str, float] | None = None) -> None:
        self.priorities = dict(priorities) if priorities else None
        self._items: list[tuple[float, int, int, int]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        prio = _priorities(self.name, sim, self.priorities)
        self._items = [(-prio[k], a, k, g) for a, (k, g) in enumerate(sim.pairs)]
        self._items.sort(key=lambda it: (it[0], it[1]))
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        best, level, best_key = self._hold, 0.0, None
        for p, a, k, g in self._items:
            if qlen[k] and idle[g]:
                if best_key is None:
                    best, level = a, p
                    best_key = (sim.head_arrival(k), sim.longest_idle_since(g))
                elif p != level:
                    break  # sorted by priority: lower levels cannot win
                else:
                    key = (sim.head_arrival(k), sim.longest_idle_since(g))
                    if key < best_key:
                        best, best_key = a, key
        return best


class ThresholdRouter:
    """Priority with reservation: each flexible group keeps agents free for its primary type.

    Each group's *primary* type is its highest-priority skill (ties: its fastest skill, then
    the lower type index); its other skills are *secondary*. A group serves a secondary type
    only while more than ``reserve`` of its agents are idle, so that after the assignment at
    least ``reserve`` agents remain free for a primary call about to arrive. Among the pairs so
    allowed the rule is :class:`PriorityRouter`'s (priority, then FIFO, then longest idle).
    The router may therefore hold while an assignment is possible: it is not work-conserving,
    by design. Groups with a single skill never reserve.

    Args:
        reserve: agents kept for the primary type, for every group (an int) or per group name
            (``{group: n}``; groups not named keep 1). Default 1. ``reserve=0`` gives
            :class:`PriorityRouter`.
        priorities: ``{type name: level}`` overriding ``CallType.priority``.

    Source: threshold (reservation) policies for parallel-server systems: Bell and Williams
    (2001), "Dynamic scheduling of a system with two parallel servers in heavy traffic with
    resource pooling: asymptotic optimality of a threshold policy", Annals of Applied
    Probability 11(3); trunk-reservation style protection of a high-value class in call
    centers (Gans, Koole and Mandelbaum 2003, section 5).
    """

    name = "threshold"

    def __init__(
        self,
        reserve: int | Mapping[str, int] = 1,
        priorities: Mapping[str, float] | None = None,
    ) -> None:
        self.reserve = dict(reserve) if isinstance(reserve, Mapping) else int(reserve)
        self.priorities = dict(priorities) if priorities else None
        self._items: list[tuple[float, int, int, int, int]] = []
        self._hold = 0
        self.primary: list[int] = []

    def reset(self, sim: Simulator) -> None:
        sc = sim.scenario
        prio = _priorities(self.name, sim, self.priorities)
        reserve = per_name(self.name, "reserve", self.reserve, sc.group_names, [1.0] * sim.n_groups)
        bad = [n for n, r in zip(sc.group_names, reserve) if r < 0 or r != int(r)]
        if bad:
            raise ValueError(f"router 'threshold': reserve must be a non-negative int for {bad}")
        self.primary = [
            min(types, key=lambda k, g=g: (-prio[k], sim.mean_agent_time[k][g], k))  # type: ignore[misc]
            for g, types in enumerate(sim.types_of_group)
        ]
        # (priority key, action, type, group, idle agents needed before serving the pair)
        self._items = [
            (-prio[k], a, k, g, 1 if k == self.primary[g] else int(reserve[g]) + 1)
            for a, (k, g) in enumerate(sim.pairs)
        ]
        self._items.sort(key=lambda it: (it[0], it[1]))
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        best, level, best_key = self._hold, 0.0, None
        for p, a, k, g, need in self._items:
            if qlen[k] and idle[g] >= need:
                if best_key is None:
                    best, level = a, p
                    best_key = (sim.head_arrival(k), sim.longest_idle_since(g))
                elif p != level:
                    break
                else:
                    key = (sim.head_arrival(k), sim.longest_idle_since(g))
                    if key < best_key:
                        best, best_key = a, key
        return best


class PriorityBoostRouter:
    """Priority as a head start: serve the call with the largest ``wait + boost * priority``.

    Decision rule: among assignable pairs, take the call type whose head-of-line call has the
    largest ``now - arrival + boost * priority_k`` (seconds; ``priority_k`` is
    ``CallType.priority`` or the ``priorities`` override), then the oldest call, then the group
    whose longest-idle agent has been idle longest. A call of one level higher counts as if it
    had waited ``boost`` seconds longer, so a low level is not starved: its calls are served
    once they have waited ``boost`` seconds more than the higher level's oldest. ``boost = 0``
    is ``fifo``; a very large ``boost`` is ``fifo_priority``.

    Why: call distributors (the Anonymous Bank's among them) raise a priority by a delay
    credit rather than serving levels strictly; the backtest of the calibrated bank
    (experiments/anonymous_bank_backtest) compares it with strict priority.

    Source: delay-based priority ("queue priority by time in queue plus a class offset") of
    ACD routing; Gans, Koole and Mandelbaum (2003), M&SOM 5(2), section 5 (priorities).
    """

    name = "priority_boost"

    def __init__(self, boost: float, priorities: Mapping[str, float] | None = None) -> None:
        # boost has no default: a router that needs an argument stays out of the benchmark's
        # ``routers: all`` (rlroute.bench.specs.registered_routers), like the tuned routers.
        if not boost >= 0:
            raise ValueError(f"router 'priority_boost': boost must be >= 0 s, got {boost}")
        self.boost = float(boost)
        self.priorities = dict(priorities) if priorities else None
        self._items: list[tuple[int, int, int, float]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        prio = _priorities(self.name, sim, self.priorities)
        self._items = [(a, k, g, self.boost * prio[k]) for a, (k, g) in enumerate(sim.pairs)]
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle, now = sim.queue_len, sim.idle_count, sim.now
        head, lis = sim.head_arrival, sim.longest_idle_since
        best, best_key = self._hold, None
        for a, k, g, credit in self._items:
            if qlen[k] and idle[g]:
                t = head(k)
                key = (-(now - t + credit), t, lis(g))
                if best_key is None or key < best_key:
                    best, best_key = a, key
        return best


__all__ = ["PriorityBoostRouter", "PriorityRouter", "ThresholdRouter"]
