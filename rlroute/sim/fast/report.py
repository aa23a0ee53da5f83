"""KPIs and the call log of a fast run, through the reference's own code.

The counters are copied into a :class:`~rlroute.sim.kpis.StatsCollector` and its ``report``
runs on a read-only stand-in for the simulator, so every KPI is computed by the same formulas
(the same sums in the same order) as for the reference engine.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rlroute.sim.fast.layout import (
    AF_BUSY_TIME,
    AF_NR_TIME,
    AF_WRAP_UP_TIME,
    AI_GROUP,
    AI_N_SERVED,
    C_ABANDONED,
    C_ABANDONED_WITHIN,
    C_ANSWERED,
    C_BALKED,
    C_IMMEDIATE,
    C_OFFERED,
    C_REPEATS,
    C_RESOLVED,
    C_WITHIN,
    F_BUSY_AREA,
    F_COST,
    F_NR_AREA,
    F_PRESENT_AREA,
    F_QUEUE_AREA,
    I_LOG_N,
    I_N_AGENTS,
    I_N_DECISIONS,
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
    N_LF,
    N_LI,
    OUT_ANSWERED,
    OUTCOMES,
    S_HANDLE,
    S_WAIT_ALL,
    S_WAIT_ANSWERED,
    S_WRAP_UP,
    State,
)
from rlroute.sim.kpis import CALL_LOG_COLUMNS, KPIReport, StatsCollector

if TYPE_CHECKING:
    from rlroute.sim.fast.simulator import FastSimulator

_COUNTER_ROWS = {
    "offered": C_OFFERED,
    "answered": C_ANSWERED,
    "immediate": C_IMMEDIATE,
    "answered_within": C_WITHIN,
    "abandoned": C_ABANDONED,
    "abandoned_within": C_ABANDONED_WITHIN,
    "balked": C_BALKED,
    "resolved": C_RESOLVED,
    "repeats": C_REPEATS,
}
_SUM_ROWS = {
    "wait_answered": S_WAIT_ANSWERED,
    "wait_all": S_WAIT_ALL,
    "handle": S_HANDLE,
    "wrap_up": S_WRAP_UP,
}


def queue_time(s: State) -> dict[int, float]:
    """Time at each total queue length, keyed in the order lengths were first seen."""
    seen = np.flatnonzero(s.QTO >= 0)
    order = seen[np.argsort(s.QTO[seen], kind="stable")]
    return {int(q): float(s.QT[q]) for q in order}


def build_report(sim: FastSimulator) -> KPIReport:
    s = sim.state
    st = StatsCollector(sim.scenario)
    for name, row in _COUNTER_ROWS.items():
        st.count[name] = s.CNT[:, :, row].tolist()
    for name, row in _SUM_ROWS.items():
        st.sum[name] = s.SUM[:, :, row].tolist()
    st.wait_hist = s.HIST.tolist()
    st.interval_busy = list(sim.interval_busy)
    st.interval_present = list(sim.interval_present)
    st.interval_queue = list(sim.interval_queue)
    st.interval_not_ready = list(sim.interval_not_ready)
    st.unserved = list(sim.unserved)
    na = int(s.I[I_N_AGENTS])
    agents = [
        SimpleNamespace(
            group=int(s.AI[a, AI_GROUP]),
            busy_time=float(s.AF[a, AF_BUSY_TIME]),
            wrap_up_time=float(s.AF[a, AF_WRAP_UP_TIME]),
            n_served=int(s.AI[a, AI_N_SERVED]),
            not_ready_time=float(s.AF[a, AF_NR_TIME]),
        )
        for a in range(na)
    ]
    view = SimpleNamespace(
        scenario=sim.scenario,
        busy_area=float(s.F[F_BUSY_AREA]),
        present_area=float(s.F[F_PRESENT_AREA]),
        queue_area=float(s.F[F_QUEUE_AREA]),
        not_ready_area=float(s.F[F_NR_AREA]),
        queue_time=queue_time(s),
        agents=agents,
        cost=float(s.F[F_COST]),
        n_decisions=int(s.I[I_N_DECISIONS]),
    )
    return st.report(view)  # type: ignore[arg-type]


def build_call_log(sim: FastSimulator, extra: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The per-call log, in the reference's columns and order (``extra``: unserved rows)."""
    chunks_f = [*sim.log_chunks_f, sim.state.LF[:, : sim.state.I[I_LOG_N]]]
    chunks_i = [*sim.log_chunks_i, sim.state.LI[:, : sim.state.I[I_LOG_N]]]
    lf = np.concatenate(chunks_f, axis=1) if chunks_f else np.zeros((N_LF, 0))
    li = np.concatenate(chunks_i, axis=1) if chunks_i else np.zeros((N_LI, 0), dtype=np.int64)
    names_t = np.array(sim.scenario.type_names, dtype=object)
    names_g = np.array([*sim.scenario.group_names, None], dtype=object)
    answered = li[LI_OUTCOME] == OUT_ANSWERED
    t, handle = lf[LF_T], lf[LF_HANDLE]
    frame = pd.DataFrame(
        {
            "call_id": li[LI_CALL_ID],
            "customer_id": li[LI_CUSTOMER],
            "call_type": names_t[li[LI_TYPE]],
            "is_repeat": li[LI_IS_REPEAT].astype(bool),
            "arrival_s": lf[LF_ARRIVAL],
            "outcome": np.array(OUTCOMES, dtype=object)[li[LI_OUTCOME]],
            "wait_s": lf[LF_WAIT],
            "patience_s": lf[LF_PATIENCE],
            "service_start_s": np.where(answered, t, math.nan),
            "service_end_s": np.where(answered, t + handle, math.nan),
            "handle_s": handle,
            "wrap_up_s": np.where(answered, lf[LF_WRAP_UP], math.nan),
            "group": names_g[li[LI_GROUP]],
            "agent_id": li[LI_AGENT],
            "resolved": li[LI_RESOLVED].astype(bool),
        },
        columns=list(CALL_LOG_COLUMNS),
    )
    if extra:
        frame = pd.concat(
            [frame, pd.DataFrame(extra, columns=list(CALL_LOG_COLUMNS))], ignore_index=True
        )
    return frame.sort_values(["arrival_s", "call_id"], ignore_index=True)


__all__ = ["build_call_log", "build_report", "queue_time"]
