"""The tunable index router and its tuner: valid on every scenario, reproducible tuning, a
saved result that reloads into the same router, and a case whose optimum is known."""

from __future__ import annotations

import json

import pytest

from rlroute.policies import make_router
from rlroute.policies.index import IndexRouter, ReservationIndexRouter
from rlroute.policies.tune import (
    TRAIN_SEED_BASE,
    cmu_theta_params,
    evaluate,
    main,
    scenario_hash,
    tune,
)
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario, scenario_names
from rlroute.sim import Simulator


def _short(name: str) -> Scenario:
    """The first interval of a scenario, 10 minutes long: enough decisions, fast."""
    data = load_scenario(name).to_dict()
    data["n_intervals"], data["interval_s"], data["intervals_per_day"] = 1, 600.0, None
    for ct in data["call_types"]:
        for key in ("arrival_rates_per_hour", "handle_time_profile"):
            if ct.get(key):
                ct[key] = ct[key][:1]
    for grp in data["agent_groups"]:
        grp["head_count"] = grp["head_count"][:1]
    return Scenario.from_dict(data)


def _two_types(costly_abandon: float = 20.0) -> Scenario:
    """One overloaded pool, two types with the same handle and patience; one costs far more
    per abandoned call. By the c-mu rule (equal mu and theta) strict priority of the costly
    type is optimal."""
    patience = {"kind": "exponential", "mean_s": 120.0}
    return Scenario.from_dict(
        {
            "name": "two_types",
            "interval_s": 3600.0,
            "n_intervals": 1,
            "call_types": [
                {
                    "name": "cheap",
                    "arrival_rates_per_hour": 100,
                    "patience": patience,
                    "cost": {"wait_per_s": 0.0, "abandon": 1.0},
                },
                {
                    "name": "costly",
                    "arrival_rates_per_hour": 40,
                    "patience": patience,
                    "cost": {"wait_per_s": 0.0, "abandon": costly_abandon},
                },
            ],
            "agent_groups": [
                {
                    "name": "pool",
                    "head_count": 6,
                    "skills": {
                        "cheap": {"handle_time": {"kind": "exponential", "mean_s": 180.0}},
                        "costly": {"handle_time": {"kind": "exponential", "mean_s": 180.0}},
                    },
                }
            ],
        }
    )


def test_index_router_needs_parameters_and_stays_out_of_all() -> None:
    with pytest.raises(ValueError, match="give path="):
        make_router("index")
    with pytest.raises(ValueError, match="unknown pairs"):
        Simulator(_two_types(), 0).run(make_router("index", q={"nope->pool": 1.0}))


@pytest.mark.parametrize("name", scenario_names())
def test_index_router_is_cmu_theta_at_its_start_point_on_every_scenario(name: str) -> None:
    """The c-mu/theta point of the family makes c-mu/theta's decisions, everywhere; a random
    point (wait weights, a reserve) runs with valid actions."""
    sc = _short(name)
    a = Simulator(sc, 1).run(make_router("index", **cmu_theta_params(sc))).overall
    b = Simulator(sc, 1).run(make_router("cmu_theta")).overall
    del a["decisions"], b["decisions"]
    assert a == b
    pairs = [f"{sc.type_names[k]}->{sc.group_names[g]}" for k, g in sc.eligible_pairs()]
    q = {p: (i * 0.37) % 1 for i, p in enumerate(pairs)}
    router = make_router("index", q=q, a=0.3, reserve={pairs[0]: 1})
    assert isinstance(router, ReservationIndexRouter)
    rep = Simulator(sc, 1).run(router, validate=True).overall
    assert rep["answered"] > 0


def test_tuning_is_reproducible_saves_and_reloads(tmp_path) -> None:
    sc = _short("heterogeneous")
    kw = {"family": "index", "n_trials": 5, "n_days": 1, "seed": 3}
    r1, r2 = tune(sc, **kw), tune(sc, **kw)
    assert r1["params"] == r2["params"] and r1["best_objective"] == r2["best_objective"]
    assert r1["train_seeds"] == [TRAIN_SEED_BASE]
    assert r1["scenario_hash"] == scenario_hash(sc) and len(r1["trial_objectives"]) == 5
    assert r1["best_objective"] <= r1["start_objective"]  # trial 0 is c-mu/theta
    path = tmp_path / "tuned.json"
    path.write_text(json.dumps(r1))
    reloaded = make_router("index", path=str(path))
    assert isinstance(reloaded, IndexRouter) and reloaded.path == str(path)
    seed = TRAIN_SEED_BASE
    assert Simulator(sc, seed).run(reloaded).overall["cost_per_call"] == pytest.approx(
        r1["best_objective"], rel=1e-12
    )
    assert (
        evaluate(sc, r1["params"], [7])
        == Simulator(sc, 7).run(make_router("index", path=str(path))).overall["cost_per_call"]
    )


def test_cli_writes_a_result_the_benchmark_spec_loads(tmp_path, capsys) -> None:
    out = tmp_path / "r.json"
    scenario = tmp_path / "two.yaml"
    _two_types().to_yaml(scenario)
    args = ["--scenario", str(scenario), "--trials", "3", "--days", "1", "--out", str(out)]
    assert main([*args, "--family", "reservation", "--max-reserve", "2"]) == 0
    assert "best cost/call" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["family"] == "reservation" and set(data["params"]["reserve"]) == {
        "cheap->pool",
        "costly->pool",
    }
    from rlroute.bench.specs import resolve_routers

    (spec,) = resolve_routers([{"name": "index", "path": str(out), "label": "tuned"}])
    assert spec.build().name == "index"
    assert main(["--scenario", "nope", "--out", str(out)]) == 2


def test_tuning_recovers_the_c_mu_priority_order() -> None:
    """Started from random points, not from c-mu/theta, the search must find that the costly
    type goes first: a larger static score, and on days it never saw a cost close to strict
    priority of the costly type, far from the reverse order."""
    sc = _two_types()
    res = tune(sc, n_trials=20, n_days=2, seed=0, sampler="tpe", start=None)
    days = [11, 12, 13]
    tuned = evaluate(sc, res["params"], days)
    costly_first = evaluate(sc, {"q": {"costly->pool": 1.0, "cheap->pool": 0.0}}, days)
    cheap_first = evaluate(sc, {"q": {"costly->pool": 0.0, "cheap->pool": 1.0}}, days)
    assert costly_first < 0.8 * cheap_first  # the order matters here
    q = res["params"]["q"]
    assert q["costly->pool"] > q["cheap->pool"]
    assert tuned - costly_first < 0.25 * (cheap_first - costly_first), (tuned, costly_first)
