"""FastSimulator: the Python driver of the compiled engine, with the reference's interface.

``FastSimulator(scenario, seed).run(router)`` gives the same KPIs, call by call, as
``Simulator(scenario, seed).run(router)``. What happens between compiled calls lives here:
interval boundaries (day multipliers, staffing, the next arrival block, drawn by the code the
reference itself uses, :func:`rlroute.sim.arrivals.draw_arrival_block`), repeat-call rows and
random-router uniforms drawn in blocks, and arrays grown when they fill up. A router without
a compiled twin is asked at every decision epoch through :class:`SimulatorView`, which shows
it the reference simulator's public state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import numpy as np

from rlroute.scenario import Scenario
from rlroute.sim.arrivals import (
    draw_not_ready_requests,
)
from rlroute.sim.engine import _BLOCK_CALLS, WAITING, Simulator
from rlroute.sim.fast import layout as L
from rlroute.sim.fast.dists import encode
from rlroute.sim.fast.loop import (
    advance,
    decision_possible,
    push_requests,
    room_ok,
    staff,
    step_assign,
)
from rlroute.sim.fast.report import build_call_log, build_report
from rlroute.sim.fast.routers import compile_router, head_arrival, longest_idle_since
from rlroute.sim.kpis import HIST_MAX_S, KPIReport
from rlroute.sim.streams import RandomStreams

INF = math.inf
_RANDOM_BLOCK = 4096


def _fingerprint(a: Any) -> Any:
    """What decides the compiled types of an argument, cheaply: for a named tuple of arrays,
    each field's dtype, dimensions and C-contiguity (numba's ``typeof`` costs ~1 ms here)."""
    if isinstance(a, tuple):
        return (type(a), *(_fingerprint(x) for x in a))
    if isinstance(a, np.ndarray):
        return (a.dtype.str, a.ndim, a.flags.c_contiguous, a.flags.writeable, a.flags.aligned)
    return type(a)


_ENTRIES: dict[tuple[Any, ...], Any] = {}


class _Direct:
    """Call a compiled function through its machine-code entry point.

    A numba dispatcher resolves the argument types at every call (~15 us for the state's named
    tuples, ~1 ms the first time for a new tuple object); the entry point of the resolved
    overload takes 2 us. Whenever an argument tuple is a new object (a new simulator, or arrays
    grown), its fingerprint (dtypes, dimensions, contiguity) picks the entry point compiled for
    exactly those types, resolving through the dispatcher the first time; so a call can never
    reach an overload of other types.
    """

    __slots__ = ("_dispatcher", "_entry", "_objs")

    def __init__(self, dispatcher: Any) -> None:
        self._dispatcher = dispatcher
        self._entry: Any = None
        self._objs: tuple[tuple[int, Any], ...] = ()

    def __call__(self, *args: Any) -> Any:
        entry = self._entry
        if entry is not None:
            for i, obj in self._objs:
                if args[i] is not obj:
                    break
            else:
                return entry(*args)
        d = self._dispatcher
        key = (d, *(_fingerprint(a) for a in args))
        entry = _ENTRIES.get(key)
        if entry is None:
            out = d(*args)
            entry = _ENTRIES[key] = d.overloads[tuple(d.typeof_pyval(a) for a in args)].entry_point
        else:
            out = entry(*args)
        self._entry = entry
        self._objs = tuple((i, a) for i, a in enumerate(args) if isinstance(a, tuple))
        return out


def repeat_call_streams(sim: Simulator) -> tuple[np.random.Generator, ...]:
    """The per-type ``repeat_call`` streams of the CRN contract (every draw made for a repeat
    call). Taken from the reference's streams when they have them; otherwise spawned where the
    contract puts them: the root SeedSequence's next child after ``wrap_up``."""
    own = getattr(sim.streams, "repeat_call", None)
    if own:
        return tuple(own)
    # the root's child n_sources (numpy types seed_seq as the ISeedSequence interface)
    day = cast(np.random.SeedSequence, sim.streams.day.bit_generator.seed_seq)
    n_sources = day.spawn_key[-1]
    ss = np.random.SeedSequence(day.entropy, spawn_key=(*day.spawn_key[:-1], n_sources + 2))
    return tuple(np.random.Generator(np.random.PCG64(c)) for c in ss.spawn(sim.n_types))


