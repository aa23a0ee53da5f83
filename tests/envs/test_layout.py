"""The served policy's view of the env (``rlroute.envs.layout``, no Gymnasium) is the env's
own: same id and version, names, observations and masks, for every scenario and option."""

from __future__ import annotations

import inspect

import gymnasium as gym
import numpy as np
import pytest
from env_helpers import ENV_ID, short

from rlroute.envs import CallCenterEnv
from rlroute.envs.layout import (
    LAYOUT_OPTIONS,
    OTHER_OPTIONS,
    SimObserver,
    env_layout,
    layout_options,
)
from rlroute.envs.registration import ENV_IDS
from rlroute.rl.envinfo import env_layout as gym_env_layout
from rlroute.scenarios import config_dir

SCENARIOS = sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))


def test_every_env_option_is_classified() -> None:
    """A new env keyword must be declared as shaping the observation/mask or not, so that a
    served policy cannot silently ignore it."""
    params = inspect.signature(CallCenterEnv.__init__).parameters
    kwargs = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    assert kwargs <= set(LAYOUT_OPTIONS) | OTHER_OPTIONS, kwargs
    for name, default in LAYOUT_OPTIONS.items():
        assert params[name].default == default, name


def test_every_registered_id_is_known_without_gymnasium() -> None:
    registered = {k for k in gym.registry if k.startswith("rlroute/")}
    assert registered == set(ENV_IDS)


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize(
    "options",
    [{}, {"work_conserving": False, "skip_forced": True}, {"observe_wrap_up": True}],
    ids=["default", "holding", "wrap_up"],
)
def test_served_observer_is_the_envs(name: str, options: dict) -> None:
    sc = short(name, 1)
    kwargs = {k: v for k, v in options.items() if k != "skip_forced"}
    env = gym.make(ENV_ID, scenario=sc, **kwargs)
    served = SimObserver(ENV_ID, sc, options)
    assert served.layout == gym_env_layout(ENV_ID, sc, **options) == env_layout(ENV_ID, sc, options)
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=1)
    for _ in range(200):
        sim = env.unwrapped.sim  # type: ignore[attr-defined]
        np.testing.assert_array_equal(served(sim), obs)
        np.testing.assert_array_equal(served.mask(sim), info["action_mask"])
        obs, _, done, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        if done:
            break


def test_unknown_id_or_option_is_named() -> None:
    sc = short("n_design", 1)
    with pytest.raises(ValueError, match=r"unknown environment 'rlroute/CallCenter-v9'.*v1"):
        SimObserver("rlroute/CallCenter-v9", sc, {})
    with pytest.raises(ValueError, match=r"unknown env options \['observe_wrapup'\]"):
        layout_options({"observe_wrapup": True})


def test_env_class_is_exported_lazily() -> None:
    """``rlroute.envs.CallCenterEnv`` is imported on first use (without Gymnasium it raises
    ImportError: tests/export/test_serving.py checks that in a child process)."""
    import rlroute.envs

    assert rlroute.envs.CallCenterEnv is CallCenterEnv
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        rlroute.envs.Nope
