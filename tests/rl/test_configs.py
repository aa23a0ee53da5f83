"""Every training config composes (each algo, each experiment, launchers), and bad names fail
with the known ones listed."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException, MissingConfigException
from omegaconf import OmegaConf

from rlroute.rl.algos import ALGOS, get_algo, sb3_kwargs
from rlroute.rl.train import TrainSettings
from rlroute.scenarios import config_dir

ALGO_FILES = sorted(p.stem for p in (config_dir() / "algo").glob("*.yaml"))
EXPERIMENTS = sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))


def _compose(overrides: list[str], name: str = "train"):
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose(name, overrides=overrides, return_hydra_config=False)


def test_every_algo_file_is_a_known_algorithm() -> None:
    assert set(ALGO_FILES) == set(ALGOS)
    assert {"ppo", "maskable_ppo", "dqn", "a2c"} <= set(ALGO_FILES)


@pytest.mark.parametrize("algo", ALGO_FILES)
def test_algo_composes_into_settings(algo: str) -> None:
    cfg = _compose([f"algo={algo}"])
    plain = OmegaConf.to_container(cfg, resolve=True)
    settings = TrainSettings.from_config(plain)
    assert settings.algo.name == algo
    assert settings.scenario.name == "heterogeneous"
    kwargs = sb3_kwargs(settings.hyperparams)
    assert "learning_rate" in kwargs
    assert isinstance(kwargs["policy_kwargs"]["activation_fn"], type)


def _needs_plugin(name: str) -> None:
    """Optional extras (``cluster``, ``sweep``) may be missing, e.g. in CI's fresh venv."""
    pytest.importorskip(f"hydra_plugins.{name}")


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes(experiment: str) -> None:
    if "optuna" in experiment:
        _needs_plugin("hydra_optuna_sweeper")
    cfg = _compose([f"experiment={experiment}"])
    settings = TrainSettings.from_config(OmegaConf.to_container(cfg, resolve=True))
    assert settings.total_timesteps > 0
    assert settings.eval_seeds


def _referenced_experiments() -> dict[str, list[str]]:
    """``experiment=NAME`` anywhere in configs/, rlroute/ and the repository's docs and
    scripts: name -> files that mention it."""
    import re
    from pathlib import Path

    import rlroute

    root = Path(rlroute.__file__).resolve().parents[1]
    places = [
        config_dir(),
        root / "rlroute",
        root / "README.md",
        root / "experiments",
        root / "docs",
    ]
    files = [p for d in places if d.exists() for p in ([d] if d.is_file() else d.rglob("*"))]
    found: dict[str, list[str]] = {}
    for f in files:
        if f.suffix not in {".py", ".yaml", ".md", ".sh"} or not f.is_file():
            continue
        for name in re.findall(r"experiment=([A-Za-z0-9_]+)", f.read_text(errors="replace")):
            found.setdefault(name, []).append(str(f.relative_to(root)))
    return found


def test_every_referenced_experiment_exists_and_composes() -> None:
    """A command in a docstring, config comment or README must name a real experiment."""
    found = _referenced_experiments()
    assert "rl_heterogeneous" in found and "quickstart" in found  # the search finds them
    missing = {n: f for n, f in found.items() if n not in EXPERIMENTS}
    assert not missing, f"experiment=NAME without configs/experiment/NAME.yaml: {missing}"
    for name in found:
        if "optuna" in name:
            continue  # its sweeper is an optional extra; test_experiment_composes covers it
        cfg = _compose([f"experiment={name}"])
        assert TrainSettings.from_config(OmegaConf.to_container(cfg, resolve=True))


def test_train_defaults_follow_the_template() -> None:
    text = (config_dir() / "train.yaml").read_text()
    defaults = text[text.index("defaults:") :].splitlines()[1:7]
    assert defaults[0].strip() == "- _self_"
    assert "- experiment: null" in text
    assert "- optional local: default" in text


def test_unknown_algo_lists_known_ones() -> None:
    with pytest.raises((MissingConfigException, ConfigCompositionException)) as err:
        _compose(["algo=sac"])
    assert "maskable_ppo" in str(err.value) or "maskable_ppo" in str(err.value.__cause__)
    with pytest.raises(ValueError, match=r"unknown algorithm 'sac'.*maskable_ppo"):
        get_algo("sac")


def test_unknown_scenario_lists_known_ones() -> None:
    with pytest.raises((MissingConfigException, ConfigCompositionException)):
        _compose(["scenario=atlantis"])
    cfg = OmegaConf.to_container(_compose([]), resolve=True)
    cfg["scenario"] = "atlantis"
    with pytest.raises(ValueError, match=r"unknown scenario 'atlantis'.*heterogeneous"):
        TrainSettings.from_config(cfg)


def test_bad_activation_and_options_are_named() -> None:
    with pytest.raises(ValueError, match="unknown activation_fn 'swish'"):
        sb3_kwargs({"policy_kwargs": {"activation_fn": "swish"}})
    cfg = OmegaConf.to_container(_compose(["env.invalid_action=ignore"]), resolve=True)
    with pytest.raises(ValueError, match=r"env\.invalid_action"):
        TrainSettings.from_config(cfg)


@pytest.mark.parametrize("launcher", ["parallel", "slurm"])
def test_launchers_compose(launcher: str) -> None:
    _needs_plugin(
        {"parallel": "hydra_joblib_launcher", "slurm": "hydra_submitit_launcher"}[launcher]
    )
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=[f"hydra/launcher={launcher}"], return_hydra_config=True)
    assert "_target_" in cfg.hydra.launcher


def test_export_config_composes() -> None:
    cfg = _compose(["run_dir=/tmp/x"], name="export")
    assert cfg.mode == "export"
    assert cfg.verify.n_obs >= 10_000


@pytest.mark.slow
@pytest.mark.parametrize("experiment", [e for e in EXPERIMENTS if "optuna" not in e])
def test_every_experiment_trains(experiment: str, tmp_path) -> None:
    """No experiment rots: each one trains a few hundred steps and evaluates."""
    from rlroute.rl.train import train

    cfg = OmegaConf.to_container(
        _compose(
            [
                f"experiment={experiment}",
                "total_timesteps=512",
                "n_envs=2",
                "algo.hyperparams.n_steps=128",
                "eval.freq=0",
                "eval.seeds=[100000]",
                "checkpoint.freq=0",
                "tensorboard=false",
            ]
        ),
        resolve=True,
    )
    metrics = train(cfg, tmp_path)
    assert metrics["eval/cost_per_call"] > 0
