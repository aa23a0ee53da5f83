"""Fixtures for calibration tests: one simulated month of the round-trip truth, calibrated."""

from __future__ import annotations

import pytest
from calib_helpers import truth_scenario

from rlroute.bench.synthetic import simulate_records
from rlroute.calibrate import calibrate


@pytest.fixture(scope="session")
def roundtrip():
    """(truth, records, fitted scenario, report) of one simulated month, calibrated."""
    truth = truth_scenario()
    records = simulate_records(truth, seed=2024)
    scenario, report = calibrate(records, interval_minutes=30, day_type="weekday")
    return truth, records, scenario, report


@pytest.fixture(scope="session")
def three_days():
    """(records, fitted scenario, report) of three simulated days (the replay tests)."""
    records = simulate_records(truth_scenario(n_days=3), seed=11)
    scenario, report = calibrate(records, min_fit_calls=20)
    return records, scenario, report
