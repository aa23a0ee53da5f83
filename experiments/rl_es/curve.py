"""The ES learning curve of a study: per block of iterations, the centre's cost per call
relative to the start policy's on the same training days (es.jsonl), averaged over seeds.

    python experiments/rl_es/curve.py experiments/rl_es/runs/es_index150 [--block 10]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(prog="python experiments/rl_es/curve.py")
    ap.add_argument("runs", type=Path)
    ap.add_argument("--block", type=int, default=10)
    args = ap.parse_args()
    logs = {}
    for f in sorted(args.runs.glob("seed*/es.jsonl")):
        logs[f.parent.name] = [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
    if not logs:
        raise SystemExit(f"{args.runs}: no seed*/es.jsonl")
    n = min(len(v) for v in logs.values())
    print(f"ES learning curve, {len(logs)} seeds ({', '.join(logs)}), {n} iterations each.")
    print("Centre minus start, relative cost per call on the same training days (mean over")
    print("the block's iterations and the seeds; +- the t half-width over seeds).")
    print()
    print("| iterations | centre vs start | centre cost/call | start cost/call |")
    print("|---|---|---|---|")
    for lo in range(0, n, args.block):
        hi = min(lo + args.block, n)
        per_seed = [np.mean([r["centre_rel"] for r in v[lo:hi]]) for v in logs.values()]
        centre = np.mean([r["centre"] for v in logs.values() for r in v[lo:hi]])
        start = np.mean([r["start"] for v in logs.values() for r in v[lo:hi]])
        m = float(np.mean(per_seed))
        hw = 0.0
        if len(per_seed) > 1:
            from scipy.stats import t

            hw = float(t.ppf(0.975, len(per_seed) - 1) * np.std(per_seed, ddof=1))
            hw /= np.sqrt(len(per_seed))
        spread = f" ± {100 * hw:.2f}%" if len(per_seed) > 1 else ""
        print(f"| {lo}-{hi - 1} | {100 * m:+.2f}%{spread} | {centre:.4f} | {start:.4f} |")
    print()
    print("| seed | iterations | ES wall (s) | s per iteration | decisions/s |")
    print("|---|---|---|---|---|")
    for name, v in logs.items():
        wall = sum(r["wall_s"] for r in v)
        dps = sum(r["decisions"] for r in v) / wall
        print(f"| {name} | {len(v)} | {wall:.0f} | {wall / len(v):.1f} | {dps:.0f} |")


if __name__ == "__main__":
    main()
