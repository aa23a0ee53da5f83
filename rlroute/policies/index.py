"""Parametric index routers, the family that black-box search tunes (:mod:`rlroute.policies.tune`).

Score of an assignable pair (type k, group g)::

    score_kg = q_kg + a_k * w_k / target_k

``q_kg`` is a static preference of the pair, ``w_k`` the head-of-line wait of type k and
``target_k`` its service-level target, so ``a_k`` says how many units of preference one
target's worth of waiting is worth (a per-type weight on the wait over the patience would be
the same family: ``a_k`` absorbs any per-type constant). The router serves the pair with the
highest score; ties go to the oldest head-of-line call, then to the longest-idle group (FIFO,
then LIA), as every heuristic here does.

With ``a = 0`` the router is a static priority over pairs: every c-mu-type rule is one point of
the family (``q_kg`` proportional to ``c_k mu_kg / theta_k`` is c-mu/theta), so a search that
starts there can only improve on the rule on its training days. The weights of Chan, Koole and
L'Ecuyer's weight-based routing without the idle-time term are another point.

*Reservation* (``reserve``): a pair may be served only while the group has more than
``reserve_kg`` idle agents, so a group keeps ``reserve_kg`` agents free for the types with
lower reserves (a valuable type about to call). A router with any positive reserve may hold
while an assignment is possible: it is not work-conserving, by construction, and its class says
so to the simulator.

A tuned result file (JSON, written by ``python -m rlroute.policies.tune``) is loaded with
``path=``; its ``params`` give ``q``, ``a`` and ``reserve``, keyed by the environment's action
names (``"<type>-><group>"``) and type names, so a file tuned on one scenario fails with a
clear error on a scenario whose pairs differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlroute.policies._common import pair_name, per_name

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


def _pair_values(
    router: str, field: str, value: Mapping[str, float] | None, names: list[str], default: float
) -> list[float]:
    value = dict(value or {})
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise ValueError(
            f"router {router!r}: {field} names unknown pairs {unknown}; known: {names}"
        )
    return [float(value.get(n, default)) for n in names]


def load_tuned(path: str | Path) -> dict[str, Any]:
    """Read a tuned result file; a missing file or one without ``params`` is a clear error."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"router 'index': no such tuned result file {str(path)!r}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"router 'index': {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        raise ValueError(f"router 'index': {path} has no 'params' mapping (not a tuned result)")
    return data


class IndexRouter:
    """Serve the assignable pair with the highest ``q_kg + a_k * w_k / target_k`` (module doc).

    Args:
        q: ``{"<type>-><group>": preference}``; pairs not named get 0.
        a: per-type weight on the head-of-line wait in SL targets: a scalar for every type or
            ``{type: a}`` (types not named get 0).
        reserve: ``{"<type>-><group>": n}``: serve the pair only while the group has more than
            n idle agents (default 0 everywhere: work-conserving; with a positive reserve use
            :class:`ReservationIndexRouter`, or :func:`make_index_router`, which picks).
    """

    name = "index"
    #: Work-conserving and free of side effects when no pair has a reserve (see FIFORouter).
    assigns_whenever_possible = True

    def __init__(
        self,
        q: Mapping[str, float] | None = None,
        a: float | Mapping[str, float] | None = None,
        reserve: Mapping[str, int] | None = None,
    ) -> None:
        self.path: str | None = None  # the tuned file it was loaded from, if any
        self.q = dict(q or {})
        self.a = dict(a) if isinstance(a, Mapping) else a
        self.reserve = {n: int(r) for n, r in (reserve or {}).items()}
        bad = sorted(n for n, r in self.reserve.items() if r < 0)
        if bad:
            raise ValueError(f"router 'index': reserve must be >= 0, not for {bad}")
        if any(self.reserve.values()) and type(self).assigns_whenever_possible:
            raise ValueError("router 'index': positive reserves need ReservationIndexRouter")
        self._items: list[tuple[int, int, int, float, float, int]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        sc = sim.scenario
        names = [pair_name(sim, k, g) for k, g in sim.pairs]
        q = _pair_values(self.name, "q", self.q, names, 0.0)
        need = _pair_values(self.name, "reserve", self.reserve, names, 0.0)
        a = per_name(self.name, "a", self.a, sc.type_names, [0.0] * sim.n_types)
        # (action, type, group, q, a_k / target_k, idle agents needed)
        self._items = [
            (i, k, g, q[i], a[k] / sim.target[k], int(need[i]) + 1)
            for i, (k, g) in enumerate(sim.pairs)
        ]
        self._hold = sim.HOLD

    def act(self, sim: Simulator) -> int:
        qlen, idle, now = sim.queue_len, sim.idle_count, sim.now
        head, lis = sim.head_arrival, sim.longest_idle_since
        best, best_key = self._hold, None
        for i, k, g, q, a, need in self._items:
            if qlen[k] and idle[g] >= need:
                t = head(k)
                key = (-(q + a * (now - t)) if a else -q, t, lis(g))
                if best_key is None or key < best_key:
                    best, best_key = i, key
        return best


class ReservationIndexRouter(IndexRouter):
    """:class:`IndexRouter` with some positive reserve: may hold while a pair is assignable."""

    name = "index"
    assigns_whenever_possible = False


def make_index_router(
    q: Mapping[str, float] | None = None,
    a: float | Mapping[str, float] | None = None,
    reserve: Mapping[str, int] | None = None,
    path: str | Path | None = None,
) -> IndexRouter:
    """The registry's ``index`` factory: a tuned file (``path``) or explicit parameters.

    Needs one of them (an index router with every parameter 0 is FIFO, already registered), so
    ``routers: all`` in rlroute-bench leaves it out, like the learned policies.
    """
    if path is None and q is None and a is None and reserve is None:
        raise ValueError("router 'index': give path= (a tuned result) or q/a/reserve parameters")
    if path is not None:
        if q is not None or a is not None or reserve is not None:
            raise ValueError("router 'index': give either path= or q/a/reserve, not both")
        params = load_tuned(path)["params"]
        q, a, reserve = params.get("q"), params.get("a"), params.get("reserve")
    cls = ReservationIndexRouter if any((reserve or {}).values()) else IndexRouter
    router = cls(q, a, reserve)
    router.path = None if path is None else str(path)
    return router


__all__ = ["IndexRouter", "ReservationIndexRouter", "load_tuned", "make_index_router"]
