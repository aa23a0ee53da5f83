"""A stochastic lower bound on the cost per call: Erlang A relaxations of each call type alone
and of all types pooled, each with every agent able to serve them, solved over the day.

The fluid bound (:mod:`rlroute.theory.fluid`) has no queue while capacity suffices, so an
underloaded center gets a bound near 0 although every policy pays the waits that randomness
makes. This bound keeps them, and drops the competition between types instead; docs/bounds.md
gives the argument in full, in short:

**The relaxed system of a block of types** (one type, or every covered type pooled): one class
of callers, first-time (Poisson) arrivals only; every agent of every group that serves a type
of the block, doing nothing else (no other type, no wrap-up, no not-ready time, preemption
allowed); calls in service complete at any rate the controller picks in ``[0, mu]``, ``mu``
an upper bound on the completion hazard of the block's talk times with those groups
(:func:`hazard_bound`); waiting callers abandon at a rate it picks in ``[theta_lo,
theta_hi]``, the bounds of the block's patience hazards; the cost is the block's smallest
``wait_per_s`` per second waited and smallest ``abandon`` per abandonment.

**Why it is a bound.** In the real center at most ``n(t)`` agents serve the block (those
present in its groups: at most the running maximum of the head counts), calls in service
complete at their talk time's hazard and waiting callers abandon at their patience hazard (the
router sees neither draw), and each call pays at least the smallest costs. So the block's calls
move as the relaxed system under some randomised control, and their expected cost is at least
the relaxed optimum; repeat calls only add callers, and dropped costs (missed service levels,
unresolved calls, the drain after the horizon) are non-negative. Blocks of a partition pay
disjoint costs, so the sum over single types and the pooled block are both bounds on the total;
the pooled block is charged the smallest costs, and each type alone what its own costs exceed
them by (a split of each type's cost into non-negative parts, each bounded by its relaxation).

**The relaxed optimum.** With ``D = V(X) - V(X - 1)``: ``0 <= D`` (one call less can mimic one
more, idling the phantom's agent) and ``D <= a + c / theta_hi`` (the extra call can be left to
abandon), so serving one more waiting call changes the Bellman rate by
``-c - mu' D + theta' (D - a) <= 0``: serving as many as possible at the fastest rate is
optimal, even when ``theta > mu``. With one patience rate the optimum is the M/M/n+M
birth-death chain with piecewise-constant rates, started empty, solved exactly by
uniformisation (:func:`_interval_waiting`, no pointwise-stationary approximation); with a range,
a backward dynamic program on the uniformised chain (:func:`_relaxed_dp`). Chains are
truncated by blocking arrivals at a cap, which only lowers the queue.

**Coverage.** A type is covered unless it balks, one of its talk times has an unbounded hazard
(atoms: deterministic, empirical), or one of its groups has a ``staffing_day_factor``; others
add 0 and are listed in :attr:`StochasticBound.uncovered`. Day-level multipliers: a single
type's cost is averaged over its Gamma multiplier by Gauss-Laguerre quadrature; the pooled
block is skipped then. The cost per call divides by the expected offered calls (the largest
one, every answer by the lowest FCR, when calls repeat): with day multipliers the ratio of
expectations, as the fluid bound.

:func:`lower_bound` returns the larger of this bound and the fluid one, both valid, with the
method that gave it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.optimize import minimize_scalar
from scipy.special import gammaln, roots_genlaguerre

from rlroute.distributions import Exponential, Gamma, LogNormal
from rlroute.scenario import Scenario
from rlroute.theory.fluid import fluid_bound

__all__ = ["LowerBound", "StochasticBound", "hazard_bound", "lower_bound", "stochastic_bound"]

#: Gauss-Laguerre nodes for the expectation over a type's day multiplier.
QUADRATURE_NODES = 8
# Safety factor on a numerically found hazard supremum (a grid and a local search may land a
# hair below the true maximum; a larger rate only loosens the bound).
_HAZARD_SAFETY = 1.01


@dataclass
class StochasticBound:
    """The Erlang A relaxations' value: a lower bound on the expected cost per offered call."""

    scenario: str
    cost_per_call: float
    cost: float  # expected relaxed cost of one horizon: the larger of singles and pooled
    offered: float  # expected offered calls of one horizon (an upper bound with repeat calls)
    method: str  # "per type" or "pooled": which relaxation gave ``cost``
    singles: float  # sum over covered types of each one's relaxed cost alone
    # all covered types as one class at the smallest costs, plus each alone at the excess of
    # its costs over them (None: not computed)
    pooled: float | None
    by_type: dict[str, float]  # relaxed cost of each covered type alone over the horizon
    uncovered: dict[str, str] = field(default_factory=dict)  # type -> why it adds 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "cost_per_call": self.cost_per_call,
            "cost": self.cost,
            "offered": self.offered,
            "method": self.method,
            "singles": self.singles,
            "pooled": self.pooled,
            "by_type": dict(self.by_type),
            "uncovered": dict(self.uncovered),
        }


