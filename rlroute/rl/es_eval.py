"""Batched evaluation of a population of actor networks on common days (for :mod:`rlroute.rl.es`).

Evolution strategies score dozens of perturbed copies of one policy network per iteration, each
on the same simulated days (common random numbers), so the comparison between copies is not
drowned by day-to-day noise. :class:`PopulationEvaluator` runs ``members x days`` rows of one
:class:`rlroute.envs.compiled_batch.CompiledBatch` (row ``m * days + d`` is member ``m`` on day
``d``; each row runs exactly one day) and one batched forward pass of every member's actor per
batch step (``torch.func.functional_call`` under ``vmap`` over the stacked parameters).

The decision rule is the benchmark's (:class:`rlroute.rl.router.SB3Router`): the observation
normalised with the run's statistics (:class:`rlroute.rl.runs.ObsNorm`, float64 then float32),
the actor's logits, invalid actions set to ``MASKED_LOGIT``, argmax. Epochs with a single valid
action are taken by the batch itself (``skip_forced``), as the router answers them without the
network, so the objective, each day's ``cost / offered`` (``KPIReport.overall["cost_per_call"]``),
is the number ``python -m rlroute.bench.study`` reports for the same policy and days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from rlroute.envs.compiled_batch import CompiledBatch
from rlroute.rl.policy import MASKED_LOGIT
from rlroute.rl.runs import ObsNorm
from rlroute.scenario import Scenario

#: Env options of a run (``run.json``'s ``env_options``) the compiled batch reproduces.
BATCH_OPTIONS = ("work_conserving", "skip_forced", "observe_wrap_up", "observation")


class FlatParams:
    """The searched parameters of a module as one flat float32 vector, and back (stacked per
    member). ``prefixes`` selects parameters by name (``("head.",)``: the action head only);
    the others stay the module's own, shared by every member."""

    def __init__(self, module: nn.Module, prefixes: Sequence[str] | None = None) -> None:
        named = dict(module.named_parameters())
        pick = [n for n in named if prefixes is None or n.startswith(tuple(prefixes))]
        if not pick:
            raise ValueError(f"params {list(prefixes or [])}: no parameter of {list(named)}")
        self.names = pick
        self.shapes = [tuple(named[n].shape) for n in pick]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.size = int(sum(self.sizes))
        self._fixed = {n: p.detach() for n, p in named.items() if n not in pick}

    def flat(self, module: nn.Module) -> np.ndarray:
        """The module's current searched parameters as a float32 vector."""
        named = dict(module.named_parameters())
        with torch.no_grad():
            vec = [named[n].detach().reshape(-1) for n in self.names]
            return torch.cat(vec).numpy().astype(np.float32, copy=True)

    def stacked(self, thetas: np.ndarray) -> dict[str, torch.Tensor]:
        """``[M, size]`` parameter vectors -> ``{name: [M, *shape]}`` for ``functional_call``
        (the parameters not searched repeated for every member)."""
        t = torch.from_numpy(np.ascontiguousarray(thetas, dtype=np.float32))
        m = t.shape[0]
        out, start = {}, 0
        for name, shape, size in zip(self.names, self.shapes, self.sizes):
            out[name] = t[:, start : start + size].reshape(m, *shape)
            start += size
        for name, p in self._fixed.items():
            out[name] = p.expand(m, *p.shape)
        return out

    def load(self, module: nn.Module, theta: np.ndarray) -> None:
        """Write a parameter vector into the module (in place, the model's own tensors)."""
        named = dict(module.named_parameters())
        t = torch.from_numpy(np.asarray(theta, dtype=np.float32))
        start = 0
        with torch.no_grad():
            for name, shape, size in zip(self.names, self.shapes, self.sizes):
                named[name].copy_(t[start : start + size].reshape(shape))
                start += size


def batch_options(env_options: Mapping[str, Any]) -> dict[str, Any]:
    """The CompiledBatch keywords of a run's env options; an option it lacks is an error."""
    other = sorted(set(env_options) - set(BATCH_OPTIONS))
    if other:
        raise ValueError(
            f"env option {other[0]!r}: the batched evaluator implements {list(BATCH_OPTIONS)}"
        )
    opts = dict(env_options)
    # Forced decisions are taken by the batch: the benchmark's router answers them without
    # the network, and a masked argmax over one valid action is that action anyway.
    opts["skip_forced"] = True
    return opts


