"""A training run on disk: where its files are, what it was trained on, and how to load it.

``rlroute-train`` writes one run directory per run::

    model.zip            the delivered policy (SB3 zip; best or last eval, see run.json)
    vecnormalize.pkl     observation normalisation (SB3 VecNormalize) of that policy
    run.json             RunInfo: env id and version, observation and action names, algo, ...
    metrics.json         final evaluation KPIs (what a sweeper optimises)
    config.yaml          the resolved training config
    progress.csv, tb/    SB3 logger output; eval.jsonl: periodic KPI evaluations
    checkpoints/         latest checkpoints, for resuming after a crash
    .hydra/              Hydra's own record (composed config, overrides)

Everything that serves a trained model (the SB3 router, the ONNX exporter) goes through
:func:`load_run`, which checks the observation layout the run was trained with.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.zip"
VECNORM_FILE = "vecnormalize.pkl"
RUN_INFO_FILE = "run.json"
METRICS_FILE = "metrics.json"
EVAL_LOG_FILE = "eval.jsonl"
CHECKPOINT_DIR = "checkpoints"


class RunError(ValueError):
    """A run directory or model that cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class ObsNorm:
    """Observation normalisation: ``clip((obs - mean) / sqrt(var + eps), -clip, clip)``.

    The same arithmetic as SB3's ``VecNormalize.normalize_obs``; an identity when the run did
    not normalise (mean 0, var 1 - eps, clip inf).
    """

    mean: np.ndarray
    var: np.ndarray
    eps: float = 1e-8
    clip: float = float("inf")

    @classmethod
    def identity(cls, dim: int) -> ObsNorm:
        return cls(np.zeros(dim), np.full(dim, 1.0 - 1e-8), 1e-8, float("inf"))

    @classmethod
    def from_vecnormalize(cls, vn: Any) -> ObsNorm:
        """Copy the statistics of a (possibly still training) VecNormalize."""
        if not vn.norm_obs:
            return cls.identity(int(np.prod(vn.observation_space.shape)))
        rms = vn.obs_rms
        return cls(
            np.array(rms.mean, dtype=np.float64),
            np.array(rms.var, dtype=np.float64),
            float(vn.epsilon),
            float(vn.clip_obs),
        )

    @classmethod
    def load(cls, path: str | Path) -> ObsNorm:
        """Read a ``vecnormalize.pkl`` without building an environment."""
        try:
            with open(path, "rb") as f:
                vn = pickle.load(f)
        except FileNotFoundError:
            raise RunError(f"{path}: no observation-normalisation file") from None
        return cls.from_vecnormalize(vn)

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var + self.eps)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        out = (np.asarray(obs, dtype=np.float64) - self.mean) / self.std
        return np.clip(out, -self.clip, self.clip).astype(np.float32)


@dataclass
class RunInfo:
    """What a run was trained on; written to ``run.json`` and checked before serving it."""

    env_id: str
    env_version: int
    scenario: str
    scenario_hash: str
    algo: str
    observation_names: list[str]
    action_names: list[str]
    env_options: dict[str, Any]
    seed: int
    config_hash: str
    rlroute_version: str
    delivered: str = "last"  # which policy model.zip holds: "last" or "best" (eval)
    delivered_step: int = 0
    num_timesteps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / RUN_INFO_FILE
        _atomic_write(path, json.dumps(asdict(self), indent=2, sort_keys=True))
        return path

    @classmethod
    def load(cls, run_dir: str | Path) -> RunInfo:
        path = Path(run_dir) / RUN_INFO_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise RunError(
                f"{path}: missing; is {Path(run_dir)} an rlroute-train output directory?"
            ) from None
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def check_layout(
        self, observation_names: list[str], action_names: list[str], where: str
    ) -> None:
        """Fail clearly when the environment's layout is not the one the policy learned."""
        check_names("observation", self.observation_names, observation_names, where)
        check_names("action", self.action_names, action_names, where)


