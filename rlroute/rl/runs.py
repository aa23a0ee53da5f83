"""A training run on disk: where its files are, what it was trained on, and how to load it.

``rlroute-train`` writes one run directory per run::

    model.zip            the delivered policy (SB3 zip; best or last eval, see run.json)
    vecnormalize.pkl     observation normalisation (SB3 VecNormalize, pickled) of that policy
    obs_norm.json        the same observation statistics as plain JSON (what serving reads)
    run.json             RunInfo: env id and version, observation and action names, algo,
                         torch threads / determinism flags / versions (reproducibility), ...
    metrics.json         final evaluation KPIs (what a sweeper optimises)
    config.yaml          the resolved training config
    progress.csv, tb/    SB3 logger output; eval.jsonl: periodic KPI evaluations
    checkpoints/         latest checkpoints, for resuming after a crash
    .hydra/              Hydra's own record (composed config, overrides)

Everything that serves a trained model (the SB3 router, the ONNX exporter) goes through
:func:`load_run`, which checks the observation layout the run was trained with.

Trust: unpickling executes code, and a run directory holds pickles (``vecnormalize.pkl``, and
SB3 unpickles parts of ``model.zip``), so load only run directories you trust. The
normalisation is read from ``obs_norm.json`` whenever it exists, and the ONNX exporter never
falls back to the pickle; ``python -m rlroute.rl.runs obs-norm RUN_DIR...`` writes the JSON once
for (trusted) runs made before it existed.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rlroute.envs.versions import env_version_problem

MODEL_FILE = "model.zip"
VECNORM_FILE = "vecnormalize.pkl"
OBS_NORM_FILE = "obs_norm.json"
OBS_NORM_FORMAT = 1
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
        """Read a ``vecnormalize.pkl`` without building an environment (unpickles: trusted
        files only; :meth:`load_json` reads the same statistics without pickle)."""
        try:
            with open(path, "rb") as f:
                vn = pickle.load(f)
        except FileNotFoundError:
            raise RunError(f"{path}: no observation-normalisation file") from None
        return cls.from_vecnormalize(vn)

    @classmethod
    def load_json(cls, path: str | Path) -> ObsNorm:
        """Read an ``obs_norm.json`` (see :func:`obs_norm_record`); no pickle involved."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise RunError(f"{path}: no observation-normalisation file") from None
        except json.JSONDecodeError as exc:
            raise RunError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != OBS_NORM_FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise RunError(f"{path}: format {got!r}, this rlroute reads {OBS_NORM_FORMAT}")
        missing = [k for k in ("norm_obs", "mean", "var", "epsilon", "clip_obs") if k not in data]
        if missing:
            raise RunError(f"{path}: missing fields {missing}")
        mean = np.asarray(data["mean"], dtype=np.float64)
        var = np.asarray(data["var"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != var.shape:
            raise RunError(f"{path}: mean and var must be lists of the same length")
        if not data["norm_obs"]:
            return cls.identity(len(mean))
        return cls(mean, var, float(data["epsilon"]), float(data["clip_obs"]))

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
    # torch threads, determinism flags, CPU kernel family, versions (rlroute.rl.determinism)
    reproducibility: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # Set when a policy trained on an older env version was re-validated under ``env_id``
    # (which version it was trained on, how it was checked); empty for runs trained on it.
    env_revalidated: dict[str, Any] = field(default_factory=dict)

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


def obs_norm_for(model_zip: Path) -> Path:
    """The JSON normalisation next to a model (``model.zip`` -> ``obs_norm.json``,
    ``x.zip`` -> ``x_obs_norm.json``), beside :func:`vecnorm_for`'s pickle."""
    if model_zip.name == MODEL_FILE:
        return model_zip.with_name(OBS_NORM_FILE)
    return model_zip.with_name(model_zip.stem + "_" + OBS_NORM_FILE)


def obs_norm_record(vn: Any) -> dict[str, Any]:
    """What serving needs of a VecNormalize, as plain JSON data: whether observations are
    normalised, their running mean and variance, epsilon and the clip."""
    rms = vn.obs_rms
    return {
        "format": OBS_NORM_FORMAT,
        "rule": "clip((obs - mean) / sqrt(var + epsilon), -clip_obs, clip_obs) if norm_obs",
        "norm_obs": bool(vn.norm_obs),
        "epsilon": float(vn.epsilon),
        "clip_obs": float(vn.clip_obs),
        "mean": [float(v) for v in np.ravel(rms.mean)],
        "var": [float(v) for v in np.ravel(rms.var)],
    }


def _json_beside(pkl: Path) -> Path:
    if pkl.name == VECNORM_FILE:
        return pkl.with_name(OBS_NORM_FILE)
    return pkl.with_name(pkl.name.removesuffix(VECNORM_FILE) + OBS_NORM_FILE)


def save_vecnormalize(vn: Any, path: str | Path) -> Path:
    """``vn.save(path)`` (the pickle, for resuming) plus the JSON statistics beside it."""
    path = Path(path)
    vn.save(str(path))
    out = _json_beside(path)
    _atomic_write(out, json.dumps(obs_norm_record(vn), indent=1) + "\n")
    return out


def write_obs_norm(path: str | Path) -> Path:
    """Write ``obs_norm.json`` from a run directory's ``vecnormalize.pkl`` (or from the given
    pickle), once, for runs made before the JSON existed. Unpickles: trusted files only."""
    path = Path(path)
    pkl = path / VECNORM_FILE if path.is_dir() else path
    try:
        with open(pkl, "rb") as f:
            vn = pickle.load(f)
    except FileNotFoundError:
        raise RunError(f"{pkl}: no {VECNORM_FILE} to convert") from None
    out = _json_beside(pkl)
    _atomic_write(out, json.dumps(obs_norm_record(vn), indent=1) + "\n")
    return out


def load_obs_norm(model_zip: Path, obs_dim: int, *, pickle_ok: bool = True) -> ObsNorm:
    """The normalisation of a model: its JSON if present; else its pickle (only if
    ``pickle_ok``); else the identity (the run did not normalise)."""
    json_path, pkl_path = obs_norm_for(model_zip), vecnorm_for(model_zip)
    if json_path.exists():
        norm = ObsNorm.load_json(json_path)
    elif pkl_path.exists():
        if not pickle_ok:
            raise RunError(
                f"{json_path}: missing, and the pickled {pkl_path.name} is not read here "
                f"(unpickling runs code). If you trust this run, write the JSON once with: "
                f"python -m rlroute.rl.runs obs-norm {pkl_path}"
            )
        norm = ObsNorm.load(pkl_path)
    else:
        return ObsNorm.identity(obs_dim)
    if len(norm.mean) != obs_dim:
        where = json_path if json_path.exists() else pkl_path
        raise RunError(
            f"{where}: normalises {len(norm.mean)} observations but the run has {obs_dim}"
        )
    return norm


@dataclass
class LoadedRun:
    """A trained SB3 model with its normalisation and run info (CPU, eval mode)."""

    model: Any
    obs_norm: ObsNorm
    info: RunInfo
    run_dir: Path
    model_path: Path


def load_run(path: str | Path, device: str = "cpu", *, pickle_ok: bool = True) -> LoadedRun:
    """Load a run directory (or one of its model zips) for inference.

    The normalisation comes from ``obs_norm.json`` when present; ``pickle_ok=False`` (the ONNX
    exporter) refuses to fall back to ``vecnormalize.pkl``. SB3 itself unpickles parts of
    ``model.zip``: load only runs you trust.
    """
    from rlroute.rl.algos import get_algo

    run_dir, model_path = resolve_model(path)
    info = RunInfo.load(run_dir)
    problem = env_version_problem(info.env_id, info.env_version)
    if problem is not None:
        raise RunError(f"{run_dir / RUN_INFO_FILE}: {problem}")
    spec = get_algo(info.algo)
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
    obs_norm = load_obs_norm(model_path, obs_dim, pickle_ok=pickle_ok)
    model.policy.set_training_mode(False)
    return LoadedRun(model, obs_norm, info, run_dir, model_path)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _main(argv: list[str] | None = None) -> int:
    """``python -m rlroute.rl.runs obs-norm PATH...``: write ``obs_norm.json`` beside each
    ``vecnormalize.pkl`` (PATH: a run directory or a pickle)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] != "obs-norm":
        print("usage: python -m rlroute.rl.runs obs-norm RUN_DIR_OR_PKL...")
        return 2
    for path in args[1:]:
        print(write_obs_norm(path))
    return 0


__all__ = [
    "CHECKPOINT_DIR",
    "EVAL_LOG_FILE",
    "METRICS_FILE",
    "MODEL_FILE",
    "OBS_NORM_FILE",
    "RUN_INFO_FILE",
    "VECNORM_FILE",
    "LoadedRun",
    "ObsNorm",
    "RunError",
    "RunInfo",
    "check_names",
    "config_hash",
    "load_obs_norm",
    "load_run",
    "obs_norm_for",
    "obs_norm_record",
    "resolve_model",
    "save_vecnormalize",
    "vecnorm_for",
    "write_obs_norm",
]


if __name__ == "__main__":
    raise SystemExit(_main())
