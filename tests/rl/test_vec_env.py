"""The fast training backend (FastVecEnv) against the reference one (DummyVecEnv of
Monitor(SkipForcedDecisions(env))): same samples, and so the same trained weights, bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecNormalize

from rlroute.bench.specs import truncate_horizon
from rlroute.rl.algos import get_algo
from rlroute.rl.determinism import configure_torch
from rlroute.rl.train import TrainSettings, make_vec_env
from rlroute.rl.vec_env import FastVecEnv
from rlroute.rl.wrappers import SkipForcedDecisions
from rlroute.scenarios import load_scenario

SC = truncate_horizon(load_scenario("heterogeneous"), 1)


def _venvs(n_envs: int = 3, algo: str = "maskable_ppo", **kw: Any) -> tuple[VecEnv, VecEnv]:
    pair = []
    for backend in ("reference", "fast"):
        settings = TrainSettings(
            scenario=SC, algo=get_algo(algo), n_envs=n_envs, backend=backend, **kw
        )
        pair.append(make_vec_env(settings, SC))
    assert isinstance(pair[0], DummyVecEnv) and isinstance(pair[1], FastVecEnv)
    return pair[0], pair[1]


def _same_info(a: dict[str, Any], b: dict[str, Any], where: str) -> None:
    wrapped = "forced_steps" in a  # SkipForcedDecisions' count: not reported by the batch
    a = {k: v for k, v in a.items() if k != "forced_steps"}
    assert sorted(a) == sorted(b), where
    for key, x in a.items():
        y = b[key]
        if key == "episode":
            assert (x["r"], x["l"]) == (y["r"], y["l"]), where  # "t" is wall time
        elif key == "invalid_action" and wrapped:
            continue  # the wrapper reports its last forced step's flag
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f"{where}.{key}"
        else:
            assert x == y and type(x) is type(y), f"{where}.{key}"


@pytest.mark.parametrize("skip_forced", [True, False])
def test_fast_vec_env_equals_reference(skip_forced: bool) -> None:
    ref, fast = _venvs(skip_forced=skip_forced)
    for v in (ref, fast):
        v.seed(1234)
    o1, o2 = ref.reset(), fast.reset()
    assert o1.dtype == o2.dtype and o1.tobytes() == o2.tobytes()
    for a, b in zip(ref.reset_infos, fast.reset_infos, strict=True):
        _same_info(a, b, "reset")
    assert fast.env_is_wrapped(Monitor) == [True] * 3
    assert fast.env_is_wrapped(SkipForcedDecisions) == [skip_forced] * 3
    assert fast.get_attr("action_names") == ref.get_attr("action_names")
    assert fast.has_attr("action_masks") and not fast.has_attr("no_such_thing")
    rng = np.random.default_rng(0)
    episodes = 0
    for step in range(600):
        masks = np.stack(ref.env_method("action_masks"))
        assert masks.tobytes() == np.stack(fast.env_method("action_masks")).tobytes()
        assert [m.tolist() for m in ref.env_method("action_masks", indices=[1])] == [
            m.tolist() for m in fast.env_method("action_masks", indices=[1])
        ]
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        if step % 7 == 0:
            actions = rng.integers(0, masks.shape[1], 3)  # masked ones: the fallback rule
        o1, r1, d1, i1 = ref.step(actions)
        o2, r2, d2, i2 = fast.step(actions)
        assert o1.tobytes() == o2.tobytes(), step
        assert r1.dtype == r2.dtype and r1.tobytes() == r2.tobytes(), step
        assert d1.dtype == d2.dtype and np.array_equal(d1, d2), step
        for n in range(3):
            _same_info(i1[n], i2[n], f"step {step} env {n}")
            _same_info(ref.reset_infos[n], fast.reset_infos[n], f"reset {step} env {n}")
        episodes += int(d1.sum())
    assert episodes >= 3


def _train(backend: str, algo: str, steps: int, **hyper: Any) -> tuple[dict, Any]:
    configure_torch(1, True, "cpu")
    settings = TrainSettings(scenario=SC, algo=get_algo(algo), n_envs=4, backend=backend)
    venv = VecNormalize(make_vec_env(settings, SC), norm_reward=True)
    model = settings.algo.load_class()("MlpPolicy", venv, seed=3, device="cpu", **hyper)
    venv.seed(99)
    model.learn(steps)
    state = {k: v.clone() for k, v in model.policy.state_dict().items()}
    return state, venv.obs_rms


@pytest.mark.parametrize(
    ("algo", "steps", "hyper"),
    [
        ("maskable_ppo", 384, {"n_steps": 32, "batch_size": 64, "n_epochs": 2}),
        ("ppo", 256, {"n_steps": 32, "batch_size": 64, "n_epochs": 2}),
        ("a2c", 160, {"n_steps": 8}),
        ("dqn", 200, {"learning_starts": 40, "train_freq": 4, "buffer_size": 1000}),
    ],
)
def test_training_is_bit_identical_on_both_backends(algo: str, steps: int, hyper: dict) -> None:
    w_ref, rms_ref = _train("reference", algo, steps, **hyper)
    w_fast, rms_fast = _train("fast", algo, steps, **hyper)
    assert sorted(w_ref) == sorted(w_fast)
    for k in w_ref:
        assert torch.equal(w_ref[k], w_fast[k]), k
    assert rms_ref.mean.tobytes() == rms_fast.mean.tobytes()


def test_settings_the_fast_backend_lacks_are_refused() -> None:
    def fast(**kw: Any) -> VecEnv:
        return make_vec_env(TrainSettings(scenario=SC, algo=get_algo("ppo"), **kw), SC)

    with pytest.raises(ValueError, match=r"env\.kwargs\.render_mode.*env\.backend=reference"):
        fast(env_kwargs={"render_mode": "ansi"})
    with pytest.raises(ValueError, match=r"env\.id="):
        fast(env_id="CartPole-v1")
    assert isinstance(fast(env_kwargs={"observe_wrap_up": True}), FastVecEnv)
    with pytest.raises(ValueError, match=r"env\.backend"):
        TrainSettings.from_config(
            {"scenario": "n_design", "algo": {"name": "ppo"}, "env": {"backend": "gpu"}}
        )
