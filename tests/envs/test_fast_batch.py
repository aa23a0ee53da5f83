"""The batch API's readable implementation (FastBatch) against N reference environments."""

from __future__ import annotations

import numpy as np
import pytest
from env_helpers import short

from rlroute.envs.call_center import CallCenterEnv
from rlroute.envs.fast_batch import FastBatch
from rlroute.rl.wrappers import SkipForcedDecisions


@pytest.mark.parametrize(
    ("work_conserving", "skip_forced", "p_any"),
    [(True, False, 0.0), (False, False, 0.2), (True, True, 0.2)],
)
def test_batch_equals_n_reference_envs(work_conserving: bool, skip_forced: bool, p_any: float):
    """Same obs bits, masks, rewards, terminations and invalid-action counts, row by row; with
    ``p_any`` some actions are drawn from the whole space (the fallback rule)."""
    sc = short("heterogeneous", 2)
    seeds = np.array([3, 4, 5, 6])
    envs = [CallCenterEnv(sc, work_conserving=work_conserving) for _ in seeds]
    if skip_forced:
        envs = [SkipForcedDecisions(e) for e in envs]  # type: ignore[misc]
    batch = FastBatch(sc, 4, work_conserving=work_conserving, skip_forced=skip_forced)
    assert batch.obs_size == envs[0].observation_space.shape[0]
    batch.reset_rows(np.arange(4), seeds)
    carry = batch.rewards.copy()
    for n, env in enumerate(envs):
        o, _ = env.reset(seed=int(seeds[n]))
        assert batch.obs[n].tobytes() == o.tobytes()
        assert (batch.masks[n] == env.action_masks()).all()
    rng = np.random.default_rng(1)
    returns = carry.copy()
    steps = 0
    while not batch.done.all():
        masks = batch.masks.copy()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        wild = rng.random(4) < p_any
        actions[wild] = rng.integers(0, batch.n_actions, wild.sum())
        was_done = batch.done.copy()
        batch.step(actions)
        for n, env in enumerate(envs):
            if was_done[n]:
                assert batch.rewards[n] == 0.0 and batch.done[n]
                continue
            o, r, term, _, info = env.step(actions[n])
            assert batch.obs[n].tobytes() == o.tobytes()
            assert (batch.masks[n] == env.action_masks()).all()
            assert batch.rewards[n] + (carry[n] if steps == 0 else 0.0) == pytest.approx(
                r, rel=1e-12, abs=1e-12
            )
            assert batch.done[n] == term
            if not skip_forced:  # the wrapper's info is its last forced step's
                assert batch.invalid[n] == info["invalid_action"]
            assert batch.n_invalid[n] == info["invalid_actions"]
            returns[n] += batch.rewards[n]
        steps += 1
    assert steps > 20
    for n, env in enumerate(envs):
        assert returns[n] == pytest.approx(-env.unwrapped.sim.cost, rel=1e-9)
        assert batch.costs[n] == env.unwrapped.sim.cost
        assert batch.report(n).overall["cost"] == env.unwrapped.sim.report().overall["cost"]
    if p_any:
        assert batch.n_invalid.sum() > 0
    # a finished row ignores its action until it is reset
    batch.step(np.zeros(4, dtype=int))
    assert batch.done.all() and (batch.rewards == 0).all()
    batch.reset_rows(np.array([2]), np.array([3]))
    assert not batch.done[2] and batch.done[[0, 1, 3]].all()
    assert batch.n_decisions[2] == 0 and batch.n_invalid[2] == 0


def test_invalid_actions_raise_without_moving_any_row() -> None:
    sc = short("n_design", 1)
    batch = FastBatch(sc, 2, invalid_action="raise")
    batch.reset_rows(np.arange(2), np.array([0, 1]))
    obs = batch.obs.copy()
    bad = np.array([np.flatnonzero(batch.masks[0])[0], np.flatnonzero(~batch.masks[1])[0]])
    with pytest.raises(ValueError, match="row 1: invalid action"):
        batch.step(bad)
    assert (batch.obs == obs).all() and (batch.n_decisions == 0).all()
    with pytest.raises(ValueError, match="outside the action space"):
        batch.step(np.array([0, batch.n_actions]))
    with pytest.raises(ValueError, match="expected 2 actions"):
        batch.step(np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="invalid_action="):
        FastBatch(sc, 2, invalid_action="ignore")
