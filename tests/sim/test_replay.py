"""Replaying given arrivals (a real day's) instead of drawing them (issue 12 item 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rlroute.policies import make_router
from rlroute.scenarios import load_scenario
from rlroute.sim.engine import Simulator


def _first_time_arrivals(log: pd.DataFrame, names: list[str]) -> list[np.ndarray]:
    fresh = log[~log["is_repeat"].astype(bool)]
    return [np.sort(fresh.loc[fresh["call_type"] == n, "arrival_s"].to_numpy()) for n in names]


@pytest.mark.parametrize("name", ["single_pool", "heterogeneous"])
def test_replaying_the_drawn_arrivals_reproduces_the_run(name: str) -> None:
    """Replay the arrivals a seed drew, with the same seed: every per-call number comes from
    the same streams in the same order, so the whole run is the same, call for call."""
    sc = load_scenario(name)
    drawn = Simulator(sc, seed=5, record_calls=True)
    kpi = drawn.run(make_router("fifo")).overall
    times = _first_time_arrivals(drawn.call_log(), sc.type_names)
    replay = Simulator(sc, seed=5, record_calls=True, arrivals=times)
    kpi_r = replay.run(make_router("fifo")).overall
    assert kpi_r == kpi
    pd.testing.assert_frame_equal(replay.call_log(), drawn.call_log())


def test_replay_uses_exactly_the_given_times() -> None:
    sc = load_scenario("single_pool")
    times = [np.array([10.0, 11.5, 3600.0, sc.horizon_s - 1.0])]
    sim = Simulator(sc, seed=0, record_calls=True, arrivals=times)
    sim.run(make_router("fifo"))
    log = sim.call_log()
    assert sorted(log.loc[~log["is_repeat"].astype(bool), "arrival_s"]) == times[0].tolist()


def test_replay_errors_name_the_problem() -> None:
    sc = load_scenario("single_pool")
    with pytest.raises(ValueError, match="1 call types"):
        Simulator(sc, arrivals=[[1.0], [2.0]])
    with pytest.raises(ValueError, match="the horizon"):
        Simulator(sc, arrivals=[[sc.horizon_s + 5.0]])
