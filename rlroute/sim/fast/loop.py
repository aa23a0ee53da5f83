"""The compiled event loop: the reference's ``advance``/``_decide``/``_assign`` over arrays.

Each function mirrors its namesake in :mod:`rlroute.sim.engine` statement by statement (the
same events in the same order, the same heap pushes with the same sequence numbers, the same
floating-point operations in the same order), which is what makes the call-by-call equality
with the reference possible. The loop returns to the Python driver (:mod:`.simulator`) at
interval/block boundaries (new staffing and the next arrival block are set there), when an
array needs more room, at decision epochs of a Python router, and at the end.
"""

from __future__ import annotations

import math

from rlroute.sim.fast._jit import compiled, inlined
from rlroute.sim.fast.dists import ppf
from rlroute.sim.fast.layout import (
    ABANDONED,
    AF_BUSY_TIME,
    AF_IDLE_SINCE,
    AF_NR,
    AF_NR_TIME,
    AF_WRAP,
    AF_WRAP_UP_TIME,
    AI_GROUP,
    AI_IN_WRAP_UP,
    AI_LEAVING,
    AI_N_SERVED,
    AI_NOT_READY,
    AI_NR_PEND,
    AI_PRESENT,
    AI_TALKING,
    AR_BU,
    AR_K,
    AR_PAT,
    AR_REPD,
    AR_REPU,
    AR_RU,
    AR_SU,
    AR_T,
    AR_WRAP,
    C_ABANDONED,
    C_ABANDONED_WITHIN,
    C_ANSWERED,
    C_BALKED,
    C_IMMEDIATE,
    C_OFFERED,
    C_REPEATS,
    C_RESOLVED,
    C_WITHIN,
    CF_ARRIVAL,
    CF_BALK_U,
    CF_PATIENCE,
    CF_REP_DELAY,
    CF_REP_U,
    CF_RESOLVE_U,
    CF_SERVICE_U,
    CF_WRAP_U,
    CI_CUSTOMER,
    CI_ID,
    CI_INTERVAL,
    CI_IS_REPEAT,
    CI_STATE,
    CI_TYPE,
    D_NONE,
    EN_AFTER_BOUNDARY,
    EN_LOOP,
    EV_ABANDON,
    EV_NR_END,
    EV_NR_REQUEST,
    EV_REPEAT,
    EV_SERVICE_END,
    EV_TALK_END,
    EV_WRAP_END,
    F_BUSY_AREA,
    F_COST,
    F_NOW,
    F_NR_AREA,
    F_PRESENT_AREA,
    F_QUEUE_AREA,
    F_T_ARR,
    F_T_BND,
    F_WAIT_RATE,
    GC_NR,
    GC_SIZE,
    GC_WRAP,
    I_ARR_N,
    I_ARR_POS,
    I_BUSY,
    I_DRAINING,
    I_FINISHED,
    I_FREE_N,
    I_FULL_CHECK,
    I_HEAP_N,
    I_HELD,
    I_INTERVAL,
    I_LOG_N,
    I_N_AGENTS,
    I_N_DECISIONS,
    I_NEXT_CALL_ID,
    I_NR_TOTAL,
    I_PRESENT,
    I_QT_N,
    I_QTOTAL,
    I_RAND_N,
    I_RAND_POS,
    I_RECORD,
    I_UNARMED_ID,
    I_UNARMED_SLOT,
    LF_ARRIVAL,
    LF_HANDLE,
    LF_PATIENCE,
    LF_T,
    LF_WAIT,
    LF_WRAP_UP,
    LI_AGENT,
    LI_CALL_ID,
    LI_CUSTOMER,
    LI_GROUP,
    LI_IS_REPEAT,
    LI_OUTCOME,
    LI_RESOLVED,
    LI_TYPE,
    NQ_Q,
    NQ_U,
    OUT_ABANDONED,
    OUT_ANSWERED,
    OUT_BALKED,
    QC_LEN,
    QC_SIZE,
    R_PYTHON,
    R_RANDOM,
    RP_BU,
    RP_PAT,
    RP_REPD,
    RP_REPU,
    RP_RU,
    RP_SU,
    RP_WRAP,
    S_HANDLE,
    S_WAIT_ALL,
    S_WAIT_ANSWERED,
    S_WRAP_UP,
    SERVED,
    ST_BOUNDARY,
    ST_END,
    ST_EPOCH,
    ST_ROOM,
    WAITING,
)
from rlroute.sim.fast.rings import (
    alloc_call,
    free_call,
    heap_pop,
    heap_push,
    heap_top,
    idle_append,
    idle_pop,
    idle_popleft,
    idle_remove,
    is_waiting,
    queue_append,
    queue_popleft,
)
from rlroute.sim.fast.routers import act

