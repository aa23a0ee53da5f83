"""MaxWeight: serve the pair with the largest queue-length-weighted service rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


class MaxWeightRouter:
    """Serve the assignable pair maximising ``queue_len[k] * mu_kg``.

    ``mu_kg = 1 / mean agent time`` (handle + after-call work) of group g on type k. Long queues
    pull agents towards them, weighted by how fast the group serves the type; throughput-optimal
    (it stabilises every queue that any policy can) without knowing arrival rates. Ties: FIFO,
    then longest idle.

    Source: Tassiulas and Ephremides (1992), "Stability properties of constrained queueing
    systems and scheduling policies for maximum throughput in multihop radio networks", IEEE
    TAC 37(12); Stolyar (2004), "MaxWeight scheduling in a generalized switch: state space
    collapse and workload minimization in heavy traffic", Annals of Applied Probability 14(1).
    """

    name = "maxweight"

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, float]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        self._items = [
            (a, k, g, 1.0 / sim.mean_agent_time[k][g]) for a, (k, g) in enumerate(sim.pairs)
        ]
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        best, best_key = self._hold, None
        for a, k, g, mu in self._items:
            n = qlen[k]
            if n and idle[g]:
                key = (-n * mu, sim.head_arrival(k), sim.longest_idle_since(g))
                if best_key is None or key < best_key:
                    best, best_key = a, key
        return best


__all__ = ["MaxWeightRouter"]
