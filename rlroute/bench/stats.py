"""Statistics of a benchmark: t-intervals, paired differences on common random numbers, IQM.

* :func:`summarize`: mean and 95% t-interval of every KPI per (scenario, router), over seeds.
* :func:`paired_differences`: per seed, router minus a reference router on the same random
  numbers; the t-interval of those differences is far tighter than comparing two independent
  intervals, because the day-to-day noise (a busy day is busy for every router) cancels.
* :func:`robust_summary`, :func:`aggregate_iqm`: interquartile mean with percentile (per
  scenario) or stratified (across scenarios) bootstrap intervals, as rliable recommends for
  learned policies (Agarwal et al. 2021), whose returns have heavy tails across seeds.

Every function returns a long frame (one row per scenario, router, KPI); NaN values of a KPI
(e.g. ASA when nothing was answered) are left out of that KPI's sample and ``n`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rlroute.bench.runner import kpi_columns

CONFIDENCE = 0.95


def t_interval(x: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> tuple:
    """``(mean, half_width, n)`` of the Student-t interval for the mean of ``x`` (NaNs dropped).

    One value gives a NaN half-width; identical values give 0.
    """
    a = np.asarray(x, dtype=float)
    a = a[~np.isnan(a)]
    n = a.size
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(a.mean())
    if n == 1:
        return mean, math.nan, 1
    sem = float(a.std(ddof=1)) / math.sqrt(n)
    hw = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sem if sem > 0 else 0.0
    return mean, hw, n


def summarize(
    runs: pd.DataFrame,
    kpis: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Mean, standard deviation and t-interval of each KPI per (scenario, router).

    Columns: scenario, router, kpi, n, mean, std, half_width, ci_lo, ci_hi. Row order follows
    the first appearance of scenarios and routers in ``runs``, then ``kpis``.
    """
    kpis = list(kpis) if kpis is not None else kpi_columns(runs)
    rows = []
    for (scenario, router), grp in runs.groupby(["scenario", "router"], sort=False):
        for kpi in kpis:
            values = grp[kpi].to_numpy(dtype=float)
            mean, hw, n = t_interval(values, confidence)
            finite = values[~np.isnan(values)]
            rows.append(
                {
                    "scenario": scenario,
                    "router": router,
                    "kpi": kpi,
                    "n": n,
                    "mean": mean,
                    "std": float(finite.std(ddof=1)) if n > 1 else math.nan,
                    "half_width": hw,
                    "ci_lo": mean - hw,
                    "ci_hi": mean + hw,
                }
            )
    return pd.DataFrame(rows)


def paired_differences(
    runs: pd.DataFrame,
    reference: str = "fifo",
    kpis: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Per scenario and router, the t-interval of ``router - reference`` over common seeds.

    Columns: scenario, router, reference, kpi, n, ref_mean, mean_diff, half_width, ci_lo,
    ci_hi, rel_diff (``mean_diff / ref_mean``) and significant (the interval excludes 0).
    """
    if reference not in set(runs["router"]):
        raise ValueError(
            f"reference router {reference!r} is not in the results; "
            f"routers: {sorted(set(runs['router']))}"
        )
    kpis = list(kpis) if kpis is not None else kpi_columns(runs)
    rows = []
    for scenario, sc_runs in runs.groupby("scenario", sort=False):
        ref = sc_runs[sc_runs["router"] == reference].set_index("seed")
        for router, grp in sc_runs.groupby("router", sort=False):
            if router == reference:
                continue
            mine = grp.set_index("seed")
            seeds = mine.index.intersection(ref.index)
            for kpi in kpis:
                diff = mine.loc[seeds, kpi].to_numpy(float) - ref.loc[seeds, kpi].to_numpy(float)
                mean, hw, n = t_interval(diff, confidence)
                ref_mean = float(np.nanmean(ref.loc[seeds, kpi])) if len(seeds) else math.nan
                rows.append(
                    {
                        "scenario": scenario,
                        "router": router,
                        "reference": reference,
                        "kpi": kpi,
                        "n": n,
                        "ref_mean": ref_mean,
                        "mean_diff": mean,
                        "half_width": hw,
                        "ci_lo": mean - hw,
                        "ci_hi": mean + hw,
                        "rel_diff": mean / ref_mean if ref_mean else math.nan,
                        "significant": bool(hw == hw and abs(mean) > hw),
                    }
                )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- robust statistics (rliable)
def iqm(x: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """Interquartile mean: the mean of the middle 50% (25% trimmed from each end)."""
    return stats.trim_mean(x, 0.25, axis=axis)


def stratified_bootstrap_ci(
    strata: Sequence[Sequence[float] | np.ndarray],
    statistic: Callable[..., Any] = iqm,
    n_boot: int = 2000,
    confidence: float = CONFIDENCE,
    rng: np.random.Generator | int | None = 0,
) -> tuple[float, float, float]:
    """``(point, lo, hi)``: the statistic of all values and its percentile bootstrap interval.

    Each bootstrap sample resamples every stratum (e.g. the seeds of one scenario) with
    replacement on its own, so each stratum keeps its size; one stratum is the ordinary
    percentile bootstrap. ``statistic(values, axis=1)`` must reduce the last axis.
    """
    rng = np.random.default_rng(rng)
    arrays = [np.asarray(s, dtype=float) for s in strata]
    arrays = [a[~np.isnan(a)] for a in arrays]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return math.nan, math.nan, math.nan
    point = float(statistic(np.concatenate(arrays)[None, :], axis=1)[0])
    resampled = np.concatenate(
        [a[rng.integers(0, a.size, size=(n_boot, a.size))] for a in arrays], axis=1
    )
    boot = statistic(resampled, axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [alpha, 1 - alpha])
    return point, float(lo), float(hi)


def robust_summary(
    runs: pd.DataFrame,
    kpis: Sequence[str] | None = None,
    n_boot: int = 2000,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """IQM over seeds with a percentile bootstrap interval, per (scenario, router, KPI)."""
    kpis = list(kpis) if kpis is not None else kpi_columns(runs)
    rng = np.random.default_rng(seed)
    rows = []
    for (scenario, router), grp in runs.groupby(["scenario", "router"], sort=False):
        for kpi in kpis:
            point, lo, hi = stratified_bootstrap_ci(
                [grp[kpi].to_numpy(float)], iqm, n_boot, confidence, rng
            )
            rows.append(
                {
                    "scenario": scenario,
                    "router": router,
                    "kpi": kpi,
                    "iqm": point,
                    "iqm_lo": lo,
                    "iqm_hi": hi,
                }
            )
    return pd.DataFrame(rows)


def aggregate_iqm(
    runs: pd.DataFrame,
    kpis: Sequence[str],
    n_boot: int = 2000,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """IQM of each router over every (scenario, seed) run, stratified bootstrap by scenario.

    Only meaningful for KPIs on a common scale across scenarios (service level, abandonment
    rate); rliable normalises scores per task first for the same reason.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for router, grp in runs.groupby("router", sort=False):
        for kpi in kpis:
            strata = [g[kpi].to_numpy(float) for _, g in grp.groupby("scenario", sort=False)]
            point, lo, hi = stratified_bootstrap_ci(strata, iqm, n_boot, confidence, rng)
            rows.append(
                {
                    "router": router,
                    "kpi": kpi,
                    "n_scenarios": len(strata),
                    "n_runs": len(grp),
                    "iqm": point,
                    "iqm_lo": lo,
                    "iqm_hi": hi,
                }
            )
    return pd.DataFrame(rows)