#: Elementwise activations the batched MLP forward applies as they are.
_ACTIVATIONS = (nn.Tanh, nn.ReLU, nn.ELU, nn.LeakyReLU, nn.SiLU, nn.GELU, nn.Sigmoid)


def _mlp_layers(module: nn.Module) -> list[Any] | None:
    """``ActorLogits`` of a flat-observation MLP as a list of ``(weight, bias)`` names and
    activation modules; None for any other architecture (then ``vmap`` serves it)."""
    features = getattr(module, "features", None)
    if (
        features is None
        or list(features.parameters())
        or type(features).__name__
        not in (
            "FlattenExtractor",
            "Flatten",
        )
    ):
        return None
    layers: list[Any] = []
    for prefix in ("latent", "head"):
        sub = getattr(module, prefix, None)
        if sub is None:
            return None
        items = list(sub.named_children()) if isinstance(sub, nn.Sequential) else [("", sub)]
        for name, m in items:
            full = f"{prefix}.{name}." if name else f"{prefix}."
            if isinstance(m, nn.Linear) and m.bias is not None:
                layers.append((full + "weight", full + "bias"))
            elif isinstance(m, _ACTIVATIONS):
                layers.append(m)
            else:
                return None
    return layers


class PopulationEvaluator:
    """Mean cost per call of ``M`` parameter vectors of ``module`` over common days."""

    def __init__(
        self,
        scenario: Scenario | str,
        module: nn.Module,
        obs_norm: ObsNorm,
        env_options: Mapping[str, Any],
        members: int,
        days: int,
        params: Sequence[str] | None = None,
    ) -> None:
        self.module = module.eval()
        self.obs_norm = obs_norm
        self.members, self.days = int(members), int(days)
        self.params = FlatParams(module, params)
        self.batch = CompiledBatch(scenario, self.members * self.days, **batch_options(env_options))
        mod = self.module
        self._layers = _mlp_layers(mod)
        if self._layers is None:  # any other actor: torch.func over the stacked parameters

            def logits(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
                return functional_call(mod, params, (x,))

            self._forward = vmap(logits, in_dims=(0, 0))
        else:
            self._forward = self._mlp_forward
        self.n_decisions = 0  # policy decisions (forced ones excluded) of the last call

    def _mlp_forward(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """The actor MLP on ``[M, rows, obs]`` with member ``m``'s weights: one batched
        matrix product per layer (what ``vmap`` does, without its per-call overhead)."""
        assert self._layers is not None
        for layer in self._layers:
            if isinstance(layer, tuple):
                w, b = params[layer[0]], params[layer[1]]
                x = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
            else:
                x = layer(x)
        return x

    @torch.no_grad()
    def costs(self, thetas: np.ndarray, seeds: Sequence[int]) -> np.ndarray:
        """``[M, days]`` cost per call of member ``m`` (``thetas[m]``) on day ``seeds[d]``."""
        thetas = np.asarray(thetas, dtype=np.float32)
        if thetas.shape != (self.members, self.params.size):
            raise ValueError(
                f"thetas: shape {thetas.shape}, expected ({self.members}, {self.params.size})"
            )
        if len(seeds) != self.days:
            raise ValueError(f"seeds: {len(seeds)} days, the evaluator runs {self.days}")
        b, m, d = self.batch, self.members, self.days
        params = self.params.stacked(thetas)
        b.reset_rows(np.arange(m * d), np.tile(np.asarray(seeds, dtype=np.int64), m))
        masked = torch.tensor(MASKED_LOGIT, dtype=torch.float32)
        n_dec = 0
        while not b.done.all():
            x = torch.from_numpy(self.obs_norm(b.obs)).reshape(m, d, -1)
            mask = torch.from_numpy(b.masks.reshape(m, d, -1))
            out = torch.where(mask, self._forward(params, x), masked)
            n_dec += int((~b.done).sum())
            b.step(out.argmax(dim=2).reshape(-1).numpy())
        self.n_decisions = n_dec
        cost = [b.report(r).overall["cost_per_call"] for r in range(m * d)]
        return np.asarray(cost, dtype=np.float64).reshape(m, d)


__all__ = ["BATCH_OPTIONS", "FlatParams", "PopulationEvaluator", "batch_options"]
