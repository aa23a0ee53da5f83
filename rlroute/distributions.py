"""Probability distributions for handle times, patience and repeat-call delays.

Every distribution is a small, frozen, serialisable object (a pydantic model tagged by
``kind``) with two ways to draw:

* ``sample(rng, size)``: vectorised draws from a ``numpy.random.Generator``;
* ``ppf(u)``: the inverse CDF of a single uniform ``u``.

The simulator draws one uniform per call for its handle time *when the call arrives* and maps
it through ``ppf`` of whichever (type, group) pair serves it. That keeps common random numbers
intact across routers: a call that is long for one routing policy is long for every policy,
whichever group ends up serving it. Values are in seconds throughout.
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


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative with a positive sum")
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
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
]
