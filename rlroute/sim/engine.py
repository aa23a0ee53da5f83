"""The discrete-event call-center simulator.

Events are arrivals, abandonments, service ends, wrap-up ends, repeat calls and interval
boundaries (staffing changes, new arrival rates). Between events the clock jumps. A **decision epoch** is any moment
at which some waiting call could be given to some idle agent able to serve it; the simulator
then stops and asks a router for an action: one (call type, agent group) pair, or *hold*.
Decisions are atomic (Sun, Shi and Dai): after an assignment the simulator asks again at the
same instant while assignments remain possible; after a hold it moves on to the next event.

The same stepping core serves both drivers:

* :meth:`Simulator.run` with a :class:`~rlroute.sim.router.Router` (benchmarks, baselines);
* :meth:`Simulator.advance` / :meth:`Simulator.step` (the Gymnasium environment).

Arrivals of each interval are drawn in one vectorised batch per call type, from that type's own
streams (:mod:`rlroute.sim.streams`), together with each call's patience, handle-time quantile,
resolution, balk and repeat draws. Nothing a router does can change what a first-time caller
brings: that is what makes routers comparable on common random numbers. Repeat calls, whose
number and timing depend on routing, take their numbers from their own streams, row by row
(:class:`~rlroute.sim.streams.RepeatCallTable`: the n-th repeat call of a type gets row n),
so they never shift a first-time caller's draws.

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

from rlroute.distributions import Exponential
from rlroute.scenario import Scenario
from rlroute.sim.arrivals import draw_arrival_block, replay_arrival_block
from rlroute.sim.kpis import HIST_MAX_S, KPIReport, StatsCollector
from rlroute.sim.streams import RandomStreams, RepeatCallTable

if TYPE_CHECKING:
    from rlroute.sim.router import Router

INF = math.inf
_heappush = heapq.heappush
_BLOCK_CALLS = 2048  # expected arrivals drawn per batch
# Event kinds in the heap. Interval boundaries and first-time arrivals are not heap events:
# they come from a scalar clock and a pre-drawn, sorted batch, which is much cheaper.
_SERVICE_END = 0  # the agent is free at once (no wrap-up)
_ABANDON = 1
_REPEAT = 2
_TALK_END = 3  # a service end followed by a wrap-up (after-call work)
_WRAP_END = 4
# What advance() processes next.
_EV_HEAP, _EV_ARRIVAL, _EV_BOUNDARY = 0, 1, 2


def _ALWAYS_ASSIGN(sim: Simulator) -> int:
    """Stands in for the act of a router that assigns whenever it can, on a scenario with one
    eligible pair: every decision is then "serve the oldest call", and advance() makes it
    itself (see run)."""
    return 0


# Call states.
WAITING, SERVED, ABANDONED = 0, 1, 2


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
    """One agent of a group; tracked individually for longest-idle routing and load fairness."""

    __slots__ = (
        "busy_time",
        "call",
        "group",
        "id",
        "idle_since",
        "in_wrap_up",
        "leaving",
        "n_served",
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

    @property
    def available(self) -> bool:
        """On duty, not talking and not in wrap-up: the state of an idle agent."""
        return self.present and self.call is None and not self.in_wrap_up


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
        self.streams = RandomStreams.from_seed(seed, K)

        # Static per-type and per-pair parameters, as plain lists for fast scalar access.
        self._rates = [[r / 3600.0 for r in scenario.rates_per_hour(k)] for k in range(K)]
        self._heads = [scenario.head_counts(g) for g in range(G)]
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
        self.groups_of_type = [[g for kk, g in self.pairs if kk == k] for k in range(K)]
        self.types_of_group = [[k for k, gg in self.pairs if gg == g] for g in range(G)]

        # Dynamic state.
        self.now = 0.0
        self.queues: list[deque[Call]] = [deque() for _ in range(K)]
        self.queue_len = [0] * K
        self.idle: list[deque[Agent]] = [deque() for _ in range(G)]
        self.idle_count = [0] * G
        self.wrap_up_count = [0] * G  # agents in after-call work, per group
        self.agents: list[Agent] = []
        self.busy_count = 0
        self.present_count = 0
        self.queue_total = 0
        # Time integrals over [0, horizon], kept here because they change at every event.
        self.busy_area = 0.0
        self.present_area = 0.0
        self.queue_area = 0.0
        self.queue_time: dict[int, float] = defaultdict(float)
        # Events (time, sequence number, kind, object); the sequence number breaks ties in
        # the order of scheduling. The INF sentinel keeps the heap from ever being empty.
        self._heap: list[tuple[float, int, int, Any]] = [(INF, 0, _SERVICE_END, None)]
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
        self._arr: list[tuple] = []
        self._arr_wrap: list[float] | None = None  # wrap-up quantiles aligned with _arr
        self._arr_pos = 0
        self._next_arrival = INF
        self._day_mult = [1.0] * K
        self._wait_cost_rate = 0.0
        self.cost = 0.0
        self.n_decisions = 0
        self.stats = StatsCollector(scenario, record_calls=record_calls)
        # The answer counters, booked by _assign directly (the same lists as in self.stats).
        st = self.stats
        self._record_calls = record_calls
        self._n_answered, self._n_within = st.count["answered"], st.count["answered_within"]
        self._n_resolved, self._n_immediate = st.count["resolved"], st.count["immediate"]
        self._s_wait_answered, self._s_wait_all = st.sum["wait_answered"], st.sum["wait_all"]
        self._s_handle, self._wait_hist = st.sum["handle"], st.wait_hist
        self._s_wrap = st.sum["wrap_up"]
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
        sum is every agent of the group still present, leavers finishing their work included.
        """
        idle = talking = wrapping = 0
        for a in self.agents:
            if a.group == g and a.present:
                if a.call is not None:
                    talking += 1
                elif a.in_wrap_up:
                    wrapping += 1
                else:
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

        The hot loop of the whole library. Handlers for the frequent events (first-time
        arrival, service end) are inlined, only the part of the state an event touched is
        checked for a new decision epoch, and the state only this loop writes (clock, arrival
        cursor, time integrals) lives in locals, written back to ``self`` whenever something
        else may read it: before an interval boundary, at the end, and before returning.
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
        qlen, idle_n = self.queue_len, self.idle_count
        queues, idle_q = self.queues, self.idle
        groups_of_type, types_of_group = self.groups_of_type, self.types_of_group
        can_balk, cost_wait = self._can_balk, self.cost_wait
        n_offered = self.stats.count["offered"]
        heappop, heappush, next_seq = heapq.heappop, heapq.heappush, self._next_seq
        queue_time = self.queue_time
        decide = self._decide
        record = self._record_calls
        direct_ok = act is _ALWAYS_ASSIGN
        direct: Call | None = None  # an arrival answered at once, bypassing the queue
        if direct_ok:
            # The one pair's constants and KPI rows, for the inlined _assign below.
            k0, g0 = self.pairs[0]
            q0, idle0 = queues[k0], idle_q[g0]
            # run() takes this path only without wrap-up and without a handle-time profile.
            ppf0, fcr0, _, _ = self._skill[k0][g0]
            # Exponential handle times (the classic M/M/n models) skip the ppf call: the same
            # expression as Exponential.ppf, -mean * log1p(-u), so the same bits.
            skill0 = self.scenario.skill(k0, g0)
            assert skill0 is not None
            dist0 = skill0.handle_time
            exp_scale0 = -dist0.mean_s if type(dist0) is Exponential else 0.0
            log1p = math.log1p
            target0, cost_wait0, rep0 = self.target[k0], cost_wait[k0], self._repeat[k0]
            sl_miss0, unresolved0 = self.cost_sl_miss[k0], self.cost_unresolved[k0]
            n_answered0, n_within0 = self._n_answered[k0], self._n_within[k0]
            n_resolved0, n_immediate0 = self._n_resolved[k0], self._n_immediate[k0]
            s_wait_answered0, s_wait_all0 = self._s_wait_answered[k0], self._s_wait_all[k0]
            s_handle0, hist0 = self._s_handle[k0], self._wait_hist[k0]
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
        if joined is not None and joined.state == WAITING:
            heappush(heap, (joined.arrival + joined.patience, next_seq(), _ABANDON, joined))
        joined = None
        while True:
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
                self.busy_area, self.present_area, self.queue_area = (
                    busy_area,
                    present_area,
                    queue_area,
                )
                self._arr_pos, self._next_arrival = pos, t_arr
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
            # --- process the event; then look for a decision epoch where it could have opened.
            # A branch that opens none continues; one that may have falls through to the
            # epoch section below, with full_check set unless it found the epoch itself.
            if ev == _EV_HEAP:
                _, _, kind, obj = heappop(heap)
                if kind == _SERVICE_END:
                    # The agent finishes its call: idle again, or gone if due to leave.
                    obj.call = None
                    self.busy_count -= 1
                    if obj.leaving:
                        obj.leaving = False
                        obj.present = False
                        self.present_count -= 1
                        if not full_check:
                            continue
                    else:
                        g = obj.group
                        obj.idle_since = now
                        idle_q[g].append(obj)
                        idle_n[g] += 1
                        if not full_check:
                            for k in types_of_group[g]:
                                if qlen[k]:
                                    break
                            else:
                                continue
                elif kind == _ABANDON:
                    if obj.state == WAITING:  # else a stale timer: the call was answered
                        self._abandon(obj)
                    if not full_check:
                        continue
                elif kind == _REPEAT:
                    if self._offer(obj, obj.balk_u) and obj.patience < INF:
                        joined = obj
                    full_check = True
                elif not self._after_call(kind, obj) and not full_check:
                    continue  # a wrap-up started, or ended with nothing for the agent to take
            elif ev == _EV_ARRIVAL:
                # First-time arrival from the pre-drawn batch (see _draw_arrivals): the steps
                # of _offer, which repeat calls still go through.
                _, k, patience, service_u, resolve_u, balk_u, rep_u, rep_delay = arr[pos]
                pos += 1
                t_arr = arr[pos][0] if pos < n_arr else INF
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
                    call.wrap_u = arr_wrap[pos - 1]
                n_offered[k][interval] += 1
                if direct_ok and k == k0 and idle_n[g0] and not qlen[k0] and not full_check:
                    # One pair, a work-conserving router and an idle agent: answered at once
                    # (so it does not balk), without passing through the queue.
                    self._wait_cost_rate += cost_wait0
                    direct = call
                elif can_balk[k] and self._balks(k, balk_u):
                    self._balk(call)
                    if not full_check:
                        continue
                else:
                    queues[k].append(call)
                    qlen[k] += 1
                    self.queue_total += 1
                    self._wait_cost_rate += cost_wait[k]
                    if not full_check:
                        for g in groups_of_type[k]:
                            if idle_n[g]:
                                break
                        else:
                            # Nobody can take it: it waits, so its timer is armed now.
                            if patience < INF:
                                heappush(heap, (t + patience, next_seq(), _ABANDON, call))
                            continue
                    if patience < INF:
                        joined = call
            else:
                self.busy_area, self.present_area, self.queue_area = (
                    busy_area,
                    present_area,
                    queue_area,
                )
                self._arr_pos, self._next_arrival = pos, t_arr
                self._boundary()
                arr, pos, t_arr = self._arr, self._arr_pos, self._next_arrival
                n_arr, interval, arr_wrap = len(arr), self._interval, self._arr_wrap
                t_bnd, draining = self._next_boundary, self._draining
                full_check = True
            # --- a decision epoch may be open
            if full_check and not self.decision_possible():
                full_check = False
            elif act is _ALWAYS_ASSIGN:
                # _assign(k0, g0, None) with the pair's constants bound once: one pair and a
                # work-conserving router, so every decision is "serve the oldest call".
                while True:
                    if direct is not None:
                        call, direct = direct, None
                    elif qlen[k0] and idle_n[g0]:
                        call = q0.popleft()
                        while call.state != WAITING:
                            call = q0.popleft()
                        qlen[k0] -= 1
                        self.queue_total -= 1
                    else:
                        break
                    self.n_decisions += 1
                    agent = idle0.popleft()
                    idle_n[g0] -= 1
                    self._wait_cost_rate -= cost_wait0
                    call.state = SERVED
                    wait = now - call.arrival
                    if exp_scale0:
                        handle = exp_scale0 * log1p(-call.service_u)  # Exponential.ppf's formula
                    else:
                        handle = ppf0(call.service_u)
                    resolved = call.resolve_u < fcr0
                    i = call.interval
                    n_answered0[i] += 1
                    if wait > target0:
                        self.cost += sl_miss0
                    else:
                        n_within0[i] += 1
                    if resolved:
                        n_resolved0[i] += 1
                    else:
                        self.cost += unresolved0
                    if wait == 0.0:
                        # Answered at once: the wait sums, never negative, would add an exact 0.
                        n_immediate0[i] += 1
                        hist0[0] += 1
                    else:
                        s_wait_answered0[i] += wait
                        s_wait_all0[i] += wait
                        hist0[int(wait) if wait < HIST_MAX_S else HIST_MAX_S] += 1
                    s_handle0[i] += handle
                    if record:
                        self.stats.log.append(
                            (call, "answered", wait, now, handle, g0, agent.id, resolved)
                        )
                    agent.call = call
                    agent.busy_time += handle
                    agent.n_served += 1
                    self.busy_count += 1
                    heappush(heap, (now + handle, next_seq(), _SERVICE_END, agent))
                    if not resolved and rep0 is not None and call.rep_u < rep0.probability:
                        t_back = now + handle + call.rep_delay
                        if t_back < self.horizon:
                            self._schedule_repeat(call, t_back)
                full_check = False
            elif act is None:
                self.n_decisions += 1
                self.busy_area, self.present_area, self.queue_area = (
                    busy_area,
                    present_area,
                    queue_area,
                )
                self._arr_pos, self._next_arrival = pos, t_arr
                self._unarmed = joined
                return True
            else:
                full_check = decide(act)
            if joined is not None:
                if joined.state == WAITING:
                    heappush(heap, (joined.arrival + joined.patience, next_seq(), _ABANDON, joined))
                joined = None

    def _decide(self, act: Any) -> bool:
        """Atomic decisions at one instant until the router holds or nothing is assignable;
        True if the router held while an assignment was possible."""
        hold, pairs, assign = self.HOLD, self.pairs, self._assign
        qlen, idle = self.queue_len, self.idle_count
        if act is _ALWAYS_ASSIGN:
            k, g = pairs[0]
            while qlen[k] and idle[g]:
                self.n_decisions += 1
                assign(k, g, None)
            return False
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
        makes the same decisions (``n_decisions`` counts them all the same). Scenarios with
        wrap-up or a handle-time profile always take the general path, which alone knows
        about after-call work and talk-time multipliers.
        """
        router.reset(self)
        if validate:
            act, step, advance = router.act, self.step, self.advance
            while advance():
                step(act(self))
            return self.report()
        # A class-level promise (see FIFORouter): wrappers and instances cannot claim it by
        # accident, and a router whose act counts or logs its calls keeps being asked.
        if (
            len(self.pairs) == 1
            and not self.has_wrap_up
            and not self.has_handle_profile
            and getattr(type(router), "assigns_whenever_possible", False)
        ):
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
        interval and apply the new staffing, or start the drain after the horizon."""
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
            day = self.streams.day
            self._day_mult = [
                1.0 if shape is None else float(day.gamma(shape, 1.0 / shape))
                for shape in self._day_shape
            ]
        for g in range(self.n_groups):
            self._staff(g, self._heads[g][i])
        # Draw arrivals in blocks of about _BLOCK_CALLS calls so memory stays flat however
        # long the interval (a stationary study may use one interval of hundreds of hours).
        expected = sum(r[i] * m for r, m in zip(self._rates, self._day_mult)) * self.interval_s
        self._n_blocks = max(1, math.ceil(expected / _BLOCK_CALLS))
        self._block = 0
        self._open_block()

    def _open_block(self) -> None:
        i, j, m = self._interval, self._block, self._n_blocks
        length = self.interval_s / m
        start = i * self.interval_s + j * length
        self._next_boundary = (i + 1) * self.interval_s if j + 1 == m else start + length
        self._draw_arrivals(i, start, length)

    def _staff(self, g: int, target: int) -> None:
        on_duty = [a for a in self.agents if a.group == g and a.present and not a.leaving]
        diff = target - len(on_duty)
        if diff > 0:
            # Recall agents who were due to leave after their call before hiring new ones.
            for a in self.agents:
                if diff and a.group == g and a.present and a.leaving:
                    a.leaving = False
                    diff -= 1
            for _ in range(diff):
                a = Agent(len(self.agents), g, self.now)
                self.agents.append(a)
                self.idle[g].append(a)
                self.idle_count[g] += 1
                self.present_count += 1
        elif diff < 0:
            remove = -diff
            idle = self.idle[g]
            while remove and idle:
                a = idle.pop()  # the most recently idle go first: LIA order is kept for the rest
                a.present = False
                self.idle_count[g] -= 1
                self.present_count -= 1
                remove -= 1
            # Agents in wrap-up are busy too: they leave once it is done.
            busy = sorted(
                (a for a in on_duty if a.call is not None or a.in_wrap_up), key=lambda a: a.id
            )
            for a in busy[:remove]:
                a.leaving = True

    def _draw_arrivals(self, i: int, start: float, length: float) -> None:
        """Draw the arrivals of every type in [start, start + length) of interval i, with each
        call's own random numbers, from the type's own streams (common random numbers).

        Every stream is drawn from whatever the scenario, so the numbers do not depend on
        which of them a call ends up using; a column nobody reads (balk uniforms of a type
        that cannot balk, delays of a type that never repeats) is not converted to Python
        floats, which is most of the cost of a block. The one exception is the wrap-up
        stream, drawn only for types some skill wraps up: it was added later, and leaving it
        untouched keeps scenarios without wrap-up bit-identical to before (each stream is
        independent, so this changes no other draw). Its column lives beside the arrival
        tuples (``_arr_wrap``), so their layout, and the hot loop's unpacking, stay as they are.
        """
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
        self._arr_wrap = None
        if not batches:
            self._arr, self._arr_pos, self._next_arrival = [], 0, INF
            return
        if len(batches) == 1:
            # One type: its times are sorted already, the columns can go straight to lists.
            times, k, patience, service_u, resolve_u, balk_u, rep_u, rep_delay, n = batches[0]
            self._arr = list(
                zip(
                    times.tolist(),
                    [k] * n,
                    patience.tolist(),
                    service_u.tolist(),
                    resolve_u.tolist(),
                    balk_u.tolist() if self._can_balk[k] else [0.0] * n,
                    rep_u.tolist(),
                    [0.0] * n if rep_delay is None else rep_delay.tolist(),
                )
            )
            if wraps:
                self._arr_wrap = wraps[0].tolist()
        else:
            cols = [
                np.concatenate(parts)
                for parts in zip(
                    *(
                        (t, np.full(n, k), p, su, ru, bu, repu, np.zeros(n) if rd is None else rd)
                        for t, k, p, su, ru, bu, repu, rd, n in batches
                    )
                )
            ]
            order = np.argsort(cols[0], kind="stable")
            self._arr = list(zip(*(c[order].tolist() for c in cols)))
            if wraps:
                self._arr_wrap = np.concatenate(wraps)[order].tolist()
        self._arr_pos = 0
        self._next_arrival = self._arr[0][0]

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
        """Start serving the oldest waiting call of type k by an idle agent of group g.

        Runs once per answered call, so it books the answer's KPI counters itself (the lists
        of :class:`~rlroute.sim.kpis.StatsCollector`, bound in ``__init__``) instead of calling
        a hook: the call would cost about as much as the bookkeeping.
        """
        q = self.queues[k]
        call = q.popleft()
        while call.state != WAITING:
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
        ppf, fcr, wrap_ppf, mult = self._skill[k][g]
        handle = ppf(call.service_u)
        i = call.interval
        if mult is not None:
            # Time-of-day talk time: the same quantile, scaled for the interval of arrival.
            handle *= mult[i]
        resolved = call.resolve_u < fcr
        self._n_answered[k][i] += 1
        if wait > self.target[k]:
            self.cost += self.cost_sl_miss[k]
        else:
            self._n_within[k][i] += 1
        if resolved:
            self._n_resolved[k][i] += 1
        else:
            self.cost += self.cost_unresolved[k]
        self._s_wait_answered[k][i] += wait
        self._s_wait_all[k][i] += wait
        self._s_handle[k][i] += handle
        self._wait_hist[k][int(wait) if wait < HIST_MAX_S else HIST_MAX_S] += 1
        if wait == 0.0:
            self._n_immediate[k][i] += 1
        if self._record_calls:
            self.stats.log.append((call, "answered", wait, now, handle, g, agent.id, resolved))
        agent.call = call
        agent.n_served += 1
        self.busy_count += 1
        if wrap_ppf is None:
            agent.busy_time += handle
            _heappush(self._heap, (now + handle, self._next_seq(), _SERVICE_END, agent))
        else:
            # The wrap-up is fixed now, like the handle time, so the KPIs book it with the
            # call's interval; the agent starts it when the caller hangs up (_after_call).
            wrap = wrap_ppf(call.wrap_u)
            call.wrap_up = agent.wrap = wrap
            agent.busy_time += handle + wrap
            agent.wrap_up_time += wrap
            self._s_wrap[k][i] += wrap
            _heappush(self._heap, (now + handle, self._next_seq(), _TALK_END, agent))
        if not resolved:
            rep = self._repeat[k]
            if rep is not None and call.rep_u < rep.probability:
                t_back = now + handle + call.rep_delay
                if t_back < self.horizon:
                    self._schedule_repeat(call, t_back)

    def _after_call(self, kind: int, agent: Agent) -> bool:
        """A talk end starts the agent's wrap-up; a wrap-up end frees it (idle, or gone if it
        was due to leave). True when that opened a decision epoch: the agent is idle and its
        group has calls waiting. Only scenarios with wrap-up schedule these events, so the
        hot loop keeps its inlined service end for the others."""
        g = agent.group
        if kind == _TALK_END:
            agent.call = None
            agent.in_wrap_up = True
            self.wrap_up_count[g] += 1
            _heappush(self._heap, (self.now + agent.wrap, self._next_seq(), _WRAP_END, agent))
            return False
        agent.in_wrap_up = False
        self.wrap_up_count[g] -= 1
        self.busy_count -= 1
        if agent.leaving:
            agent.leaving = False
            agent.present = False
            self.present_count -= 1
            return False
        agent.idle_since = self.now
        self.idle[g].append(agent)
        self.idle_count[g] += 1
        qlen = self.queue_len
        return any(qlen[k] for k in self.types_of_group[g])

    def _schedule_repeat(self, call: Call, t_back: float) -> None:
        """Schedule the caller's next attempt, with the next row of its type's repeat-call
        table: no draw here touches a stream a first-time caller draws from."""
        k = call.type
        table = self._repeat_rows[k]
        assert table is not None
        patience, service_u, resolve_u, balk_u, rep_u, rep_delay, wrap_u = table.next_row()
        cid = self._next_call_id
        self._next_call_id += 1
        again = Call(
            cid,
            k,
            t_back,
            min(int(t_back // self.interval_s), self.n_intervals - 1),
            patience,
            service_u,
            resolve_u,
            rep_u,
            rep_delay,
            call.customer,
            True,
        )
        again.balk_u = balk_u
        again.wrap_u = wrap_u
        _heappush(self._heap, (t_back, self._next_seq(), _REPEAT, again))

    def _finish(self) -> None:
        if 0 <= self._interval < self.n_intervals and not self._draining:
            self.stats.close_interval(self._interval, self)
        self._finished = True
        self.stats.finish(self)


__all__ = ["ABANDONED", "SERVED", "WAITING", "Agent", "Call", "Simulator"]
