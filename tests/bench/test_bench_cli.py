"""rlroute-bench end to end: Hydra composition, every output file, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from rlroute.bench.specs import BenchConfigError
from rlroute.cli.bench import bench
from rlroute.scenarios import config_dir

TINY = [
    "scenarios=[n_design]",
    "routers=[fifo,fifo_priority]",
    "seeds=2",
    "horizon_intervals=2",
    "progress=false",
]


def _compose(overrides: list[str]):
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(config_name="bench", overrides=overrides)


def test_default_config_composes():
    cfg = _compose([])
    assert cfg.scenarios == "all" and cfg.routers == "all"
    assert cfg.seeds == 10 and cfg.reference == "fifo" and cfg.bands is None


def test_end_to_end_outputs(tmp_path, capsys):
    cfg = _compose(
        [*TINY, "robust=true", "n_boot=100", "bands={n_design: {fifo: {service_level: [0, 1]}}}"]
    )
    out = bench(cfg, tmp_path)
    printed = capsys.readouterr().out
    assert "### n_design (2 seeds, 2 intervals of 1800 s)" in printed
    assert "benchmark gate passed: 1 band(s) checked" in printed
    for name in (
        "results.jsonl",
        "results.csv",
        "summary.csv",
        "paired.csv",
        "summary.md",
        "by_type.csv",
        "by_interval.csv",
        "benchmark.json",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    pngs = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert pngs == [
        "n_design_kpis.png",
        "n_design_service_level_by_interval.png",
        "n_design_waits_by_type.png",
    ]
    assert all((tmp_path / "plots" / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)

    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 4
    r = rows[0]
    for key in (
        "rlroute_version",
        "python_version",
        "numpy_version",
        "seed",
        "scenario",
        "router",
        "router_name",
        "router_kwargs",
        "config_hash",
    ):
        assert key in r, key
    assert r["kpis"]["service_level"] == pytest.approx(out["result"].runs["service_level"][0])
    assert len({x["config_hash"] for x in rows}) == 2  # one per (scenario, router)

    summary = pd.read_csv(tmp_path / "summary.csv")
    assert {"mean", "half_width", "ci_lo", "ci_hi", "iqm", "iqm_lo", "iqm_hi"} <= set(summary)
    md = (tmp_path / "summary.md").read_text()
    assert "| fifo_priority |" in md and " ± " in md and "Paired differences" in md
    assert "IQM across scenarios" in md


def test_bad_router_fails_before_running(tmp_path):
    cfg = _compose([*TINY[:1], "routers=[fifo,nope]", *TINY[2:]])
    with pytest.raises(BenchConfigError, match=r"unknown router\(s\) \['nope'\]; known routers"):
        bench(cfg, tmp_path)
    assert not (tmp_path / "results.csv").exists()


def _cli(args: list[str], tmp_path):
    return subprocess.run(
        [sys.executable, "-m", "rlroute.cli.bench", *args, f"hydra.run.dir={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_gate_failure_exits_1_with_every_violation(tmp_path):
    bands = "bands={n_design: {fifo: {service_level: [0.99, 1.0], asa: [0, 0.01]}}}"
    proc = _cli([*TINY, "plots=false", bands], tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "benchmark gate failed: 2 violation(s)" in proc.stderr
    assert "n_design/fifo/service_level = " in proc.stderr
    assert "outside [0.99, 1]" in proc.stderr
    assert "| fifo |" in proc.stdout  # the table is printed before the verdict
    assert json.loads((tmp_path / "benchmark.json").read_text())


def test_cli_bad_config_exits_2(tmp_path):
    proc = _cli(["scenarios=[nope]", "seeds=1", "plots=false"], tmp_path)
    assert proc.returncode == 2
    assert "unknown scenario 'nope'" in proc.stderr and "single_pool" in proc.stderr
