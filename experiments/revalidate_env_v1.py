"""Re-validate the committed policies trained on ``rlroute/CallCenter-v0`` under v1, and record it.

``python experiments/revalidate_env_v1.py [RUN_DIR ...]`` (default: every
``experiments/*/runs*/seed*``). For each run whose ``run.json`` names v0:

1. **layout**: v1's observation and action names, on the run's scenario with its env options,
   must equal the names in ``run.json`` (the policy reads the same numbers in the same order);
2. **replay**: the delivered policy, served as a router under v1, must reproduce the KPIs that
   ``eval.jsonl`` logged at ``delivered_step`` during training on the run's eval seeds (every
   KPI, to 1e-12 relative: the observation values are unchanged too).

Only then are ``run.json`` (and ``policy.json`` beside it) moved to v1 with an
``env_revalidated`` record; a run that fails is left as it is (and refused by v1). No
retraining: the policies are the committed ones. ``--parity`` then re-runs the ONNX parity
check of the exported runs under v1 and compares it with their committed ``parity.json``.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import yaml

from rlroute.envs.versions import ENV_ID, ENV_VERSION
from rlroute.rl.callbacks import evaluate_router
from rlroute.rl.envinfo import env_layout
from rlroute.rl.router import SB3Router
from rlroute.rl.runs import RUN_INFO_FILE
from rlroute.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent
OLD_ID, OLD_VERSION = "rlroute/CallCenter-v0", 0


def _eval_seeds(run_dir: Path) -> list[int]:
    for cfg in (run_dir / "config.yaml", run_dir / ".hydra" / "config.yaml"):
        if cfg.exists():
            return [int(s) for s in yaml.safe_load(cfg.read_text())["eval"]["seeds"]]
    raise FileNotFoundError(f"{run_dir}: no config.yaml")


def revalidate(run_dir: Path) -> str:
    info_path = run_dir / RUN_INFO_FILE
    original = info_path.read_text()
    info = json.loads(original)
    if info["env_id"] != OLD_ID:
        return f"{run_dir}: skipped (env_id {info['env_id']})"
    scenario = load_scenario(info["scenario"])
    layout = env_layout(ENV_ID, scenario, **info["env_options"])
    if layout.observation_names != info["observation_names"]:
        return f"{run_dir}: FAILED, observation layout differs under v{ENV_VERSION}"
    if layout.action_names != info["action_names"]:
        return f"{run_dir}: FAILED, actions differ under v{ENV_VERSION}"
    rows = [json.loads(x) for x in (run_dir / "eval.jsonl").read_text().splitlines() if x.strip()]
    logged = next(r for r in rows if r["step"] == info["delivered_step"])
    seeds = _eval_seeds(run_dir)
    record = {
        "trained_on": OLD_ID,
        "date": date.today().isoformat(),
        "layout": "observation and action names identical under v1",
        "replay": (
            f"delivered policy (step {info['delivered_step']}) re-run under v1 on eval seeds "
            f"{seeds}: every KPI of eval.jsonl reproduced"
        ),
        "script": "experiments/revalidate_env_v1.py",
    }
    info.update(env_id=ENV_ID, env_version=ENV_VERSION, env_revalidated=record)
    info_path.write_text(json.dumps(info, indent=2, sort_keys=True))
    try:
        kpis = evaluate_router(scenario, lambda: SB3Router(run_dir), seeds)
        worst = max(
            abs(kpis[k] - logged[k]) / max(abs(logged[k]), 1e-300) for k in logged if k != "step"
        )
        if worst > 1e-12:
            raise ValueError(f"KPIs differ from eval.jsonl (max relative difference {worst:.3g})")
    except Exception as exc:
        info_path.write_text(original)
        return f"{run_dir}: FAILED, {exc}"
    sidecar = run_dir / "policy.json"
    if sidecar.exists():
        side = json.loads(sidecar.read_text())
        side.update(env_id=ENV_ID, env_version=ENV_VERSION, env_revalidated=record)
        sidecar.write_text(json.dumps(side, indent=2) + "\n")
    return f"{run_dir}: re-validated (cost_per_call {kpis['cost_per_call']:.6f}, max rel diff {worst:.3g})"


PARITY_FIELDS = ("n_obs", "action_mismatches", "max_abs_logit_diff", "sb3_predict_agreement")
PARITY_FIELDS += ("kpi_seeds", "kpis_identical", "kpi_max_abs_diff", "passed")


def parity(run_dir: Path) -> str:
    """ONNX parity of a re-validated run under v1, against its committed ``parity.json``
    (the same settings as ``rlroute-export both ... verify.n_obs=10000``): the same numbers."""
    from rlroute.export.parity import verify_parity

    committed = json.loads((run_dir / "parity.json").read_text())
    report = verify_parity(
        run_dir, committed["n_obs"], onnx_path=run_dir / "policy.onnx", atol=committed["atol"]
    ).to_dict()
    differ = {k: (committed[k], report[k]) for k in PARITY_FIELDS if committed[k] != report[k]}
    if differ:
        return f"{run_dir}: parity under v1 FAILED to match parity.json: {differ}"
    return (
        f"{run_dir}: parity under v1 identical to parity.json ({report['n_obs']} observations, "
        f"{report['action_mismatches']} mismatches, max |logit diff| "
        f"{report['max_abs_logit_diff']:.3g}, KPIs identical on seeds {report['kpi_seeds']})"
    )


def main(argv: list[str]) -> int:
    """``[--parity] [RUN_DIR ...]``: re-validate (default) or check parity of exported runs."""
    check_parity = bool(argv) and argv[0] == "--parity"
    argv = argv[1:] if check_parity else argv
    runs = [Path(a) for a in argv] or sorted(ROOT.glob("*/runs*/seed*"))
    failed = 0
    for run_dir in runs:
        if check_parity and not (run_dir / "policy.onnx").exists():
            continue
        line = parity(run_dir) if check_parity else revalidate(run_dir)
        failed += "FAILED" in line
        print(line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
