"""Shared pieces of calibration: the error type, input checks and the time grid of a day.

Every estimator takes the canonical call table of :mod:`rlroute.data.schema` (a
:class:`~rlroute.data.CallRecords` or its ``frame``). This module checks that table once,
selects the rows an estimator may use (real calls of the chosen day type, inside the opening
window) and places each call on the interval grid, so that all estimators agree on which call
falls where.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rlroute.data import CallRecords, check_canonical

__all__ = [
    "QUEUE_OUTCOMES",
    "CalibrationError",
    "DayGrid",
    "as_frame",
    "clock_seconds",
    "infer_window",
    "queue_calls",
    "select_days",
]

QUEUE_OUTCOMES = ("answered", "abandoned")
"""Outcomes of calls that reached the queue: the arrivals a Scenario models. ``vru_abandoned``
callers hung up in the voice response unit before asking for an agent, and ``phantom`` rows
are not calls, so neither is an arrival to the queue."""


class CalibrationError(ValueError):
    """Calibration cannot proceed: the message names the input, the column and what is wrong."""


def as_frame(records: CallRecords | pd.DataFrame, name: str = "records") -> pd.DataFrame:
    """The canonical frame of ``records``, checked; raises :class:`CalibrationError` if not."""
    frame = records.frame if isinstance(records, CallRecords) else records
    if not isinstance(frame, pd.DataFrame):
        raise CalibrationError(
            f"{name}: expected CallRecords or a pandas DataFrame, got {type(records).__name__}"
        )
    problems = check_canonical(frame)
    if problems:
        raise CalibrationError(
            f"{name} is not a canonical call table (see rlroute.data.schema): "
            + "; ".join(problems)
        )
    if frame.empty:
        raise CalibrationError(f"{name}: the call table has no rows")
    return frame


def clock_seconds(frame: pd.DataFrame, column: str = "arrival") -> np.ndarray:
    """Seconds from the midnight of each row's ``date`` to ``column`` (may exceed a day)."""
    return (frame[column] - frame["date"]).dt.total_seconds().to_numpy(dtype=float)


@dataclass(frozen=True)
class DayGrid:
    """The part of the day a Scenario covers, cut into equal intervals.

    ``start_s`` and ``end_s`` are clock times (seconds after midnight); the Scenario's
    ``start_clock_s`` is ``start_s`` and its ``n_intervals`` is :attr:`n_intervals`.
    """

    interval_s: float
    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if not self.interval_s > 0:
            raise CalibrationError(f"interval must be positive, got {self.interval_s} s")
        if not 0 <= self.start_s < self.end_s <= 2 * 86_400:
            raise CalibrationError(
                f"day window [{self.start_s / 3600:g} h, {self.end_s / 3600:g} h) is empty or "
                "outside the day"
            )
        span = (self.end_s - self.start_s) / self.interval_s
        if abs(span - round(span)) > 1e-9:
            raise CalibrationError(
                f"day window [{self.start_s / 3600:g} h, {self.end_s / 3600:g} h) is not a whole "
                f"number of {self.interval_s / 60:g}-minute intervals"
            )

    @classmethod
    def from_hours(cls, interval_minutes: float, start_h: float, end_h: float) -> DayGrid:
        return cls(float(interval_minutes) * 60.0, float(start_h) * 3600.0, float(end_h) * 3600.0)

    @property
    def n_intervals(self) -> int:
        return round((self.end_s - self.start_s) / self.interval_s)

    @property
    def interval_h(self) -> float:
        return self.interval_s / 3600.0

    def starts_s(self) -> np.ndarray:
        """Clock time of the start of each interval (seconds after midnight)."""
        return self.start_s + self.interval_s * np.arange(self.n_intervals)

    def labels(self) -> list[str]:
        """``HH:MM`` start of each interval."""
        return [f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}" for s in self.starts_s()]

    def index(self, clock_s: np.ndarray) -> np.ndarray:
        """Interval index of each clock time; -1 outside the window."""
        idx = np.floor((np.asarray(clock_s, dtype=float) - self.start_s) / self.interval_s)
        idx = np.where(np.isfinite(idx), idx, -1).astype(np.int64)
        return np.where((idx >= 0) & (idx < self.n_intervals), idx, -1)


def infer_window(
    frame: pd.DataFrame, interval_s: float, min_share: float = 0.05
) -> tuple[float, float]:
    """The opening window: the hull of intervals with at least ``min_share`` of the busiest
    interval's mean arrivals (queue arrivals, all types), on whole intervals of the day."""
    clock = clock_seconds(frame)
    n_slots = math.ceil(86_400 / interval_s)
    idx = np.floor(clock / interval_s).astype(np.int64)
    counts = np.bincount(idx[(idx >= 0) & (idx < n_slots)], minlength=n_slots)
    if counts.max() == 0:
        raise CalibrationError("no arrival falls inside the day: cannot infer the opening hours")
    busy = np.flatnonzero(counts >= min_share * counts.max())
    return float(busy[0] * interval_s), float(min((busy[-1] + 1) * interval_s, 86_400.0))


def queue_calls(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that are arrivals to the queue (answered or abandoned)."""
    return frame[frame["outcome"].isin(QUEUE_OUTCOMES)]


def select_days(
    frame: pd.DataFrame,
    day_type: str | None = "weekday",
    dates: Iterable[str | pd.Timestamp] | None = None,
    name: str = "records",
) -> pd.DataFrame:
    """Rows of one day type (``None``: all) and, optionally, of the given dates only."""
    out = frame
    if day_type is not None:
        known = sorted(frame["day_type"].dropna().unique())
        if day_type not in known:
            raise CalibrationError(
                f"{name}: no rows of day_type {day_type!r}; the data has {known}"
            )
        out = out[out["day_type"] == day_type]
    if dates is not None:
        wanted = pd.DatetimeIndex([pd.Timestamp(d) for d in dates]).normalize()
        out = out[out["date"].isin(wanted)]
        if out.empty:
            raise CalibrationError(
                f"{name}: none of the dates {[str(d.date()) for d in wanted]} has rows"
                + ("" if day_type is None else f" of day_type {day_type!r}")
            )
    return out
