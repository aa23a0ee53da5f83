"""Serving an exported policy without the training stack and without pickle.

The ONNX router must run on onnxruntime + numpy: the observation comes from
``rlroute.envs.layout`` (scenario + the sidecar's env options, no ``gym.make``), the
normalisation is inside the graph, and nothing is unpickled. The subprocess below blocks
torch, gymnasium, stable_baselines3 and sb3_contrib before anything is imported, forbids every
unpickling (audit hook + patched ``pickle``), serves policies whose run directory has no
``.pkl`` left, and must decide exactly as the training stack does on the same day.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from rlroute.bench.specs import truncate_horizon
from rlroute.export.onnx_export import export_run
from rlroute.export.onnx_router import OnnxPolicy
from rlroute.export.sidecar import Sidecar
from rlroute.rl.router import SB3Router
from rlroute.rl.runs import ObsNorm, RunError, load_run, write_obs_norm
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "experiments" / "rl_heterogeneous" / "runs" / "seed0" / "policy.onnx"
SEED = 3

# Runs first in the child: nothing of the training stack can be imported, nothing unpickled.
GUARD = """
import builtins, pickle, sys

BLOCKED = ("torch", "gymnasium", "stable_baselines3", "sb3_contrib")


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None


sys.meta_path.insert(0, Blocker())


def audit(event, args):
    if event == "pickle.find_class":
        raise RuntimeError(f"unpickling {args}")
    if event == "open" and str(args[0]).endswith(".pkl"):
        raise RuntimeError(f"opening a pickle: {args[0]}")


sys.addaudithook(audit)


def no_pickle(*args, **kwargs):
    raise RuntimeError("pickle used on the serving path")


pickle.load = pickle.loads = no_pickle
pickle.Unpickler = no_pickle
"""

SERVE = """
import json
from rlroute.export.onnx_router import OnnxRouter
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator

args = json.loads(sys.argv[1])
scenario = load_scenario(args["scenario"])
out = {}
for onnx_path in args["policies"]:
    router = OnnxRouter(onnx_path)
    actions = []
    act = router.act

    def recording(sim, act=act, actions=actions):
        a = act(sim)
        actions.append(a)
        return a

    router.act = recording
    kpis = Simulator(scenario, args["seed"]).run(router).overall
    out[onnx_path] = {"actions": actions, "offered": kpis["offered"]}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
out["forbidden_modules"] = loaded
out["rl_modules"] = sorted(m for m in sys.modules if m.startswith("rlroute.rl"))
import rlroute.envs  # imports without gymnasium; only the env class needs it (lazily)

try:
    rlroute.envs.CallCenterEnv
except ImportError:
    out["env_class"] = "needs gymnasium"
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def pickle_free_run(tiny_run, tmp_path_factory) -> Path:
    """A copy of the tiny run without any ``.pkl``, exported from that copy."""
    run_dir, _ = tiny_run
    copy = tmp_path_factory.mktemp("served") / "run"
    shutil.copytree(run_dir, copy)
    for pkl in copy.rglob("*.pkl"):
        pkl.unlink()
    export_run(copy)
    return copy


def _short_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    truncate_horizon(load_scenario("heterogeneous"), 2).to_yaml(path)
    return path


def _env_actions(onnx_path: Path, scenario_path: Path, seed: int) -> list[int]:
    """The training stack's view: the registered env's own observations and masks, fed to the
    same ONNX graph (one action per decision epoch, forced ones included)."""
    policy = OnnxPolicy(onnx_path)
    side = policy.sidecar
    opts = {k: v for k, v in side.env_options.items() if k != "skip_forced"}
    env = gym.make(side.env_id, scenario=load_scenario(scenario_path), **opts)
    obs, info = env.reset(seed=seed)
    actions, done = [], False
    while not done:
        mask = info["action_mask"]
        valid = np.flatnonzero(mask)
        a = int(valid[0]) if len(valid) == 1 else int(policy.act(obs, mask)[0])
        actions.append(a)
        obs, _, done, _, info = env.step(a)
    return actions


def _sb3_actions(run_dir: Path, scenario_path: Path, seed: int) -> list[int]:
    router = SB3Router(run_dir)
    actions: list[int] = []
    act = router.act
    router.act = lambda sim: actions.append(act(sim)) or actions[-1]  # type: ignore[method-assign]
    Simulator(load_scenario(scenario_path), seed).run(router)
    return actions


