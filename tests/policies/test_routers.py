"""Heuristic routers: valid actions on every scenario, determinism, and each rule's signature
decision on a hand-built state."""

from __future__ import annotations

import pytest
from router_states import decide, shorten, state

from rlroute.policies import HEURISTICS, ROUTERS, make_router, register_router
from rlroute.policies.random_router import RandomRouter
from rlroute.scenario import AgentGroup, CallCost, CallType, Scenario, Skill
from rlroute.scenarios import load_scenario, scenario_names
from rlroute.sim import FIFORouter, Simulator

NOT_WORK_CONSERVING = {"threshold"}
N_INTERVALS = 4  # a short day keeps the suite fast; long enough to cross staffing changes
#: Scenarios too large for N_INTERVALS in the fast suite: (intervals, interval length in s).
LARGE = {"long_chain_20x20": (1, 600.0)}


class Checked:
    """Wraps a router; fails the test at the first action that is not assignable, or at a hold
    while an assignment is possible (for work-conserving routers)."""

    def __init__(self, router, work_conserving: bool) -> None:
        self.router, self.work_conserving = router, work_conserving
        self.name = router.name
        self.decisions = 0

    def reset(self, sim: Simulator) -> None:
        self.router.reset(sim)

    def act(self, sim: Simulator) -> int:
        a = self.router.act(sim)
        self.decisions += 1
        assert isinstance(a, int), f"{self.name}: action {a!r} is not an int"
        if a == sim.HOLD:
            if self.work_conserving:
                assert not sim.decision_possible(), f"{self.name} held with work to do"
        else:
            assert 0 <= a < sim.HOLD, f"{self.name}: action {a} out of range"
            k, g = sim.pairs[a]
            assert sim.queue_len[k] and sim.idle_count[g], f"{self.name}: invalid pair {a}"
        return a


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    out = {n: shorten(load_scenario(n), N_INTERVALS) for n in scenario_names()}
    for name, (n, length) in LARGE.items():
        if name in out:
            data = shorten(out[name], n).to_dict()
            out[name] = Scenario.from_dict({**data, "interval_s": length})
    return out


def test_registry_lists_every_heuristic() -> None:
    expected = {"fifo", "fifo_priority", "sbr", "lia", "random", "priority", "threshold"}
    expected |= {"cmu", "gcmu", "cmu_theta", "weight_based", "maxweight"}
    assert expected <= set(HEURISTICS) <= set(ROUTERS)
    for name in HEURISTICS:
        assert make_router(name).name == name
    with pytest.raises(ValueError, match="unknown router 'nope'; known routers"):
        make_router("nope")


def test_register_router_adds_a_name() -> None:
    register_router("test_fifo_alias", FIFORouter)
    try:
        assert isinstance(make_router("test_fifo_alias"), FIFORouter)
    finally:
        del ROUTERS["test_fifo_alias"]


@pytest.mark.parametrize("name", HEURISTICS)
def test_every_router_runs_every_scenario_with_valid_actions(name, scenarios) -> None:
    for scenario in scenarios.values():
        checked = Checked(make_router(name), name not in NOT_WORK_CONSERVING)
        report = Simulator(scenario, seed=1).run(checked)
        assert checked.decisions > 0
        assert report.overall["answered"] > 0
        assert report.overall["offered"] == pytest.approx(
            report.overall["answered"]
            + report.overall["abandoned"]
            + report.overall["balked"]
            + report.overall["unserved"]
        )


@pytest.mark.parametrize("name", HEURISTICS)
def test_same_seed_same_kpis(name, scenarios) -> None:
    scenario = scenarios["heterogeneous"]
    a = Simulator(scenario, seed=5).run(make_router(name)).overall
    b = Simulator(scenario, seed=5).run(make_router(name)).overall
    assert a == b


def test_in_loop_dispatch_equals_stepping_for_every_router(scenarios) -> None:
    """run() decides inside the event loop, validate=True steps; every KPI must agree,
    the decision count included (held epochs count in both paths, so the non-work-conserving
    threshold router is held to the same equality)."""
    scenario = scenarios["overloaded_peak"]
    for name in HEURISTICS:
        fast = Simulator(scenario, seed=2).run(make_router(name)).overall
        stepped = Simulator(scenario, seed=2).run(make_router(name), validate=True).overall
        assert fast["decisions"] > 0, name
        assert fast == stepped, name


