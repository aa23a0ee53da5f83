"""Day-to-day staffing factors (issue 12 item 3): the estimator's round trip on synthetic days
with known parameters, drawn by the simulator's own function, and its use in ``calibrate``."""

from __future__ import annotations

import numpy as np
import pytest
from calib_helpers import truth_scenario

from rlroute.bench.synthetic import simulate_records
from rlroute.calibrate import calibrate
from rlroute.calibrate.report import to_markdown
from rlroute.calibrate.staffing_day import MIN_DAYS, day_factors, fit_staffing_day_factors
from rlroute.scenario import StaffingDayFactor
from rlroute.sim.staffing import draw_day_staffing

PROFILE = np.array([[4, 10, 25, 40, 40, 30, 12], [2, 6, 9, 12, 12, 8, 3]], dtype=float)
RATES = np.array([[20.0, 80, 200, 300, 300, 200, 60], [10.0, 30, 60, 90, 90, 50, 20]])
GROUP_TYPES = [[0, 1], [1]]


def _synthetic_days(
    truth: list[StaffingDayFactor], n_days: int, seed: int, rounded: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Days of agents and arrival counts: Gamma day multipliers per type, Poisson counts,
    staffing factors by the simulator's own draw (rounded head counts) or unrounded."""
    rng = np.random.default_rng(seed)
    n_int = PROFILE.shape[1]
    agents = np.zeros((n_days, 2, n_int))
    counts = np.zeros((n_days, 2, n_int))
    base = (PROFILE * 10).astype(int).tolist()  # big head counts: rounding adds little
    for d in range(n_days):
        mult = rng.gamma(20.0, 1 / 20.0, 2)
        counts[d] = rng.poisson(RATES * mult[:, None])
        if rounded:
            heads = np.zeros((2, n_int), dtype=np.int64)
            draw_day_staffing(rng, truth, base, heads, RATES, GROUP_TYPES, list(mult), 0, n_int)
            agents[d] = heads
        else:
            for g, f in enumerate(truth):
                w = RATES[GROUP_TYPES[g]].sum(axis=1)
                load = float(np.dot(w, mult[GROUP_TYPES[g]]) / w.sum())
                e = rng.gamma(f.shape, 1 / f.shape)
                agents[d, g] = PROFILE[g] * (1 + f.load_slope * (load - 1)) * e
    return agents, counts


@pytest.mark.parametrize("rounded", [False, True])
def test_round_trip_recovers_shape_and_load_slope(rounded: bool) -> None:
    truth = [
        StaffingDayFactor(shape=25.0, load_slope=0.6),
        StaffingDayFactor(shape=60.0, load_slope=0.0),
    ]
    agents, counts = _synthetic_days(truth, 3000, seed=1, rounded=rounded)
    fit = fit_staffing_day_factors(agents, counts, GROUP_TYPES, ["a", "b"])
    for got, want in zip(fit.factors, truth, strict=True):
        assert got is not None
        assert got.shape == pytest.approx(want.shape, rel=0.1)
        assert got.load_slope == pytest.approx(want.load_slope, abs=0.08)
    table = fit.table()
    assert table["days"].tolist() == [3000, 3000]
    assert table.loc[0, "corr"] > 0.3 > abs(table.loc[1, "corr"])


def test_factors_have_mean_one_and_degenerate_cases_give_none() -> None:
    agents, counts = _synthetic_days([StaffingDayFactor(shape=10.0)] * 2, 40, 2, rounded=False)
    s, load = day_factors(agents, counts, GROUP_TYPES)
    assert np.allclose(s.mean(axis=0), 1.0) and np.allclose(load.mean(axis=0), 1.0)
    flat = np.repeat(PROFILE[None], 30, axis=0)  # the same staffing every day
    assert fit_staffing_day_factors(flat, counts[:30], GROUP_TYPES, ["a", "b"]).factors == [
        None,
        None,
    ]
    few = fit_staffing_day_factors(
        agents[: MIN_DAYS - 1], counts[: MIN_DAYS - 1], GROUP_TYPES, "ab"
    )
    assert few.factors == [None, None]


def test_staffing_that_falls_on_busy_days_gets_slope_zero() -> None:
    agents, counts = _synthetic_days([StaffingDayFactor(shape=1e4)] * 2, 300, 3, rounded=False)
    _, load = day_factors(agents, counts, GROUP_TYPES)
    agents = agents * (2.0 - load)[:, :, None]  # staffed less on busy days
    fit = fit_staffing_day_factors(agents, counts, GROUP_TYPES, ["a", "b"])
    assert [f.load_slope for f in fit.factors if f is not None] == [0.0, 0.0]


def test_calibrate_puts_the_factors_on_the_groups() -> None:
    records = simulate_records(truth_scenario(n_days=6), seed=4)
    plain, _ = calibrate(records, min_fit_calls=20)
    scenario, report = calibrate(records, min_fit_calls=20, staffing_day_factor=True)
    assert all(g.staffing_day_factor is None for g in plain.agent_groups)
    assert report.staffing_days is not None and "staffing_days" in report.tables()
    assert report.settings["staffing_day_factor"] is True
    assert "## Staffing from day to day" in to_markdown(report, scenario, {})
    got = [g.staffing_day_factor for g in scenario.agent_groups]
    assert any(f is not None for f in got)
    assert [g.head_count for g in scenario.agent_groups] == [
        g.head_count for g in plain.agent_groups
    ]
