"""The benchmark runner: deterministic, independent of n_jobs, and on common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rlroute.bench import paired_differences, run_benchmark
from rlroute.bench.runner import ID_COLUMNS, kpi_columns

SMALL = dict(seeds=3, progress=False, horizon_intervals=2)


@pytest.fixture(scope="module")
def result():
    return run_benchmark(["n_design", "single_pool"], ["fifo", "fifo_priority"], **SMALL)


def test_one_row_per_scenario_router_seed(result):
    runs = result.runs
    assert len(runs) == 2 * 2 * 3
    assert not runs.duplicated(ID_COLUMNS).any()
    assert list(runs.columns[:3]) == ID_COLUMNS
    for kpi in ("service_level", "asa", "abandon_rate", "occupancy", "cost", "wait_p90"):
        assert kpi in kpi_columns(runs)
    assert set(runs["config_hash"].str.len()) == {64}
    # the finer views share the ids
    assert set(result.by_type["call_type"]) == {"A", "B", "call"}
    assert result.by_interval.groupby(ID_COLUMNS).size().eq(2).all()
    assert not result.by_group.empty


def _kpis(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.drop(columns=["wall_s"])  # timing is the one thing that may differ


def test_same_seeds_same_results(result):
    again = run_benchmark(["n_design", "single_pool"], ["fifo", "fifo_priority"], **SMALL)
    pd.testing.assert_frame_equal(_kpis(result.runs), _kpis(again.runs))
    pd.testing.assert_frame_equal(result.by_interval, again.by_interval)


def test_results_do_not_depend_on_n_jobs(result):
    par = run_benchmark(["n_design", "single_pool"], ["fifo", "fifo_priority"], n_jobs=2, **SMALL)
    pd.testing.assert_frame_equal(_kpis(result.runs), _kpis(par.runs))


def test_other_seeds_other_results(result):
    other = run_benchmark(
        ["n_design"], ["fifo"], seeds=[10, 11, 12], progress=False, horizon_intervals=2
    )
    mine = result.runs.query("scenario == 'n_design' and router == 'fifo'")
    assert not np.array_equal(mine["offered"].to_numpy(), other.runs["offered"].to_numpy())


def test_identical_routers_have_exactly_zero_paired_differences():
    res = run_benchmark(["n_design"], ["fifo", {"name": "fifo", "label": "fifo_twin"}], **SMALL)
    diff = paired_differences(res.runs, reference="fifo")
    assert set(diff["router"]) == {"fifo_twin"}
    finite = diff.dropna(subset=["mean_diff"])
    assert len(finite) > 20
    assert (finite["mean_diff"] == 0).all() and (finite["half_width"] == 0).all()
    assert not finite["significant"].any()


def test_routers_face_the_same_callers(result):
    # Common random numbers: routing cannot change who calls (no repeats in these scenarios).
    wide = result.runs.pivot_table(index=["scenario", "seed"], columns="router", values="offered")
    assert (wide["fifo"] == wide["fifo_priority"]).all()
    # ... and where routing has no choice (one type, one pool) every KPI is the same.
    sp = result.runs[result.runs["scenario"] == "single_pool"]
    a = _kpis(sp[sp["router"] == "fifo"]).drop(
        columns=["router", "router_name", "router_kwargs", "config_hash"]
    )
    b = _kpis(sp[sp["router"] == "fifo_priority"]).drop(
        columns=["router", "router_name", "router_kwargs", "config_hash"]
    )
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_priority_changes_the_n_design(result):
    # Not all zero: the paired differences do see a routing change where there is a choice.
    diff = paired_differences(result.runs, "fifo", ["asa", "abandon_rate"])
    nd = diff[diff["scenario"] == "n_design"]
    assert (nd["mean_diff"].abs() > 0).any()


def test_a_failing_router_is_named():
    from rlroute.policies import ROUTERS, register_router

    class Broken:
        name = "broken"

        def reset(self, sim):
            pass

        def act(self, sim):
            raise ZeroDivisionError("boom")

    register_router("_test_broken", Broken)
    try:
        with pytest.raises(
            RuntimeError, match=r"router '_test_broken' on scenario 'n_design', seed 0"
        ):
            run_benchmark(
                ["n_design"], ["_test_broken"], seeds=1, progress=False, horizon_intervals=1
            )
    finally:
        del ROUTERS["_test_broken"]