def test_single_pool_every_router_is_fifo(scenarios) -> None:
    """One type, one group: the only choice is serve-or-hold, and within a type the simulator
    serves the oldest call and the longest-idle agent. Every router here serves whenever it
    can (threshold too: a single-skill group never reserves), so all KPIs equal FIFO's."""
    scenario = scenarios["single_pool"]
    fifo = Simulator(scenario, seed=3).run(FIFORouter()).overall
    for name in HEURISTICS:
        assert Simulator(scenario, seed=3).run(make_router(name)).overall == fifo, name


@pytest.mark.parametrize("scenario_name", scenario_names())
def test_priority_without_overrides_is_fifo_priority(scenario_name, scenarios) -> None:
    scenario = scenarios[scenario_name]
    a = Simulator(scenario, seed=4).run(make_router("priority")).overall
    b = Simulator(scenario, seed=4).run(make_router("fifo_priority")).overall
    assert a == b


def test_lia_equals_fifo_on_a_constant_schedule(scenarios) -> None:
    """Work-conserving epochs are opened by one event (see LongestIdleRouter): FIFO and LIA
    then agree; the scenarios with a constant head count must give identical KPIs."""
    for name in ("n_design", "w_design", "heterogeneous"):
        a = Simulator(scenarios[name], seed=6).run(make_router("lia")).overall
        b = Simulator(scenarios[name], seed=6).run(FIFORouter()).overall
        assert a == b, name


def test_routers_differ_where_routing_matters(scenarios) -> None:
    """On the heterogeneous center the rules are not all the same policy."""
    scenario = scenarios["heterogeneous"]
    costs = {n: Simulator(scenario, seed=7).run(make_router(n)).overall["cost"] for n in HEURISTICS}
    assert len(set(costs.values())) >= 8, costs


# ---------------------------------------------------------------- hand-built decision states
def _skill(mean_s: float, fcr: float = 1.0) -> Skill:
    return Skill(handle_time={"kind": "exponential", "mean_s": mean_s}, fcr=fcr)


def _center(types: list[CallType], groups: list[AgentGroup]) -> Scenario:
    return Scenario(name="hand", call_types=types, agent_groups=groups)


def _type(
    name: str,
    wait: float = 0.01,
    abandon: float = 1.0,
    patience: float | None = 300.0,
    priority: int = 0,
    target: float | None = None,
) -> CallType:
    return CallType(
        name=name,
        arrival_rates_per_hour=10,
        patience=None if patience is None else {"kind": "exponential", "mean_s": patience},
        priority=priority,
        cost=CallCost(wait_per_s=wait, abandon=abandon),
        service_level_target_s=target,
    )


def _group(name: str, **skills: Skill) -> AgentGroup:
    return AgentGroup(name=name, head_count=1, skills=skills)


# one type, a fast and a slow group; the slow group has been idle longer
ONE_TYPE_TWO_GROUPS = _center(
    [_type("a")],
    [_group("slow", a=_skill(300.0, fcr=0.9)), _group("fast", a=_skill(100.0, fcr=0.8))],
)


def test_sbr_picks_the_fastest_group_fifo_the_longest_idle() -> None:
    sim = state(ONE_TYPE_TWO_GROUPS, 100.0, {"a": [90.0]}, {"slow": [10.0], "fast": [50.0]})
    assert decide(make_router("sbr"), sim) == ("a", "fast")
    assert decide(make_router("fifo"), sim) == ("a", "slow")
    assert decide(make_router("cmu"), sim) == ("a", "fast")
    assert decide(make_router("maxweight"), sim) == ("a", "fast")


def test_service_rates_count_after_call_work() -> None:
    """An agent is tied up for talk + wrap-up: a group that talks fast but then needs a long
    wrap-up is the slower one for every rule that ranks by service rate."""
    wrap = Skill(
        handle_time={"kind": "exponential", "mean_s": 100.0},
        wrap_up={"kind": "deterministic", "value_s": 300.0},
    )
    sc = _center([_type("a")], [_group("talks_fast", a=wrap), _group("steady", a=_skill(250.0))])
    sim = state(sc, 100.0, {"a": [90.0]}, {"talks_fast": [50.0], "steady": [50.0]})
    assert sim.mean_agent_time[0] == [400.0, 250.0]
    for name in ("sbr", "cmu", "cmu_theta", "gcmu", "maxweight"):
        assert decide(make_router(name), sim) == ("a", "steady"), name


def test_sbr_breaks_handle_time_ties_by_fcr_then_idle_time() -> None:
    sc = _center(
        [_type("a")],
        [
            _group("g0", a=_skill(200.0, fcr=0.8)),
            _group("g1", a=_skill(200.0, fcr=0.9)),
            _group("g2", a=_skill(200.0, fcr=0.9)),
        ],
    )
    sim = state(sc, 100.0, {"a": [90.0]}, {"g0": [0.0], "g1": [40.0], "g2": [20.0]})
    assert decide(make_router("sbr"), sim) == ("a", "g2")


