"""Training runs end to end: outputs, determinism, resume after a crash, bad checkpoints."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from rlroute.rl.callbacks import ResumableCheckpoint
from rlroute.rl.runs import RunError, RunInfo, load_run
from rlroute.rl.train import train


def test_run_directory_has_everything(tiny_run) -> None:
    run_dir, metrics = tiny_run
    for name in (
        "model.zip",
        "vecnormalize.pkl",
        "obs_norm.json",
        "run.json",
        "metrics.json",
        "progress.csv",
        "eval.jsonl",
    ):
        assert (run_dir / name).exists(), name
    ckpts = sorted((run_dir / "checkpoints").glob("step_*"))
    assert ckpts and (ckpts[-1] / "obs_norm.json").exists()
    assert math.isfinite(metrics["eval/cost_per_call"]) and metrics["eval/cost_per_call"] > 0
    assert 0 <= metrics["eval/service_level"] <= 1
    info = RunInfo.load(run_dir)
    assert info.algo == "maskable_ppo" and info.num_timesteps == 512
    assert len(info.action_names) == len(info.observation_names) or info.action_names[-1] == "hold"
    rows = _csv_rows(run_dir / "progress.csv")
    assert rows and "eval/cost_per_call" in rows[0]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _params(run_dir: Path) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in load_run(run_dir).model.policy.parameters()]


def _flat(prefix: str, value: object, out: dict[str, np.ndarray]) -> None:
    if isinstance(value, torch.Tensor):
        out[prefix] = value.detach().numpy().copy()
    elif isinstance(value, np.ndarray | int | float):
        out[prefix] = np.asarray(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}/{k}", v, out)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _flat(f"{prefix}/{i}", v, out)


def saved_arrays(run_dir: Path) -> dict[str, np.ndarray]:
    """Every tensor saved with the delivered policy (weights, optimizer moments) and every
    VecNormalize statistic, by name."""
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(run_dir / "model.zip") as z:
        for name in z.namelist():
            if name.endswith(".pth"):
                _flat(name, torch.load(io.BytesIO(z.read(name)), weights_only=True), out)
    with open(run_dir / "vecnormalize.pkl", "rb") as f:
        vn = pickle.load(f)
    for rms in ("obs_rms", "ret_rms"):
        for stat in ("mean", "var", "count"):
            out[f"vecnormalize/{rms}/{stat}"] = np.asarray(getattr(getattr(vn, rms), stat))
    return out


def assert_same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    differ = [k for k in a if a[k].tobytes() != b[k].tobytes()]
    assert not differ, f"not bit-identical: {differ}"


def test_same_seed_same_policy(tmp_path, tiny_config) -> None:
    """SB3's test_deterministic idea: one seed fixes every number of a training run."""
    cfg = tiny_config("total_timesteps=256", "checkpoint.freq=0", "deliver=last")
    a = train(cfg, tmp_path / "a")
    b = train(cfg, tmp_path / "b")
    train(
        tiny_config("total_timesteps=256", "checkpoint.freq=0", "deliver=last", "seed=1"),
        tmp_path / "c",
    )
    sa, sb, sc = (saved_arrays(tmp_path / x) for x in "abc")
    assert any(k.startswith("policy.pth/") for k in sa)
    assert any(k.startswith("policy.optimizer.pth/") for k in sa)
    assert_same_arrays(sa, sb)
    a.pop("train/wall_s"), b.pop("train/wall_s")
    assert a == b  # the same KPIs to the last bit
    assert any(sa[k].tobytes() != sc[k].tobytes() for k in sa if k.startswith("policy.pth/"))