INF = math.inf
HIST_MAX_S = 3600  # kpis.HIST_MAX_S


# ------------------------------------------------------------------ room and small predicates
@compiled
def room_ok(s, p, r) -> bool:
    """Enough free space for one more event and the decisions it may open (each decision
    takes an idle agent, so at most one per agent): otherwise the driver grows or refills."""
    na = s.I[I_N_AGENTS]
    if s.HT.shape[0] - s.I[I_HEAP_N] < 2 * na + 4:
        return False
    if s.I[I_FREE_N] < na + 2:
        return False
    cap = s.QB.shape[2]
    for k in range(s.QC.shape[0]):
        if cap - s.QC[k, QC_SIZE] < 2:
            return False
        if p.has_rep[k] and s.REPC[k, 1] - s.REPC[k, 0] < na + 1:
            return False
    if s.I[I_RECORD] and s.LF.shape[1] - s.I[I_LOG_N] < na + 2:
        return False
    if r.kind == R_RANDOM and s.I[I_RAND_N] - s.I[I_RAND_POS] < na + 1:
        return False
    return s.QT.shape[0] >= s.I[I_QTOTAL] + 3


@compiled
def decision_possible(s, p) -> bool:
    for a in range(p.pk.shape[0]):  # noqa: SIM110 - numba has no any(genexpr)
        if s.QC[p.pk[a], QC_LEN] and s.GC[p.pg[a], GC_SIZE]:
            return True
    return False


@compiled
def _log(
    s,
    slot: int,
    outcome: int,
    wait: float,
    t: float,
    handle: float,
    g: int,
    agent: int,
    resolved: int,
) -> int:
    n = s.I[I_LOG_N]
    s.I[I_LOG_N] = n + 1
    s.LF[LF_ARRIVAL, n] = s.CF[slot, CF_ARRIVAL]
    s.LF[LF_WAIT, n] = wait
    s.LF[LF_PATIENCE, n] = s.CF[slot, CF_PATIENCE]
    s.LF[LF_T, n] = t
    s.LF[LF_HANDLE, n] = handle
    s.LF[LF_WRAP_UP, n] = 0.0 if outcome == OUT_ANSWERED else math.nan
    s.LI[LI_CALL_ID, n] = s.CI[slot, CI_ID]
    s.LI[LI_CUSTOMER, n] = s.CI[slot, CI_CUSTOMER]
    s.LI[LI_TYPE, n] = s.CI[slot, CI_TYPE]
    s.LI[LI_IS_REPEAT, n] = s.CI[slot, CI_IS_REPEAT]
    s.LI[LI_OUTCOME, n] = outcome
    s.LI[LI_GROUP, n] = g
    s.LI[LI_AGENT, n] = agent
    s.LI[LI_RESOLVED, n] = resolved
    return n


# ------------------------------------------------------------------ event handlers
@compiled
def _balks(s, p, k: int, balk_u: float) -> bool:
    for j in range(p.got_n[k]):
        if s.GC[p.got[k, j], GC_SIZE]:
            return False
    return balk_u < p.balk_p[k] or s.QC[k, QC_LEN] >= p.balk_len[k]


