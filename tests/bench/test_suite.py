"""The RL benchmark suite (configs/suite/rl.yaml): it composes, names existing scenarios, and
every shipped rule runs on every suite scenario (shortened) through the benchmark runner."""

from __future__ import annotations

from hydra import compose, initialize_config_dir

from rlroute.bench.runner import run_benchmark
from rlroute.policies import HEURISTICS
from rlroute.scenario import Scenario
from rlroute.scenarios import config_dir, load_scenario

SUITE = ["heterogeneous", "long_chain_20x20", "anonymous_bank_profiled", "reservation"]


def _compose(overrides: list[str]):
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(config_name="bench", overrides=overrides)


def _first_minutes(name: str, minutes: float = 4.0) -> Scenario:
    data = load_scenario(name).to_dict()
    data["n_intervals"], data["interval_s"], data["intervals_per_day"] = 1, 60.0 * minutes, None
    for ct in data["call_types"]:
        for key in ("arrival_rates_per_hour", "handle_time_profile"):
            if ct.get(key):
                # the busiest interval of the day, so that every scenario has work to route
                ct[key] = [max(ct[key])] if key == "arrival_rates_per_hour" else ct[key][:1]
    for grp in data["agent_groups"]:
        grp["head_count"] = [max(grp["head_count"])]
    return Scenario.from_dict(data)


def test_suite_config_composes_and_names_the_suite() -> None:
    cfg = _compose(["suite=rl"])
    assert list(cfg.scenarios) == SUITE
    assert cfg.reference == "cmu_theta" and cfg.routers == "all"
    for name in SUITE:
        load_scenario(name)  # exists and validates


def test_every_rule_runs_on_every_suite_scenario() -> None:
    scenarios = [_first_minutes(n) for n in SUITE]
    result = run_benchmark(scenarios, "all", seeds=1, progress=False)
    runs = result.runs
    assert set(runs["router"]) == set(HEURISTICS)
    assert len(runs) == len(SUITE) * len(HEURISTICS)
    assert (runs["answered"] > 0).all()
    assert runs["cost_per_call"].notna().all()


def test_reservation_pays_in_the_reservation_scenario() -> None:
    """The scenario's reason to exist: keeping one agent free for premium calls (threshold)
    beats every work-conserving rule, on the same days."""
    sc = load_scenario("reservation")
    data = sc.to_dict() | {"n_intervals": 4}
    short = Scenario.from_dict(data)
    result = run_benchmark([short], "all", seeds=[0, 1], progress=False)
    cost = result.runs.groupby("router")["cost_per_call"].mean()
    work_conserving = cost.drop("threshold")
    assert cost["threshold"] < 0.7 * work_conserving.min(), cost.to_dict()
