"""rlroute/CallCenter-v1 as third-party tools use it, with default arguments on every shipped
scenario: sampled actions never raise, Gymnasium's and SB3's checkers pass, v0 is gone with
Gymnasium's own message, render modes, SB3's make_vec_env and RecordVideo."""

from __future__ import annotations

import re
import warnings

import gymnasium as gym
import numpy as np
import pytest
from env_helpers import ENV_ID, short

from rlroute.envs.call_center import CallCenterEnv
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario, scenario_names

# The checker's own advice when it is handed gym.make's wrappers instead of the bare env.
WRAPPED_ADVICE = "is different from the unwrapped version"


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    """Every shipped scenario, whole (loaded once: parsing the bank's YAML is the slow part)."""
    return {n: load_scenario(n) for n in scenario_names()}


@pytest.mark.parametrize("name", scenario_names())
def test_sampled_actions_never_raise(name, scenarios) -> None:
    env = gym.make(ENV_ID, scenario=scenarios[name])
    env.action_space.seed(0)
    _, info = env.reset(seed=0)
    replaced = 0
    for _ in range(300):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        replaced += info["invalid_action"]
        if terminated or truncated:
            env.reset()
    assert info["invalid_actions"] <= replaced


@pytest.mark.parametrize("name", scenario_names())
def test_gymnasium_and_sb3_checkers_pass_with_default_arguments(name, scenarios) -> None:
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    scenario = scenarios[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no checker warning either
        gym_check(gym.make(ENV_ID, scenario=scenario).unwrapped)
        sb3_check(gym.make(ENV_ID, scenario=scenario).unwrapped)
        sb3_check(CallCenterEnv(scenario))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check(gym.make(ENV_ID, scenario=scenario))  # through gym.make's wrappers
    assert all(WRAPPED_ADVICE in str(w.message) for w in caught), [str(w.message) for w in caught]


def test_v0_is_gone_with_gymnasiums_message_pointing_at_v1() -> None:
    assert "rlroute/CallCenter-v0" not in gym.registry and ENV_ID == "rlroute/CallCenter-v1"
    with (
        warnings.catch_warnings(),
        pytest.raises(
            gym.error.DeprecatedEnv,
            match=re.escape(
                "Environment version v0 for `rlroute/CallCenter` is deprecated. "
                "Please use `rlroute/CallCenter-v1` instead."
            ),
        ),
    ):
        warnings.simplefilter("ignore")
        gym.make("rlroute/CallCenter-v0")


def test_the_docstring_is_the_spec() -> None:
    doc = CallCenterEnv.__doc__ or ""
    sections = [
        "Description",
        "Action Space",
        "Observation Space",
        "Rewards",
        "Starting State",
        "Episode End",
        "Arguments",
        "Version History",
    ]
    positions = [doc.index(f"## {s}") for s in sections]
    assert positions == sorted(positions)
    assert "* v1:" in doc and "* v0:" in doc and '>>> env = gym.make("rlroute/CallCenter-v1"' in doc
    assert set(CallCenterEnv.metadata["render_modes"]) == {"ansi", "rgb_array"}
    assert CallCenterEnv.metadata["render_fps"] > 0


def test_render_modes() -> None:
    scenario = short("heterogeneous", 2)
    text_env = gym.make(ENV_ID, scenario=scenario, render_mode="ansi")
    rgb_env = gym.make(ENV_ID, scenario=scenario, render_mode="rgb_array")
    text_env.reset(seed=1)
    rgb_env.reset(seed=1)
    first = rgb_env.render()
    assert isinstance(first, np.ndarray) and first.dtype == np.uint8 and first.ndim == 3
    assert first.shape[2] == 3
    frames = [first]
    rng = np.random.default_rng(1)
    for _ in range(200):
        a = int(rng.integers(text_env.action_space.n))
        text_env.step(a)
        _, _, terminated, _, _ = rgb_env.step(a)
        frames.append(rgb_env.render())
        if terminated:
            break
    assert {f.shape for f in frames} == {first.shape}  # constant shape
    assert len({f.tobytes() for f in frames}) > 10  # the picture follows the state
    snapshot = text_env.render()
    assert isinstance(snapshot, str)
    for name in scenario.type_names + scenario.group_names:
        assert name in snapshot
    assert "last action:" in snapshot
    with pytest.raises(ValueError, match="render_mode='human'"):
        CallCenterEnv(scenario, render_mode="human")  # (gym.make would wrap rgb_array frames)
    with pytest.warns(UserWarning, match="without a render_mode"):
        env = gym.make(ENV_ID, scenario=scenario).unwrapped
        env.reset(seed=0)
        assert env.render() is None


def test_sb3_make_vec_env_idiom() -> None:
    """RL Zoo's idiom asks for render_mode="rgb_array"; it must simply work."""
    from stable_baselines3.common.env_util import make_vec_env

    import rlroute  # noqa: F401 - registers the env id

    venv = make_vec_env(ENV_ID, n_envs=2, seed=0, env_kwargs=dict(scenario="heterogeneous"))
    obs = venv.reset()
    assert obs.shape == (2, venv.observation_space.shape[0])
    _obs, rewards, _dones, infos = venv.step(np.array([venv.action_space.sample() for _ in "ab"]))
    assert rewards.shape == (2,) and len(infos) == 2
    frames = venv.get_images()
    assert len(frames) == 2 and frames[0].dtype == np.uint8 and frames[0].shape[2] == 3
    venv.close()


@pytest.mark.slow  # about 4 s: moviepy and ffmpeg start up
def test_record_video_films_a_short_day(tmp_path) -> None:
    pytest.importorskip("moviepy")
    from gymnasium.wrappers import RecordVideo

    scenario = short("n_design", 1)
    env = RecordVideo(
        gym.make(ENV_ID, scenario=scenario, render_mode="rgb_array"),
        str(tmp_path / "videos"),
        episode_trigger=lambda episode: episode == 0,
        video_length=60,
        disable_logger=True,
    )
    env.reset(seed=0)
    for _ in range(60):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    env.close()
    videos = list((tmp_path / "videos").glob("*.mp4"))
    assert len(videos) == 1 and videos[0].stat().st_size > 1000