@compiled
def _balk(s, p, slot: int) -> None:
    k, i = s.CI[slot, CI_TYPE], s.CI[slot, CI_INTERVAL]
    s.CI[slot, CI_STATE] = ABANDONED
    s.F[F_COST] += p.cost_abandon[k]
    s.CNT[k, i, C_BALKED] += 1
    s.CNT[k, i, C_ABANDONED_WITHIN] += 1
    if s.I[I_RECORD]:
        _log(s, slot, OUT_BALKED, 0.0, s.F[F_NOW], math.nan, -1, -1, 0)
    free_call(s, slot)


@compiled
def _join(s, p, k: int, slot: int) -> None:
    queue_append(s, k, slot, s.CI[slot, CI_ID])
    s.QC[k, QC_LEN] += 1
    s.I[I_QTOTAL] += 1
    s.F[F_WAIT_RATE] += p.cost_wait[k]


@compiled
def _offer(s, p, slot: int) -> bool:
    """A repeat call arrives: it balks (False) or joins its queue (True)."""
    k, i = s.CI[slot, CI_TYPE], s.CI[slot, CI_INTERVAL]
    s.CNT[k, i, C_OFFERED] += 1
    if s.CI[slot, CI_IS_REPEAT]:
        s.CNT[k, i, C_REPEATS] += 1
    if p.can_balk[k] and _balks(s, p, k, s.CF[slot, CF_BALK_U]):
        _balk(s, p, slot)
        return False
    _join(s, p, k, slot)
    return True


@compiled
def _abandon(s, p, slot: int) -> None:
    k, i = s.CI[slot, CI_TYPE], s.CI[slot, CI_INTERVAL]
    s.CI[slot, CI_STATE] = ABANDONED
    s.QC[k, QC_LEN] -= 1
    s.I[I_QTOTAL] -= 1
    s.F[F_WAIT_RATE] -= p.cost_wait[k]
    s.F[F_COST] += p.cost_abandon[k]
    now = s.F[F_NOW]
    wait = now - s.CF[slot, CF_ARRIVAL]
    s.CNT[k, i, C_ABANDONED] += 1
    if wait <= p.target[k]:
        s.CNT[k, i, C_ABANDONED_WITHIN] += 1
    s.SUM[k, i, S_WAIT_ALL] += wait
    if s.I[I_RECORD]:
        _log(s, slot, OUT_ABANDONED, wait, now, math.nan, -1, -1, 0)
    free_call(s, slot)


