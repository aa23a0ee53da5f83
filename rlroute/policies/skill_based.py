"""Skill-based routing (SBR): the oldest call goes to the most proficient idle agents.

Static preference lists, as automatic call distributors configure them: for each call type,
its agent groups ranked by proficiency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rlroute.policies._common import INF

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


class SkillBasedRouter:
    """Best proficiency first: the oldest waiting call, to the best idle group for its type.

    Decision rule: among call types with a waiting call and an idle agent able to serve it,
    take the type whose head-of-line call has waited longest; give it to the idle group with
    the lowest mean agent time (handle + after-call work) for that type, ties broken by the
    higher first-call resolution, then by the longest-idle agent. The ranking is a static
    preference list per type, computed once per run.

    Source: skill-based routing with static preference lists, as surveyed by Gans, Koole and
    Mandelbaum (2003), "Telephone call centers: tutorial, review, and research prospects",
    M&SOM 5(2), section 5; routing to the fastest / best-resolving agents as studied by
    Mehrotra, Ross, Ryder and Zhou (2012), "Routing to manage resolution and waiting time in
    call centers with heterogeneous servers", M&SOM 14(1).
    """

    name = "sbr"

    def __init__(self) -> None:
        self._types: list[tuple[int, list[int]]] = []
        self._prefs: list[list[tuple[int, int, tuple[float, float]]]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        index = {pair: a for a, pair in enumerate(sim.pairs)}
        self._types = [(k, sim.groups_of_type[k]) for k in range(sim.n_types)]
        self._prefs = [
            sorted(
                (
                    (index[k, g], g, (sim.mean_agent_time[k][g], -sim.fcr[k][g]))
                    for g in sim.groups_of_type[k]
                ),
                key=lambda item: (item[2], item[1]),
            )
            for k in range(sim.n_types)
        ]
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        head = sim.head_arrival
        best_k, best_t = -1, INF
        for k, groups in self._types:
            if qlen[k]:
                for g in groups:
                    if idle[g]:
                        t = head(k)
                        if t < best_t:
                            best_k, best_t = k, t
                        break
        if best_k < 0:
            return self._hold
        lis = sim.longest_idle_since
        best, tier, since = self._hold, None, INF
        for a, g, rank in self._prefs[best_k]:
            if idle[g]:
                if tier is None:
                    best, tier, since = a, rank, lis(g)
                elif rank != tier:
                    break
                else:
                    s = lis(g)
                    if s < since:
                        best, since = a, s
        return best


__all__ = ["SkillBasedRouter"]
