"""Staffing per interval, inferred from service activity (call logs hold no login records).

Methods.

* ``"shifts"`` (default): for each agent and day, the served calls are sorted by start and
  chained into *shifts*: a gap of more than ``gap_minutes`` (default 30) between the end of
  one call and the start of the next ends a shift. The agent counts as on duty from the start
  of a shift's first call to the end of its last call. Head count in an interval is the
  agent-time on duty in it divided by its length (so an agent present half the interval
  counts 0.5), summed over the agents of a group, averaged over days and rounded.
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
work done but is not a head count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rlroute.calibrate.common import CalibrationError, DayGrid

__all__ = ["StaffingFit", "agent_shifts", "infer_staffing"]


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


def agent_shifts(served: pd.DataFrame, gap_minutes: float = 30.0) -> pd.DataFrame:
    """Shifts per agent and day: ``agent, date, start, end`` (clock seconds), ``calls``."""
    if gap_minutes < 0:
        raise CalibrationError(f"gap_minutes must be >= 0, got {gap_minutes}")
    spans = _service_spans(served).sort_values(["agent", "date", "start"], kind="stable")
    if spans.empty:
        return spans.assign(calls=pd.Series([], dtype=int))
    gap = gap_minutes * 60.0
    key = spans["agent"] + "|" + spans["date"].astype(str)
    reach = spans.groupby(key, sort=False)["end"].cummax()
    prev_reach = reach.groupby(key, sort=False).shift(1)
    new = (key != key.shift(1)) | ((spans["start"] - prev_reach) > gap)
    shift_id = new.cumsum()
    return (
        spans.assign(shift=shift_id.to_numpy())
        .groupby("shift", sort=False)
        .agg(
            agent=("agent", "first"),
            date=("date", "first"),
            start=("start", "min"),
            end=("end", "max"),
            calls=("start", "size"),
        )
        .reset_index(drop=True)
    )


@dataclass
class StaffingFit:
    """Inferred staffing per day, group and interval.

    Attributes:
        on_duty: agents on duty (``shifts`` rule), array ``(days, groups, intervals)``.
        busy: mean busy agents (handle time / interval), same shape.
        head_count: the Scenario's head count per group and interval (``method``).
        unnamed_busy: mean busy agents serving calls with no named agent, ``(days, intervals)``.
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

    def daily_head_count(self) -> np.ndarray:
        """Head count of each day, group and interval by the same method, rounded."""
        base = self.on_duty if self.method == "shifts" else self.busy / self.occupancy
        return np.rint(base).astype(int)

    def table(self) -> pd.DataFrame:
        """One row per interval: head count, on duty and busy per group (means over days)."""
        out = {"start": self.grid.labels()}
        for j, g in enumerate(self.groups):
            out[f"head_count_{g}"] = self.head_count[j]
            out[f"on_duty_{g}"] = self.on_duty[:, j].mean(axis=0)
            out[f"busy_{g}"] = self.busy[:, j].mean(axis=0)
        out["busy_unnamed"] = self.unnamed_busy.mean(axis=0)
        total_on = self.on_duty.sum(axis=1).mean(axis=0)
        total_busy = self.busy.sum(axis=1).mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["occupancy_inferred"] = np.where(total_on > 0, total_busy / total_on, np.nan)
        return pd.DataFrame(out)


def infer_staffing(
    served: pd.DataFrame,
    grid: DayGrid,
    agent_group: dict[str, str],
    groups: list[str],
    days: list[pd.Timestamp] | None = None,
    method: str = "shifts",
    gap_minutes: float = 30.0,
    occupancy: float = 0.9,
) -> StaffingFit:
    """Infer head counts per group and interval from the answered calls of the chosen days.

    Args:
        served: answered calls (canonical rows) of the days to fit.
        agent_group: agent -> group (agents not in it are ignored, and counted in the report).
        days: the dates to average over (default: the dates in ``served``). A day with no
            service counts as a day with nobody on duty.
        method: ``"shifts"`` or ``"busy"`` (see the module docstring).
        occupancy: for ``"busy"``, the assumed occupancy: head count = busy / occupancy.
    """
    if method not in ("shifts", "busy"):
        raise CalibrationError(f"staffing method must be 'shifts' or 'busy', got {method!r}")
    if not 0 < occupancy <= 1:
        raise CalibrationError(f"occupancy must be in (0, 1], got {occupancy}")
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

    shifts = agent_shifts(served, gap_minutes)
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

    base = on_duty if method == "shifts" else busy / occupancy
    head = np.rint(base.mean(axis=0)).astype(int)
    return StaffingFit(
        grid=grid,
        groups=list(groups),
        days=list(days),
        method=method,
        gap_minutes=gap_minutes,
        occupancy=occupancy,
        on_duty=on_duty,
        busy=busy,
        unnamed_busy=unnamed_busy,
        head_count=head,
        shifts=shifts,
    )
