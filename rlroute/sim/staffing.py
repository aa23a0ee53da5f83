"""Staffing: agents joining and leaving their group at interval boundaries, and finishing calls.

The schedule (``head_count`` per group and interval) is applied at each interval's start
(:func:`staff`): missing agents are first recalled from those due to leave, then hired, idle
at once; surplus idle agents leave at once, the most recently idle first so the
longest-idle order of the others is kept; then not-ready agents (lowest id first) leave at
once, their episode cut short (a break at the end of a shift is the end of the shift); if
that is not enough, busy agents (talking or in wrap-up), lowest id first, are marked
``leaving`` and go once their work is done (a not-ready request pending on them is dropped).
After the horizon (the drain) the last interval's staffing stays.

An agent finishing a call (:func:`agent_done`, on a service end, talk end or wrap-up end)
starts its wrap-up if the serving skill has one, else starts the not-ready episode of a
pending request, or becomes idle at the back of its group's longest-idle queue, or leaves if
it was due to.

Not-ready episodes (:func:`not_ready_request`, :func:`not_ready_end`; only for groups with
:class:`~rlroute.scenario.NotReady`): a request picks one agent on shift (the CRN contract,
:mod:`rlroute.sim.arrivals` step 5); an idle agent leaves the idle queue at once for the
episode, a busy one keeps the request pending until it is free, one already not ready or
with a request pending ignores it. At the episode's end the agent is idle (at the back of the
longest-idle queue).

Day-to-day staffing (:func:`draw_day_staffing`): a group with a ``staffing_day_factor``
gets, at each day's start, its schedule for the day scaled by a random factor of mean 1 and
rounded stochastically (:class:`~rlroute.scenario.StaffingDayFactor` states the model). The
draws come from the ``staffing`` stream, after the day's arrival multipliers: per group with a
factor, in group order, ``gamma(shape, 1 / shape)`` then ``random()``. Both engines call this
function, so they staff the same day with the same agents.

The other functions change the :class:`~rlroute.sim.engine.Simulator`, called by its event
loop; they draw no random number.
"""

from __future__ import annotations

import math
from collections.abc import MutableSequence, Sequence
from heapq import heappush
from typing import TYPE_CHECKING, Any

from rlroute.scenario import MAX_HEAD_COUNT, StaffingDayFactor
from rlroute.sim.entities import NR_END, SERVICE_END, TALK_END, WRAP_END, Agent

if TYPE_CHECKING:
    import numpy as np

    from rlroute.sim.engine import Simulator


def day_load_factor(
    rates: Sequence[Sequence[float]],
    types: Sequence[int],
    day_mult: Sequence[float],
    i0: int,
    n: int,
) -> float:
    """The day's arrival factor of the calls a group takes: the day multipliers of its
    ``types`` averaged with weights their expected calls in intervals ``i0 .. i0 + n - 1``
    (1 when they expect none)."""
    num = den = 0.0
    for k in types:
        w = math.fsum(rates[k][i0 : i0 + n])
        num += w * day_mult[k]
        den += w
    return num / den if den > 0 else 1.0


def draw_day_staffing(
    rng: np.random.Generator,
    factors: Sequence[StaffingDayFactor | None],
    base: Sequence[Sequence[int]] | Any,
    heads: Sequence[MutableSequence[int]] | Any,
    rates: Sequence[Sequence[float]],
    types_of_group: Sequence[Sequence[int]],
    day_mult: Sequence[float],
    i0: int,
    n: int,
) -> None:
    """Write the head counts of the day of intervals ``i0 .. i0 + n - 1`` into ``heads`` (per
    group, in place; lists or a NumPy array) for every group with a day factor, from the
    schedule ``base`` (see the module docstring for the draws and their order)."""
    for g, f in enumerate(factors):
        if f is None:
            continue
        noise = float(rng.gamma(f.shape, 1.0 / f.shape))
        u = float(rng.random())
        scale = noise
        if f.load_slope:
            load = day_load_factor(rates, types_of_group[g], day_mult, i0, n)
            scale = (1.0 + f.load_slope * (load - 1.0)) * noise
        row, plan = heads[g], base[g]
        for i in range(i0, i0 + n):
            row[i] = min(MAX_HEAD_COUNT, math.floor(plan[i] * scale + u))


