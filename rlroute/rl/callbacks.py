"""Training callbacks: KPI evaluation of the current policy as a router, and checkpoints that
let a crashed run resume where it stopped.

The evaluation runs the policy exactly as it will be served (:class:`rlroute.rl.router.PolicyRouter`
through ``Simulator.run`` on fixed eval seeds, greedy over valid actions, current normalisation
statistics), so ``eval/cost_per_call`` is the benchmark's number, not an episode return.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from rlroute.rl.runs import (
    CHECKPOINT_DIR,
    EVAL_LOG_FILE,
    MODEL_FILE,
    VECNORM_FILE,
    ObsNorm,
    _atomic_write,
    save_vecnormalize,
)
from rlroute.scenario import Scenario
from rlroute.sim import Simulator
from rlroute.sim.router import Router

#: KPIs averaged over the eval seeds and logged as ``eval/<name>``.
EVAL_KPIS = (
    "cost_per_call",
    "service_level",
    "abandon_rate",
    "asa",
    "occupancy",
    "fcr",
    "p_wait",
)


def evaluate_router(
    scenario: Scenario, make_router: Callable[[], Router], seeds: Sequence[int]
) -> dict[str, float]:
    """Mean KPIs of a router over simulator seeds (common random numbers across routers)."""
    rows = [Simulator(scenario, int(s)).run(make_router()).overall for s in seeds]
    return {k: float(np.mean([r[k] for r in rows])) for k in EVAL_KPIS if k in rows[0]}


def _crossed(prev: int, now: int, every: int) -> bool:
    return every > 0 and now // every > prev // every


class KPIEvalCallback(BaseCallback):
    """Every ``freq`` timesteps: run the current policy on the eval seeds, log the KPIs
    (``eval/cost_per_call``, ``eval/service_level``, ...), append them to ``eval.jsonl`` and keep
    the best policy so far in ``best/``.

    ``router_factory(model, obs_norm)`` builds the router from the live model.
    """

    def __init__(
        self,
        scenario: Scenario,
        seeds: Sequence[int],
        freq: int,
        run_dir: Path,
        router_factory: Callable[[Any, ObsNorm], Router],
        best: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.scenario = scenario
        self.seeds = list(seeds)
        self.freq = freq
        self.run_dir = run_dir
        self.router_factory = router_factory
        self.best = best or {"step": -1, "cost_per_call": float("inf")}
        self.history: list[dict[str, Any]] = []
        self._last = 0

    def _on_training_start(self) -> None:
        self._last = self.num_timesteps

    def _on_step(self) -> bool:
        if _crossed(self._last, self.num_timesteps, self.freq):
            self.evaluate()
        self._last = self.num_timesteps
        return True

    def evaluate(self) -> dict[str, float]:
        """Evaluate now (also called by the trainer after the last step)."""
        vn = self.model.get_vec_normalize_env()
        norm = (
            ObsNorm.from_vecnormalize(vn)
            if vn is not None
            else ObsNorm.identity(int(np.prod(self.model.observation_space.shape)))  # type: ignore[arg-type]
        )
        self.model.policy.set_training_mode(False)
        t0 = time.perf_counter()
        kpis = evaluate_router(
            self.scenario, lambda: self.router_factory(self.model, norm), self.seeds
        )
        for k, v in kpis.items():
            self.logger.record(f"eval/{k}", v)
        self.logger.record("eval/wall_s", time.perf_counter() - t0)
        step = int(self.num_timesteps)
        row = {"step": step, **kpis}
        self.history.append(row)
        with open(self.run_dir / EVAL_LOG_FILE, "a") as f:
            f.write(json.dumps(row) + "\n")
        if kpis["cost_per_call"] < self.best["cost_per_call"]:
            self.best = {"step": step, "cost_per_call": kpis["cost_per_call"]}
            best_dir = self.run_dir / "best"
            best_dir.mkdir(exist_ok=True)
            self.model.save(best_dir / MODEL_FILE)
            if vn is not None:
                save_vecnormalize(vn, best_dir / VECNORM_FILE)
            _atomic_write(best_dir / "best.json", json.dumps(self.best))
        self.logger.dump(step)
        return kpis


class ResumableCheckpoint(BaseCallback):
    """Every ``freq`` timesteps save model, normalisation, replay buffer (off-policy) and the
    trainer's own state into ``checkpoints/step_<n>/``; keep the ``keep`` latest.

    A checkpoint is written to a temporary folder and renamed when complete, so a crash while
    saving never leaves a half checkpoint that resume would pick up.
    """

    def __init__(
        self,
        run_dir: Path,
        freq: int,
        keep: int = 2,
        state: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.dir = run_dir / CHECKPOINT_DIR
        self.freq = freq
        self.keep = max(1, keep)
        self.state = state or dict
        self._last = 0

    def _on_training_start(self) -> None:
        self._last = self.num_timesteps

    def _on_step(self) -> bool:
        if _crossed(self._last, self.num_timesteps, self.freq):
            self.save()
        self._last = self.num_timesteps
        return True

    def save(self) -> Path:
        step = int(self.num_timesteps)
        final = self.dir / f"step_{step:012d}"
        tmp = self.dir / f".tmp_step_{step:012d}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.model.save(tmp / MODEL_FILE)
        vn = self.model.get_vec_normalize_env()
        if vn is not None:
            save_vecnormalize(vn, tmp / VECNORM_FILE)
        if getattr(self.model, "replay_buffer", None) is not None:
            self.model.save_replay_buffer(tmp / "replay_buffer.pkl")  # type: ignore[attr-defined]
        (tmp / "state.json").write_text(
            json.dumps({"num_timesteps": step, **self.state()}, default=str)
        )
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        for old in sorted(self.dir.glob("step_*"))[: -self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return final


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint folder of a run, or None."""
    done = sorted(
        p for p in (run_dir / CHECKPOINT_DIR).glob("step_*") if (p / "state.json").exists()
    )
    return done[-1] if done else None


__all__ = [
    "EVAL_KPIS",
    "KPIEvalCallback",
    "ResumableCheckpoint",
    "evaluate_router",
    "latest_checkpoint",
]
