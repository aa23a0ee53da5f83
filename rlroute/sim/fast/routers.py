"""The heuristic routers, compiled: the same rules, tie-breaks and draws as rlroute.policies.

:func:`compile_router` runs the reference router's own ``reset`` on a reference simulator of
the scenario (no event is simulated) and copies the tables it built (sorted item lists,
preference lists, priorities), so ordering and ties come from the reference code itself.
:func:`act` then mirrors each router's ``act`` line by line. Routers without a compiled twin
(learned policies, anything else) run as ``R_PYTHON``: the driver asks them at every epoch.

The random router draws one uniform per decision with at least two assignable pairs, from its
own Generator: the driver pre-draws them in blocks from that same Generator (``rng.random(n)``
gives the same numbers as n calls of ``rng.random()``), so the decisions are the reference's.
The Generator itself ends up ahead of the reference's by the unused part of the last block.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rlroute.sim.fast._jit import compiled, inlined
from rlroute.sim.fast.layout import (
    AF_IDLE_SINCE,
    CF_ARRIVAL,
    GC_SIZE,
    GC_START,
    I_RAND_POS,
    QC_LEN,
    R_ALWAYS,
    R_FIFO,
    R_INDEX,
    R_LIA,
    R_PRIORITY,
    R_PYTHON,
    R_RANDOM,
    R_SBR,
    RouterArrays,
)
from rlroute.sim.fast.rings import queue_head

INF = math.inf


@compiled
def head_arrival(s, k: int) -> float:
    slot = queue_head(s, k)
    return s.CF[slot, CF_ARRIVAL] if slot >= 0 else INF


@compiled
def longest_idle_since(s, g: int) -> float:
    if s.GC[g, GC_SIZE] == 0:
        return INF
    return s.AF[s.GB[g, s.GC[g, GC_START]], AF_IDLE_SINCE]


@compiled
def _before(a0: float, a1: float, a2: float, b0: float, b1: float, b2: float) -> bool:
    """(a0, a1, a2) < (b0, b1, b2), as Python compares tuples of floats."""
    if a0 != b0:
        return a0 < b0
    if a1 != b1:
        return a1 < b1
    return a2 < b2


@inlined
def act(s, p, r) -> int:
    """The compiled router's action (an index into the pairs, or HOLD = number of pairs)."""
    n_pairs = p.pk.shape[0]
    hold = n_pairs
    qc, gc = s.QC, s.GC
    kind = r.kind
    if kind == R_ALWAYS or (kind == R_FIFO and n_pairs == 1):
        k, g = p.pk[0], p.pg[0]
        return 0 if qc[k, QC_LEN] and gc[g, GC_SIZE] else hold
    if kind == R_FIFO:
        best, have = hold, False
        b0 = b1 = b2 = 0.0
        for a in range(n_pairs):
            k, g = p.pk[a], p.pg[a]
            if qc[k, QC_LEN] and gc[g, GC_SIZE]:
                k0 = r.fa[k] if r.flag else 0.0
                k1 = head_arrival(s, k)
                k2 = longest_idle_since(s, g)
                if not have or _before(k0, k1, k2, b0, b1, b2):
                    best, have, b0, b1, b2 = a, True, k0, k1, k2
        return best
    if kind == R_PRIORITY or kind == R_INDEX:  # noqa: SIM109 - one compiled comparison each
        best, have, level = hold, False, 0.0
        b1 = b2 = 0.0
        for j in range(r.fa.shape[0]):
            a, k, g, need = r.ia[0, j], r.ia[1, j], r.ia[2, j], r.ia[3, j]
            if qc[k, QC_LEN] and gc[g, GC_SIZE] >= need:
                if not have:
                    best, level, have = a, r.fa[j], True
                    b1, b2 = head_arrival(s, k), longest_idle_since(s, g)
                elif r.fa[j] != level:
                    break
                else:
                    k1, k2 = head_arrival(s, k), longest_idle_since(s, g)
                    if _before(k1, k2, 0.0, b1, b2, 0.0):
                        best, b1, b2 = a, k1, k2
        return best
    if kind == R_SBR:
        best_k, best_t = -1, INF
        for k in range(p.got_n.shape[0]):
            if qc[k, QC_LEN]:
                for j in range(p.got_n[k]):
                    if gc[p.got[k, j], GC_SIZE]:
                        t = head_arrival(s, k)
                        if t < best_t:
                            best_k, best_t = k, t
                        break
        if best_k < 0:
            return hold
        best, have, since = hold, False, INF
        t0 = t1 = 0.0
        for j in range(r.prefs_n[best_k]):
            a, g = int(r.prefs[best_k, j, 0]), int(r.prefs[best_k, j, 1])
            if gc[g, GC_SIZE]:
                r0, r1 = r.prefs[best_k, j, 2], r.prefs[best_k, j, 3]
                if not have:
                    best, have, t0, t1, since = a, True, r0, r1, longest_idle_since(s, g)
                elif r0 != t0 or r1 != t1:
                    break
                else:
                    x = longest_idle_since(s, g)
                    if x < since:
                        best, since = a, x
        return best
    if kind == R_LIA:
        best_g, best_s = -1, INF
        for g in range(r.prefs_n.shape[0]):
            if gc[g, GC_SIZE]:
                for j in range(r.prefs_n[g]):
                    if qc[int(r.prefs[g, j, 1]), QC_LEN]:
                        x = longest_idle_since(s, g)
                        if best_g < 0 or x < best_s:
                            best_g, best_s = g, x
                        break
        if best_g < 0:
            return hold
        best, have, best_t = hold, False, INF
        t0 = t1 = 0.0
        for j in range(r.prefs_n[best_g]):
            a, k = int(r.prefs[best_g, j, 0]), int(r.prefs[best_g, j, 1])
            if qc[k, QC_LEN]:
                r0, r1 = r.prefs[best_g, j, 2], r.prefs[best_g, j, 3]
                if have and (r0 != t0 or r1 != t1):
                    break
                t = head_arrival(s, k)
                if not have or t < best_t:
                    best, best_t, have, t0, t1 = a, t, True, r0, r1
        return best
    if kind == R_RANDOM:
        n = 0
        last = hold
        for a in range(n_pairs):
            if qc[p.pk[a], QC_LEN] and gc[p.pg[a], GC_SIZE]:
                n += 1
                last = a
        if n <= 1:
            return last
        u = r.rand[s.I[I_RAND_POS]]
        s.I[I_RAND_POS] += 1
        pick = min(int(u * n), n - 1)
        for a in range(n_pairs):
            if qc[p.pk[a], QC_LEN] and gc[p.pg[a], GC_SIZE]:
                if pick == 0:
                    return a
                pick -= 1
    return hold  # R_PYTHON never gets here


