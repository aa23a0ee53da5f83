"""Compiled containers over the state arrays: the event heap, queue and idle-agent rings,
call slots. Small functions numba inlines into the event loop."""

from __future__ import annotations

import math

from rlroute.sim.fast._jit import compiled
from rlroute.sim.fast.layout import (
    CI_ID,
    CI_STATE,
    GC_SIZE,
    GC_START,
    HI_ID,
    HI_KIND,
    HI_OBJ,
    HI_SEQ,
    I_FREE_N,
    I_HEAP_N,
    I_SEQ,
    QC_SIZE,
    QC_START,
    WAITING,
)

INF = math.inf


# ---- the event heap: a binary min-heap on (time, sequence number), as the reference's heapq
# of (time, seq, kind, object) tuples (sequence numbers are unique, so the order is the same:
# the heap's shape may differ from heapq's, the order in which events come out cannot). Sifts
# move a hole instead of swapping entries.
@compiled
def _less(s, i: int, j: int) -> bool:
    ti, tj = s.HT[i], s.HT[j]
    return ti < tj or (ti == tj and s.HI[i, HI_SEQ] < s.HI[j, HI_SEQ])


@compiled
def _move(s, src: int, dst: int) -> None:
    s.HT[dst] = s.HT[src]
    for r in range(4):
        s.HI[dst, r] = s.HI[src, r]


@compiled
def heap_push(s, t: float, kind: int, obj: int, cid: int) -> None:
    n = s.I[I_HEAP_N]
    seq = s.I[I_SEQ]
    s.I[I_SEQ] = seq + 1
    s.I[I_HEAP_N] = n + 1
    # The new entry has the largest sequence number, so it goes above a parent only if its
    # time is strictly earlier.
    while n > 0:
        parent = (n - 1) >> 1
        if t < s.HT[parent]:
            _move(s, parent, n)
            n = parent
        else:
            break
    s.HT[n] = t
    s.HI[n, HI_SEQ] = seq
    s.HI[n, HI_KIND] = kind
    s.HI[n, HI_OBJ] = obj
    s.HI[n, HI_ID] = cid


@compiled
def heap_top(s) -> float:
    return s.HT[0] if s.I[I_HEAP_N] > 0 else INF


@compiled
def heap_pop(s) -> tuple[int, int, int]:
    """Remove the earliest event; returns its (kind, object, call id)."""
    kind, obj, cid = s.HI[0, HI_KIND], s.HI[0, HI_OBJ], s.HI[0, HI_ID]
    n = s.I[I_HEAP_N] - 1
    s.I[I_HEAP_N] = n
    if n > 0:
        # the last entry sinks from the root through a hole
        t, seq = s.HT[n], s.HI[n, HI_SEQ]
        lk, lo, li = s.HI[n, HI_KIND], s.HI[n, HI_OBJ], s.HI[n, HI_ID]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and _less(s, c + 1, c):
                c += 1
            tc = s.HT[c]
            if tc < t or (tc == t and s.HI[c, HI_SEQ] < seq):
                _move(s, c, i)
                i = c
            else:
                break
        s.HT[i] = t
        s.HI[i, HI_SEQ] = seq
        s.HI[i, HI_KIND] = lk
        s.HI[i, HI_OBJ] = lo
        s.HI[i, HI_ID] = li
    return kind, obj, cid


# ---- call slots
@compiled
def alloc_call(s) -> int:
    n = s.I[I_FREE_N] - 1
    s.I[I_FREE_N] = n
    return s.FREE[n]


@compiled
def free_call(s, slot: int) -> None:
    s.FREE[s.I[I_FREE_N]] = slot
    s.I[I_FREE_N] += 1


@compiled
def is_waiting(s, slot: int, cid: int) -> bool:
    return slot >= 0 and s.CI[slot, CI_ID] == cid and s.CI[slot, CI_STATE] == WAITING


# ---- queue rings of (slot, call id) per type; stale entries are skipped at the head
@compiled
def queue_append(s, k: int, slot: int, cid: int) -> None:
    cap = s.QB.shape[2]
    j = (s.QC[k, QC_START] + s.QC[k, QC_SIZE]) % cap
    s.QB[0, k, j] = slot
    s.QB[1, k, j] = cid
    s.QC[k, QC_SIZE] += 1


@compiled
def queue_head(s, k: int) -> int:
    """The slot of the oldest waiting call of type k (-1 if none), dropping stale entries."""
    cap = s.QB.shape[2]
    while s.QC[k, QC_SIZE] > 0:
        j = s.QC[k, QC_START]
        slot = s.QB[0, k, j]
        if is_waiting(s, slot, s.QB[1, k, j]):
            return slot
        s.QC[k, QC_START] = (j + 1) % cap
        s.QC[k, QC_SIZE] -= 1
    return -1


@compiled
def queue_popleft(s, k: int) -> int:
    slot = queue_head(s, k)
    s.QC[k, QC_START] = (s.QC[k, QC_START] + 1) % s.QB.shape[2]
    s.QC[k, QC_SIZE] -= 1
    return slot


# ---- idle-agent rings per group (longest idle at the head)
@compiled
def idle_append(s, g: int, agent: int) -> None:
    cap = s.GB.shape[1]
    s.GB[g, (s.GC[g, GC_START] + s.GC[g, GC_SIZE]) % cap] = agent
    s.GC[g, GC_SIZE] += 1


@compiled
def idle_popleft(s, g: int) -> int:
    j = s.GC[g, GC_START]
    s.GC[g, GC_START] = (j + 1) % s.GB.shape[1]
    s.GC[g, GC_SIZE] -= 1
    return s.GB[g, j]


@compiled
def idle_pop(s, g: int) -> int:
    s.GC[g, GC_SIZE] -= 1
    return s.GB[g, (s.GC[g, GC_START] + s.GC[g, GC_SIZE]) % s.GB.shape[1]]


@compiled
def idle_remove(s, g: int, agent: int) -> None:
    """Take ``agent`` out of group g's idle ring wherever it is (``deque.remove``): the agents
    after it move up one place, so the longest-idle order of the others is kept."""
    cap = s.GB.shape[1]
    start, size = s.GC[g, GC_START], s.GC[g, GC_SIZE]
    j = 0
    while s.GB[g, (start + j) % cap] != agent:
        j += 1
    for m in range(j, size - 1):
        s.GB[g, (start + m) % cap] = s.GB[g, (start + m + 1) % cap]
    s.GC[g, GC_SIZE] = size - 1
