"""Caller patience from censored waits: exponential MLE and the Kaplan-Meier estimator.

Method. A caller who abandoned after waiting ``w`` seconds *shows* their patience (``w``); a
caller who was answered after ``w`` seconds only shows that their patience exceeded ``w``
(right-censored). Every call that reached the queue (``answered`` or ``abandoned``) is one
observation; callers answered at once carry no information about patience beyond 0.
Censoring is assumed independent of patience given the queue, the standard assumption
(Brown et al. 2005, section 5).

* **Exponential MLE**: with ``A`` abandonments and total waiting time ``W`` of all queued
  callers, the hazard is ``A / W`` and the mean patience ``W / A``.
* **Kaplan-Meier**: ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)`` over the distinct abandonment
  times ``t_j``, with ``d_j`` abandonments at ``t_j`` and ``n_j`` callers still waiting at
  ``t_j`` (censored at ``t_j`` counted as at risk). Written in numpy: a sort and a cumulative
  sum. Greenwood's variance gives the band on the report's figure.
* **Choice for the Scenario** (``model="auto"``): the exponential, unless the Kaplan-Meier
  curve departs from it by more than ``tolerance`` beyond its own noise, with at least
  ``min_abandons`` abandonments. The departure is ``sup_t (|S_KM(t) - exp(-t/m)| - z SE(t))``
  over the times where at least ``min_at_risk`` callers are still waiting, ``SE`` from
  Greenwood's formula and ``z = 2`` (about a 95% pointwise band): a sampling wiggle of the KM
  curve in its thin tail does not count as a departure. Then an :class:`~rlroute.distributions.Empirical` patience
  of ``n_points`` equally weighted quantiles of the Kaplan-Meier distribution, whose tail
  beyond the last well-supported time is the exponential of the same data (constant hazard
  past the data: heavy censoring leaves the KM curve far above 0). ``"exponential"`` and
  ``"empirical"`` force one model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rlroute.calibrate.common import CalibrationError
from rlroute.distributions import Empirical, Exponential

__all__ = [
    "KaplanMeier",
    "PatienceFit",
    "exponential_mle",
    "fit_patience",
    "kaplan_meier",
    "km_distribution",
]


def _check(times: np.ndarray, observed: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if t.shape != e.shape:
        raise CalibrationError(f"{name}: {t.size} times but {e.size} abandonment flags")
    if not np.isfinite(t).all():
        raise CalibrationError(f"{name}: waits must be finite (found NaN or inf)")
    if (t < 0).any():
        raise CalibrationError(f"{name}: negative waits")
    return t, e


def exponential_mle(times: np.ndarray, observed: np.ndarray, name: str = "waits") -> float:
    """Mean patience of the exponential MLE: total waiting time / number abandoned.

    Returns ``inf`` when nobody abandoned (patience too long to be seen).

    >>> exponential_mle(np.array([10.0, 30.0, 20.0]), np.array([True, False, True]))
    30.0
    """
    t, e = _check(times, observed, name)
    if t.size == 0:
        raise CalibrationError(f"{name}: no queued call to estimate patience from")
    a = int(e.sum())
    return math.inf if a == 0 else float(t.sum() / a)


@dataclass
class KaplanMeier:
    """A Kaplan-Meier survival curve: ``S(t)`` just after each distinct event time."""

    times: np.ndarray
    survival: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    variance: np.ndarray

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        """``S(t)``: a right-continuous step function, 1 before the first event."""
        idx = np.searchsorted(self.times, np.asarray(t, dtype=float), side="right")
        return np.concatenate([[1.0], self.survival])[idx]

    def median(self) -> float:
        below = np.flatnonzero(self.survival <= 0.5)
        return float(self.times[below[0]]) if below.size else math.inf


def kaplan_meier(times: np.ndarray, observed: np.ndarray, name: str = "waits") -> KaplanMeier:
    """The Kaplan-Meier estimate from right-censored times (``observed`` True = event seen).

    >>> km = kaplan_meier(np.array([1.0, 2, 2, 3]), np.array([True, True, False, True]))
    >>> km.survival.round(4).tolist()  # 3/4, then 3/4 * (1 - 1/3), then 0
    [0.75, 0.5, 0.0]
    """
    t, e = _check(times, observed, name)
    if t.size == 0:
        raise CalibrationError(f"{name}: no observation for Kaplan-Meier")
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq, first = np.unique(t, return_index=True)
    n_at = t.size - first  # still waiting just before each distinct time
    d = np.add.reduceat(e.astype(np.int64), first)
    has = d > 0
    uniq, n_at, d = uniq[has], n_at[has], d[has]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n_at)
        # Greenwood: Var S = S^2 sum d / (n (n - d)); infinite once n == d (S = 0).
        terms = np.where(n_at > d, d / (n_at * (n_at - d)), np.inf)
        var = surv**2 * np.cumsum(terms)
    var = np.where(surv == 0, 0.0, var)
    return KaplanMeier(times=uniq, survival=surv, at_risk=n_at, events=d, variance=var)


def km_distribution(
    km: KaplanMeier, tail_mean_s: float, t_max: float, n_points: int = 100
) -> Empirical:
    """``n_points`` equally weighted quantiles of the KM distribution up to ``t_max``, with an
    exponential tail of mean ``tail_mean_s`` beyond it (the quantiles that KM cannot give)."""
    keep = km.times <= t_max
    times, surv = km.times[keep], km.survival[keep]
    s_end = float(surv[-1]) if surv.size else 1.0
    u = (np.arange(n_points) + 0.5) / n_points  # P(patience <= x) at each value
    values = np.empty(n_points)
    cdf = 1.0 - surv
    for j, q in enumerate(u):
        if q <= 1.0 - s_end:
            values[j] = times[np.searchsorted(cdf, q, side="left")]
        else:  # exponential tail: P(X > t_max + y) = s_end * exp(-y / mean)
            values[j] = t_max - tail_mean_s * math.log((1.0 - q) / s_end)
    return Empirical(values=[round(float(v), 3) for v in values])


@dataclass
class PatienceFit:
    """Patience of one call type: both estimates and the model chosen for the Scenario."""

    n: int
    abandoned: int
    exp_mean_s: float
    km: KaplanMeier | None
    sup_diff: float
    departure: float
    t_support: float
    choice: str
    dist: Exponential | Empirical | None
    times: np.ndarray
    observed: np.ndarray

    def row(self) -> dict[str, float | int | str]:
        return {
            "n": self.n,
            "abandoned": self.abandoned,
            "abandon_share": self.abandoned / self.n if self.n else float("nan"),
            "exp_mean_s": self.exp_mean_s,
            "km_median_s": self.km.median() if self.km is not None else float("nan"),
            "exp_median_s": self.exp_mean_s * math.log(2),
            "km_exp_sup_diff": self.sup_diff,
            "km_exp_departure": self.departure,
            "choice": self.choice,
            "scenario_mean_s": self.dist.mean if self.dist is not None else math.inf,
        }


def fit_patience(
    waits: np.ndarray,
    abandoned: np.ndarray,
    model: str = "auto",
    tolerance: float = 0.03,
    min_abandons: int = 200,
    min_at_risk: int = 30,
    n_points: int = 100,
    z: float = 2.0,
    name: str = "waits",
) -> PatienceFit:
    """Fit patience from the waits of queued calls and whether each abandoned.

    See the module docstring for the rule behind ``model="auto"``. When nobody abandoned, the
    Scenario gets no patience (``None``: callers never hang up) whatever the model.
    """
    if model not in ("auto", "exponential", "empirical"):
        raise CalibrationError(
            f"patience model must be 'auto', 'exponential' or 'empirical', got {model!r}"
        )
    t, e = _check(waits, abandoned, name)
    mean = exponential_mle(t, e, name)
    a = int(e.sum())
    if a == 0:
        return PatienceFit(t.size, 0, mean, None, math.nan, math.nan, math.nan, "none", None, t, e)
    km = kaplan_meier(t, e, name)
    supported = km.at_risk >= min_at_risk
    t_support = float(km.times[supported][-1]) if supported.any() else float(km.times[0])
    inside = km.times <= t_support
    gap = np.abs(km.survival[inside] - np.exp(-km.times[inside] / mean))
    sup = float(gap.max()) if gap.size else 0.0
    departure = float((gap - z * np.sqrt(km.variance[inside])).max()) if gap.size else 0.0
    empirical = model == "empirical" or (
        model == "auto" and departure > tolerance and a >= min_abandons
    )
    if empirical:
        dist: Exponential | Empirical = km_distribution(km, mean, t_support, n_points)
        choice = "empirical"
    else:
        dist, choice = Exponential(mean_s=mean), "exponential"
    return PatienceFit(t.size, a, mean, km, sup, departure, t_support, choice, dist, t, e)
