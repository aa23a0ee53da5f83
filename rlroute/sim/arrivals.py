"""The arrival block: each call's own random numbers, drawn in one vectorised batch per type.

Shared by both engines (the reference :class:`~rlroute.sim.engine.Simulator` and the compiled
:mod:`rlroute.sim.fast`), so that one seed gives the same callers in both: the order of the
draws below *is* the common-random-numbers contract for first-time callers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from rlroute.sim.streams import RandomStreams

INF = math.inf

#: One type's batch: (times, type, patience, service_u, resolve_u, balk_u, rep_u, rep_delay, n).
Batch = tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any, int]


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
    """Draw the arrivals of every type in [start, start + length) of interval i.

    ``rates[k][i]`` is in calls per second; ``patience[k]`` and ``repeat[k]`` are the type's
    patience distribution and ``RepeatCalls`` (or None). Returns the batches of the types with
    at least one arrival (times sorted) and, when ``has_wrap_up``, their wrap-up quantiles
    (zeros for a type that never wraps up). Every stream is drawn whatever the scenario, so
    the numbers do not depend on which of them a call ends up using; the one exception is the
    wrap-up stream, drawn only for types some skill wraps up (it was added later, and leaving
    it untouched keeps scenarios without wrap-up bit-identical to before).
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


__all__ = ["Batch", "draw_arrival_block", "replay_arrival_block"]
