"""The environment as a served policy sees it, without Gymnasium: its layout (id, version,
observation and action names) and its observation and mask of a bare simulator.

A trained policy is a function of the environment's observation. To serve it as a router, the
same observation must be built from a simulator that a benchmark (not the env) drives, from
what the policy's sidecar or run directory records: the env id, the scenario and the env
options. This module is the one place that knows how; it imports neither Gymnasium nor torch,
so the ONNX router runs on onnxruntime and numpy alone. :class:`~rlroute.envs.CallCenterEnv`
builds its own observer, mask and names with the same functions, and the tests check that
both agree for every option.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rlroute.envs.observation import Observer, check_version, observation_names
from rlroute.envs.registration import ENV_IDS

if TYPE_CHECKING:
    from rlroute.scenario import Scenario
    from rlroute.sim import Simulator

#: Env options that change the observation or the mask, with their defaults.
LAYOUT_OPTIONS: dict[str, Any] = {
    "work_conserving": True,
    "observe_wrap_up": False,
    "observation": "v1",
}
#: Options that do not (the env's reward and invalid-action handling, rendering, and the
#: trainer's wrappers): accepted and ignored when serving.
OTHER_OPTIONS = frozenset({"reward_scale", "invalid_action", "render_mode", "skip_forced"})


@dataclass(frozen=True)
class EnvLayout:
    """An environment's identity and its observation and action layouts."""

    env_id: str
    env_version: int
    observation_names: list[str]
    action_names: list[str]


def action_names(scenario: Scenario) -> list[str]:
    """``"<type>-><group>"`` for every eligible pair (sorted), then ``"hold"``."""
    types, groups = scenario.type_names, scenario.group_names
    return [f"{types[k]}->{groups[g]}" for k, g in scenario.eligible_pairs()] + ["hold"]


def env_version(env_id: str) -> int:
    """The version of a registered id (``"rlroute/CallCenter-v0"`` -> 0), as Gymnasium's
    ``EnvSpec.version``; an id rlroute does not register fails, naming the known ones."""
    if env_id not in ENV_IDS:
        raise ValueError(f"unknown environment {env_id!r}; rlroute ids: {sorted(ENV_IDS)}")
    match = re.search(r"-v(\d+)$", env_id)
    return int(match.group(1)) if match else 0


def layout_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options that shape observation and mask, defaults filled in; unknown ones fail."""
    unknown = sorted(set(options) - set(LAYOUT_OPTIONS) - OTHER_OPTIONS)
    if unknown:
        raise ValueError(
            f"unknown env options {unknown}; known: {sorted({*LAYOUT_OPTIONS, *OTHER_OPTIONS})}"
        )
    opts: dict[str, Any] = {
        k: bool(options.get(k, default)) for k, default in LAYOUT_OPTIONS.items()
    }
    opts["observation"] = check_version(str(options.get("observation", "v1")))
    return opts


def env_layout(env_id: str, scenario: Scenario, options: dict[str, Any] | None = None) -> EnvLayout:
    """Identity and layout of ``env_id`` on ``scenario`` with env ``options``."""
    opts = layout_options(options or {})
    return EnvLayout(
        env_id=env_id,
        env_version=env_version(env_id),
        observation_names=observation_names(scenario, opts["observe_wrap_up"], opts["observation"]),
        action_names=action_names(scenario),
    )


class SimObserver:
    """``observer(sim) -> float32 observation`` and ``observer.mask(sim)`` for a simulator the
    caller drives, exactly as ``env_id`` with ``options`` computes them for its own simulator.

    Stateless once built (everything depends on the scenario only), so one observer serves
    every simulator of its scenario.
    """

    def __init__(
        self, env_id: str, scenario: Scenario, options: dict[str, Any] | None = None
    ) -> None:
        opts = layout_options(options or {})
        self.layout = env_layout(env_id, scenario, opts)
        self.work_conserving = opts["work_conserving"]
        self.observer = Observer(
            scenario, wrap_up=opts["observe_wrap_up"], version=opts["observation"]
        )

    def __call__(self, sim: Simulator) -> np.ndarray:
        return self.observer(sim)

    def mask(self, sim: Simulator) -> np.ndarray:
        return sim.action_mask(self.work_conserving)


def fallback_action(
    pairs: Sequence[tuple[int, int]], mask: np.ndarray | Sequence[bool], action: int
) -> int:
    """The valid action that replaces ``action`` under ``mask``: the rule of
    :meth:`rlroute.envs.CallCenterEnv.fallback_action`, written once for the env and both
    batches (the action itself when valid, else the lowest valid pair of the same group, else
    of the same type, else the lowest valid action). ``mask`` may be a list of bools."""
    if mask[action]:
        return action
    valid = np.flatnonzero(mask).tolist()
    if action < len(pairs):
        k, g = pairs[action]
        for same in (1, 0):  # same group first, then same type
            key = (k, g)[same]
            for b in valid:
                if b < len(pairs) and pairs[b][same] == key:
                    return int(b)
    return int(valid[0])


__all__ = [
    "LAYOUT_OPTIONS",
    "OTHER_OPTIONS",
    "EnvLayout",
    "SimObserver",
    "action_names",
    "env_layout",
    "env_version",
    "fallback_action",
    "layout_options",
]
