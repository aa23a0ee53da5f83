"""Batch-means confidence intervals: how the simulator is checked against queueing theory.

A long stationary run is cut into batches (the scenario's intervals: one call type, constant
rate, constant head count). Each batch gives one KPI value; batch values are nearly
independent once batches are much longer than the queue's relaxation time, so a Student-t
interval over them is a valid confidence interval for the stationary KPI (Law and Kelton,
*Simulation Modeling and Analysis*, ch. 9). The first batch is dropped as warm-up: every run
starts with an empty queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rlroute.scenario import Scenario
from rlroute.sim.engine import Simulator
from rlroute.sim.router import FIFORouter

# The validation cases of the test suite and of benchmarks/erlang_table.py: small, single
# agent, heavy traffic with 100+ agents, and (Erlang A) overload beyond capacity.
# (label, calls per hour, mean handle s, agents, batch hours)
ERLANG_C_CASES = [
    ("published 14 agents", 200.0, 180.0, 14, 48.0),
    ("single agent rho 0.8", 12.0, 240.0, 1, 600.0),
    ("100 agents heavy traffic rho 0.975", 1170.0, 300.0, 100, 12.0),
    ("300 agents rho 0.95", 4275.0, 240.0, 300, 3.0),
]
# (label, calls per hour, mean handle s, agents, mean patience s, batch hours)
ERLANG_A_CASES = [
    ("published 14 agents, patience 120 s", 200.0, 180.0, 14, 120.0, 48.0),
    ("3 agents, impatient", 40.0, 240.0, 3, 60.0, 150.0),
    ("overload: arrivals 120% of capacity", 720.0, 300.0, 50, 180.0, 12.0),
    ("120 agents critically loaded", 1440.0, 300.0, 120, 300.0, 12.0),
]


@dataclass(frozen=True)
class BatchMeansCI:
    """Point estimate and confidence interval of one KPI from batch means."""

    kpi: str
    mean: float
    low: float
    high: float
    n_batches: int

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


def batch_means_ci(
    by_interval: pd.DataFrame, kpi: str, confidence: float = 0.99, warmup_batches: int = 1
) -> BatchMeansCI:
    """t-interval over the per-interval values of ``kpi``, skipping ``warmup_batches``."""
    values = by_interval[kpi].to_numpy(dtype=float)[warmup_batches:]
    values = values[np.isfinite(values)]
    n = values.size
    if n < 2:
        raise ValueError(f"need at least 2 batches for {kpi!r}, have {n}")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return BatchMeansCI(kpi, mean, mean - half, mean + half, n)


def stationary_run(
    arrival_rate_per_hour: float,
    mean_handle_s: float,
    n_agents: int,
    mean_patience_s: float | None = None,
    *,
    batches: int = 21,
    batch_hours: float = 10.0,
    target_s: float = 20.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate an M/M/n (or M/M/n+M) center under FIFO; one row of KPIs per batch."""
    base = Scenario.single_pool(
        arrival_rate_per_hour,
        mean_handle_s,
        n_agents,
        mean_patience_s=mean_patience_s,
        hours=batch_hours,
        service_level_target_s=target_s,
    )
    scenario = base.model_copy(update={"n_intervals": batches})
    scenario = Scenario.from_dict(scenario.to_dict())  # re-validate the copy
    return Simulator(scenario, seed=seed).run(FIFORouter()).by_interval
