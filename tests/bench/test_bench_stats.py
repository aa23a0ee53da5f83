"""Benchmark statistics against scipy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rlroute.bench.stats import (
    aggregate_iqm,
    iqm,
    paired_differences,
    robust_summary,
    stratified_bootstrap_ci,
    summarize,
    t_interval,
)

SAMPLE = np.array([0.81, 0.77, 0.85, 0.79, 0.83, 0.80, 0.76, 0.88])


def test_t_interval_matches_scipy():
    mean, hw, n = t_interval(SAMPLE)
    lo, hi = stats.t.interval(0.95, df=len(SAMPLE) - 1, loc=SAMPLE.mean(), scale=stats.sem(SAMPLE))
    assert n == 8
    assert mean == pytest.approx(SAMPLE.mean())
    assert mean - hw == pytest.approx(lo) and mean + hw == pytest.approx(hi)
    ci = stats.ttest_1samp(SAMPLE, 0).confidence_interval(0.90)
    _, hw90, _ = t_interval(SAMPLE, 0.90)
    assert hw90 == pytest.approx((ci.high - ci.low) / 2)


def test_t_interval_edge_cases():
    assert t_interval([3.0, 3.0, 3.0]) == (3.0, 0.0, 3)
    m, hw, n = t_interval([2.0])
    assert (m, n) == (2.0, 1) and math.isnan(hw)
    m, hw, n = t_interval([1.0, np.nan, 3.0])
    assert (m, n) == (2.0, 2) and hw == pytest.approx(stats.t.ppf(0.975, 1) * 1.0)
    assert t_interval([np.nan])[2] == 0


def _runs() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    base = rng.normal(0.8, 0.05, size=6)  # a "day effect" shared by both routers
    rows = []
    for seed, b in enumerate(base):
        rows.append(
            {
                "scenario": "s",
                "router": "fifo",
                "seed": seed,
                "service_level": b,
                "asa": 10.0 + seed,
            }
        )
        rows.append(
            {
                "scenario": "s",
                "router": "x",
                "seed": seed,
                "service_level": b + 0.02,
                "asa": 8.0 + seed + 0.1 * (seed % 2),
            }
        )
    return pd.DataFrame(rows)


def test_summarize_long_frame():
    runs = _runs()
    s = summarize(runs, ["service_level", "asa"])
    assert list(s.columns) == [
        "scenario",
        "router",
        "kpi",
        "n",
        "mean",
        "std",
        "half_width",
        "ci_lo",
        "ci_hi",
    ]
    assert len(s) == 4
    row = s.set_index(["router", "kpi"]).loc[("fifo", "asa")]
    lo, hi = stats.t.interval(0.95, 5, loc=12.5, scale=stats.sem(np.arange(10.0, 16.0)))
    assert row["mean"] == pytest.approx(12.5)
    assert (row["ci_lo"], row["ci_hi"]) == (pytest.approx(lo), pytest.approx(hi))


def test_paired_differences_cancel_the_common_noise():
    runs = _runs()
    d = paired_differences(runs, "fifo", ["service_level", "asa"]).set_index("kpi")
    sl = d.loc["service_level"]
    assert sl["mean_diff"] == pytest.approx(0.02)
    assert sl["half_width"] == pytest.approx(0.0, abs=1e-12)  # the day effect cancels exactly
    assert sl["significant"]
    # unpaired intervals overlap, the paired one excludes 0
    s = summarize(runs, ["service_level"]).set_index("router")
    assert s.loc["x", "ci_lo"] < s.loc["fifo", "ci_hi"]
    asa = d.loc["asa"]
    diffs = np.array([-2.0 + 0.1 * (s % 2) for s in range(6)])
    ci = stats.ttest_1samp(diffs, 0).confidence_interval(0.95)
    assert (asa["ci_lo"], asa["ci_hi"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert asa["rel_diff"] == pytest.approx(diffs.mean() / 12.5)
    with pytest.raises(ValueError, match="reference router 'nope'"):
        paired_differences(runs, "nope")


def test_paired_differences_use_common_seeds_only():
    runs = _runs()
    runs = runs[~((runs["router"] == "x") & (runs["seed"] == 0))]
    d = paired_differences(runs, "fifo", ["service_level"])
    assert int(d["n"].iloc[0]) == 5


def test_iqm_is_the_mean_of_the_middle_half():
    x = np.array([100.0, 1, 2, 3, 4, 5, 6, -50])  # 8 values: drop 2 at each end
    assert iqm(x) == pytest.approx(np.mean([2, 3, 4, 5]))
    assert iqm(np.arange(12.0)) == pytest.approx(np.mean(np.arange(3.0, 9.0)))


def test_bootstrap_percentile_interval():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 1.0, size=40)
    point, lo, hi = stratified_bootstrap_ci([x], np.mean, n_boot=4000, rng=1)
    assert point == pytest.approx(x.mean())
    assert lo < point < hi
    # against scipy's percentile bootstrap of the mean (same method, other draws)
    ref = stats.bootstrap(
        (x,), np.mean, n_resamples=4000, method="percentile", random_state=np.random.default_rng(2)
    ).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.05) and hi == pytest.approx(ref.high, abs=0.05)
    # deterministic given the seed, constant data gives a degenerate interval
    assert stratified_bootstrap_ci([x], np.mean, rng=1) == stratified_bootstrap_ci(
        [x], np.mean, rng=1
    )
    assert stratified_bootstrap_ci([np.full(5, 2.0)], iqm) == (2.0, 2.0, 2.0)


def test_stratified_bootstrap_keeps_each_stratum():
    # Two strata far apart: every resample keeps 3 of each, so the mean is pinned near the
    # middle; a pooled bootstrap would swing much more.
    a, b = np.array([0.0, 0.0, 0.0]), np.array([10.0, 10.0, 10.0])
    point, lo, hi = stratified_bootstrap_ci([a, b], np.mean, n_boot=500, rng=0)
    assert point == lo == hi == 5.0


def test_robust_and_aggregate_tables():
    runs = _runs()
    rob = robust_summary(runs, ["service_level"], n_boot=200)
    assert list(rob.columns) == ["scenario", "router", "kpi", "iqm", "iqm_lo", "iqm_hi"]
    assert (rob["iqm_lo"] <= rob["iqm"]).all() and (rob["iqm"] <= rob["iqm_hi"]).all()
    two = pd.concat([runs, runs.assign(scenario="t")])
    agg = aggregate_iqm(two, ["service_level"], n_boot=200)
    assert set(agg["router"]) == {"fifo", "x"}
    assert (agg["n_scenarios"] == 2).all() and (agg["n_runs"] == 12).all()
