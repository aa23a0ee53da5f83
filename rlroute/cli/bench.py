"""rlroute-bench: benchmark routers on scenarios over many seeds (Hydra entry point).

    rlroute-bench                                  # configs/bench.yaml: all routers x scenarios
    rlroute-bench scenarios=[n_design] routers=[fifo,fifo_priority] seeds=20 n_jobs=4
    rlroute-bench gate=ci                          # the CI gate: exits 1 if a band is violated

Writes results.jsonl, results.csv, summary.csv, paired.csv, summary.md, benchmark.json and
plots/*.png into the Hydra run directory and prints the Markdown tables. Exit status: 0 on
success, 1 when the gate fails (every violation listed), 2 for a bad configuration.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from rlroute.bench.gate import BandsError, GateError, enforce_gate, load_bands
from rlroute.bench.report import write_report
from rlroute.bench.runner import run_benchmark
from rlroute.bench.specs import BenchConfigError, resolve_scenarios
from rlroute.scenario import ScenarioError
from rlroute.scenarios import config_dir

log = logging.getLogger("rlroute.bench")


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def bench(cfg: DictConfig, out_dir: str | Path) -> dict[str, Any]:
    """The benchmark task: run, write every output into ``out_dir``, then apply the gate.

    Raises :class:`BenchConfigError`, :class:`ScenarioError` or :class:`BandsError` for bad
    settings (before any simulation) and :class:`GateError` when a band is violated (after
    every output, ``benchmark.json`` included, is written).
    """
    bands = load_bands(_plain(cfg.bands)) if cfg.get("bands") is not None else None
    horizon = cfg.get("horizon_intervals")
    scenarios = resolve_scenarios(_plain(cfg.scenarios), horizon)
    result = run_benchmark(
        scenarios,
        _plain(cfg.routers),
        _plain(cfg.seeds),
        n_jobs=int(cfg.get("n_jobs", 1)),
        progress=bool(cfg.get("progress", True)),
    )
    table_kpis = list(_plain(cfg.table_kpis))
    reference = cfg.get("reference")
    if reference is not None and reference not in set(result.runs["router"]):
        log.warning("reference router %r did not run: no paired differences", reference)
    out = write_report(
        result,
        out_dir,
        reference=reference,
        table_kpis=table_kpis,
        scenarios=scenarios,
        robust=bool(cfg.get("robust", False)),
        plots=bool(cfg.get("plots", True)),
        n_boot=int(cfg.get("n_boot", 2000)),
    )
    print(out["markdown"])
    print(f"outputs: {Path(out_dir).resolve()}")
    violations = enforce_gate(out["summary"], bands, out_dir, kpis=table_kpis)
    if bands:
        n = sum(len(k) for r in bands.values() for k in r.values())
        print(f"benchmark gate passed: {n} band(s) checked")
    out["violations"] = violations
    out["result"] = result
    return out


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="bench")
def main(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    multirun = hc.mode == RunMode.MULTIRUN
    try:
        bench(cfg, hc.runtime.output_dir)
    except (BenchConfigError, ScenarioError, BandsError) as exc:
        print(f"rlroute-bench: bad configuration: {exc}", file=sys.stderr)
        if not multirun:
            sys.exit(2)
    except GateError as exc:
        print(f"rlroute-bench: {exc}", file=sys.stderr)
        if not multirun:  # in a sweep, one failing job is reported, not fatal
            sys.exit(1)


if __name__ == "__main__":
    main()
