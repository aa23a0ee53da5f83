"""Day-to-day variation of agents' availability: the Gamma shape of a per-day factor of each
group's not-ready request rate (the Scenario's ``NotReady.day_shape``).

Method. The pooled fit (:func:`~rlroute.calibrate.availability.fit_availability_samples`:
after-call work ``LogNormal(mu, sigma)``, request rate ``r(h)`` and mean episode length
``m(h)`` per clock-hour block) is held; each day ``d`` of each group gets one free parameter,
a factor ``f[d]`` of the whole rate profile, ``r_d(h) = f[d] r(h)``, fitted by maximum
likelihood on that day's own pressure gaps (the same gaps and likelihood as the pooled fit,
:func:`~rlroute.calibrate.availability.availability_loglik`; a 1-D bounded search on
``log f``). A full per-day refit of ``(mu, sigma, r, m)`` would be noisier and would let a
day's after-call work and episodes trade places; a moment estimate on the gaps would ignore
censoring. The Fisher information of the day's likelihood at ``f[d]`` (a numerical second
derivative) gives the sampling variance ``se[d]^2`` of each day's estimate.

Shape. The spread of the ``f[d]`` is the days' true spread plus each estimate's noise, so the
method of moments subtracts the mean sampling variance, as
:func:`~rlroute.calibrate.arrivals.gamma_shape_mom` subtracts the Poisson term:
``shape = mean(f)^2 / (var(f) - mean(se^2))`` (``ddof=1``). ``None`` (no factor) for a group
with fewer than ``MIN_DAYS`` usable days, or whose spread is no more than the noise.

Biases, stated: the noise term is a large-sample (Fisher) one, so with few gaps a day the
subtraction is approximate; a day's factor absorbs whatever else moves its gaps (a day whose
after-call work runs long reads as a less available day), and the pooled fit's own biases
(:mod:`~rlroute.calibrate.availability`) carry over. The backtest's mean-day forecast is the
judge of whether the factor helps. On the shipped log:
``python -m rlroute.bench.backtest --staffing shifts --availability fitted
--availability-day-factor``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from rlroute.calibrate.availability import AvailabilityFit, availability_loglik
from rlroute.calibrate.wrapup import wrap_up_samples

__all__ = [
    "MIN_DAYS",
    "AvailabilityDayFit",
    "day_shape_mom",
    "fit_availability_day_shape",
    "fit_day_factors",
]

#: Fewer usable days than this: no factor (a shape from 2 or 3 days is noise).
MIN_DAYS = 5
#: A day with fewer pressure gaps than this in a group gives that group no factor estimate.
MIN_DAY_GAPS = 30
_LOG_F_BOUNDS = (-5.0, 4.0)


def day_shape_mom(factors: np.ndarray, noise_var: np.ndarray) -> float | None:
    """Gamma shape of the day factor: ``mean^2 / (var - mean(noise_var))`` (module doc).

    >>> round(day_shape_mom(np.array([0.5, 1.5, 1.0, 1.0]), np.full(4, 0.01)), 3)
    6.383
    >>> day_shape_mom(np.array([0.9, 1.1, 1.0]), np.full(3, 0.05)) is None  # all noise
    True
    """
    f = np.asarray(factors, dtype=float)
    if f.size < 2:
        return None
    m, v = float(f.mean()), float(f.var(ddof=1)) - float(np.mean(noise_var))
    if not (m > 0 and v > 0):
        return None
    return m * m / v


def _day_nll(log_f: float, d: np.ndarray, obs: np.ndarray, talk: np.ndarray, head: tuple) -> float:
    mu, sigma, rate_s, length = head
    ll = availability_loglik(d, obs, talk, mu, sigma, np.exp(log_f) * rate_s, length)
    return float(-ll.sum())


def fit_day_factors(
    samples: pd.DataFrame, fit: AvailabilityFit, bin_hours: int = 1
) -> pd.DataFrame:
    """Per (group, day): the factor ``f`` of the pooled rate profile and its standard error.

    ``samples``: pressure gaps with a ``day`` column (and the columns of
    :func:`~rlroute.calibrate.wrapup.wrap_up_samples`); ``fit``: the pooled fit (on the
    same ``bin_hours``). Columns ``group``, ``day``, ``n``, ``factor``, ``se``; days with
    fewer than ``MIN_DAY_GAPS`` gaps, or whose factor sits at a search bound, are left out.
    """
    rows = []
    block = 3600.0 * bin_hours
    for row in fit.groups.itertuples():
        g = str(row.group)
        part = samples[samples["group"] == g]
        if part.empty:
            continue
        rates, lengths = fit.rates(g), fit.mean_lengths(g)
        hour = ((part["clock_s"].to_numpy(float) // block) * bin_hours).astype(int)
        rate_s = np.array([rates.get(h, row.rate_per_hour) for h in hour]) / 3600.0
        length = np.array([lengths.get(h, row.mean_length_s) for h in hour])
        days = part["day"].to_numpy()
        for day in np.unique(days):
            on = days == day
            if on.sum() < MIN_DAY_GAPS:
                continue
            d = part["duration_s"].to_numpy(float)[on]
            obs = part["observed"].to_numpy(bool)[on]
            talk = part["handle_s"].to_numpy(float)[on]
            head = (float(row.acw_mu), float(row.acw_sigma), rate_s[on], length[on])
            res = optimize.minimize_scalar(
                _day_nll, bounds=_LOG_F_BOUNDS, args=(d, obs, talk, head), method="bounded"
            )
            x = float(res.x)
            if min(abs(x - b) for b in _LOG_F_BOUNDS) < 1e-3:
                continue
            f = float(np.exp(x))
            # observed information in f: a central second difference of the NLL
            h = 1e-3 * f
            nll = [_day_nll(float(np.log(f + s * h)), d, obs, talk, head) for s in (-1, 0, 1)]
            info = (nll[0] - 2 * nll[1] + nll[2]) / (h * h)
            se = float(1 / np.sqrt(info)) if info > 0 else np.nan
            rows.append({"group": g, "day": day, "n": int(on.sum()), "factor": f, "se": se})
    cols = ["group", "day", "n", "factor", "se"]
    return pd.DataFrame(rows, columns=cols)


@dataclass
class AvailabilityDayFit:
    """Per group: the day factors' spread, their noise and the Gamma shape (None: none)."""

    factors: pd.DataFrame  # fit_day_factors' table
    shapes: dict[str, float | None]

    def table(self) -> pd.DataFrame:
        rows = []
        for g, shape in self.shapes.items():
            f = self.factors[self.factors["group"] == g]
            rows.append(
                {
                    "group": g,
                    "days": len(f),
                    "factor_mean": float(f["factor"].mean()) if len(f) else np.nan,
                    "factor_cv": float(f["factor"].std(ddof=1) / f["factor"].mean())
                    if len(f) > 1
                    else np.nan,
                    "noise_cv": float(np.sqrt(np.mean(f["se"] ** 2)) / f["factor"].mean())
                    if len(f)
                    else np.nan,
                    "day_shape": np.nan if shape is None else shape,
                }
            )
        return pd.DataFrame(rows)


