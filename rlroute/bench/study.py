"""Evaluate a multi-seed training study against baseline routers, with honest statistics.

    python -m rlroute.bench.study RUNS_DIR --scenario heterogeneous \\
        --baselines fifo,sbr,lia,cmu,gcmu,cmu_theta --seeds 20 --out RESULTS_DIR

Every trained run in ``RUNS_DIR`` (any folder holding ``run.json`` and ``model.zip``) becomes an
``sb3`` router; all routers run through :func:`rlroute.bench.runner.run_benchmark` on the same
evaluation seeds (common random numbers; seeds ``0..n-1`` by default, which training never
uses: its days come from seeds >= 2**30 and its evaluation from 100000+). Then:

* each **training seed**'s score is its mean KPI over the evaluation seeds; the learned policy's
  headline number is the mean of those scores with a 95% t-interval *across training seeds*
  (what another training seed would give), and their IQM with a percentile-bootstrap interval
  (rliable's recommendation for few runs);
* each **baseline**'s number is its mean over the evaluation seeds with a 95% t-interval;
* **paired differences** per evaluation seed (policy averaged over training seeds minus the
  baseline, same day), whose t-interval removes the day-to-day noise;
* the verdict: does the learned policy's interval lie entirely below the best of the
  reference baselines' intervals (non-overlapping 95% intervals)?

Writes ``results.md`` (the tables), ``results.json``, ``runs.csv`` (every scenario x router x
seed KPI row) into ``--out`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rlroute.bench.report import markdown_table
from rlroute.bench.runner import run_benchmark
from rlroute.bench.stats import iqm, stratified_bootstrap_ci, t_interval
from rlroute.rl.runs import METRICS_FILE, MODEL_FILE, RUN_INFO_FILE, RunInfo

EXAMPLE = """example:
  python -m rlroute.bench.study experiments/rl_heterogeneous/runs --scenario heterogeneous \\
      --baselines fifo,sbr,lia,cmu,gcmu,cmu_theta --seeds 20 --out experiments/rl_heterogeneous/results
