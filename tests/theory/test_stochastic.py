"""The stochastic (Erlang A relaxation) lower bound: equal to Erlang A on one pool, below the
simulated cost of every shipped rule on small multi-skill centers, above the fluid bound where
randomness is all the cost, and its dynamic program checked against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from rlroute.bench.stats import t_interval
from rlroute.policies import HEURISTICS, ROUTERS, make_router
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator
from rlroute.theory import erlang_a_metrics
from rlroute.theory.fluid import fluid_bound
from rlroute.theory.stochastic import (
    _block_cost,
    _interval_waiting,
    _relaxed_dp,
    hazard_bound,
    lower_bound,
    stochastic_bound,
)


def _erlang_a_cost(lam_h: float, handle: float, n: int, patience: float) -> float:
    """Exact stationary cost per call of M/M/n+M under FCFS, default costs (wait 1/60 per s,
    abandon 1): P(abandon) + ASA / 60, the ASA of all arrivals being P(abandon) / theta."""
    m = erlang_a_metrics(lam_h / 3600.0, handle, n, patience, 20.0)
    return m.p_abandon + m.asa_s / 60.0


@pytest.mark.parametrize("lam_h", [200.0, 400.0])
def test_single_pool_equals_erlang_a(lam_h: float) -> None:
    """One pool is its own relaxation: the bound is the Erlang A chain over the day, from
    empty. Starting empty it stays below the stationary cost, within 6% over 6 hours (the
    start-up), and once started up, its cost per call in an interval is Erlang A's exact
    stationary FCFS cost."""
    sc = Scenario.single_pool(lam_h, 240.0, 20, mean_patience_s=300.0, hours=6.0)
    b = stochastic_bound(sc)
    exact = _erlang_a_cost(lam_h, 240.0, 20, 300.0)
    assert 0.94 * exact <= b.cost_per_call <= exact
    assert b.singles == pytest.approx(b.pooled)
    assert not b.uncovered
    theta = 1 / 300.0
    lam = np.full(6, lam_h / 3600.0)
    w = _interval_waiting(lam, np.full(6, 20.0), np.full(6, 1 / 240.0), theta, 1800.0, 400)
    last = (1 / 60.0 + theta) * w[-1] / (lam[-1] * 1800.0)
    assert last == pytest.approx(exact, rel=2e-3)


def test_underloaded_pool_beats_the_fluid_bound() -> None:
    """Below capacity the fluid bound is 0; the Erlang waits are not."""
    sc = Scenario.single_pool(200.0, 240.0, 20, mean_patience_s=300.0, hours=4.0)
    lb = lower_bound(sc)
    assert lb.fluid == pytest.approx(0.0, abs=1e-9)
    assert lb.stochastic > 0.01
    assert lb.cost_per_call == lb.stochastic and lb.method.startswith("stochastic")


def _expm_waiting(lam, n, mu, theta, length, cap):  # type: ignore[no-untyped-def]
    """The same integrals by a dense matrix exponential of the generator augmented by the
    integral (an independent reference for the uniformisation)."""
    size = cap + 1
    y = np.zeros(size + 1)
    y[0] = 1.0
    out = []
    for i in range(len(lam)):
        a = np.zeros((size + 1, size + 1))
        for x in range(size):
            q = max(x - n[i], 0.0)
            death = min(x, n[i]) * mu[i] + q * theta
            if x < cap:
                a[x + 1, x] += lam[i]
                a[x, x] -= lam[i]
            if x > 0:
                a[x - 1, x] += death
                a[x, x] -= death
            a[size, x] = q
        y[size] = 0.0
        y = expm(a * length) @ y
        out.append(y[size])
    return np.array(out)


def test_uniformisation_equals_the_matrix_exponential() -> None:
    lam = np.array([200.0, 330.0, 150.0]) / 3600.0
    n, mu = np.array([10.0, 12.0, 10.0]), np.array([1 / 200.0, 1 / 200.0, 1 / 150.0])
    for theta in (1 / 300.0, 0.0):
        got = _interval_waiting(lam, n, mu, theta, 1800.0, 60)
        np.testing.assert_allclose(got, _expm_waiting(lam, n, mu, theta, 1800.0, 60), rtol=1e-8)


def test_dp_equals_the_exact_chain_when_patience_is_fixed() -> None:
    lam = np.array([200.0, 320.0, 150.0]) / 3600.0
    n, mu = np.array([20.0, 22.0, 20.0]), np.full(3, 1 / 240.0)
    for theta in (1 / 300.0, 1 / 60.0):
        exact = (1 / 60.0 + theta) * _interval_waiting(lam, n, mu, theta, 1800.0, 200).sum()
        dp = _relaxed_dp(lam, n, mu, (theta, theta), 1 / 60.0, 1.0, 1800.0, 200)
        assert dp == pytest.approx(exact, rel=1e-6)


def test_patience_range_is_below_each_fixed_rate() -> None:
    """Letting the controller pick the abandonment rate in [lo, hi] can only lower the cost:
    each fixed rate is one of its choices."""
    lam, n, mu = np.full(2, 330.0 / 3600.0), np.full(2, 20.0), np.full(2, 1 / 240.0)
    both = _block_cost(lam, n, mu, (1 / 600.0, 1 / 15.0), 1 / 600.0, 1.0, 1800.0)
    lo = _block_cost(lam, n, mu, (1 / 600.0, 1 / 600.0), 1 / 600.0, 1.0, 1800.0)
    hi = _block_cost(lam, n, mu, (1 / 15.0, 1 / 15.0), 1 / 600.0, 1.0, 1800.0)
    drop = _block_cost(lam, n, mu, (0.0, math.inf), 1 / 600.0, 1.0, 1800.0)
    assert 0 < both <= min(lo, hi) * (1 + 1e-9)
    assert 0 < drop <= both * (1 + 1e-9)


def _brute_force(
    lam: float, n: int, mu: float, theta: float, c: float, a: float, t: float
) -> float:
    """Finite-horizon DP that also chooses how many calls are in service (0 .. min(x, n),
    preemption allowed): the value the module's argument says full service attains."""
    cap = 40
    x = np.arange(cap + 1)
    v = np.zeros(cap + 1)
    rate = lam + n * mu + (cap - n) * theta  # the step of _relaxed_dp
    steps = math.ceil(2 * rate * t)
    h = t / steps
    for _ in range(steps):
        new = np.full(cap + 1, np.inf)
        for s in range(n + 1):
            ok = s <= x
            q = x - s
            down = np.concatenate([[0.0], v[:-1]])
            up = np.concatenate([v[1:], [v[-1]]])
            up_rate = np.where(x < cap, lam, 0.0)
            out = s * mu + q * theta
            val = v + h * (q * (c + a * theta) + up_rate * (up - v) + out * (down - v))
            new = np.where(ok, np.minimum(new, val), new)
        v = new
    return float(v[0])