def staff(sim: Simulator, g: int, target: int) -> None:
    """Bring group g to ``target`` agents on duty (not counting those due to leave)."""
    on_duty = [a for a in sim.agents if a.group == g and a.present and not a.leaving]
    diff = target - len(on_duty)
    if diff > 0:
        # Recall agents who were due to leave after their call before hiring new ones.
        for a in sim.agents:
            if diff and a.group == g and a.present and a.leaving:
                a.leaving = False
                diff -= 1
        for _ in range(diff):
            a = Agent(len(sim.agents), g, sim.now)
            sim.agents.append(a)
            sim.idle[g].append(a)
            sim.idle_count[g] += 1
            sim.present_count += 1
    elif diff < 0:
        remove = -diff
        idle = sim.idle[g]
        while remove and idle:
            a = idle.pop()  # the most recently idle go first: LIA order is kept for the rest
            a.present = False
            sim.idle_count[g] -= 1
            sim.present_count -= 1
            remove -= 1
        if remove and sim.not_ready_count[g]:
            # Not-ready agents leave at once (lowest id first), their episode cut short.
            for a in on_duty:
                if remove and a.not_ready:
                    a.not_ready = False
                    a.not_ready_time -= a.nr_until - sim.now
                    a.present = False
                    sim.not_ready_count[g] -= 1
                    sim.not_ready_total -= 1
                    sim.present_count -= 1
                    remove -= 1
        # Agents in wrap-up are busy too: they leave once it is done.
        busy = sorted(
            (a for a in on_duty if a.call is not None or a.in_wrap_up), key=lambda a: a.id
        )
        for a in busy[:remove]:
            a.leaving = True


def agent_done(sim: Simulator, kind: int, agent: Agent) -> bool:
    """The agent's call (``SERVICE_END``, ``TALK_END``) or wrap-up (``WRAP_END``) is over.

    A talk end starts the wrap-up fixed at service start; the other two free the agent: idle,
    or gone if it was due to leave. True when that opened a decision epoch: the agent is idle
    and its group has calls waiting.
    """
    g = agent.group
    if kind == SERVICE_END:
        agent.call = None
    elif kind == TALK_END:
        agent.call = None
        agent.in_wrap_up = True
        sim.wrap_up_count[g] += 1
        heappush(sim._heap, (sim.now + agent.wrap, sim._next_seq(), WRAP_END, agent))
        return False
    else:
        agent.in_wrap_up = False
        sim.wrap_up_count[g] -= 1
    sim.busy_count -= 1
    if agent.leaving:
        agent.leaving = False
        agent.present = False
        agent.nr_pending = -1.0
        sim.present_count -= 1
        return False
    if agent.nr_pending >= 0.0:
        _start_episode(sim, agent, agent.nr_pending)
        agent.nr_pending = -1.0
        return False
    # _ready, written out: this runs at every call's end
    agent.idle_since = sim.now
    sim.idle[g].append(agent)
    sim.idle_count[g] += 1
    qlen = sim.queue_len
    for k in sim.types_of_group[g]:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
        if qlen[k]:
            return True
    return False


def _ready(sim: Simulator, agent: Agent) -> bool:
    """The agent is idle now (at the back of the longest-idle queue); True when its group has
    calls waiting (a decision epoch)."""
    g = agent.group
    agent.idle_since = sim.now
    sim.idle[g].append(agent)
    sim.idle_count[g] += 1
    qlen = sim.queue_len
    for k in sim.types_of_group[g]:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
        if qlen[k]:
            return True
    return False


def _start_episode(sim: Simulator, agent: Agent, q: float) -> None:
    """Start a not-ready episode of length quantile ``q`` now (the agent is neither idle nor
    busy): its mean is the one of the interval it starts in."""
    g = agent.group
    i = min(int(sim.now // sim.interval_s), sim.n_intervals - 1)
    means = sim._nr_length[g]
    assert means is not None  # only a group with not_ready has requests
    length = -means[i] * math.log1p(-q)
    agent.not_ready = True
    agent.nr_until = sim.now + length
    agent.not_ready_time += length
    sim.not_ready_count[g] += 1
    sim.not_ready_total += 1
    heappush(sim._heap, (agent.nr_until, sim._next_seq(), NR_END, agent))


def not_ready_request(sim: Simulator, g: int, pick_u: float, length_q: float) -> None:
    """A not-ready request of group g: the ``floor(pick_u * m)``-th of its ``m`` agents on
    shift (ascending id) goes not ready now if idle, when free if busy, else ignores it."""
    on_shift = [a for a in sim.agents if a.group == g and a.present and not a.leaving]
    if not on_shift:
        return
    agent = on_shift[int(pick_u * len(on_shift))]
    if agent.not_ready or agent.nr_pending >= 0.0:
        return
    if agent.call is not None or agent.in_wrap_up:
        agent.nr_pending = length_q
        return
    sim.idle[g].remove(agent)
    sim.idle_count[g] -= 1
    _start_episode(sim, agent, length_q)


def not_ready_end(sim: Simulator, agent: Agent) -> bool:
    """The agent's not-ready episode is over: it is idle again (True when its group has calls
    waiting). Stale for an agent who left during the episode (nothing happens)."""
    if not agent.not_ready:
        return False
    agent.not_ready = False
    sim.not_ready_count[agent.group] -= 1
    sim.not_ready_total -= 1
    return _ready(sim, agent)


__all__ = [
    "agent_done",
    "day_load_factor",
    "draw_day_staffing",
    "not_ready_end",
    "not_ready_request",
    "staff",
]
