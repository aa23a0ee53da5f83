"""Each calibrated day's actual arrivals, written by ``rlroute-calibrate output.replay=true``
and replayed on the calibrated Scenario by both engines."""

from __future__ import annotations

import numpy as np
import pytest

from rlroute.calibrate.replay import day_arrivals, load_day_arrivals, write_day_arrivals
from rlroute.policies import make_router
from rlroute.sim import Simulator
from rlroute.sim.fast import FastSimulator


@pytest.fixture(scope="module")
def fitted(three_days):
    return three_days


def test_each_day_holds_its_own_calls(fitted) -> None:
    records, scenario, report = fitted
    replays = day_arrivals(records.frame, scenario, report)
    assert len(replays) == len(report.arrivals.days) == 3
    for j, times in enumerate(replays.values()):
        assert len(times) == len(scenario.type_names)
        for name, t in zip(scenario.type_names, times, strict=True):
            k = report.arrivals.types.index(name)
            assert t.size == report.arrivals.counts[j, k, :].sum()
            assert t.size == 0 or (t[0] >= 0 and t[-1] < scenario.horizon_s)
            assert np.all(np.diff(t) >= 0)


def test_written_days_replay_in_both_engines(fitted, tmp_path) -> None:
    records, scenario, report = fitted
    replays = day_arrivals(records.frame, scenario, report)
    paths = write_day_arrivals(replays, scenario, tmp_path)
    assert [p.stem for p in paths] == list(replays)
    arrivals = load_day_arrivals(paths[0], scenario)
    first = sum(t.size for t in arrivals)
    ref = Simulator(scenario, 5, arrivals=arrivals, record_calls=True)
    kpis = ref.run(make_router("fifo")).overall
    fast = FastSimulator(scenario, 5, arrivals=arrivals, record_calls=True)
    assert fast.run(make_router("fifo")).overall == kpis
    first_time = ref.call_log()
    if "is_repeat" in first_time:
        first_time = first_time[~first_time["is_repeat"].astype(bool)]
    assert len(first_time) == first


def test_a_file_without_a_type_is_refused_by_name(fitted, tmp_path) -> None:
    _, scenario, _ = fitted
    path = tmp_path / "day.npz"
    np.savez(path, **{scenario.type_names[0]: np.array([1.0])})
    with pytest.raises(ValueError, match="no arrivals for call type"):
        load_day_arrivals(path, scenario)
