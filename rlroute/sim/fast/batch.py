"""BatchSimulator: N independent days of one scenario, advanced together by one compiled call.

Every array of the fast engine's :class:`~rlroute.sim.fast.layout.State` gets a leading row
axis ``[N, ...]``; a compiled function takes row ``n``'s views (:func:`row`, a ``State`` of
views, the very types :func:`rlroute.sim.fast.loop.advance` is compiled for) and runs the
single-replication loop on them, so both paths share the event loop statement for statement.
What the single-replication driver does in Python between compiled calls is compiled here too
(interval and block boundaries, staffing, the end of the day, rewards, masks, the fallback of a
masked action, forced decisions), so one :meth:`BatchSimulator.step` advances every live row to
its next decision epoch in one call. Python only steps in for what needs NumPy's generators or
bigger arrays, and then for a whole stretch at once:

* arrivals: each row draws its arrival blocks several at a time (:meth:`_refill`), with the
  same draws in the same order per stream as :func:`rlroute.sim.arrivals.draw_arrival_block`
  (every stream but ``arrival`` and a repeating type's ``repeat`` draws one uniform block per
  call, so a stretch of blocks takes one call per stream: the same numbers as one call per
  block, the CRN contract);
* repeat-call rows (64 at a time, as :class:`~rlroute.sim.streams.RepeatCallTable`) and arrays
  grown when a row fills one (every row grows: the arrays stay rectangular).

A row is the day of ``Simulator(scenario, seed)`` driven by a Python router: the same events,
costs and KPIs (``tests/envs/test_compiled_batch.py`` checks it against the env).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from rlroute.scenario import Scenario
from rlroute.sim.arrivals import (
    block_span,
    blocks_in_interval,
    draw_day_multipliers,
    draw_not_ready_day_factors,
)
from rlroute.sim.engine import Simulator
from rlroute.sim.fast import layout as L
from rlroute.sim.fast._jit import compiled, inlined, prefetch
from rlroute.sim.fast.loop import advance, push_requests, room_ok, staff, step_assign
from rlroute.sim.fast.report import build_report
from rlroute.sim.fast.routers import compile_router
from rlroute.sim.fast.simulator import (
    _grow_ring,
    _grow_rows,
    _params,
    _state,
    grow_requests,
    not_ready_requests,
    repeat_rows,
)
from rlroute.sim.kpis import KPIReport
from rlroute.sim.staffing import draw_day_staffing
from rlroute.sim.streams import RandomStreams

INF = math.inf
# row status (Extra.STAT)
PARKED, NEED_DRAW, NEED_ROOM, RUN = 0, 1, 2, 3
# Extra.BKC columns: next block to open, blocks buffered, the open block ends its interval
BK_NEXT, BK_COUNT, BK_LAST_OPEN = 0, 1, 2
_MAX_BLOCKS = 16  # blocks buffered per row
_SLOT_MAJOR = ("CF", "CI", "AF", "AI", "HI", "ARR")  # State tables of [capacity, fields]


class Extra(NamedTuple):
    """Per-row arrays of the batch beyond the engine's state."""

    BKE: np.ndarray  # int64[N, MB]: end (exclusive) of each buffered block in ARR
    BKT: np.ndarray  # float64[N, MB]: the block's boundary time
    BKL: np.ndarray  # int64[N, MB]: 1 if the block is its interval's last
    BKC: np.ndarray  # int64[N, 3]
    IA: np.ndarray  # float64[N, 4, n_int]: busy, present, queue, not-ready area per interval
    BOOK: np.ndarray  # float64[N, 4]: areas booked by closed intervals
    UNS: np.ndarray  # int64[N, K]: calls still waiting at the end
    ENTRY: np.ndarray  # int64[N]: where advance resumes
    STAT: np.ndarray  # int64[N]
    FRESH: np.ndarray  # int64[N]: 1 until the first stop after a reset (no reward there)
    MASK: np.ndarray  # bool[N, A]
    REW: np.ndarray  # float64[N]
    DONE: np.ndarray  # bool[N]
    LAST: np.ndarray  # float64[N]: cost at the last reward
    NDEC: np.ndarray  # int64[N]
    NINV: np.ndarray  # int64[N]
    INV: np.ndarray  # bool[N]
    USED: np.ndarray  # int64[N]: 1 once the row ran a day
    NRS: np.ndarray  # float64[N, cap, 4]: not-ready requests of the buffered blocks (staged)
    NRE: np.ndarray  # int64[N, MB]: end (exclusive) in NRS of the requests pushed at block b


# ------------------------------------------------------------------ compiled
@compiled
def row(B, n: int):  # a State of views
    """Row n of the batch state, as the single-replication State (views, no copy)."""
    return L.State(
        B.F[n],
        B.I[n],
        B.CF[n],
        B.CI[n],
        B.FREE[n],
        B.AF[n],
        B.AI[n],
        B.HT[n],
        B.HI[n],
        B.QB[n],
        B.QC[n],
        B.GB[n],
        B.GC[n],
        B.ARR[n],
        B.REP[n],
        B.REPC[n],
        B.CNT[n],
        B.SUM[n],
        B.HIST[n],
        B.QT[n],
        B.QTO[n],
        B.LF[n],
        B.LI[n],
        B.NRB[n],
        B.NRC[n],
    )


