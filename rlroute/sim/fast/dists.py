"""Quantile functions compiled with numba, equal bit for bit to :mod:`rlroute.distributions`.

The reference maps each call's pre-drawn quantile ``u`` through ``ppf`` of the skill that
serves it, at service start. The fast engine does the same in compiled code: the same
formulas in the same order of operations, the same libm functions, the standard library's
inverse normal CDF (Wichura's AS241, as ``statistics.NormalDist.inv_cdf``) ported line by
line, and SciPy's own ``gammaincinv`` called through its Cython C entry point (registered
with LLVM by name, so the compiled code stays cacheable). ``tests/sim/fast`` checks equality
on many quantiles for every kind.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import llvmlite.binding as llvm  # type: ignore[import-untyped]  # llvmlite ships no hints
import numpy as np
from numba import types
from numba.extending import get_cython_function_address

from rlroute.distributions import Deterministic, Empirical, Exponential, Gamma, LogNormal
from rlroute.sim.fast._jit import compiled
from rlroute.sim.fast.layout import D_DET, D_EMPIRICAL, D_EXP, D_GAMMA, D_LOGNORMAL, D_NONE

llvm.add_symbol(
    "rlroute_gammaincinv",
    get_cython_function_address("scipy.special.cython_special", "gammaincinv"),
)
# Called only from compiled code, where it is a float64(float64, float64) function.
_gammaincinv = cast(
    Callable[[float, float], float],
    types.ExternalFunction("rlroute_gammaincinv", types.float64(types.float64, types.float64)),
)


@compiled
def normal_inv_cdf(p: float) -> float:
    """``statistics.NormalDist().inv_cdf(p)`` (AS241), the same operations in the same order."""
    q = p - 0.5
    if math.fabs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (
            (
                (
                    (
                        (
                            (
                                (2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r
                                + 6.7265770927008700853e4
                            )
                            * r
                            + 4.5921953931549871457e4
                        )
                        * r
                        + 1.3731693765509461125e4
                    )
                    * r
                    + 1.9715909503065514427e3
                )
                * r
                + 1.3314166789178437745e2
            )
            * r
            + 3.3871328727963666080e0
        ) * q
        den = (
            (
                (
                    (
                        (
                            (5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r
                            + 3.9307895800092710610e4
                        )
                        * r
                        + 2.1213794301586595867e4
                    )
                    * r
                    + 5.3941960214247511077e3
                )
                * r
                + 6.8718700749205790830e2
            )
            * r
            + 4.2313330701600911252e1
        ) * r + 1.0
        x = num / den
        return 0.0 + (x * 1.0)
    r = p if q <= 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r = r - 1.6
        num = (
            (
                (
                    (
                        (
                            (7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                            + 2.41780725177450611770e-1
                        )
                        * r
                        + 1.27045825245236838258e0
                    )
                    * r
                    + 3.64784832476320460504e0
                )
                * r
                + 5.76949722146069140550e0
            )
            * r
            + 4.63033784615654529590e0
        ) * r + 1.42343711074968357734e0
        den = (
            (
                (
                    (
                        (
                            (1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                            + 1.51986665636164571966e-2
                        )
                        * r
                        + 1.48103976427480074590e-1
                    )
                    * r
                    + 6.89767334985100004550e-1
                )
                * r
                + 1.67638483018380384940e0
            )
            * r
            + 2.05319162663775882187e0
        ) * r + 1.0
    else:
        r = r - 5.0
        num = (
            (
                (
                    (
                        (
                            (2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                            + 1.24266094738807843860e-3
                        )
                        * r
                        + 2.65321895265761230930e-2
                    )
                    * r
                    + 2.96560571828504891230e-1
                )
                * r
                + 1.78482653991729133580e0
            )
            * r
            + 5.46378491116411436990e0
        ) * r + 6.65790464350110377720e0
        den = (
            (
                (
                    (
                        (
                            (2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                            + 1.84631831751005468180e-5
                        )
                        * r
                        + 7.86869131145613259100e-4
                    )
                    * r
                    + 1.48753612908506148525e-2
                )
                * r
                + 1.36929880922735805310e-1
            )
            * r
            + 5.99832206555887937690e-1
        ) * r + 1.0
    x = num / den
    if q < 0.0:
        x = -x
    return 0.0 + (x * 1.0)


@compiled
def ppf(kind: int, par: np.ndarray, u: float, emp_vals: np.ndarray, emp_cum: np.ndarray) -> float:
    """The quantile function of a distribution encoded by :func:`encode` (``par`` its row)."""
    if kind == D_EXP:
        return -par[0] * math.log1p(-u)
    if kind == D_LOGNORMAL:
        p = par[2]
        if p > 0.0:
            if u < p:
                return -par[3] * math.log1p(-u / p)
            u = (u - p) / (1.0 - p)
        u = min(max(u, 1e-15), 1 - 1e-15)
        return math.exp(par[0] + par[1] * normal_inv_cdf(u))
    if kind == D_GAMMA:
        return par[1] * _gammaincinv(par[0], u)
    if kind == D_EMPIRICAL:
        off, n = int(par[0]), int(par[1])
        lo, hi = 0, n  # bisect.bisect_right(cum, u)
        while lo < hi:
            mid = (lo + hi) // 2
            if u < emp_cum[off + mid]:
                hi = mid
            else:
                lo = mid + 1
        return emp_vals[off + min(lo, n - 1)]
    return par[0]  # D_DET


def encode(dist: object, emp_vals: list[float], emp_cum: list[float]) -> tuple[int, list[float]]:
    """``(kind, parameters)`` of a distribution for :func:`ppf`; empirical tables are appended
    to ``emp_vals`` / ``emp_cum`` (their offset and length go in the parameters)."""
    if dist is None:
        return D_NONE, [0.0] * 4
    if type(dist) is Exponential:
        return D_EXP, [dist.mean_s, 0.0, 0.0, 0.0]
    if type(dist) is LogNormal:
        return D_LOGNORMAL, [dist.mu, dist.sigma, dist.short_prob, dist.short_mean_s]
    if type(dist) is Gamma:
        return D_GAMMA, [dist.shape, dist.scale, 0.0, 0.0]
    if type(dist) is Empirical:
        vals, cum = dist._table()
        off = len(emp_vals)
        emp_vals.extend(vals)
        emp_cum.extend(cum)
        return D_EMPIRICAL, [float(off), float(len(vals)), 0.0, 0.0]
    if type(dist) is Deterministic:
        return D_DET, [dist.value_s, 0.0, 0.0, 0.0]
    raise TypeError(f"the fast engine has no compiled ppf for {type(dist).__name__}")


__all__ = ["encode", "normal_inv_cdf", "ppf"]
