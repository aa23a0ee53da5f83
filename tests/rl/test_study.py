"""The study evaluation: every trained seed and baseline on common seeds, and its statistics."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from rlroute.bench.study import (
    FIXED_RULES,
    evaluate_study,
    find_runs,
    main,
    parse_baselines,
    parse_tuned,
    standing,
    summary,
)

TUNED = "experiments/tuned_baselines/heterogeneous_index.json"


def test_study_tables_and_verdict(tiny_run, tmp_path) -> None:
    run_dir, _ = tiny_run
    root = tmp_path / "runs"
    shutil.copytree(run_dir, root / "seed0")
    runs = find_runs(root)
    assert runs == [root / "seed0"]  # checkpoints/ and best/ are not runs
    tuned = {"tuned_index": {"name": "index", "path": TUNED}}
    result = evaluate_study(runs, "heterogeneous", ["fifo", "cmu"], [0, 1], tuned=tuned)
    assert set(result.runs["router"]) == {"fifo", "cmu", "tuned_index", "rl_seed0"}
    t = result.table.set_index("router")
    fifo = result.runs[result.runs.router == "fifo"].cost_per_call
    assert np.isclose(t.loc["fifo", "cost_per_call"], fifo.mean())
    best_rule = min(["fifo", "cmu"], key=lambda b: t.loc[b, "cost_per_call"])
    assert result.verdict["best_rule"] == best_rule
    assert result.verdict["best_tuned"] == "tuned_index"
    assert set(result.verdict["against"]) >= {best_rule, "tuned_index"}
    assert set(result.paired["baseline"]) == {"fifo", "cmu", "tuned_index"}
    assert result.paired.set_index("baseline")["tuned"].to_dict() == {
        "fifo": False,
        "cmu": False,
        "tuned_index": True,
    }
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
    assert json.loads((out / "summary.json").read_text())["baselines"].keys() == {"fifo"}
    assert (out / "runs.csv").read_text().count("\n") == 1 + 2 * 2
    # held-out days: --first-seed moves the evaluation days
    held = tmp_path / "held_out"
    argv = [str(tmp_path / "runs"), "--scenario", "heterogeneous", "--baselines", "fifo"]
    assert main([*argv, "--seeds", "2", "--first-seed", "40", "--out", str(held)]) == 0
    assert json.loads((held / "summary.json").read_text())["eval_seeds"] == [40, 41]


def test_summary_is_strict_json_with_the_paired_differences(tiny_run) -> None:
    run_dir, _ = tiny_run
    result = evaluate_study([run_dir], "heterogeneous", ["fifo"], [0, 1], tuned={})
    s = summary(result)
    json.dumps(s, allow_nan=False)  # strict JSON: one training seed gives a null interval
    assert s["scenario"] == "heterogeneous" and s["n_training_seeds"] == 1
    assert s["n_eval_days"] == 2 and s["eval_seeds"] == [0, 1]
    assert s["rl"]["ci"] is None
    rl = result.runs[result.runs.router == "rl_seed0"].sort_values("seed").cost_per_call
    fifo = result.runs[result.runs.router == "fifo"].sort_values("seed").cost_per_call
    b = s["baselines"]["fifo"]
    assert b["tuned"] is False
    assert b["rel_diff"] == pytest.approx((rl.to_numpy() - fifo.to_numpy()).mean() / fifo.mean())
    assert b["ci"][0] <= b["rel_diff"] <= b["ci"][1]
    assert s["best_rule"] == "fifo" and s["best_tuned"] is None


def test_standing_reads_the_interval() -> None:
    assert standing(-0.05, -0.01) == "cheaper"
    assert standing(0.01, 0.05) == "behind"
    assert standing(-0.01, 0.02) == "level with"


def test_baseline_and_tuned_arguments() -> None:
    assert parse_baselines("rules") == list(FIXED_RULES)
    assert parse_baselines("fifo,rules,random")[:2] == ["fifo", "fifo_priority"]
    assert parse_baselines("fifo,rules,random")[-1] == "random"
    assert parse_tuned(f"t=index:{TUNED}") == ("t", {"name": "index", "path": TUNED})
    with pytest.raises(SystemExit, match="LABEL=NAME:PATH"):
        parse_tuned("index")
    with pytest.raises(SystemExit, match="no file"):
        parse_tuned("t=index:/nonexistent.json")
