"""Router specs, scenario resolution, horizon truncation, config hashes and seeds."""

from __future__ import annotations

import pytest

from rlroute.bench.specs import (
    BenchConfigError,
    RouterSpec,
    config_hash,
    parse_router_spec,
    registered_routers,
    resolve_routers,
    resolve_scenarios,
    resolve_seeds,
    truncate_horizon,
)
from rlroute.policies import ROUTERS, register_router
from rlroute.scenarios import load_scenario


def test_router_spec_spellings():
    assert parse_router_spec("fifo") == RouterSpec("fifo", {}, "fifo")
    onnx = parse_router_spec("onnx:runs/a/policy.onnx")
    assert (onnx.name, onnx.kwargs, onnx.label) == (
        "onnx",
        {"path": "runs/a/policy.onnx"},
        "onnx:runs/a/policy.onnx",
    )
    m = parse_router_spec({"name": "fifo", "label": "lia", "by_priority": False})
    assert (m.name, m.kwargs, m.label) == ("fifo", {"by_priority": False}, "lia")
    nested = parse_router_spec({"name": "fifo", "kwargs": {"by_priority": True}})
    assert nested.kwargs == {"by_priority": True}
    assert nested.label == "fifo(by_priority=True)"
    with pytest.raises(BenchConfigError, match="needs a 'name'"):
        parse_router_spec({"label": "x"})


def test_unknown_router_lists_known_ones():
    with pytest.raises(BenchConfigError) as err:
        resolve_routers(["fifo", "no_such_router"])
    msg = str(err.value)
    assert "no_such_router" in msg and "fifo_priority" in msg


def test_duplicate_labels_and_bad_kwargs_fail_early():
    with pytest.raises(BenchConfigError, match="unique"):
        resolve_routers(["fifo", "fifo"])
    with pytest.raises(BenchConfigError, match="cannot build"):
        resolve_routers([{"name": "fifo", "no_such_kwarg": 1}])


def test_all_routers_are_those_that_build_bare():
    def needs_path(path=None):
        if path is None:
            raise ValueError("needs path=")
        return ROUTERS["fifo"]()

    register_router("_test_needs_path", needs_path)
    try:
        names = registered_routers()
        assert "_test_needs_path" not in names
        assert {"fifo", "fifo_priority"} <= set(names)
        assert [r.label for r in resolve_routers("all")] == names
    finally:
        del ROUTERS["_test_needs_path"]


def test_truncate_horizon_cuts_per_interval_lists():
    sc = load_scenario("overloaded_peak")
    short = truncate_horizon(sc, 3)
    assert short.n_intervals == 3 and short.name == sc.name
    assert short.rates_per_hour(0) == sc.rates_per_hour(0)[:3]
    assert short.head_counts(2) == sc.head_counts(2)[:3]
    assert short.metadata["truncated_from_intervals"] == 10
    assert truncate_horizon(sc, 50) is sc  # never lengthened


def test_truncate_horizon_day_multiplier_period():
    data = load_scenario("single_pool").to_dict()
    data["intervals_per_day"] = 4
    sc = load_scenario(data)
    assert truncate_horizon(sc, 8).intervals_per_day == 4  # whole days: kept
    assert truncate_horizon(sc, 2).intervals_per_day is None  # part of one day: one draw
    with pytest.raises(BenchConfigError, match="whole number of days"):
        truncate_horizon(sc, 6)


def test_scenarios_resolve_and_fail_clearly():
    scs = resolve_scenarios(["n_design", "single_pool"], horizon_intervals=2)
    assert [s.name for s in scs] == ["n_design", "single_pool"]
    assert all(s.n_intervals == 2 for s in scs)
    assert len(resolve_scenarios("all")) >= 5
    with pytest.raises(BenchConfigError, match=r"unknown scenario 'nope'.*single_pool"):
        resolve_scenarios(["nope"])
    with pytest.raises(BenchConfigError, match="unique"):
        resolve_scenarios(["n_design", "n_design"])


def test_config_hash_identifies_scenario_and_policy_not_label():
    sc = load_scenario("n_design")
    a = config_hash(sc, RouterSpec("fifo"))
    assert a == config_hash(load_scenario("n_design"), RouterSpec("fifo", label="other"))
    assert a != config_hash(sc, RouterSpec("fifo", {"by_priority": True}))
    assert a != config_hash(truncate_horizon(sc, 2), RouterSpec("fifo"))
    assert len(a) == 64


def test_seeds():
    assert resolve_seeds(3) == [0, 1, 2]
    assert resolve_seeds([5, 7]) == [5, 7]
    for bad in (0, [], [1, 1], [-1], "x"):
        with pytest.raises(BenchConfigError):
            resolve_seeds(bad)
