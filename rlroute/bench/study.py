"""Evaluate a multi-seed training study against baseline routers, with honest statistics.

    python -m rlroute.bench.study RUNS_DIR --scenario heterogeneous --seeds 20 \\
        --tuned tuned_index=index:experiments/tuned_baselines/heterogeneous_index.json \\
        --out RESULTS_DIR

Baselines are every fixed rule we ship (:data:`FIXED_RULES`, ``--baselines rules``, the default)
plus any tuned router given with ``--tuned LABEL=NAME:PATH`` (a searched router saved by
``python -m rlroute.policies.tune``): an RL claim is made against the *best* of them.

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
* the verdict, against the best fixed rule and the best tuned router (lowest mean cost per
  call over the evaluation days): the paired relative difference and its 95% interval, read as
  *cheaper* (interval below 0), *behind* (above 0) or *level with* (contains 0).

Writes ``results.md`` (the tables), ``results.json``, ``runs.csv`` (every scenario x router x
seed KPI row) and ``summary.json`` (the machine-readable headline the cross-scenario
leaderboard, :mod:`rlroute.bench.leaderboard`, is built from) into ``--out`` and prints the
Markdown.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
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
      --tuned tuned_index=index:experiments/tuned_baselines/heterogeneous_index.json \\
      --seeds 20 --out experiments/rl_heterogeneous/results
"""

#: Every fixed (untuned) rule shipped in :mod:`rlroute.policies`: ``--baselines rules``.
FIXED_RULES = (
    "fifo",
    "fifo_priority",
    "sbr",
    "lia",
    "priority",
    "threshold",
    "cmu",
    "gcmu",
    "cmu_theta",
    "weight_based",
    "maxweight",
)
SUMMARY_FILE = "summary.json"

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
    scenario: str = ""
    seeds: tuple[int, ...] = ()


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
    tuned: Mapping[str, Mapping[str, str]] | None = None,
    n_jobs: int = 1,
    label: str = "rl",
) -> StudyResult:
    """Run every trained policy and baseline on ``seeds`` and build the study's tables.

    ``baselines`` are router names (fixed rules); ``tuned`` maps a label to the spec of a
    searched router (``{"name": "index", "path": "...json"}``), benchmarked under that label.
    """
    if not run_dirs:
        raise ValueError("no trained runs (folders with run.json and model.zip) to evaluate")
    tuned = {lab: dict(spec) for lab, spec in (tuned or {}).items()}
    clash = set(tuned) & set(baselines)
    if clash:
        raise ValueError(f"tuned labels {sorted(clash)} are also baseline names; rename them")
    infos = [RunInfo.load(d) for d in run_dirs]
    labels = [f"{label}_seed{i.seed}" for i in infos]
    if len(set(labels)) != len(labels):
        labels = [f"{label}_{k}_seed{i.seed}" for k, i in enumerate(infos)]
    specs: list[Any] = list(baselines)
    specs += [{"name": sp["name"], "path": sp["path"], "label": lab} for lab, sp in tuned.items()]
    specs += [{"name": "sb3", "path": str(d), "label": lab} for d, lab in zip(run_dirs, labels)]
    all_baselines = [*baselines, *tuned]
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
    for b in all_baselines:
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
                "tuned": b in tuned,
            }
        )
    paired = pd.DataFrame(paired_rows)

    verdict = _verdict(table, paired, rl_row, list(baselines), list(tuned))
    md = _markdown(table, per_seed, paired, verdict, scenario, list(seeds), labels)
    return StudyResult(runs, table, per_seed, paired, verdict, md, scenario, tuple(seeds))


def standing(lo: float, hi: float) -> str:
    """How a paired relative difference (RL minus baseline) reads: ``cheaper`` when its whole
    95% interval is below 0, ``behind`` when above 0, ``level with`` otherwise."""
    if hi < 0:
        return "cheaper"
    if lo > 0:
        return "behind"
    return "level with"


def _verdict(
    table: pd.DataFrame,
    paired: pd.DataFrame,
    rl_row: dict[str, Any],
    rules: list[str],
    tuned: list[str],
) -> dict[str, Any]:
    """The learned policy against the best fixed rule, the best tuned router and the best of
    all (lowest mean cost per call on the evaluation days), paired on the same days."""
    cost = table.set_index("router")["cost_per_call"]
    hw = table.set_index("router")["cost_per_call_hw"]
    pr = paired.set_index("baseline")
    r_mean, r_hw = rl_row["cost_per_call"], rl_row["cost_per_call_hw"]
    verdict: dict[str, Any] = {
        "rl_cost_per_call": [r_mean, r_mean - r_hw, r_mean + r_hw],
        "best_rule": min(rules, key=lambda b: cost[b]) if rules else None,
        "best_tuned": min(tuned, key=lambda b: cost[b]) if tuned else None,
        "best": min(rules + tuned, key=lambda b: cost[b]) if rules + tuned else None,
        "against": {},
    }
    for b in {verdict["best_rule"], verdict["best_tuned"], verdict["best"]} - {None}:
        row = pr.loc[b]
        verdict["against"][b] = {
            "cost_per_call": [cost[b], cost[b] - hw[b], cost[b] + hw[b]],
            "rel_diff": float(row["rel_diff"]),
            "ci": [float(row["rel_lo"]), float(row["rel_hi"])],
            "standing": standing(float(row["rel_lo"]), float(row["rel_hi"])),
            "tuned": bool(row["tuned"]),
        }
    return verdict


