"""The compiled engine refuses, by name, a scenario using what only the reference simulates."""

from __future__ import annotations

import pytest

from rlroute.envs.compiled_batch import CompiledBatch
from rlroute.envs.fast_batch import FastBatch
from rlroute.envs.vector import CallCenterVectorEnv
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim.fast import FastSimulator, UnsupportedScenarioError
from rlroute.sim.fast.batch import BatchSimulator


def _with_not_ready() -> Scenario:
    data = load_scenario("heterogeneous").to_dict()
    data["agent_groups"][1]["not_ready"] = {"rate_per_hour": 2.0, "mean_length_s": 300.0}
    return Scenario.from_dict(data)


@pytest.mark.parametrize(
    "build",
    [
        lambda sc: FastSimulator(sc, 0),
        lambda sc: BatchSimulator(sc, 2),
        lambda sc: FastBatch(sc, 2),
        lambda sc: CompiledBatch(sc, 2),
        lambda sc: CallCenterVectorEnv(2, sc),
    ],
    ids=["FastSimulator", "BatchSimulator", "FastBatch", "CompiledBatch", "vector env"],
)
def test_not_ready_is_refused_by_name(build) -> None:
    sc = _with_not_ready()
    name = sc.agent_groups[1].name
    with pytest.raises(UnsupportedScenarioError, match="not-ready") as err:
        build(sc)
    assert name in str(err.value) and "reference" in str(err.value)
    assert isinstance(err.value, ValueError)
