"""Staffing per interval, inferred from service activity (call logs hold no login records).

Methods.

* ``"shifts"`` (default): for each agent and day, the served calls are sorted by start and
  chained into *shifts*: a gap of more than ``gap_minutes`` (default 30) between the end of
  one call and the start of the next ends a shift. The agent counts as on duty from the start
  of a shift's first call to the end of its last call, widened at both ends by the shift's
  median idle gap between calls (the first call does not arrive the moment an agent sits
  down). Head count in an interval is the
  agent-time on duty in it divided by its length (so an agent present half the interval
  counts 0.5), summed over the agents of a group, averaged over days and rounded.
* ``"queue"``: the agents *available to the queue*. An automatic call distributor does not
  leave an agent idle while a call they can take is waiting, so while at least one call of a
  group's types waits, the group's busy agents *are* its available agents (an exact sweep
  over service and queue events measures them). While nobody waits, availability cannot be
  seen and the ``shifts`` count stands in for it. The head count is the time average of the
  two: ``busy_when_queued * q + on_duty * (1 - q)``, ``q`` the share of the interval with a
  call waiting (``on_duty`` is taken as constant within the interval).
* ``"busy"``: the offered-load view, ``sum of handle time in the interval / interval
  length`` = the mean number of busy agents. A hard lower bound on the agents on duty (it
  assumes 100% occupancy); divide by an occupancy to get a head count.

Biases, stated. ``shifts`` *over*-states the agents available to the queue when an agent
does other work between calls (short breaks, back-office work, outbound calls, anything
under ``gap_minutes``) and *under*-states them at the edges of a shift (the idle time before
the first and after the last call of a shift, and a whole idle interval in a quiet period).
In a busy center (high occupancy, short gaps) the first bias dominates; the two cancel
roughly at moderate load. Calls answered by an unnamed agent (Technion ``NO_SERVER``) add
work that no agent is credited with; their count is reported. ``busy`` is unbiased for the
work done but is not a head count. ``queue`` removes the main bias of ``shifts`` where it
matters, when calls wait: agents on duty but doing other work (wrap-up, back office, short
breaks) are left out then. It is still biased *low* while calls wait, because queues form
precisely when fewer agents happen to be available (the moments it averages over are
selected on low availability), and *high* while nobody waits (it takes every agent on a
shift as available then, the ``shifts`` bias), which matters less since nobody is waiting.
Head counts are rounded so that agent-hours are kept: the running sum over the day's
intervals is rounded (``round(cumsum)`` differenced), so 4.4 agents become 4, 5, 4, 5, 4, ...
rather than 4 or 5 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rlroute.calibrate.common import CalibrationError, DayGrid

__all__ = [
    "StaffingFit",
    "agent_shifts",
    "busy_when_queued",
    "infer_staffing",
    "round_keeping_sum",
]


def round_keeping_sum(x: np.ndarray) -> np.ndarray:
    """Round to integers along the last axis keeping running sums: ``diff(round(cumsum))``.

    >>> round_keeping_sum(np.array([4.4, 4.4, 4.4, 4.4, 4.4])).tolist()
    [4, 5, 4, 5, 4]
    """
    c = np.rint(np.cumsum(np.clip(x, 0.0, None), axis=-1))
    return np.diff(c, axis=-1, prepend=0.0).astype(int)


def _overlap(start: np.ndarray, end: np.ndarray, grid: DayGrid) -> np.ndarray:
    """Seconds of each [start, end) that fall in each interval: shape (len(start), n)."""
    lo = grid.starts_s()
    hi = lo + grid.interval_s
    return np.clip(np.minimum(end[:, None], hi) - np.maximum(start[:, None], lo), 0.0, None)


def _service_spans(served: pd.DataFrame) -> pd.DataFrame:
    """Answered calls with a named agent: agent, date, start and end clock seconds."""
    rows = served[served["agent"].notna() & served["service_start"].notna()]
    start = (rows["service_start"] - rows["date"]).dt.total_seconds().to_numpy(dtype=float)
    handle = rows["handle_s"].fillna(0.0).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "agent": rows["agent"].astype(str).to_numpy(),
            "date": rows["date"].to_numpy(),
            "start": start,
            "end": start + handle,
        }
    )


def agent_shifts(
    served: pd.DataFrame, gap_minutes: float = 30.0, extend_edges: bool = True
) -> pd.DataFrame:
    """Shifts per agent and day: ``agent, date, start, end`` (clock seconds), ``calls``.

    With ``extend_edges`` each shift starts earlier and ends later by the median idle gap
    between its own consecutive calls (0 for a one-call shift): an agent is on duty for a
    while before the first call reaches them and after the last one ends, and the shift's
    own rhythm is the best guess of how long.
    """
    if gap_minutes < 0:
        raise CalibrationError(f"gap_minutes must be >= 0, got {gap_minutes}")
    spans = _service_spans(served).sort_values(["agent", "date", "start"], kind="stable")
    if spans.empty:
        return spans.assign(calls=pd.Series([], dtype=int), edge=pd.Series([], dtype=float))
    gap = gap_minutes * 60.0
    key = spans["agent"] + "|" + spans["date"].astype(str)
    reach = spans.groupby(key, sort=False)["end"].cummax()
    prev_reach = reach.groupby(key, sort=False).shift(1)
    idle = spans["start"] - prev_reach
    new = (key != key.shift(1)) | (idle > gap)
    shift_id = new.cumsum()
    shifts = (
        spans.assign(shift=shift_id.to_numpy(), idle=idle.where(~new).clip(lower=0.0))
        .groupby("shift", sort=False)
        .agg(
            agent=("agent", "first"),
            date=("date", "first"),
            start=("start", "min"),
            end=("end", "max"),
            calls=("start", "size"),
            edge=("idle", "median"),
        )
        .reset_index(drop=True)
    )
    shifts["edge"] = shifts["edge"].fillna(0.0) if extend_edges else 0.0
    shifts["start"] -= shifts["edge"]
    shifts["end"] += shifts["edge"]
    return shifts


@dataclass
class StaffingFit:
    """Inferred staffing per day, group and interval.

    Attributes:
        on_duty: agents on duty (``shifts`` rule), array ``(days, groups, intervals)``.
        busy: mean busy agents (handle time / interval), same shape.
        head_count: the Scenario's head count per group and interval (``method``).
        unnamed_busy: mean busy agents serving calls with no named agent, ``(days, intervals)``.
        busy_when_queued: mean busy agents while a call of the group's types waits (NaN where
            no call waited), same shape as ``on_duty``.
        queue_share: share of each interval with such a call waiting, same shape.
    """

    grid: DayGrid
    groups: list[str]
    days: list[pd.Timestamp]
    method: str
    gap_minutes: float
    occupancy: float
    on_duty: np.ndarray
    busy: np.ndarray
    unnamed_busy: np.ndarray
    head_count: np.ndarray
    shifts: pd.DataFrame
    busy_when_queued: np.ndarray
    queue_share: np.ndarray

    def daily_agents(self) -> np.ndarray:
        """Agents per day, group and interval by ``method`` (not rounded)."""
        if self.method == "shifts":
            return self.on_duty
        if self.method == "busy":
            return self.busy / self.occupancy
        q = self.queue_share
        return np.nan_to_num(self.busy_when_queued) * q + self.on_duty * (1.0 - q)

    def daily_head_count(self) -> np.ndarray:
        """Head count of each day, group and interval by the same method, rounded so that
        each day's agent-hours are kept (see the module docstring)."""
        return round_keeping_sum(self.daily_agents())

    def table(self) -> pd.DataFrame:
        """One row per interval: head count, on duty and busy per group (means over days)."""
        out: dict[str, Any] = {"start": self.grid.labels()}
        for j, g in enumerate(self.groups):
            out[f"head_count_{g}"] = self.head_count[j]
            out[f"on_duty_{g}"] = self.on_duty[:, j].mean(axis=0)
            out[f"busy_{g}"] = self.busy[:, j].mean(axis=0)
            out[f"busy_when_queued_{g}"] = np.nanmean(
                np.where(self.queue_share[:, j] > 0, self.busy_when_queued[:, j], np.nan), axis=0
            )
            out[f"queue_share_{g}"] = self.queue_share[:, j].mean(axis=0)
        out["busy_unnamed"] = self.unnamed_busy.mean(axis=0)
        total_on = self.on_duty.sum(axis=1).mean(axis=0)
        total_busy = self.busy.sum(axis=1).mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["occupancy_inferred"] = np.where(total_on > 0, total_busy / total_on, np.nan)
        return pd.DataFrame(out)


