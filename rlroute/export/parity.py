"""Verified parity: the ONNX graph decides exactly as the torch policy it came from.

:func:`verify_parity` draws observations and masks from the environment (simulated days on
which the trained policy routes, with some random valid actions mixed in so that states off
the policy's own path are covered too), keeping only decision epochs with a real choice, and
compares on all of them:

* the ONNX action with the torch action (:class:`rlroute.rl.policy.TorchPolicy`, the rule the
  SB3 router serves), which must agree every time;
* the masked logits on valid entries (max absolute difference <= ``atol``);
* the torch rule with SB3's own ``model.predict`` (deterministic, with the mask for
  MaskablePPO), so that our serving rule is SB3's;
* the KPIs of ``SB3Router`` and ``OnnxRouter`` on the same simulator seeds, which must be
  identical.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rlroute.envs.layout import SimObserver
from rlroute.export.onnx_router import OnnxPolicy, OnnxRouter
from rlroute.rl.policy import TorchPolicy
from rlroute.rl.runs import load_run
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator


@dataclass
class ParityReport:
    """Numbers of one parity check; ``passed`` is what CI looks at."""

    n_obs: int
    action_mismatches: int
    max_abs_logit_diff: float
    sb3_predict_agreement: float  # share of obs where model.predict == torch rule (valid acts)
    kpi_seeds: list[int]
    kpis_identical: bool
    kpi_max_abs_diff: float
    atol: float
    onnx_path: str
    sidecar: str
    wall_s: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            self.action_mismatches == 0
            and self.max_abs_logit_diff <= self.atol
            and self.sb3_predict_agreement == 1.0
            and self.kpis_identical
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}

    def summary(self) -> str:
        return (
            f"parity {'PASSED' if self.passed else 'FAILED'}: {self.n_obs} observations, "
            f"{self.action_mismatches} action mismatches, max |logit diff| = "
            f"{self.max_abs_logit_diff:.3g} (atol {self.atol:g}), SB3 predict agreement "
            f"{self.sb3_predict_agreement:.4f}, KPIs identical on seeds {self.kpi_seeds}: "
            f"{self.kpis_identical}"
        )


def collect_observations(
    policy: TorchPolicy,
    observer: SimObserver,
    scenario: Any,
    n_obs: int,
    seed: int = 0,
    epsilon: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """At least ``n_obs`` (obs, mask) pairs from decision epochs with two or more valid actions,
    on days routed by ``policy`` with probability ``1 - epsilon`` per decision, else a random
    valid action. Deterministic in ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0FFEE]))
    obs_rows: list[np.ndarray] = []
    mask_rows: list[np.ndarray] = []
    day = 0
    while len(obs_rows) < n_obs:
        sim = Simulator(scenario, int(rng.integers(2**31)))
        day += 1
        while sim.advance():
            mask = observer.mask(sim)
            valid = np.flatnonzero(mask)
            if len(valid) == 1:
                sim.step(int(valid[0]))
                continue
            obs = observer(sim)
            obs_rows.append(obs)
            mask_rows.append(mask)
            a = int(rng.choice(valid)) if rng.random() < epsilon else policy.act_one(obs, mask)
            sim.step(a)
    return np.stack(obs_rows), np.stack(mask_rows)


