"""rlroute.rl: train routing policies with stable-baselines3 and serve them as routers.

Modules (import what you need; this package imports nothing heavy by itself):

* :mod:`rlroute.rl.train`: the training loop behind ``rlroute-train`` (``train(cfg, run_dir)``);
* :mod:`rlroute.rl.algos`: the algorithms (``maskable_ppo``, ``ppo``, ``a2c``, ``dqn``);
* :mod:`rlroute.rl.wrappers`: skip forced decisions; map invalid actions of unmasked algorithms;
* :mod:`rlroute.rl.callbacks`: KPI evaluation of the current policy, resumable checkpoints;
* :mod:`rlroute.rl.runs`: a run directory on disk (``load_run``, ``RunInfo``, ``ObsNorm``);
* :mod:`rlroute.rl.policy`: the serving rule (normalise, network, mask, argmax) in torch;
* :mod:`rlroute.rl.router`: ``SB3Router`` (registered as ``sb3`` in :mod:`rlroute.policies`);
* :mod:`rlroute.rl.envinfo`: ``gym.make`` of the training env and its layout (the served
  policy's observation is :mod:`rlroute.envs.layout`'s, without Gymnasium);
* :mod:`rlroute.rl.study`: multi-seed evaluation against baselines with confidence intervals.
"""
