"""rlroute/CallCenter-v1: API conformance, seeding, masks, invalid actions, reward and episode
end, and a MaskablePPO smoke test."""

from __future__ import annotations

import doctest
import warnings

import gymnasium as gym
import numpy as np
import pytest
from env_helpers import ENV_ID, rollout, short

from rlroute.envs import call_center
from rlroute.envs.call_center import CallCenterEnv
from rlroute.envs.observation import observation_names, observe
from rlroute.scenarios import config_dir
from rlroute.sim import FIFORouter, Simulator


@pytest.fixture(scope="module")
def n_design():
    return short("n_design", 2)


@pytest.fixture(scope="module")
def hetero():
    return short("heterogeneous", 2)


def test_registered_and_built_from_a_name_a_path_or_a_scenario(n_design) -> None:
    assert ENV_ID in gym.registry
    by_name = gym.make(ENV_ID, scenario="n_design").unwrapped
    by_path = gym.make(ENV_ID, scenario=str(config_dir() / "scenario" / "n_design.yaml")).unwrapped
    by_object = gym.make(ENV_ID, scenario=n_design).unwrapped
    assert by_name.scenario == by_path.scenario
    assert by_object.scenario is n_design
    assert gym.make(ENV_ID).unwrapped.scenario.name == "heterogeneous"  # the default
    with pytest.raises(ValueError, match="unknown scenario 'nowhere'"):
        gym.make(ENV_ID, scenario="nowhere")
    with pytest.raises(ValueError, match="invalid_action='ignore'"):
        gym.make(ENV_ID, invalid_action="ignore")


def test_spaces_and_names(hetero) -> None:
    env = gym.make(ENV_ID, scenario=hetero).unwrapped
    K, G = 4, 3
    assert env.observation_space.shape == (3 * K + 2 * G + 1,)
    assert env.observation_space.dtype == np.float32
    assert env.observation_names == observation_names(hetero)
    assert len(set(env.observation_names)) == len(env.observation_names)
    assert env.observation_names[0] == "queue/vip" and env.observation_names[-1] == "time/elapsed"
    assert env.action_space.n == len(env.pairs) + 1 == len(env.action_names)
    assert env.action_names[-1] == "hold" and env.action_names[0] == "vip->experts"


def test_gymnasium_env_checker(n_design) -> None:
    """The checkers step with unmasked random actions: the default fallback accepts them."""
    from gymnasium.utils.env_checker import check_env

    env = gym.make(ENV_ID, scenario=n_design).unwrapped
    assert isinstance(env, CallCenterEnv)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no checker warning either
        check_env(env)


def test_sb3_env_checker(n_design) -> None:
    from stable_baselines3.common.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(ENV_ID, scenario=n_design).unwrapped)


def test_sync_vector_env(n_design) -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="sync", scenario=n_design)
    obs, info = envs.reset(seed=[0, 1])
    assert obs.shape == (2, *envs.single_observation_space.shape)
    assert not np.array_equal(obs[0], obs[1])
    rng = np.random.default_rng(0)
    for _ in range(200):
        masks = envs.call("action_masks")
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        obs, rewards, _terminated, _truncated, info = envs.step(actions)
        assert obs.dtype == np.float32 and rewards.shape == (2,)
        assert info["action_mask"].shape == (2, envs.single_action_space.n)
    envs.close()


def test_same_seed_same_trajectory_other_seed_differs(hetero) -> None:
    env = gym.make(ENV_ID, scenario=hetero)
    obs_a, rew_a, act_a, _ = rollout(env, seed=3)
    obs_b, rew_b, act_b, _ = rollout(env, seed=3)
    assert act_a == act_b and rew_a == rew_b
    assert all(np.array_equal(x, y) for x, y in zip(obs_a, obs_b, strict=True))
    obs_c, _rew_c, _, _ = rollout(env, seed=4)
    assert len(obs_c) != len(obs_a) or not all(np.array_equal(x, y) for x, y in zip(obs_a, obs_c))
    # unseeded resets continue the seeded generator: reproducible, and a new day each time
    env.reset(seed=10)
    first = [env.reset()[0] for _ in range(2)]
    env.reset(seed=10)
    again = [env.reset()[0] for _ in range(2)]
    assert all(np.array_equal(x, y) for x, y in zip(first, again))
    assert env.unwrapped.sim is not None