def check_names(kind: str, expected: list[str], actual: list[str], where: str) -> None:
    """Raise a RunError naming the first difference between two name lists."""
    expected, actual = list(expected), list(actual)
    if expected == actual:
        return
    if len(expected) != len(actual):
        detail = f"the policy has {len(expected)} {kind}s, the environment {len(actual)}"
    else:
        i = next(i for i, (a, b) in enumerate(zip(expected, actual)) if a != b)
        detail = f"{kind} {i} is {expected[i]!r} in the policy but {actual[i]!r} here"
    raise RunError(
        f"{where}: {kind} layout does not match the environment: {detail}\n"
        f"  policy: {expected}\n  env:    {actual}"
    )


def config_hash(config: Any) -> str:
    """A short, stable hash of a (plain, JSON-able) config."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def resolve_model(path: str | Path) -> tuple[Path, Path]:
    """``(run_dir, model_zip)`` for a run directory or a model ``.zip`` inside one."""
    path = Path(path)
    if path.is_dir():
        model = path / MODEL_FILE
        if not model.exists():
            raise RunError(f"{path}: no {MODEL_FILE}; is this an rlroute-train output directory?")
        return path, model
    if path.suffix == ".zip" and path.exists():
        run_dir = path.parent
        while not (run_dir / RUN_INFO_FILE).exists() and run_dir != run_dir.parent:
            run_dir = run_dir.parent
        if not (run_dir / RUN_INFO_FILE).exists():
            raise RunError(f"{path}: no {RUN_INFO_FILE} in any parent directory")
        return run_dir, path
    raise RunError(f"{path}: not a run directory or a model .zip")


def vecnorm_for(model_zip: Path) -> Path:
    """The normalisation file saved next to a model (``x.zip`` -> ``x_vecnormalize.pkl`` for
    checkpoints, ``vecnormalize.pkl`` beside ``model.zip``)."""
    if model_zip.name == MODEL_FILE:
        return model_zip.with_name(VECNORM_FILE)
    return model_zip.with_name(model_zip.stem + "_" + VECNORM_FILE)


@dataclass
class LoadedRun:
    """A trained SB3 model with its normalisation and run info (CPU, eval mode)."""

    model: Any
    obs_norm: ObsNorm
    info: RunInfo
    run_dir: Path
    model_path: Path


def load_run(path: str | Path, device: str = "cpu") -> LoadedRun:
    """Load a run directory (or one of its model zips) for inference."""
    from rlroute.rl.algos import get_algo

    run_dir, model_path = resolve_model(path)
    info = RunInfo.load(run_dir)
    spec = get_algo(info.algo)
    vn_path = vecnorm_for(model_path)
    obs_norm = (
        ObsNorm.load(vn_path) if vn_path.exists() else ObsNorm.identity(len(info.observation_names))
    )
    try:
        model = spec.load_class().load(model_path, device=device)
    except Exception as exc:
        raise RunError(f"{model_path}: cannot load as {info.algo}: {exc}") from exc
    obs_dim = int(np.prod(model.observation_space.shape))  # type: ignore[arg-type]
    if obs_dim != len(info.observation_names):
        raise RunError(
            f"{model_path}: the model takes {obs_dim} observations but {RUN_INFO_FILE} names "
            f"{len(info.observation_names)}"
        )
    model.policy.set_training_mode(False)
    return LoadedRun(model, obs_norm, info, run_dir, model_path)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


__all__ = [
    "CHECKPOINT_DIR",
    "EVAL_LOG_FILE",
    "METRICS_FILE",
    "MODEL_FILE",
    "RUN_INFO_FILE",
    "VECNORM_FILE",
    "LoadedRun",
    "ObsNorm",
    "RunError",
    "RunInfo",
    "check_names",
    "config_hash",
    "load_run",
    "resolve_model",
    "vecnorm_for",
]
