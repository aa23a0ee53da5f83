"""ONNX export: graph shape and names, parity with torch for every algorithm, the router (served
without the training stack in test_serving.py), the CLI, and clear failures when a policy does
not fit the environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from rlroute.export.onnx_export import export_run
from rlroute.export.onnx_router import OnnxPolicy, OnnxRouter
from rlroute.export.parity import verify_parity
from rlroute.export.sidecar import Sidecar, SidecarError
from rlroute.rl.router import SB3Router
from rlroute.rl.runs import RunError
from rlroute.rl.train import train
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator


@pytest.fixture(scope="module")
def exported(tiny_run, tmp_path_factory) -> tuple[Path, Path]:
    run_dir, _ = tiny_run
    onnx_path, _side = export_run(run_dir, tmp_path_factory.mktemp("onnx") / "policy.onnx")
    return run_dir, onnx_path


def test_graph_inputs_outputs_and_dynamic_batch(exported) -> None:
    _run_dir, onnx_path = exported
    model = onnx.load(str(onnx_path))
    onnx.checker.check_model(model)
    ins = {i.name: i for i in model.graph.input}
    outs = [o.name for o in model.graph.output]
    assert set(ins) == {"obs", "action_mask"} and outs == ["masked_logits", "action"]
    assert ins["action_mask"].type.tensor_type.elem_type == onnx.TensorProto.BOOL
    side = Sidecar.load(onnx_path.with_suffix(".json"))
    assert side.env_id == "rlroute/CallCenter-v1" and side.env_version == 1
    assert side.action_names[-1] == "hold"
    assert len(side.obs_mean) == len(side.observation_names) == side.obs_dim
    policy = OnnxPolicy(onnx_path)
    rng = np.random.default_rng(0)
    for batch in (1, 7):
        obs = rng.random((batch, side.obs_dim), dtype=np.float32)
        mask = rng.random((batch, side.n_actions)) < 0.5
        mask[:, 0] = True
        logits, action = policy.run(obs, mask)
        assert logits.shape == (batch, side.n_actions) and action.shape == (batch,)
        assert mask[np.arange(batch), action].all()  # never an invalid action
        assert (logits[~mask] <= side.masked_logit).all()


def test_parity_on_10000_observations(exported) -> None:
    run_dir, onnx_path = exported
    report = verify_parity(run_dir, n_obs=10_000, onnx_path=onnx_path, kpi_seeds=[0, 1])
    assert report.n_obs >= 10_000
    assert report.action_mismatches == 0
    assert report.max_abs_logit_diff <= 1e-4
    assert report.sb3_predict_agreement == 1.0
    assert report.kpis_identical and report.passed


@pytest.mark.parametrize("algo", ["ppo", "dqn", pytest.param("a2c", marks=pytest.mark.slow)])
def test_every_algorithm_exports_with_parity(algo, tiny_config, tmp_path) -> None:
    run_dir = tmp_path / algo
    train(tiny_config(f"algo={algo}", "total_timesteps=256", "checkpoint.freq=0"), run_dir)
    onnx_path, _ = export_run(run_dir)
    report = verify_parity(run_dir, n_obs=1000, onnx_path=onnx_path, kpi_seeds=[0])
    assert report.passed, report.summary()


def test_sb3_and_onnx_routers_agree_on_kpis(exported) -> None:
    run_dir, onnx_path = exported
    sc = load_scenario("heterogeneous")
    a = Simulator(sc, 5).run(SB3Router(run_dir)).overall
    b = Simulator(sc, 5).run(OnnxRouter(onnx_path)).overall
    assert a == b


def _tamper(onnx_path: Path, tmp_path: Path, **changes) -> Path:
    new = tmp_path / "tampered.onnx"
    new.write_bytes(onnx_path.read_bytes())
    side = json.loads(onnx_path.with_suffix(".json").read_text()) | changes
    new.with_suffix(".json").write_text(json.dumps(side))
    return new


def test_sidecar_mismatch_fails_clearly(exported, tmp_path) -> None:
    _, onnx_path = exported
    side = Sidecar.load(onnx_path.with_suffix(".json"))
    sc = load_scenario("heterogeneous")
    names = list(side.observation_names)
    names[2] = "queue/elsewhere"
    bad = _tamper(onnx_path, tmp_path, observation_names=names)
    with pytest.raises(SidecarError, match=r"observation 2: policy 'queue/elsewhere'"):
        Simulator(sc, 0).run(OnnxRouter(bad))
    bad = _tamper(onnx_path, tmp_path, env_id="rlroute/CallCenter-v0", env_version=0)
    with pytest.raises(SidecarError, match=r"trained on rlroute/CallCenter-v0 \(v0\) but this "):
        OnnxRouter(bad)
    bad = _tamper(onnx_path, tmp_path, observation_names=names[:-1])
    with pytest.raises(SidecarError, match=r"input 'obs' has width"):
        OnnxRouter(bad)


def test_policy_on_another_scenario_fails_clearly(exported) -> None:
    run_dir, onnx_path = exported
    other = load_scenario("single_pool")
    with pytest.raises(SidecarError, match="observations: policy has 19, environment 6"):
        Simulator(other, 0).run(OnnxRouter(onnx_path))
    with pytest.raises(RunError, match="observation layout does not match"):
        Simulator(other, 0).run(SB3Router(run_dir))


def test_missing_files_fail_clearly(tmp_path) -> None:
    with pytest.raises(SidecarError, match="no such ONNX file"):
        OnnxRouter(tmp_path / "nope.onnx")
    with pytest.raises(RunError, match="not a run directory"):
        SB3Router(tmp_path / "nope")
    with pytest.raises(RunError, match=r"no model\.zip"):
        SB3Router(tmp_path)


def test_cli_export_and_verify(tiny_run, tmp_path) -> None:
    run_dir, _ = tiny_run
    out = tmp_path / "cli" / "policy.onnx"
    cmd = [
        sys.executable,
        "-m",
        "rlroute.cli.export",
        "both",
        f"run_dir={run_dir}",
        f"out={out}",
        "verify.n_obs=500",
        "verify.kpi_seeds=[0]",
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "parity PASSED" in res.stdout
    assert out.exists() and out.with_suffix(".json").exists()
    assert json.loads(out.with_name("parity.json").read_text())["passed"] is True
    bad = subprocess.run(
        [sys.executable, "-m", "rlroute.cli.export", f"run_dir={tmp_path}/missing"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "not a run directory" in bad.stderr


def test_registry_and_benchmark_treat_both_the_same(exported) -> None:
    """``rlroute-bench`` builds both routers by name; on the same seeds every KPI is equal."""
    from rlroute.bench.runner import run_benchmark
    from rlroute.bench.specs import registered_routers
    from rlroute.policies import make_router

    run_dir, onnx_path = exported
    assert make_router("sb3", path=str(run_dir)).name.startswith("sb3:")
    assert make_router("onnx", path=str(onnx_path)).name.startswith("onnx:")
    assert "sb3" not in registered_routers() and "onnx" not in registered_routers()
    result = run_benchmark(
        ["heterogeneous"],
        [{"name": "sb3", "path": str(run_dir), "label": "torch"}, f"onnx:{onnx_path}"],
        [0, 1],
        progress=False,
    )
    runs = result.runs.set_index(["router", "seed"]).sort_index()
    kpis = [c for c in result.kpis if c != "wall_s"]
    torch_rows = runs.loc["torch", kpis].to_numpy()
    onnx_rows = runs.loc[f"onnx:{onnx_path}", kpis].to_numpy()
    assert np.array_equal(torch_rows, onnx_rows, equal_nan=True)


def test_benchmark_loads_each_model_file_once_per_process(exported, monkeypatch) -> None:
    """A benchmark builds a fresh router per seed; the model behind it is loaded once per
    process (keyed by resolved path and modification time), and again once rewritten."""
    import os

    import rlroute.export.onnx_router as onnx_router
    import rlroute.rl.router as sb3_router
    from rlroute.bench.runner import run_benchmark
    from rlroute.policies import make_router
    from rlroute.policies.model_cache import clear_model_cache

    run_dir, onnx_path = exported
    loads = {"sb3": 0, "onnx": 0}
    load_policy, session = sb3_router._load_policy, onnx_router._session

    def count_sb3(path):
        loads["sb3"] += 1
        return load_policy(path)

    def count_onnx(path, threads=1):
        loads["onnx"] += 1
        return session(path, threads)

    monkeypatch.setattr(sb3_router, "_load_policy", count_sb3)
    monkeypatch.setattr(onnx_router, "_session", count_onnx)
    clear_model_cache()
    routers = [{"name": "sb3", "path": str(run_dir), "label": "torch"}, f"onnx:{onnx_path}"]
    run_benchmark(["heterogeneous"], routers, [0, 1, 2], progress=False, horizon_intervals=2)
    assert loads == {"sb3": 1, "onnx": 1}
    make_router("onnx", path=str(onnx_path.parent))  # the same file, named by its folder
    assert loads["onnx"] == 1
    st = onnx_path.stat()
    os.utime(onnx_path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # "rewritten"
    make_router("onnx", path=str(onnx_path))
    assert loads == {"sb3": 1, "onnx": 2}
    clear_model_cache()


def test_policy_observing_after_call_work_trains_exports_and_serves(tiny_config, tmp_path) -> None:
    """A run with ``env.kwargs.observe_wrap_up`` on a wrap-up scenario: the served policy (SB3
    and ONNX) rebuilds the wider observation from the run's env options, with parity."""
    cfg = tiny_config(
        "total_timesteps=256", "checkpoint.freq=0", "+env.kwargs.observe_wrap_up=true"
    )
    for grp in cfg["scenario"]["agent_groups"]:
        for skill in grp["skills"].values():
            skill["wrap_up"] = {"kind": "deterministic", "value_s": 20.0}
    run_dir = tmp_path / "wrap"
    train(cfg, run_dir)
    onnx_path, _ = export_run(run_dir)
    names = json.loads(onnx_path.with_suffix(".json").read_text())["observation_names"]
    assert [n for n in names if n.startswith("wrap_up/")] == [
        f"wrap_up/{g['name']}" for g in cfg["scenario"]["agent_groups"]
    ]
    report = verify_parity(run_dir, n_obs=1000, onnx_path=onnx_path, kpi_seeds=[0])
    assert report.passed, report.summary()


