"""``rlroute/CallCenter-v1``: a multi-skill call center's routing decisions as a Gymnasium env.

The environment is a thin shell around :class:`rlroute.sim.Simulator`: one step is one decision
epoch of the simulator (``sim.step(action)`` then ``sim.advance()``), so the environment, the
benchmark and every heuristic router share one event engine and one set of random streams.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rlroute.envs import render as _render
from rlroute.envs.layout import action_names, fallback_action
from rlroute.envs.observation import (
    Observer,
    check_version,
    observation_bounds,
    observation_names,
    observe,
)
from rlroute.envs.versions import ENV_ID
from rlroute.scenario import Scenario
from rlroute.scenarios import load_scenario
from rlroute.sim.engine import Simulator

InvalidAction = Literal["raise", "fallback"]
_INVALID_MODES = ("raise", "fallback")


class CallCenterEnv(gym.Env[np.ndarray, np.int64]):
    """Route calls in a multi-skill call center, one assignment at a time.

    ## Description

    Calls of ``K`` types arrive over a day, wait in one first-come-first-served queue per type
    and abandon when their patience runs out; ``G`` groups of agents, each trained on some of
    the types, serve them with group-dependent handle times and first-call resolution. Whenever
    some waiting call could be given to some idle agent able to serve it (a *decision epoch*),
    the agent (the policy) matches one call type with one agent group, or holds. Decisions are
    atomic (Sun, Shi and Dai): after an assignment the environment asks again at the same
    instant while assignments remain possible. The dynamics are those of
    :class:`rlroute.sim.Simulator` on a :class:`rlroute.scenario.Scenario`.

    ## Action Space

    ``Discrete(len(pairs) + 1)``. Action ``a < len(pairs)`` gives the oldest waiting call of type
    ``pairs[a][0]`` to the longest-idle agent of group ``pairs[a][1]``, where ``pairs`` (also
    ``env.unwrapped.pairs``) lists the eligible (type index, group index) pairs in sorted order;
    the last action, ``len(pairs)``, is *hold* (wait for the next event). ``action_names`` reads
    ``"<type>-><group>"`` and ``"hold"``.

    Not every action is possible at every epoch: ``action_masks()`` (for sb3-contrib's
    ``MaskablePPO``) and ``info["action_mask"]`` give the valid ones. A pair is valid when its
    type has a waiting call and its group an idle agent. By default the environment is
    *work-conserving* (QGym's fix for PPO on parallel-server systems): hold is valid only when no
    assignment is; ``work_conserving=False`` makes hold always valid (needed to learn
    reservation policies).

    Every action of the space is accepted (``env.step(env.action_space.sample())`` never raises,
    so algorithms that ignore the mask, PPO, A2C, DQN, and the checkers of Gymnasium and SB3 work
    unchanged): by default (``invalid_action="fallback"``) a masked action is replaced by a
    valid one by a fixed, deterministic rule, :meth:`fallback_action`: an invalid pair (type
    ``k``, group ``g``) becomes the valid pair of the same group with the lowest index (the free
    agent takes another call), else the valid pair of the same type (the call goes to another
    group), else the lowest valid action (hold when nothing is assignable, or an invalid hold
    becomes the lowest valid assignment). ``info["invalid_action"]`` says whether this step's
    action was replaced and ``info["invalid_actions"]`` counts replacements in the episode.
    ``invalid_action="raise"`` is the strict option: a masked action raises ``ValueError``
    naming it and why it is invalid, with the state unchanged.

    ## Observation Space

    ``Box(low, high, (3K + 2G + 1,), float32)`` (``3K + 3G + 1`` with ``observe_wrap_up``),
    every entry normalised; names in ``env.unwrapped.observation_names``. With ``K`` types and
    ``G`` groups:

    | Index          | Observation         | Min | Max | Meaning                                           |
    |----------------|---------------------|-----|-----|---------------------------------------------------|
    | 0 .. K-1       | ``queue/<type>``    | 0   | 10  | waiting calls per agent able to serve the type     |
    |                |                     |     |     | (peak head count of its groups)                   |
    | K .. 2K-1      | ``hol_wait/<type>`` | 0   | 10  | head-of-line wait / service-level target          |
    | 2K .. 3K-1     | ``load/<type>``     | 0   | 10  | this interval's offered load (rate x mean handle  |
    |                |                     |     |     | time x the type's handle-time profile factor) per |
    |                |                     |     |     | scheduled agent able to serve the type; 0 after   |
    |                |                     |     |     | the horizon                                       |
    | 3K .. 3K+G-1   | ``idle/<group>``    | 0   | 1   | idle agents / scheduled head count (clipped at 1) |
    | 3K+G .. 3K+2G-1| ``on_duty/<group>`` | 0   | 1   | scheduled head count / peak head count            |
    | 3K+2G          | ``time/elapsed``    | 0   | 1   | clock / horizon (1 during the final drain)        |
    | 3K+2G+1 ..     | ``wrap_up/<group>`` | 0   | 1   | only with ``observe_wrap_up``: agents in          |
    | 3K+3G          |                     |     |     | after-call work / scheduled head count            |

    Values above 10 are clipped. The same observation of any simulator is
    :func:`rlroute.envs.observation.observe` (used to serve a trained policy as a router).

    ## Rewards

    Minus the increase of the scenario's cost (``sim.cost``) since the previous decision, times
    ``reward_scale``. The cost is the one the benchmark scores (see
    :class:`rlroute.scenario.CallCost`): per call type, waiting cost per second waited,
    a cost per abandoned or balked call, per call answered after its service-level target and
    per call not resolved at first contact. Cost accrued before the first decision is included
    in the first step's reward and the cost of the final drain in the last one, so the return of
    an episode is exactly ``-sim.cost * reward_scale`` (up to float rounding).

    ## Starting State

    Time 0 of the scenario's horizon, with the first interval's staffing and no calls; the
    first observation is that of the first decision epoch (the first call that can be
    answered). ``reset(seed=s)`` simulates the same day as ``Simulator(scenario, seed=s)``, so a
    seeded episode faces exactly the callers the benchmark's routers face on seed ``s`` (common
    random numbers); ``reset()`` without a seed draws the day's seed from ``self.np_random``.

    ## Episode End

    The episode **terminates** (``terminated=True``) when the day is over: arrivals stop at the
    horizon, the calls still in the center are served or abandon (the drain), and no decision
    remains. The horizon is part of the task (one working day), not a time limit imposed on an
    endless process: nothing happens after it, so a learner must not bootstrap a value beyond
    it. ``truncated`` is always False; wrap with ``TimeLimit`` for shorter episodes. A day
    without a single decision epoch (no call ever finds an idle agent) is a one-step episode
    whose only valid action is hold.
    The final ``info`` holds ``info["kpis"]``: the day's KPIs (``sim.report().overall``).

    ## Arguments

    * ``scenario``: a :class:`~rlroute.scenario.Scenario`, a YAML path or a scenario name of
      ``configs/scenario/`` (resolved by :func:`rlroute.scenarios.load_scenario`); default
      ``"heterogeneous"``.
    * ``reward_scale`` (float, 1.0): multiplies the cost increase.
    * ``work_conserving`` (bool, True): mask hold whenever an assignment is possible.
    * ``invalid_action`` (``"fallback"`` or ``"raise"``, default ``"fallback"``): what a
      masked-out action does (see Action Space): replaced by :meth:`fallback_action` and
      counted, or a ``ValueError``. A value that is not an action of the space (``-1``,
      ``n``) always raises.
    * ``observe_wrap_up`` (bool, False): append ``wrap_up/<group>`` (agents in after-call work
      per scheduled agent) to the observation, for scenarios with wrap-up, where agents about
      to become free are not idle yet. Off by default, so the layout (and every trained
      policy's input) is unchanged.
    * ``observation`` (``"v1"`` or ``"v2"``, default ``"v1"``): the observation layout.
      ``"v2"`` appends, after v1's entries and ``wrap_up/<group>`` (always on in v2), what an
      index rule does not see: waiting calls past the SL target and within half a target of
      it per type, the waits of the 2nd to 4th waiting calls, and the next interval's load
      (:mod:`rlroute.envs.observation`). The default keeps every trained policy's input.
    * ``render_mode`` (``None``, ``"ansi"`` or ``"rgb_array"``): ``render()`` returns a text
      snapshot (clock, queue and head-of-line wait per type, idle/talking/wrap-up agents per
      group), or a ``uint8`` picture of the same, of constant shape ``(H, W, 3)`` per scenario,
      drawn with NumPy (see :mod:`rlroute.envs.render`); ``metadata["render_fps"]`` is the frame
      rate of videos (``gymnasium.wrappers.RecordVideo``), one frame per decision.

    ``reset`` takes no ``options``. Every step's ``info`` holds ``action_mask``,
    ``invalid_action`` and ``invalid_actions``.

    >>> import gymnasium as gym
    >>> import rlroute
    >>> env = gym.make("rlroute/CallCenter-v1", scenario="n_design")
    >>> obs, info = env.reset(seed=0)
    >>> env.unwrapped.action_names
    ['A->dedicated', 'A->flex', 'B->flex', 'hold']
    >>> obs.shape, obs.dtype
    ((11,), dtype('float32'))
    >>> int(info["action_mask"].sum()) >= 1
    True
    >>> rng = np.random.default_rng(0)
    >>> terminated = False
    >>> while not terminated:
    ...     action = rng.choice(np.flatnonzero(env.unwrapped.action_masks()))
    ...     obs, reward, terminated, truncated, info = env.step(action)
    >>> sorted(k for k in ("asa", "service_level", "cost") if k in info["kpis"])
    ['asa', 'cost', 'service_level']
    >>> _ = env.reset(seed=0)
    >>> _, _, _, _, info = env.step(env.action_space.sample())  # masked or not: never raises
    >>> sorted(k for k in info if k.startswith("invalid"))
    ['invalid_action', 'invalid_actions']

    ## Version History

    * v1: ``load/<type>`` follows the type's handle-time profile (offered load = rate x mean
      handle time x the interval's profile factor; v0 ignored the profile); the
      ``observe_wrap_up`` option (``wrap_up/<group>`` appended, off by default); a masked
      action falls back to a valid one by default (``invalid_action="fallback"``, the rule of
      the trainer's former ``InvalidActionFallback`` wrapper; v0 raised by default and its
      fallback was FIFO's choice), with ``info["invalid_action"]``; ``"ansi"`` and
      ``"rgb_array"`` render modes. Layout, actions, dynamics and reward are otherwise
      unchanged: on scenarios without a handle-time profile the default observation is v0's,
      value for value, and policies trained on v0 there were re-validated (see the studies'
      READMEs). Later, without a version change (the default layout is unchanged): the
      ``observation="v2"`` option.
    * v0: initial version.
    """

    metadata: dict[str, Any] = {  # noqa: RUF012 - Gymnasium's convention
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 8,
    }

    def __init__(
        self,
        scenario: Scenario | str | Path = "heterogeneous",
        *,
        reward_scale: float = 1.0,
        work_conserving: bool = True,
        invalid_action: InvalidAction = "fallback",
        observe_wrap_up: bool = False,
        observation: str = "v1",
        render_mode: str | None = None,
    ) -> None:
        if invalid_action not in _INVALID_MODES:
            raise ValueError(f"invalid_action={invalid_action!r}; use one of {_INVALID_MODES}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r}: {ENV_ID} renders {self.metadata['render_modes']}"
            )
        self.scenario = load_scenario(scenario)
        self.reward_scale = float(reward_scale)
        self.work_conserving = bool(work_conserving)
        self.invalid_action = invalid_action
        self.render_mode = render_mode

        sc = self.scenario
        self.pairs: list[tuple[int, int]] = sc.eligible_pairs()
        self.HOLD = len(self.pairs)
        self.action_names = action_names(sc)  # the served policy's names too
        self.observe_wrap_up = bool(observe_wrap_up)
        self.observation = check_version(observation)
        self.observation_names: list[str] = observation_names(
            sc, self.observe_wrap_up, self.observation
        )
        low, high = observation_bounds(sc, self.observe_wrap_up, self.observation)
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self.action_space = spaces.Discrete(self.HOLD + 1)

        self._observe = Observer(sc, self.observe_wrap_up, self.observation)
        self._n_actions = self.HOLD + 1
        self._sim: Simulator | None = None
        self._valid: list[bool] = [False] * self.HOLD + [True]
        self._mask = np.array(self._valid, dtype=bool)
        self._last_cost = 0.0
        self._n_invalid = 0
        self._last_action: int | None = None
        self._peak = [max(sc.head_counts(g)) for g in range(len(sc.agent_groups))]

    # ------------------------------------------------------------------ Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        # A seeded reset replays Simulator(scenario, seed): the benchmark's day for that seed.
        day_seed = seed if seed is not None else int(self.np_random.integers(2**63))
        sim = self._sim = Simulator(self.scenario, day_seed)
        self._last_cost = 0.0
        self._n_invalid = 0
        self._last_action = None
        sim.advance()  # to the first decision; a day without any ends at the first step (hold)
        obs = self._observe(sim)
        mask = self._update_mask(sim)
        return obs, {"action_mask": mask, "invalid_action": False, "invalid_actions": 0}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        sim = self._sim
        if sim is None:
            raise RuntimeError("call reset() before step()")
        a = int(action)
        # Checked against the private copy of the mask: what a caller does to the returned
        # array cannot make an invalid action pass.
        replaced = not (0 <= a < self._n_actions and self._valid[a])
        if replaced:
            if self.invalid_action == "raise" or not 0 <= a < self._n_actions:
                raise ValueError(self._why_invalid(sim, a))
            a = self.fallback_action(a)
            self._n_invalid += 1
        self._last_action = a
        sim.step(a)
        alive = sim.advance()
        cost = sim.cost
        reward = (self._last_cost - cost) * self.reward_scale
        self._last_cost = cost
        obs = self._observe(sim)
        mask = self._update_mask(sim)
        info: dict[str, Any] = {
            "action_mask": mask,
            "invalid_action": replaced,
            "invalid_actions": self._n_invalid,
        }
        if not alive:
            info["kpis"] = sim.report().overall
        return obs, reward, not alive, False, info

    def action_masks(self) -> np.ndarray:
        """Valid actions of the current decision epoch (for sb3-contrib's MaskablePPO)."""
        return self._mask

    def fallback_action(self, action: int, mask: np.ndarray | None = None) -> int:
        """The valid action that replaces ``action`` under ``mask`` (default: the current
        epoch's): the action itself when valid, else the lowest valid pair of the same group,
        else of the same type, else the lowest valid action (see Action Space)."""
        return fallback_action(self.pairs, self._valid if mask is None else mask, action)

    def render(self) -> str | np.ndarray | None:
        """The current epoch as text (``"ansi"``) or a picture (``"rgb_array"``)."""
        if self.render_mode is None:
            gym.logger.warn(
                f"render() without a render_mode: make {ENV_ID} with render_mode='ansi' or "
                "'rgb_array'"
            )
            return None
        sim = self.sim
        if self.render_mode == "ansi":
            last = self._last_action
            return _render.text(sim, None if last is None else self.action_names[last])
        return _render.draw(sim, self._observe(sim), self._peak)

    # ------------------------------------------------------------------ helpers
    @property
    def observer(self) -> Observer:
        """The observation function of this env (scenario and options fixed, stateless):
        applied to any simulator of the scenario it gives the env's observation, which is
        how a trained policy is served outside the env."""
        return self._observe

    @property
    def sim(self) -> Simulator:
        """The simulator of the current episode."""
        if self._sim is None:
            raise RuntimeError("call reset() first")
        return self._sim

    def _update_mask(self, sim: Simulator) -> np.ndarray:
        qlen, idle = sim.queue_len, sim.idle_count
        valid = [bool(qlen[k] and idle[g]) for k, g in self.pairs]
        valid.append(not self.work_conserving or not any(valid))
        self._valid = valid
        self._mask = mask = np.array(valid, dtype=bool)
        return mask

    def _why_invalid(self, sim: Simulator, a: int) -> str:
        if not 0 <= a <= self.HOLD:
            return f"action {a} is outside the action space 0..{self.HOLD}"
        valid = [self.action_names[b] for b, ok in enumerate(self._valid) if ok]
        if a == self.HOLD:
            why = "hold is masked: the environment is work-conserving and an assignment is possible"
        else:
            k, g = self.pairs[a]
            why = (
                f"{sim.queue_len[k]} call(s) of type {self.scenario.type_names[k]!r} waiting, "
                f"{sim.idle_count[g]} idle agent(s) in group {self.scenario.group_names[g]!r}"
            )
        return (
            f"invalid action {a} ({self.action_names[a]!r}) at t={sim.now:.1f}s: {why}; "
            f"valid actions now: {valid} (see action_masks(); the default "
            "invalid_action='fallback' replaces invalid actions by a valid one)"
        )


__all__ = ["CallCenterEnv", "observe"]
