"""Simulated days as canonical call records: the synthetic data of calibration round trips.

A known Scenario is simulated with a registered router and its per-call log mapped onto the
canonical schema by :func:`rlroute.calibrate.synthetic.call_log_to_records` (the mapping is
stated there); :func:`rlroute.calibrate.calibrate` on the result should recover the Scenario.
It lives here, above the simulator and the routers, because calibration sits below them.
"""

from __future__ import annotations

import pandas as pd

from rlroute.calibrate.synthetic import call_log_to_records
from rlroute.data import CallRecords
from rlroute.policies import make_router
from rlroute.scenario import Scenario
from rlroute.sim.engine import Simulator

__all__ = ["simulate_records"]


def simulate_records(
    scenario: Scenario,
    seed: int = 0,
    router: str = "fifo",
    start_date: str | pd.Timestamp = "1999-01-03",
) -> CallRecords:
    """Simulate ``scenario`` once with a registered router and return canonical records."""
    sim = Simulator(scenario, seed, record_calls=True)
    sim.run(make_router(router))
    return call_log_to_records(sim.call_log(), scenario, start_date)
