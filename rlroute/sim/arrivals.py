"""Arrivals and their random numbers: where every caller is born, and the common-random-numbers
(CRN) contract written down in one place.

Shared by both engines (the reference :class:`~rlroute.sim.engine.Simulator` and the compiled
:mod:`rlroute.sim.fast`), so that one seed gives the same callers in both. The streams
themselves (one ``numpy.random.Generator`` per source and call type, spawned from one
``SeedSequence``) are derived in :mod:`rlroute.sim.streams`; this module says who draws what
from them, and in which order.

The CRN contract
----------------
Nothing a router does changes what a first-time caller brings, so two routers run on one seed
face the same callers and their KPI differences are differences of policy, not of luck.

1. **Day multiplier** (``streams.day``): at the start of each day (interval ``i`` with
   ``i % intervals_per_day == 0``, so at ``i = 0`` too), before anything else of that interval,
   one ``gamma(shape, 1 / shape)`` per call type that has a ``day_multiplier_shape``, in type
   order (:func:`draw_day_multipliers`); a type without one keeps multiplier 1 and draws
   nothing.
2. **Blocks**: an interval's arrivals are drawn in ``n`` equal blocks, ``n = max(1,
   ceil(expected / BLOCK_CALLS))`` with ``expected`` the interval's expected arrivals of all
   types (after the day multiplier), so memory stays flat however long the interval
   (:func:`blocks_in_interval`, :func:`block_span`). Changing ``BLOCK_CALLS`` changes the
   numbers.
3. **Per block**, for each call type ``k`` (:func:`draw_arrival_block`), with
   ``mean = rate * day multiplier * block length``, each stream below drawing in the order
   given (the streams are independent, so only the order of the draws on one stream
   matters):

   - ``arrival[k]``: ``poisson(mean)`` gives the count ``n`` (no draw when ``mean == 0``);
     nothing else is drawn for ``k`` when ``n == 0``; then ``random(n)``, sorted, places the
     calls uniformly in the block;
   - ``patience[k]``: ``patience.sample(rng, n)`` (no draw for a type that never hangs up);
   - ``service[k]``: ``random(n)``, the handle-time quantile (``ppf(u)`` of whichever skill
     serves the call, times the type's ``handle_time_profile`` at the arrival interval);
   - ``resolution[k]``: ``random(n)``, resolved iff ``u < fcr`` of the serving skill;
   - ``balk[k]``: ``random(n)``, balks iff ``u < balk_probability`` when no agent is free;
   - ``repeat[k]``: ``random(n)`` (repeats iff unresolved and ``u < repeat.probability``),
     then ``repeat.delay.sample(rng, n)`` for a type with ``repeat``;
   - ``wrap_up[k]``: ``random(n)``, the wrap-up quantile, only when some skill of the scenario
     has a wrap-up and type ``k`` is served by one (a scenario without wrap-up never touches
     this stream, which was added later: it stays bit-identical to before).

   Every stream is drawn whatever the scenario uses, so the numbers do not depend on which of
   them a call ends up needing. The calls of all types are then merged by arrival time
   (stable sort) into one sorted batch (:func:`arrival_rows`).
4. **Repeat calls**: whether and when a caller calls back depends on routing (it must be
   unresolved, and the delay counts from the end of its service), so repeat calls cannot be
   fixed per caller. The n-th repeat call of type ``k`` scheduled in a run takes row n of the
   type's :class:`~rlroute.sim.streams.RepeatCallTable` (stream ``repeat_call[k]``, blocks
   of ``REPEAT_BLOCK`` rows: patience, service_u, resolve_u, balk_u, rep_u, rep_delay,
   wrap_u), so no run-time draw shifts a first-time caller's numbers (:func:`repeat_call`).
   A repeat call comes back only before the horizon.
5. **Not-ready requests** (``availability[g]``, one stream per agent group; only for groups
   with :class:`~rlroute.scenario.NotReady`, in group order; a scenario without it never
   touches these streams): at the start of each interval ``i`` (after the day multipliers
   and after every group's staffing change of that boundary, before the interval's first
   arrival block), for each group ``g`` with ``not_ready`` (:func:`draw_not_ready_requests`):
   ``mean = head_count[g][i] * rate_per_hour[g][i] / 3600 * interval_s``;
   ``poisson(mean)`` gives the count ``n`` (no draw when ``mean == 0``; nothing more when
   ``n == 0``); then ``random(n)``, sorted, times ``interval_s`` plus the interval's start:
   the request times; then ``random(n)``: the pick uniforms ``u``; then ``random(n)``: the
   length quantiles ``q``. The requests become heap events (kind ``NR_REQUEST``) pushed in
   time order right after the draw, so their sequence numbers come after every event pushed
   before this boundary and before any pushed later. At a request's time the agent is the
   ``floor(u * m)``-th (0-based) of the group's ``m`` agents on shift (present and not due
   to leave), in ascending agent id (no agent: the request is void). An episode that starts
   at ``t`` lasts ``-mean_length_s[g][j] * log1p(-q)`` with ``j = min(floor(t /
   interval_s), n_intervals - 1)``, the interval it starts in (the request's ``q``, also
   when it starts later because the agent was busy).
6. **Not-ready day factors** (``availability_day``, one stream; only for groups whose
   ``not_ready`` has a ``day_shape``): at the start of each day, with the day multipliers and
   day staffing (before the day's first step-5 draw), one ``gamma(shape, 1 / shape)`` per
   group with a ``day_shape``, in group order (:func:`draw_not_ready_day_factors`); step 5
   then draws that day's requests with ``rate_per_hour[g][i] * factor[g]``. A group without
   one keeps factor 1 and draws nothing; a scenario without any never touches the stream.

Nothing else in the simulator draws a random number: staffing, routing, abandonment and
service ends are deterministic given these draws. The compiled engine draws the same blocks
through the same functions (its own copies of steps 1 and 2 in
:class:`~rlroute.sim.fast.FastSimulator`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from rlroute.sim.entities import Call
from rlroute.sim.streams import RandomStreams, RepeatCallTable

INF = math.inf
BLOCK_CALLS = 2048  # expected arrivals drawn per block (part of the stream layout)

#: One type's batch: (times, type, patience, service_u, resolve_u, balk_u, rep_u, rep_delay, n).
Batch = tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any, int]
#: One first-time caller, as the event loop reads it:
#: (time, type, patience, service_u, resolve_u, balk_u, rep_u, rep_delay).
ArrivalRow = tuple[float, int, float, float, float, float, float, float]


def draw_day_multipliers(day: np.random.Generator, shapes: Sequence[float | None]) -> list[float]:
    """Step 1: one Gamma(shape, 1/shape) multiplier (mean 1) per type with a shape, in order."""
    return [1.0 if shape is None else float(day.gamma(shape, 1.0 / shape)) for shape in shapes]


def blocks_in_interval(
    rates: Sequence[Sequence[float]], day_mult: Sequence[float], i: int, interval_s: float
) -> int:
    """Step 2: how many blocks interval i is drawn in (``rates`` in calls per second)."""
    expected = sum(r[i] * m for r, m in zip(rates, day_mult)) * interval_s
    return max(1, math.ceil(expected / BLOCK_CALLS))


def block_span(i: int, j: int, n_blocks: int, interval_s: float) -> tuple[float, float]:
    """``(start, length)`` of block j of interval i, in seconds."""
    length = interval_s / n_blocks
    return i * interval_s + j * length, length


def draw_arrival_block(
    streams: RandomStreams,
    i: int,
    start: float,
    length: float,
    rates: Sequence[Sequence[float]],
    day_mult: Sequence[float],
    patience: Sequence[Any],
    repeat: Sequence[Any],
    wrap_types: Sequence[bool],
    has_wrap_up: bool,
) -> tuple[list[Batch], list[np.ndarray]]:
    """Step 3: draw the arrivals of every type in [start, start + length) of interval i.

    ``rates[k][i]`` is in calls per second; ``patience[k]`` and ``repeat[k]`` are the type's
    patience distribution and ``RepeatCalls`` (or None). Returns the batches of the types with
    at least one arrival (times sorted) and, when ``has_wrap_up``, their wrap-up quantiles
    (zeros for a type that never wraps up).
    """
    s = streams
    batches: list[Batch] = []
    wraps: list[np.ndarray] = []
    for k in range(len(rates)):
        mean = rates[k][i] * day_mult[k] * length
        n = int(s.arrival[k].poisson(mean)) if mean > 0 else 0
        if n == 0:
            continue
        times = start + np.sort(s.arrival[k].random(n)) * length
        _caller_columns(s, k, times, patience, repeat, wrap_types, has_wrap_up, batches, wraps)
    return batches, wraps


def arrival_rows(
    batches: list[Batch], wraps: list[np.ndarray], can_balk: Sequence[bool]
) -> tuple[list[ArrivalRow], list[float] | None]:
    """The block's callers as Python tuples sorted by arrival time, and their wrap-up
    quantiles (None without wrap-up), for the reference engine's loop.

    A column nobody reads (balk uniforms of a type that cannot balk, delays of a type that
    never repeats) is not converted to Python floats, which is most of the cost of a block.
    The wrap-up column lives beside the tuples so their layout stays the same with or without
    wrap-up.
    """
    if not batches:
        return [], None
    if len(batches) == 1:
        # One type: its times are sorted already, the columns can go straight to lists.
        times, k, patience, service_u, resolve_u, balk_u, rep_u, rep_delay, n = batches[0]
        rows = list(
            zip(
                times.tolist(),
                [k] * n,
                patience.tolist(),
                service_u.tolist(),
                resolve_u.tolist(),
                balk_u.tolist() if can_balk[k] else [0.0] * n,
                rep_u.tolist(),
                [0.0] * n if rep_delay is None else rep_delay.tolist(),
            )
        )
        return rows, (wraps[0].tolist() if wraps else None)
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
    rows = list(zip(*(c[order].tolist() for c in cols)))
    return rows, (np.concatenate(wraps)[order].tolist() if wraps else None)


def draw_not_ready_day_factors(
    rng: np.random.Generator, shapes: Sequence[float | None]
) -> list[float]:
    """Step 6: one Gamma(shape, 1/shape) factor (mean 1) of the not-ready request rate per
    group with a ``day_shape``, in group order (1 for the others, which draw nothing)."""
    return [1.0 if shape is None else float(rng.gamma(shape, 1.0 / shape)) for shape in shapes]


def draw_not_ready_requests(
    rng: np.random.Generator,
    head_count: int,
    rate_per_hour: float,
    start: float,
    length: float,
    day_factor: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 5: one group's not-ready requests in [start, start + length): their sorted times,
    pick uniforms and length quantiles (each of size n, n = 0 when none). ``day_factor``: the
    day's factor of the rate (step 6; 1, an exact no-op, without ``day_shape``)."""
    mean = head_count * (rate_per_hour * day_factor) / 3600.0 * length
    n = int(rng.poisson(mean)) if mean > 0 else 0
    if n == 0:
        empty = np.zeros(0)
        return empty, empty, empty
    times = start + np.sort(rng.random(n)) * length
    pick_u = rng.random(n)
    length_q = rng.random(n)
    return times, pick_u, length_q


