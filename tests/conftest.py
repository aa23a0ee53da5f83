"""Tiny training runs shared by the RL and export tests (a few hundred steps each).

One session-scoped ``tiny_run`` serves ``tests/rl`` and ``tests/export`` (one training per test
process). Hydra and the trainer are imported on first use, so the other test directories do
not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _tiny_config(*overrides: str) -> dict[str, Any]:
    """A run of a few hundred steps with one short eval (per-algorithm rollout sizes)."""
    base = [
        "scenario=heterogeneous",
        "n_envs=2",
        "total_timesteps=512",
        "eval.freq=0",
        "eval.seeds=[100000]",
        "checkpoint.freq=256",
        "tensorboard=false",
    ]
    algo = next((o.split("=", 1)[1] for o in overrides if o.startswith("algo=")), "maskable_ppo")
    base += {
        "maskable_ppo": ["algo.hyperparams.n_steps=128", "algo.hyperparams.batch_size=64"],
        "ppo": ["algo.hyperparams.n_steps=128", "algo.hyperparams.batch_size=64"],
        "a2c": ["algo.hyperparams.n_steps=8"],
        "dqn": ["algo.hyperparams.learning_starts=128", "algo.hyperparams.buffer_size=2000"],
    }[algo]
    if algo in ("maskable_ppo", "ppo"):
        base.append("algo.hyperparams.n_epochs=2")
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from rlroute.scenarios import config_dir

    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=[*base, *overrides])
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    from rlroute.rl.train import train

    run_dir = tmp_path_factory.mktemp("tiny_run")
    metrics = train(_tiny_config(), run_dir)
    return run_dir, metrics


@pytest.fixture(scope="session")
def tiny_config() -> Any:
    """``tiny_config(*overrides) -> config dict`` for runs of a test's own."""
    return _tiny_config
