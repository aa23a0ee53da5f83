"""Observation v2 (``observation="v2"``): its meaning on the reference simulator, and the
compiled observer and the readable batch bit for bit against the reference environment."""

from __future__ import annotations

import numpy as np
import pytest
from env_helpers import short

from rlroute.envs.call_center import CallCenterEnv
from rlroute.envs.compiled_batch import CompiledBatch
from rlroute.envs.fast_batch import FastBatch
from rlroute.envs.layout import SimObserver, env_layout, layout_options
from rlroute.envs.observation import N_WAITS, NEAR, Observer, observation_names
from rlroute.envs.versions import ENV_ID
from rlroute.sim.engine import WAITING


def test_v1_is_unchanged_and_v2_appends_its_entries() -> None:
    sc = short("heterogeneous", 2)
    K, G = len(sc.call_types), len(sc.agent_groups)
    v1 = observation_names(sc)
    v2 = observation_names(sc, version="v2")
    assert len(v1) == 3 * K + 2 * G + 1 and CallCenterEnv(sc).observation_names == v1
    assert v2[: len(v1)] == v1 and len(v2) == len(v1) + G + (3 + N_WAITS) * K
    assert v2[len(v1)].startswith("wrap_up/") and v2[-1].startswith("load_next/")
    assert observation_names(sc, True, "v2") == v2  # v2 always observes wrap-up
    env = CallCenterEnv(sc, observation="v2")
    assert env.observation_names == v2 and env.observation_space.shape == (len(v2),)
    assert env_layout(ENV_ID, sc, {"observation": "v2"}).observation_names == v2
    with pytest.raises(ValueError, match=r"observation='v3'"):
        layout_options({"observation": "v3"})
    with pytest.raises(ValueError, match=r"observation='v3'"):
        CallCenterEnv(sc, observation="v3")


def _expected_v2(env: CallCenterEnv) -> np.ndarray:
    """v2's extra entries computed from scratch from the simulator's queues."""
    sim, sc = env.sim, env.scenario
    K = len(sc.call_types)
    obs = Observer(sc, version="v2")
    qscale, load = obs.tables()["qscale"], obs.tables()["load"]
    late, near, waits = np.zeros(K), np.zeros(K), np.zeros(N_WAITS * K)
    for k in range(K):
        target = sc.sl_target_s(k)
        w = [(sim.now - c.arrival) / target for c in sim.queues[k] if c.state == WAITING]
        late[k] = min(sum(x >= 1.0 for x in w) * qscale[k], 10.0)
        near[k] = min(sum(NEAR <= x < 1.0 for x in w) * qscale[k], 10.0)
        for j, x in enumerate(w[1 : 1 + N_WAITS]):
            waits[j * K + k] = min(x, 10.0)
    i = int(sim.now // sc.interval_s) if sim.now < sc.horizon_s else sc.n_intervals
    nxt = load[i + 1] if i + 1 < sc.n_intervals else np.zeros(K)
    return np.concatenate([late, near, waits, nxt]).astype(np.float32)


def test_v2_means_what_its_names_say() -> None:
    """On a day held back (hold is valid, the policy holds often) queues build up: the late
    and near-late counts, the next waits and the next interval's load match a direct
    computation from the simulator's queues (to float32 and the order of the divisions)."""
    sc = short("heterogeneous", 3)
    env = CallCenterEnv(sc, work_conserving=False, observation="v2")
    K, n_extra = len(sc.call_types), (3 + N_WAITS) * len(sc.call_types)
    rng = np.random.default_rng(0)
    _, info = env.reset(seed=5)
    seen_late = seen_wait = seen_next = 0
    for _ in range(3000):
        mask = info["action_mask"]
        a = env.HOLD if rng.random() < 0.7 else int(rng.choice(np.flatnonzero(mask)))
        obs, _, term, _, info = env.step(a)
        if term:
            break
        got = obs[-n_extra:]
        np.testing.assert_allclose(got, _expected_v2(env), rtol=1e-6, atol=1e-6)
        seen_late += bool(got[:K].any())
        seen_wait += bool(got[2 * K : 2 * K + K].any())
        seen_next += bool(got[-K:].any())
    assert seen_late > 50 and seen_wait > 50 and seen_next > 50


@pytest.mark.parametrize("batch_cls", [CompiledBatch, FastBatch])
@pytest.mark.parametrize(("work_conserving", "p_hold"), [(True, 0.0), (False, 0.6)])
def test_batches_observe_v2_bit_for_bit(batch_cls: type, work_conserving: bool, p_hold: float):
    """The compiled observer (the training default, CompiledBatch) and the readable batch
    give the reference environment's v2 observation, bit for bit, every step of 4 days."""
    sc = short("heterogeneous", 2)
    seeds = np.array([3, 4, 5, 6])
    envs = [CallCenterEnv(sc, work_conserving=work_conserving, observation="v2") for _ in seeds]
    batch = batch_cls(sc, 4, work_conserving=work_conserving, observation="v2")
    assert batch.obs_size == envs[0].observation_space.shape[0]
    batch.reset_rows(np.arange(4), seeds)
    for n, env in enumerate(envs):
        o, _ = env.reset(seed=int(seeds[n]))
        assert batch.obs[n].tobytes() == o.tobytes()
    rng = np.random.default_rng(1)
    K = len(sc.call_types)
    late_seen = steps = 0
    while not batch.done.all() and steps < 4000:
        masks = batch.masks.copy()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        if p_hold:
            hold = rng.random(4) < p_hold
            actions[hold] = batch.n_actions - 1
        was_done = batch.done.copy()
        batch.step(actions)
        for n, env in enumerate(envs):
            if was_done[n]:
                continue
            o, _, term, _, _ = env.step(actions[n])
            assert batch.obs[n].tobytes() == o.tobytes(), (steps, n)
            assert batch.done[n] == term
            late_seen += bool(o[-(3 + N_WAITS) * K : -(2 + N_WAITS) * K].any())
        steps += 1
    assert steps > 50
    if p_hold:
        assert late_seen > 20  # the queue features were exercised


def test_served_v2_policy_observes_as_the_env() -> None:
    sc = short("heterogeneous", 1)
    env = CallCenterEnv(sc, observation="v2")
    served = SimObserver(ENV_ID, sc, {"observation": "v2", "skip_forced": True})
    obs, info = env.reset(seed=2)
    rng = np.random.default_rng(3)
    for _ in range(200):
        assert served(env.sim).tobytes() == obs.tobytes()
        obs, _, term, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        if term:
            break
