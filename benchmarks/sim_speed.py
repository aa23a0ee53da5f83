"""Simulator speed: calls simulated per second, rlroute against ciw on the same M/M/n+M model.

Run on demand (not a test): ``python benchmarks/sim_speed.py``. Both simulators run the same
model (Poisson arrivals, exponential handle times and patience, FIFO, n agents) in this one
process, so the ratio is measured on the same machine at the same moment. Memory is reported
as the peak traced allocation (``tracemalloc``) for two horizons: it should stay flat as the
horizon grows, since rlroute keeps counters, not call lists.

A third row runs the same model with a FIFO router that the engine must ask at every decision
epoch (``assigns_whenever_possible = False``): with one eligible pair, plain FIFO lets
``Simulator.run`` assign without calling the router (the same decisions), so this row is the
speed of the general decision path that every other router and scenario takes.

The compiled engine (:mod:`rlroute.sim.fast`) runs the same model on the same seeds: through
the one-pair shortcut (``rlroute_fast``), with its compiled FIFO asked at every epoch
(``rlroute_fast_general``, the path of every multi-skill scenario), and with a Python router
asked at every epoch (``rlroute_fast_python_router``, the path of learned policies). Its first
call loads (or, on a fresh install, compiles) the machine code: that time is reported apart as
``fast_warmup_s``. ``--json PATH`` writes every rate and ratio.

ciw is a benchmark-only dependency (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from pathlib import Path

import ciw

from rlroute.scenario import Scenario
from rlroute.sim import FIFORouter, Simulator
from rlroute.sim.fast import FastSimulator


class AskedFIFO(FIFORouter):
    """FIFO that the engine calls at every decision epoch (no one-pair shortcut)."""

    assigns_whenever_possible = False


class PythonFIFO(AskedFIFO):
    """FIFO with its own ``act``: no compiled twin, so the fast engine asks it in Python."""

    def act(self, sim):  # type: ignore[no-untyped-def]
        return super().act(sim)


def run_rlroute(
    lam_h: float,
    aht: float,
    n: int,
    patience: float,
    hours: float,
    seed: int,
    router: type[FIFORouter] = FIFORouter,
    engine: type = Simulator,
):
    scenario = Scenario.single_pool(lam_h, aht, n, mean_patience_s=patience, hours=hours)
    t0 = time.perf_counter()
    report = engine(scenario, seed=seed).run(router())
    return report.overall["offered"], time.perf_counter() - t0, report.overall


def run_ciw(lam_h: float, aht: float, n: int, patience: float, hours: float, seed: int):
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam_h / 3600.0)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / aht)],
        number_of_servers=[n],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / patience)],
    )
    ciw.seed(seed)  # ciw only offers a global seed; confined to this benchmark
    t0 = time.perf_counter()
    q = ciw.Simulation(network)
    q.simulate_until_max_time(hours * 3600.0)
    elapsed = time.perf_counter() - t0
    records = q.get_all_records()
    return len(records), elapsed, records


def peak_memory_mib(hours: float, args: argparse.Namespace, engine: type = Simulator) -> float:
    gc.collect()
    tracemalloc.start()
    run_rlroute(args.rate, args.aht, args.agents, args.patience, hours, args.seed, engine=engine)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1170.0, help="arrivals per hour")
    parser.add_argument("--aht", type=float, default=300.0, help="mean handle time, s")
    parser.add_argument("--patience", type=float, default=300.0, help="mean patience, s")
    parser.add_argument("--hours", type=float, default=50.0, help="rlroute horizon")
    parser.add_argument("--ciw-hours", type=float, default=5.0, help="ciw horizon (it is slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs each")
    parser.add_argument(
        "--python-router-hours", type=float, default=5.0, help="fast engine + Python router"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = parser.parse_args()

    load = args.rate * args.aht / 3600.0
    print(
        f"M/M/{args.agents}+M: {args.rate:g} calls/h, AHT {args.aht:g} s "
        f"({load:.1f} Erlangs), mean patience {args.patience:g} s\n"
    )
    t0 = time.perf_counter()  # the fast engine's machine code: loaded from cache, or compiled
    run_rlroute(
        args.rate, args.aht, args.agents, args.patience, 0.1, args.seed, FIFORouter, FastSimulator
    )
    warmup = time.perf_counter() - t0
    # Best of --repeat runs for each (the least disturbed by other processes), interleaved so
    # all see the same machine load.
    ours_runs, asked_runs, ciw_runs, fast_runs, fast_asked_runs, fast_py_runs = (
        [] for _ in "123456"
    )
    for r in range(args.repeat):
        model = (args.rate, args.aht, args.agents, args.patience, args.hours, args.seed + r)
        ours_runs.append(run_rlroute(*model))
        asked_runs.append(run_rlroute(*model, router=AskedFIFO))
        fast_runs.append(run_rlroute(*model, engine=FastSimulator))
        fast_asked_runs.append(run_rlroute(*model, router=AskedFIFO, engine=FastSimulator))
        short = (*model[:4], args.python_router_hours, model[5])
        fast_py_runs.append(run_rlroute(*short, router=PythonFIFO, engine=FastSimulator))
        ciw_runs.append(
            run_ciw(args.rate, args.aht, args.agents, args.patience, args.ciw_hours, args.seed + r)
        )
    n_ours, t_ours, kpis = max(ours_runs, key=lambda x: x[0] / x[1])
    n_asked, t_asked, _ = max(asked_runs, key=lambda x: x[0] / x[1])
    for (_, _, k_ours), (_, _, k_asked), (_, _, k_fast), (_, _, k_fast_asked) in zip(
        ours_runs, asked_runs, fast_runs, fast_asked_runs, strict=True
    ):
        assert k_ours == k_asked, "asking the router must not change a single number"
        assert k_fast == k_ours and k_fast_asked == k_ours, "the engines must agree exactly"
    n_ciw, t_ciw, _ = max(ciw_runs, key=lambda x: x[0] / x[1])
    ours, theirs, asked = n_ours / t_ours, n_ciw / t_ciw, n_asked / t_asked
    rate = {
        name: max(n / t for n, t, _ in runs)
        for name, runs in (
            ("fast", fast_runs),
            ("fast_general", fast_asked_runs),
            ("fast_python_router", fast_py_runs),
        )
    }
    print("| simulator | horizon (h) | calls | seconds | calls/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| ciw {ciw.__version__} | {args.ciw_hours:g} | {n_ciw} | {t_ciw:.2f} | {theirs:,.0f} | 1.0 |"
    )
    print(
        f"| rlroute | {args.hours:g} | {n_ours:.0f} | {t_ours:.2f} | {ours:,.0f} | "
        f"{ours / theirs:.1f} |"
    )
    print(
        f"| rlroute, router asked at every epoch | {args.hours:g} | {n_asked:.0f} | "
        f"{t_asked:.2f} | {asked:,.0f} | {asked / theirs:.1f} |"
    )
    for name, label, hours in (
        ("fast", "rlroute fast engine", args.hours),
        ("fast_general", "rlroute fast engine, router asked at every epoch", args.hours),
        ("fast_python_router", "rlroute fast engine, Python router", args.python_router_hours),
    ):
        print(f"| {label} | {hours:g} | | | {rate[name]:,.0f} | {rate[name] / theirs:.1f} |")
    print(f"\nfast engine warm-up (cache load or compile): {warmup:.1f} s")
    print(f"\nrlroute KPIs: abandon_rate {kpis['abandon_rate']:.4f}, asa {kpis['asa']:.2f} s")
    short, long_ = args.hours / 5, args.hours
    m_short, m_long = peak_memory_mib(short, args), peak_memory_mib(long_, args)
    f_short = peak_memory_mib(short, args, FastSimulator)
    f_long = peak_memory_mib(long_, args, FastSimulator)
    print("\n| horizon (h) | reference peak traced memory (MiB) | fast engine (MiB) |")
    print("|---:|---:|---:|")
    print(
        f"| {short:g} | {m_short:.2f} | {f_short:.2f} |\n| {long_:g} | {m_long:.2f} | {f_long:.2f} |"
    )
    if args.json is not None:
        out = {
            "model": {
                "agents": args.agents,
                "calls_per_hour": args.rate,
                "aht_s": args.aht,
                "patience_s": args.patience,
                "hours": args.hours,
                "ciw_hours": args.ciw_hours,
                "python_router_hours": args.python_router_hours,
            },
            "ciw_calls_per_s": theirs,
            "rlroute_calls_per_s": ours,
            "rlroute_general_calls_per_s": asked,
            "rlroute_fast_calls_per_s": rate["fast"],
            "rlroute_fast_general_calls_per_s": rate["fast_general"],
            "rlroute_fast_python_router_calls_per_s": rate["fast_python_router"],
            "ratio_vs_ciw": {
                "rlroute": ours / theirs,
                "rlroute_general": asked / theirs,
                "rlroute_fast": rate["fast"] / theirs,
                "rlroute_fast_general": rate["fast_general"] / theirs,
                "rlroute_fast_python_router": rate["fast_python_router"] / theirs,
            },
            "fast_warmup_s": warmup,
            "peak_memory_mib": {
                "reference": {str(short): m_short, str(long_): m_long},
                "fast": {str(short): f_short, str(long_): f_long},
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
