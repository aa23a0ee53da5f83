"""The fast engine's state: a few flat NumPy arrays, grouped in named tuples numba can take.

Everything the compiled loop reads or writes lives here, so a run can stop at any decision
epoch or interval boundary and resume later (the Python driver grows arrays, draws the next
arrival block or asks a Python router in between). Scalars live in two small arrays (``F``
for floats, ``I`` for ints) indexed by the constants below. Calls are rows of a slot table
recycled through a free list (memory stays flat in the horizon); a slot's ``call id`` tells a
stale reference (an abandonment timer of a call since answered, a queue entry of a call that
abandoned) from the slot's current call. The tables the event loop reads one entry of at a time
(call slots, agents, heap entries, arrivals) are entry-major, ``[capacity, fields]``: an
entry's fields share a cache line, which is what a batch of thousands of rows is bound by.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# ---- float scalars (State.F)
F_NOW, F_BUSY_AREA, F_PRESENT_AREA, F_QUEUE_AREA, F_COST, F_WAIT_RATE = 0, 1, 2, 3, 4, 5
F_T_ARR, F_T_BND = 6, 7
F_NR_AREA = 8  # agent-seconds not ready over [0, horizon]
N_F = 9
# ---- int scalars (State.I)
I_INTERVAL, I_DRAINING, I_HELD, I_FINISHED, I_NEXT_CALL_ID, I_SEQ = 0, 1, 2, 3, 4, 5
I_BUSY, I_PRESENT, I_QTOTAL, I_ARR_POS, I_ARR_N, I_HEAP_N = 6, 7, 8, 9, 10, 11
I_N_AGENTS, I_N_DECISIONS, I_FULL_CHECK, I_UNARMED_SLOT, I_UNARMED_ID = 12, 13, 14, 15, 16
I_LOG_N, I_FREE_N, I_RAND_POS, I_RAND_N, I_QT_N, I_RECORD = 17, 18, 19, 20, 21, 22
I_NR_TOTAL = 23  # agents in a not-ready episode
N_I = 24
# ---- call slots: float columns (State.CF) and int columns (State.CI)
CF_ARRIVAL, CF_PATIENCE, CF_SERVICE_U, CF_RESOLVE_U, CF_REP_U, CF_REP_DELAY = 0, 1, 2, 3, 4, 5
CF_WRAP_U, CF_BALK_U = 6, 7
N_CF = 8
CI_ID, CI_TYPE, CI_INTERVAL, CI_CUSTOMER, CI_IS_REPEAT, CI_STATE = 0, 1, 2, 3, 4, 5
N_CI = 6
WAITING, SERVED, ABANDONED = 0, 1, 2  # the reference's call states
# ---- agents: float columns (State.AF) and int columns (State.AI)
AF_IDLE_SINCE, AF_BUSY_TIME, AF_WRAP_UP_TIME, AF_WRAP = 0, 1, 2, 3
# AF_NR: the pending request's length quantile while AI_NR_PEND, the episode's end while
# AI_NOT_READY (never both); AF_NR_TIME: not-ready time booked when each episode starts
AF_NR, AF_NR_TIME = 4, 5
N_AF = 6
AI_GROUP, AI_N_SERVED, AI_LEAVING, AI_PRESENT, AI_IN_WRAP_UP, AI_TALKING = 0, 1, 2, 3, 4, 5
AI_NOT_READY, AI_NR_PEND = 6, 7
N_AI = 8
# ---- heap columns (State.HI; times in State.HT)
HI_SEQ, HI_KIND, HI_OBJ, HI_ID = 0, 1, 2, 3
# event kinds, as in the reference
EV_SERVICE_END, EV_ABANDON, EV_REPEAT, EV_TALK_END, EV_WRAP_END = 0, 1, 2, 3, 4
EV_NR_REQUEST, EV_NR_END = 5, 6  # object: the group (its next request row), the agent
# ---- queue rings (State.QC columns per type) and idle rings (State.GC columns per group)
QC_START, QC_SIZE, QC_LEN = 0, 1, 2  # ring start, entries (stale included), waiting calls
GC_START, GC_SIZE, GC_WRAP = 0, 1, 2  # ring start, idle agents (= idle_count), in wrap-up
GC_NR = 3  # agents not ready (= not_ready_count)
N_GC = 4
# ---- not-ready requests (State.NRB[g, row, column], a ring per group; State.NRC[g] = rows
# taken, rows written): a group's requests come out of the heap in the order they were pushed
NQ_U, NQ_Q = 0, 1  # pick uniform, length quantile
N_NQ = 2
# ---- the arrival block (State.ARR columns)
AR_T, AR_K, AR_PAT, AR_SU, AR_RU, AR_BU, AR_REPU, AR_REPD, AR_WRAP = 0, 1, 2, 3, 4, 5, 6, 7, 8
N_AR = 9
# ---- repeat-call table columns (State.REP[k, column, row]), in the contract's draw order
RP_PAT, RP_SU, RP_RU, RP_BU, RP_REPU, RP_REPD, RP_WRAP = 0, 1, 2, 3, 4, 5, 6
N_RP = 7
REPEAT_BLOCK = 64
# ---- KPI counters (State.CNT[name]), as kpis._COUNTERS, and sums (State.SUM), as kpis._SUMS
C_OFFERED, C_ANSWERED, C_IMMEDIATE, C_WITHIN, C_ABANDONED, C_ABANDONED_WITHIN = 0, 1, 2, 3, 4, 5
C_BALKED, C_RESOLVED, C_REPEATS = 6, 7, 8
N_C = 9
S_WAIT_ANSWERED, S_WAIT_ALL, S_HANDLE, S_WRAP_UP = 0, 1, 2, 3
N_S = 4
# ---- call log rows (State.LF floats, State.LI ints)
LF_ARRIVAL, LF_WAIT, LF_PATIENCE, LF_T, LF_HANDLE, LF_WRAP_UP = 0, 1, 2, 3, 4, 5
N_LF = 6
LI_CALL_ID, LI_CUSTOMER, LI_TYPE, LI_IS_REPEAT, LI_OUTCOME, LI_GROUP, LI_AGENT = 0, 1, 2, 3, 4, 5, 6
LI_RESOLVED = 7
N_LI = 8
OUT_ANSWERED, OUT_ABANDONED, OUT_BALKED, OUT_UNSERVED = 0, 1, 2, 3
OUTCOMES = ("answered", "abandoned", "balked", "unserved")
# ---- distribution kinds of the compiled ppf (dists.py)
D_NONE, D_EXP, D_LOGNORMAL, D_GAMMA, D_EMPIRICAL, D_DET = -1, 0, 1, 2, 3, 4
# ---- what a compiled call returns
ST_END, ST_EPOCH, ST_BOUNDARY, ST_ROOM = 0, 1, 2, 3
# ---- where advance() starts
EN_START, EN_LOOP, EN_AFTER_BOUNDARY = 0, 1, 2


class Params(NamedTuple):
    """What depends only on the scenario (read-only in the loop)."""

    pk: np.ndarray  # int64[P]: type of pair a
    pg: np.ndarray  # int64[P]: group of pair a
    got: np.ndarray  # int64[K, G]: groups_of_type[k] (first got_n[k] entries)
    got_n: np.ndarray
    tog: np.ndarray  # int64[G, K]: types_of_group[g]
    tog_n: np.ndarray
    can_balk: np.ndarray  # int64[K]
    balk_p: np.ndarray  # float64[K]
    balk_len: np.ndarray  # float64[K] (inf: none)
    target: np.ndarray
    cost_wait: np.ndarray
    cost_abandon: np.ndarray
    cost_sl_miss: np.ndarray
    cost_unresolved: np.ndarray
    rep_prob: np.ndarray  # float64[K]
    has_rep: np.ndarray  # int64[K]
    wrap_types: np.ndarray  # int64[K]
    ppf_kind: np.ndarray  # int64[K, G]
    ppf_par: np.ndarray  # float64[K, G, 4]
    wrap_kind: np.ndarray  # int64[K, G] (D_NONE: no wrap-up)
    wrap_par: np.ndarray
    fcr: np.ndarray  # float64[K, G]
    emp_vals: np.ndarray  # float64[M]: empirical tables, concatenated
    emp_cum: np.ndarray
    mult: np.ndarray  # float64[K, n_intervals]: handle-time profile (1 where none)
    has_mult: np.ndarray  # int64[K]
    consts: np.ndarray  # float64[2]: horizon, interval_s
    n_intervals: int
    nr_len: np.ndarray  # float64[G, n_intervals]: mean not-ready episode length (0: none)


class State(NamedTuple):
    """Everything that changes during a run."""

    F: np.ndarray  # float64[N_F]
    I: np.ndarray  # noqa: E741 - int64[N_I]
    CF: np.ndarray  # float64[cap, N_CF]: call slots (slot-major: a call's fields together)
    CI: np.ndarray  # int64[cap, N_CI]
    FREE: np.ndarray  # int64[cap]: free call slots (a stack, I_FREE_N of them)
    AF: np.ndarray  # float64[cap, N_AF]: agents (agent-major)
    AI: np.ndarray  # int64[cap, N_AI]
    HT: np.ndarray  # float64[cap]: event times of the heap
    HI: np.ndarray  # int64[cap, 4]: seq, kind, object (agent or call slot), call id
    QB: np.ndarray  # int64[2, K, cap]: queue rings of (call slot, call id)
    QC: np.ndarray  # int64[K, 3]
    GB: np.ndarray  # int64[G, cap]: idle rings of agents, longest idle first
    GC: np.ndarray  # int64[G, N_GC]
    ARR: np.ndarray  # float64[cap, N_AR]: the arrival block, sorted by time (call-major)
    REP: np.ndarray  # float64[K, N_RP, cap]: repeat-call rows (ring)
    REPC: np.ndarray  # int64[K, 2]: rows taken, rows drawn
    CNT: np.ndarray  # int64[K, n_intervals, N_C]: a (type, interval)'s counters together
    SUM: np.ndarray  # float64[K, n_intervals, N_S]
    HIST: np.ndarray  # int64[K, HIST_MAX_S + 1]
    QT: np.ndarray  # float64[cap]: time at each total queue length
    QTO: np.ndarray  # int64[cap]: order in which each length was first seen (-1: never)
    LF: np.ndarray  # float64[N_LF, cap]: call log (only with record_calls)
    LI: np.ndarray  # int64[N_LI, cap]
    NRB: np.ndarray  # float64[G, cap, N_NQ]: not-ready requests pushed, not yet popped
    NRC: np.ndarray  # int64[G, 2]


class RouterArrays(NamedTuple):
    """A compiled router: its kind and the tables its reference ``reset`` built."""

    kind: int
    flag: int  # fifo: by_priority
    fa: np.ndarray  # float64[n]: per item (priority level, index...)
    ia: np.ndarray  # int64[4, n]: action, type, group, agents needed
    prefs: np.ndarray  # float64[X, Y, 4]: sbr/lia preference lists (action, group/type, rank)
    prefs_n: np.ndarray  # int64[X]
    rand: np.ndarray  # float64[cap]: pre-drawn uniforms of the random router


R_PYTHON, R_ALWAYS, R_FIFO, R_PRIORITY, R_INDEX, R_SBR, R_LIA, R_RANDOM = 0, 1, 2, 3, 4, 5, 6, 7