"""

KPIS = ("cost_per_call", "service_level", "abandon_rate", "asa", "fcr")
#: Lower is better for these; the rest (service level, fcr) higher is better.
LOWER_IS_BETTER = {"cost_per_call", "abandon_rate", "asa"}


def find_runs(root: str | Path) -> list[Path]:
    """Run directories under ``root`` (holding run.json and model.zip), sorted by seed."""
    root = Path(root)
    runs = [p.parent for p in root.rglob(RUN_INFO_FILE) if (p.parent / MODEL_FILE).exists()]
    runs = [r for r in runs if "checkpoints" not in r.parts and r.name != "best"]
    return sorted(runs, key=lambda r: (RunInfo.load(r).seed, str(r)))


@dataclass
class StudyResult:
    runs: pd.DataFrame  # one row per router x eval seed (all KPIs)
    table: pd.DataFrame  # headline: one row per router (RL + baselines)
    per_seed: pd.DataFrame  # one row per training seed
    paired: pd.DataFrame  # RL (mean over training seeds) - baseline, per eval seed
    verdict: dict[str, Any]
    markdown: str


def _t(x: Sequence[float]) -> tuple[float, float]:
    mean, hw, _ = t_interval(np.asarray(x, dtype=float))
    return mean, hw


def _iqm_ci(x: Sequence[float], seed: int = 0) -> tuple[float, float, float]:
    return stratified_bootstrap_ci([np.asarray(x, dtype=float)], iqm, 5000, 0.95, seed)


def evaluate_study(
    run_dirs: Sequence[Path],
    scenario: str,
    baselines: Sequence[str],
    seeds: Sequence[int],
    reference: Sequence[str] = ("fifo", "sbr", "lia"),
    n_jobs: int = 1,
    label: str = "rl",
) -> StudyResult:
    """Run every trained policy and baseline on ``seeds`` and build the study's tables."""
    if not run_dirs:
        raise ValueError("no trained runs (folders with run.json and model.zip) to evaluate")
    infos = [RunInfo.load(d) for d in run_dirs]
    labels = [f"{label}_seed{i.seed}" for i in infos]
    if len(set(labels)) != len(labels):
        labels = [f"{label}_{k}_seed{i.seed}" for k, i in enumerate(infos)]
    specs: list[Any] = list(baselines) + [
        {"name": "sb3", "path": str(d), "label": lab} for d, lab in zip(run_dirs, labels)
    ]
    result = run_benchmark([scenario], specs, list(seeds), n_jobs=n_jobs, progress=False)
    runs = result.runs

    def kpi_matrix(kpi: str) -> np.ndarray:  # training seeds x eval seeds
        return np.stack(
            [runs[runs["router"] == lab].sort_values("seed")[kpi].to_numpy(float) for lab in labels]
        )

    rows, per_seed_rows = [], []
    for k, (d, info, _lab) in enumerate(zip(run_dirs, infos, labels)):
        metrics_file = d / METRICS_FILE
        m = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
        row = {
            "training_seed": info.seed,
            "run": str(d),
            "steps": info.num_timesteps,
            "delivered_step": info.delivered_step,
            "train_wall_s": m.get("train/wall_s", math.nan),
        }
        for kpi in KPIS:
            row[kpi] = float(kpi_matrix(kpi)[k].mean())
        per_seed_rows.append(row)
    per_seed = pd.DataFrame(per_seed_rows)

    # Headline rows: the learned policy across training seeds, then each baseline over days.
    rl_row: dict[str, Any] = {"router": f"{label} (mean over {len(labels)} training seeds)"}
    iqm_row: dict[str, Any] = {"router": f"{label} IQM (bootstrap over training seeds)"}
    days_row: dict[str, Any] = {"router": f"{label} (over eval days, training seeds averaged)"}
    for kpi in KPIS:
        mat = kpi_matrix(kpi)
        rl_row[kpi], rl_row[f"{kpi}_hw"] = _t(mat.mean(axis=1))
        point, lo, hi = _iqm_ci(mat.mean(axis=1))
        iqm_row[kpi], iqm_row[f"{kpi}_lo"], iqm_row[f"{kpi}_hi"] = point, lo, hi
        days_row[kpi], days_row[f"{kpi}_hw"] = _t(mat.mean(axis=0))
    rows += [rl_row, iqm_row, days_row]
    base_by_seed: dict[str, pd.DataFrame] = {}
    for b in baselines:
        grp = runs[runs["router"] == b].sort_values("seed")
        base_by_seed[b] = grp
        row = {"router": b}
        for kpi in KPIS:
            row[kpi], row[f"{kpi}_hw"] = _t(grp[kpi].to_numpy(float))
        rows.append(row)
    table = pd.DataFrame(rows)

    # Paired differences on the same days: RL (averaged over training seeds) - baseline.
    paired_rows = []
    cost = kpi_matrix("cost_per_call").mean(axis=0)
    for b, grp in base_by_seed.items():
        base = grp["cost_per_call"].to_numpy(float)
        mean, hw = _t(cost - base)
        ref_mean = float(base.mean())
        per_training_seed = kpi_matrix("cost_per_call").mean(axis=1) - ref_mean
        paired_rows.append(
            {
                "baseline": b,
                "baseline_cost_per_call": ref_mean,
                "diff": mean,
                "diff_hw": hw,
                "rel_diff": mean / ref_mean,
                "rel_lo": (mean - hw) / ref_mean,
                "rel_hi": (mean + hw) / ref_mean,
                "training_seeds_better": int((per_training_seed < 0).sum()),
            }
        )
    paired = pd.DataFrame(paired_rows)

    # Verdict against the best reference baseline.
    ref_present = [r for r in reference if r in base_by_seed]
    verdict: dict[str, Any] = {"reference": ref_present}
    if ref_present:
        best = min(ref_present, key=lambda b: table.set_index("router").loc[b, "cost_per_call"])
        t = table.set_index("router")
        b_mean, b_hw = t.loc[best, "cost_per_call"], t.loc[best, "cost_per_call_hw"]
        r_mean, r_hw = rl_row["cost_per_call"], rl_row["cost_per_call_hw"]
        verdict.update(
            {
                "best_reference": best,
                "best_reference_cost_per_call": [b_mean, b_mean - b_hw, b_mean + b_hw],
                "rl_cost_per_call": [r_mean, r_mean - r_hw, r_mean + r_hw],
                "non_overlapping": bool(r_mean + r_hw < b_mean - b_hw),
                "improvement_vs_best_reference": float(1 - r_mean / b_mean),
            }
        )
    md = _markdown(table, per_seed, paired, verdict, scenario, list(seeds), labels)
    return StudyResult(runs, table, per_seed, paired, verdict, md)


def _fmt(mean: float, hw: float, d: int = 4) -> str:
    if hw != hw:  # NaN
        return f"{mean:.{d}f}"
    return f"{mean:.{d}f} ± {hw:.{d}f}"


