"""``rlroute-export``: export a training run to ONNX and verify parity (Hydra entry point).

    rlroute-export run_dir=outputs/ci/train            # policy.onnx + policy.json
    rlroute-export verify run_dir=outputs/ci/train     # parity report, exit 1 on failure
    rlroute-export both run_dir=... out=policy.onnx

A first positional word ``export``, ``verify`` or ``both`` is shorthand for ``mode=...``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from rlroute.scenarios import config_dir

log = logging.getLogger("rlroute.export")
MODES = ("export", "verify", "both")


def run_export(cfg: DictConfig) -> int:
    """Export and/or verify; returns the process exit status."""
    from rlroute.export.sidecar import SidecarError
    from rlroute.rl.runs import RunError

    mode = str(cfg.mode)
    if mode not in MODES:
        print(f"rlroute-export: unknown mode {mode!r}; use one of {list(MODES)}", file=sys.stderr)
        return 2
    run_dir = Path(str(cfg.run_dir))
    out = None if cfg.out is None else Path(str(cfg.out))
    try:
        onnx_path = out if out is not None else run_dir / "policy.onnx"
        if mode in ("export", "both"):
            from rlroute.export.onnx_export import export_run

            onnx_path, side = export_run(run_dir, out, exporter=str(cfg.exporter))
            print(f"wrote {onnx_path} and {side}")
        if mode in ("verify", "both"):
            from rlroute.export.parity import verify_parity, write_report

            v = cfg.verify
            report = verify_parity(
                run_dir,
                int(v.n_obs),
                onnx_path=onnx_path,
                seed=int(v.seed),
                kpi_seeds=[int(s) for s in v.kpi_seeds],
                atol=float(v.atol),
            )
            path = write_report(report, Path(onnx_path).with_name("parity.json"))
            print(report.summary())
            print(f"wrote {path}")
            print(
                json.dumps(
                    {
                        k: report.to_dict()[k]
                        for k in ("n_obs", "action_mismatches", "max_abs_logit_diff", "passed")
                    }
                )
            )
            return 0 if report.passed else 1
    except (RunError, SidecarError, ValueError) as exc:
        print(f"rlroute-export: {exc}", file=sys.stderr)
        return 2
    return 0


_status = 0


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="export")
def _hydra_main(cfg: DictConfig) -> None:
    global _status
    _status = run_export(cfg)


def main() -> None:
    """Console script: ``rlroute-export [export|verify|both] run_dir=... [key=value ...]``."""
    if len(sys.argv) > 1 and sys.argv[1] in MODES:
        sys.argv = [sys.argv[0], *sys.argv[2:], f"mode={sys.argv[1]}"]
    _hydra_main()
    sys.exit(_status)


if __name__ == "__main__":
    main()
