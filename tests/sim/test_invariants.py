"""Invariants of the event engine on random call centers (Hypothesis).

The Erlang tests prove the engine right on the models theory solves; these check the books
balance on the ones it does not: random types, groups, skills, staffing that drops to zero,
repeats, balking, infinite patience, after-call work, talk times that vary over the day
(handle-time profiles), and routers that hold. Every call offered ends answered, abandoned,
balked or (only with infinite patience) unserved; the cost is the sum of its parts,
recomputed call by call from the call log; the in-loop run equals stepping with every action
checked; the same seed gives the same numbers.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlroute.policies import make_router
from rlroute.scenario import Scenario
from rlroute.sim import Simulator

ROUTERS = ["fifo", "fifo_priority", "sbr", "lia", "cmu", "cmu_theta", "random", "threshold"]
HOLDING = {"threshold"}  # holds to keep reserved agents free
TOL = 1e-6


def _dist(draw: st.DrawFn, low: float, high: float) -> dict:
    kind = draw(st.sampled_from(["exponential", "lognormal", "deterministic", "gamma"]))
    mean = draw(st.floats(low, high))
    if kind == "exponential":
        return {"kind": "exponential", "mean_s": mean}
    if kind == "deterministic":
        return {"kind": "deterministic", "value_s": mean}
    if kind == "gamma":
        shape = draw(st.floats(0.5, 4.0))
        return {"kind": "gamma", "shape": shape, "scale": mean / shape}
    sigma = draw(st.floats(0.2, 1.2))
    return {"kind": "lognormal", "mu": math.log(mean) - sigma**2 / 2, "sigma": sigma}


@st.composite
def centers(draw: st.DrawFn) -> Scenario:
    n_types = draw(st.integers(1, 3))
    n_groups = draw(st.integers(1, 3))
    n_int = draw(st.integers(1, 4))
    skills = [
        draw(st.sets(st.integers(0, n_types - 1), min_size=1, max_size=n_types))
        for _ in range(n_groups)
    ]
    for k in range(n_types):  # every type needs a group
        if not any(k in s for s in skills):
            skills[draw(st.integers(0, n_groups - 1))].add(k)
    call_types = []
    for k in range(n_types):
        call_types.append(
            {
                "name": f"t{k}",
                "arrival_rates_per_hour": draw(
                    st.lists(st.floats(0, 240), min_size=n_int, max_size=n_int)
                ),
                "patience": draw(
                    st.none()
                    | st.builds(dict, kind=st.just("exponential"), mean_s=st.floats(5, 600))
                ),
                "balk_probability": draw(st.sampled_from([0.0, 0.0, 0.2])),
                "balk_queue_length": draw(st.sampled_from([None, None, 3])),
                "priority": draw(st.integers(0, 2)),
                "cost": {
                    "wait_per_s": draw(st.floats(0, 0.1)),
                    "abandon": draw(st.floats(0, 5)),
                    "sl_miss": draw(st.floats(0, 2)),
                    "unresolved": draw(st.floats(0, 2)),
                },
                "repeat": draw(
                    st.none()
                    | st.builds(
                        dict,
                        # below 1: a repeat probability of ~1 makes the expected number of
                        # calls (1 / (1 - p) per caller) exceed the scenario's size cap
                        probability=st.floats(0, 0.9),
                        delay=st.builds(
                            dict, kind=st.just("exponential"), mean_s=st.floats(30, 900)
                        ),
                    )
                ),
                "handle_time_profile": draw(
                    st.none() | st.lists(st.floats(0.3, 3.0), min_size=n_int, max_size=n_int)
                ),
            }
        )
    groups = []
    for g in range(n_groups):
        groups.append(
            {
                "name": f"g{g}",
                "head_count": draw(st.lists(st.integers(0, 5), min_size=n_int, max_size=n_int)),
                "skills": {
                    f"t{k}": {
                        "handle_time": _dist(draw, 20, 400),
                        "fcr": draw(st.floats(0, 1)),
                        **({"wrap_up": _dist(draw, 1, 60)} if draw(st.booleans()) else {}),
                    }
                    for k in sorted(skills[g])
                },
            }
        )
    # Days (drawn last, so the draws above are those of the generator before days existed):
    # several days per horizon, Gamma day multipliers, staffing day factors.
    ipd = draw(st.sampled_from([None, None, 1, 2]))
    if ipd is not None and n_int % ipd:
        ipd = None
    for c in call_types:
        c["day_multiplier_shape"] = draw(st.none() | st.floats(0.5, 50))
    for grp in groups:
        grp["staffing_day_factor"] = draw(
            st.none()
            | st.builds(dict, shape=st.floats(0.5, 50), load_slope=st.sampled_from([0.0, 0.5, 1.0]))
        )
    return Scenario.from_dict(
        {
            "name": "random_center",
            "interval_s": 600.0,
            "n_intervals": n_int,
            "intervals_per_day": ipd,
            "service_level_target_s": 20.0,
            "call_types": call_types,
            "agent_groups": groups,
        }
    )


def _cost_from_log(scenario: Scenario, log) -> float:
    """The scenario's cost recomputed call by call (waiting, abandonment, SL, resolution)."""
    total = 0.0
    for row in log.itertuples(index=False):
        c = scenario.call_types[scenario.type_names.index(row.call_type)]
        target = c.service_level_target_s or scenario.service_level_target_s
        total += c.cost.wait_per_s * row.wait_s
        if row.outcome in ("abandoned", "balked"):
            total += c.cost.abandon
        elif row.outcome == "answered":
            total += c.cost.sl_miss * (row.wait_s > target)
            total += c.cost.unresolved * (not row.resolved)
    return total


