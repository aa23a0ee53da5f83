"""The env's observation computed in compiled code for rows of a :class:`BatchSimulator`.

Bit for bit the vector :class:`~rlroute.envs.observation.Observer` builds: the same float64
operations in the same order on the same tables (``Observer.tables()``), then one float32
rounding per entry. It reads a row's state only (clock, queue lengths and heads, idle and
wrap-up counts), so it runs on every row that just stopped, in the same kind of compiled loop
as the simulator's own ``drive``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rlroute.envs.observation import CLIP, N_WAITS, NEAR, Observer
from rlroute.sim.fast import layout as L
from rlroute.sim.fast._jit import compiled, inlined
from rlroute.sim.fast.batch import prefetch_rows, row, step_row
from rlroute.sim.fast.rings import is_waiting
from rlroute.sim.fast.routers import head_arrival


class ObsTables(NamedTuple):
    """``Observer.tables()`` as a tuple numba takes, plus the wrap-up and v2 flags."""

    qscale: np.ndarray
    wscale: np.ndarray
    load: np.ndarray
    on_duty: np.ndarray
    idle_scale: np.ndarray
    load_next: np.ndarray
    consts: np.ndarray
    wrap_up: bool
    v2: bool


def obs_tables(observer: Observer) -> ObsTables:
    return ObsTables(**observer.tables(), wrap_up=observer.wrap_up, v2=observer.v2)


@inlined
def observe_row(B, t, n: int, out) -> None:
    """Observer.__call__ on row n of the batch state ``B``, written to ``out[n]``."""
    s = row(B, n)
    horizon, interval_s, inv_horizon = t.consts[0], t.consts[1], t.consts[2]
    now = s.F[L.F_NOW]
    if now < horizon:
        i = int(now // interval_s)
        elapsed = now * inv_horizon
    else:
        i = t.load.shape[0] - 1
        elapsed = 1.0
    K, G = t.qscale.shape[0], t.on_duty.shape[1]
    j = 0
    for k in range(K):
        x = s.QC[k, L.QC_LEN] * t.qscale[k]
        out[n, j] = x if x < CLIP else CLIP
        j += 1
    for k in range(K):
        if s.QC[k, L.QC_LEN]:
            w = (now - head_arrival(s, k)) * t.wscale[k]
            out[n, j] = w if w < CLIP else CLIP
        else:
            out[n, j] = 0.0
        j += 1
    for k in range(K):
        out[n, j] = t.load[i, k]
        j += 1
    for g in range(G):
        x = s.GC[g, L.GC_SIZE] * t.idle_scale[i, g]
        out[n, j] = x if x < 1.0 else 1.0
        j += 1
    for g in range(G):
        out[n, j] = t.on_duty[i, g]
        j += 1
    out[n, j] = elapsed
    j += 1
    if t.wrap_up:
        for g in range(G):
            x = s.GC[g, L.GC_WRAP] * t.idle_scale[i, g]
            out[n, j] = x if x < 1.0 else 1.0
            j += 1
    if t.v2:
        observe_v2(s, t, now, i, K, n, j, out)


@inlined
def observe_v2(s, t, now: float, i: int, K: int, n: int, j: int, out) -> None:
    """Observer._v2: late, near_late, wait2..4, load_next, from ``out[n, j]`` on."""
    cap = s.QB.shape[2]
    for k in range(K):
        out[n, j + k] = 0.0
        out[n, j + K + k] = 0.0
        for p in range(N_WAITS):
            out[n, j + 2 * K + p * K + k] = 0.0
        if not s.QC[k, L.QC_LEN]:
            continue
        n_late = 0
        n_near = 0
        pos = 0
        start = s.QC[k, L.QC_START]
        for e in range(s.QC[k, L.QC_SIZE]):
            jj = (start + e) % cap
            slot = s.QB[0, k, jj]
            if not is_waiting(s, slot, s.QB[1, k, jj]):
                continue
            w = (now - s.CF[slot, L.CF_ARRIVAL]) * t.wscale[k]
            if pos >= 1 and pos <= N_WAITS:
                out[n, j + 2 * K + (pos - 1) * K + k] = w if w < CLIP else CLIP
            if w >= 1.0:
                n_late += 1
            elif w >= NEAR:
                n_near += 1
            elif pos >= N_WAITS:
                break
            pos += 1
        x = n_late * t.qscale[k]
        out[n, j + k] = x if x < CLIP else CLIP
        x = n_near * t.qscale[k]
        out[n, j + K + k] = x if x < CLIP else CLIP
    for k in range(K):
        out[n, j + (2 + N_WAITS) * K + k] = t.load_next[i, k]


@compiled
def observe_rows(B, t, rows, out) -> None:
    for j in range(rows.shape[0]):
        observe_row(B, t, rows[j], out)


@compiled
def step_observe(B, X, p, r, heads, actions, wc: bool, skip: bool, scale: float, t, out) -> int:
    """The simulator's ``step_rows`` with each parked row observed right away, while its
    state is still in the cache; returns the number of rows that need Python (observed
    later with :func:`observe_rows`)."""
    need = 0
    for n in range(X.STAT.shape[0]):
        prefetch_rows(B, n)
        if X.DONE[n]:
            X.REW[n] = 0.0
            X.INV[n] = False
        elif step_row(B, X, p, r, heads, n, actions[n], wc, skip, scale):
            observe_row(B, t, n, out)
        else:
            need += 1
    return need


__all__ = [
    "ObsTables",
    "obs_tables",
    "observe_row",
    "observe_rows",
    "observe_v2",
    "step_observe",
]