def repeat_rows(ref: Simulator, k: int, rs: np.random.Generator, n: int) -> np.ndarray:
    """The next ``n`` rows of type ``k``'s repeat-call table, drawn from its ``repeat_call``
    stream ``rs`` column by column in the order of :class:`rlroute.sim.streams.RepeatCallTable`
    (the CRN contract), as ``[N_RP, n]`` columns for both compiled engines."""
    pat = ref._patience[k]
    rep_k = ref._repeat[k]
    assert rep_k is not None  # only a type with repeat calls has rows to draw
    cols = np.empty((L.N_RP, n))
    cols[L.RP_PAT] = INF if pat is None else pat.sample(rs, n)
    cols[L.RP_SU] = rs.random(n)
    cols[L.RP_RU] = rs.random(n)
    cols[L.RP_BU] = rs.random(n)
    cols[L.RP_REPU] = rs.random(n)
    cols[L.RP_REPD] = rep_k.delay.sample(rs, n)
    cols[L.RP_WRAP] = rs.random(n)
    return cols


def not_ready_requests(
    ref: Simulator,
    streams: RandomStreams,
    i: int,
    heads: Any = None,
    day_factors: Sequence[float] | None = None,
) -> np.ndarray:
    """Interval i's not-ready requests of every group that has them, drawn from the groups'
    ``availability`` streams by the reference's own :func:`draw_not_ready_requests` (the CRN
    contract, step 5), as rows (time, group, pick uniform, length quantile) in the order the
    reference pushes them onto its heap (group by group, each in time order). ``heads[g][i]``:
    the day's head counts (default ``ref._heads``; a batch row's own with day-to-day
    staffing). ``day_factors[g]``: the day's factors of the request rates (default
    ``ref._nr_day``; a batch row's own with ``NotReady.day_shape``)."""
    heads = ref._heads if heads is None else heads
    day_factors = ref._nr_day if day_factors is None else day_factors
    parts = []
    start = i * ref.interval_s
    for g, rates in enumerate(ref._nr_rate):
        if rates is None:
            continue
        times, pick_u, length_q = draw_not_ready_requests(
            streams.availability[g],
            int(heads[g][i]),
            rates[i],
            start,
            ref.interval_s,
            day_factors[g],
        )
        if times.size:
            parts.append(np.stack([times, np.full(times.size, float(g)), pick_u, length_q], 1))
    return np.concatenate(parts) if parts else np.zeros((0, L.N_NQ + 2))


def grow_requests(s: L.State, need: int) -> L.State:
    """``s`` with request rings (``NRB``, of one state or of every row of a batch state) of at
    least ``need`` rows per group, the pending requests kept in their places."""
    cap = s.NRB.shape[-2]
    if need <= cap:
        return s
    size = 2 * need
    ring = np.zeros((*s.NRB.shape[:-2], size, L.N_NQ))
    for idx in np.ndindex(*s.NRB.shape[:-2]):  # (row,) group
        rows = np.arange(s.NRC[(*idx, 0)], s.NRC[(*idx, 1)])
        ring[idx][rows % size] = s.NRB[idx][rows % cap]
    return s._replace(NRB=ring)


