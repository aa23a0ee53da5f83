"""A calibration's days as they happened: each day's actual queue arrivals, for replay.

Why. A backtest that draws arrivals around each day's counts mixes the arrival model's error
with the service model's; replaying the real arrivals (``Simulator(scenario, seed,
arrivals=times)``, both engines) leaves only the latter. :func:`replay_arrivals` gives the
arrivals of all of a calibration's days on one day-by-day time axis (what the backtest's
``replay`` mode simulates); :func:`day_arrivals` cuts them into one replay per day for the
calibrated one-day Scenario, which is what ``rlroute-calibrate output.replay=true`` writes
(``replay/<date>.npz``, one array per call type). A day replayed on the calibrated Scenario
keeps that Scenario's staffing (the mean day's); the backtest's ``replay`` mode uses each
day's own inferred staffing instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rlroute.calibrate.common import clock_seconds, queue_calls
from rlroute.calibrate.core import CalibrationReport
from rlroute.scenario import Scenario

__all__ = ["day_arrivals", "load_day_arrivals", "replay_arrivals", "write_day_arrivals"]


def replay_arrivals(
    frame: pd.DataFrame, scenario: Scenario, report: CalibrationReport, seed: int = 0
) -> list[np.ndarray]:
    """The actual queue arrivals of ``report``'s days, as times of the day-by-day Scenario.

    One array per type of ``scenario`` (seconds from the first day's window start: day ``j``
    starts at ``j`` times the window's length). Labels follow the calibration: a split type's
    caller with ``priority >= high_priority`` is ``<type>_hi``; a caller of unknown priority
    (the Technion bug) is drawn ``_hi`` with the share of high priority among the identified
    callers of that type on these days (a seeded draw), as the rates share them pro rata.
    """
    grid, arr = report.grid, report.arrivals
    calls = queue_calls(frame[frame["date"].isin(arr.days)])
    idx = grid.index(clock_seconds(calls))
    calls, idx = calls[idx >= 0], idx[idx >= 0]
    base = calls["call_type"].astype(str).to_numpy()
    prio = calls["priority"].to_numpy(dtype=float, na_value=np.nan)
    high = float(report.settings.get("high_priority", 2))
    unknown = report.settings.get("unknown_priority")
    split = set(report.split_types)
    label = base.copy()
    is_split = np.isin(base, list(split))
    hi = is_split & (prio >= high)
    label[hi] = [f"{b}_hi" for b in base[hi]]
    if unknown is not None and split:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        for t in sorted(split):
            mine = base == t
            ident = mine & (prio != float(unknown))
            share = float((prio[ident] >= high).mean()) if ident.any() else 0.0
            unk = np.flatnonzero(mine & (prio == float(unknown)))
            label[unk[rng.random(unk.size) < share]] = f"{t}_hi"
    day_pos = {d: j for j, d in enumerate(arr.days)}
    day = calls["date"].map(day_pos).to_numpy(dtype=float)
    t_s = day * grid.n_intervals * grid.interval_s + clock_seconds(calls) - grid.start_s
    return [np.sort(t_s[label == name]) for name in scenario.type_names]


def day_arrivals(
    frame: pd.DataFrame, scenario: Scenario, report: CalibrationReport, seed: int = 0
) -> dict[str, list[np.ndarray]]:
    """Each calibrated day's actual arrivals, per call type of ``scenario`` (the one-day
    calibrated Scenario), in seconds from the day's window start: ``{"1999-02-07": [times of
    type 0, ...], ...}``, ready for ``Simulator(scenario, seed, arrivals=...)``."""
    days = report.arrivals.days
    day_s = report.grid.n_intervals * report.grid.interval_s
    times = replay_arrivals(frame, scenario, report, seed)
    out: dict[str, list[np.ndarray]] = {}
    for j, d in enumerate(days):
        lo, hi = j * day_s, (j + 1) * day_s
        out[str(pd.Timestamp(d).date())] = [t[(t >= lo) & (t < hi)] - lo for t in times]
    return out


def write_day_arrivals(
    replays: dict[str, list[np.ndarray]], scenario: Scenario, folder: str | Path
) -> list[Path]:
    """Write one ``<date>.npz`` per day (arrays named by call type) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for day, times in replays.items():
        path = folder / f"{day}.npz"
        arrays: dict[str, Any] = dict(zip(scenario.type_names, times, strict=True))
        np.savez_compressed(path, **arrays)
        paths.append(path)
    return paths


def load_day_arrivals(path: str | Path, scenario: Scenario) -> list[np.ndarray]:
    """A ``<date>.npz`` written by :func:`write_day_arrivals`, as the ``arrivals=`` list of
    ``scenario``'s call types (an error names a type the file lacks)."""
    with np.load(path) as npz:
        missing = [name for name in scenario.type_names if name not in npz.files]
        if missing:
            raise ValueError(
                f"{path}: no arrivals for call type(s) {missing} of scenario "
                f"{scenario.name!r} (the file has {sorted(npz.files)})"
            )
        return [np.asarray(npz[name], dtype=float) for name in scenario.type_names]
