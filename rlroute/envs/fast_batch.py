"""N independent replications behind one batched interface: observations ``[N, obs]``,
masks ``[N, A]``, actions ``[N]``, rewards and done flags ``[N]``.

This is the readable implementation of the *batch API* that the vector environment
(:mod:`rlroute.envs.vector`) and the SB3 adapter (:mod:`rlroute.rl.vec_env`) drive: a Python
loop over one compiled :class:`~rlroute.sim.fast.simulator.FastSimulator` per row (the policy
runs once per batch step). A compiled class with the same members (one call advancing all
rows) can replace it: the vector env takes the class as a parameter (``batch_cls``) and uses
only the members documented on :class:`FastBatch`.

Each row is exactly ``CallCenterEnv(scenario, same options)`` reset with the row's seed and
stepped with the same actions: the same observation bits (the env's own
:class:`~rlroute.envs.observation.Observer`), the same mask, the same reward (the cost
increase, times ``reward_scale``), the same termination, the same fallback for a masked
action.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from rlroute.envs.layout import fallback_action
from rlroute.envs.observation import Observer
from rlroute.scenario import Scenario
from rlroute.sim.engine import WAITING
from rlroute.sim.fast import layout as L
from rlroute.sim.fast.simulator import FastSimulator, SimulatorView
from rlroute.sim.kpis import KPIReport

_INVALID_MODES = ("fallback", "raise")


class _HeadsOnDemand:
    """``queues`` of a :class:`_View`: ``queues[k][0]`` reads the head of queue ``k`` when
    asked (the observer asks only for non-empty queues), not all ``K`` heads at every step."""

    __slots__ = ("_view",)

    def __init__(self, view: SimulatorView) -> None:
        self._view = view

    def __getitem__(self, k: int) -> list[Any]:
        return [SimpleNamespace(arrival=self._view.head_arrival(k), state=WAITING)]


class _View(SimulatorView):
    """The observer's view of a FastSimulator, with queue heads read on demand."""

    @property
    def queues(self) -> Any:
        return _HeadsOnDemand(self)


