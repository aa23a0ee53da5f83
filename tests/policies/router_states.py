"""Helpers for router tests: short scenarios and hand-built decision states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rlroute.bench.specs import truncate_horizon
from rlroute.scenario import Scenario
from rlroute.sim.engine import Agent, Call, Simulator


def shorten(scenario: Scenario, n_intervals: int) -> Scenario:
    """The first ``n_intervals`` intervals of ``scenario`` (keeps tests fast)."""
    return truncate_horizon(scenario, n_intervals)


def state(
    scenario: Scenario,
    now: float,
    waiting: Mapping[str, Sequence[float]],
    idle: Mapping[str, Sequence[float]],
) -> Simulator:
    """A simulator frozen at ``now`` with the given waiting calls and idle agents.

    ``waiting`` maps a type name to the arrival times of its waiting calls (oldest first),
    ``idle`` a group name to the idle-since times of its idle agents (longest idle first).
    Routers only read this public state, so it is all a decision needs.
    """
    sim = Simulator(scenario, seed=0)
    sim.now = now
    types, groups = scenario.type_names, scenario.group_names
    for name, arrivals in waiting.items():
        k = types.index(name)
        for t in arrivals:
            call = Call(sim._next_call_id, k, t, 0, 1e9, 0.5, 0.5, 0.5, 0.0, 0, False)
            sim._next_call_id += 1
            sim.queues[k].append(call)
            sim.queue_len[k] += 1
            sim.queue_total += 1
    for name, since in idle.items():
        g = groups.index(name)
        for t in since:
            agent = Agent(len(sim.agents), g, t)
            sim.agents.append(agent)
            sim.idle[g].append(agent)
            sim.idle_count[g] += 1
    return sim


def decide(router, sim: Simulator) -> tuple[str, str] | None:
    """The router's decision as (type name, group name), or None for hold."""
    router.reset(sim)
    a = router.act(sim)
    if a == sim.HOLD:
        return None
    k, g = sim.pairs[a]
    return sim.scenario.type_names[k], sim.scenario.group_names[g]
