"""The ``policy.json`` sidecar of an exported policy: what the ONNX graph expects and returns.

An ONNX file alone is a function of float32 arrays; the sidecar says which environment and
observation layout those arrays come from, so a server (or :class:`OnnxRouter`) can refuse a
policy that would silently read the wrong numbers. Plain JSON, no torch, no onnx import.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rlroute.envs.versions import env_version_problem

SIDECAR_FORMAT = 1
INPUT_OBS = "obs"
INPUT_MASK = "action_mask"
OUTPUT_LOGITS = "masked_logits"
OUTPUT_ACTION = "action"


class SidecarError(ValueError):
    """A sidecar that is missing, malformed, or does not match the environment."""


@dataclass
class Sidecar:
    """Everything needed to feed the graph and check it against an environment.

    ``obs_mean``/``obs_std``/``obs_clip`` document the normalisation *inside* the graph
    (``clip((obs - mean) / std, -clip, clip)``); feed raw observations.
    """

    env_id: str
    env_version: int
    scenario: str
    scenario_hash: str
    algo: str
    observation_names: list[str]
    action_names: list[str]
    obs_mean: list[float]
    obs_std: list[float]
    obs_clip: float | None
    env_options: dict[str, Any]
    rlroute_version: str
    config_hash: str
    masked_logit: float
    opset: int
    exporter: str
    inputs: dict[str, str] = field(
        default_factory=lambda: {
            INPUT_OBS: "float32 [batch, obs_dim], raw (unnormalised) observation",
            INPUT_MASK: "bool [batch, n_actions], True = valid action",
        }
    )
    outputs: dict[str, str] = field(
        default_factory=lambda: {
            OUTPUT_LOGITS: "float32 [batch, n_actions], invalid actions = masked_logit",
            OUTPUT_ACTION: "int64 [batch], argmax of masked_logits",
        }
    )
    format: int = SIDECAR_FORMAT
    source: dict[str, Any] = field(default_factory=dict)
    env_revalidated: dict[str, Any] = field(default_factory=dict)  # see RunInfo's

    @property
    def obs_dim(self) -> int:
        return len(self.observation_names)

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Sidecar:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise SidecarError(
                f"{path}: sidecar missing; export writes policy.onnx and policy.json together"
            ) from None
        except json.JSONDecodeError as exc:
            raise SidecarError(f"{path}: not valid JSON: {exc}") from None
        if data.get("format") != SIDECAR_FORMAT:
            raise SidecarError(
                f"{path}: sidecar format {data.get('format')!r}, this rlroute reads "
                f"{SIDECAR_FORMAT}"
            )
        known = set(cls.__dataclass_fields__)
        missing = sorted(
            n
            for n, f in cls.__dataclass_fields__.items()
            if n not in data and f.default is f.default_factory  # no default at all
        )
        missing = [n for n in missing if n not in ("inputs", "outputs", "format", "source")]
        if missing:
            raise SidecarError(f"{path}: sidecar lacks fields {missing}")
        problem = env_version_problem(data["env_id"], data["env_version"])
        if problem is not None:  # before anything is built for the wrong environment
            raise SidecarError(f"{path}: {problem}")
        return cls(**{k: v for k, v in data.items() if k in known})

    def check_env(
        self,
        *,
        env_id: str,
        env_version: int,
        observation_names: list[str],
        action_names: list[str],
        where: str,
    ) -> None:
        """Raise a SidecarError saying exactly what differs from the environment."""
        problems = []
        if env_id != self.env_id:
            problems.append(f"env id: policy {self.env_id!r}, environment {env_id!r}")
        if int(env_version) != int(self.env_version):
            problems.append(
                f"env version: policy trained on v{self.env_version}, environment is v{env_version}"
            )
        for kind, want, have in (
            ("observation", self.observation_names, observation_names),
            ("action", self.action_names, action_names),
        ):
            want, have = list(want), list(have)
            if want == have:
                continue
            if len(want) != len(have):
                problems.append(f"{kind}s: policy has {len(want)}, environment {len(have)}")
            else:
                i = next(i for i, (a, b) in enumerate(zip(want, have)) if a != b)
                problems.append(f"{kind} {i}: policy {want[i]!r}, environment {have[i]!r}")
        if problems:
            raise SidecarError(
                f"{where}: the exported policy does not match the environment:\n  "
                + "\n  ".join(problems)
            )


def sidecar_path(onnx_path: str | Path) -> Path:
    """``policy.onnx`` -> ``policy.json``."""
    return Path(onnx_path).with_suffix(".json")


__all__ = [
    "INPUT_MASK",
    "INPUT_OBS",
    "OUTPUT_ACTION",
    "OUTPUT_LOGITS",
    "SIDECAR_FORMAT",
    "Sidecar",
    "SidecarError",
    "sidecar_path",
]
