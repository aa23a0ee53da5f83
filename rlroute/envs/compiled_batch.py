"""CompiledBatch: the batch API (``docs/fast_engine.md``) on the compiled BatchSimulator.

N rows, each exactly ``CallCenterEnv(scenario, ...)`` reset with its seed and stepped with
its actions: the same observation bits, mask, reward and termination. One ``step`` is two
compiled calls over all rows (simulate to the next epochs, then observe), plus Python only
for what needs NumPy's generators (the next stretch of a row's arrivals) or bigger arrays.
"""

from __future__ import annotations

import numpy as np

from rlroute.envs.fast_observation import obs_tables, observe_rows, step_observe
from rlroute.envs.observation import Observer
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim.fast import layout as L
from rlroute.sim.fast.batch import PARKED, BatchSimulator
from rlroute.sim.fast.simulator import _Direct
from rlroute.sim.kpis import KPIReport

_MODES = ("fallback", "raise")


class CompiledBatch:
    """``num_envs`` independent days of ``scenario``; see the batch API."""

    def __init__(
        self,
        scenario: Scenario | str,
        num_envs: int,
        *,
        reward_scale: float = 1.0,
        work_conserving: bool = True,
        observe_wrap_up: bool = False,
        observation: str = "v1",
        invalid_action: str = "fallback",
        skip_forced: bool = False,
    ) -> None:
        if invalid_action not in _MODES:
            raise ValueError(f"invalid_action={invalid_action!r}; use one of {_MODES}")
        self.scenario = sc = load_scenario(scenario)
        self.sim = BatchSimulator(
            sc,
            num_envs,
            reward_scale=reward_scale,
            work_conserving=work_conserving,
            skip_forced=skip_forced,
        )
        self.num_envs = self.sim.num_envs
        self.n_actions = self.sim.n_actions
        self.invalid_action = invalid_action
        self.observer = Observer(sc, observe_wrap_up, observation)
        self.obs_size = self.observer.size
        self._tables = obs_tables(self.observer)
        self.obs = np.zeros((self.num_envs, self.obs_size), dtype=np.float32)
        # the compiled step through its entry point (no type resolution of the big tuples)
        self._step = _Direct(step_observe)

    # the batch's result arrays (owned by the simulator; callers copy what they keep)
    @property
    def masks(self) -> np.ndarray:
        return self.sim.masks

    @property
    def rewards(self) -> np.ndarray:
        return self.sim.rewards

    @property
    def done(self) -> np.ndarray:
        return self.sim.done

    @property
    def costs(self) -> np.ndarray:
        return self.sim.costs

    @property
    def n_decisions(self) -> np.ndarray:
        return self.sim.n_decisions

    @property
    def n_invalid(self) -> np.ndarray:
        return self.sim.n_invalid

    @property
    def clock(self) -> np.ndarray:
        """Each row's simulated time in seconds (a copy): the time of its current decision."""
        return self.sim.state.F[:, L.F_NOW].copy()

    @property
    def invalid(self) -> np.ndarray:
        return self.sim.invalid

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        self.sim.reset_rows(rows, seeds)
        observe_rows(self.sim.state, self._tables, rows, self.obs)

    def step(self, actions: np.ndarray) -> None:
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        if actions.shape[0] != self.num_envs:
            raise ValueError(f"expected {self.num_envs} actions, got {actions.shape[0]}")
        sim = self.sim
        live = ~sim.done
        if self.invalid_action == "raise":
            ok = (actions >= 0) & (actions < self.n_actions)
            ok[ok] = sim.masks[np.flatnonzero(ok), actions[ok]]
            bad = live & ~ok
            if bad.any():
                n = int(np.flatnonzero(bad)[0])
                valid = np.flatnonzero(sim.masks[n]).tolist()
                raise ValueError(
                    f"row {n}: invalid action {int(actions[n])} (valid actions now: {valid}; "
                    "invalid_action='fallback' replaces invalid actions by a valid one)"
                )
        actions = sim.check_actions(actions)
        need = self._step(
            sim.state,
            sim.extra,
            sim.params,
            sim.router_arrays,
            sim.heads,
            actions,
            sim.work_conserving,
            sim.skip_forced,
            sim.reward_scale,
            self._tables,
            self.obs,
        )
        if need:  # rows that stopped for Python: observed once they reach their epoch
            rows = np.flatnonzero(sim.extra.STAT != PARKED)
            sim.complete()
            observe_rows(sim.state, self._tables, rows, self.obs)

    def report(self, row: int) -> KPIReport:
        return self.sim.report(row)


__all__ = ["CompiledBatch"]
