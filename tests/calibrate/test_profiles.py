"""Smoothed arrival profiles: a known smooth profile is recovered, df is chosen sensibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rlroute.bench.synthetic import simulate_records
from rlroute.calibrate import calibrate
from rlroute.calibrate.common import CalibrationError
from rlroute.calibrate.profile_cv import cv_table, holdout_table
from rlroute.calibrate.profiles import (
    candidate_dfs,
    choose_df,
    cv_deviance,
    empirical_profile,
    poisson_deviance,
    smooth_profile,
    smooth_profiles,
    spline_basis,
)
from rlroute.datasets import load_anonymous_bank
from rlroute.distributions import Exponential, LogNormal
from rlroute.scenario import AgentGroup, CallType, Scenario, Skill

N_INT = 34


def _truth(n: int = N_INT) -> np.ndarray:
    """A bank-like day: morning peak, lunch dip, afternoon shoulder (calls per interval)."""
    x = (np.arange(n) + 0.5) / n
    return 2.0 + 10 * np.exp(-(((x - 0.25) / 0.12) ** 2)) + 6 * np.exp(-(((x - 0.65) / 0.15) ** 2))


def test_basis_is_a_partition_of_unity() -> None:
    for df in (1, 2, 3, 4, 10, N_INT):
        b = spline_basis(N_INT, df)
        assert b.shape == (N_INT, df)
        assert np.allclose(b.sum(axis=1), 1.0)
    with pytest.raises(CalibrationError, match="arrival_df"):
        spline_basis(N_INT, N_INT + 1)


def test_round_trip_recovers_a_smooth_profile() -> None:
    """Counts drawn from a known smooth profile: the spline is within 3 standard errors of
    the interval mean everywhere, within 10% where the rate is >= 4 calls, and closer to the
    truth than the interval means."""
    truth = _truth()
    rng = np.random.default_rng(12)
    counts = rng.poisson(truth, size=(20, N_INT))
    df = choose_df(counts)
    assert 5 <= df <= 16
    fit = smooth_profile(counts, df)
    emp = empirical_profile(counts)
    se = np.sqrt(truth / counts.shape[0])
    assert np.abs(fit - truth).max() < 3 * se.max()
    assert (np.abs(fit - truth) / se).max() < 3
    assert np.abs(fit / truth - 1)[truth >= 4].max() < 0.10
    assert np.abs(fit - truth).mean() < 0.7 * np.abs(emp - truth).mean()
    # the day total is kept (B-splines sum to one: the score equation of the intercept)
    assert fit.sum() == pytest.approx(emp.sum(), rel=1e-6)


def test_held_out_deviance_prefers_the_spline_on_smooth_data() -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(_truth(), size=(12, N_INT))
    assert cv_deviance(counts, 8) < cv_deviance(counts, "empirical")
    assert cv_deviance(counts, 8, folds=3) < cv_deviance(counts, 1, folds=3)
    table = cv_table(counts[:, None, :], ["A"], dfs=[4, 8])
    assert set(table["call_type"]) == {"A", "ALL"}
    assert len(table) == 6


def test_holdout_table_scores_later_days() -> None:
    rng = np.random.default_rng(4)
    counts = rng.poisson(_truth(), size=(16, N_INT))[:, None, :]
    fit = np.arange(16) < 8
    table = holdout_table(counts, ["A"], fit, dfs=[6])
    dev = table[table["call_type"] == "ALL"].set_index("model")["deviance"]
    assert list(dev.index) == ["empirical", "spline (CV df)", "spline df=6"]
    assert dev["spline (CV df)"] < dev["empirical"]
    with pytest.raises(CalibrationError, match="holdout: 1 fitting"):
        holdout_table(counts, ["A"], np.arange(16) < 1, dfs=[6])


def test_a_step_profile_keeps_the_empirical_candidate() -> None:
    """A profile with a hard step (closed half of the day) is better left unsmoothed:
    the saturated candidate (df = intervals) is among the choices and can win."""
    assert candidate_dfs(N_INT)[-1] == N_INT
    truth = np.where(np.arange(N_INT) % 2 == 0, 40.0, 0.5)
    counts = np.random.default_rng(0).poisson(truth, size=(15, N_INT))
    assert choose_df(counts, max_df=8) == N_INT


def test_zero_counts_and_deviance() -> None:
    counts = np.zeros((5, N_INT))
    counts[:, 10] = 3
    fit = smooth_profile(counts, 6)
    assert np.all(np.isfinite(fit)) and fit.sum() == pytest.approx(3.0, rel=1e-5)
    assert np.all(smooth_profile(np.zeros((3, N_INT)), 6) == 0)
    assert poisson_deviance(np.array([2.0]), np.array([2.0]))[0] == pytest.approx(0.0)
    with pytest.raises(CalibrationError, match="non-negative"):
        smooth_profile(-counts, 6)
    with pytest.raises(CalibrationError, match="2 df values for 1 types"):
        smooth_profiles(counts[:, None, :], [4, 5])


def _two_type_scenario(n_days: int) -> Scenario:
    one = [float(r) for r in 4 * _truth(12)]
    return Scenario(
        name="profile_truth",
        interval_s=1800.0,
        n_intervals=12 * n_days,
        intervals_per_day=12,
        start_clock_s=8 * 3600.0,
        call_types=[
            CallType(
                name="A",
                arrival_rates_per_hour=one * n_days,
                patience=Exponential(mean_s=200.0),
            )
        ],
        agent_groups=[
            AgentGroup(
                name="g",
                head_count=30,
                skills={"A": Skill(handle_time=LogNormal(mu=4.5, sigma=0.5))},
            )
        ],
    )


def test_calibrate_option_end_to_end() -> None:
    """calibrate(arrival_profile=...): spline is smooth and keeps the volume; empirical is
    the interval means; too few intervals fall back to empirical and say so."""
    records = simulate_records(_two_type_scenario(8), seed=5)
    spline, rep_s = calibrate(records, window_hours=(8, 14), arrival_df=5, min_fit_calls=10)
    emp, rep_e = calibrate(
        records, window_hours=(8, 14), arrival_profile="empirical", min_fit_calls=10
    )
    rs = np.asarray(spline.call_types[0].arrival_rates_per_hour)
    re = np.asarray(emp.call_types[0].arrival_rates_per_hour)
    assert rs.sum() == pytest.approx(re.sum(), rel=1e-3)
    assert np.abs(np.diff(rs, 2)).sum() < np.abs(np.diff(re, 2)).sum()
    assert rep_s.arrivals.profile_df == {"A": 5}
    assert "spline" in rep_s.settings["arrival_profile"]
    assert rep_e.settings["arrival_profile"] == "empirical"
    _, rep_auto = calibrate(records, window_hours=(8, 14), min_fit_calls=10)
    assert 1 <= rep_auto.arrivals.profile_df["A"] <= 12
    _, short = calibrate(records, window_hours=(8, 10), min_fit_calls=10)
    assert short.settings["arrival_profile"].startswith("empirical (spline asked")
    with pytest.raises(CalibrationError, match="arrival_profile must be one of"):
        calibrate(records, arrival_profile="kernel")


@pytest.mark.slow
def test_on_the_shipped_log_the_spline_predicts_the_later_fortnight_better() -> None:
    """docs/fidelity.md's table: fit 1-14 February, score 15-28 February (weekdays)."""
    _, report = calibrate(load_anonymous_bank(), split_priority=True, arrival_profile="empirical")
    arr = report.arrivals
    fit = np.asarray([d < pd.Timestamp("1999-02-15") for d in arr.days])
    table = holdout_table(arr.counts, arr.types, fit, dfs=[10])
    dev = table[table["call_type"] == "ALL"].set_index("model")["deviance"]
    assert dev["spline (CV df)"] < 0.95 * dev["empirical"]
