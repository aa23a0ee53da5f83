"""Tune a parametric router by black-box search on training days, and save it for the benchmark.

    python -m rlroute.policies.tune --scenario heterogeneous --trials 60 --days 6 \\
        --out experiments/tuned_baselines/heterogeneous_index.json
    rlroute-bench scenarios=[heterogeneous] reference=cmu_theta seeds=20 \\
        'routers=[cmu_theta,{name: index, label: tuned_index,
                             path: experiments/tuned_baselines/heterogeneous_index.json}]'

The objective of a trial is the mean cost per call of the router over ``--days`` training
days, simulated with seeds ``TRAIN_SEED_BASE + i`` (10**6 + i): far from the benchmark's
evaluation seeds (``rlroute-bench`` uses 0 .. seeds-1), so the tuned router is tested on days it
never saw. Every trial sees the same days (common random numbers), so trials differ only by
their parameters. The search is CMA-ES (default; Optuna's CmaEsSampler, started at c-mu/theta
with step 0.1: a local search around the rule, which on ``heterogeneous`` found in 40 trials
what TPE did not find in 50) or Optuna's TPE over the whole box; seeded, in one process, so
the same command gives the same best parameters. The ``reservation`` family uses TPE by default
(a CMA-ES step of 0.1 never moves an integer reserve) and starts from two trials: c-mu/theta, and
c-mu/theta with one agent of each flexible group reserved for its top type.

Families (:mod:`rlroute.policies.index`):

* ``index``: ``q_kg`` per pair in [0, 1] and ``a_k`` per type in [0, 1] (13 parameters on
  ``heterogeneous``); work-conserving;
* ``reservation``: the same plus an integer reserve ``0 .. --max-reserve`` for each pair of a
  group with more than one skill (not work-conserving).

The first trial is c-mu/theta written in the family (``q_kg`` its normalised index, ``a = 0``),
so the best trial is never worse than c-mu/theta on the training days.

The result file (JSON) records the parameters, the scenario (name and sha256 of its canonical
YAML), the training seeds, the sampler and its seed, every trial's objective, the best
objective and the start (c-mu/theta) objective, and the wall time; ``{name: index, path: ...}``
loads it in any router list.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from rlroute.policies._common import INF, abandon_rate, holding_cost_rate
from rlroute.policies.index import make_index_router
from rlroute.scenario import Scenario, ScenarioError, truncate_intervals
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator

#: Training seeds are ``TRAIN_SEED_BASE + i``; benchmark seeds are small integers.
TRAIN_SEED_BASE = 10**6
FAMILIES = ("index", "reservation")
SAMPLERS = ("tpe", "cmaes")


def scenario_hash(scenario: Scenario) -> str:
    """sha256 of the scenario's canonical YAML (sorted keys): the same text rlroute-bench hashes
    in its config hashes, so a result names exactly the scenario it was tuned on."""
    text = yaml.safe_dump(scenario.to_dict(), sort_keys=True, width=1000)
    return hashlib.sha256(text.encode()).hexdigest()


def train_seeds(n_days: int) -> list[int]:
    return [TRAIN_SEED_BASE + i for i in range(n_days)]


def _pair_names(scenario: Scenario) -> list[tuple[str, int, int]]:
    types, groups = scenario.type_names, scenario.group_names
    return [(f"{types[k]}->{groups[g]}", k, g) for k, g in scenario.eligible_pairs()]


def flexible_pairs(scenario: Scenario) -> list[str]:
    """Pairs whose group serves more than one type: the only ones a reserve can matter for."""
    skills = [len(g.skills) for g in scenario.agent_groups]
    return [n for n, _, g in _pair_names(scenario) if skills[g] > 1]


def cmu_theta_params(scenario: Scenario) -> dict[str, Any]:
    """c-mu/theta as a point of the index family: ``q_kg`` its index over the largest finite
    one (in (0, 1]; types that never abandon, with an infinite index, get 1 and the others are
    halved below them), ``a = 0``. Same order, same ties, hence the same decisions."""
    sim = Simulator(scenario, 0)
    idx = {}
    for name, k, g in _pair_names(scenario):
        theta = abandon_rate(sim, k)
        idx[name] = (
            INF if theta == 0 else holding_cost_rate(sim, k) / (sim.mean_agent_time[k][g] * theta)
        )
    finite = [v for v in idx.values() if math.isfinite(v)]
    top = max(finite) if finite else 1.0
    scale = 0.5 if len(finite) < len(idx) else 1.0
    q = {
        n: (1.0 if not math.isfinite(v) else scale * v / top if top > 0 else 0.0)
        for n, v in idx.items()
    }
    return {"q": q, "a": {t: 0.0 for t in scenario.type_names}, "reserve": {}}


def _reserving(scenario: Scenario) -> dict[str, Any]:
    """c-mu/theta with a reserve of 1 on every pair whose type is not its group's top type
    (the largest c-mu/theta index in the group): the ``threshold`` rule's idea in the family."""
    params = cmu_theta_params(scenario)
    q = params["q"]
    top: dict[str, float] = {}
    for name in q:
        group = name.split("->", 1)[1]
        top[group] = max(top.get(group, -1.0), q[name])
    flexible = set(flexible_pairs(scenario))
    params["reserve"] = {n: 1 for n in q if n in flexible and q[n] < top[n.split("->", 1)[1]]}
    return params