@compiled
def prefetch_rows(B, n: int) -> None:
    """Ask for the cache lines row n+2 and row n+1 are about to need, while row n runs.

    At thousands of rows a row's state has left the caches by the time its turn comes back,
    and its few dozen lines (scalars, heap top, next arrival, counters) are scattered over
    the state's arrays: fetched one miss at a time they cost more than the row's events.
    Row n+2 gets its fixed lines (scalars, queue and idle counters, heap top); row n+1, whose
    scalars were asked for one row earlier, the lines they point to (next arrival, next free
    call slot, the queue-length clock). Reads nothing the loop writes; changes no value.
    """
    N = B.F.shape[0]
    m = n + 2
    if m < N:
        prefetch(B.F[m], 0)
        im = B.I[m]
        prefetch(im, 0)
        prefetch(im, 8)
        prefetch(im, 16)
        prefetch(B.QC[m], 0)
        prefetch(B.GC[m], 0)
        prefetch(B.HT[m], 0)
        prefetch(B.HI[m], 0)
        prefetch(B.HI[m], 8)
    m = n + 1
    if m < N:
        im = B.I[m]
        pos = im[L.I_ARR_POS]
        prefetch(B.ARR[m], pos * L.N_AR)
        prefetch(B.ARR[m], pos * L.N_AR + L.N_AR - 1)
        prefetch(B.FREE[m], im[L.I_FREE_N] - 1)
        q = im[L.I_QTOTAL]
        prefetch(B.QT[m], q)
        prefetch(B.QTO[m], q)
        prefetch(B.HT[m], 8)
        prefetch(B.HI[m], 16)
        prefetch(B.HI[m], 24)
        prefetch(B.QB[m], 0)


@compiled
def _clear_row(B, X, n: int) -> None:
    """A fresh day's state for row n (the single-replication ``_state``, in place)."""
    B.F[n, :] = 0.0
    B.F[n, L.F_T_ARR] = INF
    B.I[n, :] = 0
    B.I[n, L.I_INTERVAL] = -1
    cap = B.CF.shape[1]
    B.I[n, L.I_FREE_N] = cap
    B.I[n, L.I_UNARMED_SLOT] = -1
    B.I[n, L.I_UNARMED_ID] = -1
    # Only what the loop reads before writing: call slots, agent rows, heap entries and
    # ring entries are written when taken (staff() clears a hired agent's row); the wait
    # histogram (K x 3601 counters) is left untouched on a row's first day (np.zeros).
    B.CI[n] = -1
    for j in range(cap):
        B.FREE[n, j] = cap - 1 - j
    B.QC[n] = 0
    B.GC[n] = 0
    B.REPC[n] = 0
    B.NRC[n] = 0
    B.CNT[n] = 0
    B.SUM[n] = 0.0
    if X.USED[n]:
        B.HIST[n] = 0
    X.USED[n] = 1
    B.QT[n] = 0.0
    B.QTO[n] = -1
    X.BKC[n, BK_NEXT] = 0
    X.BKC[n, BK_COUNT] = 0
    X.BKC[n, BK_LAST_OPEN] = 1
    X.IA[n] = 0.0
    X.BOOK[n] = 0.0
    X.UNS[n] = 0
    X.ENTRY[n] = L.EN_START
    X.STAT[n] = RUN
    X.FRESH[n] = 1
    X.REW[n] = 0.0
    X.DONE[n] = False
    X.LAST[n] = 0.0
    X.NDEC[n] = 0
    X.NINV[n] = 0
    X.INV[n] = False


@compiled
def _close_interval(B, X, n: int, i: int) -> None:
    busy, present, queue = B.F[n, L.F_BUSY_AREA], B.F[n, L.F_PRESENT_AREA], B.F[n, L.F_QUEUE_AREA]
    X.IA[n, 0, i] = busy - X.BOOK[n, 0]
    X.IA[n, 1, i] = present - X.BOOK[n, 1]
    X.IA[n, 2, i] = queue - X.BOOK[n, 2]
    X.BOOK[n, 0] = busy
    X.BOOK[n, 1] = present
    X.BOOK[n, 2] = queue
    not_ready = B.F[n, L.F_NR_AREA]
    X.IA[n, 3, i] = not_ready - X.BOOK[n, 3]
    X.BOOK[n, 3] = not_ready


@compiled
def _open_block(B, X, n: int, b: int) -> None:
    X.BKC[n, BK_NEXT] = b + 1
    X.BKC[n, BK_LAST_OPEN] = X.BKL[n, b]
    B.F[n, L.F_T_BND] = X.BKT[n, b]
    end = X.BKE[n, b]
    B.I[n, L.I_ARR_N] = end
    pos = B.I[n, L.I_ARR_POS]
    B.F[n, L.F_T_ARR] = B.ARR[n, pos, L.AR_T] if pos < end else INF


