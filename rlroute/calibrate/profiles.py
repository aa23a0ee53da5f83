"""Smoothed arrival profiles: Poisson regression of interval counts on time-of-day splines.

Why. The empirical profile gives every (call type, interval) its own free rate, the mean count
of that half-hour over the fitting days. Where a type gets under one call per interval, those
rates are mostly noise, and a model trained on them learns the noise. A rate that varies
smoothly over the day is what a center's arrivals look like (Brown et al. 2005; Weinberg,
Brown and Stroud 2007 fit the same kind of smooth intraday profile).

Model. For one call type over ``D`` days and ``n`` intervals, the counts ``N[d, i]`` are
Poisson with mean ``mu_i = exp(B(x_i) beta)``, where ``B`` is a cubic B-spline basis of the
interval's midpoint ``x_i`` (scaled to [0, 1]) with ``df`` columns (``df - 4`` interior knots at
equal spacing; ``df = 1`` is a flat profile, ``df`` 2-3 lower-degree splines). The fit
maximises the Poisson likelihood of the per-interval totals ``sum_d N[d, i]`` with exposure
``D`` by Newton's method (iteratively reweighted least squares). The B-spline basis sums to one
at every ``x``, so the fitted day total equals the observed mean day total, as the empirical
profile's does: smoothing moves calls between intervals, never adds or removes them.
``df = n`` is the saturated model, i.e. the empirical profile. Counts may be fractional (the
priority split shares calls out pro rata); the Poisson score equations do not need integers.

``df`` is chosen per type by out-of-sample deviance, leave-days-out (:func:`choose_df`): the
days are cut into ``folds`` groups (day ``j`` goes to fold ``j mod folds``; the default,
``folds = days``, is leave-one-day-out), each group is predicted by the profile fitted on the
others, and the score is the mean unit Poisson deviance per (day, interval) cell. The
candidates include the saturated model (the empirical profile). ``python -m
rlroute.calibrate.profile_cv`` prints the scores.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import BSpline

from rlroute.calibrate.common import CalibrationError

__all__ = [
    "DEFAULT_MAX_DF",
    "MIN_SPLINE_INTERVALS",
    "PROFILE_METHODS",
    "candidate_dfs",
    "choose_df",
    "cv_deviance",
    "empirical_profile",
    "poisson_deviance",
    "smooth_profile",
    "smooth_profiles",
    "spline_basis",
]

PROFILE_METHODS = ("spline", "empirical")

# candidate df run from 1 to min(intervals - 1, DEFAULT_MAX_DF)
DEFAULT_MAX_DF = 16
# below this many intervals a day has too few points to smooth: the profile stays empirical
MIN_SPLINE_INTERVALS = 8


def spline_basis(n_intervals: int, df: int) -> np.ndarray:
    """B-spline design matrix ``(n_intervals, df)`` at the intervals' midpoints.

    Cubic with equally spaced interior knots when ``df >= 4``; degree ``df - 1`` below (so
    ``df = 1`` is the intercept only). Each row sums to one (partition of unity).

    >>> b = spline_basis(34, 8)
    >>> b.shape, bool(np.allclose(b.sum(axis=1), 1.0))
    ((34, 8), True)
    """
    if n_intervals < 1:
        raise CalibrationError(f"spline_basis: need at least one interval, got {n_intervals}")
    if not 1 <= df <= n_intervals:
        raise CalibrationError(
            f"arrival_df must be between 1 and the number of intervals ({n_intervals}), got {df}"
        )
    x = (np.arange(n_intervals) + 0.5) / n_intervals
    degree = min(3, df - 1)
    n_inner = df - degree - 1
    inner = np.linspace(0.0, 1.0, n_inner + 2)[1:-1]
    knots = np.concatenate([np.zeros(degree + 1), inner, np.ones(degree + 1)])
    return BSpline.design_matrix(x, knots, degree).toarray()


def _fit_log_linear(
    y: np.ndarray, exposure: float, basis: np.ndarray, max_iter: int = 100
) -> np.ndarray:
    """Poisson MLE of ``mu = exposure * exp(basis @ beta)`` for totals ``y``; returns mu/exposure.

    Newton steps with step halving; a tiny ridge towards the flat profile keeps an all-zero
    stretch of the day (whose MLE is a rate of exactly 0, beta -> -inf) finite, and moves the
    day total by about 1e-8 of itself.
    """
    total = float(y.sum())
    if total <= 0:
        return np.zeros(len(y))
    p = basis.shape[1]
    beta0 = np.full(p, np.log(total / (exposure * len(y))))
    beta = beta0.copy()
    ridge = 1e-9 * total

    def objective(b: np.ndarray) -> float:
        eta = basis @ b
        d = b - beta0
        return float((exposure * np.exp(eta) - y * eta).sum() + 0.5 * ridge * (d @ d))

    current = objective(beta)
    for _ in range(max_iter):
        mu = exposure * np.exp(basis @ beta)
        grad = basis.T @ (mu - y) + ridge * (beta - beta0)
        hess = (basis * mu[:, None]).T @ basis + ridge * np.eye(p)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            trial = beta - t * step
            value = objective(trial)
            if value <= current or t < 1e-8:
                break
            t *= 0.5
        converged = abs(current - value) <= 1e-10 * (1.0 + abs(current))
        beta, current = trial, value
        if converged:
            break
    return np.exp(basis @ beta)


def empirical_profile(counts: np.ndarray) -> np.ndarray:
    """Mean count per interval over the days: ``counts`` ``(days, intervals)`` -> ``(intervals,)``."""
    return np.asarray(counts, dtype=float).mean(axis=0)


def smooth_profile(counts: np.ndarray, df: int) -> np.ndarray:
    """Expected count per interval of one type, from ``counts`` ``(days, intervals)``.

    >>> rng = np.random.default_rng(0)
    >>> truth = 5 + 4 * np.sin(np.linspace(0, np.pi, 34))
    >>> fit = smooth_profile(rng.poisson(truth, size=(20, 34)), df=6)
    >>> bool(np.abs(fit / truth - 1).max() < 0.15)
    True
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] < 1:
        raise CalibrationError(f"smooth_profile: counts must be (days, intervals), got {c.shape}")
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise CalibrationError("smooth_profile: counts must be finite and non-negative")
    n = c.shape[1]
    if df >= n:
        return empirical_profile(c)
    return _fit_log_linear(c.sum(axis=0), float(c.shape[0]), spline_basis(n, df))


