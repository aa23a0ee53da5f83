"""Measure CI-gate bands (configs/gate/ci.yaml) for scenarios, the way the existing ones were set.

    python benchmarks/gate_bands.py anonymous_bank anonymous_bank_profiled

300 independent replications (seeds 10000..10299) of the gate's run (routers fifo and
fifo_priority, first 8 intervals) give each KPI's mean mu and per-seed standard deviation sd;
the band is mu +- 5 sd / sqrt(10) (the spread of the gate's 10-seed mean), rounded outwards (3
decimals for fractions, 0.1 s for ``asa``, whole calls for ``offered``) and clipped to physical bounds. Prints the
bands as YAML and the gate's own seeds 0..9 in standard errors from mu.
"""

from __future__ import annotations

import argparse
import math

import yaml

from rlroute.bench import run_benchmark

ROUTERS = ["fifo", "fifo_priority"]
KPIS = ["offered", "service_level", "abandon_rate", "asa", "occupancy", "fcr"]
FRACTIONS = {"service_level", "abandon_rate", "occupancy", "fcr"}


DECIMALS = {"offered": 0, "asa": 1}  # fractions: 3


def _round(x: float, up: bool, kpi: str) -> float | int:
    d = DECIMALS.get(kpi, 3)
    v = (math.ceil if up else math.floor)(round(x * 10**d, 9)) / 10**d
    return int(v) if d == 0 else round(v, d)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--reps", type=int, default=300)
    p.add_argument("--n-jobs", type=int, default=1)
    a = p.parse_args()
    kw = dict(progress=False, horizon_intervals=8, n_jobs=a.n_jobs)
    ref = run_benchmark(a.scenarios, ROUTERS, seeds=list(range(10000, 10000 + a.reps)), **kw).runs
    gate = run_benchmark(a.scenarios, ROUTERS, seeds=10, **kw).runs
    bands: dict = {}
    for (sc, router), df in ref.groupby(["scenario", "router"], sort=False):
        g = gate[(gate.scenario == sc) & (gate.router == router)]
        out = bands.setdefault(sc, {}).setdefault(router, {})
        for kpi in KPIS:
            if kpi not in df or df[kpi].isna().any():
                continue
            mu, sd = float(df[kpi].mean()), float(df[kpi].std(ddof=1))
            if kpi == "fcr" and sd == 0:
                continue
            half = 5 * sd / math.sqrt(10)
            lo, hi = _round(mu - half, False, kpi), _round(mu + half, True, kpi)
            lo = max(lo, 0.0)
            if kpi in FRACTIONS:
                hi = min(hi, 1.0)
            out[kpi] = [lo, hi]
            z = (float(g[kpi].mean()) - mu) / (sd / math.sqrt(10)) if sd > 0 else 0.0
            print(f"# {sc}/{router}/{kpi}: mu {mu:.4g} sd {sd:.4g}, gate seeds 0..9 at {z:+.2f} se")
    print(yaml.safe_dump({"bands": bands}, sort_keys=False, default_flow_style=None))


if __name__ == "__main__":
    main()
