"""Erlang B/C/A formulas against exact arithmetic, published values, and independent methods.

Erlang A has no closed form to copy, so every measure is checked against a different route to
the same number: flow balance on the chain, the virtual-wait density of Baccelli & Hebuterne
(1981) integrated by quadrature, a brute-force linear solve plus ODE integration of the
unconditioned absorbing chain, the theta = mu case (where M/M/n+M is M/M/inf and the wait is an
order statistic), and the theta -> 0 limit (Erlang C).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, stats

from rlroute.theory import (
    ErlangAResult,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    staffing_erlang_a,
    staffing_erlang_c,
)
from rlroute.theory.erlang import _erlang_a_distribution

# The published Erlang C case: 100 calls per 30 min, AHT 180 s, 14 agents, target 20 s.
REF_RATE = 100.0 / 1800.0
REF_AHT = 180.0
REF_N = 14
REF_TARGET = 20.0

# Small Erlang A cases: (arrival rate /s, AHT s, agents, mean patience s, target s).
SMALL_A_CASES = [
    (REF_RATE, REF_AHT, REF_N, 120.0, REF_TARGET),
    (40.0 / 3600.0, 240.0, 3, 60.0, 20.0),
    (720.0 / 3600.0, 300.0, 50, 180.0, 20.0),  # overload: 120% of capacity
    (0.5, 10.0, 4, 3.0, 2.0),  # load above n, impatient callers
]


def _exact_erlang_b(n: int, a: int) -> float:
    """B(n, a) = a^n / sum_k a^k n!/k!, in exact integer arithmetic, correctly rounded."""
    total = 0
    falling = 1  # n! / k!, built from k = n downwards
    for k in range(n, -1, -1):
        total += a**k * falling
        falling *= k if k > 0 else 1
    return float(Fraction(a**n, total))


def _fields(result: ErlangAResult) -> dict[str, float]:
    return {name: getattr(result, name) for name in result.__dataclass_fields__}


# ---------------------------------------------------------------------------------------------
# Erlang B and C
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n,a", [(1, 1), (2, 3), (10, 20), (14, 10), (50, 45), (190, 200), (1000, 500), (2000, 1990)]
)
def test_erlang_b_matches_exact_arithmetic(n: int, a: int) -> None:
    assert erlang_b(n, a) == pytest.approx(_exact_erlang_b(n, a), rel=1e-12)


def test_erlang_b_edge_values() -> None:
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_b(1, 3.0) == pytest.approx(3.0 / 4.0)
    assert erlang_b(10, 100.0) == pytest.approx(_exact_erlang_b(10, 100), rel=1e-12)
    # decreasing in n, increasing in load
    values = [erlang_b(n, 30.0) for n in range(1, 60)]
    assert all(x > y for x, y in itertools.pairwise(values))
    assert erlang_b(30, 29.0) < erlang_b(30, 29.5)


def test_erlang_c_reference_case() -> None:
    m = erlang_c_metrics(arrival_rate=REF_RATE, mean_handle_s=REF_AHT, n=REF_N, target_s=REF_TARGET)
    assert m.p_wait == pytest.approx(0.1741319, abs=1e-6)
    assert m.service_level == pytest.approx(0.88835, abs=1e-5)
    assert m.asa_s == pytest.approx(7.835937, abs=1e-6)
    assert m.occupancy == pytest.approx(0.7142857, abs=1e-6)
    assert m.mean_queue_length == pytest.approx(REF_RATE * m.asa_s, rel=1e-12)
    assert erlang_c(REF_N, 10.0) == m.p_wait


@pytest.mark.parametrize("n,a", [(1, 0.5), (3, 2.0), (14, 10.0), (60, 55.0)])
def test_erlang_c_matches_textbook_sum(n: int, a: float) -> None:
    terms = [math.exp(k * math.log(a) - math.lgamma(k + 1)) for k in range(n + 1)]
    tail = terms[n] * n / (n - a)
    assert erlang_c(n, a) == pytest.approx(tail / (sum(terms[:n]) + tail), rel=1e-12)


def test_erlang_c_unstable_and_target_zero() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(10, 12.5) == 1.0
    m = erlang_c_metrics(arrival_rate=1.0, mean_handle_s=10.0, n=10, target_s=20.0)
    assert (m.p_wait, m.service_level, m.occupancy) == (1.0, 0.0, 1.0)
    assert math.isinf(m.asa_s) and math.isinf(m.mean_queue_length)
    m0 = erlang_c_metrics(REF_RATE, REF_AHT, REF_N, 0.0)
    assert m0.service_level == pytest.approx(1.0 - m0.p_wait, rel=1e-15)


def test_staffing_erlang_c_is_the_smallest_feasible_n() -> None:
    n = staffing_erlang_c(REF_RATE, REF_AHT, REF_TARGET, service_level=0.8)
    assert erlang_c_metrics(REF_RATE, REF_AHT, n, REF_TARGET).service_level >= 0.8
    assert erlang_c_metrics(REF_RATE, REF_AHT, n - 1, REF_TARGET).service_level < 0.8
    assert n == 14
    # occupancy cap binds: 10 Erlangs at most 60% busy needs ceil(10 / 0.6) = 17 agents
    assert staffing_erlang_c(REF_RATE, REF_AHT, REF_TARGET, 0.8, max_occupancy=0.6) == 17
    # large center: 490 Erlangs, 90/20
    big = staffing_erlang_c(490.0 / 180.0, 180.0, 20.0, service_level=0.9)
    assert erlang_c_metrics(490.0 / 180.0, 180.0, big, 20.0).service_level >= 0.9
    assert erlang_c_metrics(490.0 / 180.0, 180.0, big - 1, 20.0).service_level < 0.9
    assert 490 < big < 540


# ---------------------------------------------------------------------------------------------
# Erlang A: internal consistency
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", SMALL_A_CASES)
def test_erlang_a_abandonment_two_ways(case: tuple[float, float, int, float, float]) -> None:
    lam, aht, n, patience, target = case
    mu, theta = 1.0 / aht, 1.0 / patience
    m = erlang_a_metrics(lam, aht, n, patience, target)
    _, below, queue = _erlang_a_distribution(lam, mu, n, theta)
    assert below.sum() + queue.sum() == pytest.approx(1.0, abs=1e-14)
    ahead = np.arange(queue.size)
    # (a) flow balance on the chain: abandonments per second = theta * E[queue length]
    p_ab_chain = theta * float(np.dot(ahead, queue)) / lam
    # (b) phase structure: P(answered | j ahead) = prod_{i=0..j} (n mu + i theta) / (n mu + (i+1) theta)
    ratio = (n * mu + ahead * theta) / (n * mu + (ahead + 1) * theta)
    p_ab_phase = float(np.dot(queue, 1.0 - np.cumprod(ratio)))
    assert p_ab_chain == pytest.approx(p_ab_phase, abs=1e-9, rel=1e-9)
    assert m.p_abandon == pytest.approx(p_ab_chain, abs=1e-9, rel=1e-9)
    # Little's law on the queue, and P(abandon) = theta * E[wait] for exponential patience
    assert m.asa_s == pytest.approx(m.mean_queue_length / lam, rel=1e-9)
    assert m.p_abandon == pytest.approx(theta * m.asa_s, rel=1e-9)
    # busy agents = served load
    assert m.occupancy == pytest.approx(lam * (1.0 - m.p_abandon) / (n * mu), rel=1e-9)
    assert m.asa_served_s > 0.0
    assert 0.0 <= m.service_level <= m.service_level_answered <= 1.0
    assert m.service_level <= 1.0 - m.p_abandon + 1e-15
    assert m.service_level >= 1.0 - m.p_wait - 1e-15


# ---------------------------------------------------------------------------------------------
# Erlang A: independent methods
# ---------------------------------------------------------------------------------------------


def _virtual_wait_reference(
    lam: float, aht: float, n: int, patience: float, target: float
) -> dict[str, float]:
    """M/M/n+G through the offered (virtual) wait V (Baccelli & Hebuterne 1981; Mandelbaum &
    Zeltyn 2007): V has an atom P(V=0) and density f(x) = lam pi_{n-1} g(x) on x > 0 with
    g(x) = exp(lam int_0^x P(patience > u) du - n mu x). For exponential patience W = min(V, tau)
    with tau independent of V, so P(ab) = E[1 - e^{-theta V}], E[W] = E[(1 - e^{-theta V}) /
    theta], E[W; answered] = E[V e^{-theta V}], P(answered, W <= t) = E[e^{-theta V}; V <= t]."""
    mu, theta = 1.0 / aht, 1.0 / patience

    def g(x: float) -> float:
        return math.exp(lam * -math.expm1(-theta * x) / theta - n * mu * x)

    def quad(fun: object, upper: float = math.inf) -> float:
        value, _ = integrate.quad(fun, 0.0, upper, epsabs=1e-14, epsrel=1e-12, limit=500)
        return value

    b = erlang_b(n - 1, lam * aht) if n > 1 else 1.0  # pi_{n-1} / P(N < n)
    j0 = quad(g)
    p_below = 1.0 / (1.0 + lam * b * j0)
    f0 = lam * b * p_below  # lam * pi_{n-1}
    p_ab = f0 * quad(lambda x: -math.expm1(-theta * x) * g(x))
    wait_answered = f0 * quad(lambda x: x * math.exp(-theta * x) * g(x))
    answered_in_time = p_below + f0 * quad(lambda x: math.exp(-theta * x) * g(x), target)
    return {
        "p_wait": f0 * j0,
        "p_abandon": p_ab,
        "asa_s": f0 * quad(lambda x: -math.expm1(-theta * x) / theta * g(x)),
        "asa_served_s": wait_answered / (1.0 - p_ab),
        "service_level": answered_in_time,
        "service_level_answered": answered_in_time / (1.0 - p_ab),
    }


@pytest.mark.parametrize("case", SMALL_A_CASES)
def test_erlang_a_matches_virtual_wait_integrals(
    case: tuple[float, float, int, float, float],
) -> None:
    got = _fields(erlang_a_metrics(*case))
    for name, want in _virtual_wait_reference(*case).items():
        assert got[name] == pytest.approx(want, rel=1e-8, abs=1e-12), name


@pytest.mark.parametrize("case", SMALL_A_CASES[:2] + SMALL_A_CASES[3:])
def test_erlang_a_matches_brute_force_chain(case: tuple[float, float, int, float, float]) -> None:
    """Linear solve of pi Q = 0 on a truncated generator, then the unconditioned absorbing
    chain (progress n mu + j theta, own abandonment theta) integrated as an ODE."""
    lam, aht, n, patience, target = case
    mu, theta = 1.0 / aht, 1.0 / patience
    size = n + 120
    k = np.arange(size)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    q = np.diag(np.full(size - 1, lam), 1) + np.diag(death[1:], -1)
    q -= np.diag(q.sum(axis=1))
    lhs = np.vstack([q.T[:-1], np.ones(size)])
    pi = np.linalg.solve(lhs, np.append(np.zeros(size - 1), 1.0))
    queue = pi[n:]
    assert queue[-1] < 1e-15  # truncation is harmless (the rest is solver round-off)
    lq = float(np.dot(np.arange(queue.size), queue))

    m_j = queue.size  # state j = callers ahead of the tagged one; last entry: answered

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        p = x[:m_j]
        out = np.empty_like(x)
        progress = n * mu + np.arange(m_j) * theta
        out[:m_j] = -(progress + theta) * p
        out[: m_j - 1] += progress[1:] * p[1:]
        out[m_j] = n * mu * p[0]
        return out

    sol = integrate.solve_ivp(
        rhs, (0.0, target), np.append(queue, 0.0), method="DOP853", rtol=1e-12, atol=1e-15
    )
    answered_in_time = pi[:n].sum() + sol.y[-1, -1]

    m = erlang_a_metrics(*case)
    assert all(type(value) is float for value in _fields(m).values())
    assert m.p_wait == pytest.approx(queue.sum(), rel=1e-9)
    assert m.mean_queue_length == pytest.approx(lq, rel=1e-9)
    assert m.p_abandon == pytest.approx(theta * lq / lam, rel=1e-9)
    assert m.service_level == pytest.approx(answered_in_time, rel=1e-9)


@pytest.mark.parametrize("target", [0.5, 30.0, 600.0])
def test_erlang_a_theta_equals_mu_is_mm_infinity(target: float) -> None:
    """With patience rate = service rate the death rate is k mu in every state, so the number in
    system is Poisson(a), and the wait of an answered caller with j ahead is the (j+1)-th order
    statistic of n + j + 1 iid Exp(mu) clocks."""
    lam, aht, n = 0.2, 60.0, 10
    mu = 1.0 / aht
    a = lam * aht
    m = erlang_a_metrics(lam, aht, n, aht, target)
    poisson = stats.poisson(a)
    j = np.arange(200)
    pi_queue = poisson.pmf(n + j)
    assert m.p_wait == pytest.approx(poisson.sf(n - 1), rel=1e-12)
    assert m.mean_queue_length == pytest.approx(float(np.dot(j, pi_queue)), rel=1e-10)
    p_answer = n / (n + j + 1.0)
    order_stat_cdf = stats.binom.sf(j, n + j + 1, -math.expm1(-mu * target))
    expected_sl = poisson.cdf(n - 1) + float(np.sum(pi_queue * p_answer * order_stat_cdf))
    assert m.service_level == pytest.approx(expected_sl, rel=1e-10)
    busy = float(poisson.pmf(np.arange(n)) @ np.arange(n)) + n * poisson.sf(n - 1)
    assert m.occupancy == pytest.approx(busy / n, rel=1e-10)


@pytest.mark.parametrize(
    "rate,aht,n,target",
    [(REF_RATE, REF_AHT, REF_N, REF_TARGET), (490 / 180, 180.0, 500, 20.0), (0.3, 30.0, 10, 5.0)],
)
def test_erlang_a_tends_to_erlang_c_as_patience_grows(
    rate: float, aht: float, n: int, target: float
) -> None:
    c = erlang_c_metrics(rate, aht, n, target)
    a = erlang_a_metrics(rate, aht, n, 1e12, target)
    assert a.p_abandon < 1e-9
    for name in ("p_wait", "service_level", "occupancy", "mean_queue_length"):
        assert getattr(a, name) == pytest.approx(getattr(c, name), rel=1e-6), name
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-6)
    assert a.asa_served_s == pytest.approx(c.asa_s, rel=1e-6)
    assert a.service_level_answered == pytest.approx(c.service_level, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Erlang A: shape, scale and overload
# ---------------------------------------------------------------------------------------------


def test_erlang_a_monotone_in_agents_and_patience() -> None:
    by_n = [erlang_a_metrics(REF_RATE, REF_AHT, n, 120.0, REF_TARGET) for n in range(5, 25)]
    for fewer, more in itertools.pairwise(by_n):
        assert more.p_abandon < fewer.p_abandon
        assert more.p_wait < fewer.p_wait
        assert more.asa_s < fewer.asa_s
        assert more.service_level > fewer.service_level
        assert more.occupancy < fewer.occupancy
    by_patience = [
        erlang_a_metrics(REF_RATE, REF_AHT, 11, p, REF_TARGET) for p in (10, 30, 100, 300, 1000)
    ]
    for short, long in itertools.pairwise(by_patience):
        assert long.p_abandon < short.p_abandon
        assert long.p_wait > short.p_wait
        assert long.asa_served_s > short.asa_served_s


@pytest.mark.parametrize("n,load", [(500, 490.0), (2000, 1990.0)])
def test_hundreds_of_agents_are_finite_and_sane(n: int, load: float) -> None:
    aht = 180.0
    c = erlang_c_metrics(load / aht, aht, n, 20.0)
    a = erlang_a_metrics(load / aht, aht, n, 60.0, 20.0)
    for value in (c.p_wait, c.service_level, c.occupancy, *_fields(a).values()):
        assert math.isfinite(value)
    for value in (c.p_wait, c.service_level, a.p_wait, a.p_abandon, a.service_level, a.occupancy):
        assert 0.0 <= value <= 1.0
    assert 0.0 < c.p_wait < 1.0 and c.occupancy == pytest.approx(load / n)
    # abandonment only helps those who stay
    assert a.p_wait < c.p_wait and a.asa_served_s < c.asa_s and a.p_abandon < 0.05


@pytest.mark.parametrize("n,overload", [(50, 1.2), (500, 1.5), (500, 3.0)])
def test_erlang_a_overload(n: int, overload: float) -> None:
    aht, patience = 180.0, 120.0
    lam = overload * n / aht
    m = erlang_a_metrics(lam, aht, n, patience, 20.0)
    fluid = 1.0 - 1.0 / overload  # 1 - n mu / lam
    # served load cannot exceed capacity, so p_abandon >= fluid value; the excess is small
    assert fluid - 1e-12 <= m.p_abandon <= fluid + 0.02
    assert 0.98 < m.occupancy <= 1.0
    assert m.p_wait > 0.85
    # the queue sits near its fluid level (lam - n mu) / theta
    assert m.mean_queue_length == pytest.approx((lam - n / aht) * patience, rel=0.1)
    assert 0.0 <= m.service_level <= m.service_level_answered <= 1.0


def test_erlang_a_target_zero_counts_only_immediate_answers() -> None:
    m = erlang_a_metrics(REF_RATE, REF_AHT, REF_N, 120.0, 0.0)
    assert m.service_level == pytest.approx(1.0 - m.p_wait, rel=1e-14)


def test_erlang_a_refuses_a_chain_too_long() -> None:
    with pytest.raises(ValueError, match="mean_patience_s"):
        erlang_a_metrics(2.0, 1.0, 1, 1e12, 20.0)


@pytest.mark.parametrize(
    "sl,max_abandon", [(0.8, None), (0.95, None), (0.5, 0.01), (0.0, 0.05), (0.9, 0.001)]
)
def test_staffing_erlang_a_equals_linear_scan(sl: float, max_abandon: float | None) -> None:
    lam, aht, patience, target = 0.2, 60.0, 90.0, 15.0

    def ok(n: int) -> bool:
        m = erlang_a_metrics(lam, aht, n, patience, target)
        return m.service_level >= sl and (max_abandon is None or m.p_abandon <= max_abandon)

    first = next(n for n in range(1, 100) if ok(n))
    assert staffing_erlang_a(lam, aht, patience, target, sl, max_abandon) == first


def test_staffing_erlang_a_reference_case() -> None:
    n = staffing_erlang_a(REF_RATE, REF_AHT, 120.0, REF_TARGET, service_level=0.8)
    assert erlang_a_metrics(REF_RATE, REF_AHT, n, 120.0, REF_TARGET).service_level >= 0.8
    assert erlang_a_metrics(REF_RATE, REF_AHT, n - 1, 120.0, REF_TARGET).service_level < 0.8
    assert n <= staffing_erlang_c(REF_RATE, REF_AHT, REF_TARGET, 0.8)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_n", [0, -3, 2.5, 14.0, True, "14", None])
def test_bad_agent_count_is_refused(bad_n: object) -> None:
    with pytest.raises(ValueError, match="positive int"):
        erlang_b(bad_n, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive int"):
        erlang_c_metrics(REF_RATE, REF_AHT, bad_n, REF_TARGET)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive int"):
        erlang_a_metrics(REF_RATE, REF_AHT, bad_n, 60.0, REF_TARGET)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"arrival_rate": 0.0}, "arrival_rate"),
        ({"arrival_rate": -1.0}, "arrival_rate"),
        ({"arrival_rate": math.nan}, "arrival_rate"),
        ({"mean_handle_s": 0.0}, "mean_handle_s"),
        ({"mean_handle_s": math.inf}, "mean_handle_s"),
        ({"mean_patience_s": 0.0}, "mean_patience_s"),
        ({"target_s": -1.0}, "target_s"),
    ],
)
def test_bad_rates_are_refused(kwargs: dict[str, float], field: str) -> None:
    args = {
        "arrival_rate": REF_RATE,
        "mean_handle_s": REF_AHT,
        "n": REF_N,
        "mean_patience_s": 60.0,
        "target_s": REF_TARGET,
    } | kwargs
    with pytest.raises(ValueError, match=field):
        erlang_a_metrics(**args)
    if field != "mean_patience_s":
        del args["mean_patience_s"]
        with pytest.raises(ValueError, match=field):
            erlang_c_metrics(**args)


def test_bad_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="load"):
        erlang_c(3, -0.5)
    with pytest.raises(ValueError, match="service_level"):
        staffing_erlang_c(REF_RATE, REF_AHT, REF_TARGET, service_level=1.0)
    with pytest.raises(ValueError, match="max_occupancy"):
        staffing_erlang_c(REF_RATE, REF_AHT, REF_TARGET, max_occupancy=0.0)
    with pytest.raises(ValueError, match="max_abandon"):
        staffing_erlang_a(REF_RATE, REF_AHT, 60.0, REF_TARGET, max_abandon=1.5)
    with pytest.raises(ValueError, match="mean_patience_s"):
        staffing_erlang_a(REF_RATE, REF_AHT, -60.0, REF_TARGET)
