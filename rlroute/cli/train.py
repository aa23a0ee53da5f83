"""``rlroute-train``: train a routing policy with stable-baselines3 (Hydra entry point).

    rlroute-train                                        # configs/train.yaml defaults
    rlroute-train algo=ppo scenario=single_pool seed=1 total_timesteps=200000
    rlroute-train experiment=rl_heterogeneous
    rlroute-train -m seed=0,1,2 algo=ppo,maskable_ppo hydra/launcher=parallel
    rlroute-train hydra.run.dir=outputs/run1 resume=true   # continue after a crash

The task is wrapped: in a multirun a failing run logs its exception (and writes
``error.txt`` in its output directory) and returns NaN instead of stopping the sweep. The
return value is the metric a sweeper minimises (``optimized_metric``, eval cost per call).

With ``benchmark.enabled=true`` (``experiment=quickstart`` sets it) the delivered policy is then
benchmarked against ``benchmark.baselines`` on the same simulated days by ``rlroute-bench``'s own
task, into ``<run dir>/benchmark/``: train and compare in one command.
"""

from __future__ import annotations

import logging
import math
import sys
import traceback
from pathlib import Path
from typing import Any, cast

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from rlroute.scenarios import config_dir

log = logging.getLogger("rlroute.train")


def run_training(cfg: DictConfig) -> float:
    """Train one run into Hydra's output directory and return the optimised metric."""
    from rlroute.rl.train import train

    hc = HydraConfig.get()
    multirun = hc.mode == RunMode.MULTIRUN
    run_dir = Path(hc.runtime.output_dir)
    if cfg.get("progress_bar") is None:
        OmegaConf.set_struct(cfg, False)
        cfg.progress_bar = not multirun
    plain: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    metric_name = str(cfg.get("optimized_metric", "eval/cost_per_call"))
    try:
        metrics = train(plain, run_dir)
    except Exception as exc:
        if not multirun:
            raise
        # One bad run must not take a sweep down: record it and report a NaN metric.
        (run_dir / "error.txt").write_text(traceback.format_exc())
        log.error(
            "run %s failed: %s: %s (traceback in error.txt)", run_dir, type(exc).__name__, exc
        )
        return math.nan
    bench_cfg = cfg.get("benchmark")
    if bench_cfg is not None and bench_cfg.get("enabled", False):
        from rlroute.bench.gate import BandsError, GateError
        from rlroute.bench.specs import BenchConfigError

        try:
            benchmark_policy(
                run_dir,
                plain["scenario"],
                cast(dict[str, Any], OmegaConf.to_container(bench_cfg, resolve=True)),
            )
        except (GateError, BandsError, BenchConfigError) as exc:
            # The trained run is complete either way; a failed gate or a bad benchmark
            # setting fails this command (or, in a sweep, is logged) with a readable message.
            log.error("post-training benchmark of %s: %s", run_dir, exc)
            if not multirun:
                sys.exit(1)
    value = float(metrics.get(metric_name, math.nan))
    log.info(
        "%s: %s = %.4f | %s",
        run_dir,
        metric_name,
        value,
        ", ".join(f"{k}={v:.4g}" for k, v in metrics.items() if k != metric_name),
    )
    return value


def benchmark_policy(run_dir: Path, scenario: Any, settings: dict[str, Any]) -> None:
    """Benchmark the run's delivered policy against baselines with ``rlroute-bench``'s task.

    The policy joins the baselines as router ``policy`` on the training scenario and on the
    benchmark seeds 0..n-1, which training and model selection never see (training days come
    from seeds >= 2**30, evaluation days from 100000..). Outputs go to ``run_dir/benchmark``.
    """
    from rlroute.cli.bench import bench

    routers = [
        *settings.get("baselines", []),
        {"name": "sb3", "path": str(run_dir), "label": "policy"},
    ]
    bench_cfg = OmegaConf.create(
        {
            "scenarios": [scenario],
            "routers": routers,
            "seeds": settings.get("seeds", 10),
            "reference": settings.get("reference", "fifo"),
            "n_jobs": settings.get("n_jobs", 1),
            "horizon_intervals": None,
            "bands": settings.get("bands"),
            "table_kpis": settings.get(
                "table_kpis",
                ["service_level", "asa", "abandon_rate", "occupancy", "fcr", "cost_per_call"],
            ),
            "robust": False,
            "n_boot": 2000,
            "plots": settings.get("plots", True),
            "progress": settings.get("progress", True),
        }
    )
    bench(bench_cfg, run_dir / "benchmark")


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="train")
def _hydra_main(cfg: DictConfig) -> float:
    return run_training(cfg)


def main() -> None:
    """Console script: ``rlroute-train``; bad names end with a clear message, not a traceback."""
    _hydra_main()


if __name__ == "__main__":
    main()
