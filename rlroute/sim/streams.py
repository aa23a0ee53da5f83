"""Named random streams for common random numbers.

One ``numpy.random.Generator`` per source of randomness and call type, all spawned from one
``SeedSequence(seed)``. Two routers run with the same seed therefore face exactly the same
first-time callers, whatever they decide: the same arrivals, and for each caller the same
patience, handle-time quantile, resolution draw, balk draw, repeat decision, repeat delay and
wrap-up quantile. Their KPI differences are differences of policy, not of luck (common random
numbers).

What routing does change is which callers come back (an unresolved call repeats) and when
(the delay counts from the end of its service). Every draw made for a repeat call comes from
its own family, ``repeat_call``, through a :class:`RepeatCallTable`: the n-th repeat call of a
type takes row n of that type's table, so no run-time draw ever shifts the numbers of a
first-time caller.

The layout only ever grows at the end: a source added later (``wrap_up``, then
``repeat_call``, ``availability``, ``staffing``, then ``availability_day``) is spawned after all the others, so
the streams that existed before it draw exactly the same numbers as before, and a scenario
that does not use the new source gives bit-identical results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from rlroute.distributions import Distribution

SOURCES = ("arrival", "patience", "service", "resolution", "balk", "repeat")
#: Rows drawn at once by a :class:`RepeatCallTable` (part of the stream layout: changing it
#: changes the numbers of every repeat call).
REPEAT_BLOCK = 64

#: One repeat call's own numbers: patience (s), service_u, resolve_u, balk_u, rep_u,
#: rep_delay (s), wrap_u.
RepeatRow = tuple[float, float, float, float, float, float, float]


class RepeatCallTable:
    """The random numbers of one call type's repeat calls, row by row.

    The CRN contract: a first-time caller's numbers (drawn with its arrival, from the other
    streams) are fixed by the seed whatever the routing. Whether and when a caller calls back
    depends on routing (who served it, whether it was resolved, when its service ended), so the
    repeat calls themselves cannot be fixed per caller; instead the n-th repeat call of the
    type scheduled in the run takes row n of this table, whoever it is. Rows are drawn from the
    type's own ``repeat_call`` stream in blocks of :data:`REPEAT_BLOCK`, column by column:
    patience (``patience.sample(rs, 64)``; an infinite column and no draw for a type without
    patience), service_u, resolve_u, balk_u, rep_u (``rs.random(64)`` each), rep_delay
    (``delay.sample(rs, 64)``), wrap_u (``rs.random(64)``, drawn even where nothing wraps up).
    A compiled engine reproduces the same numbers by drawing the same blocks in the same order.
    """

    __slots__ = ("_delay", "_patience", "_pos", "_rng", "_rows")

    def __init__(
        self, rng: np.random.Generator, patience: Distribution | None, delay: Distribution
    ) -> None:
        self._rng = rng
        self._patience = patience
        self._delay = delay
        self._rows: list[Any] = []
        self._pos = 0

    def next_row(self) -> RepeatRow:
        """The numbers of the next repeat call (drawing a new block when one is used up)."""
        if self._pos == len(self._rows):
            self._draw_block()
        row = self._rows[self._pos]
        self._pos += 1
        return row

    def _draw_block(self) -> None:
        rs, n = self._rng, REPEAT_BLOCK
        pat = self._patience
        cols = (
            np.full(n, math.inf) if pat is None else pat.sample(rs, n),
            rs.random(n),  # service_u
            rs.random(n),  # resolve_u
            rs.random(n),  # balk_u
            rs.random(n),  # rep_u
            self._delay.sample(rs, n),  # rep_delay
            rs.random(n),  # wrap_u
        )
        self._rows = list(zip(*(np.asarray(c, dtype=float).tolist() for c in cols)))
        self._pos = 0


@dataclass(frozen=True)
class RandomStreams:
    """Independent generators: ``streams.arrival[k]`` is the arrival stream of call type k."""

    arrival: tuple[np.random.Generator, ...]
    patience: tuple[np.random.Generator, ...]
    service: tuple[np.random.Generator, ...]
    resolution: tuple[np.random.Generator, ...]
    balk: tuple[np.random.Generator, ...]
    # Repeat decision and delay of first-time callers, drawn with their arrivals.
    repeat: tuple[np.random.Generator, ...]
    day: np.random.Generator
    # After-call work: one uniform per first-time call of type k, drawn with its arrival (its
    # wrap-up quantile under whichever skill serves it), like the handle-time quantile.
    wrap_up: tuple[np.random.Generator, ...] = ()
    # Everything about repeat calls, through a RepeatCallTable per type (see the module doc).
    repeat_call: tuple[np.random.Generator, ...] = ()
    # Agents' not-ready episodes: one stream per AGENT GROUP (not per type), drawn at each
    # interval's start for the groups with ``not_ready`` (see rlroute.sim.arrivals, step 5).
    availability: tuple[np.random.Generator, ...] = ()
    # Day-to-day staffing (AgentGroup.staffing_day_factor): per day, per group with a factor,
    # a Gamma draw and a rounding uniform (rlroute.sim.staffing.draw_day_staffing).
    staffing: np.random.Generator | None = None
    # Day-to-day availability (NotReady.day_shape): per day, one Gamma draw per group with a
    # day_shape, in group order (rlroute.sim.arrivals.draw_not_ready_day_factors).
    availability_day: np.random.Generator | None = None

    @classmethod
    def from_seed(
        cls, seed: int | np.random.SeedSequence, n_types: int, n_groups: int = 0
    ) -> RandomStreams:
        """Spawn every stream from one seed; the layout is fixed so results are reproducible.

        The root ``SeedSequence``'s children, in spawn order: one per source of
        :data:`SOURCES` (0-5, each spawning ``n_types`` streams), ``day`` (6), ``wrap_up`` (7,
        ``n_types``), ``repeat_call`` (8, ``n_types``), ``availability`` (9, ``n_groups``
        streams; always spawned, so the children after it keep their index whatever
        ``n_groups`` is), ``staffing`` (10, one stream), ``availability_day`` (11, one stream).
        """
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        per_source, day = root.spawn(len(SOURCES)), root.spawn(1)[0]
        # Spawned last, in this order: the streams above are unchanged by them.
        wrap_up = root.spawn(1)[0]
        repeat_call = root.spawn(1)[0]
        # Keep this spawn right after repeat_call: sources added later (e.g. a day-variation
        # ``staffing`` stream) spawn after it, so the availability streams keep their numbers.
        availability = root.spawn(1)[0]
        # Day-to-day staffing: spawned after availability (the order of the merge).
        staffing = root.spawn(1)[0]
        # Day-to-day availability (NotReady.day_shape): spawned LAST, after staffing, so every
        # stream above keeps its numbers; keep new sources after this one.
        availability_day = root.spawn(1)[0]
        fields = {
            name: tuple(np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(n_types))
            for name, ss in zip(
                (*SOURCES, "wrap_up", "repeat_call"), (*per_source, wrap_up, repeat_call)
            )
        }
        fields["availability"] = tuple(
            np.random.Generator(np.random.PCG64(s)) for s in availability.spawn(n_groups)
        )
        return cls(
            day=np.random.Generator(np.random.PCG64(day)),
            staffing=np.random.Generator(np.random.PCG64(staffing)),
            availability_day=np.random.Generator(np.random.PCG64(availability_day)),
            **fields,
        )