def _markdown(
    table: pd.DataFrame,
    per_seed: pd.DataFrame,
    paired: pd.DataFrame,
    verdict: dict[str, Any],
    scenario: str,
    seeds: list[int],
    labels: list[str],
) -> str:
    lines = [
        f"### {scenario}: learned policy vs baselines",
        "",
        f"{len(labels)} training seeds; every router on evaluation seeds {seeds[0]}..{seeds[-1]} "
        f"({len(seeds)} simulated days, common random numbers). Mean ± 95% t-interval half-width; "
        "IQM with a 95% percentile-bootstrap interval [lo, hi].",
        "",
    ]
    header = ["router", *KPIS]
    body = []
    for _, r in table.iterrows():
        cells = [str(r["router"])]
        for kpi in KPIS:
            d = 2 if kpi == "asa" else 4
            if f"{kpi}_lo" in r and r[f"{kpi}_lo"] == r[f"{kpi}_lo"]:
                cells.append(f"{r[kpi]:.{d}f} [{r[f'{kpi}_lo']:.{d}f}, {r[f'{kpi}_hi']:.{d}f}]")
            else:
                cells.append(_fmt(r[kpi], r.get(f"{kpi}_hw", math.nan), d))
        body.append(cells)
    lines += [markdown_table(header, body), ""]
    if verdict.get("best_reference"):
        v = verdict
        lines += [
            f"**Verdict**: best of {v['reference']} is `{v['best_reference']}` "
            f"({v['best_reference_cost_per_call'][0]:.4f}, 95% CI "
            f"[{v['best_reference_cost_per_call'][1]:.4f}, {v['best_reference_cost_per_call'][2]:.4f}]); "
            f"learned policy {v['rl_cost_per_call'][0]:.4f} "
            f"[{v['rl_cost_per_call'][1]:.4f}, {v['rl_cost_per_call'][2]:.4f}] across training "
            f"seeds: {'non-overlapping' if v['non_overlapping'] else 'OVERLAPPING'} intervals, "
            f"{abs(100 * v['improvement_vs_best_reference']):.1f}% "
            f"{'lower' if v['improvement_vs_best_reference'] >= 0 else 'higher'} cost per call.",
            "",
        ]
    lines += [
        "Paired differences in cost per call (learned policy averaged over training seeds minus "
        "baseline, per evaluation day; negative = the learned policy is cheaper):",
        "",
        markdown_table(
            ["baseline", "baseline cost/call", "difference", "relative", "training seeds better"],
            [
                [
                    r["baseline"],
                    f"{r['baseline_cost_per_call']:.4f}",
                    _fmt(r["diff"], r["diff_hw"]),
                    f"{100 * r['rel_diff']:+.1f}% [{100 * r['rel_lo']:+.1f}%, {100 * r['rel_hi']:+.1f}%]",
                    f"{r['training_seeds_better']}/{len(per_seed)}",
                ]
                for _, r in paired.iterrows()
            ],
        ),
        "",
        "Per training seed (mean over the evaluation days):",
        "",
        markdown_table(
            ["seed", *KPIS, "steps", "delivered step", "train wall (s)"],
            [
                [
                    str(r["training_seed"]),
                    *[f"{r[k]:.{2 if k == 'asa' else 4}f}" for k in KPIS],
                    str(r["steps"]),
                    str(r["delivered_step"]),
                    f"{r['train_wall_s']:.0f}",
                ]
                for _, r in per_seed.iterrows()
            ],
        ),
        "",
    ]
    return "\n".join(lines)


def write_study(result: StudyResult, out: str | Path) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(result.markdown)
    result.runs.to_csv(out / "runs.csv", index=False)
    payload = {
        "table": result.table.to_dict(orient="records"),
        "per_seed": result.per_seed.to_dict(orient="records"),
        "paired": result.paired.to_dict(orient="records"),
        "verdict": result.verdict,
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2, default=float) + "\n")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rlroute.bench.study``: evaluate a folder of trained runs (see module doc)."""
    ap = argparse.ArgumentParser(
        prog="python -m rlroute.bench.study",
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("runs", type=Path, help="folder with the trained runs (searched recursively)")
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--baselines", default="fifo,sbr,lia,cmu,gcmu,cmu_theta")
    ap.add_argument("--reference", default="fifo,sbr,lia", help="the baselines to beat")
    ap.add_argument("--seeds", type=int, default=20, help="evaluation seeds 0..n-1")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--label", default="rl")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    runs = find_runs(args.runs)
    result = evaluate_study(
        runs,
        args.scenario,
        [b for b in args.baselines.split(",") if b],
        list(range(args.seeds)),
        reference=[r for r in args.reference.split(",") if r],
        n_jobs=args.n_jobs,
        label=args.label,
    )
    write_study(result, args.out)
    print(result.markdown)
    print(f"wrote {args.out}/results.md, results.json, runs.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