# what _boundary did
BD_NEED_DRAW, BD_DONE, BD_NEED_ROOM = 0, 1, 2


@compiled
def _requests(X, n: int, b: int) -> tuple[int, int]:
    """The staged not-ready requests pushed when block b opens: rows lo..hi-1 of NRS[n]."""
    return (X.NRE[n, b - 1] if b > 0 else 0), X.NRE[n, b]


@compiled
def _request_room(B, n: int, lo: int, hi: int) -> bool:
    """Room for hi - lo more requests in the heap (and for the decisions that may follow)
    and in every group's ring (what the Python side grows: BatchSimulator._make_room)."""
    if B.HT.shape[1] - B.I[n, L.I_HEAP_N] < hi - lo + 2 * B.AI.shape[1] + 4:
        return False
    for g in range(B.NRC.shape[1]):
        if B.NRC[n, g, 1] - B.NRC[n, g, 0] + hi - lo > B.NRB.shape[2]:
            return False
    return True


@compiled
def _boundary(B, X, heads, n: int) -> int:
    """FastSimulator._boundary for row n; BD_NEED_DRAW (nothing changed) when the next block
    is not drawn yet, BD_NEED_ROOM (nothing changed) when its not-ready requests need room."""
    b = X.BKC[n, BK_NEXT]
    have = b < X.BKC[n, BK_COUNT]
    if not X.BKC[n, BK_LAST_OPEN]:
        if not have:
            return BD_NEED_DRAW
        _open_block(B, X, n, b)
        return BD_DONE
    i = B.I[n, L.I_INTERVAL]
    n_int = heads.shape[2]
    if i + 1 < n_int:
        if not have:
            return BD_NEED_DRAW
        lo, hi = _requests(X, n, b)
        if hi > lo and not _request_room(B, n, lo, hi):
            return BD_NEED_ROOM
    if i >= 0:
        _close_interval(B, X, n, i)
    i += 1
    B.I[n, L.I_INTERVAL] = i
    if i >= n_int:
        B.I[n, L.I_DRAINING] = 1
        B.F[n, L.F_T_BND] = INF
        return BD_DONE
    s = row(B, n)
    for g in range(heads.shape[1]):
        staff(s, g, heads[n, g, i])
    lo, hi = _requests(X, n, b)
    push_requests(s, X.NRS[n], lo, hi)
    _open_block(B, X, n, b)
    return BD_DONE


@compiled
def _finish(B, X, n: int) -> None:
    """FastSimulator._finish for row n: the last interval's areas and the unserved calls."""
    if B.I[n, L.I_FINISHED]:
        return
    i = B.I[n, L.I_INTERVAL]
    if 0 <= i < X.IA.shape[2] and not B.I[n, L.I_DRAINING]:
        _close_interval(B, X, n, i)
    B.I[n, L.I_FINISHED] = 1
    cap = B.QB.shape[3]
    for k in range(B.QC.shape[1]):
        for j in range(B.QC[n, k, L.QC_SIZE]):
            idx = (B.QC[n, k, L.QC_START] + j) % cap
            slot, cid = B.QB[n, 0, k, idx], B.QB[n, 1, k, idx]
            if B.CI[n, slot, L.CI_ID] == cid and B.CI[n, slot, L.CI_STATE] == L.WAITING:
                X.UNS[n, k] += 1


@compiled
def _mask(B, X, p, n: int, work_conserving: bool) -> int:
    """The env's mask of row n; returns the number of valid actions."""
    hold = p.pk.shape[0]
    count = 0
    for a in range(hold):
        ok = B.QC[n, p.pk[a], L.QC_LEN] > 0 and B.GC[n, p.pg[a], L.GC_SIZE] > 0
        X.MASK[n, a] = ok
        count += ok
    h = (not work_conserving) or count == 0
    X.MASK[n, hold] = h
    return count + h


@compiled
def _only_valid(X, n: int) -> int:
    for a in range(X.MASK.shape[1]):
        if X.MASK[n, a]:
            return a
    return -1


@compiled
def fallback(X, p, n: int, a: int) -> int:
    """CallCenterEnv.fallback_action under row n's mask."""
    if X.MASK[n, a]:
        return a
    hold = p.pk.shape[0]
    if a < hold:
        for b in range(hold):  # the same group first
            if X.MASK[n, b] and p.pg[b] == p.pg[a]:
                return b
        for b in range(hold):  # then the same type
            if X.MASK[n, b] and p.pk[b] == p.pk[a]:
                return b
    return _only_valid(X, n)


@inlined
def _apply(B, p, n: int, a: int) -> None:
    if a == p.pk.shape[0]:
        B.I[n, L.I_HELD] = 1
    else:
        step_assign(row(B, n), p, a)


