"""Train a routing policy with stable-baselines3: the loop behind ``rlroute-train``.

Plain Python over a plain config mapping (the resolved Hydra config; Hydra itself stays in
:mod:`rlroute.cli.train`), so a notebook or a test can call :func:`train` directly::

    cfg = {"scenario": "heterogeneous", "algo": {"name": "maskable_ppo", ...}, ...}
    metrics = train(cfg, run_dir)

One ``seed`` drives SB3 (torch, numpy, action sampling) and the training environments
(their days start from :func:`train_env_seed`, a large seed derived from ``seed``, so training
never replays the benchmark's small seeds); the eval seeds are an explicit list in the config
(100000+), the same for every training seed, so runs compare on common random numbers.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import yaml
from stable_baselines3.common.logger import (
    CSVOutputFormat,
    HumanOutputFormat,
    Logger,
    TensorBoardOutputFormat,
)
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecNormalize

import rlroute
from rlroute.envs.versions import ENV_ID
from rlroute.rl.algos import AlgoSpec, get_algo, sb3_kwargs
from rlroute.rl.callbacks import (
    KPIEvalCallback,
    ResumableCheckpoint,
    evaluate_router,
    latest_checkpoint,
)
from rlroute.rl.determinism import configure_torch, differences, reproducibility_record
from rlroute.rl.envinfo import env_layout
from rlroute.rl.imitation import ImitationSettings, pretrain
from rlroute.rl.runs import (
    CHECKPOINT_DIR,
    EVAL_LOG_FILE,
    METRICS_FILE,
    MODEL_FILE,
    VECNORM_FILE,
    ObsNorm,
    RunError,
    RunInfo,
    _atomic_write,
    check_names,
    config_hash,
    write_obs_norm,
)
from rlroute.rl.semi_markov import (
    DISCOUNTS,
    ElapsedTimeDiscount,
    TimeDiscountPlainRolloutBuffer,
    TimeDiscountRolloutBuffer,
)
from rlroute.rl.vec_env import SUPPORTED_ENV_KWARGS, FastVecEnv
from rlroute.rl.wrappers import SkipForcedDecisions
from rlroute.scenario import Scenario, ScenarioError
from rlroute.scenarios import load_scenario

log = logging.getLogger(__name__)


@dataclass
class TrainSettings:
    """The knobs of one training run (the ``train.yaml`` config, typed)."""

    scenario: Scenario  # the scenario trained and evaluated on (its own costs)
    algo: AlgoSpec
    policy: str = "MlpPolicy"
    hyperparams: dict[str, Any] = field(default_factory=dict)  # SB3 constructor keywords
    seed: int = 0
    total_timesteps: int = 300_000
    n_envs: int = 1
    device: str = "cpu"
    torch_threads: int | None = 1  # None: torch's default (one per core; machine-dependent)
    torch_deterministic: bool = True  # torch.use_deterministic_algorithms
    env_id: str = ENV_ID
    work_conserving: bool = True
    invalid_action: str = "fallback"  # the env's own option: "fallback" or "raise"
    skip_forced: bool = True
    backend: str = "fast"  # "fast": FastVecEnv (one batch); "reference": DummyVecEnv of envs
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    reward_scale: float = 1.0
    cost_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    norm_obs: bool = True
    clip_obs: float = 10.0
    norm_reward: bool = False
    eval_freq: int = 50_000
    eval_seeds: list[int] = field(default_factory=lambda: list(range(100_000, 100_005)))
    final_eval_seeds: list[int] | None = None
    checkpoint_freq: int = 50_000
    checkpoint_keep: int = 2
    resume: bool = False
    deliver: str = "best"  # model.zip holds the "best" eval policy or the "last" one
    progress_bar: bool = False
    verbose: int = 0
    tensorboard: bool = True
    # "per_decision" (SB3's GAE) or "per_time": gamma ** (dt / time_scale_s) per step, dt the
    # simulated seconds to the agent's next decision (rlroute.rl.semi_markov)
    discount: str = "per_decision"
    time_scale_s: float = 10.0

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> TrainSettings:
        """Read a resolved ``train.yaml`` mapping; bad names fail with the known ones."""
        algo_cfg = cfg.get("algo") or {}
        if "name" not in algo_cfg:
            raise ValueError("config: algo.name is missing (choose a file of configs/algo/)")
        spec = get_algo(str(algo_cfg["name"]))
        env = cfg.get("env") or {}
        norm = cfg.get("normalize") or {}
        ev = cfg.get("eval") or {}
        ck = cfg.get("checkpoint") or {}
        rw = cfg.get("reward") or {}
        scenario = load_scenario(cfg["scenario"])
        invalid = str(env.get("invalid_action", "fallback"))
        if invalid not in ("fallback", "raise"):
            raise ValueError(f"env.invalid_action: {invalid!r}; use 'fallback' or 'raise'")
        if "invalid_action" in (env.get("kwargs") or {}):
            raise ValueError("env.kwargs.invalid_action: set env.invalid_action instead")
        backend = str(env.get("backend", "fast"))
        if backend not in BACKENDS:
            raise ValueError(f"env.backend: {backend!r}; use one of {BACKENDS}")
        discount = str(algo_cfg.get("discount", "per_decision"))
        if discount not in DISCOUNTS:
            raise ValueError(f"algo.discount: {discount!r}; use one of {DISCOUNTS}")
        if discount == "per_time" and (spec.off_policy or spec.kind != "actor_critic"):
            raise ValueError(
                f"algo.discount=per_time: algorithm {spec.name!r} has no rollout buffer; use "
                "maskable_ppo, ppo or a2c"
            )
        time_scale_s = float(algo_cfg.get("time_scale_s", 10.0))
        if time_scale_s <= 0:
            raise ValueError(f"algo.time_scale_s: {time_scale_s!r}; use a positive number")
        deliver = str(cfg.get("deliver", "best"))
        if deliver not in ("best", "last"):
            raise ValueError(f"deliver: {deliver!r}; use 'best' or 'last'")
        return cls(
            scenario=scenario,
            algo=spec,
            policy=str(algo_cfg.get("policy", "MlpPolicy")),
            hyperparams=dict(algo_cfg.get("hyperparams") or {}),
            seed=int(cfg.get("seed", 0)),
            total_timesteps=int(cfg.get("total_timesteps", 300_000)),
            n_envs=int(cfg.get("n_envs", 1)),
            device=str(cfg.get("device", "cpu")),
            torch_threads=_threads(cfg.get("torch_threads", 1)),
            torch_deterministic=bool(cfg.get("torch_deterministic", True)),
            env_id=str(env.get("id", ENV_ID)),
            work_conserving=bool(env.get("work_conserving", True)),
            invalid_action=invalid,
            skip_forced=bool(env.get("skip_forced", True)),
            backend=backend,
            env_kwargs=dict(env.get("kwargs") or {}),
            reward_scale=float(rw.get("reward_scale", 1.0)),
            cost_overrides={k: dict(v) for k, v in (rw.get("cost_overrides") or {}).items()},
            norm_obs=bool(norm.get("obs", True)),
            clip_obs=float(norm.get("clip_obs", 10.0)),
            norm_reward=bool(norm.get("norm_reward", False)),
            eval_freq=int(ev.get("freq", 50_000)),
            eval_seeds=[int(s) for s in ev.get("seeds", range(100_000, 100_005))],
            final_eval_seeds=(
                None if ev.get("final_seeds") is None else [int(s) for s in ev["final_seeds"]]
            ),
            checkpoint_freq=int(ck.get("freq", 50_000)),
            checkpoint_keep=int(ck.get("keep", 2)),
            resume=bool(cfg.get("resume", False)),
            deliver=deliver,
            progress_bar=bool(cfg.get("progress_bar") or False),
            verbose=int(cfg.get("verbose", 0)),
            tensorboard=bool(cfg.get("tensorboard", True)),
            discount=discount,
            time_scale_s=time_scale_s,
        )

    @property
    def env_options(self) -> dict[str, Any]:
        """What the served policy must reproduce: the env's observation/mask options."""
        return {
            "work_conserving": self.work_conserving,
            "skip_forced": self.skip_forced,
            **self.env_kwargs,
        }