@pytest.mark.parametrize("name", ["n_design", "heterogeneous", "overloaded_peak"])
def test_seeded_episode_replays_the_benchmark_day(name) -> None:
    """reset(seed=s) simulates Simulator(scenario, s): FIFO through the env gives FIFO's KPIs,
    and the return is minus the cost."""
    scenario = short(name, 3)
    env = gym.make(ENV_ID, scenario=scenario, reward_scale=0.01)
    base = env.unwrapped
    fifo = FIFORouter()
    _, info = env.reset(seed=12)
    fifo.reset(base.sim)
    total, terminated = 0.0, False
    while not terminated:
        _, reward, terminated, truncated, info = env.step(fifo.act(base.sim))
        assert not truncated
        total += reward
    expected = Simulator(scenario, seed=12).run(FIFORouter()).overall
    for key in ("offered", "answered", "abandoned", "asa", "service_level", "cost"):
        assert info["kpis"][key] == expected[key], key
    assert total == pytest.approx(-0.01 * expected["cost"], rel=1e-9)


def test_episode_end_kpis_and_reward_sum(hetero) -> None:
    env = gym.make(ENV_ID, scenario=hetero, reward_scale=0.5)
    _, rewards, _, info = rollout(env, seed=1)
    sim = env.unwrapped.sim
    assert "kpis" in info
    assert {"service_level", "asa", "abandon_rate", "occupancy", "cost"} <= set(info["kpis"])
    assert info["kpis"]["offered"] > 0
    assert sum(rewards) == pytest.approx(-0.5 * sim.cost, rel=1e-9)
    assert info["kpis"]["cost"] == sim.cost
    assert all(r <= 0.0 for r in rewards)
    assert sim.now >= hetero.horizon_s  # the drain was simulated
    assert not sim.decision_possible()


def test_masks_match_the_state_and_invalid_actions_raise(hetero) -> None:
    env = gym.make(ENV_ID, scenario=hetero, invalid_action="raise")
    base = env.unwrapped
    _, info = env.reset(seed=2)
    rng = np.random.default_rng(0)
    raised = 0
    for _ in range(300):
        mask = info["action_mask"]
        assert np.array_equal(mask, base.action_masks())
        sim = base.sim
        for a, (k, g) in enumerate(base.pairs):
            assert mask[a] == bool(sim.queue_len[k] and sim.idle_count[g])
        assert mask[-1] == (not mask[:-1].any())  # work-conserving: hold only if nothing else
        assert mask.any()
        invalid = np.flatnonzero(~mask)
        if invalid.size:
            bad = int(rng.choice(invalid))
            before = (sim.now, list(sim.queue_len), list(sim.idle_count), sim.cost)
            with pytest.raises(ValueError, match=rf"invalid action {bad} \('"):
                env.step(bad)
            assert before == (sim.now, list(sim.queue_len), list(sim.idle_count), sim.cost)
            raised += 1
        _obs, _, terminated, _, info = env.step(int(rng.choice(np.flatnonzero(mask))))
        assert not terminated
    assert raised > 100
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(base.action_space.n)


def test_hold_message_and_non_work_conserving_option(n_design) -> None:
    env = gym.make(ENV_ID, scenario=n_design, invalid_action="raise")
    _, info = env.reset(seed=0)
    assert info["action_mask"][:-1].any()
    with pytest.raises(ValueError, match="hold is masked: the environment is work-conserving"):
        env.step(env.unwrapped.HOLD)
    lazy = gym.make(ENV_ID, scenario=n_design, work_conserving=False)
    _, info = lazy.reset(seed=0)
    assert info["action_mask"][-1]
    t0 = lazy.unwrapped.sim.now
    _, _, _, _, info = lazy.step(lazy.unwrapped.HOLD)  # a hold moves on to the next event
    assert lazy.unwrapped.sim.now > t0
    assert info["action_mask"][-1]


def test_fallback_rule(hetero) -> None:
    """Same group first, then same type, then the lowest valid action."""
    env = gym.make(ENV_ID, scenario=hetero).unwrapped
    names = env.action_names
    n = len(names)
    a = names.index("tech->generalists")
    same_group = names.index("billing->generalists")
    same_type = names.index("tech->experts")
    other = names.index("vip->experts")
    mask = np.zeros(n, dtype=bool)
    mask[[same_group, same_type, other]] = True
    assert env.fallback_action(a, mask) == same_group
    mask[same_group] = False
    assert env.fallback_action(a, mask) == same_type
    mask[same_type] = False
    assert env.fallback_action(a, mask) == other
    mask[:] = False
    mask[-1] = True
    assert env.fallback_action(a, mask) == n - 1  # hold when nothing is assignable
    mask[[other, -1]] = [True, False]
    assert env.fallback_action(n - 1, mask) == other  # a masked hold: lowest valid pair
    assert env.pairs[a] == (2, 2)


