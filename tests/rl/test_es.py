"""Evolution strategies with common random numbers: the evaluator is the benchmark's number,
ES improves a bad start, and its output is a run directory the study and the exporter take."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from rlroute.rl.es import (
    ES_LOG_FILE,
    ESSettings,
    centered_ranks,
    es_day_seed,
    es_gradient,
    run_es,
    training_days,
)
from rlroute.rl.es_eval import PopulationEvaluator
from rlroute.rl.policy import ActorLogits
from rlroute.rl.runs import load_run
from rlroute.scenario import truncate_intervals
from rlroute.scenarios import load_scenario

HORIZON = 4  # intervals of 30 min: quick days


def _es(run_dir: Path, out: Path, **kw: Any) -> dict[str, float]:
    cfg = {
        "init": str(run_dir),
        "seed": 0,
        "iterations": 1,
        "pairs": 2,
        "days": 2,
        "sigma": 0.05,
        "learning_rate": 0.01,
        "eval_seeds": [100000, 100001],
        "horizon_intervals": HORIZON,
        **kw,
    }
    return run_es(cfg, out)


@pytest.fixture(scope="module")
def es_run(tiny_run: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir, _ = tiny_run
    out = tmp_path_factory.mktemp("es_run")
    _es(run_dir, out)
    return out


def test_evaluator_equals_the_benchmark(es_run: Path) -> None:
    """The oracle: cost per call of the unperturbed policy, batched, is what the study's
    benchmark (SB3Router on the reference simulator) gives on the same days."""
    from rlroute.bench.runner import run_benchmark

    seeds = [0, 1, 2]
    run = load_run(es_run)
    module = ActorLogits(run.model.policy)
    scenario = truncate_intervals(load_scenario("heterogeneous"), HORIZON)
    ev = PopulationEvaluator(scenario, module, run.obs_norm, run.info.env_options, 2, len(seeds))
    theta = ev.params.flat(module)
    other = theta + np.float32(0.5) * np.random.default_rng(0).standard_normal(theta.size).astype(
        np.float32
    )
    ours = ev.costs(np.stack([theta, other]), seeds)
    spec = {"name": "sb3", "path": str(es_run), "label": "es"}
    bench = run_benchmark(
        ["heterogeneous"], [spec], seeds, progress=False, horizon_intervals=HORIZON
    )
    ref = bench.runs.sort_values("seed")["cost_per_call"].to_numpy(float)
    np.testing.assert_allclose(ours[0], ref, rtol=1e-12)
    assert not np.allclose(ours[1], ref)  # another member is another policy
    assert ev.n_decisions > 100


def test_output_is_a_run_directory(es_run: Path, tiny_run: Any) -> None:
    from rlroute.bench.study import find_runs
    from rlroute.export.parity import verify_parity

    start_dir, _ = tiny_run
    assert find_runs(es_run) == [es_run]
    for name in ("model.zip", "vecnormalize.pkl", "obs_norm.json", "run.json", "config.yaml"):
        assert (es_run / name).exists(), name
    log = [json.loads(x) for x in (es_run / ES_LOG_FILE).read_text().splitlines()]
    assert [r["iteration"] for r in log] == [0]
    assert log[0]["centre"] == log[0]["start"]  # iteration 0 scores the start as the centre
    metrics = json.loads((es_run / "metrics.json").read_text())
    assert metrics["train/decisions"] > 0
    # The delivered actor moved; the critic and the normalisation are the start's.
    new, old = load_run(es_run), load_run(start_dir)
    a_new = torch.nn.utils.parameters_to_vector(ActorLogits(new.model.policy).parameters())
    a_old = torch.nn.utils.parameters_to_vector(ActorLogits(old.model.policy).parameters())
    assert not torch.equal(a_new, a_old)
    v_new = torch.nn.utils.parameters_to_vector(new.model.policy.value_net.parameters())
    v_old = torch.nn.utils.parameters_to_vector(old.model.policy.value_net.parameters())
    assert torch.equal(v_new, v_old)
    np.testing.assert_array_equal(new.obs_norm.mean, old.obs_norm.mean)
    report = verify_parity(es_run, 200, kpi_seeds=[0])
    assert report.passed, report.summary()


def test_same_seed_same_weights(es_run: Path, tiny_run: Any, tmp_path: Path) -> None:
    run_dir, _ = tiny_run
    _es(run_dir, tmp_path)
    assert (tmp_path / "model.zip").exists()
    a = load_run(es_run).model.policy.state_dict()
    b = load_run(tmp_path).model.policy.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_es_improves_a_bad_start(tiny_run: Any, tmp_path: Path) -> None:
    """A start that sends every call to the wrong group first (actor weights zero, head bias
    preferring the worst pairs): ES must find a cheaper policy on held-out eval days."""

    run_dir, _ = tiny_run
    bad = tmp_path / "bad"
    bad.mkdir()
    start = load_run(run_dir)
    names = start.info.action_names
    # Low first-call resolution first (tech and billing to the generalists), vip last.
    order = ["tech->generalists", "billing->generalists", "sales->experts", "billing->experts"]
    with torch.no_grad():
        head = start.model.policy.action_net
        head.weight.zero_()
        head.bias.copy_(torch.tensor([3.0 if n in order else 0.0 for n in names]))
        head.bias[names.index("hold")] = -3.0
    for f in ("vecnormalize.pkl", "obs_norm.json", "run.json", "config.yaml"):
        (bad / f).write_bytes((run_dir / f).read_bytes())
    start.model.save(bad / "model.zip")
    metrics = _es(bad, tmp_path / "es", iterations=6, pairs=4, days=3, sigma=0.5, learning_rate=0.3)
    assert metrics["eval/cost_per_call"] < 0.95 * metrics["eval/start_cost_per_call"], metrics


def test_days_ranks_and_gradient() -> None:
    for seed in range(5):
        for it in range(20):
            assert es_day_seed(seed, it) >= 2**30  # never a benchmark or eval day
    assert es_day_seed(0, 0) != es_day_seed(0, 1) != es_day_seed(1, 0)
    base = es_day_seed(0, 0)
    avoid = [range(base + 3, base + 30)]
    days = training_days(0, 0, 8, avoid)
    assert len(days) == 8 and not set(days) & set(avoid[0])
    assert training_days(0, 0, 3, []) == [base, base + 1, base + 2]
    r = centered_ranks(np.array([3.0, 1.0, 2.0, 2.0]))
    np.testing.assert_allclose(r, [-0.5, 0.5, 0.0, 0.0])
    eps = np.eye(2, dtype=np.float32)
    # direction 0: + cheaper than - (ascend along it); direction 1: tie (no step)
    g = es_gradient(np.array([1.0, 2.0]), np.array([3.0, 2.0]), eps, 0.1)
    assert g[0] > 0 and g[1] == 0


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        ESSettings.from_config({"init": "x", "sigmaa": 1})
    with pytest.raises(ValueError, match="init is missing"):
        ESSettings.from_config({"seed": 0})
    with pytest.raises(ValueError, match="sigma"):
        ESSettings.from_config({"init": "x", "sigma": 0})


def test_es_config_composes_into_settings() -> None:
    """configs/es.yaml and ESSettings agree (every key known, the defaults valid)."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from rlroute.cli.es import _NOT_SETTINGS
    from rlroute.scenarios import config_dir

    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("es", overrides=["init=some/run", "seed=3", "params=[head.]"])
    plain = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(plain, dict)
    s = ESSettings.from_config({k: v for k, v in plain.items() if k not in _NOT_SETTINGS})
    assert (s.init, s.seed, s.params) == ("some/run", 3, ("head.",))
    assert min(s.eval_seeds) >= 100000