def _buffer_kwargs(settings: TrainSettings) -> dict[str, Any]:
    """The rollout buffer of ``algo.discount=per_time`` (SB3's default otherwise)."""
    if settings.discount != "per_time":
        return {}
    cls = TimeDiscountRolloutBuffer if settings.algo.masked else TimeDiscountPlainRolloutBuffer
    return {"rollout_buffer_class": cls}


def _threads(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"torch_threads: {value!r}; use a positive integer, or null for all cores")
    return value


def apply_cost_overrides(
    scenario: Scenario, overrides: Mapping[str, Mapping[str, float]]
) -> Scenario:
    """A copy of ``scenario`` whose named call types have some CallCost weights replaced."""
    if not overrides:
        return scenario
    data = scenario.to_dict()
    by_name = {c["name"]: c for c in data["call_types"]}
    for name, weights in overrides.items():
        if name not in by_name:
            raise ScenarioError(
                f"reward.cost_overrides: unknown call type {name!r}; scenario "
                f"{scenario.name!r} has {sorted(by_name)}"
            )
        by_name[name]["cost"] = {**by_name[name].get("cost", {}), **dict(weights)}
    return Scenario.from_dict(data, source="reward.cost_overrides")


def train_env_seed(seed: int) -> int:
    """The seed of the first training day (environment ``i`` gets ``+ i``), derived from the
    run's seed: a 31-bit number, so training never replays benchmark seeds 0..N."""
    state = np.random.SeedSequence([seed, 0x7EA1]).generate_state(1)[0]
    return int(state) % 2**31 | 2**30


