"""Handle times over the day: one multiplier per interval for each call type.

Why. A Scenario gives each (call type, group) one handle-time distribution, yet handle times
move with the hour (Brown et al. 2005, section 6: at the Anonymous Bank early-morning calls
are a quarter shorter than midday ones). A model with the day's average handle time carries
too much work in the morning and too little at noon, which flattens the hourly profiles of
waiting and abandonment. ``CallType.handle_time_profile`` multiplies every handle time of the
type by the factor of the call's arrival interval; the fitted distributions keep their shape.

Method. For each answered call, the *expected* handle time is the mean of its (type, group)
fit (:mod:`rlroute.calibrate.handle`), so a group that works only some hours does not pass
for a change of pace. The factor of interval i is a ratio of sums over the type's answered
calls arriving in i: ``sum(handle) / sum(expected)``. Intervals with fewer than ``min_calls``
calls take the same ratio over every type (the center's pace), or 1 if that is thin too.
Factors are divided by their call-weighted mean, so the profile moves work between hours but
leaves each type's mean handle time at its fit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from rlroute.calibrate.common import DayGrid, clock_seconds

__all__ = ["fit_handle_profiles"]


def _ratios(
    idx: np.ndarray, handle: np.ndarray, expected: np.ndarray, n: int, min_calls: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ratio of sums per interval, and whether it rests on at least ``min_calls`` calls."""
    count = np.bincount(idx, minlength=n)[:n]
    h = np.bincount(idx, weights=handle, minlength=n)[:n]
    e = np.bincount(idx, weights=expected, minlength=n)[:n]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(e > 0, h / e, 1.0)
    return r, count >= min_calls


def fit_handle_profiles(
    served: pd.DataFrame,
    grid: DayGrid,
    expected_mean: Mapping[tuple[str, str], float],
    group_of_agent: Mapping[str, str],
    min_calls: int = 50,
) -> tuple[dict[str, list[float]], pd.DataFrame]:
    """Per base call type, one handle-time factor per interval of ``grid``.

    Args:
        served: answered calls (canonical columns) with ``handle_s`` and ``agent``.
        grid: the Scenario's interval grid; calls arriving outside it are left out.
        expected_mean: (base type, group) -> fitted mean handle time, seconds.
        group_of_agent: agent -> group (calls of unknown agents are left out).
        min_calls: fewer calls than this in an interval: the center's pooled factor.

    Returns:
        ``{type: factors}`` and a table (type, interval, calls, factor) for the report.
    """
    rows = served[served["agent"].notna() & served["handle_s"].notna()]
    group = rows["agent"].astype(str).map(dict(group_of_agent))
    ctype = rows["call_type"].astype(str)
    expected = np.array(
        [expected_mean.get((t, g), np.nan) for t, g in zip(ctype, group, strict=True)],
        dtype=float,
    )
    idx = grid.index(clock_seconds(rows))
    ok = (idx >= 0) & np.isfinite(expected)
    handle = rows["handle_s"].to_numpy(dtype=float)
    idx, handle, expected, ctype = idx[ok], handle[ok], expected[ok], ctype.to_numpy()[ok]
    n = grid.n_intervals
    pooled, pooled_ok = _ratios(idx, handle, expected, n, min_calls)
    pooled = np.where(pooled_ok, pooled, 1.0)
    profiles: dict[str, list[float]] = {}
    table = []
    for t in sorted(set(ctype)):
        mine = ctype == t
        r, enough = _ratios(idx[mine], handle[mine], expected[mine], n, min_calls)
        factor = np.where(enough, r, pooled)
        counts = np.bincount(idx[mine], minlength=n)[:n]
        weight = counts.sum()
        if weight:
            factor = factor / (float((factor * counts).sum()) / weight)
        profiles[t] = [round(float(f), 4) for f in factor]
        table += [
            {
                "call_type": t,
                "interval": label,
                "calls": int(c),
                "source": "type" if e else "pooled",
                "factor": f,
            }
            for label, c, e, f in zip(grid.labels(), counts, enough, profiles[t], strict=True)
        ]
    return profiles, pd.DataFrame(table)