def _empty(kind: int, flag: int = 0) -> dict[str, Any]:
    return {
        "kind": kind,
        "flag": flag,
        "fa": np.zeros(1),
        "ia": np.zeros((4, 1), dtype=np.int64),
        "prefs": np.zeros((1, 1, 4)),
        "prefs_n": np.zeros(1, dtype=np.int64),
        "rand": np.zeros(1),
    }


def compile_router(router: Any, reference_sim: Any, *, shortcut: bool = False) -> RouterArrays:
    """The compiled twin of ``router`` (``R_PYTHON`` when it has none).

    ``reference_sim`` is a reference Simulator of the same scenario and seed, on which
    ``router.reset`` has just run (the tables are read from the router). ``shortcut``: the
    one-pair, always-assigning case of the reference's ``run`` (same decisions). FIFO lives in
    this layer; the routers of :mod:`rlroute.policies` are compiled by the function that
    package registers in :data:`rlroute.sim.router.ROUTER_COMPILERS` (this layer never imports
    an upper one).
    """
    from rlroute.sim.router import ROUTER_COMPILERS, FIFORouter

    cls = type(router)
    if shortcut:
        return RouterArrays(**_empty(R_ALWAYS))
    if cls is FIFORouter or (
        isinstance(router, FIFORouter)
        and cls.act is FIFORouter.act
        and cls.reset is FIFORouter.reset
    ):
        d = _empty(R_FIFO, int(router.by_priority))
        d["fa"] = np.asarray(router._prio, dtype=float)
        return RouterArrays(**d)
    for compile_upper in ROUTER_COMPILERS:
        arrays = compile_upper(router, reference_sim)
        if arrays is not None:
            return arrays
    return RouterArrays(**_empty(R_PYTHON))


def empty_tables(kind: int, flag: int = 0) -> dict[str, Any]:
    """Unused router tables of router ``kind`` (filled in by a router compiler)."""
    return _empty(kind, flag)


__all__ = ["act", "compile_router", "empty_tables", "head_arrival", "longest_idle_since"]
