"""The random router: uniform over the assignable pairs, the floor every rule must beat."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator

# Spawn-key tag of the router's stream: keeps it apart from every simulator stream.
_STREAM_TAG = 0x52414E44  # "RAND"


class RandomRouter:
    """Assign a uniformly random assignable (type, group) pair; hold only when none is.

    Work-conserving, blind to costs, waits and skills: the floor of the benchmark. Randomness
    never comes from a global RNG:

    * ``rng`` (a ``numpy.random.Generator``): used as given, never re-seeded;
    * otherwise, at each ``reset(sim)`` a fresh Generator is derived from the simulator's own
      seed and ``seed``, with a spawn key no simulator stream uses. The same simulator seed and
      ``seed`` give the same decisions; the simulator's streams are untouched, so the callers
      are those every other router sees on that seed (common random numbers).

    Source: the uniform random policy, the customary lower baseline of RL benchmarks
    (e.g. QGym, Chen et al. 2024).
    """

    name = "random"

    def __init__(self, seed: int = 0, rng: np.random.Generator | None = None) -> None:
        self.seed = int(seed)
        self._given = rng
        self._rng = rng
        self._pairs: list[tuple[int, int, int]] = []
        self._hold = 0

    def reset(self, sim: Simulator) -> None:
        self._pairs = [(a, k, g) for a, (k, g) in enumerate(sim.pairs)]
        self._hold = sim.HOLD
        if self._given is None:
            root = sim.streams.day.bit_generator.seed_seq
            if isinstance(root, np.random.SeedSequence):
                ss = np.random.SeedSequence(
                    root.entropy, spawn_key=(*root.spawn_key, _STREAM_TAG, self.seed)
                )
            else:  # pragma: no cover - simulators always seed through a SeedSequence
                ss = np.random.SeedSequence([_STREAM_TAG, self.seed])
            self._rng = np.random.Generator(np.random.PCG64(ss))

    def act(self, sim: Simulator) -> int:
        qlen, idle = sim.queue_len, sim.idle_count
        valid = [a for a, k, g in self._pairs if qlen[k] and idle[g]]
        n = len(valid)
        if n == 0:
            return self._hold
        if n == 1:
            return valid[0]
        assert self._rng is not None, "reset(sim) first"
        return valid[min(int(self._rng.random() * n), n - 1)]


__all__ = ["RandomRouter"]
