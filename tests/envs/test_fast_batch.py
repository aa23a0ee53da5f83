"""The batched interface against N reference environments, step by step."""

from __future__ import annotations

import numpy as np
import pytest
from _compare import shorten, without_repeats

from rlroute.envs.call_center import CallCenterEnv
from rlroute.envs.fast_batch import FastBatch
from rlroute.scenarios import load_scenario


@pytest.mark.parametrize("work_conserving", [True, False])
def test_batch_equals_n_reference_envs(work_conserving: bool) -> None:
    sc = without_repeats(shorten(load_scenario("heterogeneous"), 2))
    seeds = [3, 4, 5, 6]
    envs = [CallCenterEnv(sc, work_conserving=work_conserving) for _ in seeds]
    batch = FastBatch(sc, seeds, work_conserving=work_conserving)
    obs, masks = batch.reset()
    ref = [env.reset(seed=s) for env, s in zip(envs, seeds)]
    assert obs.shape == (4, batch.observer.size) and masks.shape == (4, batch.n_actions)
    for n, (o, info) in enumerate(ref):
        assert obs[n].tobytes() == o.tobytes()
        assert (masks[n] == info["action_mask"]).all()
    rng = np.random.default_rng(1)
    done = np.zeros(4, dtype=bool)
    returns = np.zeros(4)
    steps = 0
    while not done.all():
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        obs, rewards, dones, masks = batch.step(actions)
        for n, env in enumerate(envs):
            if done[n]:
                assert rewards[n] == 0.0 and dones[n]
                continue
            o, r, term, _, info = env.step(actions[n])
            assert obs[n].tobytes() == o.tobytes()
            assert (masks[n] == info["action_mask"]).all()
            assert rewards[n] == pytest.approx(r, rel=1e-9, abs=1e-12)
            assert dones[n] == term
            returns[n] += rewards[n]
        done = dones
        steps += 1
    assert steps > 50
    for n, env in enumerate(envs):
        assert returns[n] == pytest.approx(-env.sim.cost, rel=1e-9)


def test_wrong_number_of_actions_is_refused() -> None:
    batch = FastBatch(shorten(load_scenario("n_design"), 1), [0, 1])
    batch.reset()
    with pytest.raises(ValueError, match="expected 2 actions"):
        batch.step(np.zeros(3, dtype=int))
