"""The cross-scenario leaderboard is built from the studies' summary.json, never by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rlroute.bench.leaderboard import (
    END,
    START,
    load_bounds,
    load_studies,
    main,
    normalised_runs,
    table,
    update_readme,
)


def _summary(scenario: str, rl: list[float], rules: dict[str, float], tuned: dict[str, float]):
    def base(cost: float, is_tuned: bool) -> dict:
        rel = (float(np.mean(rl)) - cost) / cost
        return {
            "cost_per_call": cost,
            "rel_diff": rel,
            "ci": [rel - 0.02, rel + 0.02],
            "tuned": is_tuned,
        }

    baselines = {b: base(c, False) for b, c in rules.items()}
    baselines |= {b: base(c, True) for b, c in tuned.items()}
    return {
        "scenario": scenario,
        "n_training_seeds": len(rl),
        "n_eval_days": 20,
        "eval_seeds": list(range(20)),
        "rl": {
            "cost_per_call": float(np.mean(rl)),
            "ci": [min(rl), max(rl)] if len(rl) > 1 else None,
            "per_training_seed": {str(i): c for i, c in enumerate(rl)},
        },
        "baselines": baselines,
        "best_rule": min(rules, key=rules.get),
        "best_tuned": min(tuned, key=tuned.get) if tuned else None,
    }


@pytest.fixture
def studies_root(tmp_path: Path) -> Path:
    data = {
        "study_a": _summary(
            "sa", [0.9, 0.92], {"fifo": 1.5, "cmu_theta": 1.0}, {"tuned_index": 0.95}
        ),
        "study_b": _summary("sb", [2.2], {"fifo": 3.0, "cmu_theta": 2.0}, {"tuned_index": 2.0}),
    }
    for name, s in data.items():
        (tmp_path / name / "results").mkdir(parents=True)
        (tmp_path / name / "results" / "summary.json").write_text(json.dumps(s))
    (tmp_path / "not_a_study").mkdir()
    return tmp_path


def test_table_reads_each_study_against_its_best_rule_and_tuned(studies_root: Path) -> None:
    studies = load_studies(studies_root)
    assert [s.name for s in studies] == ["study_a", "study_b"]
    studies[0].bound = 0.5
    md = table(studies)
    row_a, row_b = md.splitlines()[2:4]
    assert "**cheaper than** `cmu_theta`" in row_a and "-9.0%" in row_a
    assert "**cheaper than** `tuned_index`" in row_a
    assert "RL 82% above" in row_a  # 0.91 / 0.5 - 1
    assert "**behind** `cmu_theta`" in row_b and "+10.0%" in row_b and "(1 seed)" in row_b
    assert "not computed" in row_b
    studies[0].bound = 0.005  # under 1% of RL's 0.91: says nothing
    assert "0.005 (uninformative)" in table(studies).splitlines()[2]


def test_normalised_runs_divide_by_the_best_rule(studies_root: Path) -> None:
    methods = normalised_runs(load_studies(studies_root))
    assert np.allclose(methods["learned"][0], [0.9, 0.92])
    assert np.allclose(methods["learned"][1], [1.1])
    assert np.allclose(np.concatenate(methods["best tuned router"]), [0.95, 1.0])
    assert np.allclose(np.concatenate(methods["fifo"]), [1.5, 1.5])


def test_cli_writes_page_plots_and_readme_block(studies_root: Path, tmp_path: Path) -> None:
    bounds = tmp_path / "headroom.json"
    bounds.write_text(
        json.dumps([{"scenario": "sa", "bound": 0.5}, {"scenario": "sb", "bound": 0.0}])
    )
    assert load_bounds(bounds) == {"sa": 0.5, "sb": 0.0}
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\nold table\n{END}\nrest\n")
    out = tmp_path / "docs" / "leaderboard.md"
    img = tmp_path / "docs" / "img"
    args = [str(studies_root), "--bounds", str(bounds), "--out", str(out), "--img", str(img)]
    assert main([*args, "--readme", str(readme)]) == 0
    page = out.read_text()
    assert "](img/leaderboard_iqm.png)" in page and "uninformative" in page
    assert (img / "leaderboard_iqm.png").stat().st_size > 1000
    assert (img / "leaderboard_profile.png").stat().st_size > 1000
    text = readme.read_text()
    assert "old table" not in text and "study_a" in text
    assert text.startswith("intro\n") and text.endswith(f"{END}\nrest\n")


def test_bad_inputs_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "s" / "results").mkdir(parents=True)
    bad = tmp_path / "s" / "results" / "summary.json"
    bad.write_text(json.dumps({"scenario": "x"}))
    with pytest.raises(ValueError, match=r"summary.json: missing \['n_training_seeds'"):
        load_studies(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match=r"README\.md: no <!-- leaderboard:start -->"):
        update_readme(readme, "table")


def test_committed_leaderboard_is_fresh(tmp_path: Path) -> None:
    """docs/leaderboard.md and the README's block are what the committed summaries give: a
    study re-run without regenerating them fails here."""
    repo = Path(__file__).resolve().parents[2]
    readme = tmp_path / "README.md"
    readme.write_text((repo / "README.md").read_text())
    out = tmp_path / "leaderboard.md"
    argv = [str(repo / "experiments"), "--bounds", str(repo / "experiments/suite/headroom.json")]
    assert (
        main([*argv, "--out", str(out), "--img", str(tmp_path / "img"), "--readme", str(readme)])
        == 0
    )
    assert out.read_text() == (repo / "docs" / "leaderboard.md").read_text(), (
        "regenerate: python -m rlroute.bench.leaderboard (docs/guide/bench.md)"
    )
    assert readme.read_text() == (repo / "README.md").read_text()


def test_a_results_variant_is_its_own_row(studies_root: Path) -> None:
    variant = studies_root / "study_a" / "results_lever"
    variant.mkdir()
    data = _summary("sa", [0.8], {"fifo": 1.5, "cmu_theta": 1.0}, {"tuned_index": 0.95})
    (variant / "summary.json").write_text(json.dumps(data))
    names = [s.name for s in load_studies(studies_root)]
    assert names == ["study_a", "study_a (lever)", "study_b"]
