"""Exact Erlang B, Erlang C and Erlang A (M/M/n+M) performance measures, and staffing by them.

These are the yardsticks the simulator is validated against and the classic staffing rules the
learned routers are compared with, so they are exact (no diffusion approximations) and stay
numerically stable for thousands of agents and for overload.

Units: times in seconds, the arrival rate in calls per second, the load ``a = lam * AHT`` in
Erlangs. ``n`` is the number of agents.

Methods:

* Erlang B by the recursion ``B(k) = a B(k-1) / (k + a B(k-1))``, which never forms a power or
  a factorial, so it neither overflows nor loses precision.
* Erlang C from Erlang B: ``C = n B / (n - a (1 - B))``; the waiting time of M/M/n given a wait
  is exponential with rate ``n mu - lam``.
* Erlang A (Palm's M/M/n+M queue, FCFS, exponential patience of rate ``theta``): the stationary
  law of the birth-death chain on the number in system, in log space and truncated where the
  remaining tail mass is below 1e-16; an arrival sees it (PASTA). With ``j`` callers ahead,
  the caller reaches an agent after phases of rates ``n mu + i theta`` (``i = j .. 0``) while
  its own patience runs; the race between the two gives everything in closed form, except
  the probability of being answered within a target, which comes from one uniformised
  transient solve of a pure-death chain over all starting states at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import gammaln, logsumexp

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "staffing_erlang_a",
    "staffing_erlang_c",
]

# Relative stationary mass left out when the Erlang A chain is truncated.
_TAIL_TOL = 1e-16
# Erlang A chains longer than this (queue states) are refused rather than built: only an
# overloaded center with patience far longer than any call needs it.
_MAX_QUEUE_STATES = 1 << 22


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _check_n(n: int, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise ValueError(f"{name} (number of agents) must be a positive int, got {n!r}")
    if n < 1:
        raise ValueError(f"{name} (number of agents) must be a positive int, got {n}")
    return int(n)


def _check_real(name: str, value: float, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    if positive and x <= 0.0:
        raise ValueError(f"{name} must be > 0, got {x}")
    if not positive and x < 0.0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


def _check_fraction(name: str, value: float, *, low_open: bool, high_open: bool) -> float:
    x = _check_real(name, value, positive=False)
    too_low = x <= 0.0 if low_open else x < 0.0
    too_high = x >= 1.0 if high_open else x > 1.0
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {x}")
    return x


# --------------------------------------------------------------------------------------------
# Erlang B and Erlang C
# --------------------------------------------------------------------------------------------


def erlang_b(n: int, load: float) -> float:
    """Erlang B: the blocking probability of the M/M/n/n loss system with ``load`` Erlangs.

    ``B(n, a) = (a^n / n!) / sum_{k=0..n} a^k / k!``, computed by the recursion
    ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))`` (Erlang 1917; see e.g. Cooper,
    *Introduction to Queueing Theory*, 2nd ed., 1981, sec. 3.4). Each step is a ratio of
    numbers in ``[0, k + a]``, so it is stable for any ``n`` and never overflows; O(n).

    Args:
        n: number of servers (agents), a positive int.
        load: offered load ``a = lam / mu`` in Erlangs, finite and >= 0.
    """
    n = _check_n(n)
    a = _check_real("load", load, positive=False)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c_from_b(n: int, a: float, b: float) -> float:
    # C = n B / (n - a (1 - B)), valid for a < n (Cooper 1981, eq. 3.4.5 style identity).
    return n * b / (n - a * (1.0 - b))


def erlang_c(n: int, load: float) -> float:
    """Erlang C: the probability that an arrival must wait in M/M/n with ``load`` Erlangs.

    ``C(n, a) = n B(n, a) / (n - a (1 - B(n, a)))`` with ``B`` the Erlang B value from its stable
    recursion (Erlang 1917; Cooper 1981, sec. 3.5), so it holds for thousands of agents. When
    ``load >= n`` the queue is unstable and every arrival waits: returns 1.0.

    Args:
        n: number of agents, a positive int.
        load: offered load ``a = lam / mu`` in Erlangs, finite and >= 0.
    """
    n = _check_n(n)
    a = _check_real("load", load, positive=False)
    if a >= n:
        return 1.0
    return _erlang_c_from_b(n, a, erlang_b(n, a))


@dataclass(frozen=True)
class ErlangCResult:
    """Stationary performance of the M/M/n (Erlang C) queue.

    Attributes:
        p_wait: probability an arrival must wait, ``C(n, a)``.
        asa_s: average speed of answer, the mean wait of all calls, seconds (every call is
            answered in M/M/n).
        service_level: ``P(W <= target_s)``.
        occupancy: agent utilisation ``a / n``.
        mean_queue_length: time-average number of calls waiting, ``lam * asa_s``.

    An unstable queue (``a >= n``) reports ``p_wait = 1``, ``asa_s = inf``,
    ``service_level = 0``, ``occupancy = 1`` and ``mean_queue_length = inf``: the limits as
    time grows.
    """

    p_wait: float
    asa_s: float
    service_level: float
    occupancy: float
    mean_queue_length: float


def erlang_c_metrics(
    arrival_rate: float, mean_handle_s: float, n: int, target_s: float
) -> ErlangCResult:
    """Erlang C KPIs: probability of waiting, ASA, service level and occupancy of M/M/n.

    With ``mu = 1 / mean_handle_s``, ``a = lam / mu`` and ``C = C(n, a)`` (:func:`erlang_c`):
    ``service_level = P(W <= t) = 1 - C exp(-(n mu - lam) t)``, ``asa = C / (n mu - lam)``,
    ``occupancy = a / n`` and, by Little's law, ``mean_queue_length = lam * asa``
    (Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., sec. 2.3;
    Gans, Koole & Mandelbaum 2003, "Telephone call centers: tutorial, review, and research
    prospects", sec. 4.1).

    Args:
        arrival_rate: Poisson arrival rate ``lam``, calls per second (> 0).
        mean_handle_s: mean (exponential) handle time, seconds (> 0).
        n: number of agents, a positive int.
        target_s: service-level target ``t``, seconds (>= 0).
    """
    lam = _check_real("arrival_rate", arrival_rate, positive=True)
    aht = _check_real("mean_handle_s", mean_handle_s, positive=True)
    n = _check_n(n)
    t = _check_real("target_s", target_s, positive=False)
    a = lam * aht
    if a >= n:
        return ErlangCResult(
            p_wait=1.0,
            asa_s=math.inf,
            service_level=0.0,
            occupancy=1.0,
            mean_queue_length=math.inf,
        )
    c = _erlang_c_from_b(n, a, erlang_b(n, a))
    gap = (n - a) / aht  # n mu - lam, formed without cancellation
    asa = c / gap
    return ErlangCResult(
        p_wait=c,
        asa_s=asa,
        service_level=1.0 - c * math.exp(-gap * t),
        occupancy=a / n,
        mean_queue_length=lam * asa,
    )


def staffing_erlang_c(
    arrival_rate: float,
    mean_handle_s: float,
    target_s: float,
    service_level: float = 0.8,
    max_occupancy: float | None = None,
) -> int:
    """Smallest number of agents whose Erlang C service level ``P(W <= target_s)`` is at least
    ``service_level`` (and whose occupancy ``a / n`` is at most ``max_occupancy``, if given).

    Scans ``n = 1, 2, ...`` carrying the Erlang B recursion along, so the whole search costs
    O(answer) (the classic staffing rule, Gans, Koole & Mandelbaum 2003, sec. 4.1). Only stable
    staffings (``n > a``) qualify. The service level increases with ``n``, so the first ``n``
    that meets both targets is the answer.

    Args:
        arrival_rate: calls per second (> 0).
        mean_handle_s: mean handle time, seconds (> 0).
        target_s: service-level target time, seconds (>= 0).
        service_level: required ``P(W <= target_s)``, in [0, 1).
        max_occupancy: optional cap on ``a / n``, in (0, 1].
    """
    lam = _check_real("arrival_rate", arrival_rate, positive=True)
    aht = _check_real("mean_handle_s", mean_handle_s, positive=True)
    t = _check_real("target_s", target_s, positive=False)
    sl_target = _check_fraction("service_level", service_level, low_open=False, high_open=True)
    occ_cap = (
        None
        if max_occupancy is None
        else _check_fraction("max_occupancy", max_occupancy, low_open=True, high_open=False)
    )
    a = lam * aht
    b = 1.0
    n = 0
    while True:
        n += 1
        b = a * b / (n + a * b)
        if n <= a or (occ_cap is not None and a / n > occ_cap):
            continue
        c = _erlang_c_from_b(n, a, b)
        if 1.0 - c * math.exp(-(n - a) / aht * t) >= sl_target:
            return n


# --------------------------------------------------------------------------------------------
# Erlang A (M/M/n+M)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangAResult:
    """Stationary performance of the M/M/n+M (Erlang A, Palm) queue.

    Attributes:
        p_wait: probability an arrival finds all agents busy and must wait.
        p_abandon: probability an arrival abandons before being answered.
        asa_s: mean wait of ALL arrivals (an abandoning call counts the time it waited),
            ``E[min(V, patience)]``, seconds; equals ``p_abandon / theta``.
        asa_served_s: mean wait of answered calls, seconds (the call-center ASA).
        service_level: ``P(answered and W <= target)`` over all arrivals.
        service_level_answered: ``P(W <= target | answered)``.
        occupancy: agent utilisation, mean busy agents over ``n``; by flow balance the served
            load over agents, ``lam (1 - p_abandon) / (n mu)``.
        mean_queue_length: time-average number of calls waiting.
    """

    p_wait: float
    p_abandon: float
    asa_s: float
    asa_served_s: float
    service_level: float
    service_level_answered: float
    occupancy: float
    mean_queue_length: float


def _erlang_a_distribution(
    lam: float, mu: float, n: int, theta: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """Stationary law of the M/M/n+M chain, as (P(N < n), pi over k < n, pi[n + j] for j >= 0).

    The chain on the number in system ``N`` has birth rate ``lam`` and death rate
    ``min(k, n) mu + max(k - n, 0) theta``; detailed balance gives
    ``log pi_k = k log a - log k!`` for ``k <= n`` and
    ``log pi_{n+j} = log pi_n + sum_{i=1..j} log(lam / (n mu + i theta))``. All in log space
    and normalised by log-sum-exp. The queue part is cut at the first ``J`` past the mode whose
    geometric tail bound ``pi_J r / (1 - r)``, ``r = lam / (n mu + (J+1) theta) < 1``, is below
    ``_TAIL_TOL`` times the largest term; ``theta > 0`` makes such a ``J`` exist even when
    ``lam > n mu``.
    """
    a = lam / mu
    nmu = n * mu
    k = np.arange(n)
    log_a = math.log(a)
    log_below = k * log_a - gammaln(k + 1.0)
    log_pi_n = n * log_a - float(gammaln(n + 1.0))
    log_ref_below = float(log_below.max())
    j_mode = max(0.0, (lam - nmu) / theta)
    too_long = ValueError(
        f"Erlang A chain needs more than {_MAX_QUEUE_STATES} queue states "
        f"(arrival_rate={lam:g}/s vs capacity n*mu={nmu:g}/s with patience rate "
        f"theta={theta:g}/s); use a shorter mean_patience_s"
    )
    if j_mode >= _MAX_QUEUE_STATES:
        raise too_long
    queue_len = int(min(2.0 * j_mode + 64.0, float(_MAX_QUEUE_STATES)))
    while True:
        j = np.arange(1, queue_len + 1, dtype=float)
        incr = math.log(lam) - np.log(nmu + j * theta)
        log_queue = log_pi_n + np.concatenate(([0.0], np.cumsum(incr)))  # j = 0 .. queue_len
        r = lam / (nmu + (queue_len + 1) * theta)
        log_ref = max(log_ref_below, float(log_queue.max()))
        if r < 1.0 and log_queue[-1] + math.log(r / (1.0 - r)) < log_ref + math.log(_TAIL_TOL):
            break
        if queue_len >= _MAX_QUEUE_STATES:
            raise too_long
        queue_len = min(2 * queue_len, _MAX_QUEUE_STATES)
    log_z = float(logsumexp(np.concatenate((log_below, log_queue))))
    below = np.exp(log_below - log_z)
    queue = np.exp(log_queue - log_z)
    return float(below.sum()), below, queue


def _served_within(weights: np.ndarray, nmu: float, theta: float, target_s: float) -> float:
    """``sum_j weights_j P(T_j <= t)`` where ``T_j = sum_{i=0..j} Exp(n mu + (i+1) theta)``.

    ``T_j`` is the wait of a caller with ``j`` ahead *given that it is answered*: conditioning
    the race (next progress at rate ``n mu + i theta`` vs own abandonment at ``theta``) on
    progress winning every phase leaves independent phases of rate ``r_i = n mu + (i+1) theta``.
    That is a pure-death chain ``j -> j-1 -> ... -> answered``, solved forward from all starting
    states at once by uniformisation (Jensen 1953; Grassmann 1977): with ``L = max r_i`` and
    the stochastic matrix ``P = I + A / L``, ``x(t) = sum_k Poisson(k; L t) P^k x(0)``. Every
    term is non-negative, so there is no cancellation; the Poisson sum is cut ``12 sqrt(L t) +
    40`` past its mean, leaving a tail below 1e-32. (``expm_multiply`` gives the same numbers
    but spends most of its time estimating matrix norms.)
    """
    if target_s == 0.0 or not weights.any():
        return 0.0
    rates = nmu + theta * np.arange(1, weights.size + 1, dtype=float)
    top = float(rates[-1])
    stay = 1.0 - rates / top
    down = rates / top  # down[j]: one step moves mass from j to j-1 (or to answered, j = 0)
    mean_steps = top * target_s
    k = np.arange(int(mean_steps + 12.0 * math.sqrt(mean_steps) + 40.0) + 1, dtype=float)
    poisson = np.exp(k * math.log(mean_steps) - mean_steps - gammaln(k + 1.0))
    waiting = weights.astype(float, copy=True)
    answered = 0.0
    total = 0.0
    for weight in poisson:
        total += weight * answered
        answered += waiting[0] * down[0]
        moved = waiting[1:] * down[1:]
        waiting *= stay
        waiting[:-1] += moved
    return min(float(total), float(weights.sum()))


def erlang_a_metrics(
    arrival_rate: float,
    mean_handle_s: float,
    n: int,
    mean_patience_s: float,
    target_s: float,
) -> ErlangAResult:
    """Exact Erlang A (M/M/n+M, FCFS, exponential patience) KPIs.

    Model (Palm 1943; Garnett, Mandelbaum & Reiman 2002, "Designing a call center with
    impatient customers", MSOM 4(3); Mandelbaum & Zeltyn 2007, "Service engineering in action:
    the Palm/Erlang-A queue"): Poisson arrivals ``lam``, ``n`` agents with exponential handle
    times (rate ``mu = 1 / mean_handle_s``), and exponential patience (rate
    ``theta = 1 / mean_patience_s``); it is stable for every load.

    Method: the stationary law ``pi`` of the number in system is computed in log space
    (see :func:`_erlang_a_distribution`); by PASTA an arrival sees ``pi``. An arrival that sees
    ``n + j`` has ``j`` ahead; in the phase with ``i`` ahead, progress happens at rate
    ``n mu + i theta`` and its own abandonment at ``theta``. Hence, exactly:

    * ``P(answered | j) = prod_{i=0..j} (n mu + i theta) / (n mu + (i+1) theta)
      = n mu / (n mu + (j+1) theta)`` (the product telescopes);
    * ``E[W | j] = (1 - P(answered | j)) / theta = (j+1) / (n mu + (j+1) theta)``
      (abandonment hazard ``theta`` while waiting, so ``P(abandon) = theta E[W]``);
    * ``E[W | answered, j] = sum_{i=0..j} 1 / (n mu + (i+1) theta)``;
    * ``P(answered, W <= t | j) = P(answered | j) P(T_j <= t)`` with ``T_j`` hypoexponential,
      from one uniformised transient solve (:func:`_served_within`).

    Averaging over ``pi`` gives the KPIs; ``mean_queue_length = sum_j j pi_{n+j}``, which by
    flow balance also equals ``lam p_abandon / theta`` (a test checks both agree).

    Args:
        arrival_rate: calls per second (> 0).
        mean_handle_s: mean handle time, seconds (> 0).
        n: number of agents, a positive int.
        mean_patience_s: mean patience, seconds (> 0). Huge values approach Erlang C when
            ``a < n``.
        target_s: service-level target time, seconds (>= 0).
    """
    lam = _check_real("arrival_rate", arrival_rate, positive=True)
    aht = _check_real("mean_handle_s", mean_handle_s, positive=True)
    n = _check_n(n)
    patience = _check_real("mean_patience_s", mean_patience_s, positive=True)
    t = _check_real("target_s", target_s, positive=False)
    mu = 1.0 / aht
    theta = 1.0 / patience
    nmu = n * mu

    p_below, below, queue = _erlang_a_distribution(lam, mu, n, theta)
    ahead = np.arange(queue.size, dtype=float)
    reach_rate = nmu + (ahead + 1.0) * theta  # total rate of phase j given own patience runs
    p_answer_j = nmu / reach_rate
    # 1 - p_answer_j written without cancellation, so tiny abandonment stays accurate.
    p_abandon = float(np.dot(queue, (ahead + 1.0) * theta / reach_rate))
    mean_wait = float(np.dot(queue, (ahead + 1.0) / reach_rate))
    wait_served = float(np.dot(queue, p_answer_j * np.cumsum(1.0 / reach_rate)))
    p_answered = 1.0 - p_abandon
    answered_in_time = p_below + _served_within(queue * p_answer_j, nmu, theta, t)
    answered_in_time = min(answered_in_time, p_answered)
    # Mean busy agents over n: equals lam (1 - p_abandon) / (n mu) by flow balance, but this
    # form cannot leave [0, 1] by rounding in overload.
    busy = float(np.dot(below, np.arange(below.size))) + n * float(queue.sum())
    occupancy = min(1.0, busy / n)
    return ErlangAResult(
        p_wait=float(queue.sum()),
        p_abandon=p_abandon,
        asa_s=mean_wait,
        asa_served_s=wait_served / p_answered,
        service_level=answered_in_time,
        service_level_answered=answered_in_time / p_answered,
        occupancy=occupancy,
        mean_queue_length=float(np.dot(queue, ahead)),
    )


def staffing_erlang_a(
    arrival_rate: float,
    mean_handle_s: float,
    mean_patience_s: float,
    target_s: float,
    service_level: float = 0.8,
    max_abandon: float | None = None,
) -> int:
    """Smallest number of agents whose Erlang A service level ``P(answered within target_s)``
    (over all arrivals) is at least ``service_level`` and whose abandonment probability is at
    most ``max_abandon``, if given.

    Both measures improve monotonically with ``n`` (more agents: stochastically shorter queue,
    Garnett, Mandelbaum & Reiman 2002), so the answer is bracketed by doubling from ``ceil(a)``
    and then found by bisection, with :func:`erlang_a_metrics` evaluated O(log n) times.
    Unlike Erlang C, staffing below the load ``a`` is allowed: abandonment keeps it stable.

    Args:
        arrival_rate: calls per second (> 0).
        mean_handle_s: mean handle time, seconds (> 0).
        mean_patience_s: mean patience, seconds (> 0).
        target_s: service-level target time, seconds (>= 0).
        service_level: required ``P(answered and W <= target_s)``, in [0, 1).
        max_abandon: optional cap on ``P(abandon)``, in (0, 1].
    """
    lam = _check_real("arrival_rate", arrival_rate, positive=True)
    aht = _check_real("mean_handle_s", mean_handle_s, positive=True)
    patience = _check_real("mean_patience_s", mean_patience_s, positive=True)
    t = _check_real("target_s", target_s, positive=False)
    sl_target = _check_fraction("service_level", service_level, low_open=False, high_open=True)
    ab_cap = (
        None
        if max_abandon is None
        else _check_fraction("max_abandon", max_abandon, low_open=True, high_open=False)
    )

    def meets(n: int) -> bool:
        m = erlang_a_metrics(lam, aht, n, patience, t)
        return m.service_level >= sl_target and (ab_cap is None or m.p_abandon <= ab_cap)

    failing = 0  # largest n known to fall short (0: none tried)
    passing = max(1, math.ceil(lam * aht))
    while not meets(passing):
        failing = passing
        passing *= 2
    while passing - failing > 1:
        mid = (failing + passing) // 2
        if meets(mid):
            passing = mid
        else:
            failing = mid
    return passing