@dataclass
class LowerBound:
    """The larger of the fluid and the stochastic bound (both valid, so the larger is too)."""

    scenario: str
    cost_per_call: float
    method: str  # "fluid", "stochastic (per type)" or "stochastic (pooled)"
    fluid: float
    stochastic: float
    fluid_s: float  # seconds to compute each
    stochastic_s: float
    uncovered: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "bound": self.cost_per_call,
            "bound_method": self.method,
            "fluid_bound": self.fluid,
            "stochastic_bound": self.stochastic,
            "fluid_s": self.fluid_s,
            "stochastic_s": self.stochastic_s,
            "uncovered": dict(self.uncovered),
        }


def hazard_bound(dist: Any) -> float | None:
    """An upper bound on the hazard rate ``f(t) / (1 - F(t))`` of a talk time over all ``t``,
    or None when it is unbounded (atoms: deterministic, empirical; gamma of shape < 1).

    Exponential: ``1 / mean``. Gamma of shape >= 1: increasing to ``1 / scale``. Lognormal
    (with its optional exponential spike of short calls, ``p`` of mean ``m``): the spike's
    hazard ``p / m`` at 0 falls as short calls end, the body's rises to one peak and falls to
    0; the supremum of the mixture is found on a grid covering both (the body's +-8 sigma in
    801 points, 400 points over 40 spike means), refined by a bounded search around the best
    point, times a 1% safety margin.
    """
    if isinstance(dist, Exponential):
        return 1.0 / dist.mean_s
    if isinstance(dist, Gamma):
        return 1.0 / dist.scale if dist.shape >= 1.0 else None
    if isinstance(dist, LogNormal):
        p, m = dist.short_prob, dist.short_mean_s
        body = stats.lognorm(s=dist.sigma, scale=math.exp(dist.mu))

        def log_hazard(x: float) -> float:
            pdf = p * math.exp(-x / m) / m + (1 - p) * float(body.pdf(x))
            sf = p * math.exp(-x / m) + (1 - p) * float(body.sf(x))
            return math.log(pdf) - math.log(sf) if sf > 0 and pdf > 0 else -math.inf

        xs = np.exp(dist.mu + dist.sigma * np.linspace(-8.0, 8.0, 801))
        if p > 0:
            xs = np.concatenate([xs, m * np.linspace(1e-6, 40.0, 400)])
        xs = np.sort(xs)
        vals = np.array([log_hazard(float(x)) for x in xs])
        j = int(np.argmax(vals))
        best = float(vals[j])
        lo, hi = float(xs[max(j - 1, 0)]), float(xs[min(j + 1, xs.size - 1)])
        if hi > lo:
            res = minimize_scalar(
                lambda x: -log_hazard(x), bounds=(lo, hi), method="bounded", options={"xatol": 1e-9}
            )
            best = max(best, -float(res.fun))
        # At t = 0 the hazard is the density at 0 (the spike's p / m, the body's 0).
        best = max(best, math.log(p / m) if p > 0 else -math.inf)
        return _HAZARD_SAFETY * math.exp(best)
    return None


