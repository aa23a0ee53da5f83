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
            "call_types.0.arrival_rates_per_hour",
            "Field required",
        ),
        (
            lambda d: d["call_types"][0].update(arrival_rates_per_hour=[-1.0]),
            "call_types.0.arrival_rates_per_hour",
            ">= 0",
        ),
        (
            lambda d: d["agent_groups"][0].update(head_count=[1, 2, 3]),
            "agent_groups.0.head_count",
            "expected 1 or n_intervals=1",
        ),
        (
            lambda d: d["agent_groups"][0].update(head_count=[-2]),
            "agent_groups.0.head_count",
            ">= 0",
        ),
        (
            lambda d: d["agent_groups"][0]["skills"]["call"]["handle_time"].update(kind="weibull"),
            "agent_groups.0.skills.call.handle_time",
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