def test_onnx_router_serves_without_training_stack_or_pickle(
    pickle_free_run, tiny_run, tmp_path
) -> None:
    scenario = _short_scenario(tmp_path)
    fixture_onnx = pickle_free_run / "policy.onnx"
    policies = [str(fixture_onnx)]
    if COMMITTED.exists():  # a committed policy too, from a copy without its pickle
        committed = tmp_path / "committed"
        committed.mkdir()
        for f in (COMMITTED, COMMITTED.with_suffix(".json")):
            shutil.copy(f, committed / f.name)
        policies.append(str(committed / "policy.onnx"))
    assert not list(pickle_free_run.rglob("*.pkl"))
    args = json.dumps({"scenario": str(scenario), "seed": SEED, "policies": policies})
    code = GUARD + SERVE
    out = subprocess.run(
        [sys.executable, "-c", code, args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    served = json.loads(line.removeprefix("RESULT "))
    assert served["forbidden_modules"] == []
    assert served["rl_modules"] == []
    assert served["env_class"] == "needs gymnasium"
    for path in policies:
        actions = served[path]["actions"]
        assert served[path]["offered"] > 0 and len(actions) > 50
        # The same decisions as the env's own observations through the same graph ...
        assert actions == _env_actions(Path(path), scenario, SEED), path
    # ... and as the torch policy of the run the graph came from.
    assert served[str(fixture_onnx)]["actions"] == _sb3_actions(tiny_run[0], scenario, SEED)


def test_guard_really_blocks_and_forbids_pickle() -> None:
    """The guard itself works: the blocked imports and unpickling fail in the child."""
    code = (
        GUARD
        + """
import pickle as p
for name in BLOCKED:
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        raise SystemExit(f"{name} imported")
import io, _pickle
try:
    _pickle.Unpickler(io.BytesIO(_pickle.dumps(ValueError("x")))).load()
except RuntimeError:
    print("pickle blocked")
"""
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pickle blocked" in out.stdout


def test_export_reads_the_json_normalisation_not_the_pickle(tiny_run, tmp_path) -> None:
    run_dir, _ = tiny_run
    with_pkl = ObsNorm.load(run_dir / "vecnormalize.pkl")
    from_json = ObsNorm.load_json(run_dir / "obs_norm.json")
    assert np.array_equal(with_pkl.mean, from_json.mean)
    assert np.array_equal(with_pkl.var, from_json.var)
    assert (with_pkl.eps, with_pkl.clip) == (from_json.eps, from_json.clip)

    # A run made before obs_norm.json existed: export refuses the pickle and says what to do.
    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    (old / "obs_norm.json").unlink()
    with pytest.raises(RunError, match=r"obs_norm\.json: missing.*python -m rlroute\.rl\.runs"):
        export_run(old)
    assert load_run(old).obs_norm.clip == with_pkl.clip  # the training stack may still read it
    write_obs_norm(old)  # once, from the trusted pickle
    (old / "vecnormalize.pkl").unlink()
    _, side_path = export_run(old)
    side = Sidecar.load(side_path)
    assert side.obs_mean == [float(v) for v in with_pkl.mean]
    assert side.obs_std == [float(v) for v in with_pkl.std]
    assert side.obs_clip == with_pkl.clip


def test_bad_normalisation_json_is_named(tiny_run, tmp_path) -> None:
    run_dir, _ = tiny_run
    bad = tmp_path / "bad"
    shutil.copytree(run_dir, bad)
    data = json.loads((bad / "obs_norm.json").read_text())
    short = {**data, "mean": data["mean"][:-1], "var": data["var"][:-1]}
    (bad / "obs_norm.json").write_text(json.dumps(short))
    with pytest.raises(RunError, match=r"obs_norm\.json: normalises \d+ observations but"):
        load_run(bad)
    (bad / "obs_norm.json").write_text(json.dumps({**data, "mean": data["mean"][:-1]}))
    with pytest.raises(RunError, match=r"obs_norm\.json: mean and var must be lists of the same"):
        load_run(bad)
    (bad / "obs_norm.json").write_text(json.dumps({**data, "format": 7}))
    with pytest.raises(RunError, match=r"obs_norm\.json: format 7, this rlroute reads 1"):
        load_run(bad)
    (bad / "obs_norm.json").write_text("{")
    with pytest.raises(RunError, match=r"obs_norm\.json: not valid JSON"):
        load_run(bad)
