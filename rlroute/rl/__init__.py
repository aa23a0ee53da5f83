"""rlroute.rl: train routing policies with stable-baselines3 and serve them as routers.

Modules (import what you need; this package imports nothing heavy by itself):

* :mod:`rlroute.rl.train`: the training loop behind ``rlroute-train`` (``train(cfg, run_dir)``);
* :mod:`rlroute.rl.algos`: the algorithms (``maskable_ppo``, ``ppo``, ``a2c``, ``dqn``);
* :mod:`rlroute.rl.wrappers`: skip forced decisions; map invalid actions of unmasked algorithms;
* :mod:`rlroute.rl.vec_env`: ``FastVecEnv``, the training envs in one batch (``env.backend:
  fast``, the default; ``docs/vector_env.md``);
* :mod:`rlroute.rl.callbacks`: KPI evaluation of the current policy, resumable checkpoints;
* :mod:`rlroute.rl.runs`: a run directory on disk (``load_run``, ``RunInfo``, ``ObsNorm``);
* :mod:`rlroute.rl.policy`: the serving rule (normalise, network, mask, argmax) in torch;
* :mod:`rlroute.rl.router`: ``SB3Router``, registered as router ``sb3`` in
  :mod:`rlroute.policies` when this package is imported (torch only loads when one is built);
* :mod:`rlroute.rl.envinfo`: ``gym.make`` of the training env and its layout (the served
  policy's observation is :mod:`rlroute.envs.layout`'s, without Gymnasium).

Multi-seed studies of trained runs against the baselines live above, in
:mod:`rlroute.bench.study`.
"""

from __future__ import annotations

from typing import Any

from rlroute.policies import register_router
from rlroute.sim.router import Router


def _sb3(path: str | None = None, **kw: Any) -> Router:
    if path is None:  # say so before importing torch / onnxruntime (``routers: all`` asks)
        raise ValueError("router 'sb3' needs path= (a run directory or a model .zip)")
    # Imported when built: ``import rlroute.rl`` must stay free of torch and SB3.
    from rlroute.rl.router import make_sb3_router

    return make_sb3_router(path, **kw)


register_router("sb3", _sb3)
