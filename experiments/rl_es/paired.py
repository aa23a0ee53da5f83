"""ES policies against the clones they started from, paired on the same benchmark days.

Reads two study outputs (``runs.csv`` of ``python -m rlroute.bench.study``), averages each
side's cost per call over its training seeds per evaluation day, and prints the paired
relative difference (A minus B over B) with its 95% t-interval over the days, as the study
does against a baseline; plus the same per training seed (seed k of A against seed k of B).

    python experiments/rl_es/paired.py experiments/rl_es/results/es_index150 es_index150 \
        experiments/rl_es/results/clone_index150 clone_index150
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from rlroute.bench.stats import t_interval


def _costs(results: Path, label: str) -> pd.DataFrame:
    """eval day x training seed table of cost per call for routers ``<label>_seed<k>``."""
    runs = pd.read_csv(results / "runs.csv")
    runs = runs[runs["router"].str.startswith(f"{label}_seed")]
    if runs.empty:
        raise SystemExit(f"{results}/runs.csv: no router {label}_seed<k>")
    return runs.pivot(index="seed", columns="router", values="cost_per_call")


def main() -> None:
    ap = argparse.ArgumentParser(prog="python experiments/rl_es/paired.py")
    ap.add_argument("a_results", type=Path)
    ap.add_argument("a_label")
    ap.add_argument("b_results", type=Path)
    ap.add_argument("b_label")
    args = ap.parse_args()
    a, b = _costs(args.a_results, args.a_label), _costs(args.b_results, args.b_label)
    # Training seed k of A against training seed k of B (B restricted to A's seeds).
    seeds = [c.removeprefix(f"{args.a_label}_seed") for c in a.columns]
    b = b[[f"{args.b_label}_seed{s}" for s in seeds]]
    if list(a.index) != list(b.index):
        raise SystemExit("the two studies ran different evaluation days")
    diff = a.mean(axis=1).to_numpy() - b.mean(axis=1).to_numpy()
    ref = float(b.mean(axis=1).mean())
    mean, hw, n = t_interval(diff)
    print(
        f"{args.a_label} ({a.mean(axis=1).mean():.4f}) vs {args.b_label} ({ref:.4f}) on {n} days: "
        f"{100 * mean / ref:+.2f}% [{100 * (mean - hw) / ref:+.2f}%, {100 * (mean + hw) / ref:+.2f}%]"
    )
    for ca, cb in zip(a.columns, b.columns):
        m, h, _ = t_interval(a[ca].to_numpy() - b[cb].to_numpy())
        r = float(b[cb].mean())
        print(
            f"  {ca} vs {cb}: {100 * m / r:+.2f}% [{100 * (m - h) / r:+.2f}%, {100 * (m + h) / r:+.2f}%]"
        )


if __name__ == "__main__":
    main()
