"""Evolution strategies with common random numbers: fine-tune a trained policy's actor on the
benchmark's own metric, the mean cost per call of a day.

PPO's gradient comes from single decisions' advantages, a noisy signal for a gain of a few
percent on a day's cost; a search over a tuned router's 13 parameters (CMA-ES, every candidate
on the same days) finds such gains. This module searches the *actor network's* parameters the
same way, OpenAI-style ES (Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative
to Reinforcement Learning"):

* each iteration draws ``pairs`` Gaussian directions ``eps_i`` and scores ``theta + sigma eps_i``
  and ``theta - sigma eps_i`` (antithetic pairs) by their mean cost per call over ``days``
  fresh training days, **every member on the same days** (common random numbers: a pair's
  difference is the policies', not the days');
* the costs become centred ranks (robust to the scale of a day's cost; tied costs, members
  that took the same decisions, get the same rank), the gradient estimate is
  ``sum_i (rank(theta+) - rank(theta-)) eps_i / (2 pairs sigma)`` and Adam takes the step;
* the current centre and the starting policy are scored on the same days too, so ``es.jsonl``
  holds a paired learning curve (centre minus start, per iteration) at no extra noise.

Training days come from the run seed's own ``SeedSequence`` stream (:func:`es_day_seed`, seeds
>= 2**30: never a benchmark day 0..N nor an eval day 100000+; a block that would overlap the
start run's imitation days is redrawn), fresh every iteration. All randomness comes from the
seed: the same command gives the same weights.

The output is a run directory laid out as ``rlroute-train``'s (``model.zip`` with the new actor,
the start run's ``vecnormalize.pkl`` and ``obs_norm.json``, ``run.json``, ``config.yaml``,
``metrics.json``) plus ``es.jsonl``, so ``python -m rlroute.bench.study`` and ``rlroute-export``
take it unchanged. Entry point: ``rlroute-es`` (:mod:`rlroute.cli.es`).
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from scipy.stats import rankdata

import rlroute
from rlroute.rl.determinism import configure_torch, reproducibility_record
from rlroute.rl.es_eval import FlatParams, PopulationEvaluator
from rlroute.rl.imitation import ImitationSettings, imitation_day_seed
from rlroute.rl.policy import ActorLogits
from rlroute.rl.runs import (
    METRICS_FILE,
    MODEL_FILE,
    OBS_NORM_FILE,
    VECNORM_FILE,
    config_hash,
    load_run,
)
from rlroute.scenario import Scenario, truncate_intervals
from rlroute.scenarios import load_scenario

ES_LOG_FILE = "es.jsonl"


@dataclass
class ESSettings:
    """The knobs of one ES fine-tuning run (the ``es.yaml`` config, typed)."""

    init: str  # the run directory to start from (its actor is fine-tuned)
    seed: int = 0  # drives the directions and the training days
    iterations: int = 100
    pairs: int = 8  # antithetic pairs per iteration (2 * pairs perturbed members)
    days: int = 8  # training days per iteration, shared by every member
    sigma: float = 0.02  # perturbation scale (parameter units)
    learning_rate: float = 0.01  # Adam's step on the ES gradient estimate
    # actor parameters searched, by name prefix (``features.``, ``latent.``, ``head.``);
    # None: all of them
    params: tuple[str, ...] | None = None
    eval_seeds: tuple[int, ...] = (100000, 100001, 100002, 100003, 100004)
    horizon_intervals: int | None = None  # cut the days (tests, quick runs)
    torch_threads: int = 1

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> ESSettings:
        """Read a resolved ``es.yaml`` mapping; bad values fail naming the field."""
        cfg = dict(cfg)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(f"es config: unknown key(s) {unknown}; known: {sorted(known)}")
        if not cfg.get("init"):
            raise ValueError("es config: init is missing (the run directory to fine-tune)")
        out = cls(**cfg)
        out.eval_seeds = tuple(int(s) for s in out.eval_seeds)
        if out.params is not None:
            out.params = tuple(str(p) for p in out.params)
        for name in ("iterations", "pairs", "days", "torch_threads"):
            if int(getattr(out, name)) < 1:
                raise ValueError(f"es config: {name}={getattr(out, name)!r}; use >= 1")
        for name in ("sigma", "learning_rate"):
            if not float(getattr(out, name)) > 0:
                raise ValueError(f"es config: {name}={getattr(out, name)!r}; use > 0")
        return out


def es_day_seed(seed: int, iteration: int) -> int:
    """First training day of ES iteration ``iteration`` (day ``i`` gets ``+ i``): >= 2**30,
    from a stream of its own (not the trainer's nor imitation's)."""
    state = np.random.SeedSequence([seed, 0xE5, iteration]).generate_state(1)[0]
    return int(state) % 2**31 | 2**30


def training_days(seed: int, iteration: int, days: int, avoid: list[range]) -> list[int]:
    """``days`` consecutive day seeds for ``iteration``, redrawn (``iteration`` offset by
    ``k * 2**20``) while they overlap a range of ``avoid`` (e.g. the imitation days)."""
    k = 0
    while True:
        base = es_day_seed(seed, iteration + k * 2**20)
        block = range(base, base + days)
        if not any(block.start < r.stop and r.start < block.stop for r in avoid):
            return list(block)
        k += 1


def centered_ranks(costs: np.ndarray) -> np.ndarray:
    """Fitness in [-0.5, 0.5] from costs (lowest cost: +0.5); ties share their mean rank."""
    r = rankdata(-np.asarray(costs, dtype=float), method="average") - 1.0
    return r / max(len(r) - 1, 1) - 0.5


def es_gradient(
    costs_plus: np.ndarray, costs_minus: np.ndarray, eps: np.ndarray, sigma: float
) -> np.ndarray:
    """ES ascent direction on fitness (minus cost) from antithetic pairs' costs."""
    ranks = centered_ranks(np.concatenate([costs_plus, costs_minus]))
    n = len(costs_plus)
    w = ranks[:n] - ranks[n:]
    return (w @ eps.astype(np.float64)) / (2 * n * sigma)


