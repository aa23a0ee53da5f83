"""Weight-based routing (Chan, Koole and L'Ecuyer 2014): affine scores of waits and idle times."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rlroute.policies._common import pair_name, per_name

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


class WeightBasedRouter:
    """Serve the assignable pair with the largest score ``q_kg + a_k * w_k + b_g * v_g``.

    ``w_k`` is the head-of-line wait of type k and ``v_g`` the idle time of group g's
    longest-idle agent (seconds). The weights say how fast a waiting call and an idle agent
    gain priority:

    * ``a`` (per type, 1/s): default ``1 / service-level target``, so a call's wait counts in
      multiples of its own target (a 10 s target ages twice as fast as a 20 s one);
    * ``b`` (per group, 1/s): default ``1 / mean agent time of the group`` (handle plus
      after-call work, the mean over its skills), so idleness counts in multiples of one typical call and
      the load is balanced across groups, as longest-idle-agent routing does within one;
    * ``q`` (per pair, keyed ``"<type>-><group>"`` as the environment's action names):
      constant preferences, default 0.

    Scalars apply to every type (``a``) or group (``b``); mappings override some names. When a
    call arrives to several idle groups (``w = 0``) the score picks the group by idleness;
    when an agent frees up (``v = 0``) it picks the call by normalised wait. Ties: FIFO, then
    longest idle. Chan, Koole and L'Ecuyer tune ``q, a, b`` by simulation-based optimisation;
    the defaults here are a sensible untuned starting point.

    Source: Chan, Koole and L'Ecuyer (2014), "Dynamic call center routing policies using call
    waiting and agent idle times", M&SOM 16(4): each (call type, agent group) pair gets a
    matching priority that is an affine combination of the longest waiting time of the type
    and the longest idle time of the group.
    """

    name = "weight_based"

    def __init__(
        self,
        a: float | Mapping[str, float] | None = None,
        b: float | Mapping[str, float] | None = None,
        q: Mapping[str, float] | None = None,
    ) -> None:
        self.a = dict(a) if isinstance(a, Mapping) else a
        self.b = dict(b) if isinstance(b, Mapping) else b
        self.q = dict(q) if q else {}
        self._items: list[tuple[int, int, int, float, float, float]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        sc = sim.scenario
        a = per_name(self.name, "a", self.a, sc.type_names, [1.0 / t for t in sim.target])
        mean_time = [
            sum(sim.mean_agent_time[k][g] for k in types) / len(types)
            for g, types in enumerate(sim.types_of_group)
        ]
        b = per_name(self.name, "b", self.b, sc.group_names, [1.0 / m for m in mean_time])
        names = [pair_name(sim, k, g) for k, g in sim.pairs]
        unknown = sorted(set(self.q) - set(names))
        if unknown:
            raise ValueError(
                f"router 'weight_based': q names unknown pairs {unknown}; known: {names}"
            )
        self._items = [
            (i, k, g, float(self.q.get(n, 0.0)), a[k], b[g])
            for i, ((k, g), n) in enumerate(zip(sim.pairs, names))
        ]
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle, now = sim.queue_len, sim.idle_count, sim.now
        head, lis = sim.head_arrival, sim.longest_idle_since
        best, best_key = self._hold, None
        for i, k, g, q, a, b in self._items:
            if qlen[k] and idle[g]:
                t, s = head(k), lis(g)
                key = (-(q + a * (now - t) + b * (now - s)), t, s)
                if best_key is None or key < best_key:
                    best, best_key = i, key
        return best


__all__ = ["WeightBasedRouter"]
