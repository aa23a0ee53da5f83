"""The c-mu family: serve the (call type, agent group) pair with the largest cost-weighted rate.

* ``cmu``: static index ``c_k * mu_kg`` (Cox and Smith 1961; for parallel flexible servers, the
  cost-weighted service rate of the pair);
* ``cmu_theta``: static index ``c_k * mu_kg / theta_k`` for many-server queues with abandonment
  (Atar, Giat and Shimkin 2010);
* ``gcmu``: generalised c-mu with convex delay costs, the delay version (Mandelbaum and Stolyar
  2004): index ``C_k'(w_k) * mu_kg`` with ``w_k`` the head-of-line wait.

``mu_kg = 1 / mean agent time`` (handle + after-call work) of group g on type k. Ties go to the
oldest call, then to the longest-idle group (FIFO + LIA), so every rule is deterministic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rlroute.policies._common import INF, abandon_rate, holding_cost_rate, waiting_cost_rate

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


class StaticIndexRouter:
    """Serve the assignable pair with the largest fixed index; ties FIFO, then LIA.

    Subclasses define :meth:`index`. Pairs are sorted by index once in ``reset``, so ``act``
    stops at the first assignable pair unless the next ones tie with it.
    """

    name = "static_index"

    def __init__(self) -> None:
        self._items: list[tuple[float, int, int, int]] = []
        self._hold = 0

    def index(self, sim: Simulator, k: int, g: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self, sim: Simulator) -> None:
        items = [(self.index(sim, k, g), a, k, g) for a, (k, g) in enumerate(sim.pairs)]
        items.sort(key=lambda it: (-it[0], it[1]))
        self._items = items
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        best, best_idx, best_key = self._hold, 0.0, None
        for idx, a, k, g in self._items:
            if qlen[k] and idle[g]:
                if best_key is None:
                    best, best_idx = a, idx
                    best_key = (sim.head_arrival(k), sim.longest_idle_since(g))
                elif idx != best_idx:
                    break  # sorted: no later pair can tie
                else:
                    key = (sim.head_arrival(k), sim.longest_idle_since(g))
                    if key < best_key:
                        best, best_key = a, key
        return best


class CMuRouter(StaticIndexRouter):
    """c-mu: serve the assignable pair maximising ``c_k * mu_kg``.

    ``c_k`` is the type's waiting cost per second (``CallCost.wait_per_s``); for a type whose
    waiting cost is 0, its abandonment cost times ``theta_k = 1 / mean patience``.
    ``mu_kg = 1 / mean agent time`` (handle + after-call work). Source: Cox and Smith (1961),
    *Queues*; the c-mu rule minimises linear holding costs in a multiclass single-server queue,
    and is the classic priority index for parallel flexible servers (van Mieghem 1995;
    Mandelbaum and Stolyar 2004).
    """

    name = "cmu"

    def index(self, sim: Simulator, k: int, g: int) -> float:
        return waiting_cost_rate(sim, k) / sim.mean_agent_time[k][g]


class CMuThetaRouter(StaticIndexRouter):
    """c-mu/theta: serve the assignable pair maximising ``c_k * mu_kg / theta_k``.

    ``theta_k = 1 / mean patience`` (the abandonment rate of a waiting caller) and ``c_k`` the
    equivalent holding cost per second of a waiting call: waiting cost plus abandonment cost
    times ``theta_k`` (the paper's "additional penalty on abandonment"). A type whose callers
    never abandon (``theta_k = 0``) gets an infinite index: it is served first, as the rule's
    limit says (its queue would otherwise only grow). Source: Atar, Giat and Shimkin (2010),
    "The c mu / theta rule for many-server queues with abandonment", Operations Research 58(5),
    asymptotically optimal in overload.
    """

    name = "cmu_theta"

    def index(self, sim: Simulator, k: int, g: int) -> float:
        theta = abandon_rate(sim, k)
        if theta == 0.0:
            return INF
        return holding_cost_rate(sim, k) / (sim.mean_agent_time[k][g] * theta)


class GeneralizedCMuRouter:
    """Generalised c-mu, delay version: maximise ``C_k'(w_k) * mu_kg`` over assignable pairs.

    The delay cost of a call of type k that waits ``w`` seconds is
    ``C_k(w) = c_k * w**exponent / exponent`` (convex for ``exponent >= 1``), so the index is
    ``c_k * w_k**(exponent - 1) * mu_kg``, where ``w_k`` is the head-of-line wait of type k,
    ``c_k`` as in ``cmu`` and ``mu_kg = 1 / mean agent time`` (handle + after-call work). With
    the default ``exponent=2`` (quadratic delay cost) the index is ``c_k * w_k * mu_kg``: the
    rule ages calls and balances waits across types instead of starving the cheap ones. Ties (a call that has
    just arrived has ``w = 0``) go to the larger ``c_k * mu_kg``, then FIFO, then LIA.
    Source: Mandelbaum and Stolyar (2004), "Scheduling flexible servers with convex delay costs:
    heavy-traffic optimality of the generalized c mu-rule", Operations Research 52(6).
    """

    name = "gcmu"

    def __init__(self, exponent: float = 2.0) -> None:
        if not exponent >= 1.0:
            raise ValueError(f"router 'gcmu': exponent must be >= 1 (convex cost), got {exponent}")
        self.exponent = float(exponent)
        self._items: list[tuple[int, int, int, float]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        self._items = [
            (a, k, g, waiting_cost_rate(sim, k) / sim.mean_agent_time[k][g])
            for a, (k, g) in enumerate(sim.pairs)
        ]
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle, now = sim.queue_len, sim.idle_count, sim.now
        head, lis = sim.head_arrival, sim.longest_idle_since
        p1 = self.exponent - 1.0
        best, best_key = self._hold, None
        for a, k, g, cmu in self._items:
            if qlen[k] and idle[g]:
                t = head(k)
                w = now - t
                if p1 == 1.0:
                    idx = cmu * w
                else:
                    idx = cmu * w**p1 if w > 0.0 else (cmu if p1 == 0.0 else 0.0)
                # max index, then max c*mu, then oldest call, then longest-idle group
                key = (-idx, -cmu, t, lis(g))
                if best_key is None or key < best_key:
                    best, best_key = a, key
        return best


__all__ = ["CMuRouter", "CMuThetaRouter", "GeneralizedCMuRouter", "StaticIndexRouter"]