@pytest.mark.parametrize("theta", [1 / 600.0, 1 / 30.0])
def test_full_service_is_optimal_even_with_impatient_callers(theta: float) -> None:
    """theta above mu (callers less patient than calls are long) included: idling an agent
    never helps, so the relaxed optimum is the Erlang A chain."""
    lam, n, mu, t = 3 / 240.0, 3, 1 / 240.0, 1800.0
    dp = _relaxed_dp(
        np.array([lam]), np.array([float(n)]), np.array([mu]), (theta, theta), 0.01, 2.0, t, 40
    )
    assert _brute_force(lam, n, mu, theta, 0.01, 2.0, t) == pytest.approx(dp, rel=1e-9)


def test_hazard_bounds() -> None:
    from rlroute.distributions import Deterministic, Exponential, LogNormal

    assert hazard_bound(Exponential(mean_s=200.0)) == pytest.approx(1 / 200.0)
    assert hazard_bound(Deterministic(value_s=60.0)) is None
    ln = LogNormal(mu=5.3, sigma=0.7, short_prob=0.05, short_mean_s=6.0)
    hb = hazard_bound(ln)
    assert hb is not None
    ts = np.linspace(0.0, 3000.0, 30001)
    pdf = np.gradient(ln.cdf(ts), ts)
    sf = 1.0 - ln.cdf(ts)
    assert float(np.max(pdf / sf)) <= hb


