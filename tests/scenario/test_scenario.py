"""Scenario: YAML round trip, schema version, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlroute.scenario import Scenario, ScenarioError
from rlroute.scenarios import load_scenario, scenario_names


@pytest.mark.parametrize("name", scenario_names())
def test_library_scenarios_round_trip_through_yaml(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(name)
    path = tmp_path / "s.yaml"
    scenario.to_yaml(path)
    again = Scenario.from_yaml(path)
    assert again == scenario
    assert again.schema_version == 1


def test_the_library_has_the_designs_the_benchmark_needs() -> None:
    assert {"single_pool", "n_design", "w_design", "heterogeneous", "overloaded_peak"} <= set(
        scenario_names()
    )


def _base() -> dict:
    return Scenario.single_pool(100.0, 180.0, 10).to_dict()


@pytest.mark.parametrize(
    "mutate,field,reason",
    [
        (
            lambda d: d["call_types"][0].pop("arrival_rates_per_hour"),
            "call_types[0].arrival_rates_per_hour",
            "Field required",
        ),
        (
            lambda d: d["call_types"][0].update(arrival_rates_per_hour=[-1.0]),
            "call_types[0].arrival_rates_per_hour",
            ">= 0",
        ),
        (
            lambda d: d["agent_groups"][0].update(head_count=[1, 2, 3]),
            "agent_groups[0].head_count",
            "expected 1 or n_intervals=1",
        ),
        (
            lambda d: d["agent_groups"][0].update(head_count=[-2]),
            "agent_groups[0].head_count",
            ">= 0",
        ),
        (
            lambda d: d["agent_groups"][0]["skills"]["call"]["handle_time"].update(kind="weibull"),
            "agent_groups[0].skills.call.handle_time",
            "weibull",
        ),
        (
            lambda d: d["agent_groups"][0]["skills"]["call"]["handle_time"].update(mean_s=-3),
            "mean_s",
            "greater than 0",
        ),
        (
            lambda d: d["agent_groups"][0].update(
                skills={"other": d["agent_groups"][0]["skills"]["call"]}
            ),
            "skills",
            "unknown call types ['other']",
        ),
        (
            lambda d: d["call_types"].append(dict(d["call_types"][0], name="orphan")),
            "call_types",
            "no agent group can serve ['orphan']",
        ),
        (
            lambda d: d["call_types"].append(dict(d["call_types"][0])),
            "call_types",
            "duplicate names",
        ),
        (lambda d: d.update(schema_version=2), "schema_version", "1"),
        (lambda d: d.update(interval_s=0), "interval_s", "greater than 0"),
        (lambda d: d.update(colour="red"), "colour", "Extra inputs are not permitted"),
        (
            lambda d: d["agent_groups"][0]["skills"]["call"].update(fcr=1.5),
            "fcr",
            "less than or equal to 1",
        ),
    ],
)
def test_bad_scenarios_name_the_field_and_the_reason(mutate, field: str, reason: str) -> None:
    data = _base()
    mutate(data)
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data, source="my.yaml")
    message = str(err.value)
    assert message.startswith("my.yaml: invalid scenario")
    assert field in message
    assert reason in message


def test_yaml_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("call_types: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML"):
        Scenario.from_yaml(bad)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        Scenario.from_yaml(tmp_path / "missing.yaml")
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        Scenario.from_yaml(listy)


def test_unknown_scenario_name_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="n_design"):
        load_scenario("no_such_center")


def test_scalars_broadcast_over_the_grid() -> None:
    data = _base() | {"n_intervals": 3}
    scenario = Scenario.from_dict(data)
    assert scenario.rates_per_hour(0) == [100.0, 100.0, 100.0]
    assert scenario.head_counts(0) == [10, 10, 10]
    assert scenario.horizon_s == 3 * 3600.0


def _heterogeneous() -> dict:
    return load_scenario("heterogeneous").to_dict()


@pytest.mark.parametrize(
    "edit,path",
    [
        (lambda d: d["call_types"][1]["cost"].update(sl_miss=float("inf")), "call_types[1].cost.sl_miss"),
        (lambda d: d["call_types"][0].update(arrival_rates_per_hour=float("nan")), "call_types[0].arrival_rates_per_hour[0]"),
        (lambda d: d.update(service_level_target_s=float("inf")), "service_level_target_s"),
        (lambda d: d["agent_groups"][2]["skills"]["tech"].update(fcr=float("nan")), "agent_groups[2].skills.tech.fcr"),
        (lambda d: d["call_types"][2]["repeat"]["delay"].update(mean_s=float("inf")), "call_types[2].repeat.delay.exponential.mean_s"),
        (lambda d: d.update(metadata={"note": [1.0, float("-inf")]}), "metadata.note[1]"),
        (lambda d: d["call_types"][1]["patience"].update(sigma=1e9), "call_types[1].patience"),
        (lambda d: d["call_types"][1]["patience"].update(mu=1e308), "call_types[1].patience"),
        (lambda d: d["agent_groups"][0].update(head_count=[10**9]), "agent_groups[0].head_count"),
        (lambda d: d.update(interval_s=1e300), "horizon"),
    ],
)  # fmt: skip
def test_non_finite_and_absurd_numbers_are_refused_by_path(edit, path: str) -> None:
    data = _heterogeneous()
    edit(data)
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(data, source="my.yaml")
    assert path in str(err.value)


def test_a_valid_scenario_survives_its_own_round_trip() -> None:
    """The issue's case: ``sl_miss: .inf`` passed, and to_dict turned it into null."""
    data = _heterogeneous()
    data["call_types"][1]["cost"]["sl_miss"] = 1e300  # huge but finite: valid and kept
    scenario = Scenario.from_dict(data)
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    with pytest.raises(ScenarioError, match="finite"):
        data["call_types"][1]["cost"]["sl_miss"] = float("inf")
        Scenario.from_dict(data)


