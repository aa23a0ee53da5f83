"""A lower bound on the cost per call that no routing policy can beat: the fluid LP relaxation.

The bound answers "how far from the best possible is a rule?" without simulating: it relaxes
the stochastic center to flows and solves one linear program (HiGHS, via
:func:`scipy.optimize.linprog`). docs/bounds.md gives the derivation; in short:

**Variables**, per interval ``i``: ``x[i,k,g]`` the rate (calls/s) at which group ``g`` answers
type ``k``; ``r[i,k]`` the rate at which type ``k`` abandons (or balks); ``w[i,k]`` an
epigraph variable for the waiting cost of a type whose patience is not exponential.

**Constraints**, per interval:

* flow balance: offered = answered + abandoned, where offered is the exogenous rate plus the
  repeat calls that unresolved answers generate (``repeat.probability * (1 - fcr_kg)`` per
  answer): ``sum_g (1 - rho_k (1 - fcr_kg)) x[i,k,g] + r[i,k] = lambda[i,k]``;
* capacity: the agent time the answers take is at most the head count,
  ``sum_k m[i,k,g] x[i,k,g] <= N[i,g]`` with ``m`` the mean handle time (times the type's
  handle-time multiplier of the interval) plus the mean wrap-up.

**Costs** (the simulator's ``cost``, :mod:`rlroute.sim.engine`), as linear functions of flows:

* abandonment: ``abandon_k * r`` (exact: every abandoned or balked call costs it once);
* unresolved: ``unresolved_k * sum_g (1 - fcr_kg) x`` (exact: resolution is drawn with the call,
  unseen by the router);
* waiting, exponential patience (rate ``theta_k``) and no balking: ``wait_per_s_k * r / theta_k``,
  exact, because a waiting caller abandons at rate ``theta_k``, so the abandonment rate is
  ``theta_k`` times the mean queue length, and the waiting cost rate is ``wait_per_s_k`` times it;
* waiting, other patience laws: at least the patience of the callers who abandon, and at best
  the abandoners are the least patient: ``wait_per_s_k * Lambda * Phi(r / Lambda)`` with
  ``Phi(p) = int_0^p F^{-1}(u) du`` (convex); its perspective is bounded below by the
  perspectives of tangents of ``Phi``, which are linear in ``(r, Lambda)``;
* missed service levels, and the waits of answered calls under non-exponential patience: 0.

Dropping costs and relaxing the queue to its mean flows can only lower the optimum, so for a
stationary center (one interval, long horizon) the LP value is a lower bound on the long-run
expected cost per call of every non-anticipating policy (work-conserving or not): any policy's
long-run rates satisfy the constraints, and its expected cost is at least the linear cost of its
rates. The ratio to offered calls, which depends on the policy through repeat calls, is handled
exactly by the Charnes-Cooper transform of the linear-fractional program.

A day of several intervals is bounded interval by interval (pointwise stationary: each interval
is its own steady state, with the day's costs and offered calls summed before the ratio); this
ignores the backlog that crosses an interval boundary and the drain after the horizon, the one
approximation of the bound, small when intervals are long against handle times and patience.
Random day-level multipliers of the arrival rates are replaced by their mean 1: the fluid
optimal cost is convex in the arrival rates (the optimum of an LP as a function of its
right-hand side), so by Jensen the expected cost over days is at least the cost at mean rates;
without repeat calls the expected offered count does not depend on the policy, so the ratio of
expectations is bounded too. (The benchmark averages the per-day ratio; with thousands of calls
a day the two differ little.)

Where it is loose: the fluid model has no queue while capacity suffices, so an underloaded
center gets a bound near 0 although every real policy pays Erlang waits; it is tight in
overload (the regime of Atar, Giat and Shimkin's c-mu/theta), and in general it measures the
cost that comes from *capacity allocation* (who serves whom, who is abandoned), not from
randomness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog

from rlroute.distributions import Exponential
from rlroute.scenario import Scenario

#: Tangent points of Phi for non-exponential patience (probabilities of abandoning).
TANGENT_POINTS = tuple(np.concatenate([np.linspace(0.005, 0.1, 20), np.linspace(0.12, 0.98, 44)]))
_GRID = 4000  # cells of the lower Riemann sum of Phi


@dataclass
class FluidBound:
    """The fluid LP's optimum: a lower bound on the expected cost per offered call."""

    scenario: str
    cost_per_call: float
    cost: float  # expected cost of one horizon at the optimum
    offered: float  # expected offered calls of one horizon (repeats included)
    components: dict[str, float]  # cost by kind: abandon, wait, unresolved
    interval_cost: list[float]  # cost per interval
    answered: np.ndarray = field(repr=False)  # (n_intervals, K, G) answered calls per interval
    abandoned: np.ndarray = field(repr=False)  # (n_intervals, K) abandoned calls per interval

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "cost_per_call": self.cost_per_call,
            "cost": self.cost,
            "offered": self.offered,
            "components": dict(self.components),
        }


