"""A trained SB3 model is a router: ``SB3Router(run_dir)`` plugs into ``Simulator.run`` and
``rlroute-bench`` (``{name: sb3, path: outputs/train/...}``).

At each decision epoch the router builds the observation the environment would have built
from the simulator's state (:class:`rlroute.envs.layout.SimObserver`), normalises it with the
run's statistics and takes the policy's best *valid* action (masked argmax, deterministic).
Epochs with a single valid action are answered without the network, as in training.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rlroute.envs.layout import EnvLayout, SimObserver
from rlroute.policies.model_cache import load_once
from rlroute.rl.runs import LoadedRun, ObsNorm, RunError, RunInfo, check_names

if TYPE_CHECKING:
    from rlroute.rl.policy import TorchPolicy
    from rlroute.sim import Simulator


class PolicyRouter:
    """A router from ``act_one(obs, mask) -> action`` and the environment it was trained on.

    ``reset(sim)`` builds the observer for ``sim.scenario`` and checks that its observation and
    action names are the ones the policy was trained with.
    """

    def __init__(
        self,
        act_one: Callable[[np.ndarray, np.ndarray], int],
        layout: EnvLayout,
        env_options: dict[str, Any],
        name: str = "policy",
        where: str = "policy",
    ) -> None:
        self.name = name
        self._act_one = act_one
        self.layout = layout
        self.env_options = dict(env_options)
        self.where = where
        self._observer: SimObserver | None = None
        self._scenario_id: int | None = None

    def reset(self, sim: Simulator) -> None:
        if self._observer is None or self._scenario_id != id(sim.scenario):
            observer = SimObserver(self.layout.env_id, sim.scenario, self.env_options)
            have = observer.layout
            if have.env_version != self.layout.env_version:
                raise RunError(
                    f"{self.where}: trained on {self.layout.env_id} v{self.layout.env_version}, "
                    f"the installed environment is v{have.env_version}"
                )
            check_names(
                "observation", self.layout.observation_names, have.observation_names, self.where
            )
            check_names("action", self.layout.action_names, have.action_names, self.where)
            self._observer, self._scenario_id = observer, id(sim.scenario)

    def act(self, sim: Simulator) -> int:
        observer = self._observer
        assert observer is not None, "reset(sim) first"
        mask = observer.mask(sim)
        valid = np.flatnonzero(mask)
        if len(valid) == 1:
            return int(valid[0])
        return self._act_one(observer(sim), mask)


def router_from_model(
    model: Any, obs_norm: ObsNorm, layout: EnvLayout, env_options: dict[str, Any], name: str = "sb3"
) -> PolicyRouter:
    """A router around a live SB3 model (used by the trainer's KPI evaluation)."""
    from rlroute.rl.policy import TorchPolicy

    policy = TorchPolicy(model, obs_norm)
    return PolicyRouter(policy.act_one, layout, env_options, name=name, where=name)


class SB3Router(PolicyRouter):
    """A trained run (directory or model ``.zip``) as a deterministic router."""

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        from rlroute.rl.runs import RUN_INFO_FILE, resolve_model, vecnorm_for

        # One load per process and model file, however many routers a benchmark builds.
        run_dir, model_path = resolve_model(path)
        extra = [run_dir / RUN_INFO_FILE, vecnorm_for(model_path)]
        run, self.policy = load_once("sb3", model_path, _load_policy, extra)
        info: RunInfo = run.info
        self.run = run
        layout = EnvLayout(info.env_id, info.env_version, info.observation_names, info.action_names)
        super().__init__(
            self.policy.act_one,
            layout,
            info.env_options,
            name=name or f"sb3:{info.algo}",
            where=str(run.model_path),
        )


def _load_policy(model_path: Path) -> tuple[LoadedRun, TorchPolicy]:
    """Load a model once per process (:mod:`rlroute.policies.model_cache`): a benchmark
    builds a fresh router per seed, and they all share the read-only network."""
    from rlroute.rl.policy import TorchPolicy
    from rlroute.rl.runs import load_run

    run = load_run(model_path)
    return run, TorchPolicy.from_run(run)


def make_sb3_router(path: str | Path | None = None, name: str | None = None, **_: Any) -> SB3Router:
    """Registry factory: ``make_router("sb3", path=...)``."""
    if path is None:
        raise ValueError("router 'sb3' needs path= (a run directory or a model .zip)")
    return SB3Router(path, name=name)


__all__ = ["PolicyRouter", "SB3Router", "make_sb3_router", "router_from_model"]