def _verdict_lines(verdict: dict[str, Any]) -> list[str]:
    lines = []
    for role, key in (("best fixed rule", "best_rule"), ("best tuned router", "best_tuned")):
        b = verdict.get(key)
        if b is None:
            continue
        v = verdict["against"][b]
        lines.append(
            f"**Against the {role}** `{b}` ({v['cost_per_call'][0]:.4f}): the learned policy "
            f"({verdict['rl_cost_per_call'][0]:.4f}) is **{v['standing']}**"
            f"{' than' if v['standing'] == 'cheaper' else ''} it, "
            f"{100 * v['rel_diff']:+.1f}% [{100 * v['ci'][0]:+.1f}%, {100 * v['ci'][1]:+.1f}%] "
            "(paired relative difference in cost per call, 95% interval)."
        )
        lines.append("")
    return lines


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
    lines += _verdict_lines(verdict)
    lines += [
        "Paired differences in cost per call (learned policy averaged over training seeds minus "
        "baseline, per evaluation day; negative = the learned policy is cheaper):",
        "",
        markdown_table(
            ["baseline", "baseline cost/call", "difference", "relative", "training seeds better"],
            [
                [
                    r["baseline"] + (" (tuned)" if r["tuned"] else ""),
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
    (out / SUMMARY_FILE).write_text(json.dumps(summary(result), indent=2, allow_nan=False) + "\n")
    return out


def _num(x: Any) -> float | None:
    """A float for strict JSON: NaN (an interval from one training seed) becomes null."""
    x = float(x)
    return x if math.isfinite(x) else None


def summary(result: StudyResult) -> dict[str, Any]:
    """The study's machine-readable headline (``summary.json``): the learned policy's cost per
    call with its 95% interval across training seeds (null with one seed), and per baseline its
    cost per call, the paired relative difference RL minus baseline over baseline (negative =
    RL cheaper) with its 95% interval over evaluation days, and whether it was tuned."""
    per_seed = result.per_seed
    rl = result.table.iloc[0]
    lo, hi = (
        rl["cost_per_call"] - rl["cost_per_call_hw"],
        rl["cost_per_call"] + rl["cost_per_call_hw"],
    )
    baselines = {}
    for _, r in result.paired.iterrows():
        baselines[str(r["baseline"])] = {
            "cost_per_call": _num(r["baseline_cost_per_call"]),
            "rel_diff": _num(r["rel_diff"]),
            "ci": [_num(r["rel_lo"]), _num(r["rel_hi"])],
            "standing": standing(float(r["rel_lo"]), float(r["rel_hi"])),
            "tuned": bool(r["tuned"]),
            "training_seeds_better": int(r["training_seeds_better"]),
        }
    ci = [_num(lo), _num(hi)]
    return {
        "scenario": result.scenario,
        "n_training_seeds": len(per_seed),
        "n_eval_days": len(result.seeds),
        "eval_seeds": [int(x) for x in result.seeds],
        "rl": {
            "cost_per_call": _num(rl["cost_per_call"]),
            "ci": None if None in ci else ci,
            "per_training_seed": {
                str(int(r["training_seed"])): _num(r["cost_per_call"])
                for _, r in per_seed.iterrows()
            },
        },
        "baselines": baselines,
        "best_rule": result.verdict["best_rule"],
        "best_tuned": result.verdict["best_tuned"],
    }


def parse_baselines(text: str) -> list[str]:
    """``"rules,random"`` -> every fixed rule then ``random`` (duplicates dropped, order kept)."""
    names: list[str] = []
    for b in (x.strip() for x in text.split(",")):
        for name in FIXED_RULES if b == "rules" else (b,) if b else ():
            if name not in names:
                names.append(name)
    return names


def parse_tuned(text: str) -> tuple[str, dict[str, str]]:
    """``"tuned_index=index:path.json"`` -> ``("tuned_index", {"name": "index", "path": ...})``."""
    label, eq, rest = text.partition("=")
    name, colon, path = rest.partition(":")
    if not (eq and colon and label and name and path):
        raise SystemExit(
            f"--tuned {text!r}: expected LABEL=NAME:PATH, e.g. tuned_index=index:x.json"
        )
    if not Path(path).exists():
        raise SystemExit(f"--tuned {text!r}: no file {path}")
    return label, {"name": name, "path": path}


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
    ap.add_argument(
        "--baselines",
        default="rules",
        help="comma-separated routers; 'rules' = every fixed rule (FIXED_RULES), and may be "
        "combined: 'rules,random'",
    )
    ap.add_argument(
        "--tuned",
        action="append",
        default=[],
        metavar="LABEL=NAME:PATH",
        help="a tuned router benchmarked as LABEL (repeatable), e.g. "
        "tuned_index=index:experiments/tuned_baselines/heterogeneous_index.json",
    )
    ap.add_argument("--seeds", type=int, default=20, help="evaluation seeds 0..n-1")
    ap.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="evaluate on seeds first..first+n-1 instead: held-out days for a setting chosen "
        "on the benchmark days 0..n-1 (keep clear of eval days 100000+ and training days)",
    )
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--label", default="rl")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    runs = find_runs(args.runs)
    result = evaluate_study(
        runs,
        args.scenario,
        parse_baselines(args.baselines),
        list(range(args.first_seed, args.first_seed + args.seeds)),
        tuned=dict(parse_tuned(t) for t in args.tuned),
        n_jobs=args.n_jobs,
        label=args.label,
    )
    write_study(result, args.out)
    print(result.markdown)
    print(f"wrote {args.out}/results.md, results.json, runs.csv, {SUMMARY_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
