"""KPIs of a simulation run: counters kept while it runs, and the report built at the end.

Memory stays flat as the horizon grows: per (type, interval) counters, a 1-second wait
histogram per type and a time-weighted queue-length histogram, never a list of every call
(unless the per-call log is asked for).

Definitions (``offered`` counts every arrival, repeats included; a balk is an abandonment with
wait 0; ``T`` is the type's service-level target):

==========================  ==================================================================
``p_wait``                  share of offered calls not answered at once (they waited,
                            abandoned or balked): Erlang C/A's probability of wait
``service_level``           answered within T / (offered - abandoned within T): the common
                            "excluding short abandons" definition
``service_level_offered``   answered within T / offered (Erlang C's P(W <= T); Erlang A's
                            P(answered within T))
``service_level_answered``  answered within T / answered
``asa``                     mean wait of answered calls (average speed of answer), seconds
``mean_wait``               mean wait of all offered calls (an abandon waits its patience)
``abandon_rate``            (abandoned + balked) / offered
``aht``                     mean handle (talk) time of answered calls, seconds, as talked
                            (after any ``handle_time_profile`` multiplier); without
                            the wrap-up, which ``mean_wrap_up`` gives (industry AHT is
                            ``aht + mean_wrap_up``)
``mean_wrap_up``            mean after-call work (wrap-up) per answered call, seconds; 0
                            when the serving skills have none
``occupancy``               agent busy time / agent time on duty, over [0, horizon]; busy
                            is talking *or in wrap-up* (the agent cannot take a call), as
                            the industry counts it; with not-ready episodes
                            (``AgentGroup.not_ready``) the time on duty less the time not
                            ready: busy / (busy + idle ready)
``not_ready_s``             (only with ``not_ready``) agent-seconds not ready over
                            [0, horizon]
``not_ready_share``         (only with ``not_ready``) not-ready time / time on duty, over
                            [0, horizon]
``fcr``                     answered calls resolved at first contact / answered
``wait_p50 .. wait_p99``    percentiles of answered waits (1-second resolution)
``queue_len_mean/p90/p99``  time-weighted queue length (all types), over [0, horizon]
``agent_load_cv``           coefficient of variation of busy time (talk + wrap-up) across
                            agents (fairness)
``cost``                    the scenario's cost (waiting, abandonment, missed SL, unresolved)
``cost_per_call``           cost / offered
``unserved``                calls still waiting when the run ends (only callers who never
                            hang up, facing a group with nobody on duty, can be left)
``decisions``               decision epochs at which the router was asked, holds included
                            (the environment's steps); equals ``answered`` for a router that
                            never holds
==========================  ==================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from rlroute.scenario import Scenario
    from rlroute.sim.engine import Simulator
    from rlroute.sim.entities import Call

HIST_MAX_S = 3600  # waits beyond an hour share the last bin
_COUNTERS = (
    "offered",
    "answered",
    "immediate",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "balked",
    "resolved",
    "repeats",
)
_SUMS = ("wait_answered", "wait_all", "handle", "wrap_up")


class StatsCollector:
    """Accumulates counters while the simulator runs; cheap enough for the hot path."""

    def __init__(self, scenario: Scenario, record_calls: bool = False) -> None:
        K, n_int = len(scenario.call_types), scenario.n_intervals
        self.n_types, self.n_intervals = K, n_int
        self.target = [scenario.sl_target_s(k) for k in range(K)]
        self.count = {name: [[0] * n_int for _ in range(K)] for name in _COUNTERS}
        self.sum = {name: [[0.0] * n_int for _ in range(K)] for name in _SUMS}
        self._n_offered = self.count["offered"]  # a direct reference for the hot path
        # The rows answered() books, bound once: it runs for every answered call.
        c, s = self.count, self.sum
        self._answer_counts = (c["answered"], c["answered_within"], c["resolved"], c["immediate"])
        self._answer_sums = (s["wait_answered"], s["wait_all"], s["handle"], s["wrap_up"])
        self.wait_hist = [[0] * (HIST_MAX_S + 1) for _ in range(K)]
        self._booked = (0.0, 0.0, 0.0)
        self.interval_busy = [0.0] * n_int
        self.interval_present = [0.0] * n_int
        self.interval_queue = [0.0] * n_int
        # Not-ready agent-seconds per interval (only scenarios with not_ready book them).
        self.interval_not_ready = [0.0] * n_int
        self._booked_not_ready = 0.0
        self.has_not_ready = scenario.has_not_ready
        self.record_calls = record_calls
        self.log: list[tuple] = []
        self.unserved = [0] * K
        self.unserved_wait = 0.0

    # event hooks ------------------------------------------------------------
    def close_interval(self, i: int, sim: Simulator) -> None:
        """Book the simulator's time integrals accumulated since the last boundary to i."""
        self.interval_busy[i] = sim.busy_area - self._booked[0]
        self.interval_present[i] = sim.present_area - self._booked[1]
        self.interval_queue[i] = sim.queue_area - self._booked[2]
        self._booked = (sim.busy_area, sim.present_area, sim.queue_area)
        if self.has_not_ready:
            self.interval_not_ready[i] = sim.not_ready_area - self._booked_not_ready
            self._booked_not_ready = sim.not_ready_area

    def offered(self, call: Call) -> None:
        self._n_offered[call.type][call.interval] += 1
        if call.is_repeat:
            self.count["repeats"][call.type][call.interval] += 1

    def balked(self, call: Call, now: float) -> None:
        k, i = call.type, call.interval
        self.count["balked"][k][i] += 1
        self.count["abandoned_within"][k][i] += 1
        if self.record_calls:
            self.log.append((call, "balked", 0.0, now, math.nan, -1, -1, False))

    def abandoned(self, call: Call, now: float) -> None:
        k, i = call.type, call.interval
        wait = now - call.arrival
        self.count["abandoned"][k][i] += 1
        if wait <= self.target[k]:
            self.count["abandoned_within"][k][i] += 1
        self.sum["wait_all"][k][i] += wait
        if self.record_calls:
            self.log.append((call, "abandoned", wait, now, math.nan, -1, -1, False))

    def answered(
        self,
        call: Call,
        wait: float,
        handle: float,
        wrap: float,
        resolved: bool,
        now: float,
        g: int,
        agent_id: int,
    ) -> None:
        """The call is answered at ``now`` after ``wait`` s, by agent ``agent_id`` of group g,
        to talk for ``handle`` s then wrap up for ``wrap`` s (0 without wrap-up); all booked
        to the call's type and arrival interval."""
        k, i = call.type, call.interval
        n_answered, n_within, n_resolved, n_immediate = self._answer_counts
        s_wait_answered, s_wait_all, s_handle, s_wrap = self._answer_sums
        n_answered[k][i] += 1
        if wait <= self.target[k]:
            n_within[k][i] += 1
        if resolved:
            n_resolved[k][i] += 1
        s_wait_answered[k][i] += wait
        s_wait_all[k][i] += wait
        s_handle[k][i] += handle
        if wrap:
            s_wrap[k][i] += wrap
        self.wait_hist[k][int(wait) if wait < HIST_MAX_S else HIST_MAX_S] += 1
        if wait == 0.0:
            n_immediate[k][i] += 1
        if self.record_calls:
            self.log.append((call, "answered", wait, now, handle, g, agent_id, resolved))

    def finish(self, sim: Simulator) -> None:
        """Calls still queued when nothing else can happen (no agent, infinite patience)."""
        for k, q in enumerate(sim.queues):
            for call in q:
                if call.state == 0:
                    self.unserved[k] += 1
                    self.unserved_wait += sim.now - call.arrival
                    if self.record_calls:
                        self.log.append(
                            (
                                call,
                                "unserved",
                                sim.now - call.arrival,
                                sim.now,
                                math.nan,
                                -1,
                                -1,
                                False,
                            )
                        )

    # reporting --------------------------------------------------------------
    def report(self, sim: Simulator) -> KPIReport:
        sc = sim.scenario
        arrays = {n: np.asarray(v, dtype=float) for n, v in {**self.count, **self.sum}.items()}
        overall = _kpis({n: a.sum() for n, a in arrays.items()})
        nr = self.has_not_ready
        if nr:
            overall["occupancy"] = _ratio(sim.busy_area, sim.present_area - sim.not_ready_area)
            overall["not_ready_s"] = float(sim.not_ready_area)
            overall["not_ready_share"] = _ratio(sim.not_ready_area, sim.present_area)
        else:
            overall["occupancy"] = _ratio(sim.busy_area, sim.present_area)
        total_t = sum(sim.queue_time.values())
        overall["queue_len_mean"] = _ratio(sim.queue_area, total_t)
        overall.update(_queue_percentiles(sim.queue_time))
        immediate = arrays["immediate"]
        overall.update(_wait_percentiles(np.sum(self.wait_hist, axis=0), immediate.sum()))
        busy = np.array([a.busy_time for a in sim.agents])
        overall["agent_load_cv"] = (
            float(busy.std() / busy.mean()) if busy.size and busy.mean() > 0 else 0.0
        )
        overall["cost"] = sim.cost
        overall["cost_per_call"] = _ratio(sim.cost, overall["offered"])
        overall["unserved"] = float(sum(self.unserved))
        overall["decisions"] = float(sim.n_decisions)

        by_type = []
        for k, name in enumerate(sc.type_names):
            row = {"call_type": name, **_kpis({n: a[k].sum() for n, a in arrays.items()})}
            row.update(_wait_percentiles(np.asarray(self.wait_hist[k]), immediate[k].sum()))
            by_type.append(row)
        by_interval = []
        for i in range(sc.n_intervals):
            row = {
                "interval": i,
                "start_s": i * sc.interval_s,
                **_kpis({n: a[:, i].sum() for n, a in arrays.items()}),
            }
            present = self.interval_present[i]
            if nr:
                not_ready = self.interval_not_ready[i]
                row["occupancy"] = _ratio(self.interval_busy[i], present - not_ready)
                row["not_ready_share"] = _ratio(not_ready, present)
            else:
                row["occupancy"] = _ratio(self.interval_busy[i], present)
            row["agents_on_duty"] = self.interval_present[i] / sc.interval_s
            row["queue_len_mean"] = self.interval_queue[i] / sc.interval_s
            by_interval.append(row)
        by_type_interval = [
            {"call_type": name, "interval": i, **_kpis({n: a[k, i] for n, a in arrays.items()})}
            for k, name in enumerate(sc.type_names)
            for i in range(sc.n_intervals)
        ]
        by_group = []
        for g, name in enumerate(sc.group_names):
            members = [a for a in sim.agents if a.group == g]
            loads = np.array([a.busy_time for a in members]) if members else np.zeros(0)
            answered = float(sum(a.n_served for a in members))
            wrap_up = float(sum(a.wrap_up_time for a in members))
            row = {
                "group": name,
                "agents": len(members),
                "answered": answered,
                "busy_s": float(loads.sum()),  # talk + wrap-up
                "wrap_up_s": wrap_up,
                "mean_wrap_up": _ratio(wrap_up, answered),
                "load_cv": float(loads.std() / loads.mean())
                if loads.size and loads.mean() > 0
                else 0.0,
            }
            if nr:
                # Episodes as booked when they start (like busy_s: not cut at the horizon).
                row["not_ready_s"] = float(sum(a.not_ready_time for a in members))
            by_group.append(row)
        return KPIReport(
            overall=overall,
            by_type=pd.DataFrame(by_type),
            by_interval=pd.DataFrame(by_interval),
            by_type_interval=pd.DataFrame(by_type_interval),
            by_group=pd.DataFrame(by_group),
        )

    def call_log(self, sim: Simulator) -> pd.DataFrame:
        if not self.record_calls:
            raise RuntimeError("the per-call log was not recorded: pass record_calls=True")
        names_t, names_g = sim.scenario.type_names, sim.scenario.group_names
        rows = [
            {
                "call_id": c.id,
                "customer_id": c.customer,
                "call_type": names_t[c.type],
                "is_repeat": c.is_repeat,
                "arrival_s": c.arrival,
                "outcome": outcome,
                "wait_s": wait,
                "patience_s": c.patience,
                "service_start_s": t if outcome == "answered" else math.nan,
                "service_end_s": t + handle if outcome == "answered" else math.nan,
                "handle_s": handle,
                # After-call work that followed the call (0 for a skill without wrap-up).
                "wrap_up_s": getattr(c, "wrap_up", 0.0) if outcome == "answered" else math.nan,
                "group": names_g[g] if g >= 0 else None,
                "agent_id": a,
                "resolved": res,
            }
            for c, outcome, wait, t, handle, g, a, res in self.log
        ]
        # The columns are named even when no call arrived: an empty day is a valid day.
        columns = list(CALL_LOG_COLUMNS)
        frame = pd.DataFrame(rows, columns=columns)
        return frame.sort_values(["arrival_s", "call_id"], ignore_index=True)