@compiled
def _schedule_repeat(s, p, k: int, customer: int, t_back: float) -> None:
    """The next repeat call of type k, with the next row of its repeat-call table."""
    cid = s.I[I_NEXT_CALL_ID]
    s.I[I_NEXT_CALL_ID] = cid + 1
    row = s.REPC[k, 0]
    s.REPC[k, 0] = row + 1
    j = row % s.REP.shape[2]
    slot = alloc_call(s)
    s.CI[slot, CI_ID] = cid
    s.CI[slot, CI_TYPE] = k
    s.CI[slot, CI_INTERVAL] = min(int(t_back // p.consts[1]), p.n_intervals - 1)
    s.CI[slot, CI_CUSTOMER] = customer
    s.CI[slot, CI_IS_REPEAT] = 1
    s.CI[slot, CI_STATE] = WAITING
    s.CF[slot, CF_ARRIVAL] = t_back
    s.CF[slot, CF_PATIENCE] = s.REP[k, RP_PAT, j]
    s.CF[slot, CF_SERVICE_U] = s.REP[k, RP_SU, j]
    s.CF[slot, CF_RESOLVE_U] = s.REP[k, RP_RU, j]
    s.CF[slot, CF_BALK_U] = s.REP[k, RP_BU, j]
    s.CF[slot, CF_REP_U] = s.REP[k, RP_REPU, j]
    s.CF[slot, CF_REP_DELAY] = s.REP[k, RP_REPD, j]
    s.CF[slot, CF_WRAP_U] = s.REP[k, RP_WRAP, j]
    heap_push(s, t_back, EV_REPEAT, slot, cid)


@inlined
def assign(s, p, k: int, g: int) -> None:
    """The reference's ``_assign(k, g, None)``: the oldest waiting call of type k to the
    longest-idle agent of group g, with the answer's KPIs, cost, log and follow-up events."""
    slot = queue_popleft(s, k)
    agent = idle_popleft(s, g)
    now = s.F[F_NOW]
    s.QC[k, QC_LEN] -= 1
    s.I[I_QTOTAL] -= 1
    s.F[F_WAIT_RATE] -= p.cost_wait[k]
    s.CI[slot, CI_STATE] = SERVED
    wait = now - s.CF[slot, CF_ARRIVAL]
    handle = ppf(p.ppf_kind[k, g], p.ppf_par[k, g], s.CF[slot, CF_SERVICE_U], p.emp_vals, p.emp_cum)
    i = s.CI[slot, CI_INTERVAL]
    if p.has_mult[k]:
        handle *= p.mult[k, i]
    resolved = s.CF[slot, CF_RESOLVE_U] < p.fcr[k, g]
    s.CNT[k, i, C_ANSWERED] += 1
    if wait > p.target[k]:
        s.F[F_COST] += p.cost_sl_miss[k]
    else:
        s.CNT[k, i, C_WITHIN] += 1
    if resolved:
        s.CNT[k, i, C_RESOLVED] += 1
    else:
        s.F[F_COST] += p.cost_unresolved[k]
    s.SUM[k, i, S_WAIT_ANSWERED] += wait
    s.SUM[k, i, S_WAIT_ALL] += wait
    s.SUM[k, i, S_HANDLE] += handle
    s.HIST[k, int(wait) if wait < HIST_MAX_S else HIST_MAX_S] += 1
    if wait == 0.0:
        s.CNT[k, i, C_IMMEDIATE] += 1
    row = -1
    if s.I[I_RECORD]:
        row = _log(s, slot, OUT_ANSWERED, wait, now, handle, g, agent, 1 if resolved else 0)
    s.AI[agent, AI_TALKING] = 1
    s.AI[agent, AI_N_SERVED] += 1
    s.I[I_BUSY] += 1
    wk = p.wrap_kind[k, g]
    if wk == D_NONE:
        s.AF[agent, AF_BUSY_TIME] += handle
        heap_push(s, now + handle, EV_SERVICE_END, agent, 0)
    else:
        wrap = ppf(wk, p.wrap_par[k, g], s.CF[slot, CF_WRAP_U], p.emp_vals, p.emp_cum)
        s.AF[agent, AF_WRAP] = wrap
        s.AF[agent, AF_BUSY_TIME] += handle + wrap
        s.AF[agent, AF_WRAP_UP_TIME] += wrap
        s.SUM[k, i, S_WRAP_UP] += wrap
        if row >= 0:
            s.LF[LF_WRAP_UP, row] = wrap
        heap_push(s, now + handle, EV_TALK_END, agent, 0)
    if not resolved and p.has_rep[k] and s.CF[slot, CF_REP_U] < p.rep_prob[k]:
        t_back = now + handle + s.CF[slot, CF_REP_DELAY]
        if t_back < p.consts[0]:
            _schedule_repeat(s, p, k, s.CI[slot, CI_CUSTOMER], t_back)
    free_call(s, slot)


@compiled
def _after_call(s, p, kind: int, agent: int) -> bool:
    g = s.AI[agent, AI_GROUP]
    if kind == EV_TALK_END:
        s.AI[agent, AI_TALKING] = 0
        s.AI[agent, AI_IN_WRAP_UP] = 1
        s.GC[g, GC_WRAP] += 1
        heap_push(s, s.F[F_NOW] + s.AF[agent, AF_WRAP], EV_WRAP_END, agent, 0)
        return False
    s.AI[agent, AI_IN_WRAP_UP] = 0
    s.GC[g, GC_WRAP] -= 1
    s.I[I_BUSY] -= 1
    if s.AI[agent, AI_LEAVING]:
        s.AI[agent, AI_LEAVING] = 0
        s.AI[agent, AI_PRESENT] = 0
        s.AI[agent, AI_NR_PEND] = 0
        s.I[I_PRESENT] -= 1
        return False
    if s.AI[agent, AI_NR_PEND]:
        s.AI[agent, AI_NR_PEND] = 0
        _start_episode(s, p, agent, s.AF[agent, AF_NR])
        return False
    return _ready(s, p, agent)


# ------------------------------------------------------------------ not-ready episodes
@compiled
def _ready(s, p, agent: int) -> bool:
    """staffing._ready: the agent is idle now (at the back of its ring); True when its group
    has calls waiting."""
    g = s.AI[agent, AI_GROUP]
    s.AF[agent, AF_IDLE_SINCE] = s.F[F_NOW]
    idle_append(s, g, agent)
    for j in range(p.tog_n[g]):  # noqa: SIM110
        if s.QC[p.tog[g, j], QC_LEN]:
            return True
    return False


@compiled
def _start_episode(s, p, agent: int, q: float) -> None:
    """staffing._start_episode: a not-ready episode of length quantile q starts now, with
    the mean of the interval it starts in."""
    g = s.AI[agent, AI_GROUP]
    now = s.F[F_NOW]
    i = min(int(now // p.consts[1]), p.n_intervals - 1)
    length = -p.nr_len[g, i] * math.log1p(-q)
    until = now + length
    s.AI[agent, AI_NOT_READY] = 1
    s.AF[agent, AF_NR] = until
    s.AF[agent, AF_NR_TIME] += length
    s.GC[g, GC_NR] += 1
    s.I[I_NR_TOTAL] += 1
    heap_push(s, until, EV_NR_END, agent, 0)


@compiled
def _on_shift(s, g: int, a: int) -> bool:
    return s.AI[a, AI_GROUP] == g and s.AI[a, AI_PRESENT] != 0 and s.AI[a, AI_LEAVING] == 0


@compiled
def _nr_request(s, p, g: int) -> None:
    """staffing.not_ready_request with group g's next request row: the floor(u * m)-th of
    its m agents on shift (ascending id) goes not ready now if idle, when free if busy, else
    ignores it."""
    row = s.NRC[g, 0]
    s.NRC[g, 0] = row + 1
    j = row % s.NRB.shape[1]
    u, q = s.NRB[g, j, NQ_U], s.NRB[g, j, NQ_Q]
    na = s.I[I_N_AGENTS]
    m = 0
    for a in range(na):
        if _on_shift(s, g, a):
            m += 1
    if m == 0:
        return
    pick = int(u * m)
    agent = -1
    for a in range(na):
        if _on_shift(s, g, a):
            if pick == 0:
                agent = a
                break
            pick -= 1
    if s.AI[agent, AI_NOT_READY] or s.AI[agent, AI_NR_PEND]:
        return
    if s.AI[agent, AI_TALKING] or s.AI[agent, AI_IN_WRAP_UP]:
        s.AI[agent, AI_NR_PEND] = 1
        s.AF[agent, AF_NR] = q
        return
    idle_remove(s, g, agent)
    _start_episode(s, p, agent, q)


@compiled
def _nr_end(s, p, agent: int) -> bool:
    """staffing.not_ready_end: the episode is over, the agent idle (stale for an agent who
    left during it)."""
    if not s.AI[agent, AI_NOT_READY]:
        return False
    s.AI[agent, AI_NOT_READY] = 0
    s.GC[s.AI[agent, AI_GROUP], GC_NR] -= 1
    s.I[I_NR_TOTAL] -= 1
    return _ready(s, p, agent)


@compiled
def push_requests(s, table, lo: int, hi: int) -> None:
    """Schedule rows lo..hi-1 of ``table`` (time, group, pick uniform, length quantile), in
    that order, as the reference's ``_draw_not_ready`` pushes them: each a heap event whose
    object is the group, its numbers the next row of the group's request ring. The driver
    made room (heap, rings) before."""
    cap = s.NRB.shape[1]
    for r in range(lo, hi):
        g = int(table[r, 1])
        w = s.NRC[g, 1]
        s.NRC[g, 1] = w + 1
        s.NRB[g, w % cap, NQ_U] = table[r, 2]
        s.NRB[g, w % cap, NQ_Q] = table[r, 3]
        heap_push(s, table[r, 0], EV_NR_REQUEST, g, 0)


@compiled
def staff(s, g: int, target: int) -> None:
    """The reference's ``_staff``: hire, recall or send home agents of group g."""
    na = s.I[I_N_AGENTS]
    on_duty = 0
    for a in range(na):
        if s.AI[a, AI_GROUP] == g and s.AI[a, AI_PRESENT] and not s.AI[a, AI_LEAVING]:
            on_duty += 1
    diff = target - on_duty
    if diff > 0:
        for a in range(na):
            if diff and s.AI[a, AI_GROUP] == g and s.AI[a, AI_PRESENT] and s.AI[a, AI_LEAVING]:
                s.AI[a, AI_LEAVING] = 0
                diff -= 1
        for _ in range(diff):
            a = s.I[I_N_AGENTS]
            s.I[I_N_AGENTS] = a + 1
            for row in range(s.AI.shape[1]):
                s.AI[a, row] = 0
            for row in range(s.AF.shape[1]):
                s.AF[a, row] = 0.0
            s.AI[a, AI_GROUP] = g
            s.AI[a, AI_PRESENT] = 1
            s.AF[a, AF_IDLE_SINCE] = s.F[F_NOW]
            idle_append(s, g, a)
            s.I[I_PRESENT] += 1
    elif diff < 0:
        remove = -diff
        while remove and s.GC[g, GC_SIZE]:
            a = idle_pop(s, g)  # the most recently idle go first
            s.AI[a, AI_PRESENT] = 0
            s.I[I_PRESENT] -= 1
            remove -= 1
        if remove and s.GC[g, GC_NR]:
            # Not-ready agents leave at once (lowest id first), their episode cut short.
            now = s.F[F_NOW]
            for a in range(na):
                if remove and s.AI[a, AI_GROUP] == g and s.AI[a, AI_NOT_READY]:
                    s.AI[a, AI_NOT_READY] = 0
                    s.AF[a, AF_NR_TIME] -= s.AF[a, AF_NR] - now
                    s.AI[a, AI_PRESENT] = 0
                    s.GC[g, GC_NR] -= 1
                    s.I[I_NR_TOTAL] -= 1
                    s.I[I_PRESENT] -= 1
                    remove -= 1
        # Then the busy (talking or in wrap-up) agents on duty, by id; those just sent home
        # were idle, so the test below sees the reference's ``on_duty`` list.
        for a in range(na):
            if not remove:
                break
            if (
                s.AI[a, AI_GROUP] == g
                and s.AI[a, AI_PRESENT]
                and not s.AI[a, AI_LEAVING]
                and (s.AI[a, AI_TALKING] or s.AI[a, AI_IN_WRAP_UP])
            ):
                s.AI[a, AI_LEAVING] = 1
                remove -= 1


# ------------------------------------------------------------------ decisions
@inlined
def _decide(s, p, r) -> bool:
    """Atomic decisions at one instant until the router holds or nothing is assignable;
    True if the router held while an assignment was possible."""
    hold = p.pk.shape[0]
    while True:
        a = act(s, p, r)
        s.I[I_N_DECISIONS] += 1
        if a == hold:
            return decision_possible(s, p)
        assign(s, p, p.pk[a], p.pg[a])
        if not decision_possible(s, p):
            return False


@compiled
def _arm(s, slot: int, cid: int) -> None:
    if is_waiting(s, slot, cid):
        heap_push(s, s.CF[slot, CF_ARRIVAL] + s.CF[slot, CF_PATIENCE], EV_ABANDON, slot, cid)


@inlined
def advance(s, p, r, entry: int) -> int:
    """Run events until the next stop (see the module docstring); returns an ``ST_*`` code.

    ``entry``: ``EN_START`` is the reference's ``advance()``; ``EN_LOOP`` resumes at the top
    of the loop after the driver made room; ``EN_AFTER_BOUNDARY`` resumes after the driver
    processed an interval/block boundary (a decision epoch may be open).
    """
    F, I = s.F, s.I  # noqa: E741
    python_router = r.kind == R_PYTHON
    joined, joined_id = -1, -1
    skip_event = False
    if entry == EN_AFTER_BOUNDARY:
        full_check = True
        skip_event = True
    elif entry == EN_LOOP:
        full_check = I[I_FULL_CHECK] != 0
    else:
        if I[I_FINISHED]:
            return ST_END
        if I[I_HELD]:
            I[I_HELD] = 0
            full_check = True
        elif decision_possible(s, p):
            if python_router:
                I[I_N_DECISIONS] += 1
                return ST_EPOCH
            full_check = _decide(s, p, r)
        else:
            full_check = False
        slot, cid = I[I_UNARMED_SLOT], I[I_UNARMED_ID]
        I[I_UNARMED_SLOT] = -1
        _arm(s, slot, cid)
    while True:
        if not skip_event:
            if not room_ok(s, p, r):
                I[I_FULL_CHECK] = 1 if full_check else 0
                return ST_ROOM
            # --- the next event: the heap's, the next arrival or the next boundary; on equal
            # times the boundary goes first, then the heap.
            t_heap = heap_top(s)
            t_arr, t_bnd = F[F_T_ARR], F[F_T_BND]
            ev = 0  # 0 heap, 1 arrival, 2 boundary
            if t_heap <= t_arr:
                if t_bnd <= t_heap:
                    t, ev = t_bnd, 2
                else:
                    t = t_heap
            elif t_bnd <= t_arr:
                t, ev = t_bnd, 2
            else:
                t, ev = t_arr, 1
            if t == INF:
                return ST_END
            dt = t - F[F_NOW]
            if dt > 0.0:
                F[F_NOW] = t
                rate = F[F_WAIT_RATE]
                if rate:
                    F[F_COST] += rate * dt
                if not I[I_DRAINING]:
                    F[F_BUSY_AREA] += I[I_BUSY] * dt
                    F[F_PRESENT_AREA] += I[I_PRESENT] * dt
                    q = I[I_QTOTAL]
                    if q:
                        F[F_QUEUE_AREA] += q * dt
                    if s.QTO[q] < 0:
                        s.QTO[q] = I[I_QT_N]
                        I[I_QT_N] += 1
                    s.QT[q] += dt
                    nt = I[I_NR_TOTAL]
                    if nt:
                        F[F_NR_AREA] += nt * dt
            if ev == 0:
                kind, obj, cid = heap_pop(s)
                if kind == EV_SERVICE_END:
                    s.AI[obj, AI_TALKING] = 0
                    I[I_BUSY] -= 1
                    if s.AI[obj, AI_LEAVING]:
                        s.AI[obj, AI_LEAVING] = 0
                        s.AI[obj, AI_PRESENT] = 0
                        s.AI[obj, AI_NR_PEND] = 0
                        I[I_PRESENT] -= 1
                        if not full_check:
                            continue
                    elif s.AI[obj, AI_NR_PEND]:
                        s.AI[obj, AI_NR_PEND] = 0
                        _start_episode(s, p, obj, s.AF[obj, AF_NR])
                        if not full_check:
                            continue
                    else:
                        g = s.AI[obj, AI_GROUP]
                        s.AF[obj, AF_IDLE_SINCE] = t
                        idle_append(s, g, obj)
                        if not full_check:
                            found = False
                            for j in range(p.tog_n[g]):
                                if s.QC[p.tog[g, j], QC_LEN]:
                                    found = True
                                    break
                            if not found:
                                continue
                elif kind == EV_ABANDON:
                    if is_waiting(s, obj, cid):  # else a stale timer: the call was answered
                        _abandon(s, p, obj)
                    if not full_check:
                        continue
                elif kind == EV_REPEAT:
                    if _offer(s, p, obj) and s.CF[obj, CF_PATIENCE] < INF:
                        joined, joined_id = obj, cid
                    full_check = True
                elif kind < EV_NR_REQUEST:  # EV_TALK_END, EV_WRAP_END
                    if not _after_call(s, p, kind, obj) and not full_check:
                        continue
                elif kind == EV_NR_REQUEST:
                    _nr_request(s, p, obj)
                    if not full_check:
                        continue
                elif not _nr_end(s, p, obj) and not full_check:
                    continue
            elif ev == 1:
                pos = I[I_ARR_POS]
                k = int(s.ARR[pos, AR_K])
                patience = s.ARR[pos, AR_PAT]
                pos += 1
                I[I_ARR_POS] = pos
                F[F_T_ARR] = s.ARR[pos, AR_T] if pos < I[I_ARR_N] else INF
                cid = I[I_NEXT_CALL_ID]
                I[I_NEXT_CALL_ID] = cid + 1
                slot = alloc_call(s)
                interval = I[I_INTERVAL]
                s.CI[slot, CI_ID] = cid
                s.CI[slot, CI_TYPE] = k
                s.CI[slot, CI_INTERVAL] = interval
                s.CI[slot, CI_CUSTOMER] = cid
                s.CI[slot, CI_IS_REPEAT] = 0
                s.CI[slot, CI_STATE] = WAITING
                s.CF[slot, CF_ARRIVAL] = t
                s.CF[slot, CF_PATIENCE] = patience
                s.CF[slot, CF_SERVICE_U] = s.ARR[pos - 1, AR_SU]
                s.CF[slot, CF_RESOLVE_U] = s.ARR[pos - 1, AR_RU]
                s.CF[slot, CF_BALK_U] = s.ARR[pos - 1, AR_BU]
                s.CF[slot, CF_REP_U] = s.ARR[pos - 1, AR_REPU]
                s.CF[slot, CF_REP_DELAY] = s.ARR[pos - 1, AR_REPD]
                s.CF[slot, CF_WRAP_U] = s.ARR[pos - 1, AR_WRAP]
                s.CNT[k, interval, C_OFFERED] += 1
                if p.can_balk[k] and _balks(s, p, k, s.ARR[pos - 1, AR_BU]):
                    _balk(s, p, slot)
                    if not full_check:
                        continue
                else:
                    _join(s, p, k, slot)
                    if not full_check:
                        found = False
                        for j in range(p.got_n[k]):
                            if s.GC[p.got[k, j], GC_SIZE]:
                                found = True
                                break
                        if not found:
                            # Nobody can take it: it waits, so its timer is armed now.
                            if patience < INF:
                                heap_push(s, t + patience, EV_ABANDON, slot, cid)
                            continue
                    if patience < INF:
                        joined, joined_id = slot, cid
            else:
                return ST_BOUNDARY  # the driver applies it, then resumes after it
        skip_event = False
        # --- a decision epoch may be open
        if full_check and not decision_possible(s, p):
            full_check = False
        elif python_router:
            I[I_N_DECISIONS] += 1
            I[I_UNARMED_SLOT], I[I_UNARMED_ID] = joined, joined_id
            return ST_EPOCH
        else:
            full_check = _decide(s, p, r)
        if joined >= 0:
            _arm(s, joined, joined_id)
            joined = -1


@inlined
def step_assign(s, p, a: int) -> None:
    """Apply an assignment chosen outside (a Python router at an epoch)."""
    assign(s, p, p.pk[a], p.pg[a])


__all__ = [
    "advance",
    "assign",
    "decision_possible",
    "push_requests",
    "room_ok",
    "staff",
    "step_assign",
]
