"""Day-to-day staffing: the Gamma day factor of each agent group's head counts, and how much of
the day's arrival factor staffing follows (the Scenario's ``AgentGroup.staffing_day_factor``).

Method. A day type's Scenario staffs every day with the mean profile; the real days do not:
``D`` days of inferred agents ``A[d, g, i]`` (not rounded, :meth:`StaffingFit.daily_agents`)
give each group a **staffing factor** per day, the day's agent-hours over the mean day's,
``S[d] = sum_i A[d, g, i] / mean_d sum_i A[d, g, i]`` (mean 1 by construction), and an
**arrival factor** per day, the day's queue arrivals of the types the group serves over their
mean, ``L[d] = sum_k N[d, k] / mean_d sum_k N[d, k]`` (the types' day multipliers weighted by
their expected calls, as the simulator forms it). The model is
``S = (1 + b (L - 1)) E`` with ``E`` Gamma(``shape``, 1 / ``shape``):

* ``b``, the load slope, is the least-squares slope of ``S`` on ``L`` (both have mean 1, so
  the line passes through (1, 1) and ``E[S] = 1`` stays exact), clipped to [0, 1];
* ``E[d] = S[d] / (1 + b (L[d] - 1))``, and the shape is the method of moments on it,
  ``mean^2 / variance`` (``ddof=1``), as :func:`~rlroute.calibrate.arrivals.gamma_shape_mom`
  does for arrivals (without the Poisson term: head counts are not counts of random events).

``None`` (no factor) for a group with fewer than ``MIN_DAYS`` days or no variation. Inferred
staffing is itself estimated from the calls agents served, so part of ``S``'s spread (and
its correlation with ``L``: more calls show more agents at work) is the inference's, not
the centre's; the backtest's mean-day forecast is the judge of whether the factor helps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rlroute.scenario import StaffingDayFactor

__all__ = ["MIN_DAYS", "StaffingDayFit", "day_factors", "fit_staffing_day_factors"]

#: Fewer days than this: no factor (a shape from 2 or 3 days is noise).
MIN_DAYS = 5


def day_factors(
    agents: np.ndarray, counts: np.ndarray, group_types: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per day and group: the staffing factor ``S`` and the arrival factor ``L``.

    ``agents``: ``(days, groups, intervals)`` agents on duty; ``counts``: ``(days, types,
    intervals)`` queue arrivals; ``group_types[g]``: indices of the types group g serves.
    Both factors are ``(days, groups)`` with mean 1 per group (NaN where the group has no
    agent-hours or its types no calls).
    """
    hours = np.asarray(agents, dtype=float).sum(axis=2)  # (days, groups)
    calls = np.asarray(counts, dtype=float).sum(axis=2)  # (days, types)
    n_days, n_groups = hours.shape
    s = np.full((n_days, n_groups), np.nan)
    load = np.full((n_days, n_groups), np.nan)
    for g in range(n_groups):
        mean_h = hours[:, g].mean()
        if mean_h > 0:
            s[:, g] = hours[:, g] / mean_h
        mine = calls[:, list(group_types[g])].sum(axis=1)
        if mine.mean() > 0:
            load[:, g] = mine / mine.mean()
    return s, load


@dataclass
class StaffingDayFit:
    """Per group: days, the factors' spread, the load slope and the Gamma shape."""

    groups: list[str]
    staffing_factor: np.ndarray  # (days, groups)
    arrival_factor: np.ndarray  # (days, groups)
    factors: list[StaffingDayFactor | None]

    def table(self) -> pd.DataFrame:
        rows = []
        for g, name in enumerate(self.groups):
            s, load = self.staffing_factor[:, g], self.arrival_factor[:, g]
            ok = np.isfinite(s) & np.isfinite(load)
            f = self.factors[g]
            rows.append(
                {
                    "group": name,
                    "days": int(ok.sum()),
                    "staffing_cv": float(np.std(s[ok], ddof=1)) if ok.sum() > 1 else np.nan,
                    "arrival_cv": float(np.std(load[ok], ddof=1)) if ok.sum() > 1 else np.nan,
                    "corr": float(np.corrcoef(s[ok], load[ok])[0, 1]) if ok.sum() > 2 else np.nan,
                    "load_slope": np.nan if f is None else f.load_slope,
                    "shape": np.nan if f is None else f.shape,
                    "noise_cv": np.nan if f is None else float(1 / np.sqrt(f.shape)),
                }
            )
        return pd.DataFrame(rows)


def _fit_one(s: np.ndarray, load: np.ndarray) -> StaffingDayFactor | None:
    ok = np.isfinite(s) & np.isfinite(load)
    s, load = s[ok], load[ok]
    if s.size < MIN_DAYS:
        return None
    dl = load - 1.0
    var_l = float(np.dot(dl, dl))
    slope = float(np.dot(s - 1.0, dl) / var_l) if var_l > 0 else 0.0
    slope = min(max(slope, 0.0), 1.0)
    noise = s / (1.0 + slope * dl)
    m, v = float(noise.mean()), float(noise.var(ddof=1))
    if not (m > 0 and v > 0):
        return None
    return StaffingDayFactor(shape=round(m * m / v, 3), load_slope=round(slope, 3))


def fit_staffing_day_factors(
    agents: np.ndarray,
    counts: np.ndarray,
    group_types: Sequence[Sequence[int]],
    groups: Sequence[str],
) -> StaffingDayFit:
    """Fit every group's :class:`~rlroute.scenario.StaffingDayFactor` (see the module doc)."""
    s, load = day_factors(agents, counts, group_types)
    factors = [_fit_one(s[:, g], load[:, g]) for g in range(s.shape[1])]
    return StaffingDayFit(
        groups=list(groups), staffing_factor=s, arrival_factor=load, factors=factors
    )
