"""The discrete-event call-center simulator.

Events are arrivals, abandonments, service ends, repeat calls and interval boundaries (staffing
changes, new arrival rates). Between events the clock jumps. A **decision epoch** is any moment
at which some waiting call could be given to some idle agent able to serve it; the simulator
then stops and asks a router for an action: one (call type, agent group) pair, or *hold*.
Decisions are atomic (Sun, Shi and Dai): after an assignment the simulator asks again at the
same instant while assignments remain possible; after a hold it moves on to the next event.

The same stepping core serves both drivers:

* :meth:`Simulator.run` with a :class:`~rlroute.sim.router.Router` (benchmarks, baselines);
* :meth:`Simulator.advance` / :meth:`Simulator.step` (the Gymnasium environment).

Arrivals of each interval are drawn in one vectorised batch per call type, from that type's own
streams (:mod:`rlroute.sim.streams`), together with each call's patience, handle-time quantile
and resolution draw. Nothing a router does can change what the callers bring: that is what
makes routers comparable on common random numbers.

Conventions (stated once, used by every KPI):

* arrivals stop at the horizon; calls already in the center are still served or abandon
  (the *drain*), with the last interval's staffing; occupancy is measured on [0, horizon];
* an agent leaving at a staffing change finishes the call in hand first;
* inside a group the longest-idle agent takes the call unless the router names an agent;
* a caller who finds no idle eligible agent balks with ``balk_probability`` (always, if
  ``balk_queue_length`` of the type already wait); a balk counts as an abandonment with wait 0;
* resolution is drawn at service start from the serving skill's ``fcr``; an unresolved call
  repeats with ``repeat.probability`` after ``repeat.delay``, if that is before the horizon.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

import numpy as np

from rlroute.scenario import Scenario
from rlroute.sim.kpis import KPIReport, StatsCollector
from rlroute.sim.streams import RandomStreams

if TYPE_CHECKING:
    from rlroute.sim.router import Router

INF = math.inf
_BLOCK_CALLS = 2048  # expected arrivals drawn per batch
# Event kinds in the heap. Interval boundaries and first-time arrivals are not heap events:
# they come from a scalar clock and a pre-drawn, sorted batch, which is much cheaper.
_SERVICE_END = 0
_ABANDON = 1
_REPEAT = 2

# Call states.
WAITING, SERVED, ABANDONED = 0, 1, 2


class Call:
    """One caller. Pre-drawn uniforms fix the call's fate independently of the router."""

    __slots__ = (
        "arrival",
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
    )

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

    __slots__ = ("busy_time", "call", "group", "id", "idle_since", "leaving", "n_served", "present")

    def __init__(self, agent_id: int, group: int, now: float) -> None:
        self.id = agent_id
        self.group = group
        self.idle_since = now
        self.busy_time = 0.0
        self.n_served = 0
        self.leaving = False
        self.present = True
        self.call: Call | None = None


