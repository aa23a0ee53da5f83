"""Training throughput: steps per second of ``rlroute-train`` on both env backends, one process.

Run on demand (not a test)::

    python benchmarks/train_speed.py [--steps 40000] [--rounds 1] [--json out.json]
        [--scenario long_chain_20x20] [--override n_envs=16 ...]

Three configurations are trained back to back, alternating for ``--rounds`` rounds, each for
``--steps`` environment steps (``model.learn``; no evaluation, checkpoint or benchmark):

* ``reference``: ``experiment=rl_heterogeneous env.backend=reference``: the training part of
  ``rlroute-train experiment=quickstart`` as it was (8 envs x 512 steps, minibatch 512, a
  DummyVecEnv of ``Monitor(SkipForcedDecisions(env))``);
* ``fast_same``: the same settings on ``env.backend=fast`` (the same samples and weights, bit
  for bit: only the environment's cost changes);
* ``fast_tuned``: ``experiment=quickstart`` as configured now, on the fast backend.

For each the table gives steps/s and where the time went: ``env`` (the training envs' step,
reset and ``action_masks``, measured under VecNormalize), ``policy`` (the rest of the rollout
collection: the policy's forward pass, VecNormalize, the rollout buffer, callbacks) and
``update`` (``model.train()``: the gradient epochs); the first reset (before training) counts
in the total only. Times are this process's CPU time (``--clock wall``: the wall clock), which
a shared machine disturbs less; still, compare the ratios of one run, not numbers across runs.
``--scenario`` trains on another scenario (e.g. ``long_chain_20x20``) with the same settings;
``--override`` adds Hydra overrides to every configuration.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecNormalize

from rlroute.rl.determinism import configure_torch
from rlroute.rl.train import TrainSettings, apply_cost_overrides, make_vec_env, train_env_seed
from rlroute.scenarios import config_dir

#: The clock of every measurement (``--clock``): CPU time of this process by default, which a
#: loaded machine disturbs less than the wall clock (torch runs one thread: torch_threads=1).
_clock = time.process_time

CONFIGS = {
    "reference": ["experiment=rl_heterogeneous", "env.backend=reference"],
    "fast_same": ["experiment=rl_heterogeneous", "env.backend=fast"],
    "fast_tuned": ["experiment=quickstart", "env.backend=fast"],
}


class _EnvClock(VecEnvWrapper):
    """Time spent in the wrapped training envs during rollouts (step with its autoresets,
    env_method)."""

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self.seconds = 0.0

    def reset(self) -> Any:
        return self.venv.reset()

    def step_wait(self) -> Any:
        t = _clock()
        out = self.venv.step_wait()
        self.seconds += _clock() - t
        return out

    def env_method(self, *args: Any, **kwargs: Any) -> list[Any]:
        t = _clock()
        out = self.venv.env_method(*args, **kwargs)
        self.seconds += _clock() - t
        return out


class _PhaseClock(BaseCallback):
    """Rollout collection time (start to end of each rollout); the rest of learn() is update."""

    def __init__(self) -> None:
        super().__init__()
        self.rollout = 0.0
        self._t = 0.0

    def _on_rollout_start(self) -> None:
        self._t = _clock()

    def _on_rollout_end(self) -> None:
        self.rollout += _clock() - self._t

    def _on_step(self) -> bool:
        return True


def compose_config(overrides: list[str]) -> dict[str, Any]:
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


def measure(cfg: dict[str, Any], steps: int) -> dict[str, Any]:
    """Train ``steps`` steps of ``cfg`` as rlroute-train does (without evals): timings."""
    settings = TrainSettings.from_config(cfg)
    configure_torch(settings.torch_threads, settings.torch_deterministic, settings.device)
    from rlroute.rl.algos import sb3_kwargs

    scenario = apply_cost_overrides(settings.scenario, settings.cost_overrides)
    clock = _EnvClock(make_vec_env(settings, scenario))
    venv: VecEnv = clock
    if settings.norm_obs or settings.norm_reward:
        venv = VecNormalize(
            clock,
            norm_obs=settings.norm_obs,
            norm_reward=settings.norm_reward,
            clip_obs=settings.clip_obs,
            gamma=float(settings.hyperparams.get("gamma", 0.99)),
        )
    model = settings.algo.load_class()(
        settings.policy, venv, seed=settings.seed, device=settings.device,
        **sb3_kwargs(settings.hyperparams),
    )  # fmt: skip
    venv.seed(train_env_seed(settings.seed))
    phases = _PhaseClock()
    t0 = _clock()
    model.learn(steps, callback=phases)
    wall = _clock() - t0
    venv.close()
    done = int(model.num_timesteps)
    return {
        "scenario": settings.scenario.name,
        "steps": done,
        "wall_s": wall,
        "steps_per_s": done / wall,
        "env_s": clock.seconds,
        "policy_s": phases.rollout - clock.seconds,
        "update_s": wall - phases.rollout,
        "n_envs": settings.n_envs,
        "n_steps": int(settings.hyperparams.get("n_steps", 0)),
        "batch_size": int(settings.hyperparams.get("batch_size", 0)),
        "n_epochs": int(settings.hyperparams.get("n_epochs", 0)),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        prog="python benchmarks/train_speed.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="example: python benchmarks/train_speed.py --steps 20000 --json speed.json",
    )
    ap.add_argument("--steps", type=int, default=40_000, help="training steps per measurement")
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds (median shown)")
    ap.add_argument("--scenario", default=None, help="train on this scenario instead")
    ap.add_argument("--override", nargs="*", default=[], help="Hydra overrides for all")
    ap.add_argument(
        "--tuned-override", nargs="*", default=[], help="Hydra overrides for fast_tuned only"
    )
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="cpu: process time")
    ap.add_argument("--configs", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    args = ap.parse_args(argv)
    extra = list(args.override) + ([f"scenario={args.scenario}"] if args.scenario else [])
    global _clock
    _clock = time.process_time if args.clock == "cpu" else time.perf_counter
    tuned = list(args.tuned_override)
    over = {n: CONFIGS[n] + extra + (tuned if n == "fast_tuned" else []) for n in args.configs}
    cfgs = {name: compose_config(over[name]) for name in args.configs}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cfgs}
    for _ in range(args.rounds):
        for name, cfg in cfgs.items():
            runs[name].append(measure(cfg, args.steps))
    base = statistics.median(r["steps_per_s"] for r in runs[args.configs[0]])
    rows = []
    print(f"scenario: {runs[args.configs[0]][0]['scenario']}, clock: {args.clock}")
    print(f"{'config':<11} {'envs x steps':>12} {'batch':>6} {'epochs':>6} {'steps/s':>8} "
          f"{'ratio':>6} {'env s':>7} {'policy s':>8} {'update s':>8}")  # fmt: skip
    for name, rs in runs.items():
        r: dict[str, Any] = dict(sorted(rs, key=lambda x: x["steps_per_s"])[len(rs) // 2])
        r["ratio"] = statistics.median(x["steps_per_s"] for x in rs) / base
        r["config"] = name
        r["overrides"] = over[name]
        rows.append(r)
        print(
            f"{name:<11} {r['n_envs']:>5} x {r['n_steps']:<5} {r['batch_size']:>6} "
            f"{r['n_epochs']:>6} {r['steps_per_s']:>8.0f} {r['ratio']:>6.2f} {r['env_s']:>7.1f} "
            f"{r['policy_s']:>8.1f} {r['update_s']:>8.1f}"
        )
    out = {"steps": args.steps, "rounds": args.rounds, "clock": args.clock, "results": rows}
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