def _phi_tangents(patience: Any) -> list[tuple[float, float]]:
    """``(slope, intercept)`` of affine minorants of ``Phi(p) = int_0^p F^{-1}(u) du``.

    At each tangent point ``p``: slope ``F^{-1}(p)`` (Phi's derivative), intercept
    ``Phi_low(p) - p F^{-1}(p)`` with ``Phi_low`` a lower (left) Riemann sum of the increasing
    ``F^{-1}``, so each line lies below the true tangent, hence below ``Phi``.
    """
    du = 1.0 / _GRID
    left = np.array([patience.ppf(i * du) for i in range(_GRID)], dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(left) * du])  # Phi_low at j * du
    out = []
    for p in TANGENT_POINTS:
        j = int(np.floor(p * _GRID))
        p_grid = j * du  # tangent at a grid point, where Phi_low is known
        slope = float(patience.ppf(p_grid))
        out.append((slope, float(cum[j]) - p_grid * slope))
    return out


def fluid_bound(scenario: Scenario) -> FluidBound:
    """Solve the fluid LP of ``scenario`` (module doc); raises RuntimeError if HiGHS fails."""
    sc = scenario
    K, G, n = len(sc.call_types), len(sc.agent_groups), sc.n_intervals
    L = sc.interval_s
    pairs = sc.eligible_pairs()
    rates = np.array([sc.rates_per_hour(k) for k in range(K)], dtype=float).T / 3600.0  # (n, K)
    heads = np.array([sc.head_counts(g) for g in range(G)], dtype=float).T  # (n, G)
    mult = [sc.handle_time_multipliers(k) for k in range(K)]
    rho = [c.repeat.probability if c.repeat is not None else 0.0 for c in sc.call_types]
    costs = [c.cost for c in sc.call_types]

    # Waiting-cost model per type: "exp" (exact via abandonments), "tangent" (Phi) or None.
    wait_model: list[tuple[str, Any] | None] = []
    for c in sc.call_types:
        can_balk = c.balk_probability > 0 or c.balk_queue_length is not None
        if c.cost.wait_per_s == 0 or c.patience is None or can_balk:
            wait_model.append(None)  # no cost, never abandons (no link), or balks (no link)
        elif isinstance(c.patience, Exponential):
            wait_model.append(("exp", c.patience.mean))
        else:
            wait_model.append(("tangent", _phi_tangents(c.patience)))

    # Variable layout, per interval: x (pairs), r (K), w (types with a tangent model).
    w_types = [k for k in range(K) if wait_model[k] and wait_model[k][0] == "tangent"]  # type: ignore[index]
    P, W = len(pairs), len(w_types)
    per = P + K + W
    nv = n * per

    def xi(i: int, p: int) -> int:
        return i * per + p

    def ri(i: int, k: int) -> int:
        return i * per + P + k

    def wi(i: int, j: int) -> int:
        return i * per + P + K + j

    c_obj = np.zeros(nv)  # cost of one horizon
    d_off = np.zeros(nv)  # offered calls of one horizon, variable part
    d0 = float(rates.sum() * L)  # offered calls, exogenous part
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    bounds = [(0.0, None)] * nv
    for i in range(n):
        for p, (k, g) in enumerate(pairs):
            skill = sc.skill(k, g)
            assert skill is not None
            unres = 1.0 - skill.fcr
            c_obj[xi(i, p)] += L * costs[k].unresolved * unres
            d_off[xi(i, p)] += L * rho[k] * unres
        for k in range(K):
            ct = sc.call_types[k]
            model = wait_model[k]
            can_balk = ct.balk_probability > 0 or ct.balk_queue_length is not None
            if ct.patience is None and not can_balk:
                # Never abandons: r is work deferred past the interval (to the drain), free of
                # cost here, a relaxation that keeps the LP feasible under overload.
                pass
            else:
                c_obj[ri(i, k)] += L * costs[k].abandon
            if model and model[0] == "exp":
                c_obj[ri(i, k)] += L * costs[k].wait_per_s * model[1]
            row = np.zeros(nv)
            for p, (kk, g) in enumerate(pairs):
                if kk == k:
                    skill = sc.skill(k, g)
                    assert skill is not None
                    row[xi(i, p)] = 1.0 - rho[k] * (1.0 - skill.fcr)
            row[ri(i, k)] = 1.0
            a_eq.append(row)
            b_eq.append(rates[i, k])
        for g in range(G):
            row = np.zeros(nv)
            for p, (k, gg) in enumerate(pairs):
                if gg == g:
                    skill = sc.skill(k, g)
                    assert skill is not None
                    mult_k = mult[k]
                    m_talk = skill.handle_time.mean * (mult_k[i] if mult_k else 1.0)
                    m_wrap = skill.wrap_up.mean if skill.wrap_up is not None else 0.0
                    row[xi(i, p)] = m_talk + m_wrap
            a_ub.append(row)
            b_ub.append(heads[i, g])
        for j, k in enumerate(w_types):
            c_obj[wi(i, j)] += L * costs[k].wait_per_s
            for slope, icpt in wait_model[k][1]:  # type: ignore[index]
                # w >= slope * r + icpt * Lambda, Lambda = lambda + rho sum (1 - fcr) x
                row = np.zeros(nv)
                row[ri(i, k)] = slope
                row[wi(i, j)] = -1.0
                for p, (kk, g) in enumerate(pairs):
                    if kk == k:
                        skill = sc.skill(k, g)
                        assert skill is not None
                        row[xi(i, p)] = icpt * rho[k] * (1.0 - skill.fcr)
                a_ub.append(row)
                b_ub.append(-icpt * rates[i, k])

    # Charnes-Cooper: min c.z / (d.z + d0) -> y = t z: min c.y, A y - b t (<=, =) 0,
    # d.y + d0 t = 1, t >= 0.
    A_ub = np.hstack([np.array(a_ub), -np.array(b_ub)[:, None]])
    A_eq = np.hstack([np.array(a_eq), -np.array(b_eq)[:, None]])
    A_eq = np.vstack([A_eq, np.concatenate([d_off, [d0]])[None, :]])
    b_eq_cc = np.zeros(A_eq.shape[0])
    b_eq_cc[-1] = 1.0
    res = linprog(
        np.concatenate([c_obj, [0.0]]),
        A_ub=A_ub,
        b_ub=np.zeros(A_ub.shape[0]),
        A_eq=A_eq,
        b_eq=b_eq_cc,
        bounds=[*bounds, (0.0, None)],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"fluid bound of {sc.name!r}: the LP failed: {res.message}")
    t = res.x[-1]
    z = res.x[:-1] / t
    cost = float(c_obj @ z)
    offered = float(d_off @ z + d0)
    answered = np.zeros((n, K, G))
    abandoned = np.zeros((n, K))
    comp = {"abandon": 0.0, "wait": 0.0, "unresolved": 0.0}
    interval_cost = []
    for i in range(n):
        for p, (k, g) in enumerate(pairs):
            answered[i, k, g] = z[xi(i, p)] * L
            skill = sc.skill(k, g)
            assert skill is not None
            comp["unresolved"] += costs[k].unresolved * (1.0 - skill.fcr) * z[xi(i, p)] * L
        for k in range(K):
            abandoned[i, k] = z[ri(i, k)] * L
            if sc.call_types[k].patience is not None:
                comp["abandon"] += costs[k].abandon * abandoned[i, k]
            model = wait_model[k]
            if model and model[0] == "exp":
                comp["wait"] += costs[k].wait_per_s * model[1] * abandoned[i, k]
        for j, k in enumerate(w_types):
            comp["wait"] += costs[k].wait_per_s * z[wi(i, j)] * L
        interval_cost.append(float(c_obj[i * per : (i + 1) * per] @ z[i * per : (i + 1) * per]))
    return FluidBound(
        scenario=sc.name,
        cost_per_call=cost / offered,
        cost=cost,
        offered=offered,
        components=comp,
        interval_cost=interval_cost,
        answered=answered,
        abandoned=abandoned,
    )


__all__ = ["TANGENT_POINTS", "FluidBound", "fluid_bound"]