def repeat_call(
    table: RepeatCallTable, first: Call, call_id: int, t_back: float, interval: int
) -> Call:
    """Step 4: the caller of ``first`` calls again at ``t_back`` (in ``interval``), with the
    next row of its type's repeat-call table."""
    patience, service_u, resolve_u, balk_u, rep_u, rep_delay, wrap_u = table.next_row()
    again = Call(
        call_id,
        first.type,
        t_back,
        interval,
        patience,
        service_u,
        resolve_u,
        rep_u,
        rep_delay,
        first.customer,
        True,
    )
    again.balk_u = balk_u
    again.wrap_u = wrap_u
    return again


def _caller_columns(
    s: RandomStreams,
    k: int,
    times: np.ndarray,
    patience: Sequence[Any],
    repeat: Sequence[Any],
    wrap_types: Sequence[bool],
    has_wrap_up: bool,
    batches: list[Batch],
    wraps: list[np.ndarray],
) -> None:
    """Draw every per-call number of type k's callers at ``times`` (the order of the draws
    is the contract) and append their batch (and wrap-up quantiles) in place."""
    n = times.size
    pat = patience[k]
    pat_draws = np.full(n, INF) if pat is None else pat.sample(s.patience[k], n)
    service_u = s.service[k].random(n)
    resolve_u = s.resolution[k].random(n)
    balk_u = s.balk[k].random(n)
    rep = repeat[k]
    rep_u = s.repeat[k].random(n)
    rep_delay = None if rep is None else rep.delay.sample(s.repeat[k], n)
    batches.append((times, k, pat_draws, service_u, resolve_u, balk_u, rep_u, rep_delay, n))
    if has_wrap_up:
        wraps.append(s.wrap_up[k].random(n) if wrap_types[k] else np.zeros(n))


