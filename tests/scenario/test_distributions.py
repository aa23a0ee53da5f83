"""Distributions: vectorised sampling and the per-call inverse CDF agree with the model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rlroute.distributions import Deterministic, Empirical, Exponential, Gamma, LogNormal

DISTS = [
    Exponential(mean_s=180.0),
    LogNormal(mu=5.0, sigma=0.8),
    LogNormal(mu=5.0, sigma=0.8, short_prob=0.2, short_mean_s=4.0),
    LogNormal.from_mean_cv(240.0, 1.2),
    Gamma(shape=2.5, scale=60.0),
    Empirical(values=[10.0, 20.0, 30.0, 400.0], weights=[1, 2, 3, 4]),
]


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.kind)
def test_sample_mean_matches_the_model(dist) -> None:
    rng = np.random.default_rng(0)
    x = dist.sample(rng, 200_000)
    assert x.mean() == pytest.approx(dist.mean, rel=0.02)
    assert (x >= 0).all()


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.kind)
def test_ppf_and_sample_draw_the_same_law(dist) -> None:
    rng = np.random.default_rng(1)
    u = rng.random(3000)
    via_ppf = np.array([dist.ppf(v) for v in u])
    via_sample = dist.sample(np.random.default_rng(2), 3000)
    assert stats.ks_2samp(via_ppf, via_sample).pvalue > 0.001


@pytest.mark.parametrize("dist", [d for d in DISTS if d.kind != "empirical"], ids=lambda d: d.kind)
def test_cdf_inverts_ppf(dist) -> None:
    for u in (0.05, 0.3, 0.5, 0.9, 0.99):
        assert float(dist.cdf(dist.ppf(u))) == pytest.approx(u, abs=1e-6)


def test_lognormal_from_mean_cv() -> None:
    d = LogNormal.from_mean_cv(300.0, 1.0)
    assert d.mean == pytest.approx(300.0)
    x = d.sample(np.random.default_rng(3), 400_000)
    assert x.std() / x.mean() == pytest.approx(1.0, rel=0.05)


def test_deterministic_consumes_its_stream() -> None:
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    Deterministic(value_s=3.0).sample(rng_a, 10)
    rng_b.random(10)
    assert rng_a.random() == rng_b.random()


def test_empirical_validation() -> None:
    with pytest.raises(ValueError, match="weights has 1 entries but values has 2"):
        Empirical(values=[1.0, 2.0], weights=[1.0])
    with pytest.raises(ValueError, match="non-negative"):
        Empirical(values=[-1.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: LogNormal(mu=5.0, sigma=1e9),
        lambda: LogNormal(mu=1e308, sigma=0.5),
        lambda: LogNormal(mu=700.0, sigma=0.5),  # a finite mean on paper, draws overflow
        lambda: LogNormal(mu=5.0, sigma=float("nan")),
        lambda: LogNormal(mu=5.0, sigma=0.5, short_prob=0.1, short_mean_s=1e300),
        lambda: Exponential(mean_s=float("inf")),
        lambda: Exponential(mean_s=1e300),
        lambda: Gamma(shape=1e300, scale=1e300),
        lambda: Gamma(shape=1e-3, scale=1e16),  # mean 1e13 s
        lambda: Empirical(values=[1.0, 1e300]),
        lambda: Empirical(values=[1.0, 2.0], weights=[1e308, 1e308]),
        lambda: Empirical(values=[1.0, 2.0], weights=[1.0, float("inf")]),
        lambda: Deterministic(value_s=1e10),
    ],
)
def test_parameters_without_a_sane_finite_mean_are_refused(make) -> None:
    """Refused when read, not with an OverflowError (or inf talk times) mid-run."""
    with pytest.raises(ValueError, match=r"finite|above"):
        make()


def test_realistic_heavy_tails_are_accepted() -> None:
    assert LogNormal(mu=8.0, sigma=2.5).mean < 1e9
    assert Gamma(shape=0.05, scale=2000.0).mean == pytest.approx(100.0)
