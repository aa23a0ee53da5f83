"""The study evaluation: every trained seed and baseline on common seeds, and its statistics."""

from __future__ import annotations

import shutil

import numpy as np

from rlroute.bench.study import evaluate_study, find_runs, main


def test_study_tables_and_verdict(tiny_run, tmp_path) -> None:
    run_dir, _ = tiny_run
    root = tmp_path / "runs"
    shutil.copytree(run_dir, root / "seed0")
    runs = find_runs(root)
    assert runs == [root / "seed0"]  # checkpoints/ and best/ are not runs
    result = evaluate_study(runs, "heterogeneous", ["fifo", "cmu"], [0, 1], reference=["fifo"])
    assert set(result.runs["router"]) == {"fifo", "cmu", "rl_seed0"}
    t = result.table.set_index("router")
    fifo = result.runs[result.runs.router == "fifo"].cost_per_call
    assert np.isclose(t.loc["fifo", "cost_per_call"], fifo.mean())
    assert result.verdict["best_reference"] == "fifo"
    assert set(result.paired["baseline"]) == {"fifo", "cmu"}
    p = result.paired.set_index("baseline").loc["fifo"]
    rl = result.runs[result.runs.router == "rl_seed0"].cost_per_call.to_numpy()
    assert np.isclose(p["diff"], (rl - fifo.to_numpy()).mean())
    assert "Paired differences" in result.markdown


def test_study_cli_writes_results(tiny_run, tmp_path) -> None:
    run_dir, _ = tiny_run
    shutil.copytree(run_dir, tmp_path / "runs" / "a")
    out = tmp_path / "results"
    assert (
        main(
            [
                str(tmp_path / "runs"),
                "--scenario",
                "heterogeneous",
                "--baselines",
                "fifo",
                "--seeds",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (out / "results.md").exists() and (out / "results.json").exists()
    assert (out / "runs.csv").read_text().count("\n") == 1 + 2 * 2