def test_too_many_expected_calls_are_refused_before_simulating(monkeypatch) -> None:
    data = _heterogeneous()
    data["call_types"][0]["arrival_rates_per_hour"] = 1e9  # per hour: 8e9 calls in the day
    with pytest.raises(ScenarioError, match=r"8e\+09 expected calls .* cap of 5e\+06"):
        Scenario.from_dict(data)
    assert Scenario.from_dict(data, max_expected_calls=1e10).expected_calls() > 8e9
    monkeypatch.setenv("RLROUTE_MAX_EXPECTED_CALLS", "1e10")
    assert Scenario.from_dict(data).expected_calls() > 8e9
    monkeypatch.setenv("RLROUTE_MAX_EXPECTED_CALLS", "1000")
    with pytest.raises(ScenarioError, match="cap of 1000"):
        load_scenario("heterogeneous")
    assert load_scenario("heterogeneous", max_expected_calls=1e4).name == "heterogeneous"
    monkeypatch.setenv("RLROUTE_MAX_EXPECTED_CALLS", "many")
    with pytest.raises(ScenarioError, match="not a number"):
        load_scenario("heterogeneous")


def test_repeats_that_never_stop_count_against_the_cap() -> None:
    """Every call repeats (probability 1, fcr 0) after a near-zero delay: unbounded work."""
    data = _heterogeneous()
    data["call_types"][2]["repeat"] = {
        "probability": 1.0,
        "delay": {"kind": "deterministic", "value_s": 0.0},
    }
    data["agent_groups"][0]["skills"]["tech"]["fcr"] = 0.0
    with pytest.raises(ScenarioError, match="expected calls"):
        Scenario.from_dict(data)
    data["call_types"][2]["repeat"]["delay"]["value_s"] = 1800.0  # a bounded number of tries
    assert Scenario.from_dict(data).expected_calls() < 1e5


@pytest.mark.parametrize("name", scenario_names())
def test_shipped_scenarios_are_far_below_the_cap(name: str) -> None:
    assert load_scenario(name).expected_calls() < 1e5
