"""Named random streams for common random numbers.

One ``numpy.random.Generator`` per source of randomness and call type, all spawned from one
``SeedSequence(seed)``. Two routers run with the same seed therefore face exactly the same
arrivals, patience, handle-time quantiles and resolution draws, whatever they decide: their
KPI differences are differences of policy, not of luck (common random numbers).

The layout only ever grows at the end: a source added later (``wrap_up``) is spawned after all
the others, so the streams that existed before it draw exactly the same numbers as before, and
a scenario that does not use the new source gives bit-identical results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SOURCES = ("arrival", "patience", "service", "resolution", "balk", "repeat")


@dataclass(frozen=True)
class RandomStreams:
    """Independent generators: ``streams.arrival[k]`` is the arrival stream of call type k."""

    arrival: tuple[np.random.Generator, ...]
    patience: tuple[np.random.Generator, ...]
    service: tuple[np.random.Generator, ...]
    resolution: tuple[np.random.Generator, ...]
    balk: tuple[np.random.Generator, ...]
    repeat: tuple[np.random.Generator, ...]
    day: np.random.Generator
    # After-call work: one uniform per call of type k, drawn with its arrival (its wrap-up
    # quantile under whichever skill serves it), like the handle-time quantile.
    wrap_up: tuple[np.random.Generator, ...] = ()

    @classmethod
    def from_seed(cls, seed: int | np.random.SeedSequence, n_types: int) -> RandomStreams:
        """Spawn every stream from one seed; the layout is fixed so results are reproducible."""
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        per_source, day = root.spawn(len(SOURCES)), root.spawn(1)[0]
        wrap_up = root.spawn(1)[0]  # spawned last: the streams above are unchanged by it
        fields = {
            name: tuple(np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(n_types))
            for name, ss in zip((*SOURCES, "wrap_up"), (*per_source, wrap_up))
        }
        return cls(day=np.random.Generator(np.random.PCG64(day)), **fields)