def make_env(settings: TrainSettings, scenario: Scenario | None = None) -> gym.Env:
    """One training environment with the trainer's wrapper (see :mod:`rlroute.rl.wrappers`).

    Invalid actions of unmasked algorithms are the env's business (``env.invalid_action``:
    its fallback rule by default, or an error); masked algorithms never send one.
    """
    from rlroute.rl.envinfo import make_base_env

    env = make_base_env(
        settings.env_id,
        scenario or settings.scenario,
        reward_scale=settings.reward_scale,
        work_conserving=settings.work_conserving,
        invalid_action=settings.invalid_action,
        **settings.env_kwargs,
    )
    if settings.skip_forced:
        env = SkipForcedDecisions(env)
    return env


#: Training env backends (``env.backend``): ``fast`` steps all ``n_envs`` days in one batch
#: (:class:`rlroute.rl.vec_env.FastVecEnv`), ``reference`` is a ``DummyVecEnv`` of
#: ``Monitor(SkipForcedDecisions(gym.make(env.id)))``. Both give the same samples, bit for bit.
BACKENDS = ("fast", "reference")


def fast_backend_problem(settings: TrainSettings) -> str | None:
    """Why the fast backend cannot serve ``settings`` (naming the setting), or None."""
    if settings.env_id != ENV_ID:
        return f"env.id={settings.env_id!r}: the fast backend implements {ENV_ID} only"
    other = sorted(set(settings.env_kwargs) - set(SUPPORTED_ENV_KWARGS))
    if other:
        return (
            f"env.kwargs.{other[0]}: the fast backend implements env.kwargs "
            f"{list(SUPPORTED_ENV_KWARGS)} only"
        )
    return None


