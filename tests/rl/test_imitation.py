"""Behaviour cloning of a teacher router: the clone acts like the teacher, reproducibly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rlroute.rl.imitation import (
    ImitationSettings,
    agreement,
    imitation_day_seed,
    make_teacher,
    pretrain,
)
from rlroute.rl.train import TrainSettings, make_vec_env
from rlroute.scenario import truncate_intervals

INDEX = Path(__file__).parents[2] / "experiments/tuned_baselines/heterogeneous_index.json"


def _model(tiny_config: Any, seed: int = 0) -> tuple[Any, TrainSettings]:
    from stable_baselines3.common.vec_env import VecNormalize

    from rlroute.rl.algos import sb3_kwargs
    from rlroute.rl.determinism import configure_torch

    settings = TrainSettings.from_config(tiny_config(f"seed={seed}"))
    configure_torch(1, True, "cpu")
    venv = VecNormalize(make_vec_env(settings, settings.scenario), norm_reward=True)
    model = settings.algo.load_class()(
        "MlpPolicy", venv, seed=seed, **sb3_kwargs(settings.hyperparams)
    )
    return model, settings


def _cfg(teacher: Any, **kw: Any) -> ImitationSettings:
    base = {"enabled": True, "teacher": teacher, "n_days": 2, "epochs": 15, "horizon_intervals": 8}
    return ImitationSettings.from_config({**base, **kw})


@pytest.mark.parametrize("teacher", ["cmu_theta", {"name": "index", "path": str(INDEX)}])
def test_clone_reproduces_the_teacher(tiny_config: Any, teacher: Any) -> None:
    model, settings = _model(tiny_config)
    summary = pretrain(model, settings, _cfg(teacher))
    assert summary["rounds"][0]["samples"] > 1000
    # Days the clone never saw (teacher's own states), same truncated scenario.
    scenario = truncate_intervals(settings.scenario, 8)
    fresh = [2**30 + 7, 2**30 + 8]
    assert agreement(model, settings, make_teacher(teacher), fresh, scenario=scenario) >= 0.95


def test_dagger_and_reproducible_weights(tiny_config: Any) -> None:
    runs = []
    for _ in range(2):
        model, settings = _model(tiny_config, seed=3)
        summary = pretrain(model, settings, _cfg("cmu_theta", epochs=3, n_days=1, dagger_rounds=1))
        runs.append([p.detach().numpy().copy() for p in model.policy.parameters()])
        vn = model.get_vec_normalize_env()
        assert vn.obs_rms.count > 100  # normalisation set from the teacher's days
    assert [r["round"] for r in summary["rounds"]] == [0, 1]
    assert summary["rounds"][1]["samples"] > summary["rounds"][0]["samples"]
    assert 0 < summary["rounds"][1]["student_agreement"] <= 1
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


def test_imitation_days_are_not_benchmark_or_eval_days() -> None:
    for seed in range(20):
        for r in range(3):
            assert imitation_day_seed(seed, r) >= 2**30
    assert imitation_day_seed(0, 0) != imitation_day_seed(0, 1)


def test_bad_imitation_config_is_named() -> None:
    with pytest.raises(ValueError, match="imitation: unknown key"):
        ImitationSettings.from_config({"teachr": "cmu"})
    with pytest.raises(ValueError, match=r"imitation\.n_days"):
        ImitationSettings.from_config({"n_days": 0})
    with pytest.raises(ValueError, match=r"imitation\.teacher"):
        ImitationSettings.from_config({"teacher": {"path": "x.json"}})


def test_train_with_imitation_evaluates_the_clone(tiny_config: Any, tmp_path: Path) -> None:
    import json

    from rlroute.rl.train import train

    cfg = tiny_config(
        "imitation.enabled=true",
        "imitation.n_days=1",
        "imitation.epochs=2",
        "imitation.horizon_intervals=4",
    )
    train(cfg, tmp_path)
    assert (tmp_path / "imitation.json").exists()
    steps = [json.loads(x)["step"] for x in (tmp_path / "eval.jsonl").read_text().splitlines()]
    assert steps[0] == 0 and steps[-1] > 0
