"""The built wheel, installed into a fresh venv, works from a folder outside the clone.

Builds the wheel (``pip wheel --no-deps .``) from a copy of the files a build reads (so no stale
``build/`` of the checkout leaks in), installs it with its dependencies into a new venv
without system site-packages, and from a temporary folder runs: ``load_scenario`` + ``gym.make``
+ a few steps of every registered CallCenter id, a tiny ``rlroute-bench``, Hydra's
``--cfg job`` of the four CLIs, and a one-hour-interval calibration of the shipped log. The
environment drops PYTHONPATH and RLROUTE_CONFIG_DIR, so nothing can come from the checkout.
Slow (minutes: the dependency install dominates); CI runs it after the test suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "rlroute", "configs")

ENV_CHECK = """
import numpy as np, gymnasium as gym, rlroute
from rlroute.scenarios import config_dir, load_scenario
print("package", rlroute.__file__)
print("config_dir", config_dir())
assert load_scenario("heterogeneous").name == "heterogeneous"
ids = [k for k in gym.registry if k.startswith("rlroute/CallCenter")]
assert ids, "no rlroute/CallCenter id registered"
for env_id in ids:
    env = gym.make(env_id, scenario="heterogeneous")
    obs, info = env.reset(seed=0)
    for _ in range(20):
        obs, reward, terminated, truncated, info = env.step(int(np.flatnonzero(info["action_mask"])[0]))
        assert not (terminated or truncated)
    assert env.observation_space.contains(obs)
    print("stepped", env_id)
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_wheel_works_outside_the_clone(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RLROUTE_CONFIG_DIR")}
    env["MPLBACKEND"] = "Agg"
    src, dist, venv, work = (tmp_path / d for d in ("src", "dist", "venv", "work"))
    work.mkdir()
    src.mkdir()
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(REPO / name, src / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "wheel", "--no-deps", "-q", str(src), "-w", str(dist)], work, env)
    (wheel,) = dist.glob("rlroute-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        shipped = set(zf.namelist())
    for yaml_file in (REPO / "configs").rglob("*.yaml"):
        rel = yaml_file.relative_to(REPO / "configs").as_posix()
        if rel != "local/default.yaml":  # machine-specific, never shipped
            assert f"rlroute/conf/{rel}" in shipped, rel
    assert "rlroute/conf/local/default.yaml" not in shipped
    _run([sys.executable, "-m", "venv", str(venv)], work, env)
    bin_ = venv / "bin"
    _run([str(bin_ / "python"), "-m", "pip", "install", "-q", str(wheel)], work, env)

    out = _run([str(bin_ / "python"), "-c", ENV_CHECK], work, env)
    site = venv.resolve()
    package = Path(out.split("package ")[1].splitlines()[0]).resolve()
    conf = Path(out.split("config_dir ")[1].splitlines()[0]).resolve()
    assert package.is_relative_to(site) and conf == package.parent / "conf", out
    assert "stepped rlroute/CallCenter" in out

    bench = work / "bench"
    _run(
        [
            str(bin_ / "rlroute-bench"),
            "scenarios=[heterogeneous]",
            "routers=[fifo,cmu]",
            "seeds=2",
            "horizon_intervals=4",
            "plots=false",
            "progress=false",
            f"hydra.run.dir={bench}",
        ],
        work,
        env,
    )
    rows = (bench / "results.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 2 * 2  # header + 2 routers x 2 seeds
    assert "cmu" in (bench / "summary.md").read_text()

    for cli, extra in (("calibrate", []), ("train", []), ("bench", []), ("export", ["run_dir=x"])):
        cfg = _run([str(bin_ / f"rlroute-{cli}"), "--cfg", "job", *extra], work, env)
        assert cfg.strip(), f"rlroute-{cli} --cfg job printed nothing"
        if cli == "train":  # the scenario group resolved from the shipped conf
            assert "name: heterogeneous" in cfg, cfg

    calib = work / "calibrate"
    _run(
        [
            str(bin_ / "rlroute-calibrate"),
            "interval_minutes=60",
            "output.plots=false",
            f"hydra.run.dir={calib}",
        ],
        work,
        env,
    )
    check = f"from rlroute.scenarios import load_scenario; print(load_scenario('{calib / 'scenario.yaml'}').name)"
    assert _run([str(bin_ / "python"), "-c", check], work, env).strip() == "anonymous_bank"
