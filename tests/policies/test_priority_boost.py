"""priority_boost: priority as a delay credit, between fifo (boost 0) and fifo_priority."""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from rlroute.bench.backtest import router_from_spec
from rlroute.policies import HEURISTICS, PriorityBoostRouter
from rlroute.scenarios import load_scenario
from rlroute.sim.engine import Simulator


@functools.cache
def _log(spec: str) -> pd.DataFrame:
    sim = Simulator(load_scenario("anonymous_bank"), seed=3, record_calls=True)
    sim.run(router_from_spec(spec))
    return sim.call_log()


def _calls(spec: str) -> list[tuple]:
    log = _log(spec)
    return list(zip(log["call_type"], log["wait_s"].round(9), log["outcome"]))


def test_boost_zero_is_fifo_and_a_huge_boost_is_fifo_priority() -> None:
    assert _calls("priority_boost:boost=0") == _calls("fifo")
    strict = _calls("fifo_priority")
    assert _calls("priority_boost:boost=1e9") == strict
    assert _calls("priority_boost:boost=30") != strict


def test_the_low_level_waits_less_than_under_strict_priority() -> None:
    low = [c.name for c in load_scenario("anonymous_bank").call_types if c.priority == 0]

    def low_wait(spec: str) -> float:
        log = _log(spec)
        part = log[log["call_type"].isin(low) & (log["outcome"] == "answered")]
        return float(part["wait_s"].mean())

    assert low_wait("priority_boost:boost=30") < low_wait("fifo_priority")


def test_spec_strings_and_errors() -> None:
    router = router_from_spec("priority_boost:boost=45")
    assert isinstance(router, PriorityBoostRouter) and router.boost == 45.0
    assert router_from_spec("fifo").name == "fifo"
    assert "priority_boost" not in HEURISTICS  # the benchmark's `all` is unchanged
    from rlroute.bench.specs import registered_routers

    assert "priority_boost" not in registered_routers()  # it needs its boost
    with pytest.raises(ValueError, match="key=value"):
        router_from_spec("priority_boost:45")
    with pytest.raises(ValueError, match="boost must be >= 0"):
        PriorityBoostRouter(boost=-1.0)
