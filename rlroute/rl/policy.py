"""A trained SB3 model as a deterministic, masked, greedy function of raw observations.

Training and serving must agree on one rule, and this module is it: normalise the raw
observation with the run's statistics, compute the policy's action preferences (actor logits
for PPO / MaskablePPO / A2C, Q-values for DQN), set invalid actions to ``MASKED_LOGIT`` and take
the argmax. The ONNX graph (:mod:`rlroute.export.onnx_export`) is built from the very modules
:func:`preference_module` returns, so torch and ONNX can be compared number for number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from rlroute.rl.algos import algo_of_model
from rlroute.rl.runs import LoadedRun, ObsNorm

#: What an invalid action's preference becomes (as sb3-contrib's MaskableCategorical does).
MASKED_LOGIT = -1e8


class ActorLogits(nn.Module):
    """Features extractor + actor MLP + action head of an SB3 ActorCriticPolicy."""

    def __init__(self, policy: Any) -> None:
        super().__init__()
        self.features = policy.pi_features_extractor
        self.latent = policy.mlp_extractor.policy_net
        self.head = policy.action_net

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.latent(self.features(obs)))


class QValues(nn.Module):
    """Features extractor + Q head of an SB3 DQN policy (the online network)."""

    def __init__(self, policy: Any) -> None:
        super().__init__()
        self.features = policy.q_net.features_extractor
        self.head = policy.q_net.q_net

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(obs))


def preference_module(model: Any) -> nn.Module:
    """The module mapping normalised observations to action preferences (logits or Q)."""
    spec = algo_of_model(model)
    module = ActorLogits(model.policy) if spec.kind == "actor_critic" else QValues(model.policy)
    return module.eval()


class TorchPolicy:
    """``act(obs, mask)`` and ``masked_logits(obs, mask)`` on raw observation batches."""

    def __init__(self, model: Any, obs_norm: ObsNorm) -> None:
        self.model = model
        self.obs_norm = obs_norm
        self.module = preference_module(model)

    @classmethod
    def from_run(cls, run: LoadedRun) -> TorchPolicy:
        return cls(run.model, run.obs_norm)

    @torch.no_grad()
    def masked_logits(self, obs: np.ndarray, mask: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(self.obs_norm(np.atleast_2d(obs)))
        logits = self.module(x).numpy()
        return np.where(np.atleast_2d(mask), logits, np.float32(MASKED_LOGIT))

    def act(self, obs: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.masked_logits(obs, mask).argmax(axis=1)

    def act_one(self, obs: np.ndarray, mask: np.ndarray) -> int:
        """One decision, on the fast path (no numpy round trip for the mask)."""
        with torch.no_grad():
            x = torch.from_numpy(self.obs_norm(obs[None, :]))
            logits = self.module(x)[0]
            logits[~torch.from_numpy(mask)] = MASKED_LOGIT
            return int(logits.argmax())


__all__ = ["MASKED_LOGIT", "ActorLogits", "QValues", "TorchPolicy", "preference_module"]
