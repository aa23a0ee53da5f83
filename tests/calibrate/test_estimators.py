"""Each estimator on hand-made data: formulas, known answers, and clear errors on bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from calib_helpers import canonical

from rlroute.calibrate import (
    CalibrationError,
    DayGrid,
    agent_type_shares,
    cluster_agents,
    exponential_mle,
    fit_arrivals,
    fit_handle_time,
    fit_lognormal,
    fit_patience,
    fit_resolution,
    gamma_shape_mom,
    infer_staffing,
    kaplan_meier,
)
from rlroute.calibrate.handle import fit_short_mixture
from rlroute.calibrate.patience import km_distribution
from rlroute.calibrate.staffing import agent_shifts, round_keeping_sum
from rlroute.distributions import LogNormal

# ---------------------------------------------------------------- arrivals


def test_gamma_shape_method_of_moments() -> None:
    assert gamma_shape_mom(np.array([50.0, 150.0])) == pytest.approx(100**2 / (5000 - 100))
    assert gamma_shape_mom(np.array([100.0, 100.0, 100.0])) is None  # no overdispersion
    assert gamma_shape_mom(np.array([7.0])) is None  # one day says nothing


def test_gamma_shape_recovers_a_known_multiplier() -> None:
    rng = np.random.default_rng(0)
    shape, mean = 20.0, 500.0
    totals = rng.poisson(mean * rng.gamma(shape, 1 / shape, size=4000))
    assert gamma_shape_mom(totals) == pytest.approx(shape, rel=0.1)


def test_fit_arrivals_counts_queue_arrivals_per_interval() -> None:
    grid = DayGrid.from_hours(30, 8, 10)  # 4 intervals
    rows = [
        {"day": 0, "clock_s": 8 * 3600 + 10},  # interval 0
        {"day": 0, "clock_s": 8 * 3600 + 20, "outcome": "abandoned", "wait_s": 5},
        {"day": 1, "clock_s": 9 * 3600 + 100, "call_type": "B"},  # interval 2
        {"day": 1, "clock_s": 9 * 3600 + 200, "outcome": "vru_abandoned"},  # not a queue call
        {"day": 1, "clock_s": 12 * 3600},  # outside the window
    ]
    fit = fit_arrivals(canonical(rows), grid)
    assert fit.types == ["A", "B"]
    assert len(fit.days) == 2
    # A: 2 calls in interval 0 over 2 days -> 1 per day per half hour = 2 per hour
    assert fit.rates_per_hour[0].tolist() == [2.0, 0.0, 0.0, 0.0]
    assert fit.rates_per_hour[1].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert fit.outside_window == 1


def test_day_grid_rejects_bad_windows() -> None:
    with pytest.raises(CalibrationError, match="whole number"):
        DayGrid.from_hours(45, 8, 9)
    with pytest.raises(CalibrationError, match="empty"):
        DayGrid.from_hours(30, 10, 9)
    with pytest.raises(CalibrationError, match="positive"):
        DayGrid.from_hours(0, 8, 9)


# ---------------------------------------------------------------- handle times


def test_lognormal_mle_is_mean_and_std_of_logs() -> None:
    x = np.array([10.0, 100.0, 1000.0])
    d = fit_lognormal(x)
    assert d.mu == pytest.approx(np.log(100.0))
    assert d.sigma == pytest.approx(np.log(x).std())


def test_em_recovers_a_short_call_mixture() -> None:
    truth = LogNormal(mu=5.0, sigma=0.7, short_prob=0.1, short_mean_s=4.0)
    x = truth.sample(np.random.default_rng(1), 20_000)
    fit = fit_handle_time(x, short_calls="em")
    assert fit.mixture
    assert fit.dist.short_prob == pytest.approx(0.1, abs=0.01)
    assert fit.dist.short_mean_s == pytest.approx(4.0, rel=0.1)
    assert fit.dist.mu == pytest.approx(5.0, abs=0.03)
    assert fit.dist.sigma == pytest.approx(0.7, rel=0.03)
    assert fit.ks < 0.02


def test_pure_lognormal_gets_no_mixture() -> None:
    x = LogNormal(mu=4.5, sigma=0.8).sample(np.random.default_rng(2), 20_000)
    fit = fit_handle_time(x, short_calls="em")
    assert not fit.mixture
    assert fit.dist.short_prob == 0.0
    assert fit.ks < 0.02


def test_threshold_rule_splits_at_the_threshold() -> None:
    x = np.array([1.0, 2.0, 3.0] + [100.0, 200.0, 300.0, 400.0] * 10)
    fit = fit_handle_time(x, short_calls="threshold", short_threshold_s=10.0)
    assert fit.dist.short_prob == pytest.approx(3 / 43)
    assert fit.dist.short_mean_s == pytest.approx(2.0)
    assert fit_short_mixture(np.array([100.0] * 50)) is None  # nothing short to model


def test_handle_time_errors() -> None:
    with pytest.raises(CalibrationError, match="negative"):
        fit_lognormal(np.array([10.0, -1.0]))
    with pytest.raises(CalibrationError, match="at least 2"):
        fit_lognormal(np.array([np.nan, 0.0, 5.0]))
    with pytest.raises(CalibrationError, match="short_calls"):
        fit_handle_time(np.array([1.0, 2.0]), short_calls="magic")


# ---------------------------------------------------------------- patience


def test_exponential_mle_formula() -> None:
    waits = np.array([10.0, 30.0, 20.0, 40.0])
    abandoned = np.array([True, False, True, False])
    assert exponential_mle(waits, abandoned) == 100.0 / 2
    assert exponential_mle(waits, np.zeros(4, bool)) == math.inf


def test_kaplan_meier_by_hand() -> None:
    # times 1, 2, 2(censored), 3, 4(censored), 5
    t = np.array([1.0, 2, 2, 3, 4, 5])
    e = np.array([True, True, False, True, False, True])
    km = kaplan_meier(t, e)
    assert km.times.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert km.at_risk.tolist() == [6, 5, 3, 1]
    s1 = 5 / 6
    s2 = s1 * 4 / 5
    s3 = s2 * 2 / 3
    assert km.survival.tolist() == pytest.approx([s1, s2, s3, 0.0])
    assert km(np.array([0.5, 1.0, 2.5, 4.0])).tolist() == pytest.approx([1.0, s1, s2, s3])
    # Greenwood at t=1: S^2 * d / (n (n - d)) = s1^2 / 30
    assert km.variance[0] == pytest.approx(s1**2 / 30)


def test_kaplan_meier_without_censoring_is_one_minus_ecdf() -> None:
    x = np.random.default_rng(3).exponential(100.0, 500)
    km = kaplan_meier(x, np.ones(500, bool))
    grid = np.quantile(x, [0.1, 0.5, 0.9])
    assert km(grid) == pytest.approx(1 - (x[:, None] <= grid).mean(axis=0))


def test_kaplan_meier_matches_exponential_under_censoring() -> None:
    rng = np.random.default_rng(4)
    patience = rng.exponential(200.0, 20_000)
    censor = rng.exponential(100.0, 20_000)  # service comes first for most callers
    waits = np.minimum(patience, censor)
    abandoned = patience <= censor
    km = kaplan_meier(waits, abandoned)
    grid = np.array([50.0, 100.0, 200.0])
    assert km(grid) == pytest.approx(np.exp(-grid / 200.0), abs=0.02)
    fit = fit_patience(waits, abandoned)
    assert fit.choice == "exponential"
    assert fit.exp_mean_s == pytest.approx(200.0, rel=0.05)


def test_non_exponential_patience_gets_the_km_distribution() -> None:
    rng = np.random.default_rng(5)
    patience = rng.lognormal(4.0, 1.2, 20_000)  # far from exponential
    censor = rng.exponential(150.0, 20_000)
    waits = np.minimum(patience, censor)
    fit = fit_patience(waits, patience <= censor)
    assert fit.choice == "empirical"
    assert len(fit.dist.values) == 100
    # the Scenario's distribution follows the KM curve where it is supported
    t = np.array([20.0, 50.0, 100.0])
    assert 1 - fit.dist.cdf(t) == pytest.approx(fit.km(t), abs=0.02)


def test_km_distribution_tail_is_exponential() -> None:
    km = kaplan_meier(np.array([10.0, 20.0, 30.0, 40.0]), np.array([True, False, False, False]))
    d = km_distribution(km, tail_mean_s=100.0, t_max=10.0, n_points=4)
    # S(10) = 0.75: the first quantile (u = 1/8) is the event at 10, the rest lie in the tail
    assert d.values[0] == 10.0
    assert d.values[1] == pytest.approx(10.0 - 100.0 * math.log((1 - 3 / 8) / 0.75), abs=1e-3)


def test_patience_errors() -> None:
    with pytest.raises(CalibrationError, match="negative"):
        exponential_mle(np.array([-1.0]), np.array([True]))
    with pytest.raises(CalibrationError, match="NaN"):
        kaplan_meier(np.array([np.nan]), np.array([True]))
    with pytest.raises(CalibrationError, match="flags"):
        kaplan_meier(np.array([1.0, 2.0]), np.array([True]))
    with pytest.raises(CalibrationError, match="no queued call"):
        exponential_mle(np.array([]), np.array([], bool))
    with pytest.raises(CalibrationError, match="patience model"):
        fit_patience(np.array([1.0]), np.array([True]), model="weibull")
    nobody = fit_patience(np.array([1.0, 2.0]), np.array([False, False]))
    assert nobody.dist is None and nobody.choice == "none"


# ---------------------------------------------------------------- groups


def _counts(rows: dict[str, dict[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows).T.fillna(0).astype(float)


def test_two_clear_clusters_are_found() -> None:
    rng = np.random.default_rng(6)
    rows = {}
    for i in range(8):
        rows[f"gen{i}"] = {"PS": 300 + int(rng.integers(50)), "NW": 100, "NE": 10}
    for i in range(3):
        rows[f"stock{i}"] = {"PS": 40, "NE": 400 + int(rng.integers(50))}
    rows["newbie"] = {"NE": 20, "PS": 2}  # few calls: joins the nearest group
    groups = cluster_agents(_counts(rows))
    assert len(groups.names) == 2
    assert "silhouette" in groups.k_rule
    stock = groups.assignment["stock0"]
    assert {groups.assignment[f"stock{i}"] for i in range(3)} == {stock}
    assert groups.assignment["newbie"] == stock
    assert groups.assignment["gen0"] != stock
    assert groups.skills[stock] == ["NE", "PS"]
    assert groups.skills[groups.assignment["gen0"]] == ["NE", "NW", "PS"]


def test_similar_agents_make_one_group() -> None:
    rows = {f"a{i}": {"PS": 300 + 3 * i, "NW": 100 - i} for i in range(6)}
    groups = cluster_agents(_counts(rows))
    assert groups.names == ["agents"]
    assert "one group" in groups.k_rule


def test_rare_types_still_get_a_group() -> None:
    rows = {f"a{i}": {"PS": 300, "IN": 1 if i == 0 else 0} for i in range(4)}
    groups = cluster_agents(_counts(rows), n_groups=1)
    assert groups.skills["agents"] == ["IN", "PS"]


def test_groups_need_named_agents() -> None:
    frame = canonical([{"agent": pd.NA}])
    with pytest.raises(CalibrationError, match="agent"):
        agent_type_shares(frame, ["A"])
    with pytest.raises(CalibrationError, match="n_groups"):
        cluster_agents(_counts({"a": {"PS": 100}}), n_groups=0)


# ---------------------------------------------------------------- resolution


def test_fcr_from_repeat_calls_within_the_window() -> None:
    rows = [
        # customer 1: answered, calls back 2 h later (unresolved), then resolved
        {"customer_id": "1", "clock_s": 36_000, "agent": "ann", "day": 0},
        {"customer_id": "1", "clock_s": 43_200, "agent": "bob", "day": 0},
        # customer 2: answered, calls back 3 days later (outside 24 h: resolved)
        {"customer_id": "2", "clock_s": 36_000, "agent": "ann", "day": 0},
        {"customer_id": "2", "clock_s": 36_000, "agent": "ann", "day": 3},
        # unknown customers never count
        {"customer_id": pd.NA, "clock_s": 36_000, "agent": "ann", "day": 0},
        {"customer_id": "0", "clock_s": 36_000, "agent": "ann", "day": 0},
        # a late call keeps the data running past every window above
        {"customer_id": "9", "clock_s": 36_000, "agent": "ann", "day": 6},
    ]
    fit = fit_resolution(canonical(rows), {"ann": "g1", "bob": "g2"}, window_hours=24)
    by_group = fit.by_type_group.set_index("group")
    assert by_group.loc["g1", "n"] == 3  # customer 1 (1st), customer 2 (twice)
    assert by_group.loc["g1", "repeats"] == 1
    assert by_group.loc["g2", "fcr"] == 1.0
    assert fit.by_type["n"].iloc[0] == 4
    assert fit.delays_s["A"].tolist() == pytest.approx([7200.0 - 100.0])
    # the last answered call (customer 9) is censored: its window runs past the data
    assert fit.fcr("A", "g1", min_calls=1) == pytest.approx(2 / 3)


def test_fcr_window_must_be_positive() -> None:
    with pytest.raises(CalibrationError, match="window"):
        fit_resolution(canonical([{}]), {}, window_hours=0)


# ---------------------------------------------------------------- staffing


def test_shifts_split_at_long_gaps() -> None:
    rows = [
        {"clock_s": 8 * 3600, "handle_s": 600, "agent": "ann"},  # 8:00-8:10
        {"clock_s": 8 * 3600 + 900, "handle_s": 300, "agent": "ann"},  # 8:15-8:20 (gap 5 m)
        {"clock_s": 10 * 3600, "handle_s": 1800, "agent": "ann"},  # 10:00-10:30 (gap > 30 m)
    ]
    shifts = agent_shifts(canonical(rows), gap_minutes=30, extend_edges=False)
    assert shifts[["start", "end", "calls"]].values.tolist() == [
        [8 * 3600, 8 * 3600 + 1200, 2],
        [10 * 3600, 10 * 3600 + 1800, 1],
    ]
    # widened by the median idle gap of the shift: 5 minutes for the first, none for the other
    wide = agent_shifts(canonical(rows), gap_minutes=30)
    assert wide[["start", "end"]].values.tolist() == [
        [8 * 3600 - 300, 8 * 3600 + 1500],
        [10 * 3600, 10 * 3600 + 1800],
    ]
    grid = DayGrid.from_hours(30, 8, 11)
    fit = infer_staffing(
        canonical(rows), grid, {"ann": "g"}, ["g"], method="shifts", extend_edges=False
    )
    assert fit.on_duty[0, 0].tolist() == pytest.approx([1200 / 1800, 0, 0, 0, 1, 0])
    assert fit.busy[0, 0].tolist() == pytest.approx([900 / 1800, 0, 0, 0, 1, 0])


def test_queue_staffing_counts_busy_agents_while_calls_wait() -> None:
    # 3 agents serve 8:00-8:30; a call waits 8:00-8:10 and is answered when ann is free.
    rows = [
        {"clock_s": 8 * 3600, "handle_s": 1800, "agent": "bob"},
        {"clock_s": 8 * 3600, "handle_s": 1800, "agent": "cat"},
        {"clock_s": 8 * 3600, "handle_s": 600, "agent": "ann"},
        {"clock_s": 8 * 3600, "wait_s": 600, "handle_s": 1200, "agent": "ann"},
        {"clock_s": 8 * 3600 + 1800, "handle_s": 60, "agent": "dan"},  # another interval
    ]
    grid = DayGrid.from_hours(30, 8, 9)
    agents = {"ann": "g", "bob": "g", "cat": "g", "dan": "g"}
    fit = infer_staffing(canonical(rows), grid, agents, ["g"], method="queue")
    assert fit.queue_share[0, 0, 0] == pytest.approx(600 / 1800)
    assert fit.busy_when_queued[0, 0, 0] == pytest.approx(3.0)
    # 3 busy while the call waits (1/3 of the time), 3 on duty otherwise
    assert fit.daily_agents()[0, 0, 0] == pytest.approx(3.0)
    assert fit.head_count.tolist() == [[3, 0]]  # dan's 60 s round to 0 agents


def test_round_keeping_sum_preserves_agent_hours() -> None:
    x = np.array([[4.4] * 10, [0.2, 0.2, 0.2, 0.2, 0.2, 0.0] + [0.0] * 4])
    r = round_keeping_sum(x)
    assert r.dtype.kind == "i"
    assert r.sum(axis=1).tolist() == [44, 1]
    assert set(r[0].tolist()) == {4, 5}


def test_staffing_errors() -> None:
    frame = canonical([{}])
    grid = DayGrid.from_hours(30, 8, 9)
    with pytest.raises(CalibrationError, match="staffing method"):
        infer_staffing(frame, grid, {"ann": "g"}, ["g"], method="login")
    with pytest.raises(CalibrationError, match="occupancy"):
        infer_staffing(frame, grid, {"ann": "g"}, ["g"], method="busy", occupancy=0)
