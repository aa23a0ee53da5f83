"""Staffing: agents joining and leaving their group at interval boundaries, and finishing calls.

The schedule (``head_count`` per group and interval) is applied at each interval's start
(:func:`staff`): missing agents are first recalled from those due to leave, then hired, idle
at once; surplus idle agents leave at once, the most recently idle first so the
longest-idle order of the others is kept; if that is not enough, busy agents (talking or in
wrap-up), lowest id first, are marked ``leaving`` and go once their work is done. After the
horizon (the drain) the last interval's staffing stays.

An agent finishing a call (:func:`agent_done`, on a service end, talk end or wrap-up end)
starts its wrap-up if the serving skill has one, else becomes idle at the back of its
group's longest-idle queue, or leaves if it was due to.

Functions of the :class:`~rlroute.sim.engine.Simulator` they change, called by its event
loop; nothing here draws a random number.
"""

from __future__ import annotations

from heapq import heappush
from typing import TYPE_CHECKING

from rlroute.sim.entities import SERVICE_END, TALK_END, WRAP_END, Agent

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator


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
        sim.present_count -= 1
        return False
    agent.idle_since = sim.now
    sim.idle[g].append(agent)
    sim.idle_count[g] += 1
    qlen = sim.queue_len
    for k in sim.types_of_group[g]:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
        if qlen[k]:
            return True
    return False


__all__ = ["agent_done", "staff"]
