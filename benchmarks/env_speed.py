"""Environment speed: steps per second of ``rlroute/CallCenter-v1`` next to ``CartPole-v1``.

Run on demand (not a test)::

    python benchmarks/env_speed.py [--steps N] [--rounds R] [--scenario heterogeneous]

Both environments are built with ``gym.make`` (so both pay Gymnasium's default wrappers: order
enforcing and the passive checker, plus CartPole's time limit) and driven by a uniformly random
policy from a seeded ``numpy`` Generator, in this one process:

* CartPole picks one of its two actions;
* rlroute picks uniformly among the valid actions of ``action_masks()`` (a masked random
  policy), on the ``heterogeneous`` scenario (4 call types, 3 groups, 55 agents) by default.

The policy's uniforms are drawn in one batch before the clock starts, so the time is the
environments' (plus, for rlroute, reading the mask). Resets at episode ends are included, as in
training. A third row runs the same policy on a bare :class:`~rlroute.sim.Simulator` (no
observation, no mask array, no Gymnasium layer): the event engine's own cost per decision,
which bounds what the environment can reach.

A fourth row runs :class:`~rlroute.envs.compiled_batch.CompiledBatch` (``--num-envs`` rows,
4096 by default, one compiled call per batch step; observations, masks, rewards as ``[N, ...]``
arrays) with the same masked random policy drawn vectorised for all rows; its rate counts one
step per row decision, finished rows restart with fresh seeds inside the timed loop. ``--json
PATH`` writes the rates (``cartpole_steps_per_s``, ``env_steps_per_s``, ``batched``) and their
ratios to CartPole's.

The three alternate for ``--rounds`` rounds of ``--steps`` steps each; the table gives the best
and the median round. On a shared machine the best round is the one least disturbed by other
processes, and alternating exposes all three to the same disturbances. Time is the process's
CPU time (``time.process_time``), which ignores time spent descheduled; ``--clock wall`` uses
``time.perf_counter`` instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np

import rlroute  # noqa: F401 - registers rlroute/CallCenter-v1
from rlroute.envs.compiled_batch import CompiledBatch
from rlroute.scenario import Scenario
from rlroute.sim import Simulator


def cartpole_round(env: gym.Env, steps: int, rng: np.random.Generator, clock: Callable) -> float:
    actions = rng.integers(0, 2, size=steps).tolist()
    env.reset(seed=int(rng.integers(2**31)))
    t0 = clock()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return steps / (clock() - t0)


def rlroute_round(env: gym.Env, steps: int, rng: np.random.Generator, clock: Callable) -> float:
    base = env.unwrapped
    uniforms = rng.random(steps).tolist()
    env.reset(seed=int(rng.integers(2**31)))
    t0 = clock()
    for u in uniforms:
        valid = np.flatnonzero(base.action_masks())
        _, _, terminated, truncated, _ = env.step(valid[int(u * len(valid))])
        if terminated or truncated:
            env.reset()
    return steps / (clock() - t0)


def simulator_round(
    scenario: Scenario, steps: int, rng: np.random.Generator, clock: Callable
) -> float:
    """The same decisions on a bare Simulator (``step`` + ``advance``, no observation, no
    mask array, no Gymnasium layer): the floor the environment cannot beat."""
    uniforms = rng.random(steps).tolist()
    sim = Simulator(scenario, int(rng.integers(2**31)))
    sim.advance()
    pairs, hold = sim.pairs, sim.HOLD
    t0 = clock()
    for u in uniforms:
        qlen, idle = sim.queue_len, sim.idle_count
        valid = [a for a, (k, g) in enumerate(pairs) if qlen[k] and idle[g]]
        sim.step(valid[int(u * len(valid))] if valid else hold)
        if not sim.advance():
            sim = Simulator(scenario, int(rng.integers(2**31)))
            sim.advance()
    return steps / (clock() - t0)


def random_valid(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly random valid action per row of ``masks [N, A]``, vectorised."""
    pick = (rng.random(masks.shape[0]) * masks.sum(axis=1)).astype(np.int64)
    return (np.cumsum(masks, axis=1) > pick[:, None]).argmax(axis=1)


def batched_round(
    batch: CompiledBatch, batch_steps: int, rng: np.random.Generator, clock: Callable
) -> float:
    """``batch_steps`` steps of every row; a finished row restarts (a fresh seed) before the
    next step, inside the clock. Returns row decisions per second."""
    n = batch.num_envs
    decisions = 0
    t0 = clock()
    for _ in range(batch_steps):
        done = np.flatnonzero(batch.done)
        if done.size:
            batch.reset_rows(done, rng.integers(0, 2**31, size=done.size))
        decisions += n
        batch.step(random_valid(batch.masks, rng))
    return decisions / (clock() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per env")
    parser.add_argument("--scenario", default="heterogeneous")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--num-envs", type=int, default=4096, help="rows of the batched env")
    parser.add_argument(
        "--batch-steps", type=int, default=100, help="batch steps per round of the batched env"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    rng = np.random.default_rng(args.seed)
    cart_env = gym.make("CartPole-v1")
    ours_env = gym.make("rlroute/CallCenter-v1", scenario=args.scenario)
    sc = ours_env.unwrapped.scenario
    batch = CompiledBatch(sc, args.num_envs)
    batch.reset_rows(np.arange(args.num_envs), rng.integers(0, 2**31, size=args.num_envs))
    batch.step(random_valid(batch.masks, rng))  # compiled code loaded before the clock
    cart, ours, bare, batched = [], [], [], []
    for _ in range(args.rounds):
        cart.append(cartpole_round(cart_env, args.steps, rng, clock))
        ours.append(rlroute_round(ours_env, args.steps, rng, clock))
        bare.append(simulator_round(sc, args.steps, rng, clock))
        batched.append(batched_round(batch, args.batch_steps, rng, clock))
    agents = sum(max(g.head_count) for g in sc.agent_groups)
    print(
        f"{args.rounds} alternating rounds of {args.steps:,} steps per environment, "
        f"{args.clock} time, masked uniform random policy\n"
    )
    print("| environment | best steps/s | median steps/s | best / CartPole |")
    print("|---|---:|---:|---:|")
    best_cart = max(cart)
    for name, rates in (
        ("CartPole-v1", cart),
        (
            f"rlroute/CallCenter-v1 ({sc.name}: {len(sc.call_types)} types, "
            f"{len(sc.agent_groups)} groups, {agents} agents)",
            ours,
        ),
        ("(floor) bare rlroute Simulator, same policy, no env layer", bare),
        (f"CompiledBatch, {args.num_envs} rows, one compiled call per batch step", batched),
    ):
        print(
            f"| {name} | {max(rates):,.0f} | {statistics.median(rates):,.0f} "
            f"| {max(rates) / best_cart:.2f} |"
        )
    if args.json is not None:
        out = {
            "scenario": sc.name,
            "clock": args.clock,
            "cartpole_steps_per_s": best_cart,
            "env_steps_per_s": max(ours),
            "simulator_steps_per_s": max(bare),
            "batched": {"num_envs": args.num_envs, "steps_per_s": max(batched)},
            "env_vs_cartpole": max(ours) / best_cart,
            "batched_vs_cartpole": max(batched) / best_cart,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