def test_fallback_replaces_invalid_actions_and_counts_them(hetero) -> None:
    """With default arguments a masked action is replaced by the rule (the same trajectory as
    sending the rule's choice), flagged in info and counted per episode."""
    env = gym.make(ENV_ID, scenario=hetero)
    ref = gym.make(ENV_ID, scenario=hetero, invalid_action="raise")
    obs, info = env.reset(seed=5)
    ref_obs, _ = ref.reset(seed=5)
    assert info["invalid_action"] is False and info["invalid_actions"] == 0
    rng = np.random.default_rng(5)
    n_invalid, terminated = 0, False
    while not terminated:
        mask = info["action_mask"]
        sent = int(rng.integers(env.action_space.n))
        replaced = not mask[sent]
        n_invalid += replaced
        expected = env.unwrapped.fallback_action(sent)
        obs, reward, terminated, _, info = env.step(sent)
        ref_obs, ref_reward, ref_terminated, _, _ = ref.step(expected)
        assert np.array_equal(obs, ref_obs) and reward == ref_reward
        assert terminated == ref_terminated
        assert info["invalid_action"] is replaced
        assert info["invalid_actions"] == n_invalid
    assert n_invalid > 10
    _, info = env.reset(seed=6)
    assert info["invalid_actions"] == 0  # per episode
    for bad in (-1, env.action_space.n):
        with pytest.raises(ValueError, match="outside the action space"):
            env.step(bad)


def test_observation_values(n_design) -> None:
    env = gym.make(ENV_ID, scenario=n_design)
    base = env.unwrapped
    names = base.observation_names
    obs, info = env.reset(seed=0)
    while True:
        sim = base.sim
        assert base.observation_space.contains(obs)
        np.testing.assert_array_equal(obs, observe(sim))
        v = dict(zip(names, obs.tolist()))
        # A: 18 + 14 agents can serve it at peak; B only the 14 flexible agents
        assert v["queue/A"] == pytest.approx(min(sim.queue_len[0] / 32, 10), rel=1e-6)
        assert v["queue/B"] == pytest.approx(min(sim.queue_len[1] / 14, 10), rel=1e-6)
        assert v["idle/flex"] == pytest.approx(sim.idle_count[1] / 14, rel=1e-6)
        wait_b = sim.now - sim.head_arrival(1) if sim.queue_len[1] else 0.0
        assert v["hol_wait/B"] == pytest.approx(min(wait_b / 20.0, 10), rel=1e-5, abs=1e-6)
        draining = sim.now >= n_design.horizon_s
        assert v["load/A"] == pytest.approx(0.0 if draining else 300 * 240 / 3600 / 32, rel=1e-6)
        assert v["on_duty/dedicated"] == 1.0
        assert v["time/elapsed"] == pytest.approx(min(sim.now / n_design.horizon_s, 1.0))
        obs, _, terminated, _, info = env.step(int(np.flatnonzero(info["action_mask"])[-1]))
        if terminated:
            break


def test_maskable_ppo_smoke(n_design) -> None:
    from sb3_contrib import MaskablePPO

    env = gym.make(ENV_ID, scenario=n_design)
    model = MaskablePPO(
        "MlpPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu"
    )
    model.learn(total_timesteps=256)
    obs, _ = env.reset(seed=1)
    action, _ = model.predict(obs, action_masks=env.unwrapped.action_masks(), deterministic=True)
    assert env.unwrapped.action_masks()[int(action)]


def test_docstring_example_runs() -> None:
    result = doctest.testmod(call_center, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_load_observation_follows_the_handle_time_profile() -> None:
    """``load/<type>`` is the interval's offered load: a type whose calls take half as long in
    some interval offers half the load there."""
    from rlroute.envs.observation import Observer
    from rlroute.scenarios import load_scenario

    base = load_scenario("n_design")
    data = base.to_dict()
    n = base.n_intervals
    data["call_types"][0]["handle_time_profile"] = [0.5] * n
    profiled = type(base).from_dict(data)
    plain, halved = Observer(base), Observer(profiled)
    k = 0
    for i in range(n):
        if plain._load[i][k] < 10:  # not clipped
            assert halved._load[i][k] == pytest.approx(plain._load[i][k] * 0.5, rel=1e-12)
        assert halved._load[i][1:] == plain._load[i][1:]