def _avoid_ranges(init_cfg: Mapping[str, Any], seed: int) -> list[range]:
    """The start run's imitation days (its seed's stream), which training must not reuse."""
    im = ImitationSettings.from_config(init_cfg.get("imitation"))
    if not im.enabled:
        return []
    s = int(init_cfg.get("seed", seed))
    return [
        range(imitation_day_seed(s, r), imitation_day_seed(s, r) + im.n_days)
        for r in range(int(im.dagger_rounds) + 1)
    ]


def _scenario(init_cfg: Mapping[str, Any], horizon: int | None) -> Scenario:
    sc = load_scenario(init_cfg["scenario"])
    return sc if horizon is None else truncate_intervals(sc, int(horizon))


def run_es(cfg: Mapping[str, Any], run_dir: str | Path, log: Any = None) -> dict[str, float]:
    """Fine-tune ``cfg['init']``'s actor by ES into ``run_dir`` (see the module doc); returns
    the final metrics (``eval/cost_per_call`` of the delivered policy and of the start on the
    eval seeds, ``train/wall_s``)."""
    t_start = time.perf_counter()
    s = ESSettings.from_config(cfg)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    configure_torch(s.torch_threads, True, "cpu")
    start = load_run(s.init)
    init_cfg = yaml.safe_load((start.run_dir / "config.yaml").read_text())
    scenario = _scenario(init_cfg, s.horizon_intervals)
    module = ActorLogits(start.model.policy)
    members = 2 * s.pairs + 2  # perturbed, then the centre, then the start
    ev = PopulationEvaluator(
        scenario, module, start.obs_norm, start.info.env_options, members, s.days, s.params
    )
    theta0 = ev.params.flat(module)
    theta = torch.nn.Parameter(torch.from_numpy(theta0.copy()))
    opt = torch.optim.Adam([theta], lr=s.learning_rate)
    avoid = _avoid_ranges(init_cfg, s.seed)
    log_path = run_dir / ES_LOG_FILE
    log_path.unlink(missing_ok=True)
    decisions = 0
    for it in range(s.iterations):
        t0 = time.perf_counter()
        days = training_days(s.seed, it, s.days, avoid)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([s.seed, 0xE5, 1, it])))
        eps = rng.standard_normal((s.pairs, ev.params.size), dtype=np.float32)
        centre = theta.detach().numpy().copy()
        step = np.float32(s.sigma) * eps
        thetas = np.concatenate([centre + step, centre - step, centre[None], theta0[None]])
        cost = ev.costs(thetas, days).mean(axis=1)
        decisions += ev.n_decisions
        grad = es_gradient(cost[: s.pairs], cost[s.pairs : 2 * s.pairs], eps, s.sigma)
        opt.zero_grad()
        theta.grad = torch.from_numpy(-grad.astype(np.float32))  # Adam descends: minus ascent
        opt.step()
        wall = time.perf_counter() - t0
        row = {
            "iteration": it,
            "first_day": days[0],
            "centre": float(cost[-2]),
            "start": float(cost[-1]),
            "centre_rel": float(cost[-2] / cost[-1] - 1.0),
            "members_mean": float(cost[:-2].mean()),
            "members_best": float(cost[:-2].min()),
            "distinct_costs": len(np.unique(cost[:-2])),
            "step_norm": float(np.linalg.norm(theta.detach().numpy() - centre)),
            "decisions": ev.n_decisions,
            "decisions_per_s": ev.n_decisions / wall,
            "wall_s": wall,
        }
        with log_path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        if log is not None:
            log.info(
                "it %d: centre %.4f start %.4f (%+.2f%%) | %.1f s, %.0f decisions/s",
                it,
                row["centre"],
                row["start"],
                100 * row["centre_rel"],
                wall,
                row["decisions_per_s"],
            )
    final = theta.detach().numpy().copy()
    train_wall = time.perf_counter() - t_start
    metrics = _evaluate(scenario, start, ev.params, final, theta0, s.eval_seeds)
    metrics["train/iterations"] = float(s.iterations)
    metrics["train/decisions"] = float(decisions)
    metrics["train/wall_s"] = train_wall
    _write_run(run_dir, s, start, init_cfg, module, ev, final, decisions, metrics)
    return metrics


