"""Headroom on the RL suite: the lower bounds beside the rules' simulated cost per call.

    python experiments/suite/headroom.py --seeds 3

For every scenario of configs/suite/rl.yaml: the fluid LP bound (rlroute.theory.fluid), the
stochastic Erlang A bound (rlroute.theory.stochastic) and the larger of the two
(rlroute.theory.stochastic.lower_bound, the ``bound`` the leaderboard reads, with the method
that gave it), and fifo, cmu_theta and the best other rule for the scenario (threshold on
`reservation`) simulated on benchmark seeds 0 .. seeds-1, plus the tuned baselines of
experiments/tuned_baselines/ that match the scenario. Writes headroom.json and headroom.md
beside this file and prints the table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml

from rlroute.bench.runner import run_benchmark
from rlroute.bench.stats import t_interval
from rlroute.scenarios import config_dir, load_scenario
from rlroute.theory.stochastic import lower_bound

HERE = Path(__file__).resolve().parent
TUNED = HERE.parent / "tuned_baselines"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args()
    suite = yaml.safe_load((config_dir() / "suite" / "rl.yaml").read_text())["scenarios"]
    rows = []
    for name in suite:
        sc = load_scenario(name)
        lb = lower_bound(sc)
        print(name, "bounds", lb.to_dict(), flush=True)
        routers: list = ["fifo", "cmu_theta"]
        if name == "reservation":
            routers.append("threshold")
        for f in sorted(TUNED.glob(f"{name}_*.json")):
            routers.append(
                {"name": "index", "path": str(f), "label": f"tuned_{f.stem[len(name) + 1 :]}"}
            )
        t0 = time.perf_counter()
        res = run_benchmark([sc], routers, args.seeds, progress=False)
        sim_s = time.perf_counter() - t0
        for router, grp in res.runs.groupby("router", sort=False):
            mean, hw, n = t_interval(grp["cost_per_call"].to_numpy())
            above = (mean - lb.cost_per_call) / lb.cost_per_call if lb.cost_per_call > 0 else None
            rows.append(
                {
                    "scenario": name,
                    "router": router,
                    "cost_per_call": mean,
                    "half_width": hw,
                    "n_seeds": n,
                    "bound": lb.cost_per_call,
                    "bound_method": lb.method,
                    "fluid_bound": lb.fluid,
                    "stochastic_bound": lb.stochastic,
                    "above_bound": above,
                    "bound_s": round(lb.fluid_s + lb.stochastic_s, 2),
                    "fluid_s": round(lb.fluid_s, 2),
                    "stochastic_s": round(lb.stochastic_s, 2),
                    "sim_s": round(sim_s, 1),
                }
            )
        print(name, "done", round(sim_s, 1), "s", flush=True)
    lines = [
        "| scenario | fluid bound | stochastic bound | bound (method) | router "
        "| cost/call (95% CI) | above the bound |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        above = "n/a (bound 0)" if r["above_bound"] is None else f"{100 * r['above_bound']:.0f}%"
        lines.append(
            f"| {r['scenario']} | {r['fluid_bound']:.4f} | {r['stochastic_bound']:.4f} | "
            f"{r['bound']:.4f} ({r['bound_method']}) | {r['router']} | "
            f"{r['cost_per_call']:.4f} ± {r['half_width']:.4f} | {above} |"
        )
    md = "\n".join(lines)
    (HERE / "headroom.md").write_text(md + "\n")
    (HERE / "headroom.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(md)


if __name__ == "__main__":
    main()
