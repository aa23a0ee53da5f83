"""Handle-time distributions: lognormal MLE, with a short-call mixture when the data has one.

Method.

* **Lognormal.** Handle times of call centers are close to lognormal (Brown et al. 2005). The
  MLE is ``mu = mean(log x)``, ``sigma = std(log x)`` (``ddof=0``) over the positive handle
  times (``handle_s`` NaN, e.g. the Technion rows with ``ser_time`` 0, are left out).
* **Short-call mixture.** Real logs add a spike of very short calls (hang-ups on pick-up,
  transfers, a wrong menu choice) that a lognormal body cannot fit. The alternative model is
  the mixture the Scenario knows (:class:`~rlroute.distributions.LogNormal` with
  ``short_prob``): with probability ``p`` an exponential with mean ``s``, else the lognormal.
  It is fitted by EM (Dempster, Laird and Rubin 1977), started from the rule "calls shorter
  than ``short_threshold_s`` are short"; the E step gives each call its posterior probability
  of being short, the M step is the weighted MLE of each component (``s`` = weighted mean,
  ``mu``/``sigma`` = weighted mean/std of the logs).
* **Model choice.** The mixture is kept only if it improves the BIC by more than 10 (three
  extra parameters: "very strong" evidence on Kass and Raftery's scale), its short weight is
  at least 0.5%, and its short mean is below the lognormal body's median; otherwise the plain
  lognormal is used. A data set drawn from a pure lognormal therefore gets a pure lognormal.
* **Goodness of fit.** The Kolmogorov-Smirnov statistic ``sup |F_n - F|`` of the chosen model,
  and QQ points (:func:`qq_points`) for the report's figure. Handle times recorded in whole
  seconds make ``F_n`` a step function on integers, which adds up to about
  ``f(x)`` (the density at a typical short value) to the KS statistic; read it as a distance,
  not as a test against its usual critical values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rlroute.calibrate.common import CalibrationError
from rlroute.distributions import LogNormal

__all__ = [
    "HandleFit",
    "fit_handle_time",
    "fit_lognormal",
    "fit_short_mixture",
    "ks_statistic",
    "qq_points",
]

_MIN_SIGMA = 0.05  # keeps a degenerate (all equal) sample from a zero-width lognormal
_BIC_MARGIN = 10.0


def _clean(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if (x < 0).any():
        raise CalibrationError(f"{name}: negative handle times")
    x = x[x > 0]
    if x.size < 2:
        raise CalibrationError(f"{name}: need at least 2 positive handle times, got {x.size}")
    return x


def fit_lognormal(x: np.ndarray, name: str = "handle times") -> LogNormal:
    """Lognormal MLE: ``mu`` and ``sigma`` of ``log x`` over the positive values."""
    logs = np.log(_clean(x, name))
    return LogNormal(mu=float(logs.mean()), sigma=max(float(logs.std()), _MIN_SIGMA))


def _lognormal_logpdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    z = (np.log(x) - mu) / sigma
    return -0.5 * z * z - np.log(x * sigma * math.sqrt(2 * math.pi))


def _loglik(x: np.ndarray, dist: LogNormal) -> float:
    body = _lognormal_logpdf(x, dist.mu, dist.sigma)
    p = dist.short_prob
    if p == 0:
        return float(body.sum())
    short = -x / dist.short_mean_s - math.log(dist.short_mean_s)
    return float(np.logaddexp(math.log(p) + short, math.log1p(-p) + body).sum())


def fit_short_mixture(
    x: np.ndarray,
    short_threshold_s: float = 10.0,
    max_iter: int = 500,
    tol: float = 1e-8,
    name: str = "handle times",
) -> LogNormal | None:
    """EM fit of ``p * Exp(s) + (1 - p) * LogNormal(mu, sigma)``; ``None`` if no short spike.

    Started from the threshold rule (calls under ``short_threshold_s`` are short); returns
    ``None`` when fewer than 5 calls are that short (nothing to model).
    """
    x = _clean(x, name)
    short = x < short_threshold_s
    if short.sum() < 5 or (~short).sum() < 5:
        return None
    logs = np.log(x)
    p = float(short.mean())
    s = float(x[short].mean())
    mu, sigma = float(logs[~short].mean()), max(float(logs[~short].std()), _MIN_SIGMA)
    prev = -np.inf
    for _ in range(max_iter):
        a = math.log(p) - x / s - math.log(s)
        b = math.log1p(-p) + _lognormal_logpdf(x, mu, sigma)
        total = np.logaddexp(a, b)
        ll = float(total.sum())
        r = np.exp(a - total)  # posterior probability of being a short call
        w = 1.0 - r
        p = float(np.clip(r.mean(), 1e-6, 1 - 1e-6))
        s = max(float((r * x).sum() / max(r.sum(), 1e-12)), 1e-3)
        mu = float((w * logs).sum() / w.sum())
        sigma = max(math.sqrt(float((w * (logs - mu) ** 2).sum() / w.sum())), _MIN_SIGMA)
        if ll - prev < tol * abs(ll):
            break
        prev = ll
    return LogNormal(mu=mu, sigma=sigma, short_prob=min(p, 0.999), short_mean_s=s)


def ks_statistic(x: np.ndarray, dist: LogNormal) -> float:
    """Kolmogorov-Smirnov distance between the sample and the fitted CDF."""
    x = np.sort(np.asarray(x, dtype=float))
    return float(stats.kstest(x, lambda v: dist.cdf(v)).statistic)


def qq_points(x: np.ndarray, dist: LogNormal, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(fitted quantiles, sample quantiles) at ``n`` evenly spaced probabilities."""
    x = np.asarray(x, dtype=float)
    u = (np.arange(n) + 0.5) / n
    return np.array([dist.ppf(float(q)) for q in u]), np.quantile(x, u)


