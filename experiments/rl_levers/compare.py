"""The RL levers ablation on `heterogeneous`: every lever's runs, paired against c-mu/theta and the
tuned index routers (30 and 150 Optuna trials) on the 20 benchmark days (seeds 0..19, common
random numbers).

    python experiments/rl_levers/compare.py experiments/rl_levers/runs \\
        --seeds 20 --n-jobs 2 --out experiments/rl_levers/results

Each sub-folder of RUNS is a lever (its name is the table's row); its trained runs (folders with
``run.json`` + ``model.zip``, one per training seed) are averaged per day, then paired against
each baseline day by day: relative difference = mean(rl - baseline) / mean(baseline), with the
95% t-interval of the paired differences over the days (the formula of
``python -m rlroute.bench.study``; negative = the learned policy is cheaper). ``--extra
LABEL=DIR`` adds other studies' runs (e.g. the from-scratch policies of experiments/rl_heterogeneous).

Every router's 20 days are cached by the hash of its model file (``results/cache/``), so adding a
lever only simulates the new runs. Writes ``results.md`` (the ablation table) and
``results.json`` (per lever: ``scenario``, ``n_training_seeds``, ``n_eval_days``,
``rl: {cost_per_call, ci}``, ``baselines: {<router>: {cost_per_call, rel_diff, ci, tuned}}``).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rlroute.bench.runner import run_benchmark
from rlroute.bench.stats import t_interval
from rlroute.bench.study import find_runs
from rlroute.rl.runs import MODEL_FILE, RunInfo

SCENARIO = "heterogeneous"
INDEX = "experiments/tuned_baselines/heterogeneous_index.json"
INDEX150 = "experiments/tuned_baselines/heterogeneous_index150.json"
BASELINES: dict[str, dict[str, Any]] = {
    "cmu_theta": {"spec": "cmu_theta", "tuned": False},
    "tuned_index": {
        "spec": {"name": "index", "path": INDEX, "label": "tuned_index"},
        "tuned": True,
    },
    # the same index router re-tuned with 150 Optuna trials: the best tuned baseline
    "tuned_index150": {
        "spec": {"name": "index", "path": INDEX150, "label": "tuned_index150"},
        "tuned": True,
    },
}


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _costs(spec: Any, key: str, seeds: list[int], cache: Path, n_jobs: int) -> np.ndarray:
    """Cost per call of one router on ``seeds`` (cached under ``key``)."""
    f = cache / f"{key}_{len(seeds)}.json"
    if f.exists():
        return np.asarray(json.loads(f.read_text()), dtype=float)
    res = run_benchmark([SCENARIO], [spec], seeds, n_jobs=n_jobs, progress=False).runs
    costs = res.sort_values("seed")["cost_per_call"].to_numpy(float)
    cache.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps(costs.tolist()))
    return costs


def _describe(run: Path) -> dict[str, Any]:
    """Lever settings read back from the run's resolved config."""
    cfg_file = run / "config.yaml"
    cfg = yaml.safe_load(cfg_file.read_text()) if cfg_file.exists() else {}
    hp = (cfg.get("algo") or {}).get("hyperparams") or {}
    arch = (hp.get("policy_kwargs") or {}).get("net_arch")
    if isinstance(arch, dict):  # {pi: [...], vf: [...]}: the actor's layers name the size
        arch = arch.get("pi")
    im = cfg.get("imitation") or {}
    teacher = im.get("teacher") if im.get("enabled") else None
    if isinstance(teacher, dict):
        teacher = teacher.get("name")
    info = RunInfo.load(run)
    ppo = bool(info.num_timesteps) and bool(hp)  # a clone alone (0 steps): no PPO settings
    return {
        "teacher": teacher,
        "dagger_rounds": im.get("dagger_rounds") if teacher else None,
        "label_smoothing": im.get("label_smoothing", 0.0) if teacher else None,
        "learning_rate": hp.get("learning_rate") if ppo else None,
        "target_kl": hp.get("target_kl") if ppo else None,
        "ent_coef": hp.get("ent_coef") if ppo else None,
        "net_arch": "x".join(str(n) for n in arch) if arch else None,
        "gamma": hp.get("gamma", 0.99) if ppo else None,
        "samples_per_update": hp.get("n_steps", 0) * int(cfg.get("n_envs", 1)) if ppo else None,
        "steps": info.num_timesteps,
        "delivered_step": info.delivered_step,
    }


