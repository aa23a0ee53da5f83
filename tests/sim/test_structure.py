"""The reference engine's split (issue 10 item 8): the CRN contract as written in
:mod:`rlroute.sim.arrivals` is the one the engine follows, and ``rlroute.sim.engine`` still
exports the names other modules import from it.

The contract test redraws every first-time caller by hand, from raw ``Generator`` calls in the
order the module docstring states (not through ``draw_arrival_block``), and checks that the
simulator's callers are exactly those under two routers that lead to different days.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlroute.policies import make_router
from rlroute.scenarios import load_scenario
from rlroute.sim import arrivals, entities
from rlroute.sim.engine import Simulator
from rlroute.sim.streams import RandomStreams


def _callers_by_the_docstring(scenario, seed: int) -> list[tuple]:
    """Steps 1-3 of the arrivals docstring, by hand: (arrival, type, patience, service_u,
    resolve_u, rep_u, rep_delay, wrap_u) of every first-time caller, sorted."""
    K = len(scenario.call_types)
    s = RandomStreams.from_seed(seed, K)
    types = scenario.call_types
    ipd = scenario.intervals_per_day or scenario.n_intervals
    wrap_types = [
        any(
            (sk := scenario.skill(k, g)) is not None and sk.wrap_up is not None
            for g in range(len(scenario.agent_groups))
        )
        for k in range(K)
    ]
    rates = [[r / 3600.0 for r in scenario.rates_per_hour(k)] for k in range(K)]
    mult = [1.0] * K
    rows = []
    for i in range(scenario.n_intervals):
        if i % ipd == 0:  # step 1
            shapes = [c.day_multiplier_shape for c in types]
            mult = [1.0 if sh is None else float(s.day.gamma(sh, 1.0 / sh)) for sh in shapes]
        expected = sum(rates[k][i] * mult[k] for k in range(K)) * scenario.interval_s
        n_blocks = max(1, math.ceil(expected / 2048))  # step 2
        length = scenario.interval_s / n_blocks
        for j in range(n_blocks):
            start = i * scenario.interval_s + j * length
            for k, c in enumerate(types):  # step 3
                mean = rates[k][i] * mult[k] * length
                n = int(s.arrival[k].poisson(mean)) if mean > 0 else 0
                if n == 0:
                    continue
                times = start + np.sort(s.arrival[k].random(n)) * length
                pat = (
                    np.full(n, math.inf)
                    if c.patience is None
                    else c.patience.sample(s.patience[k], n)
                )
                service_u = s.service[k].random(n)
                resolve_u = s.resolution[k].random(n)
                s.balk[k].random(n)  # drawn whatever the scenario; not kept on the call
                rep_u = s.repeat[k].random(n)
                delay = np.zeros(n) if c.repeat is None else c.repeat.delay.sample(s.repeat[k], n)
                wrap_u = s.wrap_up[k].random(n) if wrap_types[k] else np.full(n, np.nan)
                cols = (times, pat, service_u, resolve_u, rep_u, delay, wrap_u)
                for t, p, su, ru, pu, d, w in zip(*(col.tolist() for col in cols)):
                    rows.append((t, k, p, su, ru, pu, d, w))
    return sorted(rows)


def _callers_of_the_engine(scenario, seed: int, router: str) -> tuple[list[tuple], dict]:
    sim = Simulator(scenario, seed, record_calls=True)
    overall = sim.run(make_router(router)).overall
    rows = sorted(
        (
            c.arrival,
            c.type,
            c.patience,
            c.service_u,
            c.resolve_u,
            c.rep_u,
            c.rep_delay,
            getattr(c, "wrap_u", math.nan),
        )
        for c in sim.recorded_calls()
        if not c.is_repeat
    )
    return rows, overall


@pytest.mark.parametrize("name", ["anonymous_bank_profiled", "heterogeneous"])
def test_first_time_callers_are_the_documented_draws(name: str) -> None:
    scenario = load_scenario(name)  # whole days: day multipliers, repeats, balks, wrap-ups
    expected = _callers_by_the_docstring(scenario, seed=4)
    assert len(expected) > 1000
    costs = []
    for router in ("fifo", "random"):
        rows, overall = _callers_of_the_engine(scenario, 4, router)
        costs.append(overall["cost"])
        assert len(rows) == len(expected), router
        # repr: NaN (no wrap-up) compares equal to itself, floats to the bit.
        assert repr(rows) == repr(expected), router
    assert costs[0] != costs[1]  # the routers lead to different days


def test_engine_keeps_the_names_other_modules_import() -> None:
    from rlroute.sim import engine

    assert engine.Call is entities.Call and engine.Agent is entities.Agent
    assert (engine.WAITING, engine.SERVED, engine.ABANDONED) == (
        entities.WAITING,
        entities.SERVED,
        entities.ABANDONED,
    )
    assert engine._BLOCK_CALLS == arrivals.BLOCK_CALLS  # imported by rlroute.sim.fast