def replay_arrival_block(
    streams: RandomStreams,
    start: float,
    length: float,
    times_by_type: Sequence[np.ndarray],
    patience: Sequence[Any],
    repeat: Sequence[Any],
    wrap_types: Sequence[bool],
    has_wrap_up: bool,
) -> tuple[list[Batch], list[np.ndarray]]:
    """:func:`draw_arrival_block` for given arrival times (a replay of a real day).

    ``times_by_type[k]`` holds type k's arrival times (seconds, sorted); those in
    ``[start, start + length)`` arrive, with every other per-call column drawn from the same
    streams, in the same order, as :func:`draw_arrival_block` draws them (the arrival stream
    itself is not used).
    """
    s = streams
    batches: list[Batch] = []
    wraps: list[np.ndarray] = []
    for k, all_times in enumerate(times_by_type):
        lo, hi = np.searchsorted(all_times, [start, start + length], side="left")
        n = int(hi - lo)
        if n == 0:
            continue
        times = np.asarray(all_times[lo:hi], dtype=float)
        _caller_columns(s, k, times, patience, repeat, wrap_types, has_wrap_up, batches, wraps)
    return batches, wraps


__all__ = [
    "BLOCK_CALLS",
    "ArrivalRow",
    "Batch",
    "arrival_rows",
    "block_span",
    "blocks_in_interval",
    "draw_arrival_block",
    "draw_day_multipliers",
    "draw_not_ready_day_factors",
    "draw_not_ready_requests",
    "repeat_call",
    "replay_arrival_block",
]
