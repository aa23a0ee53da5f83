"""N independent replications behind one batched interface: observations ``[N, obs]``,
masks ``[N, A]``, actions ``[N]``, rewards and done flags ``[N]``.

This first version advances the replications one after the other (each through the compiled
loop, the policy still runs once per batch step); the interface is the one a single compiled
call over ``[N, ...]`` state arrays, or a torch backend, will implement (see
``docs/fast_engine.md``). Each row is exactly the env ``rlroute/CallCenter-v0`` on its seed:
the same observation bits (the env's own :class:`~rlroute.envs.observation.Observer`), the
same mask, the same reward (the cost increase, times ``reward_scale``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rlroute.envs.observation import Observer
from rlroute.scenario import Scenario
from rlroute.sim.fast import layout as L
from rlroute.sim.fast.simulator import FastSimulator, SimulatorView


class FastBatch:
    """``N = len(seeds)`` days of ``scenario``, one per seed, advanced together.

    ``reset()`` takes every row to its first decision epoch; ``step(actions)`` applies one
    action per row and takes it to its next epoch. A finished row stays finished (its action
    is ignored, its reward 0) until the next ``reset``.
    """

    def __init__(
        self,
        scenario: Scenario,
        seeds: Sequence[int],
        *,
        reward_scale: float = 1.0,
        work_conserving: bool = True,
        observe_wrap_up: bool = False,
    ) -> None:
        self.scenario = scenario
        self.seeds = [int(s) for s in seeds]
        self.num_envs = len(self.seeds)
        self.reward_scale = float(reward_scale)
        self.work_conserving = bool(work_conserving)
        self.observer = Observer(scenario, observe_wrap_up)
        self.pairs = scenario.eligible_pairs()
        self.n_actions = len(self.pairs) + 1
        self._pk = np.array([k for k, _ in self.pairs], dtype=np.int64)
        self._pg = np.array([g for _, g in self.pairs], dtype=np.int64)
        self.sims: list[FastSimulator] = []
        self._views: list[SimulatorView] = []
        self.done = np.ones(self.num_envs, dtype=bool)
        self._cost = np.zeros(self.num_envs)
        self._obs = np.zeros((self.num_envs, self.observer.size), dtype=np.float32)
        self._masks = np.zeros((self.num_envs, self.n_actions), dtype=bool)

    def reset(self) -> tuple[np.ndarray, np.ndarray]:
        """Fresh days for every row: ``(observations [N, obs], masks [N, A])``."""
        self.sims = [FastSimulator(self.scenario, s) for s in self.seeds]
        self._views = [SimulatorView(sim) for sim in self.sims]
        self._cost[:] = 0.0
        for n, sim in enumerate(self.sims):
            sim.advance()  # a day without any decision ends at its first step (hold)
            self.done[n] = False
            self._observe(n)
        return self._obs.copy(), self._masks.copy()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Apply ``actions [N]``: ``(observations, rewards [N], dones [N], masks)``; an
        invalid action for a live row raises ``ValueError`` naming the row."""
        actions = np.asarray(actions).reshape(-1)
        if actions.shape[0] != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions, got {actions.shape[0]}")
        rewards = np.zeros(self.num_envs)
        for n, sim in enumerate(self.sims):
            if self.done[n]:
                continue
            a = int(actions[n])
            if not (0 <= a < self.n_actions and self._masks[n, a]):
                raise ValueError(f"row {n}: action {a} is masked at this epoch")
            sim.step(a)
            alive = sim.advance()
            cost = sim.cost
            rewards[n] = (self._cost[n] - cost) * self.reward_scale
            self._cost[n] = cost
            self.done[n] = not alive
            self._observe(n)
        return self._obs.copy(), rewards, self.done.copy(), self._masks.copy()

    def _observe(self, n: int) -> None:
        s = self.sims[n].state
        self._obs[n] = self.observer(self._views[n])  # type: ignore[arg-type]
        valid = (s.QC[self._pk, L.QC_LEN] > 0) & (s.GC[self._pg, L.GC_SIZE] > 0)
        self._masks[n, :-1] = valid
        self._masks[n, -1] = not self.work_conserving or not valid.any()


__all__ = ["FastBatch"]