def _params(ref: Simulator) -> L.Params:
    sc = ref.scenario
    K, G, n_int = ref.n_types, ref.n_groups, ref.n_intervals
    got = np.zeros((K, max(1, G)), dtype=np.int64)
    tog = np.zeros((G, max(1, K)), dtype=np.int64)
    for k, gs in enumerate(ref.groups_of_type):
        got[k, : len(gs)] = gs
    for g, ks in enumerate(ref.types_of_group):
        tog[g, : len(ks)] = ks
    emp_vals: list[float] = []
    emp_cum: list[float] = []
    ppf_kind = np.full((K, G), L.D_NONE, dtype=np.int64)
    wrap_kind = np.full((K, G), L.D_NONE, dtype=np.int64)
    ppf_par, wrap_par = np.zeros((K, G, 4)), np.zeros((K, G, 4))
    fcr = np.zeros((K, G))
    for k, g in ref.pairs:
        skill = sc.skill(k, g)
        assert skill is not None
        ppf_kind[k, g], ppf_par[k, g] = encode(skill.handle_time, emp_vals, emp_cum)
        wrap_kind[k, g], wrap_par[k, g] = encode(skill.wrap_up, emp_vals, emp_cum)
        fcr[k, g] = ref.fcr[k][g]
    mult = np.ones((K, n_int))
    for k, m in enumerate(ref._handle_mult):
        if m is not None:
            mult[k] = m
    rep = ref._repeat
    return L.Params(
        pk=np.array([k for k, _ in ref.pairs], dtype=np.int64),
        pg=np.array([g for _, g in ref.pairs], dtype=np.int64),
        got=got,
        got_n=np.array([len(x) for x in ref.groups_of_type], dtype=np.int64),
        tog=tog,
        tog_n=np.array([len(x) for x in ref.types_of_group], dtype=np.int64),
        can_balk=np.array(ref._can_balk, dtype=np.int64),
        balk_p=np.array(ref._balk_p, dtype=float),
        balk_len=np.array(ref._balk_len, dtype=float),
        target=np.array(ref.target, dtype=float),
        cost_wait=np.array(ref.cost_wait, dtype=float),
        cost_abandon=np.array(ref.cost_abandon, dtype=float),
        cost_sl_miss=np.array(ref.cost_sl_miss, dtype=float),
        cost_unresolved=np.array(ref.cost_unresolved, dtype=float),
        rep_prob=np.array([0.0 if r is None else r.probability for r in rep], dtype=float),
        has_rep=np.array([r is not None for r in rep], dtype=np.int64),
        wrap_types=np.array(ref._wrap_types, dtype=np.int64),
        ppf_kind=ppf_kind,
        ppf_par=ppf_par,
        wrap_kind=wrap_kind,
        wrap_par=wrap_par,
        fcr=fcr,
        emp_vals=np.array([*emp_vals, 0.0]),
        emp_cum=np.array([*emp_cum, 0.0]),
        mult=mult,
        has_mult=np.array([m is not None for m in ref._handle_mult], dtype=np.int64),
        consts=np.array([ref.horizon, ref.interval_s]),
        n_intervals=n_int,
        nr_len=np.array(
            [[0.0] * n_int if m is None else m for m in ref._nr_length], dtype=float
        ).reshape(G, n_int),
    )


def _state(K: int, G: int, n_int: int, agents: int, record: bool) -> L.State:
    calls, heap, queue, log = 1024, 1024 + 4 * agents, 256, 4096 if record else 1
    I = np.zeros(L.N_I, dtype=np.int64)  # noqa: E741
    I[L.I_INTERVAL] = -1
    I[L.I_FREE_N] = calls
    I[L.I_UNARMED_SLOT] = I[L.I_UNARMED_ID] = -1
    I[L.I_RECORD] = int(record)
    F = np.zeros(L.N_F)
    F[L.F_T_ARR] = INF
    return L.State(
        F=F,
        I=I,
        CF=np.zeros((calls, L.N_CF)),
        CI=np.full((calls, L.N_CI), -1, dtype=np.int64),
        FREE=np.arange(calls - 1, -1, -1, dtype=np.int64),
        AF=np.zeros((agents, L.N_AF)),
        AI=np.zeros((agents, L.N_AI), dtype=np.int64),
        HT=np.zeros(heap),
        HI=np.zeros((heap, 4), dtype=np.int64),
        QB=np.zeros((2, K, queue), dtype=np.int64),
        QC=np.zeros((K, 3), dtype=np.int64),
        GB=np.zeros((G, agents), dtype=np.int64),
        GC=np.zeros((G, L.N_GC), dtype=np.int64),
        ARR=np.zeros((1, L.N_AR)),
        REP=np.zeros((K, L.N_RP, 2 * L.REPEAT_BLOCK)),
        REPC=np.zeros((K, 2), dtype=np.int64),
        CNT=np.zeros((K, n_int, L.N_C), dtype=np.int64),
        SUM=np.zeros((K, n_int, L.N_S)),
        HIST=np.zeros((K, HIST_MAX_S + 1), dtype=np.int64),
        QT=np.zeros(256),
        QTO=np.full(256, -1, dtype=np.int64),
        LF=np.zeros((L.N_LF, log)),
        LI=np.zeros((L.N_LI, log), dtype=np.int64),
        NRB=np.zeros((G, 8, L.N_NQ)),
        NRC=np.zeros((G, 2), dtype=np.int64),
    )