def evaluate(scenario: Scenario, params: dict[str, Any], seeds: Sequence[int]) -> float:
    """Mean cost per call of the index router with ``params`` over ``seeds`` (one day each)."""
    total = 0.0
    for seed in seeds:
        router = make_index_router(params.get("q"), params.get("a"), params.get("reserve"))
        total += Simulator(scenario, seed).run(router).overall["cost_per_call"]
    return total / len(seeds)


def _flat(params: dict[str, Any], reserve_pairs: Sequence[str]) -> dict[str, Any]:
    """The parameters as Optuna trial values (for ``enqueue_trial``)."""
    out: dict[str, Any] = {f"q[{n}]": v for n, v in params["q"].items()}
    out.update({f"a[{t}]": v for t, v in params["a"].items()})
    out.update({f"reserve[{n}]": int(params["reserve"].get(n, 0)) for n in reserve_pairs})
    return out


def tune(
    scenario: Scenario | str,
    family: str = "index",
    n_trials: int = 60,
    n_days: int = 6,
    seed: int = 0,
    sampler: str | None = None,
    max_reserve: int = 3,
    horizon_intervals: int | None = None,
    start: str | None = "cmu_theta",
) -> dict[str, Any]:
    """Search the family's parameters; return the result record (see the module doc).

    ``start="cmu_theta"`` makes c-mu/theta the first trial; ``None`` leaves every trial to
    the sampler (tests use it to check that the search finds a known optimum by itself).
    """
    import optuna

    if family not in FAMILIES:
        raise ValueError(f"family {family!r}: use one of {FAMILIES}")
    if sampler is None:  # CMA-ES cannot move integer reserves with a small step: TPE there
        sampler = "tpe" if family == "reservation" else "cmaes"
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler {sampler!r}: use one of {SAMPLERS}")
    if start not in ("cmu_theta", None):
        raise ValueError(f"start {start!r}: use 'cmu_theta' or None")
    if n_trials < 1 or n_days < 1:
        raise ValueError(f"need trials >= 1 and days >= 1, got {n_trials} and {n_days}")
    sc = load_scenario(scenario)
    if horizon_intervals:
        sc = truncate_intervals(sc, horizon_intervals)
    seeds = train_seeds(n_days)
    pairs = [n for n, _, _ in _pair_names(sc)]
    reserve_pairs = flexible_pairs(sc) if family == "reservation" else []

    def params_of(trial: optuna.trial.BaseTrial) -> dict[str, Any]:
        return {
            "q": {n: trial.suggest_float(f"q[{n}]", 0.0, 1.0) for n in pairs},
            "a": {t: trial.suggest_float(f"a[{t}]", 0.0, 1.0) for t in sc.type_names},
            "reserve": {
                n: trial.suggest_int(f"reserve[{n}]", 0, max_reserve) for n in reserve_pairs
            },
        }

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if sampler == "tpe":
        smp: optuna.samplers.BaseSampler = optuna.samplers.TPESampler(seed=seed)
    else:
        # CMA-ES searches around c-mu/theta (or the middle of the box), a local search
        x0 = _flat(cmu_theta_params(sc), reserve_pairs) if start else None
        smp = optuna.samplers.CmaEsSampler(
            x0=x0, sigma0=0.1 if start else None, seed=seed, warn_independent_sampling=False
        )
    study = optuna.create_study(direction="minimize", sampler=smp)
    if start == "cmu_theta":
        study.enqueue_trial(_flat(cmu_theta_params(sc), reserve_pairs))
        if reserve_pairs:  # and c-mu/theta keeping one agent per group for its top type
            study.enqueue_trial(_flat(_reserving(sc), reserve_pairs))
    t0 = time.perf_counter()
    study.optimize(lambda tr: evaluate(sc, params_of(tr), seeds), n_trials=n_trials)
    wall = time.perf_counter() - t0
    best = optuna.trial.FixedTrial(study.best_params)
    return {
        "router": "index",
        "family": family,
        "params": params_of(best),
        "scenario": sc.name,
        "scenario_hash": scenario_hash(sc),
        "horizon_intervals": horizon_intervals,
        "train_seeds": seeds,
        "sampler": sampler,
        "sampler_seed": seed,
        "n_trials": n_trials,
        "best_trial": study.best_trial.number,
        "best_objective": study.best_value,
        "start_objective": study.trials[0].value if start else None,
        "start": start,
        "objective": "mean cost_per_call over the training days",
        "trial_objectives": [t.value for t in study.trials],
        "wall_s": round(wall, 2),
        "optuna_version": optuna.__version__,
    }