def _versus(lever: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> dict[str, Any]:
    """A lever paired day by day against its reference lever, on the training seeds both have
    (all of each otherwise): a lever is judged against the same seeds without it."""
    common = sorted(set(lever) & set(ref))
    a = np.mean([lever[k] for k in (common or sorted(lever))], axis=0)
    b = np.mean([ref[k] for k in (common or sorted(ref))], axis=0)
    d, dhw, _ = t_interval(a - b)
    r = float(b.mean())
    # the day-paired interval leaves out the training-seed noise: count the seeds that agree
    better = sum(float(lever[k].mean()) < float(ref[k].mean()) for k in common)
    return {
        "seeds": common or "all",
        "seeds_better": better if common else None,
        "cost_per_call": r,
        "rel_diff": d / r,
        "ci": [(d - dhw) / r, (d + dhw) / r],
    }


def compare(
    levers: dict[str, list[Path]],
    seeds: list[int],
    out: Path,
    n_jobs: int = 1,
    references: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Every lever against the baselines; ``references`` (pattern, lever): each lever whose name
    matches the fnmatch pattern is also paired against that lever (e.g. ``fast_*`` against
    ``fast_1M``, the same settings without the lever)."""
    cache = out / "cache"
    base = {name: _costs(b["spec"], name, seeds, cache, n_jobs) for name, b in BASELINES.items()}
    results: dict[str, Any] = {}
    per_seed: dict[str, dict[str, np.ndarray]] = {}
    for lever, runs in levers.items():
        per_run = np.stack(
            [
                _costs(
                    {"name": "sb3", "path": str(r), "label": "rl"},
                    _hash(r / MODEL_FILE),
                    seeds,
                    cache,
                    n_jobs,
                )
                for r in runs
            ]
        )
        per_seed[lever] = {r.name: c for r, c in zip(runs, per_run)}
        rl = per_run.mean(axis=0)  # per day, averaged over training seeds
        seed_means = per_run.mean(axis=1)
        m, hw, _ = t_interval(seed_means) if len(runs) > 1 else (float(seed_means[0]), np.nan, 1)
        entry: dict[str, Any] = {
            "scenario": SCENARIO,
            "n_training_seeds": len(runs),
            "n_eval_days": len(seeds),
            "runs": [str(r) for r in runs],
            "settings": [_describe(r) for r in runs],
            "per_seed_cost_per_call": seed_means.tolist(),
            "rl": {"cost_per_call": float(rl.mean()), "ci": [m - hw, m + hw]},
            "baselines": {},
        }
        for name, b in base.items():
            d, dhw, _ = t_interval(rl - b)
            ref = float(b.mean())
            entry["baselines"][name] = {
                "cost_per_call": ref,
                "rel_diff": d / ref,
                "ci": [(d - dhw) / ref, (d + dhw) / ref],
                "tuned": BASELINES[name]["tuned"],
            }
        results[lever] = entry
    for lever, entry in results.items():
        for pattern, ref in references or []:
            if ref in per_seed and ref != lever and fnmatch.fnmatch(lever, pattern):
                entry["reference"] = {"lever": ref, **_versus(per_seed[lever], per_seed[ref])}
                break
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(markdown(results, base))
    return results


def _opt(x: Any) -> str:
    return "-" if x is None else str(x)


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


def _reference(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    seeds = (
        "all seeds" if r["seeds"] == "all" else ",".join(x.removeprefix("seed") for x in r["seeds"])
    )
    return (
        f"{_pct(r['rel_diff'])} [{_pct(r['ci'][0])}, {_pct(r['ci'][1])}] vs {r['lever']} "
        f"({seeds}: {r['cost_per_call']:.4f})"
        + (
            f", {r['seeds_better']}/{len(r['seeds'])} seeds cheaper"
            if r["seeds_better"] is not None
            else ""
        )
    )


def markdown(results: dict[str, Any], base: dict[str, np.ndarray]) -> str:
    lines = [
        f"# RL levers on `{SCENARIO}`: paired on benchmark days 0..{len(next(iter(base.values()))) - 1}",
        "",
        "Cost per call; relative difference = mean(rl - baseline) / mean(baseline) over the days "
        "(rl averaged over training seeds), 95% t-interval of the paired differences; negative "
        "= the learned policy is cheaper.",
        "",
        "| baseline | cost per call |",
        "|:---|---:|",
        *[f"| {n} | {b.mean():.4f} |" for n, b in base.items()],
        "",
        "| lever | teacher | smoothing | net | lr | ent | target_kl | γ | samples/update | steps "
        "| seeds | cost per call | vs c-mu/θ | vs tuned index | vs tuned index150 "
        "| vs reference (same seeds) |",
        "|:---|:---|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for lever, e in results.items():
        s = e["settings"][0]
        steps = sorted({x["steps"] for x in e["settings"]})
        vs = " | ".join(
            f"{_pct(b['rel_diff'])} [{_pct(b['ci'][0])}, {_pct(b['ci'][1])}]"
            for b in e["baselines"].values()
        )
        lines.append(
            f"| {lever} | {s['teacher'] or '-'} | {_opt(s['label_smoothing'])} "
            f"| {_opt(s.get('net_arch'))} | {_opt(s['learning_rate'])} | {_opt(s.get('ent_coef'))} "
            f"| {_opt(s['target_kl'])} | {_opt(s.get('gamma'))} "
            f"| {_opt(s.get('samples_per_update'))} "
            f"| {'/'.join(str(x) for x in steps)} | {e['n_training_seeds']} "
            f"| {e['rl']['cost_per_call']:.4f} | {vs} | {_reference(e.get('reference'))} |"
        )
    lines.append("")
    lines.append("Per training seed (cost per call, mean over the days) and delivered step:")
    lines.append("")
    for lever, e in results.items():
        per = ", ".join(
            f"{c:.4f} (step {s['delivered_step']})"
            for c, s in zip(e["per_seed_cost_per_call"], e["settings"])
        )
        lines.append(f"* {lever}: {per}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python experiments/rl_levers/compare.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("runs", type=Path, help="one sub-folder per lever, runs inside")
    ap.add_argument("--seeds", type=int, default=20, help="benchmark days 0..n-1")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--extra", action="append", default=[], help="LABEL=DIR: more runs")
    ap.add_argument("--only", default=None, help="comma-separated levers to evaluate")
    ap.add_argument(
        "--reference",
        action="append",
        default=[],
        help="PATTERN=LEVER: pair the levers matching PATTERN (fnmatch) against LEVER too",
    )
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    levers: dict[str, list[Path]] = {}
    for d in sorted(p for p in args.runs.iterdir() if p.is_dir()):
        runs = find_runs(d)
        if runs:
            levers[d.name] = runs
    for item in args.extra:
        label, _, path = item.partition("=")
        levers[label] = find_runs(path)
    if args.only:
        keep = args.only.split(",")
        levers = {k: v for k, v in levers.items() if k in keep}
    refs = [(pat, ref) for pat, _, ref in (x.partition("=") for x in args.reference)]
    compare(levers, list(range(args.seeds)), args.out, args.n_jobs, refs)
    print((args.out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