def fit_availability_day_shape(
    served: pd.DataFrame,
    queued: pd.DataFrame,
    fit: AvailabilityFit,
    agent_group: Mapping[str, str],
    skills: Mapping[str, set[str] | frozenset[str] | list[str]],
    max_gap_s: float = 3600.0,
    bin_hours: int = 1,
) -> AvailabilityDayFit:
    """Every fitted group's ``day_shape`` from the calls of each day (see the module doc).

    ``served``/``queued``: the records the pooled ``fit`` came from (with a ``date``
    column), split by date so that each day's gaps are its own; the other arguments as
    :func:`~rlroute.calibrate.availability.fit_availability`'s.
    """
    parts = []
    q_dates = queued["date"].to_numpy()
    s_dates = served["date"].to_numpy()
    for day in np.unique(s_dates):
        s = wrap_up_samples(
            served[s_dates == day], queued[q_dates == day], agent_group, skills, max_gap_s
        )
        parts.append(s.assign(day=day))
    samples = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    factors = (
        fit_day_factors(samples, fit, bin_hours)
        if not samples.empty
        else pd.DataFrame(columns=["group", "day", "n", "factor", "se"])
    )
    shapes: dict[str, float | None] = {}
    for g in fit.groups["group"].astype(str):
        f = factors[factors["group"] == g]
        ok = f["se"].notna()
        shape = (
            day_shape_mom(f.loc[ok, "factor"].to_numpy(), f.loc[ok, "se"].to_numpy() ** 2)
            if ok.sum() >= MIN_DAYS
            else None
        )
        shapes[g] = None if shape is None else round(shape, 3)
    return AvailabilityDayFit(factors=factors, shapes=shapes)
