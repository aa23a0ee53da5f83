"""The discrete-event call-center simulator.

Events are arrivals, abandonments, service ends, wrap-up ends, repeat calls and interval
boundaries (staffing changes, new arrival rates). Between events the clock jumps. A
**decision epoch** is any moment at which some waiting call could be given to some idle agent
able to serve it; the simulator then stops and asks a router for an action: one (call type,
agent group) pair, or *hold*.
Decisions are atomic (Sun, Shi and Dai): after an assignment the simulator asks again at the
same instant while assignments remain possible; after a hold it moves on to the next event.

The same stepping core serves both drivers:

* :meth:`Simulator.run` with a :class:`~rlroute.sim.router.Router` (benchmarks, baselines);
* :meth:`Simulator.advance` / :meth:`Simulator.step` (the Gymnasium environment).

The model is split by concern, as ciw splits its simulator by entity:

* :mod:`rlroute.sim.entities`: :class:`Call`, :class:`Agent`, their states and event kinds;
* :mod:`rlroute.sim.arrivals`: where callers are born, with every random number, and the
  common-random-numbers contract (which stream draws what, in which order);
* :mod:`rlroute.sim.staffing`: agents joining and leaving at interval boundaries, and
  finishing their calls;
* :mod:`rlroute.sim.kpis`: the counters every event books, and the report;
* this module: the event loop, the queues and the decisions (offer, abandon, assign).

Conventions (stated once, used by every KPI):

* arrivals stop at the horizon; calls already in the center are still served or abandon
  (the *drain*), with the last interval's staffing; occupancy is measured on [0, horizon];
* an agent leaving at a staffing change finishes the call in hand first, and its wrap-up;
* after-call work: when the serving skill has a ``wrap_up``, the agent ending a call stays
  unavailable (neither idle nor assignable; not in ``idle_count``, not in longest-idle order)
  for a wrap-up drawn from it, then becomes idle. The industry's AHT is talk + ACW, and
  occupancy counts ACW as busy: ``occupancy`` here does too, while ``aht`` stays the talk
  time and ``mean_wrap_up`` is reported beside it. The wrap-up quantile of each call is drawn
  with its arrival from its type's own ``wrap_up`` stream (common random numbers, like the
  handle time); a scenario without wrap-up never touches that stream and runs exactly as it
  did before wrap-ups existed;
* time-of-day handle times: a call type with a ``handle_time_profile`` talks for
  ``ppf(u) * profile[i]``, ``u`` the call's own quantile and ``i`` its arrival interval (kept
  through the drain), whichever group serves it; types without one skip the product, so their
  talk times are the same bits as before profiles existed. ``mean_handle`` stays the skill
  distribution's mean (the mean at multiplier 1);
* not-ready episodes (a group's optional ``not_ready``, :class:`~rlroute.scenario.NotReady`):
  requests drawn at each interval's start (:mod:`rlroute.sim.arrivals`, step 5) pick an agent
  on shift; an idle one goes not ready at once, a busy one when free (one pending request at
  most), others ignore it (:mod:`rlroute.sim.staffing`). A not-ready agent is on duty but
  neither idle nor busy: routers and observations see it as unavailable (not in
  ``idle_count``; ``not_ready_count[g]`` counts it), and ``occupancy`` leaves its time out of
  the denominator (busy / (busy + idle ready), as the industry counts it). A scenario without
  ``not_ready`` never touches the ``availability`` streams and runs bit for bit as before;
* inside a group the longest-idle agent takes the call unless the router names an agent;
* a caller who finds no idle eligible agent balks with ``balk_probability`` (always, if
  ``balk_queue_length`` of the type already wait); a balk counts as an abandonment with wait 0;
* resolution is drawn at service start from the serving skill's ``fcr``; an unresolved call
  repeats with ``repeat.probability`` after ``repeat.delay``, if that is before the horizon
  (both fixed per caller); the repeat call's own patience, quantiles, balk draw, repeat draws
  and wrap-up quantile are the next row of its type's repeat-call table.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rlroute.scenario import Scenario
from rlroute.sim import staffing
from rlroute.sim.arrivals import (
    BLOCK_CALLS,
    ArrivalRow,
    arrival_rows,
    block_span,
    blocks_in_interval,
    draw_arrival_block,
    draw_day_multipliers,
    draw_not_ready_day_factors,
    draw_not_ready_requests,
    repeat_call,
    replay_arrival_block,
)
from rlroute.sim.entities import (
    ABANDON,
    ABANDONED,
    NR_REQUEST,
    REPEAT,
    SERVED,
    SERVICE_END,
    TALK_END,
    WAITING,
    Agent,
    Call,
)
from rlroute.sim.kpis import KPIReport, StatsCollector
from rlroute.sim.streams import RandomStreams, RepeatCallTable

if TYPE_CHECKING:
    from rlroute.sim.router import Router

INF = math.inf
_heappush = heapq.heappush
_BLOCK_CALLS = BLOCK_CALLS  # under its old name, which rlroute.sim.fast imports from here
# What advance() processes next.
_EV_HEAP, _EV_ARRIVAL, _EV_BOUNDARY = 0, 1, 2


def _ALWAYS_ASSIGN(sim: Simulator) -> int:
    """Stands in for the act of a router that assigns whenever it can, on a scenario with one
    eligible pair: every decision is then "serve the oldest call", and _decide makes it
    itself (see run)."""
    return 0


def _replay_times(
    arrivals: Sequence[Sequence[float] | np.ndarray], scenario: Scenario
) -> list[np.ndarray]:
    """Validate replayed arrival times: one sorted array per call type, inside the horizon."""
    names = scenario.type_names
    if len(arrivals) != len(names):
        raise ValueError(
            f"arrivals: {len(arrivals)} lists of times for {len(names)} call types {names}"
        )
    out = []
    for name, times in zip(names, arrivals, strict=True):
        t = np.sort(np.asarray(times, dtype=float))
        if t.size and not (np.isfinite(t).all() and t[0] >= 0 and t[-1] < scenario.horizon_s):
            raise ValueError(
                f"arrivals of {name!r}: times must be finite seconds in [0, "
                f"{scenario.horizon_s:g}) (the horizon), got {t[0]:g}..{t[-1]:g}"
            )
        out.append(t)
    return out


class Simulator:
    """Simulate one horizon of a :class:`~rlroute.scenario.Scenario` under a routing policy.

    Args:
        scenario: the call center.
        seed: an int or ``SeedSequence``; the only source of randomness.
        record_calls: keep a per-call log (:meth:`call_log`); off by default, costing nothing.
        arrivals: replay these first-time arrivals instead of drawing them: per call type, the
            arrival times in seconds from the start (e.g. a real day's, from call records).
            Every other per-call number (patience, handle-time quantile, ...) is still drawn
            from the type's streams; the rates and day multipliers then only size the blocks.

    The action space is ``range(n_actions)``: ``0 .. len(pairs) - 1`` assign the oldest waiting
    call of ``pairs[a][0]`` to the longest-idle agent of ``pairs[a][1]``; ``HOLD = len(pairs)``
    waits for the next event.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence = 0,
        *,
        record_calls: bool = False,
        arrivals: Sequence[Sequence[float] | np.ndarray] | None = None,
    ) -> None:
        self.scenario = scenario
        self.n_types = K = len(scenario.call_types)
        self._replay = None if arrivals is None else _replay_times(arrivals, scenario)
        self.n_groups = G = len(scenario.agent_groups)
        self.pairs: list[tuple[int, int]] = scenario.eligible_pairs()
        self.HOLD = len(self.pairs)
        self.n_actions = len(self.pairs) + 1
        self.interval_s = scenario.interval_s
        self.n_intervals = scenario.n_intervals
        self.horizon = scenario.horizon_s
        self.streams = RandomStreams.from_seed(seed, K, G)

        # Static per-type and per-pair parameters, as plain lists for fast scalar access.
        self._rates = [[r / 3600.0 for r in scenario.rates_per_hour(k)] for k in range(K)]
        self._heads = [scenario.head_counts(g) for g in range(G)]
        # Day-to-day staffing: the schedule stays in _base_heads, each day's draw goes to
        # _heads (rlroute.sim.staffing.draw_day_staffing); None where no group has a factor.
        self._staff_factors = [grp.staffing_day_factor for grp in scenario.agent_groups]
        self._base_heads = (
            [list(h) for h in self._heads]
            if any(f is not None for f in self._staff_factors)
            else None
        )
        self._patience = [c.patience for c in scenario.call_types]
        self._balk_p = [c.balk_probability for c in scenario.call_types]
        self._balk_len = [
            INF if c.balk_queue_length is None else c.balk_queue_length for c in scenario.call_types
        ]
        self._can_balk = [
            c.balk_probability > 0 or c.balk_queue_length is not None for c in scenario.call_types
        ]
        self._repeat = [c.repeat for c in scenario.call_types]
        # The numbers of repeat calls, one table per type that repeats (see RepeatCallTable):
        # drawn lazily, so a scenario without repeat calls never touches these streams.
        self._repeat_rows = [
            None
            if rep is None
            else RepeatCallTable(self.streams.repeat_call[k], self._patience[k], rep.delay)
            for k, rep in enumerate(self._repeat)
        ]
        self._day_shape = [c.day_multiplier_shape for c in scenario.call_types]
        self._ipd = scenario.intervals_per_day or scenario.n_intervals
        self.target = [scenario.sl_target_s(k) for k in range(K)]
        self.cost_wait = [c.cost.wait_per_s for c in scenario.call_types]
        self.cost_abandon = [c.cost.abandon for c in scenario.call_types]
        self.cost_sl_miss = [c.cost.sl_miss for c in scenario.call_types]
        self.cost_unresolved = [c.cost.unresolved for c in scenario.call_types]
        self._ppf: list[list[Any]] = [[None] * G for _ in range(K)]
        self.fcr = [[0.0] * G for _ in range(K)]
        # The skill distribution's mean talk time: the mean at multiplier 1 when the type has
        # a handle_time_profile (routers and the observation read it as it is).
        self.mean_handle = [[INF] * G for _ in range(K)]
        # Wrap-up: the quantile function per pair (None: none), its mean (0 when none).
        self._wrap_ppf: list[list[Any]] = [[None] * G for _ in range(K)]
        self.mean_wrap_up = [[0.0] * G for _ in range(K)]
        for k, g in self.pairs:
            skill = scenario.skill(k, g)
            assert skill is not None
            self._ppf[k][g] = skill.handle_time.ppf
            self.fcr[k][g] = skill.fcr
            self.mean_handle[k][g] = skill.handle_time.mean
            if skill.wrap_up is not None:
                self._wrap_ppf[k][g] = skill.wrap_up.ppf
                self.mean_wrap_up[k][g] = skill.wrap_up.mean
        # Agent time per call (talk + after-call work): what a service rate mu_kg is the
        # inverse of, since the agent can take no call until both are over. Equal to
        # mean_handle (bit for bit) where there is no wrap-up.
        self.mean_agent_time = [
            [h + w for h, w in zip(hr, wr)] for hr, wr in zip(self.mean_handle, self.mean_wrap_up)
        ]
        # Types whose calls need a wrap-up quantile (some group serving them has a wrap-up).
        self._wrap_types = [any(p is not None for p in self._wrap_ppf[k]) for k in range(K)]
        self.has_wrap_up = any(self._wrap_types)
        # Talk-time multiplier per type and arrival interval; None for a type without a
        # handle_time_profile, which then takes no multiplication at all (same bits as before).
        self._handle_mult = [scenario.handle_time_multipliers(k) for k in range(K)]
        self.has_handle_profile = any(m is not None for m in self._handle_mult)
        # Not-ready episodes (AgentGroup.not_ready): per group, the request rate per agent-hour
        # and the mean length per interval (None: the group has none).
        nr = [scenario.not_ready(g) for g in range(G)]
        self._nr_rate = [None if x is None else x[0] for x in nr]
        self._nr_length = [None if x is None else x[1] for x in nr]
        self.has_not_ready = any(x is not None for x in nr)
        # Day-to-day availability (NotReady.day_shape): per group the shape (None: none) and
        # the current day's factor of the request rate (CRN contract step 6).
        self._nr_day_shape = [
            None if grp.not_ready is None else grp.not_ready.day_shape
            for grp in scenario.agent_groups
        ]
        self._has_nr_day = any(x is not None for x in self._nr_day_shape)
        self._nr_day = [1.0] * G
        self.groups_of_type = [[g for kk, g in self.pairs if kk == k] for k in range(K)]
        self.types_of_group = [[k for k, gg in self.pairs if gg == g] for g in range(G)]

        # Dynamic state.
        self.now = 0.0
        self.queues: list[deque[Call]] = [deque() for _ in range(K)]
        self.queue_len = [0] * K
        self.idle: list[deque[Agent]] = [deque() for _ in range(G)]
        self.idle_count = [0] * G
        self.wrap_up_count = [0] * G  # agents in after-call work, per group
        self.not_ready_count = [0] * G  # agents in a not-ready episode, per group
        self.not_ready_total = 0
        self.agents: list[Agent] = []
        self.busy_count = 0
        self.present_count = 0
        self.queue_total = 0
        # Time integrals over [0, horizon], kept here because they change at every event.
        self.busy_area = 0.0
        self.present_area = 0.0
        self.queue_area = 0.0
        self.not_ready_area = 0.0  # agent-seconds not ready (only with not_ready)
        self.queue_time: dict[int, float] = defaultdict(float)
        # Events (time, sequence number, kind, object); the sequence number breaks ties in
        # the order of scheduling. The INF sentinel keeps the heap from ever being empty.
        self._heap: list[tuple[float, int, int, Any]] = [(INF, 0, SERVICE_END, None)]
        self._next_seq = itertools.count(1).__next__
        self._next_call_id = 0
        self._interval = -1  # index of the current interval; -1 before the start
        self._block, self._n_blocks = 0, 0  # arrival block inside the interval
        self._next_boundary = 0.0
        self._draining = False
        self._held = False
        self._finished = False
        # The call that joined a queue at the epoch advance() returned at, its abandonment
        # timer not yet armed (see advance).
        self._unarmed: Call | None = None
        self._act: Any = None  # the router's act, set by run(): decide inside the event loop
        self._arr: list[ArrivalRow] = []  # the current block's first-time callers
        self._arr_wrap: list[float] | None = None  # wrap-up quantiles aligned with _arr
        self._arr_pos = 0
        self._next_arrival = INF
        self._day_mult = [1.0] * K
        self._wait_cost_rate = 0.0
        self.cost = 0.0
        self.n_decisions = 0
        self.stats = StatsCollector(scenario, record_calls=record_calls)
        self._record_calls = record_calls
        # What _assign needs of the serving skill, in one lookup per answered call.
        self._skill = [
            [
                (self._ppf[k][g], self.fcr[k][g], self._wrap_ppf[k][g], self._handle_mult[k])
                for g in range(G)
            ]
            for k in range(K)
        ]

    # ------------------------------------------------------------------ decision interface
    def decision_possible(self) -> bool:
        """True when some waiting call has an idle agent able to take it."""
        qlen, idle = self.queue_len, self.idle_count
        for k, g in self.pairs:  # noqa: SIM110 - a plain loop is twice as fast as any(genexpr)
            if qlen[k] and idle[g]:
                return True
        return False

    def action_mask(self, work_conserving: bool = True) -> np.ndarray:
        """Valid actions now: assignable pairs, and hold (if allowed or if nothing else is)."""
        qlen, idle = self.queue_len, self.idle_count
        mask = np.zeros(self.n_actions, dtype=bool)
        for a, (k, g) in enumerate(self.pairs):
            if qlen[k] and idle[g]:
                mask[a] = True
        mask[self.HOLD] = not work_conserving or not mask.any()
        return mask

    def head_arrival(self, k: int) -> float:
        """Arrival time of the oldest call of type k still waiting (inf if none)."""
        q = self.queues[k]
        while q and q[0].state != WAITING:
            q.popleft()
        return q[0].arrival if q else INF

    def longest_idle_since(self, g: int) -> float:
        """When the longest-idle agent of group g became idle (inf if none is idle)."""
        q = self.idle[g]
        return q[0].idle_since if q else INF

    def agent_counts(self, g: int) -> tuple[int, int, int]:
        """``(idle, talking, in wrap-up)`` agents of group g on duty now, counted agent by
        agent (read-only, for checks and diagnostics: the counters are the fast path). Their
        sum is every agent of the group still present, leavers finishing their work included,
        except agents in a not-ready episode (``not_ready_count[g]``), who are in none of them.
        """
        idle = talking = wrapping = 0
        for a in self.agents:
            if a.group == g and a.present:
                if a.call is not None:
                    talking += 1
                elif a.in_wrap_up:
                    wrapping += 1
                elif not a.not_ready:
                    idle += 1
        return idle, talking, wrapping

    def step(self, action: int, agent: Agent | None = None) -> None:
        """Apply one decision: assign ``pairs[action]`` or hold.

        Raises ``ValueError`` for an action outside the space or a pair with no waiting call or
        no idle agent; the simulator state is unchanged then.
        """
        if action == self.HOLD:
            self._held = True
            return
        if not 0 <= action < self.HOLD:
            raise ValueError(f"action {action} outside 0..{self.HOLD} (HOLD={self.HOLD})")
        k, g = self.pairs[action]
        if not self.queue_len[k] or not self.idle_count[g]:
            raise ValueError(
                f"action {action} = (type {self.scenario.type_names[k]!r}, group "
                f"{self.scenario.group_names[g]!r}) is not possible now: "
                f"{self.queue_len[k]} waiting, {self.idle_count[g]} idle"
            )
        self._assign(k, g, agent)

    def advance(self) -> bool:
        """Run events until the next decision epoch (True) or the end of the run (False).

        The event loop. Each turn takes the next event (a heap event, the next first-time
        arrival of the pre-drawn block, or the next block or interval boundary), moves the
        clock and integrates the time-weighted statistics, processes the event, then looks
        for a decision epoch. Only what the event touched is checked for one (``opened``),
        unless an epoch may still be open from before (``full_check``: after a hold, or a
        boundary). With a router (``run``) the decisions are made here (``_decide``);
        without one (the environment) the loop returns at the epoch. The state only this
        loop writes (clock, arrival cursor, time integrals) lives in locals, written back to
        ``self`` whenever something else may read it (:meth:`_save`).
        """
        if self._finished:
            return False
        act = self._act
        if self._held:
            self._held = False
            full_check = True  # the declined epoch may still be open after the next event
        elif self.decision_possible():
            if act is None:
                self.n_decisions += 1
                return True
            full_check = self._decide(act)
        else:
            full_check = False
        heap = self._heap
        idle_n, groups_of_type = self.idle_count, self.groups_of_type
        heappop, next_seq = heapq.heappop, self._next_seq
        queue_time = self.queue_time
        offer, abandon, decide = self._offer, self._abandon, self._decide
        agent_done = staffing.agent_done
        nr_on = self.has_not_ready
        # Loop-owned state (see the docstring).
        now = self.now
        busy_area, present_area, queue_area = self.busy_area, self.present_area, self.queue_area
        arr, pos, t_arr = self._arr, self._arr_pos, self._next_arrival
        n_arr, interval, arr_wrap = len(arr), self._interval, self._arr_wrap
        t_bnd, draining = self._next_boundary, self._draining

        # A call that joined a queue at this event: its abandonment timer is armed only if it
        # still waits once the decisions are made (most calls are answered at once, and a
        # timer for them would only be popped and discarded later).
        joined: Call | None = self._unarmed
        self._unarmed = None
        while True:
            if joined is not None:
                if joined.state == WAITING and joined.patience < INF:
                    heapq.heappush(
                        heap, (joined.arrival + joined.patience, next_seq(), ABANDON, joined)
                    )
                joined = None
            # --- the next event: the heap's (never empty: an INF sentinel), the next arrival
            # or the next boundary; on equal times the boundary goes first, then the heap.
            t_heap = heap[0][0]
            if t_heap <= t_arr:
                if t_bnd <= t_heap:
                    t, ev = t_bnd, _EV_BOUNDARY
                else:
                    t, ev = t_heap, _EV_HEAP
            elif t_bnd <= t_arr:
                t, ev = t_bnd, _EV_BOUNDARY
            else:
                t, ev = t_arr, _EV_ARRIVAL
            if t == INF:
                self._save(busy_area, present_area, queue_area, pos, t_arr)
                self._finish()
                return False
            # --- advance the clock and integrate the time-weighted statistics
            dt = t - now
            if dt > 0.0:
                self.now = now = t
                rate = self._wait_cost_rate
                if rate:
                    self.cost += rate * dt
                if not draining:
                    busy_area += self.busy_count * dt
                    present_area += self.present_count * dt
                    q = self.queue_total
                    if q:
                        queue_area += q * dt
                    queue_time[q] += dt
                    if nr_on:
                        self.not_ready_area += self.not_ready_total * dt
            # --- process the event; ``opened``: it may have opened a decision epoch
            opened = False
            if ev == _EV_ARRIVAL:
                # A first-time caller from the pre-drawn block (rlroute.sim.arrivals).
                _, k, patience, service_u, resolve_u, balk_u, rep_u, rep_delay = arr[pos]
                cid = self._next_call_id
                self._next_call_id = cid + 1
                call = Call(
                    cid,
                    k,
                    t,
                    interval,
                    patience,
                    service_u,
                    resolve_u,
                    rep_u,
                    rep_delay,
                    cid,
                    False,
                )
                if arr_wrap is not None:
                    call.wrap_u = arr_wrap[pos]
                pos += 1
                t_arr = arr[pos][0] if pos < n_arr else INF
                if offer(call, balk_u):
                    joined = call
                    for g in groups_of_type[k]:  # an agent able to take it is idle
                        if idle_n[g]:
                            opened = True
                            break
            elif ev == _EV_HEAP:
                _, _, kind, obj = heappop(heap)
                if kind == ABANDON:
                    abandon(obj)
                elif kind == REPEAT:
                    if offer(obj, obj.balk_u):
                        joined = obj
                        for g in groups_of_type[obj.type]:
                            if idle_n[g]:
                                opened = True
                                break
                elif kind < NR_REQUEST:  # SERVICE_END, TALK_END, WRAP_END
                    opened = agent_done(self, kind, obj)
                elif kind == NR_REQUEST:
                    staffing.not_ready_request(self, *obj)
                else:  # NR_END
                    opened = staffing.not_ready_end(self, obj)
            else:
                self._save(busy_area, present_area, queue_area, pos, t_arr)
                self._boundary()
                arr, pos, t_arr = self._arr, self._arr_pos, self._next_arrival
                n_arr, interval, arr_wrap = len(arr), self._interval, self._arr_wrap
                t_bnd, draining = self._next_boundary, self._draining
                full_check = True
            # --- a decision epoch may be open
            if opened or (full_check and self.decision_possible()):
                if act is None:
                    self.n_decisions += 1
                    self._save(busy_area, present_area, queue_area, pos, t_arr)
                    self._unarmed = joined
                    return True
                full_check = decide(act)
            else:
                full_check = False

    def _save(
        self, busy_area: float, present_area: float, queue_area: float, pos: int, t_arr: float
    ) -> None:
        """Write back the state advance() keeps in locals."""
        self.busy_area, self.present_area, self.queue_area = busy_area, present_area, queue_area
        self._arr_pos, self._next_arrival = pos, t_arr

    def _decide(self, act: Any) -> bool:
        """Atomic decisions at one instant until the router holds or nothing is assignable;
        True if the router held while an assignment was possible."""
        pairs, assign = self.pairs, self._assign
        qlen, idle = self.queue_len, self.idle_count
        if act is _ALWAYS_ASSIGN:
            k, g = pairs[0]
            while qlen[k] and idle[g]:
                self.n_decisions += 1
                assign(k, g, None)
            return False
        hold = self.HOLD
        while True:
            a = act(self)
            self.n_decisions += 1  # every epoch the router is asked at, holds included
            if a == hold:
                return self.decision_possible()
            k, g = pairs[a]
            assign(k, g, None)
            for k, g in pairs:
                if qlen[k] and idle[g]:
                    break
            else:
                return False

    def run(self, router: Router, *, validate: bool = False) -> KPIReport:
        """Simulate the whole horizon with ``router`` making every decision.

        The router is called from inside the event loop (no return to the caller at each
        epoch); the decisions are exactly those of ``while advance(): step(router.act(sim))``,
        which ``validate=True`` runs instead (slower, checks every action).

        With one eligible pair and a router whose class sets ``assigns_whenever_possible``
        (FIFO), there is nothing to decide: the loop assigns without calling ``act``, which
        makes the same decisions (``n_decisions`` counts them all the same).
        """
        router.reset(self)
        if validate:
            act, step, advance = router.act, self.step, self.advance
            while advance():
                step(act(self))
            return self.report()
        # A class-level promise (see FIFORouter): wrappers and instances cannot claim it by
        # accident, and a router whose act counts or logs its calls keeps being asked.
        if len(self.pairs) == 1 and getattr(type(router), "assigns_whenever_possible", False):
            self._act = _ALWAYS_ASSIGN
        else:
            self._act = router.act
        try:
            self.advance()
        finally:
            self._act = None
        return self.report()

    def report(self) -> KPIReport:
        """KPIs of the run so far (call after the run for final numbers)."""
        return self.stats.report(self)

    def call_log(self) -> Any:
        """The per-call record log as a pandas DataFrame (needs ``record_calls=True``)."""
        return self.stats.call_log(self)

    def recorded_calls(self) -> list[Call]:
        """The :class:`Call` of every logged outcome, in log order (needs ``record_calls=True``):
        each with its own random numbers (``service_u``, ``resolve_u``, ``rep_u``,
        ``rep_delay``, ...), which :meth:`call_log` does not show. For checks of the common
        random numbers."""
        if not self._record_calls:
            raise RuntimeError("the per-call log was not recorded: pass record_calls=True")
        return [entry[0] for entry in self.stats.log]

    # ------------------------------------------------------------------ event handlers
    def _boundary(self) -> None:
        """Open the next arrival block; at an interval's start also close the previous
        interval, draw the day's multipliers and staffing at a day's start, apply the staffing and
        open the interval's first block; after the last interval, start the drain."""
        if self._block + 1 < self._n_blocks:
            self._block += 1
            self._open_block()
            return
        if self._interval >= 0:
            self.stats.close_interval(self._interval, self)
        self._interval += 1
        i = self._interval
        if i >= self.n_intervals:
            self._draining = True
            self._next_boundary = INF
            return
        if i % self._ipd == 0:
            self._day_mult = draw_day_multipliers(self.streams.day, self._day_shape)
            self._draw_day_staffing(i)
            self._draw_not_ready_day()
        for g in range(self.n_groups):
            staffing.staff(self, g, self._heads[g][i])
        if self.has_not_ready:
            self._draw_not_ready(i)
        self._n_blocks = blocks_in_interval(self._rates, self._day_mult, i, self.interval_s)
        self._block = 0
        self._open_block()

    def _draw_day_staffing(self, i: int) -> None:
        """The head counts of the day starting at interval i, for the groups with a
        ``staffing_day_factor`` (shared with the compiled engine)."""
        if self._base_heads is None:
            return
        assert self.streams.staffing is not None
        staffing.draw_day_staffing(
            self.streams.staffing,
            self._staff_factors,
            self._base_heads,
            self._heads,
            self._rates,
            self.types_of_group,
            self._day_mult,
            i,
            min(self._ipd, self.n_intervals - i),
        )

    def _draw_not_ready_day(self) -> None:
        """The day's factors of the not-ready request rates, for the groups with a
        ``day_shape`` (CRN contract step 6; shared with the compiled engine)."""
        if self._has_nr_day:
            assert self.streams.availability_day is not None
            self._nr_day = draw_not_ready_day_factors(
                self.streams.availability_day, self._nr_day_shape
            )

    def _draw_not_ready(self, i: int) -> None:
        """Draw interval i's not-ready requests of every group that has them, and schedule
        them (the CRN contract, :mod:`rlroute.sim.arrivals` step 5)."""
        start = i * self.interval_s
        for g, rates in enumerate(self._nr_rate):
            if rates is None:
                continue
            times, pick_u, length_q = draw_not_ready_requests(
                self.streams.availability[g],
                self._heads[g][i],
                rates[i],
                start,
                self.interval_s,
                self._nr_day[g],
            )
            for t, u, q in zip(times.tolist(), pick_u.tolist(), length_q.tolist(), strict=True):
                _heappush(self._heap, (t, self._next_seq(), NR_REQUEST, (g, u, q)))

    def _open_block(self) -> None:
        """Draw the callers of the current block (see :mod:`rlroute.sim.arrivals`)."""
        i, j, m = self._interval, self._block, self._n_blocks
        start, length = block_span(i, j, m, self.interval_s)
        self._next_boundary = (i + 1) * self.interval_s if j + 1 == m else start + length
        batches, wraps = self._block_draws(i, start, length)
        self._arr, self._arr_wrap = arrival_rows(batches, wraps, self._can_balk)
        self._arr_pos = 0
        self._next_arrival = self._arr[0][0] if self._arr else INF

    def _block_draws(self, i: int, start: float, length: float) -> tuple[list[Any], list[Any]]:
        """The callers of one arrival block, replayed or drawn (:mod:`rlroute.sim.arrivals`);
        the compiled engine takes its blocks from here too, so both draw alike."""
        if self._replay is not None:
            batches, wraps = replay_arrival_block(
                self.streams,
                start,
                length,
                self._replay,
                self._patience,
                self._repeat,
                self._wrap_types,
                self.has_wrap_up,
            )
        else:
            batches, wraps = draw_arrival_block(
                self.streams,
                i,
                start,
                length,
                self._rates,
                self._day_mult,
                self._patience,
                self._repeat,
                self._wrap_types,
                self.has_wrap_up,
            )
        return batches, wraps

    def _offer(self, call: Call, balk_u: float) -> bool:
        """A call arrives: it balks (False) or joins its queue (True)."""
        k = call.type
        self.stats.offered(call)
        if self._can_balk[k] and self._balks(k, balk_u):
            self._balk(call)
            return False
        self.queues[k].append(call)
        self.queue_len[k] += 1
        self.queue_total += 1
        self._wait_cost_rate += self.cost_wait[k]
        return True  # its abandonment timer is armed by advance, if it still waits then

    def _balk(self, call: Call) -> None:
        call.state = ABANDONED
        self.cost += self.cost_abandon[call.type]
        self.stats.balked(call, self.now)

    def _balks(self, k: int, balk_u: float) -> bool:
        idle = self.idle_count
        for g in self.groups_of_type[k]:
            if idle[g]:
                return False  # an agent is free: nobody balks at a call answered at once
        return balk_u < self._balk_p[k] or self.queue_len[k] >= self._balk_len[k]

    def _abandon(self, call: Call) -> None:
        if call.state != WAITING:
            return  # already served: a stale timer
        k = call.type
        call.state = ABANDONED
        self.queue_len[k] -= 1
        self.queue_total -= 1
        self._wait_cost_rate -= self.cost_wait[k]
        self.cost += self.cost_abandon[k]
        self.stats.abandoned(call, self.now)

    def _assign(self, k: int, g: int, agent: Agent | None) -> None:
        """Start serving the oldest waiting call of type k by an idle agent of group g (the
        longest-idle one unless ``agent`` is given)."""
        q = self.queues[k]
        call = q.popleft()
        while call.state != WAITING:  # abandoned calls leave the queue lazily
            call = q.popleft()
        idle = self.idle[g]
        if agent is None:
            agent = idle.popleft()
        else:
            if agent.group != g or not agent.available:
                raise ValueError(f"agent {agent.id} is not an idle agent of group {g}")
            idle.remove(agent)
        now = self.now
        self.queue_len[k] -= 1
        self.queue_total -= 1
        self.idle_count[g] -= 1
        self._wait_cost_rate -= self.cost_wait[k]
        call.state = SERVED
        wait = now - call.arrival
        # The call's fate, from its own quantiles and the serving skill.
        ppf, fcr, wrap_ppf, mult = self._skill[k][g]
        handle = ppf(call.service_u)
        if mult is not None:
            # Time-of-day talk time: the same quantile, scaled for the interval of arrival.
            handle *= mult[call.interval]
        wrap = 0.0 if wrap_ppf is None else wrap_ppf(call.wrap_u)
        resolved = call.resolve_u < fcr
        if wait > self.target[k]:
            self.cost += self.cost_sl_miss[k]
        if not resolved:
            self.cost += self.cost_unresolved[k]
        self.stats.answered(call, wait, handle, wrap, resolved, now, g, agent.id)
        agent.call = call
        agent.n_served += 1
        self.busy_count += 1
        if wrap_ppf is None:
            agent.busy_time += handle
            _heappush(self._heap, (now + handle, self._next_seq(), SERVICE_END, agent))
        else:
            # The wrap-up is fixed now, like the handle time, so the KPIs book it with the
            # call's interval; the agent starts it when the caller hangs up (staffing.agent_done).
            call.wrap_up = agent.wrap = wrap
            agent.busy_time += handle + wrap
            agent.wrap_up_time += wrap
            _heappush(self._heap, (now + handle, self._next_seq(), TALK_END, agent))
        if not resolved:
            rep = self._repeat[k]
            if rep is not None and call.rep_u < rep.probability:
                t_back = now + handle + call.rep_delay
                if t_back < self.horizon:
                    self._schedule_repeat(call, t_back)

    def _schedule_repeat(self, call: Call, t_back: float) -> None:
        """Schedule the caller's next attempt, with the next row of its type's repeat-call
        table: no draw here touches a stream a first-time caller draws from."""
        table = self._repeat_rows[call.type]
        assert table is not None
        cid = self._next_call_id
        self._next_call_id += 1
        interval = min(int(t_back // self.interval_s), self.n_intervals - 1)
        again = repeat_call(table, call, cid, t_back, interval)
        _heappush(self._heap, (t_back, self._next_seq(), REPEAT, again))

    def _finish(self) -> None:
        if 0 <= self._interval < self.n_intervals and not self._draining:
            self.stats.close_interval(self._interval, self)
        self._finished = True
        self.stats.finish(self)


# Everything other modules import from here; the entities under their old home.
__all__ = [
    "ABANDONED",
    "SERVED",
    "WAITING",
    "Agent",
    "Call",
    "Simulator",
]