def make_vec_env(settings: TrainSettings, train_scenario: Scenario) -> VecEnv:
    """The training environments of ``settings.backend``. A setting the fast backend does not
    implement (another env id, env kwargs it lacks) is refused with an error naming it: the
    reference backend is 4x slower, so switching silently would hide the cost."""
    from stable_baselines3.common.monitor import Monitor

    if settings.backend == "fast":
        problem = fast_backend_problem(settings)
        if problem is not None:
            raise ValueError(f"{problem}; set env.backend=reference to train with it")
        return FastVecEnv(
            train_scenario,
            settings.n_envs,
            reward_scale=settings.reward_scale,
            work_conserving=settings.work_conserving,
            invalid_action=settings.invalid_action,
            skip_forced=settings.skip_forced,
            **settings.env_kwargs,
        )
    venv = DummyVecEnv(
        [(lambda: Monitor(make_env(settings, train_scenario))) for _ in range(settings.n_envs)]
    )
    return venv


def _logger(run_dir: Path, settings: TrainSettings, resume_step: int | None) -> Logger:
    formats: list[Any] = [_ResumableCSV(run_dir / "progress.csv", resume_step)]
    if settings.tensorboard:
        formats.append(TensorBoardOutputFormat(str(run_dir / "tb")))
    if settings.verbose > 0:
        formats.append(HumanOutputFormat(sys.stdout))
    return Logger(folder=str(run_dir), output_formats=formats)


class _ResumableCSV(CSVOutputFormat):
    """SB3's CSV writer, but a resumed run keeps the rows up to its checkpoint."""

    def __init__(self, filename: Path, resume_step: int | None) -> None:
        self.separator, self.quotechar = ",", '"'
        self.keys: list[str] = []
        if resume_step is not None and filename.exists():
            import csv

            with open(filename, newline="") as f:
                rows = list(csv.reader(f))
            self.file = open(filename, "w+")  # noqa: SIM115 - closed by Logger.close
            if rows:
                self.keys = rows[0]
                col = (
                    self.keys.index("time/total_timesteps")
                    if "time/total_timesteps" in self.keys
                    else None
                )
                keep = [
                    r for r in rows[1:] if col is None or not r[col] or float(r[col]) <= resume_step
                ]
                w = csv.writer(self.file, lineterminator="\n")
                w.writerow(self.keys)
                w.writerows(keep)
                self.file.flush()
        else:
            self.file = open(filename, "w+")  # noqa: SIM115 - closed by Logger.close


def _truncate_jsonl(path: Path, step: int) -> None:
    if path.exists():
        rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        _atomic_write(path, "".join(json.dumps(r) + "\n" for r in rows if r["step"] <= step))


