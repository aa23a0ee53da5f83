"""Not-ready episodes: synthetic agent timelines with known parameters are recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rlroute.calibrate import availability, profile_cv
from rlroute.calibrate.availability import (
    availability_loglik,
    fit_availability,
    fit_availability_samples,
    simulate_agent_timelines,
)
from rlroute.calibrate.common import CalibrationError

RATES = {h: (2.0 if h < 12 else 4.0) for h in range(8, 17)}  # requests per hour on shift
LENGTHS = {h: (240.0 if h < 12 else 600.0) for h in range(8, 17)}  # mean episode, seconds
ACW_MU, ACW_SIGMA = float(np.log(15.0)), 0.6


@pytest.fixture(scope="module")
def fitted():
    records = simulate_agent_timelines(
        RATES, LENGTHS, ACW_MU, ACW_SIGMA, n_agents=12, n_days=3, hours=(8, 17), seed=0
    )
    return records, fit_availability(records, min_hour_samples=200, bin_hours=4)


def test_round_trip_recovers_rates_lengths_and_wrap_up(fitted) -> None:
    """Rate and mean length per 4-hour block within 20%, the wrap-up lognormal within 3%
    (mu) and 10% (sigma). The last block (16:00) is left out: shifts end in it."""
    _, fit = fitted
    g = fit.groups.iloc[0]
    assert abs(g["acw_mu"] - ACW_MU) < 0.03 * ACW_MU
    assert abs(g["acw_sigma"] / ACW_SIGMA - 1) < 0.10
    rates, lengths = fit.rates("all"), fit.mean_lengths("all")
    for block in (8, 12):
        assert abs(rates[block] / RATES[block] - 1) < 0.20, (block, rates)
        assert abs(lengths[block] / LENGTHS[block] - 1) < 0.20, (block, lengths)
    assert (fit.hourly["source"] == "hour").all()


def test_no_double_counting_of_after_call_work(fitted) -> None:
    """The gaps' mean (what a wrap-up-only model would take as after-call work) is several
    times the true wrap-up; the joint fit gives the wrap-up its own mean back."""
    _, fit = fitted
    true_acw = np.exp(ACW_MU + ACW_SIGMA**2 / 2)
    naive = fit.samples.loc[fit.samples["observed"], "duration_s"].mean()
    assert naive > 2.5 * true_acw
    assert abs(fit.groups.iloc[0]["acw_mean_s"] / true_acw - 1) < 0.10


def test_likelihood_is_a_density() -> None:
    """The observed-gap density integrates to about 1 (W alone + W + L)."""
    d = np.geomspace(0.5, 20_000, 4000)
    ll = availability_loglik(
        d, np.ones_like(d, bool), np.full_like(d, 120.0), 2.7, 0.6, 1e-3, 300.0
    )
    mass = np.trapezoid(np.exp(ll), d)
    assert mass == pytest.approx(1.0, abs=0.02)
    cens = availability_loglik(
        np.array([0.5, 1e6]), np.zeros(2, bool), np.full(2, 120.0), 2.7, 0.6, 1e-3, 300.0
    )
    assert np.exp(cens[0]) == pytest.approx(1.0, abs=0.01) and np.exp(cens[1]) < 1e-6


def test_errors_name_the_problem() -> None:
    with pytest.raises(CalibrationError, match="missing columns"):
        fit_availability_samples(pd.DataFrame({"group": ["a"]}))
    with pytest.raises(CalibrationError, match="bin_hours"):
        fit_availability_samples(pd.DataFrame(), bin_hours=0)
    empty = simulate_agent_timelines(RATES, LENGTHS, ACW_MU, ACW_SIGMA, n_agents=1, n_days=1)
    with pytest.raises(CalibrationError, match="no agent group has 100 gaps"):
        fit_availability(empty.iloc[:5])


def test_commands_report_a_missing_file() -> None:
    assert availability.main(["--data", "/nonexistent/log.txt"]) == 2
    assert profile_cv.main(["--data", "/nonexistent/log.txt"]) == 2
