"""The CI gate's bands (configs/gate/ci.yaml): sane, consistent with theory, and sharp enough."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir

from rlroute.bench import check_bands, load_bands, run_benchmark, summarize
from rlroute.scenarios import config_dir, load_scenario
from rlroute.theory.erlang import erlang_a_metrics

FRACTIONS = {"service_level", "abandon_rate", "occupancy", "fcr"}


@pytest.fixture(scope="module")
def ci_cfg():
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(config_name="bench", overrides=["gate=ci"])


@pytest.fixture(scope="module")
def bands(ci_cfg):
    return load_bands(dict(ci_cfg.bands))


def test_gate_config_sets_the_run_its_bands_were_measured_for(ci_cfg, bands):
    assert ci_cfg.seeds == 10 and ci_cfg.horizon_intervals == 8
    assert set(bands) == set(ci_cfg.scenarios)
    assert all(set(r) <= set(ci_cfg.routers) for r in bands.values())


def test_gate_covers_every_library_scenario(ci_cfg):
    library = {p.stem for p in (config_dir() / "scenario").glob("*.yaml")}
    assert set(ci_cfg.scenarios) == library


def test_bands_are_physically_sane(bands):
    for scenario, routers in bands.items():
        for router, kpis in routers.items():
            assert {"service_level", "abandon_rate", "asa", "occupancy", "offered"} <= set(kpis)
            for kpi, (lo, hi) in kpis.items():
                assert lo is not None and hi is not None and 0 <= lo < hi, (scenario, kpi)
                if kpi in FRACTIONS:
                    assert hi <= 1, (scenario, router, kpi)


def test_single_pool_bands_contain_erlang_a(bands):
    sp = load_scenario("single_pool")
    ct, grp = sp.call_types[0], sp.agent_groups[0]
    ea = erlang_a_metrics(
        ct.arrival_rates_per_hour[0] / 3600,
        grp.skills["call"].handle_time.mean,
        grp.head_count[0],
        ct.patience.mean,
        sp.service_level_target_s,
    )
    fifo = bands["single_pool"]["fifo"]
    lo, hi = fifo["abandon_rate"]
    assert lo < ea.p_abandon < hi
    lo, hi = fifo["asa"]
    assert lo < ea.asa_served_s < hi
    lo, hi = fifo["occupancy"]
    assert lo < ea.occupancy < hi + 0.02  # the run starts empty: a little below steady state


def _single_pool_violations(bands, scenario: dict) -> list[str]:
    res = run_benchmark([scenario], ["fifo"], seeds=10, progress=False, horizon_intervals=8)
    sub = {"single_pool": {"fifo": bands["single_pool"]["fifo"]}}
    return [str(v) for v in check_bands(summarize(res.runs), sub)]


def test_gate_passes_the_model_and_catches_broken_ones(bands):
    good = load_scenario("single_pool").to_dict()
    assert _single_pool_violations(bands, good) == []

    slow = load_scenario("single_pool").to_dict()
    slow["agent_groups"][0]["skills"]["call"]["handle_time"]["mean_s"] *= 1.10
    broken = _single_pool_violations(bands, slow)
    assert any(v.startswith("single_pool/fifo/abandon_rate") for v in broken)

    patient = load_scenario("single_pool").to_dict()
    patient["call_types"][0]["patience"] = None  # abandonment switched off
    broken = _single_pool_violations(bands, patient)
    assert "single_pool/fifo/abandon_rate = 0 outside [0.026, 0.069]" in broken