# two types, two dedicated groups: x serves a, y serves b
TWO_DEDICATED = _center(
    [_type("a"), _type("b")], [_group("x", a=_skill(200.0)), _group("y", b=_skill(200.0))]
)


def test_lia_picks_the_longest_idle_group_fifo_the_oldest_call() -> None:
    sim = state(TWO_DEDICATED, 100.0, {"a": [1.0], "b": [2.0]}, {"x": [10.0], "y": [5.0]})
    assert decide(make_router("lia"), sim) == ("b", "y")
    assert decide(make_router("fifo"), sim) == ("a", "x")


def test_lia_proficient_takes_the_best_skill_of_the_longest_idle_agent() -> None:
    sc = _center([_type("a"), _type("b")], [_group("x", a=_skill(300.0), b=_skill(100.0))])
    sim = state(sc, 100.0, {"a": [1.0], "b": [50.0]}, {"x": [10.0]})
    assert decide(make_router("lia"), sim) == ("a", "x")
    assert decide(make_router("lia", call_choice="proficient"), sim) == ("b", "x")
    with pytest.raises(ValueError, match="call_choice"):
        make_router("lia", call_choice="fastest")


# two types, one group serving both with the same speed
def _shared(a: CallType, b: CallType) -> Scenario:
    skills = {a.name: _skill(200.0), b.name: _skill(200.0)}
    return _center([a, b], [_group("x", **skills)])


def test_priority_serves_the_higher_priority_first() -> None:
    sc = _shared(_type("a", priority=0), _type("b", priority=2))
    sim = state(sc, 100.0, {"a": [1.0], "b": [90.0]}, {"x": [0.0]})
    assert decide(make_router("priority"), sim) == ("b", "x")
    assert decide(make_router("fifo"), sim) == ("a", "x")
    assert decide(make_router("priority", priorities={"a": 5}), sim) == ("a", "x")
    with pytest.raises(ValueError, match=r"priorities names unknown \['c'\]"):
        decide(make_router("priority", priorities={"c": 1}), sim)


def test_cmu_picks_the_higher_cost_rate_gcmu_weighs_it_by_the_wait() -> None:
    sc = _shared(_type("cheap", wait=0.01), _type("dear", wait=0.05))
    # cheap has waited 100 s, dear 10 s: c*w is 1.0 against 0.5
    sim = state(sc, 100.0, {"cheap": [0.0], "dear": [90.0]}, {"x": [0.0]})
    assert decide(make_router("cmu"), sim) == ("dear", "x")
    assert decide(make_router("gcmu"), sim) == ("cheap", "x")
    # with a linear delay cost (exponent 1) gcmu is c-mu again
    assert decide(make_router("gcmu", exponent=1.0), sim) == ("dear", "x")


def test_cmu_uses_abandonment_cost_when_waiting_is_free() -> None:
    sc = _shared(
        _type("a", wait=0.0, abandon=1.0, patience=100.0),
        _type("b", wait=0.0, abandon=1.0, patience=1000.0),
    )
    sim = state(sc, 100.0, {"a": [50.0], "b": [0.0]}, {"x": [0.0]})
    assert decide(make_router("cmu"), sim) == ("a", "x")  # theta_a = 10 theta_b


def test_cmu_theta_favours_the_patient_type_among_equal_costs() -> None:
    sc = _shared(
        _type("impatient", wait=0.01, abandon=0.0, patience=60.0),
        _type("patient", wait=0.01, abandon=0.0, patience=600.0),
    )
    sim = state(sc, 100.0, {"impatient": [0.0], "patient": [50.0]}, {"x": [0.0]})
    assert decide(make_router("cmu_theta"), sim) == ("patient", "x")
    assert decide(make_router("cmu"), sim) == ("impatient", "x")  # tie -> FIFO


def test_gcmu_breaks_zero_wait_ties_by_c_mu() -> None:
    sim = state(ONE_TYPE_TWO_GROUPS, 100.0, {"a": [100.0]}, {"slow": [0.0], "fast": [50.0]})
    assert decide(make_router("gcmu"), sim) == ("a", "fast")


def test_maxweight_serves_the_longest_queue() -> None:
    sc = _shared(_type("a"), _type("b"))
    sim = state(sc, 100.0, {"a": [50.0, 60.0, 70.0], "b": [10.0]}, {"x": [0.0]})
    assert decide(make_router("maxweight"), sim) == ("a", "x")
    assert decide(make_router("fifo"), sim) == ("b", "x")


