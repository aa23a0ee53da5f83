"""The vector env (gym.make_vec's vector_entry_point) against SyncVectorEnv of the single env."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from env_helpers import ENV_ID, short
from gymnasium.vector import AutoresetMode

from rlroute.envs.vector import CallCenterVectorEnv
from rlroute.rl.wrappers import SkipForcedDecisions
from rlroute.scenario import Scenario

N = 4


def _pair(scenario: Any, skip_forced: bool, **kwargs: Any) -> tuple[gym.vector.VectorEnv, Any]:
    ref = gym.make_vec(
        ENV_ID,
        num_envs=N,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        wrappers=[SkipForcedDecisions] if skip_forced else None,
        scenario=scenario,
        **kwargs,
    )
    fast = gym.make_vec(
        ENV_ID,
        num_envs=N,
        vectorization_mode="vector_entry_point",
        scenario=scenario,
        skip_forced=skip_forced,
        **kwargs,
    )
    return ref, fast


def _assert_same_infos(a: dict[str, Any], b: dict[str, Any], where: str) -> None:
    """SyncVectorEnv's infos ``a`` and the vector env's ``b`` are equal, but for what the
    SkipForcedDecisions wrapper adds (``forced_steps``; its ``invalid_action`` is its last
    forced step's flag, the vector env's the agent's step's)."""
    wrapped = "forced_steps" in a
    a = {k: v for k, v in a.items() if k not in ("forced_steps", "_forced_steps")}
    assert sorted(a) == sorted(b), where
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, dict):
            _assert_same_infos(x, y, f"{where}.{key}")
        elif key == "final_obs":
            for u, v in zip(x, y, strict=True):
                assert (u is None and v is None) or u.tobytes() == v.tobytes(), where
        else:
            assert x.dtype == y.dtype and x.shape == y.shape, f"{where}.{key}"
            if not (wrapped and key == "invalid_action"):
                assert np.array_equal(x, y), f"{where}.{key}"


@pytest.mark.parametrize(
    ("skip_forced", "work_conserving", "p_any"),
    [(False, True, 0.1), (True, True, 0.1), (False, False, 0.0)],
)
def test_vector_env_equals_sync_vector_env(
    skip_forced: bool, work_conserving: bool, p_any: float
) -> None:
    _compare(short("heterogeneous", 1), skip_forced, p_any, work_conserving=work_conserving)


def test_vector_env_equals_sync_with_wrap_up() -> None:
    """After-call work observed (``observe_wrap_up``), strict masks (``invalid_action``)."""
    data = short("n_design", 2).to_dict()
    for grp in data["agent_groups"]:
        for skill in grp["skills"].values():
            skill["wrap_up"] = {"kind": "exponential", "mean_s": 30.0}
    sc = Scenario.from_dict(data)
    _compare(sc, True, 0.0, observe_wrap_up=True, invalid_action="raise")


def _compare(sc: Scenario, skip_forced: bool, p_any: float, **kwargs: Any) -> None:
    ref, fast = _pair(sc, skip_forced, **kwargs)
    assert isinstance(fast.unwrapped, CallCenterVectorEnv)
    assert fast.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert fast.single_observation_space == ref.single_observation_space
    assert fast.single_action_space == ref.single_action_space
    assert fast.observation_space == ref.observation_space
    assert fast.action_space == ref.action_space
    o1, i1 = ref.reset(seed=11)
    o2, i2 = fast.reset(seed=11)
    assert o1.tobytes() == o2.tobytes()
    _assert_same_infos(i1, i2, "reset")
    rng = np.random.default_rng(5)
    episodes = np.zeros(N, dtype=int)
    returns = np.zeros(N)
    step = 0
    while episodes.min() < 2:
        masks = np.stack(ref.call("action_masks"))
        assert np.array_equal(masks, fast.unwrapped.action_masks()), step
        assert np.array_equal(masks, np.stack(fast.call("action_masks")))
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        wild = rng.random(N) < p_any
        actions[wild] = rng.integers(0, masks.shape[1], wild.sum())
        o1, r1, t1, u1, i1 = ref.step(actions)
        o2, r2, t2, u2, i2 = fast.step(actions)
        where = f"step {step}"
        assert o1.tobytes() == o2.tobytes(), where
        assert r1.dtype == r2.dtype and np.array_equal(r1, r2), where
        assert np.array_equal(t1, t2) and np.array_equal(u1, u2), where
        _assert_same_infos(i1, i2, where)
        returns += r2
        for n in np.flatnonzero(t2):
            # a day's return is minus its cost: the KPIs of the finished day say so
            assert returns[n] == pytest.approx(-i2["final_info"]["kpis"]["cost"][n], rel=1e-9)
            returns[n] = 0.0
        episodes += t2
        step += 1
    # unseeded resets draw each row's day from its own generator, like the single envs
    o1, _ = ref.reset()
    o2, _ = fast.reset()
    assert o1.tobytes() == o2.tobytes()
    ref.close()
    fast.close()


def test_checker_style_properties() -> None:
    """What gymnasium's env checker asks of an env, asked of the vector env."""
    env = gym.make_vec(ENV_ID, num_envs=3, scenario=short("n_design", 1))  # the default mode
    assert isinstance(env.unwrapped, CallCenterVectorEnv)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(3, dtype=int))
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space and obs.dtype == np.float32
    again, _ = env.reset(seed=0)  # seeded resets are deterministic
    assert again.tobytes() == obs.tobytes()
    env.action_space.seed(0)
    for _ in range(200):  # any action of the space is accepted (fallback rule)
        obs, rewards, terminated, truncated, info = env.step(env.action_space.sample())
        assert obs in env.observation_space
        assert rewards.dtype == np.float64 and rewards.shape == (3,)
        assert terminated.dtype == np.bool_ and not truncated.any()
        assert info["action_mask"].shape == (3, env.single_action_space.n)
    # partial reset (reset_mask) touches only the masked rows
    before = obs.copy()
    obs, info = env.reset(options={"reset_mask": np.array([False, True, False])})
    assert obs[0].tobytes() == before[0].tobytes() and list(info["_action_mask"]) == [0, 1, 0]
    env.close()


def test_bad_settings_are_refused() -> None:
    sc = short("n_design", 1)
    with pytest.raises(ValueError, match="SAME_STEP"):
        CallCenterVectorEnv(2, sc, autoreset_mode=AutoresetMode.NEXT_STEP)
    env = CallCenterVectorEnv(2, sc)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="expected 2 actions"):
        env.step(np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(np.array([0, 99]))


def test_skip_forced_refuses_days_without_choice() -> None:
    """single_pool with work-conserving masks has no real choice: the wrapper's error."""
    env = CallCenterVectorEnv(2, short("single_pool", 1), skip_forced=True)
    with pytest.raises(ValueError, match="nothing to learn"):
        env.reset(seed=0)