def _multi_skill(load: float) -> Scenario:
    """Two types, a specialist group each and a flexible group; everything exponential, so
    every type is covered. ``load`` scales the arrival rates."""
    return Scenario.from_dict(
        {
            "interval_s": 1800.0,
            "n_intervals": 4,
            "call_types": [
                {
                    "name": "gold",
                    "arrival_rates_per_hour": [60 * load, 90 * load, 90 * load, 60 * load],
                    "patience": {"kind": "exponential", "mean_s": 60.0},
                    "cost": {"wait_per_s": 0.05, "abandon": 5.0},
                },
                {
                    "name": "std",
                    "arrival_rates_per_hour": [200 * load, 260 * load, 260 * load, 200 * load],
                    "patience": {"kind": "exponential", "mean_s": 400.0},
                    "cost": {"wait_per_s": 1 / 60, "abandon": 1.0},
                },
            ],
            "agent_groups": [
                {
                    "name": "g_gold",
                    "head_count": 4,
                    "skills": {"gold": {"handle_time": {"kind": "exponential", "mean_s": 200}}},
                },
                {
                    "name": "g_std",
                    "head_count": 12,
                    "skills": {"std": {"handle_time": {"kind": "exponential", "mean_s": 240}}},
                },
                {
                    "name": "flex",
                    "head_count": 6,
                    "skills": {
                        "gold": {"handle_time": {"kind": "exponential", "mean_s": 260}},
                        "std": {"handle_time": {"kind": "exponential", "mean_s": 300}},
                    },
                },
            ],
        }
    )


# The shipped rules that run with their defaults (``routers: all``; index needs a tuned file,
# priority_boost a boost, learned routers a file).
RULES = HEURISTICS


@pytest.mark.parametrize("load", [0.8, 1.1])
def test_simulated_rules_are_above_the_bound(load: float) -> None:
    """Every shipped rule that runs with its defaults: the 95% interval of its cost per call
    over 4 days reaches the bound (the larger of fluid and stochastic) or above."""
    sc = _multi_skill(load)
    lb = lower_bound(sc)
    assert lb.stochastic > 0
    assert set(RULES) <= set(ROUTERS)
    for name in RULES:
        costs = [Simulator(sc, s).run(make_router(name)).overall["cost_per_call"] for s in range(4)]
        mean, hw, _ = t_interval(costs)
        assert mean + hw >= lb.cost_per_call, name


def test_uncovered_types_add_nothing() -> None:
    """A type that balks, or whose talk time has atoms, is left out (cost 0, valid) and named."""
    data = _multi_skill(1.0).to_dict()
    data["call_types"][0]["balk_probability"] = 0.2
    data["agent_groups"][2]["skills"]["std"]["handle_time"] = {
        "kind": "deterministic",
        "value_s": 300.0,
    }
    b = stochastic_bound(Scenario.from_dict(data))
    assert set(b.uncovered) == {"gold", "std"}
    assert b.cost_per_call == 0.0
    assert fluid_bound(Scenario.from_dict(data)).cost_per_call >= 0


@pytest.mark.parametrize(
    "name", ["reservation", pytest.param("long_chain_20x20", marks=pytest.mark.slow)]
)
def test_suite_bound_is_below_the_best_rule(name: str) -> None:
    """On the suite scenarios where the stochastic bound counts: below the best rule's
    simulated cost on two days, and at least the fluid bound (the larger of the two)."""
    sc = load_scenario(name)
    lb = lower_bound(sc)
    assert lb.cost_per_call == max(lb.fluid, lb.stochastic) > 0
    best = "threshold" if name == "reservation" else "cmu_theta"
    costs = [Simulator(sc, s).run(make_router(best)).overall["cost_per_call"] for s in range(2)]
    assert min(costs) > lb.cost_per_call