class FastBatch:
    """``num_envs`` days of ``scenario`` advanced together (the batch API).

    ``reset_rows(rows, seeds)`` gives each listed row the day of ``Simulator(scenario, seed)``,
    taken to its first decision epoch; ``step(actions)`` applies one action per row and takes
    each live row to its next epoch. A finished row (``done``) ignores its action (reward 0)
    until it is reset. State arrays (``obs``, ``masks``, ``rewards``, ``done``, ``costs``,
    ``n_decisions``, ``n_invalid``, ``invalid``) belong to the batch: copy what you keep.

    With ``skip_forced=True`` a live row whose mask has a single valid action is stepped with
    it at once (after ``step`` and after ``reset_rows``), its reward added to the row's reward
    (as :class:`rlroute.rl.wrappers.SkipForcedDecisions` does): after ``reset_rows`` the row's
    ``rewards`` holds what the forced steps before the first real choice earned (the caller
    pays it out with the first step), and a day without a single real choice is left
    ``done`` with that day's return in ``rewards``.
    """

    def __init__(
        self,
        scenario: Scenario,
        num_envs: int,
        *,
        reward_scale: float = 1.0,
        work_conserving: bool = True,
        observe_wrap_up: bool = False,
        observation: str = "v1",
        invalid_action: str = "fallback",
        skip_forced: bool = False,
    ) -> None:
        if invalid_action not in _INVALID_MODES:
            raise ValueError(f"invalid_action={invalid_action!r}; use one of {_INVALID_MODES}")
        if int(num_envs) < 1:
            raise ValueError(f"num_envs={num_envs}: need at least one row")
        self.scenario = scenario
        self.num_envs = n = int(num_envs)
        self.reward_scale = float(reward_scale)
        self.work_conserving = bool(work_conserving)
        self.invalid_action = invalid_action
        self.skip_forced = bool(skip_forced)
        self.observer = Observer(scenario, observe_wrap_up, observation)
        self.pairs = scenario.eligible_pairs()
        self.n_actions = len(self.pairs) + 1
        self.obs_size = self.observer.size
        self._sims: list[FastSimulator | None] = [None] * n
        self._views: list[_View | None] = [None] * n
        self._alive = np.zeros(n, dtype=bool)  # the simulator has a decision epoch pending
        self._valid: list[list[bool]] = [[] for _ in range(n)]  # masks as lists (hot path)
        self.obs = np.zeros((n, self.obs_size), dtype=np.float32)
        self.masks = np.zeros((n, self.n_actions), dtype=bool)
        self.rewards = np.zeros(n)
        self.done = np.ones(n, dtype=bool)  # no day yet
        self.costs = np.zeros(n)
        self._paid = np.zeros(n)  # cost already paid out as reward (0 at reset, as the env)
        self.n_decisions = np.zeros(n, dtype=np.int64)
        self.n_invalid = np.zeros(n, dtype=np.int64)
        self.invalid = np.zeros(n, dtype=bool)

    # ------------------------------------------------------------------ the batch API
    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray) -> None:
        """A fresh day for each row of ``rows``: the day of ``Simulator(scenario, seed)``."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        seeds = np.asarray(seeds).reshape(-1)
        if rows.shape != seeds.shape:
            raise ValueError(f"reset_rows: {rows.size} rows but {seeds.size} seeds")
        for n, seed in zip(rows.tolist(), seeds.tolist(), strict=True):
            if not 0 <= n < self.num_envs:
                raise ValueError(f"reset_rows: row {n} outside 0..{self.num_envs - 1}")
            sim = self._sims[n] = FastSimulator(self.scenario, int(seed))
            self._views[n] = _View(sim)
            # a day without any decision epoch ends at its first step (hold, like the env)
            self._alive[n] = sim.advance()
            self.done[n] = False
            self.rewards[n] = 0.0
            self.costs[n] = sim.cost
            self._paid[n] = 0.0  # the cost before the first decision is in the first reward
            self.n_decisions[n] = 0
            self.n_invalid[n] = 0
            self.invalid[n] = False
            self._update_mask(n)
            if self.skip_forced:
                self._skip_forced(n)
            self._observe(n)

    def step(self, actions: np.ndarray) -> None:
        """One action per row; see the class docstring. Every live row's action is checked
        before any row moves, so an error leaves the batch unchanged."""
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,):
            raise ValueError(f"expected {self.num_envs} actions (shape [N]), got {actions.shape}")
        acts = actions.astype(np.int64).tolist()
        live = np.flatnonzero(~self.done).tolist()
        chosen: list[tuple[int, int, bool]] = []
        for n in live:
            a = acts[n]
            if not 0 <= a < self.n_actions:
                raise ValueError(
                    f"row {n}: action {a} is outside the action space 0..{self.n_actions - 1}"
                )
            replaced = not self._valid[n][a]
            if replaced:
                if self.invalid_action == "raise":
                    valid = np.flatnonzero(self.masks[n]).tolist()
                    raise ValueError(
                        f"row {n}: invalid action {a} (masked at this decision epoch); valid "
                        f"actions now: {valid} (invalid_action='fallback' replaces it instead)"
                    )
                a = fallback_action(self.pairs, self.masks[n], a)
            chosen.append((n, a, replaced))
        self.rewards[:] = 0.0
        self.invalid[:] = False
        for n, a, replaced in chosen:
            if replaced:
                self.invalid[n] = True
                self.n_invalid[n] += 1
            self.n_decisions[n] += 1
            self.rewards[n] = self._apply(n, a)
            if self.skip_forced:
                self._skip_forced(n)
            self._observe(n)  # once per row and step: forced steps only need the mask

    @property
    def clock(self) -> np.ndarray:
        """Each row's simulated time in seconds: the time of its current decision (0 before
        its first day)."""
        return np.array([0.0 if s is None else s.now for s in self._sims])

    def report(self, row: int) -> KPIReport:
        """The row's day KPIs (complete once the row is ``done``)."""
        sim = self._sims[row]
        if sim is None:
            raise RuntimeError(f"row {row} has no day yet: call reset_rows first")
        return sim.report()

    # ------------------------------------------------------------------ helpers
    def _apply(self, n: int, a: int) -> float:
        """Step row ``n`` with the valid action ``a``: its reward; updates state and done."""
        sim = self._sims[n]
        assert sim is not None
        if self._alive[n]:
            sim.step(a)  # a day that never had an epoch only takes the hold
            self._alive[n] = sim.advance()
        cost = sim.cost
        reward = (self._paid[n] - cost) * self.reward_scale
        self.costs[n] = self._paid[n] = cost
        self.done[n] = not self._alive[n]
        self._update_mask(n)
        return float(reward)

    def _skip_forced(self, n: int) -> None:
        # sum in SkipForcedDecisions' order: the agent's reward first, then each forced one
        total = float(self.rewards[n])
        while not self.done[n] and sum(self._valid[n]) == 1:
            total += self._apply(n, self._valid[n].index(True))
        self.rewards[n] = total

    def _observe(self, n: int) -> None:
        self.obs[n] = self.observer(self._views[n])  # type: ignore[arg-type]

    def _update_mask(self, n: int) -> None:
        sim = self._sims[n]
        assert sim is not None
        s = sim.state
        # plain lists: a handful of pairs costs less in Python than in NumPy's fancy indexing
        qlen = s.QC[:, L.QC_LEN].tolist()
        idle = s.GC[:, L.GC_SIZE].tolist()
        valid = [qlen[k] > 0 and idle[g] > 0 for k, g in self.pairs]
        valid.append(not self.work_conserving or not any(valid))
        self.masks[n] = valid
        self._valid[n] = valid


__all__ = ["FastBatch", "fallback_action"]
