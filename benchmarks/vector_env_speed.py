"""Vector env speed: steps/s of ``gym.make_vec`` on its two paths, in one process.

Run on demand (not a test)::

    python benchmarks/vector_env_speed.py [--scenario heterogeneous] [--num-envs 16]
        [--steps 300] [--rounds 2] [--skip-forced] [--json out.json]

* ``sync``: ``gym.make_vec(..., vectorization_mode="sync")`` of the single env (SAME_STEP
  autoreset; with ``--skip-forced`` each env wrapped in ``SkipForcedDecisions``);
* ``vector``: ``gym.make_vec(..., vectorization_mode="vector_entry_point")``, the batched
  :class:`rlroute.envs.vector.CallCenterVectorEnv` (``skip_forced`` inside the batch).

Both are driven by the same masked random policy (uniform over each row's valid actions, read
from ``action_masks()``), ``--steps`` batch steps per round (``x num_envs`` env steps),
alternating for ``--rounds`` rounds; the best round of each is shown (CPU time of this
process, which a shared machine disturbs less than the wall clock). Autoresets are included.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import rlroute  # noqa: F401 - registers rlroute/CallCenter-v1
from rlroute.envs.versions import ENV_ID
from rlroute.rl.wrappers import SkipForcedDecisions


def make(mode: str, scenario: str, num_envs: int, skip_forced: bool) -> gym.vector.VectorEnv:
    if mode == "sync":
        return gym.make_vec(
            ENV_ID,
            num_envs=num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
            wrappers=[SkipForcedDecisions] if skip_forced else None,
            scenario=scenario,
        )
    return gym.make_vec(
        ENV_ID,
        num_envs=num_envs,
        vectorization_mode="vector_entry_point",
        scenario=scenario,
        skip_forced=skip_forced,
    )


def masks_of(env: gym.vector.VectorEnv) -> np.ndarray:
    return np.stack(env.call("action_masks"))  # type: ignore[attr-defined]


def one_round(env: gym.vector.VectorEnv, steps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    uniforms = rng.random((steps, env.num_envs, 1))
    env.reset(seed=seed)
    t0 = time.process_time()
    for u in uniforms:
        m = masks_of(env)
        actions = (m.cumsum(1) > u * m.sum(1, keepdims=True)).argmax(1)
        env.step(actions)
    return steps * env.num_envs / (time.process_time() - t0)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        prog="python benchmarks/vector_env_speed.py",
        description="steps/s of gym.make_vec: SyncVectorEnv vs the batched vector env",
        epilog="example: python benchmarks/vector_env_speed.py --scenario long_chain_20x20",
    )
    ap.add_argument("--scenario", default="heterogeneous")
    ap.add_argument("--num-envs", type=int, default=16)
    ap.add_argument("--steps", type=int, default=300, help="batch steps per round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-forced", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    envs = {m: make(m, args.scenario, args.num_envs, args.skip_forced) for m in ("sync", "vector")}
    one_round(envs["vector"], 5, 0)  # compile/warm up outside the clock
    best = {m: 0.0 for m in envs}
    for r in range(args.rounds):
        for m, env in envs.items():
            best[m] = max(best[m], one_round(env, args.steps, 1000 + r))
    ratio = best["vector"] / best["sync"]
    print(
        f"{args.scenario} x {args.num_envs} envs (skip_forced={args.skip_forced}): "
        f"sync {best['sync']:.0f} steps/s, vector {best['vector']:.0f} steps/s, "
        f"ratio {ratio:.2f}"
    )
    out = {**vars(args), "json": None, "steps_per_s": best, "ratio": ratio}
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
