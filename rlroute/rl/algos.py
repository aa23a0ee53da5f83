"""The algorithms ``rlroute-train`` knows: names, SB3 classes, and hyperparameter translation.

The names are the files of the ``algo`` config group. An algorithm is *masked* when it reads
the environment's ``action_masks()`` itself (sb3-contrib's MaskablePPO); the others see every
action and rely on the environment's fallback for masked actions during training, while
the router and the ONNX graph always pick the best *valid* action.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch import nn

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm


@dataclass(frozen=True)
class AlgoSpec:
    """An algorithm: registry ``name``, its class (``module:Class``), and how it acts."""

    name: str
    cls_path: str
    masked: bool  # reads env.action_masks() (no invalid actions ever reach the env)
    off_policy: bool  # has a replay buffer (saved with checkpoints)
    kind: str  # "actor_critic" (logits from mlp_extractor + action_net) or "q" (q_net)

    def load_class(self) -> type[BaseAlgorithm]:
        module, _, cls = self.cls_path.partition(":")
        return getattr(importlib.import_module(module), cls)


ALGOS: dict[str, AlgoSpec] = {
    spec.name: spec
    for spec in (
        AlgoSpec("maskable_ppo", "sb3_contrib:MaskablePPO", True, False, "actor_critic"),
        AlgoSpec("ppo", "stable_baselines3:PPO", False, False, "actor_critic"),
        AlgoSpec("a2c", "stable_baselines3:A2C", False, False, "actor_critic"),
        AlgoSpec("dqn", "stable_baselines3:DQN", False, True, "q"),
    )
}

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
}


def get_algo(name: str) -> AlgoSpec:
    """The spec of algorithm ``name``; unknown names list the known ones."""
    try:
        return ALGOS[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; known algorithms: {sorted(ALGOS)}") from None


def algo_of_model(model: Any) -> AlgoSpec:
    """The spec whose class ``model`` is an instance of."""
    for spec in ALGOS.values():
        if type(model) is spec.load_class():
            return spec
    raise ValueError(
        f"model class {type(model).__name__} is not one of the known algorithms {sorted(ALGOS)}"
    )


def linear_schedule(initial: float) -> Callable[[float], float]:
    """``initial`` decaying linearly to 0 over training (SB3 passes the remaining fraction)."""

    def schedule(progress_remaining: float) -> float:
        return progress_remaining * initial

    schedule.__qualname__ = f"linear_schedule({initial})"
    return schedule


def _schedule(name: str, value: Any) -> Any:
    """``"lin_3e-4"`` (rl-zoo's spelling) becomes a linear schedule from 3e-4 to 0."""
    if isinstance(value, str) and value.startswith("lin_"):
        try:
            return linear_schedule(float(value[4:]))
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not 'lin_<number>'") from None
    return value


def sb3_kwargs(hyperparams: Mapping[str, Any]) -> dict[str, Any]:
    """Config hyperparameters as SB3 constructor keywords (activation names become classes,
    ``lin_<x>`` learning rates and clip ranges become linear schedules)."""
    kwargs = {k: _schedule(k, _plain(v)) for k, v in hyperparams.items()}
    policy_kwargs = dict(kwargs.get("policy_kwargs") or {})
    act = policy_kwargs.get("activation_fn")
    if isinstance(act, str):
        try:
            policy_kwargs["activation_fn"] = ACTIVATIONS[act]
        except KeyError:
            raise ValueError(
                f"unknown activation_fn {act!r}; known: {sorted(ACTIVATIONS)}"
            ) from None
    if policy_kwargs:
        kwargs["policy_kwargs"] = policy_kwargs
    return kwargs


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


__all__ = [
    "ACTIVATIONS",
    "ALGOS",
    "AlgoSpec",
    "algo_of_model",
    "get_algo",
    "linear_schedule",
    "sb3_kwargs",
]
