"""The simulator's entities: callers (:class:`Call`), agents (:class:`Agent`), their states and
the kinds of event that change them.

Plain slotted objects with no behaviour of their own: the event loop
(:mod:`rlroute.sim.engine`) and the staffing rules (:mod:`rlroute.sim.staffing`) move them
between states. A caller is born in :mod:`rlroute.sim.arrivals` (with every random number
that fixes its fate), waits in a queue of the engine, and leaves answered, abandoned or
balked; an agent joins and leaves its group in :mod:`rlroute.sim.staffing`.
"""

from __future__ import annotations

# Call states.
WAITING, SERVED, ABANDONED = 0, 1, 2

# Event kinds in the engine's heap. Interval boundaries and first-time arrivals are not heap
# events: they come from a scalar clock and a pre-drawn, sorted batch, which is much cheaper.
SERVICE_END = 0  # the agent is free at once (no wrap-up)
ABANDON = 1
REPEAT = 2
TALK_END = 3  # a service end followed by a wrap-up (after-call work)
WRAP_END = 4
# Not-ready episodes (only in scenarios whose groups have ``not_ready``): a request for group
# g (drawn at the interval's start, rlroute.sim.arrivals step 5), and an episode's end.
NR_REQUEST = 5
NR_END = 6


class Call:
    """One caller. Pre-drawn uniforms fix the call's fate independently of the router."""

    __slots__ = (
        "arrival",
        "balk_u",
        "customer",
        "id",
        "interval",
        "is_repeat",
        "patience",
        "rep_delay",
        "rep_u",
        "resolve_u",
        "service_u",
        "state",
        "type",
        "wrap_u",
        "wrap_up",
    )
    # ``wrap_u`` (the wrap-up quantile) and ``wrap_up`` (its duration, set at service start)
    # are set only in scenarios with wrap-up: a slot never assigned costs nothing. ``balk_u``
    # is set only on repeat calls (a first-time caller's balk draw travels with its arrival).
    balk_u: float
    wrap_u: float
    wrap_up: float

    def __init__(
        self,
        call_id: int,
        call_type: int,
        arrival: float,
        interval: int,
        patience: float,
        service_u: float,
        resolve_u: float,
        rep_u: float,
        rep_delay: float,
        customer: int,
        is_repeat: bool,
    ) -> None:
        self.id = call_id
        self.type = call_type
        self.arrival = arrival
        self.interval = interval
        self.patience = patience
        self.service_u = service_u
        self.resolve_u = resolve_u
        self.rep_u = rep_u
        self.rep_delay = rep_delay
        self.customer = customer
        self.is_repeat = is_repeat
        self.state = WAITING


class Agent:
    """One agent of a group; tracked individually for longest-idle routing and load fairness.

    States: *idle* (present, no call, not in wrap-up, ready: in its group's idle queue),
    *talking* (``call`` set), *in wrap-up* (``in_wrap_up``), *not ready* (``not_ready``: an
    episode of the group's :class:`~rlroute.scenario.NotReady` model, until ``nr_until``);
    ``leaving`` marks a busy agent who goes home once its call and wrap-up are over;
    ``present`` is False once it has left. ``nr_pending`` is the length quantile of a
    not-ready request waiting for the busy agent to become free (-1: none).
    """

    __slots__ = (
        "busy_time",
        "call",
        "group",
        "id",
        "idle_since",
        "in_wrap_up",
        "leaving",
        "n_served",
        "not_ready",
        "not_ready_time",
        "nr_pending",
        "nr_until",
        "present",
        "wrap",
        "wrap_up_time",
    )

    def __init__(self, agent_id: int, group: int, now: float) -> None:
        self.id = agent_id
        self.group = group
        self.idle_since = now
        self.busy_time = 0.0  # talk + wrap-up: both keep the agent from the next call
        self.wrap_up_time = 0.0
        self.wrap = 0.0  # the wrap-up that follows the call in hand
        self.n_served = 0
        self.leaving = False
        self.present = True
        self.in_wrap_up = False
        self.call: Call | None = None
        self.not_ready = False
        self.not_ready_time = 0.0  # not-ready episodes, as booked when each starts
        self.nr_pending = -1.0
        self.nr_until = 0.0

    @property
    def available(self) -> bool:
        """On duty, not talking, not in wrap-up and ready: the state of an idle agent."""
        return self.present and self.call is None and not self.in_wrap_up and not self.not_ready


__all__ = [
    "ABANDON",
    "ABANDONED",
    "NR_END",
    "NR_REQUEST",
    "REPEAT",
    "SERVED",
    "SERVICE_END",
    "TALK_END",
    "WAITING",
    "WRAP_END",
    "Agent",
    "Call",
]