@inlined
def _drive_row(B, X, p, r, heads, n: int, wc: bool, skip: bool, scale: float) -> None:
    """Run row n until it parks (a decision epoch with a choice, or its day's end) or needs
    Python (the next arrival blocks, or more room)."""
    entry = X.ENTRY[n]
    while True:
        s = row(B, n)
        # room checks where FastSimulator._drive makes room: the day's first call and after
        # a boundary (EN_LOOP comes back from Python, which just made room)
        check = entry == L.EN_AFTER_BOUNDARY or (entry == L.EN_START and X.FRESH[n])
        if check and not room_ok(s, p, r):
            X.ENTRY[n] = entry
            X.STAT[n] = NEED_ROOM
            return
        st = advance(s, p, r, entry)
        if st == L.ST_ROOM:
            X.ENTRY[n] = L.EN_LOOP
            X.STAT[n] = NEED_ROOM
            return
        if st == L.ST_BOUNDARY:
            bd = _boundary(B, X, heads, n)
            if bd != BD_DONE:
                X.ENTRY[n] = L.EN_LOOP  # resumes with the boundary still due
                X.STAT[n] = NEED_DRAW if bd == BD_NEED_DRAW else NEED_ROOM
                return
            entry = L.EN_AFTER_BOUNDARY
            continue
        # a decision epoch or the end of the day
        done = st == L.ST_END
        if done:
            _finish(B, X, n)
        if X.FRESH[n]:
            X.FRESH[n] = 0  # the reset's stop: its cost goes into the first step's reward
            done = False  # a day without any epoch ends at the first step (the env's rule)
        else:
            cost = B.F[n, L.F_COST]
            X.REW[n] += (X.LAST[n] - cost) * scale
            X.LAST[n] = cost
            X.DONE[n] = done
        n_valid = _mask(B, X, p, n, wc)
        if skip and not done and n_valid == 1:
            _apply(B, p, n, _only_valid(X, n))  # a forced decision: taken here
            entry = L.EN_START
            continue
        X.STAT[n] = PARKED
        X.ENTRY[n] = L.EN_START
        return


@compiled
def drive(B, X, p, r, heads, wc: bool, skip: bool, scale: float) -> int:
    """Drive every row with status RUN; returns the number of rows that need Python."""
    need = 0
    for n in range(X.STAT.shape[0]):
        prefetch_rows(B, n)
        if X.STAT[n] == RUN:
            _drive_row(B, X, p, r, heads, n, wc, skip, scale)
            if X.STAT[n] != PARKED:
                need += 1
    return need


@inlined
def step_row(B, X, p, r, heads, n: int, a: int, wc: bool, skip: bool, scale: float) -> bool:
    """Apply action a to live row n (the fallback replaces a masked one) and drive the row to
    its next stop; False if it needs Python first."""
    bad = not X.MASK[n, a]
    X.INV[n] = bad
    if bad:
        a = fallback(X, p, n, a)
        X.NINV[n] += 1
    X.NDEC[n] += 1
    X.REW[n] = 0.0
    _apply(B, p, n, a)
    X.ENTRY[n] = L.EN_START
    X.STAT[n] = RUN
    _drive_row(B, X, p, r, heads, n, wc, skip, scale)
    return X.STAT[n] == PARKED


@compiled
def step_rows(B, X, p, r, heads, actions, wc: bool, skip: bool, scale: float) -> int:
    """step_row on every live row (a done row gets reward 0); returns the number of rows that
    need Python."""
    need = 0
    for n in range(X.STAT.shape[0]):
        prefetch_rows(B, n)
        if X.DONE[n]:
            X.REW[n] = 0.0
            X.INV[n] = False
        elif not step_row(B, X, p, r, heads, n, actions[n], wc, skip, scale):
            need += 1
    return need


@compiled
def clear_rows(B, X, rows) -> None:
    for j in range(rows.shape[0]):
        _clear_row(B, X, rows[j])


@compiled
def _extend_free(FREE, I, old: int, size: int) -> None:  # noqa: E741
    """New call slots old..size-1 pushed on every row's free stack (as FastSimulator does)."""
    for n in range(FREE.shape[0]):
        nf = I[n, L.I_FREE_N]
        for j in range(size - old):
            FREE[n, nf + j] = size - 1 - j
        I[n, L.I_FREE_N] = nf + size - old


# ------------------------------------------------------------------ Python driver
def _grow_last(a: np.ndarray, size: int, fill: float = 0) -> np.ndarray:
    out = np.full((*a.shape[:-1], size), fill, dtype=a.dtype)
    out[..., : a.shape[-1]] = a
    return out


def _hires_bound(heads: np.ndarray) -> int:
    """Agents a day of these head counts (``[G, n_int]``) hires at most: agents are never
    recycled, and a group hires at most its head-count increases."""
    return sum(int(h[0]) + int(np.maximum(np.diff(h), 0).sum()) for h in heads)