def train(cfg: Mapping[str, Any], run_dir: str | Path) -> dict[str, float]:
    """Train (or resume) one run into ``run_dir``; returns the final eval KPIs.

    The returned mapping has ``eval/<kpi>`` keys (``eval/cost_per_call`` first), the metric a
    sweeper optimises.
    """
    t_start = time.perf_counter()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    plain_cfg = copy.deepcopy(dict(cfg))
    settings = TrainSettings.from_config(plain_cfg)
    configure_torch(settings.torch_threads, settings.torch_deterministic, settings.device)
    spec = settings.algo
    train_scenario = apply_cost_overrides(settings.scenario, settings.cost_overrides)
    layout = env_layout(settings.env_id, settings.scenario, **settings.env_options)
    info = RunInfo(
        env_id=layout.env_id,
        env_version=layout.env_version,
        scenario=settings.scenario.name,
        scenario_hash=config_hash(settings.scenario.to_dict()),
        algo=spec.name,
        observation_names=layout.observation_names,
        action_names=layout.action_names,
        env_options=settings.env_options,
        seed=settings.seed,
        config_hash=config_hash(plain_cfg),
        rlroute_version=rlroute.__version__,
        delivered=settings.deliver,
        reproducibility=reproducibility_record(),
    )

    venv = make_vec_env(settings, train_scenario)
    ckpt = latest_checkpoint(run_dir) if settings.resume else None
    if settings.resume and ckpt is None:
        log.warning("resume=true but %s has no checkpoint: starting from scratch", run_dir)
    best: dict[str, Any] | None = None
    if ckpt is not None:
        model, venv, resume_step = _load_checkpoint(ckpt, venv, settings, info, run_dir)
        _truncate_jsonl(run_dir / EVAL_LOG_FILE, resume_step)
        best_file = run_dir / "best" / "best.json"
        if best_file.exists():
            best = json.loads(best_file.read_text())
        log.info("resumed %s at step %d from %s", run_dir, resume_step, ckpt)
    else:
        resume_step = None
        if settings.norm_obs or settings.norm_reward:
            venv = VecNormalize(
                venv,
                norm_obs=settings.norm_obs,
                norm_reward=settings.norm_reward,
                clip_obs=settings.clip_obs,
                gamma=float(settings.hyperparams.get("gamma", 0.99)),
            )
        model = spec.load_class()(
            settings.policy,
            venv,
            seed=settings.seed,
            device=settings.device,
            verbose=settings.verbose,
            **sb3_kwargs(settings.hyperparams),
            **_buffer_kwargs(settings),
        )
        # SB3 seeds environment i with seed + i, which would replay the benchmark's days
        # 0, 1, ... (a seeded reset replays Simulator(scenario, seed)). Training days come from
        # a seed derived from ``seed`` instead, far from the small benchmark seeds.
        venv.seed(train_env_seed(settings.seed))
        for f in ("progress.csv", EVAL_LOG_FILE):
            (run_dir / f).unlink(missing_ok=True)
    model.set_logger(_logger(run_dir, settings, resume_step))
    imitation = ImitationSettings.from_config(plain_cfg.get("imitation"))
    if imitation.enabled and ckpt is None:
        # Warm start: clone the teacher (and its returns into the critic) before PPO.
        summary = pretrain(model, settings, imitation, scenario=train_scenario)
        _atomic_write(run_dir / "imitation.json", json.dumps(summary, indent=2, default=str))
        log.info("imitation: %s", summary["rounds"][-1])

    from rlroute.rl.router import router_from_model

    def factory(m: Any, norm: ObsNorm) -> Any:
        return router_from_model(m, norm, layout, settings.env_options)

    evaluator = KPIEvalCallback(
        settings.scenario, settings.eval_seeds, settings.eval_freq, run_dir, factory, best
    )
    if ckpt is not None and (run_dir / EVAL_LOG_FILE).exists():  # evaluations already done
        text = (run_dir / EVAL_LOG_FILE).read_text()
        evaluator.history = [json.loads(x) for x in text.splitlines() if x.strip()]
    checkpoint = ResumableCheckpoint(
        run_dir,
        settings.checkpoint_freq,
        settings.checkpoint_keep,
        state=lambda: {"best": evaluator.best, "config_hash": info.config_hash},
    )
    info.save(run_dir)  # early, so a crashed run's checkpoints are already usable
    (run_dir / "config.yaml").write_text(yaml.safe_dump(plain_cfg, sort_keys=False))
    if imitation.enabled and ckpt is None:  # the clone itself is a candidate for delivery
        evaluator.init_callback(model)
        evaluator.evaluate()
    remaining = settings.total_timesteps - model.num_timesteps
    callbacks: list[Any] = [checkpoint, evaluator]
    if settings.discount == "per_time":
        callbacks.insert(0, ElapsedTimeDiscount(settings.time_scale_s))
    if remaining > 0:
        model.learn(
            remaining,
            callback=callbacks,
            progress_bar=settings.progress_bar,
            reset_num_timesteps=ckpt is None,
        )
    else:  # a finished run resumed: nothing to train, callbacks never started
        evaluator.init_callback(model)
        checkpoint.init_callback(model)
    last_eval = evaluator.history[-1]["step"] if evaluator.history else -1
    if last_eval != model.num_timesteps:
        evaluator.evaluate()
    if latest_checkpoint(run_dir) != run_dir / CHECKPOINT_DIR / f"step_{model.num_timesteps:012d}":
        checkpoint.save()

    # Deliver: model.zip + vecnormalize.pkl (best eval policy or the last one).
    model.save(run_dir / "last_model.zip")
    vn = model.get_vec_normalize_env()
    if vn is not None:
        vn.save(str(run_dir / "last_vecnormalize.pkl"))
    src_model, src_vn, step = (
        run_dir / "last_model.zip",
        run_dir / "last_vecnormalize.pkl",
        model.num_timesteps,
    )
    if settings.deliver == "best" and (run_dir / "best" / MODEL_FILE).exists():
        src_model, src_vn = run_dir / "best" / MODEL_FILE, run_dir / "best" / VECNORM_FILE
        step = int(evaluator.best["step"])
    (run_dir / MODEL_FILE).write_bytes(src_model.read_bytes())
    if src_vn.exists():
        (run_dir / VECNORM_FILE).write_bytes(src_vn.read_bytes())
        write_obs_norm(run_dir / VECNORM_FILE)  # the same statistics as JSON, for serving
    info.delivered_step = step
    info.num_timesteps = int(model.num_timesteps)
    info.save(run_dir)

    # Final evaluation of the delivered policy (optionally on more seeds).
    from rlroute.rl.router import SB3Router

    final_seeds = settings.final_eval_seeds or settings.eval_seeds
    kpis = evaluate_router(settings.scenario, lambda: SB3Router(run_dir), final_seeds)
    metrics = {f"eval/{k}": v for k, v in kpis.items()}
    metrics["train/num_timesteps"] = float(model.num_timesteps)
    metrics["train/delivered_step"] = float(step)
    metrics["train/wall_s"] = time.perf_counter() - t_start  # this invocation, evals included
    _atomic_write(run_dir / METRICS_FILE, json.dumps(metrics, indent=2))
    model.logger.close()
    venv.close()
    return metrics