def _grow_last(a: np.ndarray, size: int, fill: float = 0) -> np.ndarray:
    out = np.full((*a.shape[:-1], size), fill, dtype=a.dtype)
    out[..., : a.shape[-1]] = a
    return out


def _grow_rows(a: np.ndarray, size: int, fill: float = 0) -> np.ndarray:
    """``a`` with its second-to-last axis (the slot axis of a slot-major table) grown."""
    out = np.full((*a.shape[:-2], size, a.shape[-1]), fill, dtype=a.dtype)
    out[..., : a.shape[-2], :] = a
    return out


def _grow_ring(buf: np.ndarray, starts: np.ndarray, sizes: np.ndarray, size: int) -> np.ndarray:
    """A copy of ring buffers ``buf[..., row, :]`` laid out from 0 (starts become 0)."""
    cap = buf.shape[-1]
    out = np.zeros((*buf.shape[:-1], size), dtype=buf.dtype)
    for row in range(buf.shape[-2]):
        idx = (starts[row] + np.arange(sizes[row])) % cap
        out[..., row, : sizes[row]] = buf[..., row, idx]
    starts[:] = 0
    return out


class FastSimulator:
    """The compiled engine behind the reference :class:`~rlroute.sim.Simulator`'s interface
    (``run``, ``advance``/``step``, ``report``, ``call_log``), for one replication.

    ``arrivals``: as the reference's, a replay of given first-time arrival times per call
    type (a real day's) instead of drawn ones, with the same per-call numbers.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence = 0,
        *,
        record_calls: bool = False,
        arrivals: Sequence[Sequence[float] | np.ndarray] | None = None,
    ) -> None:
        self.scenario = scenario
        # The reference simulator of the same seed: its streams and scenario-derived tables
        # are the fast engine's (it never runs); it validates and keeps replayed arrivals.
        self.ref = ref = Simulator(scenario, seed, arrivals=arrivals)
        self.streams = ref.streams
        self.n_types, self.n_groups = ref.n_types, ref.n_groups
        self.pairs, self.HOLD, self.n_actions = ref.pairs, ref.HOLD, ref.n_actions
        self.params = _params(ref)
        # (the schedule's peak: a day's staffing factor may exceed it; _boundary then grows)
        peak = max((sum(h[i] for h in ref._heads) for i in range(ref.n_intervals)), default=0)
        self.state = _state(
            ref.n_types, ref.n_groups, ref.n_intervals, max(8, 2 * peak), record_calls
        )
        self.record_calls = record_calls
        self._repeat_streams = repeat_call_streams(ref)
        self.router_arrays = compile_router(None, ref)  # R_PYTHON until run() says otherwise
        self._rng: np.random.Generator | None = None
        self._block, self._n_blocks = 0, 0
        self._booked = (0.0, 0.0, 0.0)
        self.interval_busy = [0.0] * ref.n_intervals
        self.interval_present = [0.0] * ref.n_intervals
        self.interval_queue = [0.0] * ref.n_intervals
        self.interval_not_ready = [0.0] * ref.n_intervals
        self._booked_not_ready = 0.0
        self.unserved = [0] * ref.n_types
        self.log_chunks_f: list[np.ndarray] = []
        self.log_chunks_i: list[np.ndarray] = []
        self._unserved_log: list[tuple[Any, ...]] = []
        self._finished = False
        self._started = False
        self._router: Any = None
        self._advance, self._room_ok = _Direct(advance), _Direct(room_ok)
        self._step_assign = _Direct(step_assign)
        self._push = _Direct(push_requests)
        self._head, self._lis = _Direct(head_arrival), _Direct(longest_idle_since)

    # ------------------------------------------------------------------ drivers
    def run(self, router: Any) -> KPIReport:
        """Simulate the horizon with ``router`` (compiled when it has a twin, else asked at
        every epoch); the reference's ``run`` decisions, numbers and call log."""
        ref = self.ref
        router.reset(ref)
        shortcut = (
            len(ref.pairs) == 1
            and not ref.has_wrap_up
            and not ref.has_handle_profile
            and getattr(type(router), "assigns_whenever_possible", False)
        )
        self.router_arrays = compile_router(router, ref, shortcut=shortcut)
        if self.router_arrays.kind == L.R_RANDOM:
            self._rng = router._rng
        if self.router_arrays.kind == L.R_PYTHON:
            view = SimulatorView(self)
            act = router.act
            while self.advance():
                self.step(act(view))
        else:
            self._drive(L.EN_START)
        return self.report()

    def advance(self) -> bool:
        """Run to the next decision epoch (True) or the end (False); for a Python router."""
        if self._finished:
            return False
        return self._drive(L.EN_START)

    def step(self, action: int) -> None:
        """Apply one decision: assign ``pairs[action]`` or hold."""
        s = self.state
        if action == self.HOLD:
            s.I[L.I_HELD] = 1
            return
        if not 0 <= action < self.HOLD:
            raise ValueError(f"action {action} outside 0..{self.HOLD} (HOLD={self.HOLD})")
        k, g = self.pairs[action]
        if not s.QC[k, L.QC_LEN] or not s.GC[g, L.GC_SIZE]:
            raise ValueError(
                f"action {action} = (type {self.scenario.type_names[k]!r}, group "
                f"{self.scenario.group_names[g]!r}) is not possible now"
            )
        # No room check: the loop checked before the event that opened this epoch that there
        # is room for one decision per agent, and each step takes an idle agent.
        self._step_assign(self.state, self.params, action)

    def _drive(self, entry: int) -> bool:
        room = not self._started  # later epochs: the loop checked room before their event
        self._started = True
        while True:
            if room:
                self._make_room()
            room = True
            st = self._advance(self.state, self.params, self.router_arrays, entry)
            if st == L.ST_EPOCH:
                return True
            if st == L.ST_ROOM:
                entry = L.EN_LOOP
            elif st == L.ST_BOUNDARY:
                self._boundary()
                entry = L.EN_AFTER_BOUNDARY
            else:
                self._finish()
                return False

    # ------------------------------------------------------------------ boundaries
    def _boundary(self) -> None:
        """The reference's ``_boundary``: next block, or close the interval, staff the next
        one and open its first block, or start the drain."""
        ref, s = self.ref, self.state
        if self._block + 1 < self._n_blocks:
            self._block += 1
            self._open_block()
            return
        i = int(s.I[L.I_INTERVAL])
        if i >= 0:
            self._close_interval(i)
        i += 1
        s.I[L.I_INTERVAL] = i
        if i >= ref.n_intervals:
            s.I[L.I_DRAINING] = 1
            s.F[L.F_T_BND] = INF
            return
        if i % ref._ipd == 0:
            day = ref.streams.day
            ref._day_mult = [
                1.0 if shape is None else float(day.gamma(shape, 1.0 / shape))
                for shape in ref._day_shape
            ]
            ref._draw_day_staffing(i)  # the same draws, into ref._heads
            ref._draw_not_ready_day()  # the same draws, into ref._nr_day
        need = int(s.I[L.I_N_AGENTS]) + sum(h[i] for h in ref._heads)
        if need > s.AI.shape[0]:
            self._grow_agents(2 * need)
            s = self.state
        for g in range(ref.n_groups):
            staff(s, g, ref._heads[g][i])
        if ref.has_not_ready:
            self._push_requests(i)
            s = self.state
        expected = sum(r[i] * m for r, m in zip(ref._rates, ref._day_mult)) * ref.interval_s
        self._n_blocks = max(1, math.ceil(expected / _BLOCK_CALLS))
        self._block = 0
        self._open_block()

    def _push_requests(self, i: int) -> None:
        """The reference's ``_draw_not_ready``: interval i's not-ready requests drawn and
        pushed onto the heap (after making room for them)."""
        table = not_ready_requests(self.ref, self.ref.streams, i)
        if not table.shape[0]:
            return
        s = self.state
        count = np.bincount(table[:, 1].astype(np.int64), minlength=s.NRC.shape[0])
        s = grow_requests(s, int((s.NRC[:, 1] - s.NRC[:, 0] + count).max()))
        na = int(s.I[L.I_N_AGENTS])
        if s.HT.shape[0] - s.I[L.I_HEAP_N] < table.shape[0] + 2 * na + 4:
            size = 2 * (s.HT.shape[0] + table.shape[0] + 2 * na + 4)
            s = s._replace(HT=_grow_last(s.HT, size), HI=_grow_rows(s.HI, size))
        self.state = s
        self._push(s, table, 0, table.shape[0])

    def _open_block(self) -> None:
        ref, s = self.ref, self.state
        i, j, m = int(s.I[L.I_INTERVAL]), self._block, self._n_blocks
        length = ref.interval_s / m
        start = i * ref.interval_s + j * length
        s.F[L.F_T_BND] = (i + 1) * ref.interval_s if j + 1 == m else start + length
        batches, wraps = ref._block_draws(i, start, length)
        n = sum(b[-1] for b in batches)
        if n > self.state.ARR.shape[0]:
            self.state = s = s._replace(ARR=np.zeros((2 * n, L.N_AR)))
        arr = s.ARR
        if batches:
            cols = [
                np.concatenate(parts)
                for parts in zip(
                    *(
                        (
                            t,
                            np.full(nb, float(k)),
                            p,
                            su,
                            ru,
                            bu,
                            repu,
                            np.zeros(nb) if rd is None else rd,
                        )
                        for t, k, p, su, ru, bu, repu, rd, nb in batches
                    )
                )
            ]
            order = np.argsort(cols[0], kind="stable")
            for row, c in enumerate(cols):
                arr[:n, row] = c[order]
            arr[:n, L.AR_WRAP] = np.concatenate(wraps)[order] if wraps else 0.0
        s.I[L.I_ARR_POS] = 0
        s.I[L.I_ARR_N] = n
        s.F[L.F_T_ARR] = arr[0, L.AR_T] if n else INF

    def _close_interval(self, i: int) -> None:
        F = self.state.F
        busy, present, queue = F[L.F_BUSY_AREA], F[L.F_PRESENT_AREA], F[L.F_QUEUE_AREA]
        self.interval_busy[i] = float(busy - self._booked[0])
        self.interval_present[i] = float(present - self._booked[1])
        self.interval_queue[i] = float(queue - self._booked[2])
        self._booked = (busy, present, queue)
        not_ready = F[L.F_NR_AREA]
        self.interval_not_ready[i] = float(not_ready - self._booked_not_ready)
        self._booked_not_ready = not_ready

    def _finish(self) -> None:
        s, ref = self.state, self.ref
        i = int(s.I[L.I_INTERVAL])
        if 0 <= i < ref.n_intervals and not s.I[L.I_DRAINING]:
            self._close_interval(i)
        s.I[L.I_FINISHED] = 1
        self._finished = True
        now = float(s.F[L.F_NOW])
        cap = s.QB.shape[2]
        for k in range(ref.n_types):
            for j in range(s.QC[k, L.QC_SIZE]):
                idx = (s.QC[k, L.QC_START] + j) % cap
                slot, cid = s.QB[0, k, idx], s.QB[1, k, idx]
                if s.CI[slot, L.CI_ID] != cid or s.CI[slot, L.CI_STATE] != WAITING:
                    continue
                self.unserved[k] += 1
                arrival = float(s.CF[slot, L.CF_ARRIVAL])
                if self.record_calls:
                    self._unserved_log.append(
                        (
                            int(cid),
                            int(s.CI[slot, L.CI_CUSTOMER]),
                            self.scenario.type_names[k],
                            bool(s.CI[slot, L.CI_IS_REPEAT]),
                            arrival,
                            "unserved",
                            now - arrival,
                            float(s.CF[slot, L.CF_PATIENCE]),
                            math.nan,
                            math.nan,
                            math.nan,
                            math.nan,
                            None,
                            -1,
                            False,
                        )
                    )

    # ------------------------------------------------------------------ room
    def _make_room(self) -> None:
        s, p, r = self.state, self.params, self.router_arrays
        if self._room_ok(s, p, r):
            return
        na = int(s.I[L.I_N_AGENTS])
        if s.HT.shape[0] - s.I[L.I_HEAP_N] < 2 * na + 4:
            size = 2 * (s.HT.shape[0] + 2 * na + 4)
            s = s._replace(HT=_grow_last(s.HT, size), HI=_grow_rows(s.HI, size))
        if s.I[L.I_FREE_N] < na + 2:
            old = s.CF.shape[0]
            size = 2 * (old + na + 2)
            free = np.zeros(size, dtype=np.int64)
            n_free = int(s.I[L.I_FREE_N])
            free[:n_free] = s.FREE[:n_free]
            free[n_free : n_free + size - old] = np.arange(size - 1, old - 1, -1)
            s.I[L.I_FREE_N] = n_free + size - old
            s = s._replace(CF=_grow_rows(s.CF, size), CI=_grow_rows(s.CI, size, -1), FREE=free)
        if (s.QB.shape[2] - s.QC[:, L.QC_SIZE]).min() < 2:
            size = 2 * s.QB.shape[2]
            s = s._replace(QB=_grow_ring(s.QB, s.QC[:, L.QC_START], s.QC[:, L.QC_SIZE], size))
        if s.I[L.I_RECORD] and s.LF.shape[1] - s.I[L.I_LOG_N] < na + 2:
            n = int(s.I[L.I_LOG_N])
            self.log_chunks_f.append(s.LF[:, :n].copy())
            self.log_chunks_i.append(s.LI[:, :n].copy())
            s.I[L.I_LOG_N] = 0
            if s.LF.shape[1] < na + 2:
                s = s._replace(
                    LF=np.zeros((L.N_LF, 2 * (na + 2))),
                    LI=np.zeros((L.N_LI, 2 * (na + 2)), dtype=np.int64),
                )
        for k in range(self.n_types):
            if p.has_rep[k]:
                while s.REPC[k, 1] - s.REPC[k, 0] < na + 1:
                    s = self._draw_repeat_rows(s, k)
        if r.kind == L.R_RANDOM and s.I[L.I_RAND_N] - s.I[L.I_RAND_POS] < na + 1:
            assert self._rng is not None
            pos, n = int(s.I[L.I_RAND_POS]), int(s.I[L.I_RAND_N])
            size = max(_RANDOM_BLOCK, na + 1)
            rand = np.concatenate([r.rand[pos:n], self._rng.random(size)])
            self.router_arrays = r._replace(rand=rand)
            s.I[L.I_RAND_POS], s.I[L.I_RAND_N] = 0, rand.shape[0]
        if s.QT.shape[0] < s.I[L.I_QTOTAL] + 3:
            size = 2 * (s.QT.shape[0] + 3)
            s = s._replace(QT=_grow_last(s.QT, size), QTO=_grow_last(s.QTO, size, -1))
        self.state = s

    def _draw_repeat_rows(self, s: L.State, k: int) -> L.State:
        """One block of the repeat-call table of type k, drawn column by column from its
        ``repeat_call`` stream (the CRN contract: the n-th repeat call of type k takes row n)."""
        taken, drawn = int(s.REPC[k, 0]), int(s.REPC[k, 1])
        cap = s.REP.shape[2]
        if drawn + L.REPEAT_BLOCK - taken > cap:
            size = 2 * (drawn + L.REPEAT_BLOCK - taken)
            rep = np.zeros((s.REP.shape[0], L.N_RP, size))
            for kk in range(s.REP.shape[0]):
                rows = np.arange(s.REPC[kk, 0], s.REPC[kk, 1])
                rep[kk][:, rows % size] = s.REP[kk][:, rows % cap]
            s = s._replace(REP=rep)
            cap = size
        rs = self._repeat_streams[k]
        n = L.REPEAT_BLOCK
        cols = repeat_rows(self.ref, k, rs, n)
        s.REP[k][:, np.arange(drawn, drawn + n) % cap] = cols
        s.REPC[k, 1] = drawn + n
        return s

    def _grow_agents(self, size: int) -> None:
        s = self.state
        self.state = s._replace(
            AF=_grow_rows(s.AF, size),
            AI=_grow_rows(s.AI, size),
            GB=_grow_ring(s.GB[None], s.GC[:, L.GC_START], s.GC[:, L.GC_SIZE], size)[0],
        )

    # ------------------------------------------------------------------ results
    @property
    def now(self) -> float:
        return float(self.state.F[L.F_NOW])

    @property
    def cost(self) -> float:
        return float(self.state.F[L.F_COST])

    @property
    def n_decisions(self) -> int:
        return int(self.state.I[L.I_N_DECISIONS])

    def report(self) -> KPIReport:
        return build_report(self)

    def call_log(self) -> Any:
        if not self.record_calls:
            raise RuntimeError("the per-call log was not recorded: pass record_calls=True")
        return build_call_log(self, self._unserved_log)