def save_result(result: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m rlroute.policies.tune",
        description="Tune a parametric index router on training days; write a JSON result that "
        "rlroute-bench loads with {name: index, path: FILE}.",
    )
    p.add_argument("--scenario", required=True, help="scenario name or YAML path")
    p.add_argument("--family", choices=FAMILIES, default="index")
    p.add_argument("--trials", type=int, default=60, help="number of trials (default 60)")
    p.add_argument("--days", type=int, default=6, help="training days, seeds 10**6 + i")
    p.add_argument("--seed", type=int, default=0, help="sampler seed")
    p.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default=None,
        help="default: cmaes (index), tpe (reservation)",
    )
    p.add_argument("--max-reserve", type=int, default=3, help="largest reserve (reservation)")
    p.add_argument("--horizon-intervals", type=int, default=None, help="truncate the days")
    p.add_argument("--out", required=True, help="result file (JSON)")
    args = p.parse_args(argv)
    try:
        result = tune(
            args.scenario,
            family=args.family,
            n_trials=args.trials,
            n_days=args.days,
            seed=args.seed,
            sampler=args.sampler,
            max_reserve=args.max_reserve,
            horizon_intervals=args.horizon_intervals,
        )
    except (ScenarioError, ValueError) as exc:
        print(f"rlroute.policies.tune: {exc}", file=sys.stderr)
        return 2
    out = save_result(result, args.out)
    print(
        f"{result['scenario']} ({result['family']}, {result['n_trials']} trials, "
        f"{len(result['train_seeds'])} days, {result['wall_s']} s): best cost/call "
        f"{result['best_objective']:.4f} (c-mu/theta start {result['start_objective']:.4f}) "
        f"-> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