def _sweep(
    t0: pd.Timestamp,
    busy_start: np.ndarray,
    busy_end: np.ndarray,
    queue_start: np.ndarray,
    queue_end: np.ndarray,
    grid: DayGrid,
    day_offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrals over each (day, interval) of ``busy(t) 1[queue(t) > 0]`` and of
    ``1[queue(t) > 0]``, by an exact sweep over the events (times in seconds after ``t0``)."""
    n_days, n = len(day_offsets), grid.n_intervals
    bounds = (day_offsets[:, None] + grid.start_s + grid.interval_s * np.arange(n + 1)).ravel()
    times = np.concatenate([busy_start, busy_end, queue_start, queue_end, bounds])
    db = np.concatenate(
        [np.ones(busy_start.size), -np.ones(busy_end.size), np.zeros(2 * queue_start.size)]
    )
    dq = np.concatenate(
        [np.zeros(2 * busy_start.size), np.ones(queue_start.size), -np.ones(queue_end.size)]
    )
    db = np.concatenate([db, np.zeros(bounds.size)])
    dq = np.concatenate([dq, np.zeros(bounds.size)])
    order = np.argsort(times, kind="stable")
    times, busy, queue = times[order], np.cumsum(db[order]), np.cumsum(dq[order])
    dur = np.diff(times, append=times[-1])
    # Each segment [times[j], times[j+1]) lies inside one interval (boundaries are events).
    day = np.searchsorted(day_offsets, times, side="right") - 1
    idx = grid.index(times - day_offsets[np.clip(day, 0, n_days - 1)])
    ok = (day >= 0) & (idx >= 0) & (queue > 0) & (dur > 0)
    bq, tq = np.zeros((n_days, n)), np.zeros((n_days, n))
    np.add.at(bq, (day[ok], idx[ok]), busy[ok] * dur[ok])
    np.add.at(tq, (day[ok], idx[ok]), dur[ok])
    return bq, tq


def busy_when_queued(
    calls: pd.DataFrame,
    grid: DayGrid,
    agent_group: dict[str, str],
    groups: list[str],
    skills: dict[str, list[str]],
    days: list[pd.Timestamp],
) -> tuple[np.ndarray, np.ndarray]:
    """Mean busy agents of each group while a call of its types waits, and the share of
    time such a call waits: two arrays ``(days, groups, intervals)`` (NaN: nobody waited)."""
    t0 = pd.Timestamp(days[0])
    offsets = np.array([(pd.Timestamp(d) - t0).total_seconds() for d in days])
    served = calls[(calls["outcome"] == "answered") & calls["service_start"].notna()]
    s_start = (served["service_start"] - t0).dt.total_seconds().to_numpy(dtype=float)
    s_end = s_start + served["handle_s"].fillna(0.0).to_numpy(dtype=float)
    s_group = served["agent"].astype("string").map(agent_group).to_numpy(dtype=object)
    waited = calls[calls["queue_entry"].notna() & (calls["wait_s"] > 0)]
    q_start = (waited["queue_entry"] - t0).dt.total_seconds().to_numpy(dtype=float)
    q_end = q_start + waited["wait_s"].to_numpy(dtype=float)
    q_type = waited["call_type"].astype(str).to_numpy()
    shape = (len(days), len(groups), grid.n_intervals)
    mean_busy, share = np.full(shape, np.nan), np.zeros(shape)
    for j, g in enumerate(groups):
        mine = s_group == g
        theirs = np.isin(q_type, skills.get(g, []))
        bq, tq = _sweep(
            t0, s_start[mine], s_end[mine], q_start[theirs], q_end[theirs], grid, offsets
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_busy[:, j] = np.where(tq > 0, bq / tq, np.nan)
        share[:, j] = tq / grid.interval_s
    return mean_busy, share


def infer_staffing(
    served: pd.DataFrame,
    grid: DayGrid,
    agent_group: dict[str, str],
    groups: list[str],
    days: list[pd.Timestamp] | None = None,
    method: str = "shifts",
    gap_minutes: float = 30.0,
    occupancy: float = 0.9,
    skills: dict[str, list[str]] | None = None,
    extend_edges: bool = True,
) -> StaffingFit:
    """Infer head counts per group and interval from the calls of the chosen days.

    Args:
        served: calls (canonical rows) of the days to fit; answered ones are the service
            activity, and for ``method="queue"`` the queued ones give the waiting times.
        agent_group: agent -> group (agents not in it are ignored, and counted in the report).
        days: the dates to average over (default: the dates in ``served``). A day with no
            service counts as a day with nobody on duty.
        method: ``"shifts"`` or ``"busy"`` (see the module docstring).
        occupancy: for ``"busy"``, the assumed occupancy: head count = busy / occupancy.
        skills: group -> call types it serves (``"queue"``: whose waiting calls count).
        extend_edges: widen each shift by its median idle gap at both ends
            (see :func:`agent_shifts`).
    """
    if method not in ("shifts", "busy", "queue"):
        raise CalibrationError(
            f"staffing method must be 'shifts', 'busy' or 'queue', got {method!r}"
        )
    if not 0 < occupancy <= 1:
        raise CalibrationError(f"occupancy must be in (0, 1], got {occupancy}")
    calls = served
    served = served[served["outcome"] == "answered"]
    if days is None:
        days = sorted(pd.DatetimeIndex(served["date"].unique()))
    if not days:
        raise CalibrationError("no answered call: cannot infer staffing")
    day_pos = {pd.Timestamp(d): j for j, d in enumerate(days)}
    group_pos = {g: j for j, g in enumerate(groups)}
    shape = (len(days), len(groups), grid.n_intervals)
    on_duty, busy = np.zeros(shape), np.zeros(shape)

    spans = _service_spans(served)
    spans = spans[spans["agent"].map(agent_group).notna()]
    d = spans["date"].map(day_pos).to_numpy(dtype=float)
    g = spans["agent"].map(agent_group).map(group_pos).to_numpy(dtype=float)
    ok = np.isfinite(d) & np.isfinite(g)
    ov = _overlap(spans["start"].to_numpy()[ok], spans["end"].to_numpy()[ok], grid)
    np.add.at(busy, (d[ok].astype(int), g[ok].astype(int)), ov / grid.interval_s)

    shifts = agent_shifts(served, gap_minutes, extend_edges)
    shifts = shifts[shifts["agent"].map(agent_group).notna()]
    d = shifts["date"].map(day_pos).to_numpy(dtype=float)
    g = shifts["agent"].map(agent_group).map(group_pos).to_numpy(dtype=float)
    ok = np.isfinite(d) & np.isfinite(g)
    ov = _overlap(shifts["start"].to_numpy()[ok], shifts["end"].to_numpy()[ok], grid)
    np.add.at(on_duty, (d[ok].astype(int), g[ok].astype(int)), ov / grid.interval_s)

    unnamed = served[served["agent"].isna() & served["service_start"].notna()]
    u_start = (unnamed["service_start"] - unnamed["date"]).dt.total_seconds().to_numpy(float)
    u_end = u_start + unnamed["handle_s"].fillna(0.0).to_numpy(float)
    u_day = unnamed["date"].map(day_pos).to_numpy(dtype=float)
    ok = np.isfinite(u_day)
    unnamed_busy = np.zeros((len(days), grid.n_intervals))
    np.add.at(
        unnamed_busy,
        u_day[ok].astype(int),
        _overlap(u_start[ok], u_end[ok], grid) / grid.interval_s,
    )

    if skills is None:
        skills = {g: sorted(calls["call_type"].astype(str).unique()) for g in groups}
    bwq, qshare = busy_when_queued(calls, grid, agent_group, groups, skills, list(days))
    fit = StaffingFit(
        grid=grid,
        groups=list(groups),
        days=list(days),
        method=method,
        gap_minutes=gap_minutes,
        occupancy=occupancy,
        on_duty=on_duty,
        busy=busy,
        unnamed_busy=unnamed_busy,
        head_count=np.zeros((len(groups), grid.n_intervals), dtype=int),
        shifts=shifts,
        busy_when_queued=bwq,
        queue_share=qshare,
    )
    fit.head_count = round_keeping_sum(fit.daily_agents().mean(axis=0))
    return fit