def _load_checkpoint(
    ckpt: Path, venv: VecEnv, settings: TrainSettings, info: RunInfo, run_dir: Path
) -> tuple[Any, VecEnv, int]:
    """Model + normalisation + step count of a checkpoint, checked against this run's layout."""
    old = RunInfo.load(run_dir) if (run_dir / "run.json").exists() else None
    where = f"resume from {ckpt}"
    if old is not None:
        if old.algo != info.algo:
            raise RunError(
                f"{where}: checkpoint was trained with algo {old.algo!r}, config says {info.algo!r}"
            )
        check_names("observation", old.observation_names, info.observation_names, where)
        check_names("action", old.action_names, info.action_names, where)
        changed = differences(old.reproducibility, info.reproducibility)
        if changed:
            log.warning(
                "%s: the run started with other arithmetic settings, so its continuation will "
                "not be bit-identical to an uninterrupted run: %s",
                where,
                "; ".join(changed),
            )
    state = json.loads((ckpt / "state.json").read_text())
    step = int(state["num_timesteps"])
    vn_path = ckpt / VECNORM_FILE
    if vn_path.exists():
        venv = VecNormalize.load(str(vn_path), venv)
        venv.training = True
    try:
        model = settings.algo.load_class().load(ckpt / MODEL_FILE, env=venv, device=settings.device)
    except ValueError as exc:
        raise RunError(f"{where}: checkpoint does not fit this environment: {exc}") from exc
    if settings.algo.off_policy and (ckpt / "replay_buffer.pkl").exists():
        model.load_replay_buffer(ckpt / "replay_buffer.pkl")  # type: ignore[attr-defined]
    model.num_timesteps = step
    # Deterministic continuation: the environments restart from a seed derived from the step.
    venv.seed(train_env_seed(settings.seed) + step)
    return model, venv, step


__all__ = [
    "BACKENDS",
    "TrainSettings",
    "apply_cost_overrides",
    "fast_backend_problem",
    "make_env",
    "make_vec_env",
    "train",
]
