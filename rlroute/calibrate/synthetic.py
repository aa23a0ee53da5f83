"""Synthetic call records from the simulator, in the canonical schema, for round-trip tests.

Calibration is checked by closing the loop: a known Scenario is simulated with
``Simulator(scenario, seed, record_calls=True)`` (:func:`rlroute.bench.synthetic.simulate_records`:
the simulator is a layer above this one), the per-call log is turned into canonical call
records here, :func:`rlroute.calibrate.calibrate` is run on them, and the fitted
parameters are compared with the true ones.

Mapping of the simulator's call log (one row per call, times in seconds from the start):

* day ``d = floor(arrival_s / day_s)`` with ``day_s = intervals_per_day * interval_s``: the
  call belongs to ``start_date + d`` days, at clock time ``start_clock_s + arrival_s - d *
  day_s``; its later events keep the same day offset (so a service may run past the window);
* ``answered`` -> ``answered``; ``abandoned`` -> ``abandoned``; ``balked`` -> ``abandoned``
  with wait 0 (a balk is an abandonment at once); ``unserved`` (still queued when the run
  ended, possible only without patience) -> dropped and counted, its patience is censored by
  the end of the run rather than by a service;
* queue times are NaT and ``wait_s`` 0 for calls answered at once (the Technion convention
  for "never queued");
* ``agent`` is ``<group>-<agent_id>``; ``customer_id`` the simulator's customer number;
  ``priority`` the type's ``CallType.priority``; every day gets ``day_type`` (default
  ``weekday``), whatever its weekday.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rlroute.data import CallRecords, CleaningReport
from rlroute.data.report import RowLedger
from rlroute.data.validate import finish
from rlroute.scenario import Scenario

__all__ = ["call_log_to_records"]

_LOG_COLUMNS = (
    "call_id",
    "customer_id",
    "call_type",
    "arrival_s",
    "outcome",
    "wait_s",
    "service_start_s",
    "handle_s",
    "group",
    "agent_id",
)


def call_log_to_records(
    log: pd.DataFrame,
    scenario: Scenario,
    start_date: str | pd.Timestamp = "1999-01-03",
    day_type: str = "weekday",
    source: str | None = None,
) -> CallRecords:
    """Turn ``Simulator.call_log()`` into canonical :class:`~rlroute.data.CallRecords`."""
    missing = [c for c in _LOG_COLUMNS if c not in log.columns]
    if missing:
        raise ValueError(
            f"call log lacks column(s) {missing}: pass Simulator(..., record_calls=True).call_log()"
        )
    source = source or f"simulated:{scenario.name}"
    report = CleaningReport(source=source, rows_in=len(log), example_unit="row")
    ledger = RowLedger(report, np.arange(1, len(log) + 1))
    ledger.drop(
        "unserved",
        "still queued when the simulation ended (no patience, no agent): dropped",
        (log["outcome"] == "unserved").to_numpy(),
    )
    ledger.fix(
        "balked",
        "balked (left at once): recorded as abandoned with wait 0",
        (log["outcome"] == "balked").to_numpy(),
        always=False,
    )
    day_s = (scenario.intervals_per_day or scenario.n_intervals) * scenario.interval_s
    arrival_s = log["arrival_s"].to_numpy(dtype=float)
    day = np.floor(arrival_s / day_s)
    offset = scenario.start_clock_s - day * day_s  # clock time = offset + simulation time
    date = pd.Timestamp(start_date).normalize() + pd.to_timedelta(day, unit="D")

    def at(seconds: pd.Series) -> pd.Series:
        s = seconds.to_numpy(dtype=float) + offset
        return pd.Series(date + pd.to_timedelta(s, unit="s"), index=log.index)

    outcome = log["outcome"].replace({"balked": "abandoned"})
    wait = log["wait_s"].fillna(0.0).where(outcome != "unserved", 0.0)
    queued = (wait > 0) | (outcome == "abandoned")
    answered = outcome == "answered"
    prio = {c.name: c.priority for c in scenario.call_types}
    arrival = at(log["arrival_s"])
    service_start = at(log["service_start_s"]).where(answered)
    frame = pd.DataFrame(
        {
            "call_id": log["call_id"].astype(str),
            "customer_id": log["customer_id"].astype(str),
            "priority": log["call_type"].map(prio).fillna(0).astype("int64"),
            "call_type": log["call_type"].astype(str),
            "date": pd.Series(date, index=log.index),
            "arrival": arrival,
            "queue_entry": arrival.where(queued),
            "queue_exit": at(log["arrival_s"] + wait).where(queued),
            "wait_s": wait,
            "outcome": outcome.where(outcome != "unserved", "abandoned"),
            "service_start": service_start,
            "service_end": at(log["service_start_s"] + log["handle_s"]).where(answered),
            "handle_s": log["handle_s"].where(answered),
            "agent": (log["group"].astype(str) + "-" + log["agent_id"].astype(str)).where(answered),
            "day_type": day_type,
        }
    )
    frame = frame.loc[ledger.compact()]
    frame = finish(frame, ledger)
    return CallRecords(frame=frame, report=report, source=source)
