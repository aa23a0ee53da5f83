"""The backtest's ``replay`` mode: each day's actual arrivals, not Poisson draws."""

from __future__ import annotations

import numpy as np
import pytest

from rlroute.bench.backtest import backtest, day_by_day_scenario, pick_engine, replay_arrivals


@pytest.fixture(scope="module")
def fitted(three_days):
    return three_days


def test_replayed_times_are_the_records(fitted) -> None:
    records, scenario, report = fitted
    days = day_by_day_scenario(scenario, report)
    times = replay_arrivals(records.frame, days, report)
    for name, t in zip(days.type_names, times, strict=True):
        k = report.arrivals.types.index(name)
        assert t.size == report.arrivals.counts[:, k, :].sum()
        assert np.all(np.diff(t) >= 0) and t[0] >= 0 and t[-1] < days.horizon_s


def test_replay_mode_offers_exactly_the_observed_calls(fitted) -> None:
    """Replayed arrivals: the simulated offered calls per type equal the observed ones
    exactly, every seed (per_day only matches them on average)."""
    records, scenario, report = fitted
    result = backtest(records, scenario, report, seeds=2, router="fifo", modes=("replay",))
    table = result.comparison("by_type")
    assert np.allclose(table["replay_offered_per_day"], table["obs_offered_per_day"])
    assert "replay" in result.headline()


def test_compiled_and_reference_engines_give_the_same_backtest(fitted) -> None:
    """``engine="auto"`` takes the compiled engine for a router with a compiled twin; its
    replay and per-day backtests are the reference engine's."""
    records, scenario, report = fitted
    assert pick_engine("auto", scenario, "fifo") == "compiled"
    assert pick_engine("auto", scenario, "gcmu") == "reference"  # no compiled twin
    with pytest.raises(ValueError, match="unknown engine"):
        pick_engine("gpu", scenario, "fifo")
    runs = {
        e: backtest(
            records, scenario, report, seeds=2, router="fifo", modes=("replay", "per_day"), engine=e
        ).headline()
        for e in ("reference", "compiled")
    }
    for mode, row in runs["reference"].items():
        for key, value in row.items():
            assert runs["compiled"][mode][key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