def _interval_waiting(
    lam: np.ndarray, n: np.ndarray, mu: np.ndarray, theta: float, length: float, cap: int
) -> np.ndarray:
    """Expected integral of the number waiting over each interval of the M/M/n+M birth-death
    chain with piecewise-constant rates, started empty, arrivals blocked at ``cap`` in system.

    Uniformisation (Jensen 1953), as :func:`rlroute.theory.erlang._served_within`: with
    ``Lambda`` the largest total rate and ``P = I + Q / Lambda``, ``p(t) = sum_k
    Poisson(k; Lambda t) P^k p(0)`` and ``int_0^T p(t) dt = sum_k P(N_T > k) P^k p(0) / Lambda``
    (``N_T`` Poisson of mean ``Lambda T``). Every term is non-negative; the sums stop 12
    standard deviations past the mean, leaving a tail below 1e-30.
    """
    size = cap + 1
    x = np.arange(size, dtype=float)
    p = np.zeros(size)
    p[0] = 1.0
    out = np.zeros(lam.size)
    for i in range(lam.size):
        queue = np.maximum(x - n[i], 0.0)
        death = np.minimum(x, n[i]) * mu[i] + queue * theta
        birth = np.where(x < cap, lam[i], 0.0)
        top = float((birth + death).max())
        if top == 0.0:
            continue
        up, down = birth / top, death / top
        stay = 1.0 - up - down
        mean = top * length
        k = np.arange(int(mean + 12.0 * math.sqrt(mean) + 40.0) + 1)
        pmf = stats.poisson.pmf(k, mean)
        sf = stats.poisson.sf(k, mean)
        acc = 0.0
        p_end = np.zeros(size)
        for j in range(k.size):
            acc += sf[j] * float(queue @ p)
            p_end += pmf[j] * p
            nxt = stay * p
            nxt[1:] += up[:-1] * p[:-1]
            nxt[:-1] += down[1:] * p[1:]
            p = nxt
        out[i] = acc / top
        p = p_end
    return out


def _relaxed_dp(
    lam: np.ndarray,
    n: np.ndarray,
    mu: np.ndarray,
    theta: tuple[float, float],
    c: float,
    a: float,
    length: float,
    cap: int,
) -> float:
    """Optimal expected cost over the horizon, from empty, of the relaxed system whose waiting
    callers abandon at a rate the controller picks in ``theta = (lo, hi)`` (``hi`` may be inf:
    a waiting call may then be dropped at once), paying ``c`` per second waited and ``a`` per
    abandonment; every agent serves at rate ``mu`` (optimal, module doc).

    Backward dynamic programming on the uniformised chain (step ``1 / (2 Lambda)``, ``Lambda``
    the largest total rate): per state, the abandonment rate is ``hi`` when one call less is
    worth more than ``a`` (``V(x) - V(x - 1) > a``), else ``lo``. A fixed step replaces the
    Poisson number of uniformised jumps by its mean; tests check it against the exact matrix
    exponential where the optimum is a fixed chain.
    """
    lo, hi = theta
    size = cap + 1
    x = np.arange(size, dtype=float)
    v = np.zeros(size)
    for i in range(lam.size - 1, -1, -1):
        q = np.maximum(x - n[i], 0.0)
        s = np.minimum(x, n[i])
        top = hi if math.isfinite(hi) else lo
        rate = lam[i] + n[i] * mu[i] + float(q[-1]) * top
        steps = max(1, math.ceil(2.0 * rate * length))
        h = length / steps
        up = np.where(x < cap, lam[i], 0.0)
        for _ in range(steps):
            d = np.empty(size)
            d[0] = 0.0
            d[1:] = v[1:] - v[:-1]
            gain = np.zeros(size)
            gain[:-1] = d[1:]  # V(x + 1) - V(x)
            ab = np.minimum(lo * (a - d), top * (a - d)) if math.isfinite(hi) else lo * (a - d)
            v = v + h * (q * c + up * gain - s * mu[i] * d + q * ab)
            if not math.isfinite(hi):
                # Dropping a waiting call at once, at cost a: V(x) <= a + V(x - 1).
                # Sequentially upward from x = n: V(x) = a x + min_{n <= j <= x} (V(j) - a j).
                j0 = int(n[i])
                v[j0:] = a * x[j0:] + np.minimum.accumulate(v[j0:] - a * x[j0:])
    return float(v[0])


