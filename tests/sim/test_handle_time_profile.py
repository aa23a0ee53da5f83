"""Time-of-day handle-time profile: scenario field, engine talk times, KPIs, CRN, YAML, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlroute.distributions import Deterministic, Exponential
from rlroute.policies import make_router
from rlroute.scenario import AgentGroup, CallType, Scenario, ScenarioError, Skill
from rlroute.scenarios import load_scenario
from rlroute.sim import FIFORouter, Simulator


def _with_profile(scenario: Scenario, profiles: list | None) -> Scenario:
    """``scenario`` with ``profiles[k]`` as call type k's ``handle_time_profile``."""
    data = scenario.to_dict()
    for c, p in zip(data["call_types"], profiles or [None] * len(data["call_types"])):
        c["handle_time_profile"] = p
    return Scenario.from_dict(data)


def _same_overall(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k]
        for k in a
    )


def _two_intervals(
    profile: list[float] | None, hours: float = 50.0, wrap_up: Deterministic | None = None
) -> Scenario:
    """One pool, two long intervals, exponential talk of mean 120 s, ample staff."""
    return Scenario(
        interval_s=hours * 3600.0,
        n_intervals=2,
        call_types=[
            CallType(
                name="c",
                arrival_rates_per_hour=600.0,
                patience=Exponential(mean_s=300.0),
                handle_time_profile=profile,
            )
        ],
        agent_groups=[
            AgentGroup(
                name="g",
                head_count=60,
                skills={"c": Skill(handle_time=Exponential(mean_s=120.0), wrap_up=wrap_up)},
            )
        ],
    )


@pytest.mark.parametrize("name", ["single_pool", "n_design", "heterogeneous"])
@pytest.mark.parametrize("router", ["fifo", "cmu"])
def test_profile_of_ones_is_no_profile(name: str, router: str) -> None:
    """Multipliers of exactly 1 talk the same bits as no profile (on single_pool with FIFO
    the unprofiled run takes the one-pair shortcut, the profiled one the general path)."""
    plain = load_scenario(name)
    ones = _with_profile(plain, [[1.0] * plain.n_intervals for _ in plain.call_types])
    assert ones != plain and "handle_time_profile" not in str(plain.to_dict())
    runs = []
    for sc in (plain, ones):
        sim = Simulator(sc, seed=7, record_calls=True)
        runs.append((sim.run(make_router(router)), sim.call_log()))
    (a, log_a), (b, log_b) = runs
    assert a.overall["answered"] > 1000
    assert _same_overall(a.overall, b.overall)
    assert a.by_interval.equals(b.by_interval) and a.by_type.equals(b.by_type)
    assert a.by_group.equals(b.by_group)
    assert log_a.equals(log_b)


def test_per_interval_aht_follows_the_profile() -> None:
    """Profile [0.5, 2]: the talk time of calls arriving in interval 0 averages half the
    distribution's mean, in interval 1 twice it (about 30,000 calls each: 1 sigma ~ 0.6 %)."""
    sim = Simulator(_two_intervals([0.5, 2.0]), seed=3)
    report = sim.run(FIFORouter())
    aht = report.by_interval["aht"].to_numpy()
    answered = report.by_interval["answered"].to_numpy()
    assert (answered > 25_000).all()
    assert aht[0] == pytest.approx(0.5 * 120.0, rel=0.025)
    assert aht[1] == pytest.approx(2.0 * 120.0, rel=0.025)
    # The router-facing mean is the distribution's, at multiplier 1.
    assert sim.mean_handle[0][0] == 120.0
    # Occupancy follows the talk actually done: 600/h * 60 s / 60 agents = 1/6 in interval 0,
    # 600/h * 240 s / 60 = 2/3 in interval 1 (plus the calls spilling over from interval 0).
    occ = report.by_interval["occupancy"].to_numpy()
    assert occ[0] == pytest.approx(1 / 6, rel=0.03) and occ[1] == pytest.approx(2 / 3, rel=0.03)


