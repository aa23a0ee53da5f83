"""``rlroute-train`` as a command: a multirun survives a failing run, bad names are clear."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: A run of a few hundred steps with one evaluation day: the command's plumbing, not learning.
TINY_RUN = (
    "experiment=ci_tiny",
    "n_envs=2",
    "algo.hyperparams.n_steps=128",
    "eval.freq=0",
    "eval.seeds=[100000]",
    "checkpoint.freq=0",
)
#: The post-training benchmark, without plots or progress bars.
QUIET_BENCHMARK = ("benchmark.enabled=true", "benchmark.plots=false", "benchmark.progress=false")


def _train(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rlroute.cli.train", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_failing_run_does_not_take_the_sweep_down(tmp_path) -> None:
    res = _train(
        "-m",
        *TINY_RUN,
        "total_timesteps=256",
        "reward.reward_scale=1.0,oops",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert res.returncode == 0, res.stderr[-3000:]
    good, bad = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert json.loads((good / "metrics.json").read_text())["eval/cost_per_call"] > 0
    assert "oops" in (bad / "error.txt").read_text()
    assert not (bad / "metrics.json").exists()


def test_unknown_names_list_the_known_ones(tmp_path) -> None:
    res = _train("algo=sac", f"hydra.run.dir={tmp_path}")
    assert res.returncode == 1
    assert "Could not find 'algo/sac'" in res.stderr and "maskable_ppo" in res.stderr
    res = _train("scenario=atlantis", f"hydra.run.dir={tmp_path}")
    assert res.returncode == 1
    assert "Could not find 'scenario/atlantis'" in res.stderr and "heterogeneous" in res.stderr


@pytest.mark.slow
def test_optuna_sweep_runs(tmp_path) -> None:
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    res = _train(
        "-m",
        "experiment=optuna_maskable_ppo",
        "total_timesteps=512",
        "n_envs=2",
        "eval.freq=0",
        "eval.seeds=[100000]",
        "tensorboard=false",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.n_jobs=1",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Best value" in res.stdout + res.stderr
    assert len([p for p in tmp_path.iterdir() if (p / "metrics.json").exists()]) == 2


def test_train_then_benchmark_in_one_command(tmp_path) -> None:
    """``benchmark.enabled=true`` (the quickstart) benchmarks the delivered policy against the
    baselines on the same days, with rlroute-bench's outputs inside the run directory."""
    res = _train(
        *TINY_RUN,
        "total_timesteps=512",
        *QUIET_BENCHMARK,
        "benchmark.baselines=[fifo,cmu]",
        "benchmark.seeds=2",
        f"hydra.run.dir={tmp_path}",
    )
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [
        json.loads(x) for x in (tmp_path / "benchmark" / "results.jsonl").read_text().splitlines()
    ]
    assert sorted({r["router"] for r in rows}) == ["cmu", "fifo", "policy"]
    assert sorted({r["seed"] for r in rows}) == [0, 1]
    assert {r["scenario"] for r in rows} == {"heterogeneous"}
    summary = (tmp_path / "benchmark" / "summary.md").read_text()
    assert "| policy |" in summary and "router − fifo" in summary


def test_a_failed_post_training_gate_fails_the_command_readably(tmp_path) -> None:
    res = _train(
        *TINY_RUN,
        "total_timesteps=256",
        *QUIET_BENCHMARK,
        "benchmark.baselines=[fifo]",
        "benchmark.seeds=1",
        "benchmark.bands={heterogeneous: {policy: {cost_per_call: [null, 0.001]}}}",
        f"hydra.run.dir={tmp_path}",
    )
    assert res.returncode == 1
    assert "post-training benchmark" in res.stderr + res.stdout
    assert "cost_per_call" in res.stderr + res.stdout
    assert (tmp_path / "model.zip").exists()  # the trained run is kept
    assert (tmp_path / "benchmark" / "benchmark.json").exists()


def test_resume_is_logged_once(tiny_run, tmp_path) -> None:
    """Item 10: ``resume=true`` prints its "resumed ... at step" line once (console), and the
    run's log file has it once too."""
    import shutil

    run_dir, _ = tiny_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    res = _train(
        *TINY_RUN,
        "total_timesteps=512",
        "resume=true",
        "progress_bar=false",
        f"hydra.run.dir={copy}",
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert (res.stdout + res.stderr).count("resumed ") == 1, res.stdout + res.stderr
    assert (copy / "train.log").read_text().count("resumed ") == 1
