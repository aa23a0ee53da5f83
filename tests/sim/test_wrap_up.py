"""After-call work (wrap-up): scenario field, engine state and events, KPIs, streams."""

from __future__ import annotations

import numpy as np
import pytest

from rlroute.distributions import Deterministic, Exponential
from rlroute.policies import make_router
from rlroute.scenario import AgentGroup, CallType, Scenario, ScenarioError, Skill
from rlroute.scenarios import load_scenario
from rlroute.sim import FIFORouter, Simulator


def _with_wrap_up(scenario: Scenario, wrap_up: dict | None) -> Scenario:
    """``scenario`` with the same ``wrap_up`` (a plain mapping, or None) in every skill."""
    data = scenario.to_dict()
    for grp in data["agent_groups"]:
        for skill in grp["skills"].values():
            skill["wrap_up"] = wrap_up
    return Scenario.from_dict(data)


def _shifts(wrap_up: dict | None = None, patience_s: float | None = 90.0) -> Scenario:
    """One pool through staffing ups and downs, busy enough that agents leave mid-work."""
    return Scenario(
        interval_s=1800.0,
        n_intervals=4,
        call_types=[
            CallType(
                name="c",
                arrival_rates_per_hour=[300, 500, 150, 400],
                patience=None if patience_s is None else Exponential(mean_s=patience_s),
            )
        ],
        agent_groups=[
            AgentGroup(
                name="g",
                head_count=[8, 12, 4, 10],
                skills={"c": Skill(handle_time=Exponential(mean_s=60.0), wrap_up=wrap_up)},
            )
        ],
    )


@pytest.mark.parametrize("name", ["single_pool", "n_design", "heterogeneous"])
@pytest.mark.parametrize("router", ["fifo", "cmu"])
def test_explicit_null_wrap_up_is_no_wrap_up(name: str, router: str) -> None:
    """``wrap_up: null`` is the same scenario as no field, and runs to the same bits."""
    plain = load_scenario(name)
    null = _with_wrap_up(plain, None)
    assert null == plain and null.to_dict() == plain.to_dict()
    runs = []
    for sc in (plain, null):
        sim = Simulator(sc, seed=4, record_calls=True)
        report = sim.run(make_router(router))
        runs.append((report, sim.call_log()))
    (a, log_a), (b, log_b) = runs
    assert a.overall == b.overall and a.overall["mean_wrap_up"] == 0.0
    assert a.by_interval.equals(b.by_interval) and a.by_group.equals(b.by_group)
    assert log_a.equals(log_b) and (log_a.wrap_up_s.dropna() == 0.0).all()


@pytest.mark.parametrize(
    "wrap_up",
    [Deterministic(value_s=60.0), Exponential(mean_s=60.0)],
    ids=["deterministic", "exponential"],
)
def test_occupancy_counts_wrap_up_as_busy(wrap_up) -> None:
    """M/M/n with a wrap-up W after each call: each call holds an agent for H + W, so the
    occupancy is lambda (E[H] + E[W]) / n, not lambda E[H] / n."""
    lam_h, mean_h, n, hours = 480.0, 180.0, 40, 100.0
    data = Scenario.single_pool(lam_h, mean_h, n, hours=hours).to_dict()
    data["agent_groups"][0]["skills"]["call"]["wrap_up"] = wrap_up.model_dump()
    report = Simulator(Scenario.from_dict(data), seed=1).run(FIFORouter())
    o = report.overall
    expected = lam_h / 3600.0 * (mean_h + wrap_up.mean) / n  # 0.8; 0.6 without the wrap-up
    assert o["occupancy"] == pytest.approx(expected, rel=0.015)
    assert o["mean_wrap_up"] == pytest.approx(wrap_up.mean, rel=0.015)
    assert o["aht"] == pytest.approx(mean_h, rel=0.02)  # talk time only
    # The same on the realised calls, up to the work spilling past the horizon (< 0.1 %).
    work = o["answered"] * (o["aht"] + o["mean_wrap_up"])
    assert o["occupancy"] * n * hours * 3600.0 == pytest.approx(work, rel=1e-3)
    group = report.by_group.iloc[0]
    assert group["mean_wrap_up"] == pytest.approx(o["mean_wrap_up"], rel=1e-12)
    assert group["busy_s"] == pytest.approx(work, rel=1e-9)
    if isinstance(wrap_up, Deterministic):
        assert o["mean_wrap_up"] == 60.0


