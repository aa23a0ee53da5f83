"""Arrival rates per call type and interval of the day, and their day-to-day overdispersion.

Method.

* **Rates.** For one day type (e.g. Sunday-Thursday weekdays) over ``D`` days, the rate of
  type ``k`` in interval ``i`` is the mean count per day divided by the interval length:
  ``lambda[k, i] = sum_d N[d, k, i] / (D * interval_h)`` calls per hour, the maximum-likelihood
  estimate of a Poisson rate (also under the Gamma-Poisson model below). Only calls that
  reached the queue count (``answered`` and ``abandoned``); callers who hung up in the VRU
  never asked for an agent and phantom rows are not calls. ``D`` counts the days of the type
  that have at least one record: a day with no record at all cannot be told from a missing day.
* **Day-to-day overdispersion.** Real arrival counts vary far more between days than a
  Poisson process allows (Brown et al. 2005). The Scenario models this as a Gamma day
  multiplier ``M`` with mean 1 and shape ``a`` per type: daily totals are Poisson(``M m``),
  so ``Var N = m + m^2 / a``. The method of moments on the daily totals (mean ``m``, sample
  variance ``v`` with ``ddof=1``) gives ``a = m^2 / (v - m)``; when ``v <= m`` there is no
  overdispersion to model and the shape is ``None`` (pure Poisson). A trend across the
  month, or a mix of day types, also shows up as overdispersion: that is deliberate, the
  multiplier stands for every reason a day differs from the average one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rlroute.calibrate.common import CalibrationError, DayGrid, clock_seconds, queue_calls

__all__ = ["ArrivalFit", "daily_counts", "fit_arrivals", "gamma_shape_mom"]


def gamma_shape_mom(daily_totals: np.ndarray) -> float | None:
    """Gamma shape of the day multiplier by the method of moments: ``m^2 / (v - m)``.

    ``None`` when there is no overdispersion (``v <= m``) or fewer than two days.

    >>> gamma_shape_mom(np.array([90, 110, 100, 100]))  # v = 66.7 < m = 100: Poisson
    >>> round(gamma_shape_mom(np.array([50.0, 150.0])), 3)  # m=100, v=5000 -> 100^2/4900
    2.041
    """
    x = np.asarray(daily_totals, dtype=float)
    if x.size < 2:
        return None
    m, v = float(x.mean()), float(x.var(ddof=1))
    if m <= 0 or v <= m:
        return None
    return m * m / (v - m)


@dataclass
class ArrivalFit:
    """Fitted arrival rates and the daily counts behind them.

    Attributes:
        grid: the interval grid of the day.
        types: call types, in order.
        days: the dates used (one per day of the type).
        counts: array ``(days, types, intervals)`` of queue arrivals.
        rates_per_hour: array ``(types, intervals)``, the fitted Poisson rates.
        day_shape: Gamma shape of the day multiplier per type (``None``: Poisson).
        outside_window: queue arrivals of the selected days that fall outside the window.
        profile_df: spline degrees of freedom per type when ``rates_per_hour`` is a smoothed
            profile (:mod:`rlroute.calibrate.profiles`); empty: the empirical means.
    """

    grid: DayGrid
    types: list[str]
    days: list[pd.Timestamp]
    counts: np.ndarray
    rates_per_hour: np.ndarray
    day_shape: dict[str, float | None]
    outside_window: int
    profile_df: dict[str, int] = field(default_factory=dict)

    @property
    def daily_totals(self) -> np.ndarray:
        """Calls per day and type, ``(days, types)``."""
        return self.counts.sum(axis=2)

    def table(self) -> pd.DataFrame:
        """One row per type and interval: fitted rate, mean and std of the daily counts."""
        rows = []
        for k, name in enumerate(self.types):
            for i, label in enumerate(self.grid.labels()):
                c = self.counts[:, k, i]
                rows.append(
                    {
                        "call_type": name,
                        "interval": i,
                        "start": label,
                        "rate_per_hour": float(self.rates_per_hour[k, i]),
                        "mean_count": float(c.mean()),
                        "std_count": float(c.std(ddof=1)) if c.size > 1 else float("nan"),
                    }
                )
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """One row per type: calls per day (mean, std), the Gamma shape and the day CV."""
        tot = self.daily_totals
        rows = []
        for k, name in enumerate(self.types):
            shape = self.day_shape[name]
            rows.append(
                {
                    "call_type": name,
                    "calls_per_day": float(tot[:, k].mean()),
                    "std_per_day": float(tot[:, k].std(ddof=1)) if len(tot) > 1 else np.nan,
                    "poisson_std": float(np.sqrt(tot[:, k].mean())),
                    "day_shape": np.nan if shape is None else float(shape),
                    "day_cv": np.nan if shape is None else float(1 / np.sqrt(shape)),
                }
            )
        return pd.DataFrame(rows)


def daily_counts(
    frame: pd.DataFrame, grid: DayGrid, types: list[str], days: list[pd.Timestamp]
) -> tuple[np.ndarray, int]:
    """Queue arrivals per (day, type, interval), and how many fell outside the window."""
    calls = queue_calls(frame)
    idx = grid.index(clock_seconds(calls))
    day_pos = {d: j for j, d in enumerate(days)}
    type_pos = {t: k for k, t in enumerate(types)}
    d = calls["date"].map(day_pos).to_numpy(dtype=float)
    k = calls["call_type"].map(type_pos).astype("float64").to_numpy(dtype=float, na_value=np.nan)
    ok = (idx >= 0) & np.isfinite(d) & np.isfinite(k)
    counts = np.zeros((len(days), len(types), grid.n_intervals))
    np.add.at(counts, (d[ok].astype(int), k[ok].astype(int), idx[ok]), 1.0)
    return counts, int((idx < 0).sum())


def fit_arrivals(
    frame: pd.DataFrame,
    grid: DayGrid,
    types: list[str] | None = None,
    type_column: str = "call_type",
) -> ArrivalFit:
    """Fit rates per type and interval, and the Gamma day-multiplier shape per type.

    ``frame`` holds the rows of the days to fit (one day type), already selected; ``types``
    fixes the order (default: sorted names seen in queue arrivals). ``type_column`` lets a
    caller fit on a derived type label (e.g. types split by priority).
    """
    calls = queue_calls(frame)
    if calls.empty:
        raise CalibrationError("no answered or abandoned call: nothing to fit arrivals on")
    if type_column != "call_type":
        calls = calls.assign(call_type=calls[type_column])
    if types is None:
        types = sorted(calls["call_type"].dropna().unique())
    days = sorted(pd.DatetimeIndex(frame["date"].unique()))
    counts, outside = daily_counts(calls, grid, list(types), days)
    rates = counts.mean(axis=0) / grid.interval_h
    shapes = {t: gamma_shape_mom(counts[:, k, :].sum(axis=1)) for k, t in enumerate(types)}
    return ArrivalFit(
        grid=grid,
        types=list(types),
        days=days,
        counts=counts,
        rates_per_hour=rates,
        day_shape=shapes,
        outside_window=outside,
    )