def smooth_profiles(counts: np.ndarray, df: int | list[int]) -> np.ndarray:
    """:func:`smooth_profile` per type: ``counts`` ``(days, types, intervals)``; ``df`` one or per type."""
    c = np.asarray(counts, dtype=float)
    dfs = [df] * c.shape[1] if isinstance(df, int | np.integer) else list(df)
    if len(dfs) != c.shape[1]:
        raise CalibrationError(f"smooth_profiles: {len(dfs)} df values for {c.shape[1]} types")
    return np.stack([smooth_profile(c[:, k, :], int(d)) for k, d in enumerate(dfs)])


def poisson_deviance(y: np.ndarray, mu: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """Unit Poisson deviance ``2 (y log(y/mu) - (y - mu))``, elementwise.

    ``mu`` is floored at ``floor`` calls: an empirical profile predicts exactly 0 where the
    fitting days had no call, and one test call there would make the deviance infinite.

    >>> poisson_deviance(np.array([3.0, 0.0]), np.array([3.0, 2.0])).tolist()
    [0.0, 4.0]
    """
    y = np.asarray(y, dtype=float)
    m = np.maximum(np.asarray(mu, dtype=float), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / m), 0.0)
    return 2.0 * (term - (y - m))


def _folds(n_days: int, folds: int | None) -> list[np.ndarray]:
    k = n_days if folds is None else min(int(folds), n_days)
    if k < 2:
        raise CalibrationError(f"cross-validation needs at least 2 days, got {n_days}")
    pos = np.arange(n_days)
    return [pos[pos % k == f] for f in range(k)]


def cv_deviance(counts: np.ndarray, df: int | str, folds: int | None = None) -> float:
    """Mean held-out Poisson deviance per cell of one type's ``counts`` ``(days, intervals)``.

    ``df`` is a spline's degrees of freedom, or ``"empirical"``.

    >>> rng = np.random.default_rng(1)
    >>> c = rng.poisson(3 + 2 * np.cos(np.linspace(0, 3, 30)), size=(12, 30))
    >>> bool(cv_deviance(c, 5) < cv_deviance(c, "empirical"))
    True
    """
    c = np.asarray(counts, dtype=float)
    total, cells = 0.0, 0
    for test in _folds(c.shape[0], folds):
        train = np.setdiff1d(np.arange(c.shape[0]), test)
        fit = (
            empirical_profile(c[train]) if df == "empirical" else smooth_profile(c[train], int(df))
        )
        total += float(poisson_deviance(c[test], fit[None, :]).sum())
        cells += c[test].size
    return total / cells


def candidate_dfs(n_intervals: int, max_df: int = DEFAULT_MAX_DF) -> list[int]:
    """The df tried by :func:`choose_df`: splines 1 .. min(intervals - 1, max_df), then
    ``n_intervals`` itself (the saturated model: the empirical profile), so that the choice
    never keeps a spline that predicts held-out days worse than the interval means.

    >>> candidate_dfs(10, max_df=4)
    [1, 2, 3, 4, 10]
    """
    return [*range(1, min(n_intervals - 1, max_df) + 1), n_intervals]


def choose_df(counts: np.ndarray, folds: int | None = None, max_df: int = DEFAULT_MAX_DF) -> int:
    """The df with the lowest held-out deviance for one type (ties: the smaller df).

    A result equal to the number of intervals means the empirical profile won.
    """
    c = np.asarray(counts, dtype=float)
    dfs = candidate_dfs(c.shape[1], max_df)
    if not dfs:
        raise CalibrationError(f"choose_df: {c.shape[1]} intervals leave no spline to try")
    scores = [cv_deviance(c, d, folds) for d in dfs]
    return dfs[int(np.argmin(scores))]