def test_zero_wrap_up_is_no_wrap_up() -> None:
    """A wrap-up of exactly 0 s frees the agent when the caller hangs up: the same run."""
    plain, zero = _shifts(patience_s=None), _shifts(Deterministic(value_s=0.0), patience_s=None)
    runs = []
    for sc in (plain, zero):
        sim = Simulator(sc, seed=2, record_calls=True)
        runs.append((sim.run(FIFORouter()), sim.call_log()))
    (a, log_a), (b, log_b) = runs
    assert a.overall["answered"] > 500
    assert a.overall == b.overall
    assert a.by_interval.equals(b.by_interval)
    assert log_a.equals(log_b)


def test_agents_are_conserved_and_wrap_up_agents_are_not_idle() -> None:
    """At every decision epoch, every present agent is idle, talking or in wrap-up, exactly
    what the counters routers read say; and the schedule is the present agents not leaving."""
    scenario = _shifts(Exponential(mean_s=45.0))
    sim = Simulator(scenario, seed=3)
    router = FIFORouter()
    router.reset(sim)
    seen_wrap = epochs = 0
    while sim.advance():
        idle, talking, wrapping = sim.agent_counts(0)
        present = [a for a in sim.agents if a.present]
        assert idle + talking + wrapping == len(present) == sim.present_count
        assert idle == sim.idle_count[0] == len(sim.idle[0])
        assert wrapping == sim.wrap_up_count[0]
        assert talking + wrapping == sim.busy_count
        assert all(a.available for a in sim.idle[0])
        if sim.now < sim.horizon:
            i = int(sim.now // scenario.interval_s)
            assert sum(not a.leaving for a in present) == scenario.head_counts(0)[i]
        if sim.idle[0]:
            assert sim.longest_idle_since(0) == min(a.idle_since for a in sim.idle[0])
        seen_wrap += wrapping > 0
        epochs += 1
        sim.step(router.act(sim))
    assert epochs > 500 and seen_wrap > epochs // 2
    assert sim.wrap_up_count == [0] and sim.busy_count == 0


def test_call_log_and_agents_respect_wrap_up() -> None:
    """An agent's next call starts no earlier than the end of the previous one's wrap-up."""
    sim = Simulator(_shifts(Exponential(mean_s=45.0)), seed=5, record_calls=True)
    report = sim.run(FIFORouter())
    log = sim.call_log()
    answered = log[log.outcome == "answered"]
    assert (answered.wrap_up_s > 0).all() and log[log.outcome != "answered"].wrap_up_s.isna().all()
    assert answered.wrap_up_s.mean() == pytest.approx(report.overall["mean_wrap_up"], rel=1e-12)
    free_at = answered.service_end_s + answered.wrap_up_s
    for _, idx in answered.groupby("agent_id").groups.items():
        rows = answered.loc[idx].sort_values("service_start_s")
        starts, frees = rows.service_start_s.to_numpy(), free_at[rows.index].to_numpy()
        assert (starts[1:] >= frees[:-1] - 1e-9).all()


def test_leaving_agent_finishes_its_wrap_up_first() -> None:
    """Head count 1 -> 0: the agent ends its call before the change, is in wrap-up at the
    boundary and leaves when it ends, not at the boundary nor when the call ended."""
    scenario = Scenario(
        interval_s=1000.0,
        n_intervals=2,
        call_types=[CallType(name="c", arrival_rates_per_hour=[3600, 0])],
        agent_groups=[
            AgentGroup(
                name="g",
                head_count=[1, 0],
                skills={
                    "c": Skill(
                        handle_time=Deterministic(value_s=100.0),
                        wrap_up=Deterministic(value_s=500.0),
                    )
                },
            )
        ],
    )
    sim = Simulator(scenario, seed=0, record_calls=True)
    report = sim.run(FIFORouter())
    answered = sim.call_log().query("outcome == 'answered'")
    last = answered.sort_values("service_start_s").iloc[-1]
    assert len(answered) == 2  # [a, a+100] + 500, [a+600, a+700] + 500, a = first arrival
    assert last.service_end_s < 1000.0 < last.service_end_s + last.wrap_up_s
    stayed = report.by_interval["agents_on_duty"].iloc[1] * scenario.interval_s
    assert stayed == pytest.approx(last.service_end_s + last.wrap_up_s - 1000.0)
    assert not sim.agents[0].present


def test_wrap_up_draws_are_common_random_numbers() -> None:
    """Wrap-ups come from their own stream, one quantile per call: routers see the same
    arrivals as without wrap-up, and a call's wrap-up is the same whoever serves it."""
    base = load_scenario("n_design")
    wrapped = _with_wrap_up(base, {"kind": "lognormal", "mu": 3.5, "sigma": 0.6})
    plain = Simulator(base, seed=8).run(FIFORouter())
    logs = []
    for router in ("fifo", "cmu"):
        sim = Simulator(wrapped, seed=8, record_calls=True)
        report = sim.run(make_router(router))
        assert report.by_type_interval["offered"].tolist() == (
            plain.by_type_interval["offered"].tolist()
        )
        logs.append(sim.call_log().set_index("call_id"))
    a, b = logs
    both = a.index[(a.outcome == "answered") & (b.outcome == "answered")]
    assert len(both) > 1000
    assert (a.group[both] != b.group[both]).any()  # different routing...
    np.testing.assert_array_equal(a.wrap_up_s[both], b.wrap_up_s[both])  # ...same wrap-ups
    np.testing.assert_array_equal(a.handle_s[both], b.handle_s[both])


def test_yaml_round_trip_keeps_wrap_up(tmp_path) -> None:
    data = load_scenario("n_design").to_dict()
    data["agent_groups"][0]["skills"]["A"]["wrap_up"] = {"kind": "gamma", "shape": 2, "scale": 15}
    scenario = Scenario.from_dict(data)
    path = tmp_path / "wrap.yaml"
    text = scenario.to_yaml(path)
    back = Scenario.from_yaml(path)
    assert back == scenario and back.schema_version == 1
    assert back.agent_groups[0].skills["A"].wrap_up.mean == 30.0
    assert text.count("wrap_up:") == 1  # skills without one serialise as before
    assert "wrap_up" not in load_scenario("n_design").to_yaml()


@pytest.mark.parametrize(
    ("wrap_up", "message"),
    [
        ({"kind": "exponential", "mean_s": -5}, r"wrap_up\.exponential\.mean_s"),
        ({"kind": "deterministic", "value_s": -1}, r"wrap_up\.deterministic\.value_s"),
        ({"kind": "weibull", "mean_s": 5}, r"wrap_up: .*'weibull'"),
        ("thirty seconds", r"wrap_up"),
    ],
    ids=["negative_mean", "negative_constant", "unknown_kind", "not_a_mapping"],
)
def test_bad_wrap_up_is_refused_naming_the_field(wrap_up, message) -> None:
    data = Scenario.single_pool(60.0, 60.0, 2).to_dict()
    data["agent_groups"][0]["skills"]["call"]["wrap_up"] = wrap_up
    with pytest.raises(ScenarioError, match=r"agent_groups\[0\]\.skills\.call\." + message):
        Scenario.from_dict(data, source="wrap.yaml")