def test_weight_based_scores_waits_in_targets_and_idleness_in_handle_times() -> None:
    # arrival to two idle groups: b_fast = 1/100, b_slow = 1/300; idle 50 s and 120 s
    sim = state(ONE_TYPE_TWO_GROUPS, 200.0, {"a": [200.0]}, {"slow": [80.0], "fast": [150.0]})
    assert decide(make_router("weight_based"), sim) == ("a", "fast")  # 0.5 > 0.4
    assert decide(make_router("fifo"), sim) == ("a", "slow")
    # waits count in service-level targets: a 10 s target ages twice as fast as a 20 s one
    sc = _shared(_type("a", target=20.0), _type("b", target=10.0))
    sim = state(sc, 100.0, {"a": [60.0], "b": [75.0]}, {"x": [100.0]})
    assert decide(make_router("weight_based"), sim) == ("b", "x")  # 2.5 > 2.0
    assert decide(make_router("weight_based", a=1.0), sim) == ("a", "x")
    assert decide(make_router("weight_based", q={"a->x": 1.0}), sim) == ("a", "x")
    with pytest.raises(ValueError, match="q names unknown pairs"):
        decide(make_router("weight_based", q={"a->y": 1.0}), sim)


def test_threshold_keeps_agents_for_the_primary_type() -> None:
    sc = _shared(_type("a", priority=1), _type("b"))  # x's primary type is a
    one_idle = state(sc, 100.0, {"b": [10.0]}, {"x": [0.0]})
    assert decide(make_router("threshold"), one_idle) is None  # hold: keep 1 agent for a
    assert decide(make_router("threshold", reserve=0), one_idle) == ("b", "x")
    two_idle = state(sc, 100.0, {"b": [10.0]}, {"x": [0.0, 5.0]})
    assert decide(make_router("threshold"), two_idle) == ("b", "x")
    assert decide(make_router("threshold", reserve={"x": 2}), two_idle) is None
    primary = state(sc, 100.0, {"a": [50.0], "b": [10.0]}, {"x": [0.0]})
    assert decide(make_router("threshold"), primary) == ("a", "x")
    with pytest.raises(ValueError, match="non-negative int"):
        decide(make_router("threshold", reserve=-1), one_idle)


def test_every_router_holds_when_nothing_is_assignable() -> None:
    sim = state(TWO_DEDICATED, 100.0, {"a": [1.0]}, {"y": [0.0]})
    for name in HEURISTICS:
        assert decide(make_router(name), sim) is None, name


def test_random_router_is_uniform_seeded_and_leaves_the_callers_alone() -> None:
    sc = _center([_type("a")], [_group("x", a=_skill(100.0)), _group("y", a=_skill(100.0))])
    sim = state(sc, 100.0, {"a": [50.0]}, {"x": [0.0], "y": [0.0]})
    router = RandomRouter()
    router.reset(sim)
    picks = [router.act(sim) for _ in range(2000)]
    assert set(picks) == {0, 1}
    assert 0.45 < picks.count(0) / len(picks) < 0.55
    router.reset(sim)  # a reset replays the same stream
    assert [router.act(sim) for _ in range(50)] == picks[:50]
    other = RandomRouter(seed=1)
    other.reset(sim)
    assert [other.act(sim) for _ in range(50)] != picks[:50]

    scenario = shorten(load_scenario("n_design"), 2)
    a = Simulator(scenario, seed=9).run(RandomRouter())
    b = Simulator(scenario, seed=9).run(FIFORouter())
    assert a.by_type_interval["offered"].tolist() == b.by_type_interval["offered"].tolist()
    assert a.overall != b.overall


def test_learned_routers_are_registered_by_their_own_layer() -> None:
    """``rlroute.policies`` imports neither ``rlroute.rl`` nor ``rlroute.export``: each registers
    its router when imported (without loading torch or onnxruntime), and a router whose layer
    was not imported fails with the module to import."""
    import subprocess
    import sys

    code = """
import sys
from rlroute.policies import ROUTERS, make_router
assert "sb3" not in ROUTERS and "onnx" not in ROUTERS
for name, module in (("onnx", "rlroute.export"), ("sb3", "rlroute.rl")):
    try:
        make_router(name, path="x")
    except ValueError as exc:
        assert f"provided by {module}" in str(exc), exc
    else:
        raise AssertionError(name)
import rlroute.export, rlroute.rl
assert {"sb3", "onnx"} <= set(ROUTERS)
for name in ("sb3", "onnx"):
    try:
        make_router(name)
    except ValueError as exc:
        assert "needs path=" in str(exc), exc
heavy = {"torch", "onnxruntime", "stable_baselines3"} & set(sys.modules)
assert not heavy, heavy
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
