"""Semi-Markov discounting (rlroute.rl.semi_markov): GAE with a discount per step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from sb3_contrib.common.maskable.buffers import MaskableRolloutBuffer
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.vec_env import VecNormalize

from rlroute.bench.specs import truncate_horizon
from rlroute.rl.algos import get_algo
from rlroute.rl.determinism import configure_torch
from rlroute.rl.semi_markov import (
    ElapsedTimeDiscount,
    TimeDiscountPlainRolloutBuffer,
    TimeDiscountRolloutBuffer,
    decision_clock,
    gae,
    time_discounts,
)
from rlroute.rl.train import TrainSettings, _buffer_kwargs, make_vec_env
from rlroute.scenarios import load_scenario

SC = truncate_horizon(load_scenario("heterogeneous"), 1)


def _fill(buffer: Any, rng: np.random.Generator, n_steps: int, n_envs: int) -> None:
    rng_state = rng.bit_generator.state
    for _ in range(n_steps):
        buffer.add(
            rng.normal(size=(n_envs, 3)).astype(np.float32),
            rng.integers(0, 4, size=(n_envs, 1)),
            rng.normal(size=n_envs).astype(np.float32),
            rng.random(n_envs) < 0.2,
            th.as_tensor(rng.normal(size=(n_envs, 1)).astype(np.float32)),
            th.as_tensor(rng.normal(size=n_envs).astype(np.float32)),
        )
    rng.bit_generator.state = rng_state


@pytest.mark.parametrize(
    ("standard", "timed"),
    [
        (MaskableRolloutBuffer, TimeDiscountRolloutBuffer),
        (RolloutBuffer, TimeDiscountPlainRolloutBuffer),
    ],
)
def test_every_dt_equal_to_the_time_scale_is_sb3_gae_bit_for_bit(
    standard: type, timed: type
) -> None:
    n_steps, n_envs, gamma, lam, tau = 16, 5, 0.99, 0.95, 7.5
    space, act = spaces.Box(-1, 1, (3,)), spaces.Discrete(4)
    bufs = [
        cls(n_steps, space, act, gamma=gamma, gae_lambda=lam, n_envs=n_envs)
        for cls in (standard, timed)
    ]
    for b in bufs:
        b.reset()
        _fill(b, np.random.default_rng(7), n_steps, n_envs)
    bufs[1].discounts[:] = time_discounts(gamma, np.full((n_steps, n_envs), tau), tau)
    last = th.as_tensor(np.linspace(-1, 1, n_envs, dtype=np.float32))
    dones = np.array([True, False, False, True, False])
    for b in bufs:
        b.compute_returns_and_advantage(last, dones)
    assert bufs[0].advantages.dtype == bufs[1].advantages.dtype == np.float32
    assert bufs[0].advantages.tobytes() == bufs[1].advantages.tobytes()
    assert bufs[0].returns.tobytes() == bufs[1].returns.tobytes()
    # and different elapsed times give different advantages
    bufs[1].discounts[:] = time_discounts(gamma, np.full((n_steps, n_envs), 3 * tau), tau)
    bufs[1].compute_returns_and_advantage(last, dones)
    assert not np.array_equal(bufs[0].advantages, bufs[1].advantages)


def test_three_steps_by_hand() -> None:
    # gamma 0.5 per 10 s; the steps last 10 s, 20 s and 0 s: discounts 0.5, 0.25, 1
    c = time_discounts(0.5, np.array([[10.0], [20.0], [0.0]]), 10.0)
    assert c.ravel().tolist() == [0.5, 0.25, 1.0]
    rewards = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
    values = np.array([[0.5], [0.25], [0.125]], dtype=np.float32)
    starts = np.zeros((3, 1), dtype=np.float32)
    last, done = np.array([1.0], dtype=np.float32), np.array([False])
    adv, ret = gae(rewards, values, starts, last, done, c, gae_lambda=0.5)
    # delta_2 = 3 + 1 * 1 - 0.125 = 3.875                        A_2 = 3.875
    # delta_1 = 2 + 0.25 * 0.125 - 0.25 = 1.78125                A_1 = 1.78125 + 0.25*0.5*3.875
    # delta_0 = 1 + 0.5 * 0.25 - 0.5 = 0.625                     A_0 = 0.625 + 0.5*0.5*A_1
    assert adv.ravel().tolist() == [1.19140625, 2.265625, 3.875]
    assert ret.ravel().tolist() == [1.69140625, 2.515625, 4.0]
    # a day ending at step 1: step 2 starts a new day, nothing flows back over the boundary
    starts[2] = 1.0
    adv, _ = gae(rewards, values, starts, last, done, c, gae_lambda=0.5)
    assert adv.ravel().tolist()[:2] == [0.625 + 0.25 * 1.75, 1.75]


def test_the_clock_is_the_same_on_both_backends_and_fills_the_discounts() -> None:
    clocks = []
    for backend in ("reference", "fast"):
        settings = TrainSettings(
            scenario=SC,
            algo=get_algo("maskable_ppo"),
            n_envs=3,
            backend=backend,
            discount="per_time",
            time_scale_s=10.0,
        )
        venv = make_vec_env(settings, SC)
        venv.seed(11)
        venv.reset()
        seen = [decision_clock(venv)]
        for step in range(60):
            masks = np.stack(venv.env_method("action_masks"))
            venv.step(np.array([np.flatnonzero(m)[step % m.sum()] for m in masks]))
            seen.append(decision_clock(venv))
        clocks.append(np.stack(seen))
    assert clocks[0].tobytes() == clocks[1].tobytes()
    assert (np.diff(clocks[0], axis=0) > 0).mean() > 0.9  # time moves between decisions


def test_training_with_per_time_discounts_fills_the_buffer() -> None:
    configure_torch(1, True, "cpu")
    settings = TrainSettings(
        scenario=SC,
        algo=get_algo("maskable_ppo"),
        n_envs=4,
        discount="per_time",
        time_scale_s=10.0,
    )
    venv = VecNormalize(make_vec_env(settings, SC), norm_reward=True)
    model = settings.algo.load_class()(
        "MlpPolicy",
        venv,
        seed=3,
        device="cpu",
        n_steps=32,
        batch_size=64,
        n_epochs=1,
        **_buffer_kwargs(settings),
    )
    venv.seed(99)
    model.learn(128, callback=[ElapsedTimeDiscount(10.0)])
    d = model.rollout_buffer.discounts
    assert d.shape == (32, 4) and np.all(d > 0) and np.all(d <= 1.0)
    assert len(np.unique(d)) > 10  # one discount per elapsed time, not one gamma


def test_bad_discount_settings_are_refused() -> None:
    base = {"scenario": "n_design", "algo": {"name": "maskable_ppo"}}
    with pytest.raises(ValueError, match=r"algo\.discount"):
        TrainSettings.from_config({**base, "algo": {"name": "ppo", "discount": "per_hour"}})
    with pytest.raises(ValueError, match=r"algo\.discount=per_time.*dqn"):
        TrainSettings.from_config({**base, "algo": {"name": "dqn", "discount": "per_time"}})
    with pytest.raises(ValueError, match=r"algo\.time_scale_s"):
        TrainSettings.from_config(
            {**base, "algo": {"name": "ppo", "discount": "per_time", "time_scale_s": 0}}
        )
    s = TrainSettings.from_config(base)
    assert (s.discount, _buffer_kwargs(s)) == ("per_decision", {})


def test_imitation_critic_returns_are_discounted_in_time() -> None:
    from rlroute.rl.imitation import Demonstrations, _discounted, _step_discounts

    data = Demonstrations(rewards=[1.0, 1.0, 1.0, 2.0], day_end=[False, False, True, True])
    data.clock = [0.0, 10.0, 30.0, 5.0]  # a new day starts at the 4th sample
    base = {"scenario": "n_design", "algo": {"name": "maskable_ppo"}}
    per_decision = TrainSettings.from_config(base)
    per_time = TrainSettings.from_config(
        {**base, "algo": {"name": "maskable_ppo", "discount": "per_time", "time_scale_s": 10}}
    )
    assert _step_discounts(data, per_decision, 0.5) == 0.5
    disc = _step_discounts(data, per_time, 0.5)
    assert disc[:2].tolist() == [0.5, 0.25]
    ret = _discounted(np.asarray(data.rewards), np.asarray(data.day_end), disc)
    assert ret.tolist() == [1.0 + 0.5 * 1.25, 1.25, 1.0, 2.0]
