"""Day-to-day availability: a known Gamma shape of the not-ready rate's day factor is
recovered from synthetic agent timelines (rlroute.calibrate.availability_day)."""

from __future__ import annotations

import numpy as np
import pytest

from rlroute.calibrate.availability import fit_availability, simulate_agent_timelines
from rlroute.calibrate.availability_day import day_shape_mom, fit_availability_day_shape
from rlroute.calibrate.common import CalibrationError, queue_calls

RATES = {h: (2.0 if h < 12 else 4.0) for h in range(8, 17)}  # requests per hour on shift
LENGTHS = {h: (240.0 if h < 12 else 600.0) for h in range(8, 17)}
ACW_MU, ACW_SIGMA = float(np.log(15.0)), 0.6
N_AGENTS, N_DAYS, SHAPE = 8, 20, 4.0


def _fit(day_factors: np.ndarray | None, seed: int):
    records = simulate_agent_timelines(
        RATES,
        LENGTHS,
        ACW_MU,
        ACW_SIGMA,
        n_agents=N_AGENTS,
        n_days=N_DAYS,
        hours=(8, 17),
        seed=seed,
        day_factors=day_factors,
    )
    fit = fit_availability(records, bin_hours=4)
    served = records[(records["outcome"] == "answered") & records["agent"].notna()]
    groups = {f"agent-{a}": "all" for a in range(N_AGENTS)}
    return fit_availability_day_shape(
        served, queue_calls(records), fit, groups, {"all": {"A"}}, bin_hours=4
    )


def test_round_trip_recovers_the_day_shape() -> None:
    """Days whose request rates are scaled by Gamma(4) factors: each day's estimated factor
    follows the true one (correlation > 0.9), and the fitted shape's CV is within 15% of the
    CV of the factors actually drawn (the Gamma sampling of 20 days is not the estimator's)."""
    truth = np.random.default_rng(100).gamma(SHAPE, 1 / SHAPE, N_DAYS)
    day = _fit(truth, seed=0)
    est = day.factors.sort_values("day")["factor"].to_numpy()
    assert est.size == N_DAYS
    assert np.corrcoef(est, truth)[0, 1] > 0.9
    shape = day.shapes["all"]
    assert shape is not None
    true_cv = truth.std(ddof=1) / truth.mean()
    assert abs(1 / np.sqrt(shape) / true_cv - 1) < 0.15, (shape, true_cv)
    row = day.table().iloc[0]
    assert row["noise_cv"] < row["factor_cv"] / 3  # the noise term is small but subtracted


def test_no_variation_gives_no_or_a_weak_factor() -> None:
    """Without day factors the days' spread is sampling noise: no shape, or one whose CV is
    under 0.15 (the noise subtraction is large-sample, so not exactly zero)."""
    shape = _fit(None, seed=1).shapes["all"]
    assert shape is None or 1 / np.sqrt(shape) < 0.15, shape


def test_moments_subtract_the_noise() -> None:
    f = np.array([0.5, 1.5, 1.0, 1.0])
    assert day_shape_mom(f, np.zeros(4)) == pytest.approx(1 / f.var(ddof=1))
    assert day_shape_mom(f, np.full(4, 0.1)) == pytest.approx(1 / (f.var(ddof=1) - 0.1))
    assert day_shape_mom(f, np.full(4, 1.0)) is None
    assert day_shape_mom(f[:1], np.zeros(1)) is None


def test_day_factors_must_match_the_days() -> None:
    with pytest.raises(CalibrationError, match="day_factors: 2 values for 3 days"):
        simulate_agent_timelines(RATES, LENGTHS, ACW_MU, ACW_SIGMA, n_days=3, day_factors=[1, 1])