class _Day:
    """What row n's Python side keeps: the day's streams and the next block to draw."""

    __slots__ = ("block", "day_mult", "interval", "n_blocks", "nr_day", "streams")

    def __init__(self, streams: RandomStreams, n_types: int, n_groups: int = 0) -> None:
        self.streams = streams
        self.interval, self.block, self.n_blocks = 0, 0, 0
        self.day_mult = [1.0] * n_types
        self.nr_day = [1.0] * n_groups  # the day's not-ready rate factors (NotReady.day_shape)


class BatchSimulator:
    """N days of ``scenario`` (one per row) behind arrays ``[N, ...]``.

    ``reset_rows(rows, seeds)`` starts fresh days; ``step(actions)`` applies one action per
    live row (``fallback`` replaces a masked one; the caller checks first if it wants to
    raise) and advances each to its next decision epoch. The per-row results are arrays:
    ``masks``, ``rewards``, ``done``, ``costs``, ``n_decisions``, ``n_invalid``, ``invalid``.
    The rows' states are ``self.state`` (a :class:`~rlroute.sim.fast.layout.State` of
    ``[N, ...]`` arrays); :func:`row` gives one row's views in compiled code.
    """

    def __init__(
        self,
        scenario: Scenario,
        num_envs: int,
        *,
        reward_scale: float = 1.0,
        work_conserving: bool = True,
        skip_forced: bool = False,
        arrival_window: int = 2048,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs={num_envs}: need at least one row")
        self.scenario = scenario
        self.num_envs = N = int(num_envs)
        self.reward_scale = float(reward_scale)
        self.work_conserving = bool(work_conserving)
        self.skip_forced = bool(skip_forced)
        self.ref = ref = Simulator(scenario, 0)  # the scenario's tables (it never runs)
        self.pairs, self.HOLD = ref.pairs, ref.HOLD
        self.n_actions = ref.HOLD + 1
        K, G, n_int = ref.n_types, ref.n_groups, ref.n_intervals
        self.n_types, self.n_groups, self.n_intervals = K, G, n_int
        self.params = _params(ref)
        self.router_arrays = compile_router(None, ref)
        # Head counts per row, group and interval: the schedule, and each day's draw in the
        # rows of a scenario with staffing day factors (written by _refill at the day's start).
        self._base_heads = np.array([ref._heads[g] for g in range(G)], dtype=np.int64).reshape(
            G, n_int
        )
        self.heads = np.repeat(self._base_heads[None], N, axis=0)
        agents = max(1, _hires_bound(self._base_heads))
        self._window = int(arrival_window)
        one = _state(K, G, n_int, agents, False)
        caps = {"CF": 128, "CI": 128, "FREE": 128, "HT": 64 + 4 * agents, "HI": 64 + 4 * agents}
        arrays = {}
        for name, a in zip(L.State._fields, one):
            shape = list(a.shape)
            axis = 0 if name in _SLOT_MAJOR else -1  # the capacity axis
            if name in caps:
                shape[axis] = caps[name]
            elif name == "ARR":
                shape[axis] = self._window
            elif name in ("QB", "QT", "QTO"):
                shape[-1] = 32
            arrays[name] = np.zeros((N, *shape), dtype=a.dtype)
        self.state = L.State(**arrays)
        MB = _MAX_BLOCKS
        A = self.n_actions
        self.extra = Extra(
            BKE=np.zeros((N, MB), dtype=np.int64),
            BKT=np.zeros((N, MB)),
            BKL=np.zeros((N, MB), dtype=np.int64),
            BKC=np.zeros((N, 3), dtype=np.int64),
            IA=np.zeros((N, 4, n_int)),
            BOOK=np.zeros((N, 4)),
            UNS=np.zeros((N, K), dtype=np.int64),
            ENTRY=np.zeros(N, dtype=np.int64),
            STAT=np.zeros(N, dtype=np.int64),
            FRESH=np.zeros(N, dtype=np.int64),
            MASK=np.zeros((N, A), dtype=np.bool_),
            REW=np.zeros(N),
            DONE=np.ones(N, dtype=np.bool_),
            LAST=np.zeros(N),
            NDEC=np.zeros(N, dtype=np.int64),
            NINV=np.zeros(N, dtype=np.int64),
            INV=np.zeros(N, dtype=np.bool_),
            USED=np.zeros(N, dtype=np.int64),
            NRS=np.zeros((N, 1, 4)),
            NRE=np.zeros((N, MB), dtype=np.int64),
        )
        self.extra.MASK[:, -1] = True
        self._days: list[_Day | None] = [None] * N
        # the scenario's per-type tables the draws use
        self._rates = ref._rates
        self._ipd = ref._ipd
        self._interval_s = ref.interval_s
        self._arange = np.arange(4096, dtype=np.int64)
        self._no_requests = np.zeros((0, 4))

    # ------------------------------------------------------------------ results
    @property
    def masks(self) -> np.ndarray:
        return self.extra.MASK

    @property
    def rewards(self) -> np.ndarray:
        return self.extra.REW

    @property
    def done(self) -> np.ndarray:
        return self.extra.DONE

    @property
    def costs(self) -> np.ndarray:
        return self.state.F[:, L.F_COST]

    @property
    def n_decisions(self) -> np.ndarray:
        return self.extra.NDEC

    @property
    def n_invalid(self) -> np.ndarray:
        return self.extra.NINV

    @property
    def invalid(self) -> np.ndarray:
        return self.extra.INV

    # ------------------------------------------------------------------ driving
    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray) -> None:
        """Fresh days (``Simulator(scenario, seed)``) for ``rows``, advanced to their first
        decision epoch (and past forced ones with ``skip_forced``)."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        seeds = np.asarray(seeds).reshape(-1)
        if rows.shape[0] != seeds.shape[0]:
            raise ValueError(f"{rows.shape[0]} rows but {seeds.shape[0]} seeds")
        if rows.size and (rows.min() < 0 or rows.max() >= self.num_envs):
            raise ValueError(f"rows must be in 0..{self.num_envs - 1}")
        clear_rows(self.state, self.extra, rows)
        self.heads[rows] = self._base_heads
        K, G = self.n_types, self.n_groups
        for n, seed in zip(rows.tolist(), seeds.tolist()):
            self._days[n] = _Day(RandomStreams.from_seed(int(seed), K, G), K, G)
        self._run(self._drive)

    def step(self, actions: np.ndarray) -> None:
        """One action per row (``[N]`` ints in 0..HOLD; ignored for done rows)."""
        actions = self.check_actions(actions)
        need = step_rows(
            self.state,
            self.extra,
            self.params,
            self.router_arrays,
            self.heads,
            actions,
            self.work_conserving,
            self.skip_forced,
            self.reward_scale,
        )
        if need:
            self.complete()

    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        """``actions`` as int64 ``[N]``; ValueError for a live row's out-of-range action; done
        rows' actions replaced by 0 (ignored)."""
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        if actions.shape[0] != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions, got {actions.shape[0]}")
        live = ~self.extra.DONE
        out = live & ((actions < 0) | (actions > self.HOLD))
        if out.any():
            n = int(np.flatnonzero(out)[0])
            raise ValueError(
                f"row {n}: action {int(actions[n])} is outside the action space 0..{self.HOLD}"
            )
        return np.where(live, actions, 0)

    def complete(self) -> None:
        """Serve the rows that stopped for Python and drive them on, until every row is
        parked (after a compiled step that returned a nonzero count)."""
        self._serve()
        self._run(self._drive)

    def _drive(self) -> Any:
        """One compiled pass advancing every live row (nonzero: some rows stopped for Python)."""
        return drive(
            self.state,
            self.extra,
            self.params,
            self.router_arrays,
            self.heads,
            self.work_conserving,
            self.skip_forced,
            self.reward_scale,
        )

    def _run(self, call: Any) -> None:
        while call():
            self._serve()

    def _serve(self) -> None:
        """Python's part for every row that asked: draw arrival blocks or make room; the row
        is then set to run again."""
        X = self.extra
        for n in np.flatnonzero(X.STAT == NEED_DRAW).tolist():
            self._refill(n)
            X.STAT[n] = RUN
        for n in np.flatnonzero(X.STAT == NEED_ROOM).tolist():
            self._make_room(n)
            X.STAT[n] = RUN

    # ------------------------------------------------------------------ arrivals
    def _refill(self, n: int) -> None:
        """Draw the next stretch of row n's arrival blocks (at least one; up to about half
        the window of expected calls) into ARR from 0 (the previous ones are all used)."""
        day = self._days[n]
        assert day is not None
        ref, K = self.ref, self.n_types
        ist = self._interval_s
        st = day.streams
        blocks: list[tuple[float, float, float, int]] = []  # start, length, t_bnd, last
        requests: list[np.ndarray] = []  # per block: the not-ready requests pushed as it opens
        means: list[list[float]] = []
        expected = 0.0
        while day.interval < self.n_intervals and len(blocks) < _MAX_BLOCKS:
            if expected and expected >= self._window / 2:
                break
            i = day.interval
            if day.block == 0:  # steps 1 and 2 of the CRN contract (rlroute.sim.arrivals)
                if i % self._ipd == 0:
                    day.day_mult = draw_day_multipliers(st.day, ref._day_shape)
                    if ref._base_heads is not None:
                        self._draw_day_staffing(n, st, day.day_mult, i)
                    if ref._has_nr_day:  # step 6: the day's not-ready rate factors
                        assert st.availability_day is not None
                        day.nr_day = draw_not_ready_day_factors(
                            st.availability_day, ref._nr_day_shape
                        )
                day.n_blocks = blocks_in_interval(self._rates, day.day_mult, i, ist)
            # step 5 (its own streams: drawn here, pushed when the interval opens)
            first = day.block == 0 and ref.has_not_ready
            requests.append(
                not_ready_requests(ref, st, i, self.heads[n], day.nr_day)
                if first
                else self._no_requests
            )
            j, m = day.block, day.n_blocks
            start, length = block_span(i, j, m, ist)
            t_bnd = (i + 1) * ist if j + 1 == m else start + length
            blocks.append((start, length, t_bnd, int(j + 1 == m)))
            means.append([self._rates[k][i] * day.day_mult[k] * length for k in range(K)])
            expected += sum(means[-1])
            if j + 1 == m:
                day.interval, day.block = i + 1, 0
            else:
                day.block = j + 1
        nb = len(blocks)
        cols: list[list[np.ndarray]] = [[] for _ in range(L.N_AR)]
        bids: list[np.ndarray] = []
        counts = np.zeros(nb, dtype=np.int64)
        for k in range(K):
            arr = st.arrival[k]
            times, ids, sizes = [], [], []
            rep = ref._repeat[k]
            rep_u: list[np.ndarray] = []
            rep_d: list[np.ndarray] = []
            for b, (start, length, _, _) in enumerate(blocks):
                mean = means[b][k]
                c = int(arr.poisson(mean)) if mean > 0 else 0
                if c == 0:
                    continue
                times.append(start + np.sort(arr.random(c)) * length)
                ids.append(np.full(c, b, dtype=np.int64))
                sizes.append(c)
                if rep is not None:  # this stream alternates two kinds of draws per block
                    rep_u.append(st.repeat[k].random(c))
                    rep_d.append(rep.delay.sample(st.repeat[k], c))
            if not sizes:
                continue
            c = sum(sizes)
            pat = ref._patience[k]
            cols[L.AR_T].append(np.concatenate(times))
            cols[L.AR_K].append(np.full(c, float(k)))
            cols[L.AR_PAT].append(np.full(c, INF) if pat is None else pat.sample(st.patience[k], c))
            cols[L.AR_SU].append(st.service[k].random(c))
            cols[L.AR_RU].append(st.resolution[k].random(c))
            cols[L.AR_BU].append(st.balk[k].random(c))
            if rep is None:
                cols[L.AR_REPU].append(st.repeat[k].random(c))
                cols[L.AR_REPD].append(np.zeros(c))
            else:
                cols[L.AR_REPU].append(np.concatenate(rep_u))
                cols[L.AR_REPD].append(np.concatenate(rep_d))
            if ref.has_wrap_up and ref._wrap_types[k]:
                cols[L.AR_WRAP].append(st.wrap_up[k].random(c))
            else:
                cols[L.AR_WRAP].append(np.zeros(c))
            bid = np.concatenate(ids)
            bids.append(bid)
            counts += np.bincount(bid, minlength=nb)
        total = int(counts.sum())
        if total > self.state.ARR.shape[1]:
            self.state = self.state._replace(ARR=_grow_rows(self.state.ARR, 2 * total))
        B, X = self.state, self.extra
        if total:
            t = np.concatenate(cols[L.AR_T])
            order = np.lexsort((t, np.concatenate(bids)))  # per block by time, stable by type
            for c_ in range(L.N_AR):
                B.ARR[n, :total, c_] = np.concatenate(cols[c_])[order]
        ends = np.cumsum(counts)
        staged = np.cumsum([r.shape[0] for r in requests], dtype=np.int64)
        n_req = int(staged[-1]) if nb else 0
        if n_req:
            if n_req > X.NRS.shape[1]:
                self.extra = X = X._replace(NRS=_grow_rows(X.NRS, 2 * n_req))
            X.NRS[n, :n_req] = np.concatenate(requests)
        X.NRE[n, :nb] = staged
        X.BKE[n, :nb] = ends
        X.BKT[n, :nb] = [b[2] for b in blocks]
        X.BKL[n, :nb] = [b[3] for b in blocks]
        X.BKC[n, BK_NEXT] = 0
        X.BKC[n, BK_COUNT] = nb
        B.I[n, L.I_ARR_POS] = 0
        B.I[n, L.I_ARR_N] = 0

    def _draw_day_staffing(self, n: int, st: RandomStreams, day_mult: list[float], i: int) -> None:
        """Row n's head counts for the day starting at interval i (the reference's draws,
        :func:`rlroute.sim.staffing.draw_day_staffing`), and an agent table big enough."""
        ref = self.ref
        assert st.staffing is not None
        draw_day_staffing(
            st.staffing,
            ref._staff_factors,
            self._base_heads,
            self.heads[n],
            self._rates,
            ref.types_of_group,
            day_mult,
            i,
            min(self._ipd, self.n_intervals - i),
        )
        need = _hires_bound(self.heads[n])
        s = self.state
        if need > s.AI.shape[1]:
            size = 2 * need
            gb = np.zeros((*s.GB.shape[:2], size), dtype=s.GB.dtype)
            for r in range(s.GB.shape[0]):
                starts, sizes = s.GC[r, :, L.GC_START], s.GC[r, :, L.GC_SIZE]
                gb[r] = _grow_ring(s.GB[r], starts, sizes, size)
            self.state = s._replace(AF=_grow_rows(s.AF, size), AI=_grow_rows(s.AI, size), GB=gb)

    # ------------------------------------------------------------------ room
    def _make_room(self, n: int) -> None:
        """FastSimulator._make_room for row n: grow (every row) what row n filled, draw its
        repeat-call rows."""
        s = self.state
        p = self.params
        na = int(s.I[n, L.I_N_AGENTS])
        if s.HT.shape[1] - s.I[n, L.I_HEAP_N] < 2 * na + 4:
            size = 2 * (s.HT.shape[1] + 2 * na + 4)
            s = s._replace(HT=_grow_last(s.HT, size), HI=_grow_rows(s.HI, size))
        X = self.extra
        b = int(X.BKC[n, BK_NEXT])
        if b < X.BKC[n, BK_COUNT]:  # the not-ready requests of the next block (_request_room)
            pend = int(X.NRE[n, b] - (X.NRE[n, b - 1] if b else 0))
            need = pend + 2 * s.AI.shape[1] + 4
            if pend and s.HT.shape[1] - s.I[n, L.I_HEAP_N] < need:
                size = 2 * (s.HT.shape[1] + need)
                s = s._replace(HT=_grow_last(s.HT, size), HI=_grow_rows(s.HI, size))
            if pend:
                s = grow_requests(s, int((s.NRC[n, :, 1] - s.NRC[n, :, 0]).max()) + pend)
        if s.I[n, L.I_FREE_N] < na + 2:
            old = s.CF.shape[1]
            size = 2 * (old + na + 2)
            free = _grow_last(s.FREE, size)
            _extend_free(free, s.I, old, size)
            s = s._replace(CF=_grow_rows(s.CF, size), CI=_grow_rows(s.CI, size, -1), FREE=free)
        cap = s.QB.shape[3]
        if (cap - s.QC[n, :, L.QC_SIZE]).min() < 2:
            size = 2 * cap
            idx = (s.QC[:, :, L.QC_START][..., None] + np.arange(cap)) % cap  # [N, K, cap]
            qb = np.zeros((*s.QB.shape[:3], size), dtype=s.QB.dtype)
            for c in range(2):
                qb[:, c, :, :cap] = np.take_along_axis(s.QB[:, c], idx, axis=2)
            s.QC[:, :, L.QC_START] = 0
            s = s._replace(QB=qb)
        for k in range(self.n_types):
            if p.has_rep[k]:
                while s.REPC[n, k, 1] - s.REPC[n, k, 0] < na + 1:
                    s = self._draw_repeat_rows(s, n, k)
        if s.QT.shape[1] < s.I[n, L.I_QTOTAL] + 3:
            size = 2 * (s.QT.shape[1] + 3)
            s = s._replace(QT=_grow_last(s.QT, size), QTO=_grow_last(s.QTO, size, -1))
        self.state = s

    def _draw_repeat_rows(self, s: L.State, n: int, k: int) -> L.State:
        """FastSimulator._draw_repeat_rows for row n (the type's ``repeat_call`` stream)."""
        taken, drawn = int(s.REPC[n, k, 0]), int(s.REPC[n, k, 1])
        cap = s.REP.shape[3]
        if drawn + L.REPEAT_BLOCK - taken > cap:
            size = 2 * (drawn + L.REPEAT_BLOCK - taken)
            rep = np.zeros((*s.REP.shape[:3], size))
            for nn in range(s.REP.shape[0]):
                for kk in range(s.REP.shape[1]):
                    rows = np.arange(s.REPC[nn, kk, 0], s.REPC[nn, kk, 1])
                    rep[nn, kk][:, rows % size] = s.REP[nn, kk][:, rows % cap]
            s = s._replace(REP=rep)
            cap = size
        day = self._days[n]
        assert day is not None
        rs = day.streams.repeat_call[k]
        m = L.REPEAT_BLOCK
        cols = repeat_rows(self.ref, k, rs, m)
        s.REP[n, k][:, np.arange(drawn, drawn + m) % cap] = cols
        s.REPC[n, k, 1] = drawn + m
        return s

    # ------------------------------------------------------------------ KPIs
    def report(self, n: int) -> KPIReport:
        """Row n's day KPIs (those of ``Simulator(scenario, seed).report()`` once done)."""
        s = L.State(*(a[n] for a in self.state))
        X = self.extra
        view = _RowView(
            scenario=self.scenario,
            state=s,
            interval_busy=X.IA[n, 0].tolist(),
            interval_present=X.IA[n, 1].tolist(),
            interval_queue=X.IA[n, 2].tolist(),
            interval_not_ready=X.IA[n, 3].tolist(),
            unserved=X.UNS[n].tolist(),
        )
        return build_report(view)  # type: ignore[arg-type]


class _RowView(NamedTuple):
    """What :func:`rlroute.sim.fast.report.build_report` reads of a FastSimulator."""

    scenario: Scenario
    state: L.State
    interval_busy: list[float]
    interval_present: list[float]
    interval_queue: list[float]
    interval_not_ready: list[float]
    unserved: list[int]


__all__ = [
    "BatchSimulator",
    "Extra",
    "drive",
    "fallback",
    "prefetch_rows",
    "row",
    "step_row",
    "step_rows",
]