#: Columns of :meth:`StatsCollector.call_log`, in order.
CALL_LOG_COLUMNS = (
    "call_id",
    "customer_id",
    "call_type",
    "is_repeat",
    "arrival_s",
    "outcome",
    "wait_s",
    "patience_s",
    "service_start_s",
    "service_end_s",
    "handle_s",
    "wrap_up_s",
    "group",
    "agent_id",
    "resolved",
)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else math.nan


def _kpis(t: dict[str, Any]) -> dict[str, float]:
    """KPIs from summed counters (any aggregation level)."""
    offered, answered = t["offered"], t["answered"]
    lost = t["abandoned"] + t["balked"]
    return {
        "offered": float(offered),
        "answered": float(answered),
        "abandoned": float(t["abandoned"]),
        "balked": float(t["balked"]),
        "repeats": float(t["repeats"]),
        "p_wait": 1.0 - _ratio(t["immediate"], offered) if offered else math.nan,
        "service_level": _ratio(t["answered_within"], offered - t["abandoned_within"]),
        "service_level_offered": _ratio(t["answered_within"], offered),
        "service_level_answered": _ratio(t["answered_within"], answered),
        "asa": _ratio(t["wait_answered"], answered),
        "mean_wait": _ratio(t["wait_all"], offered),
        "abandon_rate": _ratio(lost, offered),
        "aht": _ratio(t["handle"], answered),
        "mean_wrap_up": _ratio(t["wrap_up"], answered),
        "fcr": _ratio(t["resolved"], answered),
    }


