"""The simulator reproduces Erlang C (M/M/n) and Erlang A (M/M/n+M) within confidence intervals.

Each case is one long stationary run under FIFO, cut into batches of ``batch_hours``; the 99%
batch-means interval of every KPI must cover the exact value from :mod:`rlroute.theory`. The
seeds are fixed, so the tests are deterministic; a failure means a biased simulator (or a
1-in-100 interval, which a second seed would tell apart: see ``benchmarks/erlang_table.py``).
"""

from __future__ import annotations

import pytest

from rlroute.sim.validation import (
    ERLANG_A_CASES,
    ERLANG_C_CASES,
    batch_means_ci,
    stationary_run,
)
from rlroute.theory import erlang_a_metrics, erlang_c_metrics

TARGET_S = 20.0


@pytest.mark.parametrize(
    "label,rate_h,aht,n,batch_h", ERLANG_C_CASES, ids=[c[0] for c in ERLANG_C_CASES]
)
def test_mmn_matches_erlang_c(
    label: str, rate_h: float, aht: float, n: int, batch_h: float
) -> None:
    exact = erlang_c_metrics(
        arrival_rate=rate_h / 3600.0, mean_handle_s=aht, n=n, target_s=TARGET_S
    )
    batches = stationary_run(rate_h, aht, n, batch_hours=batch_h, target_s=TARGET_S, seed=1)
    checks = {
        "p_wait": exact.p_wait,
        "asa": exact.asa_s,
        "service_level_offered": exact.service_level,
        "occupancy": exact.occupancy,
    }
    for kpi, value in checks.items():
        ci = batch_means_ci(batches, kpi, confidence=0.99)
        assert ci.covers(value), f"{label}: {kpi} exact {value:.5f} outside {ci}"


@pytest.mark.parametrize(
    "label,rate_h,aht,n,patience,batch_h", ERLANG_A_CASES, ids=[c[0] for c in ERLANG_A_CASES]
)
def test_mmn_plus_m_matches_erlang_a(
    label: str, rate_h: float, aht: float, n: int, patience: float, batch_h: float
) -> None:
    exact = erlang_a_metrics(
        arrival_rate=rate_h / 3600.0,
        mean_handle_s=aht,
        n=n,
        mean_patience_s=patience,
        target_s=TARGET_S,
    )
    batches = stationary_run(
        rate_h, aht, n, patience, batch_hours=batch_h, target_s=TARGET_S, seed=2
    )
    checks = {
        "p_wait": exact.p_wait,
        "abandon_rate": exact.p_abandon,
        "asa": exact.asa_served_s,
        "mean_wait": exact.asa_s,
        "service_level_offered": exact.service_level,
        "occupancy": exact.occupancy,
    }
    for kpi, value in checks.items():
        ci = batch_means_ci(batches, kpi, confidence=0.99)
        assert ci.covers(value), f"{label}: {kpi} exact {value:.5f} outside {ci}"


def test_intervals_are_tight_enough_to_catch_a_bias() -> None:
    """A validation that passes because its intervals are huge proves nothing: on the published
    case the 99% half-widths are under 10% of P(wait) and 2% of service level and occupancy,
    so a bias twice that size would be caught (ASA, a heavy-tailed mean, needs the long runs
    of the slow test)."""
    exact = erlang_c_metrics(arrival_rate=200 / 3600.0, mean_handle_s=180.0, n=14, target_s=20.0)
    batches = stationary_run(200.0, 180.0, 14, batch_hours=48.0, seed=1)
    for kpi, value, tolerance in [
        ("p_wait", exact.p_wait, 0.10),
        ("service_level_offered", exact.service_level, 0.02),
        ("occupancy", exact.occupancy, 0.02),
    ]:
        ci = batch_means_ci(batches, kpi)
        assert (ci.high - ci.low) / 2 < tolerance * value, f"{kpi}: {ci} too wide"


@pytest.mark.slow
@pytest.mark.parametrize(
    "label,rate_h,aht,n,batch_h", ERLANG_C_CASES, ids=[c[0] for c in ERLANG_C_CASES]
)
def test_long_runs_pin_erlang_c_asa_within_5_percent(
    label: str, rate_h: float, aht: float, n: int, batch_h: float
) -> None:
    """Ten times longer runs: the ASA interval covers the exact value and the point estimate is
    within 5% of it (heavy-traffic intervals stay wider: waits there are strongly correlated)."""
    exact = erlang_c_metrics(
        arrival_rate=rate_h / 3600.0, mean_handle_s=aht, n=n, target_s=TARGET_S
    )
    batches = stationary_run(rate_h, aht, n, batch_hours=10 * batch_h, batches=41, seed=3)
    ci = batch_means_ci(batches, "asa")
    assert ci.covers(exact.asa_s), f"{label}: {exact.asa_s:.4f} outside {ci}"
    assert abs(ci.mean - exact.asa_s) < 0.05 * exact.asa_s, f"{label}: {ci}"


def test_loss_system_with_after_call_work_matches_erlang_b_insensitivity() -> None:
    """M/G/n/n: callers who find no idle agent leave (balk at queue length 0). Erlang B is
    insensitive to the service distribution beyond its mean, and an agent is held for talk +
    wrap-up, so lognormal talk plus a constant wrap-up must block with
    ``B(n, lam * (E[talk] + wrap))`` and keep agents busy ``a * (1 - B) / n`` of the time."""
    import math

    from rlroute.scenario import Scenario
    from rlroute.sim import FIFORouter, Simulator
    from rlroute.theory import erlang_b

    rate_h, n, mu, sigma, wrap = 120.0, 10, 4.8, 0.8, 60.0
    data = Scenario.single_pool(rate_h, 180.0, n, hours=24.0).to_dict()
    data["n_intervals"] = 41
    data["call_types"][0].update(balk_queue_length=0, patience=None)
    data["agent_groups"][0]["head_count"] = n
    data["agent_groups"][0]["skills"]["call"] = {
        "handle_time": {"kind": "lognormal", "mu": mu, "sigma": sigma},
        "wrap_up": {"kind": "deterministic", "value_s": wrap},
    }
    bi = Simulator(Scenario.from_dict(data), seed=3).run(FIFORouter()).by_interval
    load = rate_h / 3600.0 * (math.exp(mu + sigma**2 / 2) + wrap)
    blocking = erlang_b(n, load)
    batches = bi.assign(blocked=bi["balked"] / bi["offered"])
    ci = batch_means_ci(batches, "blocked")
    assert ci.covers(blocking), (ci, blocking)
    occ = batch_means_ci(bi, "occupancy")
    assert occ.covers(load * (1 - blocking) / n), (occ, load * (1 - blocking) / n)
    # tight enough that a talk-only model (B = 0.031 against 0.103) is rejected
    assert ci.high - ci.low < 0.02
    assert not ci.covers(erlang_b(n, rate_h / 3600.0 * math.exp(mu + sigma**2 / 2)))
