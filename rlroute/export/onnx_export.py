"""Export a trained run to ONNX: ``policy.onnx`` (normalisation + policy + mask + argmax) and
its ``policy.json`` sidecar.

The graph is written from our own torch module around the SB3 policy's networks
(:func:`rlroute.rl.policy.preference_module`), so it is exactly the serving rule of
:class:`rlroute.rl.policy.TorchPolicy`::

    x = clip((obs - mean) / std, -clip, clip)        # the run's obs_norm.json, in float64
    z = action_net(mlp_extractor.policy_net(x))      # or q_net(x) for DQN
    masked_logits = where(action_mask, z, MASKED_LOGIT)
    action = argmax(masked_logits)

The normalisation runs in float64, like SB3's ``VecNormalize`` and :class:`ObsNorm`, and is cast
to float32 only for the network: a feature that barely varied in training has a std near
``sqrt(eps)`` = 1e-4, so float32 arithmetic there would amplify a 1-ulp rounding of the mean
ten-thousandfold (the cause of the 4.8e-4 logit differences of ``rl_long_chain``'s first
export).

Inputs ``obs`` (float32 [batch, obs_dim]) and ``action_mask`` (bool [batch, n_actions]) and both
outputs have a dynamic batch axis. The legacy TorchScript exporter (``dynamo=False``) is tried
first; the dynamo exporter (onnxscript) is the fallback.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import rlroute
from rlroute.export.sidecar import (
    INPUT_MASK,
    INPUT_OBS,
    OUTPUT_ACTION,
    OUTPUT_LOGITS,
    Sidecar,
    sidecar_path,
)
from rlroute.rl.policy import MASKED_LOGIT, preference_module
from rlroute.rl.runs import LoadedRun, ObsNorm, load_run

OPSET = 17


class ExportablePolicy(nn.Module):
    """Raw observation + mask -> (masked logits, greedy action), normalisation included."""

    mean: torch.Tensor  # float64 buffers (register_buffer), typed for the checker
    std: torch.Tensor

    def __init__(self, preferences: nn.Module, obs_norm: ObsNorm) -> None:
        super().__init__()
        self.preferences = preferences
        finite_clip = np.isfinite(obs_norm.clip)
        self.register_buffer("mean", torch.as_tensor(obs_norm.mean, dtype=torch.float64))
        self.register_buffer("std", torch.as_tensor(obs_norm.std, dtype=torch.float64))
        self.clip = float(obs_norm.clip) if finite_clip else None

    def forward(self, obs: torch.Tensor, action_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = (obs.to(torch.float64) - self.mean) / self.std
        if self.clip is not None:
            x = torch.clamp(x, -self.clip, self.clip)
        z = self.preferences(x.to(torch.float32))
        masked = torch.where(action_mask, z, torch.full_like(z, MASKED_LOGIT))
        return masked, torch.argmax(masked, dim=1)


def export_run(
    run: str | Path | LoadedRun,
    out: str | Path | None = None,
    *,
    opset: int = OPSET,
    exporter: str = "auto",
) -> tuple[Path, Path]:
    """Write ``policy.onnx`` and ``policy.json`` for a run (default: into the run directory).

    ``exporter``: ``"torchscript"`` (legacy, ``dynamo=False``), ``"dynamo"``, or ``"auto"``
    (TorchScript, then dynamo if that fails). Returns ``(onnx_path, sidecar_path)``.
    """
    # The normalisation comes from obs_norm.json, never from the pickle.
    loaded = run if isinstance(run, LoadedRun) else load_run(run, pickle_ok=False)
    info = loaded.info
    out_path = Path(out) if out is not None else loaded.run_dir / "policy.onnx"
    if out_path.suffix != ".onnx":
        out_path = out_path / "policy.onnx"
    out_path.parent.mkdir(parents=True, exist_ok=True)

    module = ExportablePolicy(preference_module(loaded.model), loaded.obs_norm).eval()
    n_obs, n_act = len(info.observation_names), len(info.action_names)
    example = (torch.zeros(2, n_obs), torch.ones(2, n_act, dtype=torch.bool))
    used = _export(module, example, out_path, opset, exporter)

    _check_graph(out_path)
    norm = loaded.obs_norm
    sidecar = Sidecar(
        env_id=info.env_id,
        env_version=info.env_version,
        scenario=info.scenario,
        scenario_hash=info.scenario_hash,
        algo=info.algo,
        observation_names=list(info.observation_names),
        action_names=list(info.action_names),
        obs_mean=[float(v) for v in norm.mean],
        obs_std=[float(v) for v in norm.std],
        obs_clip=float(norm.clip) if np.isfinite(norm.clip) else None,
        env_options=dict(info.env_options),
        rlroute_version=rlroute.__version__,
        config_hash=info.config_hash,
        masked_logit=MASKED_LOGIT,
        opset=opset,
        exporter=used,
        source={
            "run_dir": str(loaded.run_dir),
            "model": loaded.model_path.name,
            "seed": info.seed,
            "num_timesteps": info.num_timesteps,
            "delivered": info.delivered,
        },
        env_revalidated=dict(info.env_revalidated),
    )
    side = sidecar.save(sidecar_path(out_path))
    return out_path, side


def _export(
    module: nn.Module, example: tuple[torch.Tensor, ...], path: Path, opset: int, exporter: str
) -> str:
    names: dict[str, Any] = {
        "input_names": [INPUT_OBS, INPUT_MASK],
        "output_names": [OUTPUT_LOGITS, OUTPUT_ACTION],
    }
    if exporter not in ("auto", "torchscript", "dynamo"):
        raise ValueError(f"unknown exporter {exporter!r}; use auto, torchscript or dynamo")
    errors = []
    if exporter in ("auto", "torchscript"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
                torch.onnx.export(
                    module,
                    example,
                    str(path),
                    dynamo=False,
                    opset_version=opset,
                    dynamic_axes={
                        n: {0: "batch"} for n in (*names["input_names"], *names["output_names"])
                    },
                    **names,
                )
            return "torchscript"
        except Exception as exc:  # pragma: no cover - depends on the torch build
            if exporter == "torchscript":
                raise
            errors.append(f"torchscript: {exc}")
    try:
        batch = torch.export.Dim("batch", min=1)
        torch.onnx.export(
            module,
            example,
            str(path),
            dynamo=True,
            external_data=False,
            opset_version=max(opset, 18),
            dynamic_shapes={INPUT_OBS: {0: batch}, INPUT_MASK: {0: batch}},
            **names,
        )
        return "dynamo"
    except Exception as exc:
        errors.append(f"dynamo: {exc}")
        raise RuntimeError("ONNX export failed:\n  " + "\n  ".join(errors)) from exc


def _check_graph(path: Path) -> None:
    import onnx

    model = onnx.load(str(path))
    onnx.checker.check_model(model)


def export_main(run_dir: str, out: str | None = None, exporter: str = "auto") -> dict[str, Any]:
    """Export and return the written paths (for the CLI)."""
    onnx_path, side = export_run(run_dir, out, exporter=exporter)
    return {"onnx": str(onnx_path), "sidecar": str(side)}


__all__ = ["OPSET", "ExportablePolicy", "export_main", "export_run"]
