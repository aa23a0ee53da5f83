"""The committed study policies still score what their tables say.

``experiments/rl_*/results/runs.csv`` holds every KPI the READMEs report. If the simulator,
the scenario or the environment's observation changes, the committed policies route
differently and these tests fail: re-run the study (``experiments/rl_*/run.sh``) so the
published tables are measured again, and bump the env version if the observation changed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rlroute.export.onnx_router import OnnxRouter
from rlroute.rl.router import SB3Router
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator

ROOT = Path(__file__).resolve().parents[2] / "experiments"
STUDIES = [
    ("rl_heterogeneous", "heterogeneous", "runs/seed0", "rl_seed0"),
    ("rl_anonymous_bank", "anonymous_bank", "runs/seed0", "rl_seed0"),
    ("rl_anonymous_bank_profiled", "anonymous_bank_profiled", "runs/seed0", "rl_seed0"),
]


@pytest.mark.parametrize(("study", "scenario", "run", "label"), STUDIES)
def test_committed_policy_reproduces_its_table(study, scenario, run, label) -> None:
    run_dir = ROOT / study / run
    table = ROOT / study / "results" / "runs.csv"
    if not (run_dir / "model.zip").exists() or not table.exists():
        pytest.skip(f"{study}: no committed policy or results")
    rows = pd.read_csv(table)
    expected = rows[(rows.router == label) & (rows.seed == 0)].iloc[0]
    sc = load_scenario(scenario)
    torch_kpis = Simulator(sc, 0).run(SB3Router(run_dir)).overall
    assert torch_kpis["cost_per_call"] == pytest.approx(expected["cost_per_call"], rel=1e-12)
    assert torch_kpis["offered"] == expected["offered"]
    if (run_dir / "policy.onnx").exists():
        onnx_kpis = Simulator(sc, 0).run(OnnxRouter(run_dir / "policy.onnx")).overall
        assert onnx_kpis == torch_kpis


def test_committed_runs_name_the_env_they_were_validated_on() -> None:
    """Every committed run and sidecar names the current env; a run trained on v0 and
    re-validated under v1 (experiments/revalidate_env_v1.py) says so, a run trained on v1
    (rl_heterogeneous_fast) carries no re-validation record."""
    import json

    from rlroute.envs.versions import ENV_ID, ENV_VERSION

    runs = sorted(ROOT.glob("*/runs*/seed*/run.json"))
    assert runs
    for path in runs + sorted(ROOT.glob("*/runs*/seed*/policy.json")):
        data = json.loads(path.read_text())
        assert (data["env_id"], data["env_version"]) == (ENV_ID, ENV_VERSION), path
        if data["env_revalidated"]:  # trained on v0, re-validated under v1
            assert data["env_revalidated"]["trained_on"] == "rlroute/CallCenter-v0", path
    trained_on_v1 = [p for p in runs if not json.loads(p.read_text())["env_revalidated"]]
    # studies trained on v1 (the compiled vector env): the fast heterogeneous study, the
    # reservation and long-chain studies and the levers' v1 runs
    v1_studies = ("rl_heterogeneous_fast", "rl_reservation", "rl_long_chain", "rl_levers", "rl_es")
    assert all(p.relative_to(ROOT).parts[0] in v1_studies for p in trained_on_v1), trained_on_v1
