"""Probability distributions for handle times, patience and repeat-call delays.

Every distribution is a small, frozen, serialisable object (a pydantic model tagged by
``kind``) with two ways to draw:

* ``sample(rng, size)``: vectorised draws from a ``numpy.random.Generator``;
* ``ppf(u)``: the inverse CDF of a single uniform ``u``.

The simulator draws one uniform per call for its handle time *when the call arrives* and maps
it through ``ppf`` of whichever (type, group) pair serves it. That keeps common random numbers
intact across routers: a call that is long for one routing policy is long for every policy,
whichever group ends up serving it. Values are in seconds throughout.

Every parameter must be finite, and every distribution must keep its numbers representable:
a mean of at most :data:`MAX_MEAN_S` and no draw above :data:`MAX_DRAW_S` (checked at
validation, in log space where a parameter could overflow), so a typo such as a lognormal
``sigma: 1e9`` is refused when the scenario is read instead of overflowing mid-run.
"""

from __future__ import annotations

import bisect
import math
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from scipy import special, stats

_STD_NORMAL = NormalDist()

#: The largest mean accepted, in seconds (about 32 years: no call-center duration is longer).
MAX_MEAN_S = 1e9
#: The largest value a distribution may draw, in seconds. Times stay far from overflow (and
#: keep sub-second resolution) when clocks, horizons and durations are all below it.
MAX_DRAW_S = 1e15
# The largest quantiles the samplers can reach: rng.random() < 1 - 2**-53, and LogNormal clips
# its uniform to 1 - 1e-15.
_U_MAX = 1.0 - 2.0**-53
_EXP_MAX = -math.log1p(-_U_MAX)  # the largest draw of a unit-mean exponential (about 36.7)
_Z_MAX = float(special.ndtri(1 - 1e-15))  # about 7.94
_LOG_MAX_FLOAT = math.log(1e300)


def _exp_or_inf(x: float) -> float:
    """exp(x), or inf instead of an OverflowError."""
    return math.exp(x) if x < _LOG_MAX_FLOAT else math.inf


def _require_representable(dist: _Dist, mean: float, largest: float) -> None:
    """Refuse a distribution whose mean or largest draw is not finite or not sane."""
    kind = getattr(dist, "kind", "distribution")
    if not (math.isfinite(mean) and mean <= MAX_MEAN_S):
        raise ValueError(
            f"{kind} mean {mean:.6g} s is not finite or above {MAX_MEAN_S:g} s; "
            "check the parameters (seconds; lognormal mu and sigma are in log-seconds)"
        )
    if not (math.isfinite(largest) and largest <= MAX_DRAW_S):
        raise ValueError(
            f"{kind} draws up to {largest:.6g} s, above {MAX_DRAW_S:g} s; "
            "check the parameters (a lognormal sigma above about 3 is rarely meant)"
        )


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Vectorised draws. Defaults to inverse-CDF sampling so ``sample`` and ``ppf`` agree."""
        return np.array([self.ppf(u) for u in rng.random(size)], dtype=float)

    def ppf(self, u: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def cdf(self, x: np.ndarray | float) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean (seconds)."""

    kind: Literal["exponential"] = "exponential"
    mean_s: float = Field(gt=0, description="mean in seconds")

    @property
    def mean(self) -> float:
        return self.mean_s

    @model_validator(mode="after")
    def _representable(self) -> Exponential:
        _require_representable(self, self.mean_s, self.mean_s * _EXP_MAX)
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return -self.mean_s * np.log1p(-rng.random(size))

    def ppf(self, u: float) -> float:
        return -self.mean_s * math.log1p(-u)

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        return 1.0 - np.exp(-np.maximum(np.asarray(x, dtype=float), 0.0) / self.mean_s)