def _evaluate(
    scenario: Scenario,
    start: Any,
    params: FlatParams,
    final: np.ndarray,
    theta0: np.ndarray,
    seeds: tuple[int, ...],
) -> dict[str, float]:
    """Cost per call of the delivered and the start policy on the eval days (batched)."""
    module = ActorLogits(start.model.policy)
    ev = PopulationEvaluator(
        scenario, module, start.obs_norm, start.info.env_options, 2, len(seeds), params.names
    )
    cost = ev.costs(np.stack([final, theta0]), list(seeds)).mean(axis=1)
    return {"eval/cost_per_call": float(cost[0]), "eval/start_cost_per_call": float(cost[1])}


def _write_run(
    run_dir: Path,
    s: ESSettings,
    start: Any,
    init_cfg: dict[str, Any],
    module: torch.nn.Module,
    ev: PopulationEvaluator,
    final: np.ndarray,
    decisions: int,
    metrics: dict[str, float],
) -> None:
    """The run directory: the start run's layout with the fine-tuned actor."""
    ev.params.load(module, final)  # the model's own actor tensors now hold the new weights
    start.model.save(run_dir / MODEL_FILE)
    for name in (VECNORM_FILE, OBS_NORM_FILE):
        src = start.run_dir / name
        if src.exists():
            shutil.copyfile(src, run_dir / name)
    es_cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(s).items()}
    cfg = copy.deepcopy(init_cfg)
    cfg["seed"] = s.seed
    cfg["es"] = es_cfg
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    info = copy.deepcopy(start.info)
    info.seed = s.seed
    info.config_hash = config_hash(cfg)
    info.rlroute_version = rlroute.__version__
    info.delivered = "last"
    info.num_timesteps = int(decisions)
    info.delivered_step = int(decisions)
    info.reproducibility = reproducibility_record()
    info.extra = {
        **info.extra,
        "es": {"init": str(s.init), "init_seed": start.info.seed, **es_cfg},
    }
    info.save(run_dir)
    (run_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")


__all__ = [
    "ES_LOG_FILE",
    "ESSettings",
    "centered_ranks",
    "es_day_seed",
    "es_gradient",
    "run_es",
    "training_days",
]