@pytest.mark.parametrize(
    ("name", "router"), [("single_pool", "fifo"), ("n_design", "cmu"), ("n_design", "lia")]
)
def test_same_caller_same_quantile(name: str, router: str) -> None:
    """Common random numbers: arrivals do not depend on talk times, so call ids match across
    runs; a call answered by the same group in both talks exactly profile[k][i] times as
    long with the profile, i its arrival interval, whatever else the profile changed."""
    plain = load_scenario(name)
    rng = np.random.default_rng(0)
    profiles = [rng.uniform(0.5, 1.6, plain.n_intervals).tolist() for _ in plain.call_types]
    prof = _with_profile(plain, profiles)
    logs = []
    for sc in (plain, prof):
        sim = Simulator(sc, seed=11, record_calls=True)
        sim.run(make_router(router))
        logs.append(sim.call_log().set_index("call_id"))
    a, b = logs
    assert a["arrival_s"].equals(b["arrival_s"]) and a["call_type"].equals(b["call_type"])
    both = (a.outcome == "answered") & (b.outcome == "answered") & (a.group == b.group)
    assert both.sum() > 1000
    a, b = a[both], b[both]
    k = a["call_type"].map({n: i for i, n in enumerate(plain.type_names)}).to_numpy()
    i = np.minimum(a["arrival_s"] // plain.interval_s, plain.n_intervals - 1).astype(int)
    mult = np.array(profiles)[k, i.to_numpy()]
    assert (b["handle_s"].to_numpy() == a["handle_s"].to_numpy() * mult).all()
    assert not np.allclose(mult, 1.0)


def test_yaml_round_trip_keeps_the_profile(tmp_path) -> None:
    """The profile survives YAML; a scalar is broadcast; no profile leaves no key behind."""
    base = load_scenario("n_design")
    profiles = [[0.8 + 0.05 * i for i in range(base.n_intervals)], 1.25]
    sc = _with_profile(base, profiles)
    path = tmp_path / "profiled.yaml"
    sc.to_yaml(path)
    back = Scenario.from_yaml(path)
    assert back == sc
    assert back.call_types[0].handle_time_profile == profiles[0]
    assert back.call_types[1].handle_time_profile == [1.25]
    assert back.handle_time_multipliers(1) == [1.25] * base.n_intervals
    assert "handle_time_profile" in path.read_text()
    plain = _with_profile(base, None)
    assert plain == base and "handle_time_profile" not in plain.to_yaml()
    assert plain.handle_time_multipliers(0) is None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([1.0, 1.0, 1.0], "has 3 values, expected 1 or n_intervals=16"),
        ("zero", "finite and > 0; interval 5 has 0.0"),
        ("negative", "finite and > 0; interval 5 has -1.0"),
        # inf and NaN are refused as numbers before the profile's own check sees them.
        ("nan", r"\[5\]: Input should be a finite number"),
        ("inf", r"\[5\]: Input should be a finite number"),
    ],
)
@pytest.mark.parametrize("k", [0, 1])
def test_bad_profile_is_refused_naming_the_field(bad, message: str, k: int) -> None:
    base = load_scenario("n_design")
    if isinstance(bad, str):
        value = {"zero": 0.0, "negative": -1.0, "nan": math.nan, "inf": math.inf}[bad]
        bad = [1.0] * base.n_intervals
        bad[5] = value
    profiles: list = [None, None]
    profiles[k] = bad
    with pytest.raises(ScenarioError, match=rf"call_types\[{k}\]\.handle_time_profile.*{message}"):
        _with_profile(base, profiles)


def test_wrap_up_and_profile_both_apply() -> None:
    """The talk time is scaled, the after-call work is not: aht per interval follows the
    profile, mean_wrap_up stays the constant 30 s, and occupancy counts both."""
    report = Simulator(
        _two_intervals([0.5, 2.0], hours=20.0, wrap_up=Deterministic(value_s=30.0)), 2
    ).run(FIFORouter())
    rows = report.by_interval
    assert rows["aht"].iloc[0] == pytest.approx(60.0, rel=0.04)
    assert rows["aht"].iloc[1] == pytest.approx(240.0, rel=0.04)
    assert (rows["mean_wrap_up"] == 30.0).all()
    occ = rows["occupancy"].to_numpy()
    assert occ[0] == pytest.approx(600 / 3600 * (60 + 30) / 60, rel=0.05)
    assert occ[1] == pytest.approx(600 / 3600 * (240 + 30) / 60, rel=0.05)
