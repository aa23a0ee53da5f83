"""``rlroute/CallCenter-v1`` as a native Gymnasium vector environment over the batch API.

``gym.make_vec("rlroute/CallCenter-v1", num_envs=N, vectorization_mode="vector_entry_point")``
returns a :class:`CallCenterVectorEnv`: ``N`` days stepped by one batch object (see
:mod:`rlroute.envs.fast_batch`) instead of ``N`` Python environments, with the semantics of
``gym.make_vec(..., vectorization_mode="sync", vector_kwargs={"autoreset_mode": SAME_STEP})``
of the single env (plus :class:`rlroute.rl.wrappers.SkipForcedDecisions` with
``skip_forced=True``): same observations bit for bit, rewards, terminations, masks, seeding and
``infos``. The SB3 adapter :class:`rlroute.rl.vec_env.FastVecEnv` drives the same core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rlroute.envs.compiled_batch import CompiledBatch
from rlroute.envs.layout import action_names
from rlroute.envs.observation import check_version, observation_bounds, observation_names
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario

#: Days in a row without a single real choice before ``skip_forced`` gives up (the value of
#: :attr:`rlroute.rl.wrappers.SkipForcedDecisions.max_empty_days`).
MAX_EMPTY_DAYS = 3


@dataclass
class Finished:
    """What a row that ended its day at this step leaves behind (before its autoreset)."""

    row: int
    obs: np.ndarray
    mask: np.ndarray
    invalid: bool
    n_invalid: int
    kpis: dict[str, Any] = field(default_factory=dict)


class CallCenterVectorEnv(VectorEnv):
    """``num_envs`` call-center days behind Gymnasium's ``VectorEnv`` interface.

    * Autoreset: ``metadata["autoreset_mode"]`` is ``AutoresetMode.SAME_STEP``: a row whose
      day ends at a step is reset within that step; the returned observation is the new day's
      first one, the last observation of the finished day is in ``infos["final_obs"]`` and its
      info (with ``"kpis"``, the day's KPIs) in ``infos["final_info"]``. This is the mode of
      SB3's vector envs (``terminal_observation``), so every action sent is a real decision of
      a live day (no dummy step of NEXT_STEP mode, whose action is ignored, in the samples).
    * ``action_masks()``: the valid actions ``[N, A]`` of the current epoch of every row
      (after autoreset, of the new day); ``infos["action_mask"]`` holds the same.
    * ``skip_forced=True``: epochs with a single valid action are stepped inside the batch and
      their rewards summed into the next real decision's (reset's forced steps are paid with
      the first step), so a day's return is still exactly minus its cost (times
      ``reward_scale``); like :class:`rlroute.rl.wrappers.SkipForcedDecisions`, a day without a
      single real choice is replaced by another one, and after ``3`` in a row it fails.
    * Seeding as ``SyncVectorEnv``: ``reset(seed=s)`` gives row ``i`` the day of seed ``s + i``
      (``Simulator(scenario, s + i)``) and a generator seeded with ``s + i``; a row's later days
      (autoreset, ``reset()`` without seed) take their seeds from that generator, exactly as
      the single env draws them from its ``np_random``. A row never seeded gets a generator
      from this env's ``np_random``.
    * ``infos``: SyncVectorEnv's layout (arrays with ``_key`` masks): ``action_mask``,
      ``invalid_action``, ``invalid_actions``, and ``final_obs``/``final_info`` for rows that
      finished. SkipForcedDecisions' ``forced_steps`` is not reported, and ``invalid_action``
      is the agent's own step's (the wrapper reports its last forced step's).

    ``batch_cls`` is the class implementing the batch API: by default the compiled
    :class:`~rlroute.envs.compiled_batch.CompiledBatch`; :class:`~rlroute.envs.fast_batch.FastBatch`
    is its readable Python-loop twin (one compiled single-day engine per row), kept as the
    oracle the tests compare against.
    """

    metadata: dict[str, Any] = {  # noqa: RUF012 - Gymnasium's convention
        "autoreset_mode": AutoresetMode.SAME_STEP,
        "render_modes": [],
    }

    def __init__(
        self,
        num_envs: int = 1,
        scenario: Scenario | str | Path = "heterogeneous",
        *,
        reward_scale: float = 1.0,
        work_conserving: bool = True,
        invalid_action: str = "fallback",
        observe_wrap_up: bool = False,
        observation: str = "v1",
        skip_forced: bool = False,
        autoreset_mode: AutoresetMode | str = AutoresetMode.SAME_STEP,
        render_mode: str | None = None,
        batch_cls: type = CompiledBatch,
    ) -> None:
        if AutoresetMode(autoreset_mode) != AutoresetMode.SAME_STEP:
            raise ValueError(
                f"autoreset_mode={autoreset_mode!r}: CallCenterVectorEnv implements only "
                "AutoresetMode.SAME_STEP (use vectorization_mode='sync' for the others)"
            )
        if render_mode is not None:
            raise ValueError(
                f"render_mode={render_mode!r}: the vector env does not render; use "
                "vectorization_mode='sync' with the single env's render modes"
            )
        self.scenario = sc = load_scenario(scenario)
        self.num_envs = int(num_envs)
        self.skip_forced = bool(skip_forced)
        self.reward_scale = float(reward_scale)
        self.work_conserving = bool(work_conserving)
        self.invalid_action = invalid_action
        self.observe_wrap_up = bool(observe_wrap_up)
        self.observation = check_version(observation)
        self.render_mode = None
        self.batch = batch_cls(
            sc,
            self.num_envs,
            reward_scale=reward_scale,
            work_conserving=work_conserving,
            observe_wrap_up=observe_wrap_up,
            observation=observation,
            invalid_action=invalid_action,
            skip_forced=skip_forced,
        )
        self.pairs = sc.eligible_pairs()
        self.action_names = action_names(sc)
        self.observation_names = observation_names(sc, self.observe_wrap_up, self.observation)
        low, high = observation_bounds(sc, self.observe_wrap_up, self.observation)
        self.single_observation_space = spaces.Box(low, high, dtype=np.float32)
        self.single_action_space = spaces.Discrete(self.batch.n_actions)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._rngs: list[np.random.Generator | None] = [None] * self.num_envs
        self._carry = np.zeros(self.num_envs)  # reset's forced rewards, paid with step 1
        self._started = False

    # ------------------------------------------------------------------ Gymnasium API
    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Fresh days for every row (or the rows of ``options["reset_mask"]``)."""
        if isinstance(seed, int):
            super().reset(seed=seed)
            seeds: list[int | None] = [seed + i for i in range(self.num_envs)]
        elif seed is None:
            seeds = [None] * self.num_envs
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(
                    f"reset(seed=[...]): {len(seeds)} seeds for num_envs={self.num_envs}"
                )
        rows = np.arange(self.num_envs)
        if options and "reset_mask" in options:
            reset_mask = np.asarray(options["reset_mask"])
            if reset_mask.shape != (self.num_envs,) or reset_mask.dtype != np.bool_:
                raise ValueError(
                    f"options['reset_mask'] must be a bool array of shape ({self.num_envs},)"
                )
            rows = np.flatnonzero(reset_mask)
        self.reset_rows(rows, [seeds[i] for i in rows])
        self._started = True
        infos = self._step_infos(rows)
        return self.batch.obs.copy(), infos

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        rewards, terminated, finished = self.step_core(actions)
        infos: dict[str, Any] = {}
        for f in finished:
            final_info = {
                "action_mask": f.mask,
                "invalid_action": f.invalid,
                "invalid_actions": f.n_invalid,
                "kpis": f.kpis,
            }
            infos = self._add_info(infos, {"final_obs": f.obs, "final_info": final_info}, f.row)
        infos.update(self._step_infos(np.arange(self.num_envs)))
        truncated = np.zeros(self.num_envs, dtype=np.bool_)
        return self.batch.obs.copy(), rewards, terminated, truncated, infos

    def action_masks(self) -> np.ndarray:
        """The valid actions ``[N, A]`` of every row's current decision epoch."""
        return self.batch.masks.copy()

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """SyncVectorEnv's ``call``: ``call("action_masks")`` gives one mask per row; other
        names are read from this env (options are the same for every row)."""
        if name == "action_masks":
            return tuple(self.batch.masks.copy())
        value = getattr(self, name)
        if callable(value):
            value = value(*args, **kwargs)
        return tuple(value for _ in range(self.num_envs))

    def get_attr(self, name: str) -> tuple[Any, ...]:
        return self.call(name)

    # ------------------------------------------------------------------ the core
    def reset_rows(self, rows: np.ndarray, seeds: list[int | None]) -> None:
        """New days for ``rows``: seeded ones replay ``Simulator(scenario, seed)`` and reseed the
        row's generator; the others draw their day's seed from it. Days without a real choice
        (``skip_forced``) are replaced, as SkipForcedDecisions does."""
        batch = self.batch
        day_seeds = np.empty(len(rows), dtype=np.int64)
        for j, (n, s) in enumerate(zip(rows.tolist(), seeds, strict=True)):
            if s is not None:
                self._rngs[n], _ = seeding.np_random(int(s))
                day_seeds[j] = int(s)
            else:
                day_seeds[j] = self._draw_seed(n)
        batch.reset_rows(rows, day_seeds)
        self._carry[rows] = batch.rewards[rows] if self.skip_forced else 0.0
        if not self.skip_forced:
            return
        empty = 0
        again = rows[batch.done[rows]]
        while again.size:  # a day without a single real choice: the row plays another one
            empty += 1
            if empty >= MAX_EMPTY_DAYS:
                raise ValueError(
                    f"scenario {self.scenario.name!r}: {empty} simulated days without a single "
                    "decision that has more than one valid action, so there is nothing to learn "
                    "(with work_conserving=True a single pool is always FIFO); train with "
                    "env.work_conserving=false"
                )
            batch.reset_rows(again, np.array([self._draw_seed(n) for n in again.tolist()]))
            self._carry[again] = batch.rewards[again]
            again = again[batch.done[again]]

    def step_core(self, actions: Any) -> tuple[np.ndarray, np.ndarray, list[Finished]]:
        """Step every row and autoreset the finished ones: ``(rewards [N] float64, terminated
        [N], finished rows)``; observations and masks are then the batch's (new days)."""
        batch = self.batch
        acts = np.asarray(actions)
        if acts.shape != (self.num_envs,):
            raise ValueError(f"expected {self.num_envs} actions (shape [N]), got {acts.shape}")
        batch.step(acts)
        carry = self._carry
        rewards = carry + batch.rewards if carry.any() else batch.rewards.copy()
        carry[:] = 0.0
        terminated = batch.done.copy()
        finished: list[Finished] = []
        if terminated.any():
            rows = np.flatnonzero(terminated)
            for n in rows.tolist():
                finished.append(
                    Finished(
                        row=n,
                        obs=batch.obs[n].copy(),
                        mask=batch.masks[n].copy(),
                        invalid=bool(batch.invalid[n]),
                        n_invalid=int(batch.n_invalid[n]),
                        kpis=batch.report(n).overall,
                    )
                )
            self.reset_rows(rows, [None] * len(rows))
        return rewards, terminated, finished

    def _draw_seed(self, n: int) -> int:
        rng = self._rngs[n]
        if rng is None:  # never seeded: a generator from this env's own
            rng = self._rngs[n] = np.random.Generator(
                np.random.PCG64(int(self.np_random.integers(2**63)))
            )
        return int(rng.integers(2**63))  # what CallCenterEnv.reset() draws

    def _step_infos(self, rows: np.ndarray) -> dict[str, Any]:
        """``action_mask``, ``invalid_action``, ``invalid_actions`` of ``rows`` (the others
        masked out), in SyncVectorEnv's layout."""
        batch = self.batch
        present = np.zeros(self.num_envs, dtype=np.bool_)
        present[rows] = True
        fresh = batch.n_decisions == 0  # a new day: the reset info
        mask = np.zeros_like(batch.masks)
        mask[rows] = batch.masks[rows]
        invalid = np.zeros(self.num_envs, dtype=np.bool_)
        invalid[rows] = batch.invalid[rows] & ~fresh[rows]
        n_invalid = np.zeros(self.num_envs, dtype=int)
        n_invalid[rows] = batch.n_invalid[rows]
        return {
            "action_mask": mask,
            "_action_mask": present,
            "invalid_action": invalid,
            "_invalid_action": present.copy(),
            "invalid_actions": n_invalid,
            "_invalid_actions": present.copy(),
        }


__all__ = ["CallCenterVectorEnv", "Finished"]