def _block_cost(
    lam: np.ndarray,
    n: np.ndarray,
    mu: np.ndarray,
    theta: tuple[float, float],
    c: float,
    a: float,
    length: float,
) -> float:
    """Optimal expected cost of a relaxed block (one type, or a pool of types) over the
    horizon from empty: the exact Erlang A chain when the abandonment rate is fixed, else
    :func:`_relaxed_dp`."""
    lo, hi = theta
    top = float(lam.max())
    if top == 0.0:
        return 0.0
    # Cap: the queue is below a Poisson(lam / theta) (an M/M/inf of rate theta); with no
    # abandonment, every call of the horizon. Blocking at the cap only lowers the bound.
    th = hi if math.isfinite(hi) and hi > 0 else lo
    spread = top / th if th > 0 else top * length * lam.size
    cap = int(n.max()) + min(int(spread + 10.0 * math.sqrt(spread) + 30.0), 20000)
    if lo == hi:
        waiting = _interval_waiting(lam, n, mu, lo, length, cap).sum()
        return float((c + a * lo) * waiting)
    return _relaxed_dp(lam, n, mu, theta, c, a, length, cap)


def _day_multiplier_nodes(shape: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of E[f(M)], M ~ Gamma(shape, 1/shape) (mean 1); (1,), (1,) if None."""
    if shape is None:
        return np.ones(1), np.ones(1)
    nodes, weights = roots_genlaguerre(QUADRATURE_NODES, shape - 1.0)
    w = np.exp(np.log(weights) - gammaln(shape))
    return nodes / shape, w / w.sum()


def _patience_range(patience: Any) -> tuple[float, float]:
    """Bounds ``(lo, hi)`` on a waiting caller's abandonment hazard; ``(0, 0)``: never."""
    if patience is None:
        return 0.0, 0.0
    if isinstance(patience, Exponential):
        return 1.0 / patience.mean_s, 1.0 / patience.mean_s
    hi = hazard_bound(patience)
    return 0.0, (math.inf if hi is None else hi)


def _uncovered_reason(sc: Scenario, k: int) -> str | None:
    c = sc.call_types[k]
    if c.balk_probability > 0 or c.balk_queue_length is not None:
        return "balks"
    groups = [g for g in range(len(sc.agent_groups)) if sc.skill(k, g) is not None]
    if not groups:
        return "no group serves it"
    for g in groups:
        grp = sc.agent_groups[g]
        skill = sc.skill(k, g)
        assert skill is not None
        if grp.staffing_day_factor is not None:
            return f"group {grp.name} has a staffing_day_factor"
        if hazard_bound(skill.handle_time) is None:
            return f"talk time with {grp.name} ({skill.handle_time.kind}) has an unbounded hazard"
    return None


def _block_inputs(sc: Scenario, types: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Agents present and the fastest completion hazard, per interval, for a block of types:
    every agent of a group that serves one of them (at most the running maximum of the head
    counts: leavers finishing a call are recalled first when the head count rises), and the
    largest hazard bound of their talk times over the multipliers of the intervals so far (a
    call in service arrived in this interval or earlier)."""
    G, n_int = len(sc.agent_groups), sc.n_intervals
    groups = sorted({g for k in types for g in range(G) if sc.skill(k, g) is not None})
    heads = np.array([sc.head_counts(g) for g in groups], dtype=float)
    n = np.maximum.accumulate(heads, axis=1).sum(axis=0)
    mu = np.zeros(n_int)
    for k in types:
        mult = np.array(sc.handle_time_multipliers(k) or [1.0] * n_int, dtype=float)
        rate = 0.0
        for g in groups:
            skill = sc.skill(k, g)
            if skill is not None:
                hb = hazard_bound(skill.handle_time)
                assert hb is not None
                rate = max(rate, hb)
        mu = np.maximum(mu, rate / np.minimum.accumulate(mult))
    return n, mu


def stochastic_bound(scenario: Scenario, pool: bool = True) -> StochasticBound:
    """The Erlang A relaxations of ``scenario`` (module doc): each type alone with its agents
    (summed over types) and, with ``pool``, all covered types as one class with every agent;
    the larger over the expected offered calls is a lower bound on the expected cost per call
    of every non-anticipating routing policy."""
    sc = scenario
    n_int, L = sc.n_intervals, sc.interval_s
    ipd = sc.intervals_per_day or n_int
    days = [slice(d, min(d + ipd, n_int)) for d in range(0, n_int, ipd)]
    offered = 0.0
    by_type: dict[str, float] = {}
    uncovered: dict[str, str] = {}
    covered: list[int] = []
    lams: list[np.ndarray] = []
    for k, c in enumerate(sc.call_types):
        lam = np.array(sc.rates_per_hour(k), dtype=float) / 3600.0
        lams.append(lam)
        groups = [g for g in range(len(sc.agent_groups)) if sc.skill(k, g) is not None]
        attempts = 1.0
        if c.repeat is not None and groups:
            fcr_min = min(sc.skill(k, g).fcr for g in groups)  # type: ignore[union-attr]
            attempts = c.repeat.attempts_bound(fcr_min, sc.horizon_s)
        offered += float(lam.sum() * L) * attempts
        reason = _uncovered_reason(sc, k)
        if reason is not None:
            uncovered[c.name] = reason
        else:
            covered.append(k)
    waits: dict[int, float] = {}  # waiting integral of a type alone, when its patience is fixed

    def alone(k: int, c: float, a: float) -> float:
        """Relaxed cost of type k alone at costs (c per second waited, a per abandonment)."""
        ct = sc.call_types[k]
        theta = _patience_range(ct.patience)
        if c == 0.0 and (a == 0.0 or theta[1] == 0.0):
            return 0.0
        if theta[0] == theta[1] and k in waits:  # linear in c + a theta: reuse the chain
            return (c + a * theta[0]) * waits[k]
        n, mu = _block_inputs(sc, [k])
        nodes, weights = _day_multiplier_nodes(ct.day_multiplier_shape)
        total = 0.0
        for sl in days:
            for m, w in zip(nodes, weights, strict=True):
                total += w * _block_cost(lams[k][sl] * m, n[sl], mu[sl], theta, c, a, L)
        if theta[0] == theta[1] and c + a * theta[0] > 0:
            waits[k] = total / (c + a * theta[0])
        return total

    # Each type alone.
    for k in covered:
        by_type[sc.call_types[k].name] = alone(
            k, sc.call_types[k].cost.wait_per_s, sc.call_types[k].cost.abandon
        )
    singles = sum(by_type.values())
    # All covered types as one class (only without day multipliers: their sum is not Gamma),
    # charged at the smallest costs, plus each type alone charged at what its costs exceed
    # them by: the two parts split each type's cost into non-negative pieces.
    pooled: float | None = None
    if pool and covered and all(sc.call_types[k].day_multiplier_shape is None for k in covered):
        n, mu = _block_inputs(sc, covered)
        ranges = [_patience_range(sc.call_types[k].patience) for k in covered]
        theta = (min(r[0] for r in ranges), max(r[1] for r in ranges))
        c_min = min(sc.call_types[k].cost.wait_per_s for k in covered)
        quitters = [k for k in covered if sc.call_types[k].patience is not None]
        a_min = min((sc.call_types[k].cost.abandon for k in quitters), default=0.0)
        lam_all = np.sum([lams[k] for k in covered], axis=0)
        pooled = sum(_block_cost(lam_all[sl], n[sl], mu[sl], theta, c_min, a_min, L) for sl in days)
        for k in covered:
            ct = sc.call_types[k]
            extra_a = ct.cost.abandon - a_min if ct.patience is not None else 0.0
            pooled += alone(k, ct.cost.wait_per_s - c_min, extra_a)
    cost = max(singles, pooled or 0.0)
    return StochasticBound(
        scenario=sc.name,
        cost_per_call=cost / offered if offered > 0 else 0.0,
        cost=cost,
        offered=offered,
        method="pooled" if pooled is not None and pooled > singles else "per type",
        singles=singles,
        pooled=pooled,
        by_type=by_type,
        uncovered=uncovered,
    )


def lower_bound(scenario: Scenario) -> LowerBound:
    """The larger of :func:`~rlroute.theory.fluid.fluid_bound` and :func:`stochastic_bound`:
    both are lower bounds on the expected cost per call, so the larger one is too."""
    t0 = time.perf_counter()
    fluid = fluid_bound(scenario).cost_per_call
    t1 = time.perf_counter()
    stoch = stochastic_bound(scenario)
    t2 = time.perf_counter()
    best = max(fluid, stoch.cost_per_call)
    return LowerBound(
        scenario=scenario.name,
        cost_per_call=float(best),
        method=f"stochastic ({stoch.method})" if stoch.cost_per_call > fluid else "fluid",
        fluid=fluid,
        stochastic=float(stoch.cost_per_call),
        fluid_s=t1 - t0,
        stochastic_s=t2 - t1,
        uncovered=stoch.uncovered,
    )