def test_normalisation_of_a_near_constant_feature_keeps_parity(tmp_path) -> None:
    """A feature that barely varied in training has std ~ sqrt(eps) = 1e-4: normalising it in
    float32 amplified a 1-ulp rounding of its mean into logit errors of ~5e-4 (rl_long_chain's
    first export). The graph normalises in float64, as SB3's VecNormalize does."""
    import onnxruntime as ort
    import torch

    from rlroute.export.onnx_export import OPSET, ExportablePolicy, _export
    from rlroute.rl.runs import ObsNorm

    rng = np.random.default_rng(0)
    dim, n_act = 6, 4
    mean = rng.random(dim) + 0.5
    var = np.full(dim, 0.05)
    var[:3] = 1.7e-9  # near-constant features, as in rl_long_chain's obs_norm.json
    norm = ObsNorm(mean, var, 1e-8, float("inf"))
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(dim, 16), torch.nn.Tanh(), torch.nn.Linear(16, n_act))
    with torch.no_grad():
        net[2].weight.mul_(20.0)  # logits of ~10, like the long-chain policy's
    module = ExportablePolicy(net, norm).eval()
    path = tmp_path / "policy.onnx"
    example = (torch.zeros(2, dim), torch.ones(2, n_act, dtype=torch.bool))
    _export(module, example, path, OPSET, "auto")

    obs = (mean + rng.normal(0.0, 3e-5, (2000, dim))).astype(np.float32)
    mask = np.ones((2000, n_act), dtype=bool)
    with torch.no_grad():
        want = net(torch.as_tensor(norm(obs))).numpy()  # the torch serving rule (TorchPolicy)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"obs": obs, "action_mask": mask})[0]
    assert np.abs(want).max() > 5.0
    assert np.abs(got - want).max() <= 1e-5