FAST = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@FAST
@given(scenario=centers(), router=st.sampled_from(ROUTERS), seed=st.integers(0, 2**16))
def test_every_call_is_accounted_for_and_the_cost_adds_up(
    scenario: Scenario, router: str, seed: int
) -> None:
    sim = Simulator(scenario, seed, record_calls=True)
    o = sim.run(make_router(router)).overall
    log = sim.call_log()
    assert o["offered"] == len(log)
    assert o["offered"] == o["answered"] + o["abandoned"] + o["balked"] + o["unserved"]
    outcomes = log["outcome"].value_counts().to_dict()
    assert outcomes.get("answered", 0) == o["answered"]
    assert outcomes.get("abandoned", 0) == o["abandoned"]
    assert outcomes.get("balked", 0) == o["balked"]
    if o["unserved"]:  # only callers who never hang up can stay unserved (nobody on duty)
        assert any(c.patience is None for c in scenario.call_types)
    if router in HOLDING:
        assert o["decisions"] >= o["answered"]
    else:  # a work-conserving router is asked exactly once per answered call
        assert o["decisions"] == o["answered"]
    assert (log["wait_s"].dropna() >= 0).all()
    answered = log[log["outcome"] == "answered"]
    skills = {g.name: set(g.skills) for g in scenario.agent_groups}
    for row in answered.itertuples(index=False):
        assert row.call_type in skills[row.group]
    assert o["cost"] == pytest.approx(_cost_from_log(scenario, log), rel=1e-9, abs=1e-6)
    for kpi in (
        "service_level",
        "service_level_offered",
        "service_level_answered",
        "abandon_rate",
        "fcr",
        "p_wait",
    ):
        v = o[kpi]
        assert math.isnan(v) or -TOL <= v <= 1 + TOL, (kpi, v)
    assert math.isnan(o["occupancy"]) or -TOL <= o["occupancy"] <= 1 + TOL


@FAST
@given(scenario=centers(), router=st.sampled_from(ROUTERS), seed=st.integers(0, 2**16))
def test_in_loop_run_equals_checked_stepping_and_repeats_itself(
    scenario: Scenario, router: str, seed: int
) -> None:
    fast = Simulator(scenario, seed).run(make_router(router)).overall
    checked = Simulator(scenario, seed).run(make_router(router), validate=True).overall
    again = Simulator(scenario, seed).run(make_router(router)).overall
    assert _same(fast, checked) and _same(fast, again)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a
    )


@FAST
@given(scenario=centers(), seed=st.integers(0, 2**16), hold_ok=st.booleans())
def test_environment_on_random_centers(scenario: Scenario, seed: int, hold_ok: bool) -> None:
    """A masked random policy through a whole day: observations stay in the box, some action
    is always valid, the return is minus the day's cost, and the day ends."""
    import numpy as np

    from rlroute.envs import CallCenterEnv

    env = CallCenterEnv(scenario, work_conserving=not hold_ok)
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    total, steps, done = 0.0, 0, False
    while not done:
        assert env.observation_space.contains(obs), obs
        valid = np.flatnonzero(info["action_mask"])
        assert valid.size >= 1
        obs, reward, done, truncated, info = env.step(int(rng.choice(valid)))
        assert not truncated
        total += reward
        steps += 1
        assert steps < 100_000
    assert total == pytest.approx(-env.unwrapped.sim.cost, rel=1e-9, abs=1e-6)
    assert info["kpis"]["decisions"] >= info["kpis"]["answered"]
