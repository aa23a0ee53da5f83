"""Decision latency of a trained policy at batch 1: torch (SB3) vs onnxruntime, in microseconds.

    python benchmarks/policy_latency.py outputs/ci/train            # a run directory
    python benchmarks/policy_latency.py RUN_DIR --n 5000 --json latency.json

Observations and masks come from the environment (decision epochs with a real choice, as in
:func:`rlroute.export.parity.collect_observations`). For each path the same observations are
decided one at a time, timed with ``perf_counter_ns`` around the call, after a warm-up; one
thread everywhere (``torch.set_num_threads(1)``, onnxruntime ``intra_op_num_threads=1``).

* ``torch_rule``: :class:`rlroute.rl.policy.TorchPolicy.act_one` (normalise, network, mask,
  argmax), what ``SB3Router`` runs;
* ``sb3_predict``: SB3's ``model.predict`` on the normalised observation (with the mask for
  MaskablePPO), the library's own path;
* ``onnxruntime``: ``InferenceSession.run`` of ``policy.onnx`` (normalisation and mask inside);
* ``router_*``: a whole ``act(sim)`` of the SB3 and ONNX routers on a live simulator
  (observation building included), per decision with a choice.

A benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch


def _stats(ns: list[int]) -> dict[str, float]:
    us = np.asarray(ns, dtype=np.float64) / 1e3
    return {
        "median_us": float(np.median(us)),
        "p90_us": float(np.percentile(us, 90)),
        "p99_us": float(np.percentile(us, 99)),
        "mean_us": float(us.mean()),
        "n": len(us),
    }


def _time(fn, obs: np.ndarray, mask: np.ndarray, warmup: int = 200) -> list[int]:
    for i in range(min(warmup, len(obs))):
        fn(obs[i], mask[i])
    out = []
    clock = time.perf_counter_ns
    for i in range(len(obs)):
        t = clock()
        fn(obs[i], mask[i])
        out.append(clock() - t)
    return out


def main() -> None:
    from rlroute.envs.layout import SimObserver
    from rlroute.export.onnx_export import export_run
    from rlroute.export.onnx_router import OnnxPolicy, OnnxRouter
    from rlroute.export.parity import collect_observations
    from rlroute.rl.policy import TorchPolicy
    from rlroute.rl.router import SB3Router
    from rlroute.rl.runs import load_run
    from rlroute.scenarios import load_scenario
    from rlroute.sim import Simulator

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--n", type=int, default=5000, help="decisions timed per path")
    ap.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = ap.parse_args()

    torch.set_num_threads(1)
    run = load_run(args.run_dir)
    onnx_path = run.run_dir / "policy.onnx"
    if not onnx_path.exists():
        export_run(run, onnx_path)
    policy = TorchPolicy.from_run(run)
    onnx = OnnxPolicy(onnx_path, threads=1)
    sc = load_scenario(run.info.scenario)
    observer = SimObserver(run.info.env_id, sc, run.info.env_options)
    obs, mask = collect_observations(policy, observer, sc, args.n, seed=1)
    obs, mask = obs[: args.n], mask[: args.n]

    masked = run.info.algo == "maskable_ppo"

    def sb3_predict(o: np.ndarray, m: np.ndarray) -> int:
        x = policy.obs_norm(o[None, :])
        if masked:
            return int(run.model.predict(x, action_masks=m[None, :], deterministic=True)[0][0])
        return int(run.model.predict(x, deterministic=True)[0][0])

    sess = onnx.session

    def ort_run(o: np.ndarray, m: np.ndarray) -> int:
        return int(sess.run(["action"], {"obs": o[None, :], "action_mask": m[None, :]})[0][0])

    results = {
        "torch_rule": _stats(_time(policy.act_one, obs, mask)),
        "sb3_predict": _stats(_time(sb3_predict, obs, mask)),
        "onnxruntime": _stats(_time(ort_run, obs, mask)),
    }

    # Whole router decisions on a live simulator (observation building included).
    for label, router in (
        ("router_sb3", SB3Router(run.run_dir)),
        ("router_onnx", OnnxRouter(onnx_path)),
    ):
        sim = Simulator(sc, 12345)
        router.reset(sim)
        ns: list[int] = []
        clock = time.perf_counter_ns
        while sim.advance() and len(ns) < args.n:
            if sim.action_mask(observer.work_conserving).sum() > 1:
                t = clock()
                a = router.act(sim)
                ns.append(clock() - t)
            else:
                a = router.act(sim)
            sim.step(a)
        results[label] = _stats(ns)

    meta = {
        "run_dir": str(run.run_dir),
        "algo": run.info.algo,
        "obs_dim": int(obs.shape[1]),
        "n_actions": int(mask.shape[1]),
        "torch": torch.__version__,
        "onnxruntime": __import__("onnxruntime").__version__,
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
        "threads": 1,
    }
    print(
        f"decision latency at batch 1 ({meta['algo']}, obs {meta['obs_dim']}, actions {meta['n_actions']})"
    )
    print(f"{'path':14s} {'median':>9s} {'p90':>9s} {'p99':>9s}   (microseconds)")
    for k, v in results.items():
        print(f"{k:14s} {v['median_us']:9.1f} {v['p90_us']:9.1f} {v['p99_us']:9.1f}")
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "latency": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
