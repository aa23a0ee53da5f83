"""Learning curves of the RL levers: eval cost per call (the 5 eval days, seeds 100000+) against
training steps, read from each run's ``eval.jsonl``.

    python experiments/rl_levers/curves.py experiments/rl_levers/runs/fast_10M \\
        experiments/rl_heterogeneous_fast/runs --at 250000,500000,1000000,2000000,5000000,10000000

Each argument is a folder of runs (one per training seed, found recursively). For every folder
and every step of ``--at`` the table gives the mean over its seeds of the eval cost of the last
evaluation at or before that step, and the best eval cost up to it (what ``deliver: best``
would hand back), so curves evaluated at different frequencies compare at the same steps.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rlroute.bench.study import find_runs

EVAL_FILE = "eval.jsonl"


def read_curve(run: Path) -> tuple[np.ndarray, np.ndarray]:
    """(steps, eval cost per call) of one run, in step order."""
    rows = [json.loads(x) for x in (run / EVAL_FILE).read_text().splitlines() if x.strip()]
    rows.sort(key=lambda r: r["step"])
    return (
        np.array([r["step"] for r in rows], dtype=float),
        np.array([r["cost_per_call"] for r in rows], dtype=float),
    )


def at_steps(steps: np.ndarray, cost: np.ndarray, at: list[int]) -> tuple[list[float], list[float]]:
    """Last eval cost at or before each step of ``at``, and the best eval cost up to it
    (NaN where the run has no evaluation yet or has not reached that step). Evaluations fall
    on whole rollouts (e.g. step 50,048 for 50k), hence the 2% slack."""
    last, best = [], []
    for a in at:
        seen = steps <= a * 1.02
        if not seen.any() or steps.max() < a * 0.98:  # not trained that far
            last.append(np.nan)
            best.append(np.nan)
            continue
        last.append(float(cost[seen][-1]))
        best.append(float(cost[seen].min()))
    return last, best


def table(folders: list[Path], at: list[int]) -> str:
    head = "| runs | seeds | " + " | ".join(f"{a / 1e6:g}M" for a in at) + " |"
    lines = [
        "Eval cost per call (5 eval days), mean over seeds: last evaluation at or before the "
        "step (best so far in brackets).",
        "",
        head,
        "|:---|---:|" + "---:|" * len(at),
    ]
    for folder in folders:
        runs = [r for r in find_runs(folder) if (r / EVAL_FILE).exists()]
        if not runs:
            continue
        per = [at_steps(*read_curve(r), at) for r in runs]
        last = np.array([p[0] for p in per])
        best = np.array([p[1] for p in per])
        cells = []
        for j in range(len(at)):
            if np.isnan(last[:, j]).any():
                cells.append("-")
            else:
                cells.append(f"{last[:, j].mean():.3f} ({best[:, j].mean():.3f})")
        lines.append(f"| {folder} | {len(runs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python experiments/rl_levers/curves.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("folders", type=Path, nargs="+", help="folders of runs (one per row)")
    ap.add_argument("--at", default="250000,500000,1000000", help="comma-separated training steps")
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args(argv)
    text = table(args.folders, [int(x) for x in args.at.split(",")])
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