class _Head(SimpleNamespace):
    pass


class SimulatorView:
    """What a Python router (or the env's observer) reads of a reference Simulator, served
    from the fast engine's arrays: ``now``, ``queue_len``, ``idle_count``, ``head_arrival``,
    ``longest_idle_since``, ``queues[k][0]``, ``wrap_up_count``, ``not_ready_count`` and the
    static tables."""

    # The static tables, copied from the reference Simulator in __init__ (same types).
    scenario: Scenario
    pairs: list[tuple[int, int]]
    HOLD: int
    n_actions: int
    n_types: int
    n_groups: int
    mean_handle: list[list[float]]
    mean_agent_time: list[list[float]]
    mean_wrap_up: list[list[float]]
    fcr: list[list[float]]
    target: list[float]
    cost_wait: list[float]
    cost_abandon: list[float]
    cost_sl_miss: list[float]
    cost_unresolved: list[float]
    groups_of_type: list[list[int]]
    types_of_group: list[list[int]]
    streams: RandomStreams
    interval_s: float
    n_intervals: int
    horizon: float
    has_wrap_up: bool
    has_handle_profile: bool
    has_not_ready: bool

    def __init__(self, fast: FastSimulator) -> None:
        self._fast = fast
        ref = fast.ref
        for name in (
            "scenario",
            "pairs",
            "HOLD",
            "n_actions",
            "n_types",
            "n_groups",
            "mean_handle",
            "mean_agent_time",
            "mean_wrap_up",
            "fcr",
            "target",
            "cost_wait",
            "cost_abandon",
            "cost_sl_miss",
            "cost_unresolved",
            "groups_of_type",
            "types_of_group",
            "streams",
            "interval_s",
            "n_intervals",
            "horizon",
            "has_wrap_up",
            "has_handle_profile",
            "has_not_ready",
        ):
            setattr(self, name, getattr(ref, name))

    @property
    def now(self) -> float:
        return float(self._fast.state.F[L.F_NOW])

    @property
    def queue_len(self) -> list[int]:
        return self._fast.state.QC[:, L.QC_LEN].tolist()

    @property
    def idle_count(self) -> list[int]:
        return self._fast.state.GC[:, L.GC_SIZE].tolist()

    @property
    def wrap_up_count(self) -> list[int]:
        return self._fast.state.GC[:, L.GC_WRAP].tolist()

    @property
    def not_ready_count(self) -> list[int]:
        return self._fast.state.GC[:, L.GC_NR].tolist()

    @property
    def cost(self) -> float:
        return self._fast.cost

    @property
    def queues(self) -> list[list[_Head]]:
        """Each queue's head only (what the observer reads), as an already waiting call."""
        out = []
        for k in range(self.n_types):
            t = self.head_arrival(k)
            out.append([] if t == INF else [_Head(arrival=t, state=WAITING)])
        return out

    def head_arrival(self, k: int) -> float:
        return float(self._fast._head(self._fast.state, k))

    def waiting_arrivals(self, k: int) -> Any:
        """Arrival times of the calls of type ``k`` still waiting, in queue order (the queue
        ring with its stale entries skipped), as the reference's ``queues[k]`` gives them;
        a generator, read lazily (the env's observation v2 stops early)."""
        s = self._fast.state
        cap = s.QB.shape[2]
        start, size = int(s.QC[k, L.QC_START]), int(s.QC[k, L.QC_SIZE])
        for i in range(size):
            j = (start + i) % cap
            slot, cid = int(s.QB[0, k, j]), int(s.QB[1, k, j])
            if slot >= 0 and s.CI[slot, L.CI_ID] == cid and s.CI[slot, L.CI_STATE] == L.WAITING:
                yield float(s.CF[slot, L.CF_ARRIVAL])

    def longest_idle_since(self, g: int) -> float:
        return float(self._fast._lis(self._fast.state, g))

    def decision_possible(self) -> bool:
        return bool(decision_possible(self._fast.state, self._fast.params))

    def action_mask(self, work_conserving: bool = True) -> np.ndarray:
        qlen, idle = self.queue_len, self.idle_count
        mask = np.zeros(self.n_actions, dtype=np.bool_)
        for a, (k, g) in enumerate(self.pairs):
            if qlen[k] and idle[g]:
                mask[a] = True
        mask[self.HOLD] = not work_conserving or not mask.any()
        return mask


__all__ = ["FastSimulator", "SimulatorView", "not_ready_requests", "repeat_call_streams"]
