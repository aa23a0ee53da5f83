"""Scenarios edited as a careless user would: refused clearly, or valid and runnable.

Random edits of ``heterogeneous`` (numbers replaced by inf, NaN, negative, huge, tiny or zero
values; fields and list items deleted; values of the wrong type). Each edited scenario either
raises :class:`ScenarioError` (never another exception) or is valid, survives its own dict and
YAML round trips, and simulates a short horizon without an exception.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlroute.policies import make_router
from rlroute.scenario import Scenario, ScenarioError
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator

BASE = load_scenario("heterogeneous").to_dict()
NUMBERS = [
    math.inf,
    -math.inf,
    math.nan,
    -1.0,
    -1e9,
    0,
    0.0,
    1e-300,
    0.5,
    1.0,
    1e9,
    1e300,
    1e308,
    10**18,
]
WRONG = ["abc", "", None, True, [], {}, [1.0, "x"], {"kind": "weibull"}]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(BASE)


def _apply(data: dict, path: tuple, op: str, value: Any) -> None:
    """Apply one edit; an edit whose path an earlier edit removed is skipped."""
    parent: Any = data
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if not isinstance(parent, dict | list) or isinstance(parent, dict) != isinstance(last, str):
        return
    if (isinstance(parent, list) and last >= len(parent)) or (
        op == "delete" and isinstance(parent, dict) and last not in parent
    ):
        return
    if op == "delete":
        del parent[last]
    else:
        parent[last] = value


edits = st.lists(
    st.tuples(
        st.sampled_from(PATHS),
        st.sampled_from(["number", "number", "delete", "wrong"]),
        st.sampled_from(NUMBERS),
        st.sampled_from(WRONG),
    ),
    min_size=1,
    max_size=4,
)


def _short(scenario: Scenario, n: int = 2) -> Scenario:
    """The first n intervals of a scenario (a short horizon to simulate)."""
    data = scenario.to_dict()
    full = data["n_intervals"]
    if full <= n:
        return scenario
    data["n_intervals"] = n
    if data.get("intervals_per_day") is not None and n % data["intervals_per_day"]:
        data["intervals_per_day"] = None
    for c in data["call_types"]:
        for key in ("arrival_rates_per_hour", "handle_time_profile"):
            if c.get(key) is not None and len(c[key]) == full:
                c[key] = c[key][:n]
    for g in data["agent_groups"]:
        if len(g["head_count"]) == full:
            g["head_count"] = g["head_count"][:n]
    return Scenario.from_dict(data)


def _check(changes: list) -> None:
    data = copy.deepcopy(BASE)
    for path, op, number, wrong in changes:
        _apply(data, path, op, number if op == "number" else wrong)
    try:
        scenario = Scenario.from_dict(data, source="edited.yaml")
    except ScenarioError as err:
        assert str(err).startswith("edited.yaml: invalid scenario")
        return
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    assert Scenario.from_dict(yaml.safe_load(scenario.to_yaml())) == scenario
    short = _short(scenario)
    for router in ("fifo", "cmu_theta"):
        report = Simulator(short, 1).run(make_router(router))
        assert report.overall["offered"] >= 0


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(edits)
def test_edited_scenarios_are_refused_clearly_or_run(changes: list) -> None:
    _check(changes)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_edited_scenarios_are_refused_clearly_or_run_many(changes: list) -> None:
    _check(changes)