def test_run_json_records_the_arithmetic(tiny_run) -> None:
    run_dir, _ = tiny_run
    rec = RunInfo.load(run_dir).reproducibility
    assert rec["torch_threads"] == 1
    assert rec["torch_deterministic_algorithms"] is True
    assert rec["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert rec["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert set(rec["versions"]) >= {"numpy", "stable-baselines3", "sb3-contrib", "gymnasium"}


@pytest.mark.parametrize("value", [0, -1, 1.5, "two", True])
def test_bad_torch_threads_fail_clearly(tiny_config, value) -> None:
    from rlroute.rl.train import TrainSettings

    with pytest.raises(ValueError, match="torch_threads"):
        TrainSettings.from_config({**tiny_config(), "torch_threads": value})


def _resume_lines(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.getMessage().startswith("resumed ") for r in caplog.records)


def test_resume_after_crash(tmp_path, monkeypatch, tiny_config, caplog) -> None:
    cfg = tiny_config("total_timesteps=768")
    saved = []
    real_save = ResumableCheckpoint.save

    def crashing_save(self):
        path = real_save(self)
        saved.append(path)
        if len(saved) == 2:
            raise RuntimeError("simulated crash")
        return path

    monkeypatch.setattr(ResumableCheckpoint, "save", crashing_save)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(cfg, tmp_path)
    monkeypatch.setattr(ResumableCheckpoint, "save", real_save)
    assert not (tmp_path / "metrics.json").exists()
    steps_before = [
        int(float(r["time/total_timesteps"])) for r in _csv_rows(tmp_path / "progress.csv")
    ]

    with caplog.at_level(logging.INFO, logger="rlroute.rl.train"):
        metrics = train({**cfg, "resume": True}, tmp_path)
    assert _resume_lines(caplog) == 1
    assert metrics["train/num_timesteps"] == 768
    info = RunInfo.load(tmp_path)
    assert info.num_timesteps == 768
    rows = _csv_rows(tmp_path / "progress.csv")
    steps = [int(float(r["time/total_timesteps"])) for r in rows if r["time/total_timesteps"]]
    assert steps == sorted(steps) and len(steps) == len(set(steps))
    assert set(s for s in steps_before if s <= 512) <= set(steps)  # finished work kept
    evals = [json.loads(x)["step"] for x in (tmp_path / "eval.jsonl").read_text().splitlines()]
    assert evals == sorted(set(evals))

    # Resuming a finished run trains nothing and repeats no evaluation.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="rlroute.rl.train"):
        again = train({**cfg, "resume": True}, tmp_path)
    assert _resume_lines(caplog) == 1
    assert again["train/num_timesteps"] == 768
    assert again["eval/cost_per_call"] == metrics["eval/cost_per_call"]
    evals2 = [json.loads(x)["step"] for x in (tmp_path / "eval.jsonl").read_text().splitlines()]
    assert evals2 == evals


def test_resume_with_other_layout_fails_clearly(tiny_run, tmp_path, tiny_config) -> None:
    run_dir, _ = tiny_run
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    cfg = tiny_config("scenario=single_pool", "total_timesteps=1024")
    with pytest.raises(RunError, match="observation layout does not match"):
        train({**cfg, "resume": True}, copy)


def test_model_from_other_layout_fails_clearly(tiny_run, tmp_path) -> None:
    run_dir, _ = tiny_run
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    info = json.loads((copy / "run.json").read_text())
    info["observation_names"] = info["observation_names"][:-1]
    (copy / "run.json").write_text(json.dumps(info))
    with pytest.raises(RunError, match=r"takes .* observations but run.json names"):
        load_run(copy)


def test_run_of_another_env_version_is_refused(tiny_run, tmp_path) -> None:
    """A run records the env it was trained on; loading it for another version fails naming
    both (here a run of v0, which v1 replaced), before the model is even read."""
    run_dir, _ = tiny_run
    import shutil

    info = RunInfo.load(run_dir)
    assert (info.env_id, info.env_version, info.env_revalidated) == ("rlroute/CallCenter-v1", 1, {})
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    data = json.loads((copy / "run.json").read_text())
    data.update(env_id="rlroute/CallCenter-v0", env_version=0)
    (copy / "run.json").write_text(json.dumps(data))
    with pytest.raises(
        RunError,
        match=r"run.json: the policy was trained on rlroute/CallCenter-v0 \(v0\) but this "
        r"rlroute provides rlroute/CallCenter-v1 \(v1\)",
    ):
        load_run(copy)


def test_torch_stays_on_few_threads(tiny_run) -> None:
    assert torch.get_num_threads() == 1


@pytest.mark.slow
def test_separate_processes_same_weights(tmp_path) -> None:
    """Item 7: ``rlroute-train`` twice with one seed, in fresh processes with different Python
    hash seeds, gives bit-identical weights, optimizer state and VecNormalize statistics;
    another seed gives other weights."""
    import os
    import subprocess
    import sys

    def run(name: str, hashseed: str, *extra: str) -> dict[str, np.ndarray]:
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        res = subprocess.run(
            [sys.executable, "-m", "rlroute.cli.train", "experiment=ci_tiny",
             "total_timesteps=3072", "eval.freq=1024", "checkpoint.freq=1024",
             "progress_bar=false", f"hydra.run.dir={tmp_path / name}", *extra],
            capture_output=True, text=True, env=env, timeout=900,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr[-3000:]
        return saved_arrays(tmp_path / name)

    a = run("a", "1")
    b = run("b", "2")
    assert_same_arrays(a, b)
    c = run("c", "1", "seed=1")
    assert any(a[k].tobytes() != c[k].tobytes() for k in a if k.startswith("policy.pth/"))
