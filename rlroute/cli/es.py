"""``rlroute-es``: fine-tune a trained policy by evolution strategies (Hydra entry point).

    rlroute-es init=experiments/rl_es/runs/clone_index150/seed0 seed=0
    rlroute-es init=outputs/train/my_clone seed=1 iterations=50 hydra.run.dir=outputs/es1

The method and its settings: :mod:`rlroute.rl.es` and ``docs/rl_es.md``. The output (Hydra's
run directory) is a run directory as ``rlroute-train`` writes one, plus ``es.jsonl``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from rlroute.scenarios import config_dir

log = logging.getLogger("rlroute.es")

#: Keys of es.yaml that are not ESSettings fields.
_NOT_SETTINGS = ("run_name",)


def run(cfg: DictConfig) -> float:
    """One ES run into Hydra's output directory; returns the eval cost per call."""
    from rlroute.rl.es import run_es

    plain: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    settings = {k: v for k, v in plain.items() if k not in _NOT_SETTINGS}
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    metrics = run_es(settings, run_dir, log=log)
    log.info("%s: %s", run_dir, ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
    return float(metrics["eval/cost_per_call"])


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="es")
def _hydra_main(cfg: DictConfig) -> float:
    return run(cfg)


def main() -> None:
    """Console script: ``rlroute-es``."""
    _hydra_main()


if __name__ == "__main__":
    main()