def _wait_percentiles(hist: np.ndarray, zeros: int) -> dict[str, float]:
    """Percentiles from the 1-second histogram: exact 0 for calls answered at once, else the
    upper edge of the bin (conservative by under a second)."""
    total = hist.sum()
    if total == 0:
        return {f"wait_p{p}": math.nan for p in (50, 90, 95, 99)}
    cum = np.cumsum(hist) / total
    out = {}
    for p in (50, 90, 95, 99):
        q = p / 100.0
        out[f"wait_p{p}"] = 0.0 if zeros / total >= q else float(np.searchsorted(cum, q) + 1)
    return out


def _queue_percentiles(queue_time: dict[int, float]) -> dict[str, float]:
    if not queue_time:
        return {"queue_len_p90": math.nan, "queue_len_p99": math.nan}
    lengths = np.array(sorted(queue_time))
    weights = np.array([queue_time[q] for q in lengths])
    cum = np.cumsum(weights) / weights.sum()
    return {
        "queue_len_p90": float(lengths[np.searchsorted(cum, 0.90)]),
        "queue_len_p99": float(lengths[np.searchsorted(cum, 0.99)]),
    }


@dataclass
class KPIReport:
    """KPIs overall, per call type, per interval (by arrival), per type and interval, per group."""

    overall: dict[str, float]
    by_type: pd.DataFrame
    by_interval: pd.DataFrame
    by_type_interval: pd.DataFrame
    by_group: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __getitem__(self, key: str) -> float:
        return self.overall[key]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": dict(self.overall),
            "by_type": self.by_type.to_dict(orient="records"),
            "by_interval": self.by_interval.to_dict(orient="records"),
            "by_group": self.by_group.to_dict(orient="records"),
        }