class Simulator:
    """Simulate one horizon of a :class:`~rlroute.scenario.Scenario` under a routing policy.

    Args:
        scenario: the call center.
        seed: an int or ``SeedSequence``; the only source of randomness.
        record_calls: keep a per-call log (:meth:`call_log`); off by default, costing nothing.

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
    ) -> None:
        self.scenario = scenario
        self.n_types = K = len(scenario.call_types)
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
        self._day_shape = [c.day_multiplier_shape for c in scenario.call_types]
        self._ipd = scenario.intervals_per_day or scenario.n_intervals
        self.target = [scenario.sl_target_s(k) for k in range(K)]
        self.cost_wait = [c.cost.wait_per_s for c in scenario.call_types]
        self.cost_abandon = [c.cost.abandon for c in scenario.call_types]
        self.cost_sl_miss = [c.cost.sl_miss for c in scenario.call_types]
        self.cost_unresolved = [c.cost.unresolved for c in scenario.call_types]
        self._ppf: list[list[Any]] = [[None] * G for _ in range(K)]
        self.fcr = [[0.0] * G for _ in range(K)]
        self.mean_handle = [[INF] * G for _ in range(K)]
        for k, g in self.pairs:
            skill = scenario.skill(k, g)
            assert skill is not None
            self._ppf[k][g] = skill.handle_time.ppf
            self.fcr[k][g] = skill.fcr
            self.mean_handle[k][g] = skill.handle_time.mean
        self.groups_of_type = [[g for kk, g in self.pairs if kk == k] for k in range(K)]
        self.types_of_group = [[k for k, gg in self.pairs if gg == g] for g in range(G)]

        # Dynamic state.
        self.now = 0.0
        self.queues: list[deque[Call]] = [deque() for _ in range(K)]
        self.queue_len = [0] * K
        self.idle: list[deque[Agent]] = [deque() for _ in range(G)]
        self.idle_count = [0] * G
        self.agents: list[Agent] = []
        self.busy_count = 0
        self.present_count = 0
        self.queue_total = 0
        # Time integrals over [0, horizon], kept here because they change at every event.
        self.busy_area = 0.0
        self.present_area = 0.0
        self.queue_area = 0.0
        self.queue_time: dict[int, float] = defaultdict(float)
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = 0
        self._next_call_id = 0
        self._interval = -1  # index of the current interval; -1 before the start
        self._block, self._n_blocks = 0, 0  # arrival block inside the interval
        self._next_boundary = 0.0
        self._draining = False
        self._held = False
        self._finished = False
        self._unarmed: list[Call] = []  # waiting calls whose abandonment timer is not set yet
        self._dispatch: Any = None  # set by run(): decide inside the event loop
        self._arr: list[tuple] = []
        self._arr_pos = 0
        self._next_arrival = INF
        self._day_mult = [1.0] * K
        self._wait_cost_rate = 0.0
        self.cost = 0.0
        self.n_decisions = 0
        self.stats = StatsCollector(scenario, record_calls=record_calls)
        self._answered = self.stats.answered
        self._skill = [[(self._ppf[k][g], self.fcr[k][g]) for g in range(G)] for k in range(K)]

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

        The hot loop of the whole library, so handlers for the frequent events are inlined and
        only the part of the state an event touched is checked for a new decision epoch.
        """
        if self._finished:
            return False
        dispatch = self._dispatch
        if self._held:
            self._held = False
            full_check = True  # the declined epoch may still be open after the next event
        elif self.decision_possible():
            if dispatch is None:
                self.n_decisions += 1
                return True
            full_check = dispatch()
        else:
            full_check = False
        heap = self._heap
        qlen, idle_n = self.queue_len, self.idle_count
        groups_of_type, types_of_group = self.groups_of_type, self.types_of_group
        heappop = heapq.heappop
        queue_time = self.queue_time
        unarmed = self._unarmed
        while True:
            if unarmed:
                for call in unarmed:
                    if call.state == WAITING:
                        self._seq += 1
                        heapq.heappush(
                            heap, (call.arrival + call.patience, self._seq, _ABANDON, call)
                        )
                unarmed.clear()
            t_heap = heap[0][0] if heap else INF
            t_arr = self._next_arrival
            t_bnd = self._next_boundary
            # --- advance the clock and integrate the time-weighted statistics
            if t_bnd <= t_heap and t_bnd <= t_arr:
                t = t_bnd
            else:
                t = t_heap if t_heap <= t_arr else t_arr
            if t == INF:
                self._finish()
                return False
            dt = t - self.now
            if dt > 0.0:
                self.now = t
                if self._wait_cost_rate:
                    self.cost += self._wait_cost_rate * dt
                if not self._draining:
                    self.busy_area += self.busy_count * dt
                    self.present_area += self.present_count * dt
                    q = self.queue_total
                    if q:
                        self.queue_area += q * dt
                    queue_time[q] += dt
            # --- process the event; then look for a decision epoch where it could have opened
            if t == t_bnd:
                self._boundary()
                full_check = True
            elif t == t_heap:
                _, _, kind, obj = heappop(heap)
                if kind == _SERVICE_END:
                    g = self._service_end(obj)
                    if g >= 0 and not full_check:
                        for k in types_of_group[g]:
                            if qlen[k]:
                                if dispatch is None:
                                    self.n_decisions += 1
                                    return True
                                full_check = dispatch()
                                break
                        continue
                elif kind == _ABANDON:
                    self._abandon(obj)
                    if not full_check:
                        continue
                else:
                    self._offer(obj, float(self.streams.repeat[obj.type].random()))
                    full_check = True
            else:
                k = self._arrival()
                if k >= 0 and not full_check:
                    for g in groups_of_type[k]:
                        if idle_n[g]:
                            if dispatch is None:
                                self.n_decisions += 1
                                return True
                            full_check = dispatch()
                            break
                    continue
            if full_check:
                if self.decision_possible():
                    if dispatch is None:
                        self.n_decisions += 1
                        return True
                    full_check = dispatch()
                else:
                    full_check = False

    def run(self, router: Router, *, validate: bool = False) -> KPIReport:
        """Simulate the whole horizon with ``router`` making every decision.

        The router is called from inside the event loop (no return to the caller at each
        epoch); the decisions are exactly those of ``while advance(): step(router.act(sim))``,
        which ``validate=True`` runs instead (slower, checks every action).
        """
        router.reset(self)
        act, step, advance = router.act, self.step, self.advance
        if validate:
            while advance():
                step(act(self))
            return self.report()
        hold, pairs, assign = self.HOLD, self.pairs, self._assign

        def dispatch() -> bool:
            # Atomic decisions at one instant until the router holds or nothing is assignable;
            # returns True if the router held while an assignment was possible.
            while True:
                a = act(self)
                if a == hold:
                    return self.decision_possible()
                self.n_decisions += 1
                k, g = pairs[a]
                assign(k, g, None)
                if not self.decision_possible():
                    return False

        self._dispatch = dispatch
        try:
            advance()
        finally:
            self._dispatch = None
        return self.report()

    def report(self) -> KPIReport:
        """KPIs of the run so far (call after the run for final numbers)."""
        return self.stats.report(self)

    def call_log(self) -> Any:
        """The per-call record log as a pandas DataFrame (needs ``record_calls=True``)."""
        return self.stats.call_log(self)

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
            busy = sorted((a for a in on_duty if a.call is not None), key=lambda a: a.id)
            for a in busy[:remove]:
                a.leaving = True

    def _draw_arrivals(self, i: int, start: float, length: float) -> None:
        """Draw the arrivals of every type in [start, start + length) of interval i, with each
        call's own random numbers, from the type's own streams (common random numbers)."""
        s = self.streams
        batches = []
        for k in range(self.n_types):
            mean = self._rates[k][i] * self._day_mult[k] * length
            n = int(s.arrival[k].poisson(mean)) if mean > 0 else 0
            if n == 0:
                continue
            times = start + np.sort(s.arrival[k].random(n)) * length
            pat = self._patience[k]
            patience = np.full(n, INF) if pat is None else pat.sample(s.patience[k], n)
            service_u = s.service[k].random(n)
            resolve_u = s.resolution[k].random(n)
            balk_u = s.balk[k].random(n)
            rep = self._repeat[k]
            rep_u = s.repeat[k].random(n)
            rep_delay = np.zeros(n) if rep is None else rep.delay.sample(s.repeat[k], n)
            batches.append(
                (times, np.full(n, k), patience, service_u, resolve_u, balk_u, rep_u, rep_delay)
            )
        if not batches:
            self._arr, self._arr_pos, self._next_arrival = [], 0, INF
            return
        cols = [np.concatenate(parts) for parts in zip(*batches)]
        order = np.argsort(cols[0], kind="stable")
        self._arr = list(zip(*(c[order].tolist() for c in cols)))
        self._arr_pos = 0
        self._next_arrival = self._arr[0][0]

    def _arrival(self) -> int:
        """First-time arrival from the pre-drawn batch; returns its type, or -1 if it balked."""
        t, k, patience, service_u, resolve_u, balk_u, rep_u, rep_delay = self._arr[self._arr_pos]
        self._arr_pos += 1
        self._next_arrival = self._arr[self._arr_pos][0] if self._arr_pos < len(self._arr) else INF
        cid = self._next_call_id
        self._next_call_id += 1
        call = Call(
            cid, k, t, self._interval, patience, service_u, resolve_u, rep_u, rep_delay, cid, False
        )
        return k if self._offer(call, balk_u) else -1

    def _offer(self, call: Call, balk_u: float) -> bool:
        """A call arrives: it balks (False) or joins its queue (True)."""
        k = call.type
        self.stats.offered(call)
        if self._can_balk[k] and self._balks(k, balk_u):
            call.state = ABANDONED
            self.cost += self.cost_abandon[k]
            self.stats.balked(call, self.now)
            return False
        self.queues[k].append(call)
        self.queue_len[k] += 1
        self.queue_total += 1
        self._wait_cost_rate += self.cost_wait[k]
        if call.patience < INF:
            # The abandonment timer is armed only if the call is still waiting when the clock
            # moves on (see advance): most calls are answered at once, and a timer pushed for
            # them would only be popped and discarded later.
            self._unarmed.append(call)
        return True

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
        q = self.queues[k]
        call = q.popleft()
        while call.state != WAITING:
            call = q.popleft()
        idle = self.idle[g]
        if agent is None:
            agent = idle.popleft()
        else:
            if agent.group != g or agent.call is not None or not agent.present:
                raise ValueError(f"agent {agent.id} is not an idle agent of group {g}")
            idle.remove(agent)
        now = self.now
        self.queue_len[k] -= 1
        self.queue_total -= 1
        self.idle_count[g] -= 1
        self._wait_cost_rate -= self.cost_wait[k]
        call.state = SERVED
        wait = now - call.arrival
        ppf, fcr = self._skill[k][g]
        handle = ppf(call.service_u)
        resolved = call.resolve_u < fcr
        if wait > self.target[k]:
            self.cost += self.cost_sl_miss[k]
        if not resolved:
            self.cost += self.cost_unresolved[k]
        agent.call = call
        agent.busy_time += handle
        agent.n_served += 1
        self.busy_count += 1
        self._answered(call, agent, now, wait, handle, resolved)
        self._seq += 1
        heapq.heappush(self._heap, (now + handle, self._seq, _SERVICE_END, agent))
        if not resolved:
            rep = self._repeat[k]
            if rep is not None and call.rep_u < rep.probability:
                t_back = now + handle + call.rep_delay
                if t_back < self.horizon:
                    self._schedule_repeat(call, t_back)

    def _schedule_repeat(self, call: Call, t_back: float) -> None:
        k = call.type
        rs = self.streams.repeat[k]
        pat = self._patience[k]
        rep = self._repeat[k]
        assert rep is not None
        cid = self._next_call_id
        self._next_call_id += 1
        again = Call(
            cid,
            k,
            t_back,
            min(int(t_back // self.interval_s), self.n_intervals - 1),
            INF if pat is None else float(pat.sample(rs, 1)[0]),
            float(rs.random()),
            float(rs.random()),
            float(rs.random()),
            float(rep.delay.sample(rs, 1)[0]),
            call.customer,
            True,
        )
        self._seq += 1
        heapq.heappush(self._heap, (t_back, self._seq, _REPEAT, again))

    def _service_end(self, agent: Agent) -> int:
        """The agent finishes a call: returns its group if it is now idle, -1 if it left."""
        agent.call = None
        self.busy_count -= 1
        if agent.leaving:
            agent.leaving = False
            agent.present = False
            self.present_count -= 1
            return -1
        g = agent.group
        agent.idle_since = self.now
        self.idle[g].append(agent)
        self.idle_count[g] += 1
        return g

    def _finish(self) -> None:
        if 0 <= self._interval < self.n_intervals and not self._draining:
            self.stats.close_interval(self._interval, self)
        self._finished = True
        self.stats.finish(self)


__all__ = ["ABANDONED", "SERVED", "WAITING", "Agent", "Call", "Simulator"]