@dataclass
class HandleFit:
    """A fitted handle-time model and how well it fits.

    ``mixture`` says whether the short-call mixture was kept; ``bic_gain`` is the lognormal's
    BIC minus the mixture's (positive favours the mixture; NaN when no mixture was tried).
    """

    dist: LogNormal
    n: int
    mean_s: float
    ks: float
    mixture: bool
    bic_gain: float
    sample: np.ndarray

    def row(self) -> dict[str, float | int | bool]:
        d = self.dist
        return {
            "n": self.n,
            "data_mean_s": self.mean_s,
            "fit_mean_s": d.mean,
            "mu": d.mu,
            "sigma": d.sigma,
            "short_prob": d.short_prob,
            "short_mean_s": d.short_mean_s if d.short_prob > 0 else float("nan"),
            "ks": self.ks,
            "mixture": self.mixture,
        }


def fit_handle_time(
    x: np.ndarray,
    short_calls: str = "em",
    short_threshold_s: float = 10.0,
    name: str = "handle times",
) -> HandleFit:
    """Fit one sample of handle times (seconds).

    Args:
        short_calls: ``"em"`` (fit the mixture by EM and keep it if the BIC rule says so),
            ``"threshold"`` (short = under ``short_threshold_s``: ``p`` and ``s`` are the share
            and mean of those, the lognormal is fitted to the rest; kept if at least 0.5% are
            short), or ``"none"`` (plain lognormal).
        short_threshold_s: the threshold of the rule, and EM's starting point.
    """
    if short_calls not in ("em", "threshold", "none"):
        raise CalibrationError(
            f"short_calls must be 'em', 'threshold' or 'none', got {short_calls!r}"
        )
    x = _clean(x, name)
    plain = fit_lognormal(x, name)
    dist, mixture, gain = plain, False, float("nan")
    if short_calls == "em":
        mix = fit_short_mixture(x, short_threshold_s, name=name)
        if mix is not None:
            n = x.size
            gain = (-2 * _loglik(x, plain) + 2 * math.log(n)) - (
                -2 * _loglik(x, mix) + 5 * math.log(n)
            )
            if (
                gain > _BIC_MARGIN
                and mix.short_prob >= 0.005
                and mix.short_mean_s < math.exp(mix.mu)
            ):
                dist, mixture = mix, True
    elif short_calls == "threshold":
        short = x < short_threshold_s
        if short.mean() >= 0.005 and (~short).sum() >= 2:
            body = fit_lognormal(x[~short], name)
            dist = LogNormal(
                mu=body.mu,
                sigma=body.sigma,
                short_prob=float(short.mean()),
                short_mean_s=float(x[short].mean()),
            )
            mixture = True
    return HandleFit(
        dist=dist,
        n=int(x.size),
        mean_s=float(x.mean()),
        ks=ks_statistic(x, dist),
        mixture=mixture,
        bic_gain=gain,
        sample=x,
    )