class LogNormal(_Dist):
    """Lognormal ``exp(mu + sigma Z)``, optionally mixed with a spike of short calls.

    Call-center handle times are famously close to lognormal (Brown et al. 2005), but real logs
    also hold a spike of very short calls (hang-ups on pick-up, transfers). With
    ``short_prob > 0`` a fraction ``short_prob`` of calls is instead exponential with mean
    ``short_mean_s``.
    """

    kind: Literal["lognormal"] = "lognormal"
    mu: float = Field(description="mean of log(seconds)")
    sigma: float = Field(gt=0, description="standard deviation of log(seconds)")
    short_prob: float = Field(default=0.0, ge=0, lt=1)
    short_mean_s: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _representable(self) -> LogNormal:
        # In log space: exp(mu + sigma^2 / 2) overflows long before a check could see it.
        p = self.short_prob
        body_mean = _exp_or_inf(self.mu + 0.5 * self.sigma * self.sigma)
        mean = p * self.short_mean_s + (1 - p) * body_mean if body_mean < math.inf else math.inf
        largest = _exp_or_inf(self.mu + self.sigma * _Z_MAX)
        if p > 0:
            largest = max(largest, self.short_mean_s * _EXP_MAX)
        _require_representable(self, mean, largest)
        return self

    @classmethod
    def from_mean_cv(cls, mean_s: float, cv: float) -> LogNormal:
        """The lognormal with the given mean (seconds) and coefficient of variation."""
        sigma2 = math.log1p(cv * cv)
        return cls(mu=math.log(mean_s) - sigma2 / 2, sigma=math.sqrt(sigma2))

    @property
    def mean(self) -> float:
        long_mean = math.exp(self.mu + self.sigma**2 / 2)
        return self.short_prob * self.short_mean_s + (1 - self.short_prob) * long_mean

    def ppf(self, u: float) -> float:
        p = self.short_prob
        if p > 0.0:
            # Split the unit interval: [0, p) -> short calls, [p, 1) -> lognormal body.
            if u < p:
                return -self.short_mean_s * math.log1p(-u / p)
            u = (u - p) / (1.0 - p)
        u = min(max(u, 1e-15), 1 - 1e-15)
        return math.exp(self.mu + self.sigma * _STD_NORMAL.inv_cdf(u))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        u = rng.random(size)
        p = self.short_prob
        if p == 0.0:
            return np.exp(self.mu + self.sigma * special.ndtri(np.clip(u, 1e-15, 1 - 1e-15)))
        short = u < p
        out = np.empty(size)
        out[short] = -self.short_mean_s * np.log1p(-u[short] / p)
        body = np.clip((u[~short] - p) / (1 - p), 1e-15, 1 - 1e-15)
        out[~short] = np.exp(self.mu + self.sigma * special.ndtri(body))
        return out

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        x = np.maximum(np.asarray(x, dtype=float), 1e-300)
        body = stats.norm.cdf((np.log(x) - self.mu) / self.sigma)
        short = 1.0 - np.exp(-x / self.short_mean_s)
        return self.short_prob * short + (1 - self.short_prob) * body


class Gamma(_Dist):
    """Gamma with ``shape`` and ``scale`` (seconds); mean ``shape * scale``."""

    kind: Literal["gamma"] = "gamma"
    shape: float = Field(gt=0)
    scale: float = Field(gt=0, description="scale in seconds")

    @model_validator(mode="after")
    def _representable(self) -> Gamma:
        largest = self.scale * float(special.gammaincinv(self.shape, _U_MAX))
        _require_representable(self, self.shape * self.scale, largest)
        return self

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * special.gammaincinv(self.shape, rng.random(size))

    def ppf(self, u: float) -> float:
        return float(self.scale * special.gammaincinv(self.shape, u))

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        return special.gammainc(self.shape, np.maximum(np.asarray(x, dtype=float), 0) / self.scale)


class Empirical(_Dist):
    """Resamples observed values (seconds), optionally weighted; inverse CDF is a step function."""

    kind: Literal["empirical"] = "empirical"
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None
    _sorted: list[float] = PrivateAttr(default_factory=list)
    _cum: list[float] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if any(v < 0 or not math.isfinite(v) for v in self.values):
            raise ValueError("empirical values must be finite and non-negative")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights has {len(self.weights)} entries but values has {len(self.values)}"
                )
            total = sum(self.weights)
            if any(w < 0 for w in self.weights) or not 0 < total < math.inf:
                raise ValueError("weights must be non-negative with a positive, finite sum")
        _require_representable(self, self.mean, max(self.values))
        # The sorted table behind ppf/sample, built once (the model is frozen).
        order = np.argsort(self.values, kind="stable")
        vals = np.asarray(self.values, dtype=float)[order]
        w = np.ones(len(vals)) if self.weights is None else np.asarray(self.weights)[order]
        self._sorted = vals.tolist()
        self._cum = (np.cumsum(w) / w.sum()).tolist()
        return self

    def _table(self) -> tuple[list[float], list[float]]:
        return self._sorted, self._cum

    @property
    def mean(self) -> float:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return float(np.average(self.values, weights=w))

    def ppf(self, u: float) -> float:
        vals, cum = self._table()
        return vals[min(bisect.bisect_right(cum, u), len(vals) - 1)]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        vals, cum = self._table()
        idx = np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(vals) - 1)
        return np.asarray(vals)[idx]

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        vals, cum = self._table()
        idx = np.searchsorted(vals, np.asarray(x, dtype=float), side="right")
        return np.where(idx > 0, np.asarray([0.0, *cum])[idx], 0.0)


class Deterministic(_Dist):
    """A constant (seconds); handy for tests and for M/D/n checks."""

    kind: Literal["deterministic"] = "deterministic"
    value_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _representable(self) -> Deterministic:
        _require_representable(self, self.value_s, self.value_s)
        return self

    @property
    def mean(self) -> float:
        return self.value_s

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        rng.random(size)  # consume the stream so CRN alignment does not depend on the kind
        return np.full(size, self.value_s)

    def ppf(self, u: float) -> float:
        return self.value_s

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        return (np.asarray(x, dtype=float) >= self.value_s).astype(float)


Distribution = Annotated[
    Exponential | LogNormal | Gamma | Empirical | Deterministic,
    Field(discriminator="kind"),
]
"""Any distribution, tagged by ``kind`` in YAML (``kind: lognormal``, ``mu: 5.1``, ...)."""

__all__ = [
    "MAX_DRAW_S",
    "MAX_MEAN_S",
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
]
