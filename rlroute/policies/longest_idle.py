"""Longest-idle-agent routing (LIA): the agent who has waited longest for work picks first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rlroute.policies._common import INF

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


class LongestIdleRouter:
    """Agent-first routing: the longest-idle agent takes the oldest call it can serve.

    Decision rule: among groups with an idle agent and a waiting call they can serve, take the
    group whose longest-idle agent has been idle longest (ties: lower group index); give that
    agent the oldest waiting call among the types the group serves (``call_choice="oldest"``,
    the default) or the call of the type it is most proficient at (``"proficient"``: lowest
    mean agent time (handle + after-call work), then highest first-call resolution, then the
    oldest call).

    With ``"oldest"``, LIA is agent-first where FIFO is call-first, yet under work-conserving
    operation both make the same decisions whenever one event opened the decision epoch: a
    new call can only go to groups that were idle with nothing to serve, a freed agent can only
    take calls no one else could. They differ only when several agents become free at once
    (start of the day, staffing increases), so on a constant schedule they coincide.

    Source: longest-idle-server-first (LISF), Armony (2005), "Dynamic routing in large-scale
    service systems with heterogeneous servers", Queueing Systems 51; Armony and Ward (2010),
    "Fair dynamic routing in large-scale heterogeneous-server systems", Operations Research
    58(3).
    """

    name = "lia"

    def __init__(self, call_choice: str = "oldest") -> None:
        if call_choice not in ("oldest", "proficient"):
            raise ValueError(
                f"router 'lia': call_choice={call_choice!r}; use 'oldest' or 'proficient'"
            )
        self.call_choice = call_choice
        self._groups: list[tuple[int, list[tuple[int, int, tuple[float, float]]]]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        index = {pair: a for a, pair in enumerate(sim.pairs)}
        self._groups = []
        for g, types in enumerate(sim.types_of_group):
            # (action, type, rank): act() takes the best rank, then the oldest call within it
            if self.call_choice == "proficient":
                items = [
                    (index[k, g], k, (sim.mean_agent_time[k][g], -sim.fcr[k][g])) for k in types
                ]
                items.sort(key=lambda it: it[2])
            else:
                items = [(index[k, g], k, (0.0, 0.0)) for k in types]
            self._groups.append((g, items))
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        lis = sim.longest_idle_since
        best_types: list[tuple[int, int, tuple[float, float]]] | None = None
        best_s = INF
        for g, types in self._groups:
            if idle[g]:
                for _, k, _ in types:
                    if qlen[k]:
                        s = lis(g)
                        if best_types is None or s < best_s:
                            best_types, best_s = types, s
                        break
        if best_types is None:
            return self._hold
        head = sim.head_arrival
        best, best_t, tier = self._hold, INF, None
        for a, k, rank in best_types:
            if qlen[k]:
                if tier is not None and rank != tier:
                    break
                t = head(k)
                if tier is None or t < best_t:
                    best, best_t, tier = a, t, rank
        return best


__all__ = ["LongestIdleRouter"]
