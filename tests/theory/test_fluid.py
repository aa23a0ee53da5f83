"""The fluid LP lower bound: below the exact Erlang A cost, below simulation, equal to the
optimum computed by hand on small cases."""

from __future__ import annotations

import pytest

from rlroute.bench.stats import t_interval
from rlroute.policies import make_router
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator
from rlroute.theory import erlang_a_metrics
from rlroute.theory.fluid import fluid_bound


def _erlang_a_cost(lam_h: float, handle: float, n: int, patience: float, cw: float, ca: float):
    """Exact expected cost per call of M/M/n+M under FCFS: P(abandon) (ca + cw / theta), since
    the mean wait of all arrivals is P(abandon) / theta (exponential patience)."""
    m = erlang_a_metrics(lam_h / 3600.0, handle, n, patience, 20.0)
    return m.p_abandon * ca + cw * m.asa_s


@pytest.mark.parametrize("lam_h", [200.0, 290.0, 400.0, 600.0])
def test_single_pool_bound_is_below_erlang_a(lam_h: float) -> None:
    """M/M/20+M, handle 240 s (capacity 300 calls/h), patience 300 s, default costs (wait 1/60
    per s, abandon 1). In a single pool FCFS is optimal among work-conserving rules, and the
    bound must be below its exact cost; in overload it is (1 - n mu / lam)(ca + cw / theta)."""
    sc = Scenario.single_pool(lam_h, 240.0, 20, mean_patience_s=300.0, hours=10.0)
    bound = fluid_bound(sc)
    exact = _erlang_a_cost(lam_h, 240.0, 20, 300.0, 1 / 60, 1.0)
    assert bound.cost_per_call <= exact
    hand = max(0.0, 1 - 300.0 / lam_h) * (1.0 + 300.0 / 60.0)
    assert bound.cost_per_call == pytest.approx(hand, abs=1e-9)
    if lam_h > 300:  # overload: the bound is tight to within the Erlang-A randomness
        assert bound.cost_per_call >= 0.8 * exact


@pytest.mark.parametrize("lam_h", [290.0, 400.0])
def test_simulated_costs_are_above_the_bound(lam_h: float) -> None:
    """Simulated cost per call: its 95% interval over 5 days reaches the bound or above."""
    sc = Scenario.single_pool(lam_h, 240.0, 20, mean_patience_s=300.0, hours=6.0)
    bound = fluid_bound(sc).cost_per_call
    costs = [Simulator(sc, s).run(make_router("fifo")).overall["cost_per_call"] for s in range(5)]
    mean, half_width, _ = t_interval(costs)
    assert mean + half_width >= bound


def _two_types(wait_cheap: float = 0.0) -> Scenario:
    return Scenario.from_dict(
        {
            "interval_s": 3600.0,
            "call_types": [
                {
                    "name": "vip",
                    "arrival_rates_per_hour": 60,
                    "patience": {"kind": "exponential", "mean_s": 60.0},
                    "cost": {"wait_per_s": 0.0, "abandon": 5.0},
                },
                {
                    "name": "std",
                    "arrival_rates_per_hour": 300,
                    "patience": {"kind": "exponential", "mean_s": 600.0},
                    "cost": {"wait_per_s": wait_cheap, "abandon": 1.0},
                },
            ],
            "agent_groups": [
                {
                    "name": "pool",
                    "head_count": 20,
                    "skills": {
                        "vip": {"handle_time": {"kind": "exponential", "mean_s": 240.0}},
                        "std": {"handle_time": {"kind": "exponential", "mean_s": 240.0}},
                    },
                }
            ],
        }
    )


def test_two_types_by_hand() -> None:
    """Capacity 300 calls/h for 360 offered, so 60 calls/h must abandon. Without waiting
    costs a std abandon costs 1 and a vip one 5: the fluid optimum serves every vip and lets 60
    std go, cost 60 / 360 per call. With std waiting at 1/60 per s and patience 600 s, a std
    abandon costs 1 + 600 / 60 = 11 (the waits behind it), more than a vip's 5: the optimum
    flips and lets the 60 vip go, cost 60 * 5 / 360."""
    b = fluid_bound(_two_types())
    assert b.cost_per_call == pytest.approx(60 / 360)
    assert b.answered[0, 0, 0] == pytest.approx(60) and b.abandoned[0, 1] == pytest.approx(60)
    b = fluid_bound(_two_types(wait_cheap=1 / 60))
    assert b.cost_per_call == pytest.approx(60 * 5 / 360)
    assert b.abandoned[0, 0] == pytest.approx(60) and b.answered[0, 1, 0] == pytest.approx(300)
    assert b.components["wait"] == pytest.approx(0, abs=1e-9)


def test_non_exponential_patience_gives_a_weaker_valid_bound() -> None:
    """Gamma(shape 1) patience is exponential written another way: the tangent bound on the
    abandoners' waits must lie below the exact exponential identity, and above the bound
    without any waiting cost."""
    exp = _two_types(wait_cheap=1 / 60)
    data = exp.to_dict()
    data["call_types"][1]["patience"] = {"kind": "gamma", "shape": 1.0, "scale": 600.0}
    gam = Scenario.from_dict(data)
    no_wait = fluid_bound(_two_types()).cost_per_call
    assert no_wait < fluid_bound(gam).cost_per_call <= fluid_bound(exp).cost_per_call


def test_repeat_calls_enter_the_ratio() -> None:
    """Underloaded, fcr 0.8, repeat probability 0.5: every call is answered, offered calls are
    lam / (1 - 0.5 * 0.2) and 20% of them are unresolved, so the cost per call is 0.2 * u."""
    sc = Scenario.single_pool(100.0, 120.0, 20, mean_patience_s=300.0)
    data = sc.to_dict()
    data["call_types"][0]["cost"]["unresolved"] = 2.0
    data["call_types"][0]["repeat"] = {
        "probability": 0.5,
        "delay": {"kind": "exponential", "mean_s": 60.0},
    }
    data["agent_groups"][0]["skills"]["call"]["fcr"] = 0.8
    b = fluid_bound(Scenario.from_dict(data))
    assert b.offered == pytest.approx(100 / 0.9)
    assert b.cost_per_call == pytest.approx(0.2 * 2.0)


@pytest.mark.parametrize(
    "name",
    ["heterogeneous", "reservation", pytest.param("long_chain_20x20", marks=pytest.mark.slow)],
)
def test_suite_bounds_are_below_the_rules(name: str) -> None:
    sc = load_scenario(name)
    bound = fluid_bound(sc).cost_per_call
    assert bound >= 0
    cost = Simulator(sc, 0).run(make_router("cmu_theta")).overall["cost_per_call"]
    assert cost > bound
