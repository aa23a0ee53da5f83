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