def _sb3_predict(policy: TorchPolicy, algo: str, obs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x = policy.obs_norm(obs)
    if algo == "maskable_ppo":
        actions, _ = policy.model.predict(x, action_masks=mask, deterministic=True)
    else:
        actions, _ = policy.model.predict(x, deterministic=True)
    return np.asarray(actions)


def verify_parity(
    run_dir: str | Path,
    n_obs: int = 10_000,
    *,
    onnx_path: str | Path | None = None,
    seed: int = 0,
    kpi_seeds: list[int] | None = None,
    atol: float = 1e-4,
    scenario: Any = None,
) -> ParityReport:
    """Compare torch and ONNX on ``n_obs`` environment observations and on full simulations.

    ``onnx_path`` defaults to ``<run_dir>/policy.onnx`` (exported first if missing);
    ``scenario`` defaults to the one the run was trained on.
    """
    t0 = time.perf_counter()
    run = load_run(run_dir)
    if onnx_path is None:
        onnx_path = run.run_dir / "policy.onnx"
        if not Path(onnx_path).exists():
            from rlroute.export.onnx_export import export_run

            export_run(run, onnx_path)
    onnx = OnnxPolicy(onnx_path)
    torch_policy = TorchPolicy.from_run(run)
    sc = load_scenario(scenario or run.info.scenario)
    observer = SimObserver(run.info.env_id, sc, run.info.env_options)
    onnx.sidecar.check_env(
        env_id=observer.layout.env_id,
        env_version=observer.layout.env_version,
        observation_names=observer.layout.observation_names,
        action_names=observer.layout.action_names,
        where=str(onnx_path),
    )

    obs, mask = collect_observations(torch_policy, observer, sc, n_obs, seed)
    t_logits = torch_policy.masked_logits(obs, mask)
    t_act = t_logits.argmax(axis=1)
    o_logits, o_act = onnx.run(obs, mask)
    diff = np.abs(t_logits.astype(np.float64) - o_logits.astype(np.float64))[mask]
    mismatches = int((t_act != o_act).sum())

    pred = _sb3_predict(torch_policy, run.info.algo, obs, mask)
    # Unmasked algorithms may prefer an invalid action; there the mask decides (as served).
    comparable = mask[np.arange(len(pred)), pred]
    agreement = float((pred[comparable] == t_act[comparable]).mean()) if comparable.any() else 1.0

    from rlroute.rl.router import SB3Router

    kpi_seeds = list(kpi_seeds if kpi_seeds is not None else range(3))
    max_kpi = 0.0
    identical = True
    for s in kpi_seeds:
        a = Simulator(sc, s).run(SB3Router(run.run_dir)).overall
        b = Simulator(sc, s).run(OnnxRouter(onnx_path)).overall
        for k in a:
            if a[k] != b[k] and not (np.isnan(a[k]) and np.isnan(b[k])):
                identical = False
                max_kpi = max(max_kpi, abs(a[k] - b[k]))
    return ParityReport(
        n_obs=len(obs),
        action_mismatches=mismatches,
        max_abs_logit_diff=float(diff.max()) if diff.size else 0.0,
        sb3_predict_agreement=agreement,
        kpi_seeds=kpi_seeds,
        kpis_identical=identical,
        kpi_max_abs_diff=max_kpi,
        atol=atol,
        onnx_path=str(onnx_path),
        sidecar=str(Path(onnx_path).with_suffix(".json")),
        wall_s=time.perf_counter() - t0,
        details={
            "algo": run.info.algo,
            "scenario": sc.name,
            "valid_actions_mean": float(mask.sum(axis=1).mean()),
            "sb3_predict_comparable": int(comparable.sum()),
            "exporter": onnx.sidecar.exporter,
        },
    )


def bench_identical(results_csv: str | Path, a: str, b: str) -> dict[str, Any]:
    """Compare two routers of an ``rlroute-bench`` ``results.csv`` seed by seed, KPI by KPI
    (everything but ids, provenance and wall time); ``identical`` is what CI checks."""
    import pandas as pd

    runs = pd.read_csv(results_csv)
    skip = {"scenario", "router", "seed", "router_name", "router_kwargs", "config_hash", "wall_s"}
    kpis = [c for c in runs.columns if c not in skip]
    x = runs[runs.router == a].set_index(["scenario", "seed"])[kpis].sort_index()
    y = runs[runs.router == b].set_index(["scenario", "seed"])[kpis].sort_index()
    if x.empty or y.empty:
        known = sorted(set(runs.router))
        raise ValueError(f"{results_csv}: routers {a!r} and {b!r} must both be in {known}")
    same_index = x.index.equals(y.index)
    diff = (x - y).abs().max().max() if same_index else float("nan")
    return {
        "identical": bool(same_index and x.equals(y)),
        "n_runs": len(x),
        "n_kpis": len(kpis),
        "max_abs_diff": float(diff),
    }


def write_report(report: ParityReport, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return path


__all__ = [
    "ParityReport",
    "bench_identical",
    "collect_observations",
    "verify_parity",
    "write_report",
]


def _main(argv: list[str] | None = None) -> int:
    """``python -m rlroute.export.parity RESULTS_CSV ROUTER_A ROUTER_B``: exit 1 unless equal."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m rlroute.export.parity",
        description="Check that two routers of an rlroute-bench results.csv have identical KPIs "
        "on every run (an SB3 policy and its ONNX export); exit status 1 if they differ.",
        epilog="example:\n  python -m rlroute.export.parity outputs/ci/bench/results.csv "
        "tiny_sb3 tiny_onnx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("results_csv", help="results.csv written by rlroute-bench")
    parser.add_argument("router_a", help="a router label in it")
    parser.add_argument("router_b", help="another router label in it")
    args = parser.parse_args(argv)
    out = bench_identical(args.results_csv, args.router_a, args.router_b)
    verdict = "identical" if out["identical"] else "DIFFERENT"
    print(
        f"{args.router_a} vs {args.router_b}: {verdict} KPIs on {out['n_runs']} runs x "
        f"{out['n_kpis']} KPIs (max |diff| {out['max_abs_diff']:.3g})"
    )
    return 0 if out["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(_main())
