"""What a benchmark runs: router specs, scenario resolution, horizon truncation, config hashes.

A router spec is what a user writes in ``configs/bench.yaml``; it must name a registered router
(:data:`rlroute.policies.ROUTERS`) so that heuristics, SB3 models and ONNX files are all built the
same way, by ``make_router(name, **kwargs)``. Three spellings are accepted:

* a plain name: ``fifo``;
* ``prefix:argument``, for routers that load a file: ``onnx:policy.onnx`` becomes
  ``make_router("onnx", path="policy.onnx")``;
* a mapping: ``{name: threshold, label: thr5, theta: 5}``; every key other than ``name`` and
  ``label`` is passed to the factory.

The label is the router's row key in every table, so it must be unique within a benchmark.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The benchmark builds every registered router by name, learned ones included: importing
# their layers registers ``sb3`` (rlroute.rl) and ``onnx`` (rlroute.export). Both imports are
# light; torch and onnxruntime load only when such a router is built.
import rlroute.export  # registers router "onnx"
import rlroute.rl  # noqa: F401 - registers router "sb3"
from rlroute.policies import ROUTERS, make_router
from rlroute.scenario import Scenario, ScenarioError, truncate_intervals
from rlroute.scenarios import load_scenario, scenario_names
from rlroute.sim.router import Router


class BenchConfigError(ValueError):
    """A benchmark configuration that cannot run; the message says which entry and why."""


@dataclass(frozen=True)
class RouterSpec:
    """A router to benchmark: registry ``name``, factory ``kwargs`` and a unique table ``label``."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", _default_label(self.name, self.kwargs))

    def build(self) -> Router:
        """A fresh router (one per run, so no state can leak from one replication to the next)."""
        return make_router(self.name, **self.kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "kwargs": dict(self.kwargs)}

    def canonical(self) -> str:
        """The spec as canonical JSON: what identifies the policy (the label does not)."""
        return json.dumps({"name": self.name, "kwargs": self.kwargs}, sort_keys=True, default=str)


def _default_label(name: str, kwargs: Mapping[str, Any]) -> str:
    if not kwargs:
        return name
    args = ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    return f"{name}({args})"


def parse_router_spec(spec: str | Mapping[str, Any] | RouterSpec) -> RouterSpec:
    """Turn one entry of the ``routers`` list into a :class:`RouterSpec` (see module doc)."""
    if isinstance(spec, RouterSpec):
        return spec
    if isinstance(spec, str):
        name, sep, arg = spec.partition(":")
        if sep and spec not in ROUTERS:
            return RouterSpec(name=name, kwargs={"path": arg}, label=spec)
        return RouterSpec(name=spec)
    if isinstance(spec, Mapping):
        data = dict(spec)
        name = data.pop("name", None)
        if not isinstance(name, str) or not name:
            raise BenchConfigError(f"router spec {dict(spec)!r}: needs a 'name' (a registry key)")
        label = data.pop("label", None) or ""
        # Hydra users may nest factory arguments under ``kwargs``; accept both forms.
        nested = data.pop("kwargs", None) or {}
        if not isinstance(nested, Mapping):
            raise BenchConfigError(f"router spec {name!r}: 'kwargs' must be a mapping")
        return RouterSpec(name=name, kwargs={**data, **nested}, label=str(label))
    raise BenchConfigError(
        f"router spec {spec!r}: expected a name, 'prefix:path' or a mapping with 'name'"
    )


def registered_routers() -> list[str]:
    """Registered routers that build without arguments, in registry order.

    What ``routers: all`` means: every heuristic, as soon as it is registered. Routers that
    need arguments (an SB3 or ONNX policy's ``path``, a threshold) fail to build bare and are
    left out; list them explicitly.
    """
    names = []
    for name in ROUTERS:
        try:
            make_router(name)
        except Exception:  # needs arguments: not part of "all"
            continue
        names.append(name)
    return names


def resolve_routers(
    specs: str | Iterable[str | Mapping[str, Any] | RouterSpec],
) -> list[RouterSpec]:
    """Parse and check router specs (or ``"all"``): known names, buildable, unique labels."""
    if isinstance(specs, str):
        specs = registered_routers() if specs == "all" else [specs]
    out = [parse_router_spec(s) for s in specs]
    if not out:
        raise BenchConfigError("no routers to benchmark: 'routers' is empty")
    unknown = sorted({r.name for r in out if r.name not in ROUTERS})
    if unknown:
        raise BenchConfigError(f"unknown router(s) {unknown}; known routers: {sorted(ROUTERS)}")
    labels = [r.label for r in out]
    dup = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dup:
        raise BenchConfigError(
            f"router labels must be unique, {dup} repeat; give each spec its own 'label'"
        )
    for r in out:  # fail here, with the spec named, rather than deep inside a worker
        try:
            r.build()
        except Exception as exc:
            raise BenchConfigError(f"router {r.label!r}: cannot build it: {exc}") from exc
    return out


def resolve_scenarios(
    specs: str | Iterable[Scenario | str | Path | Mapping[str, Any]],
    horizon_intervals: int | None = None,
) -> list[Scenario]:
    """Load each scenario (name, path, mapping or object, or ``"all"`` for every named one),
    optionally truncated; names must be unique."""
    if isinstance(specs, str | Path | Scenario):
        specs = scenario_names() if specs == "all" else [specs]
    out = []
    for spec in specs:
        try:
            sc = load_scenario(spec)
        except ScenarioError as exc:
            raise BenchConfigError(str(exc)) from None
        out.append(truncate_horizon(sc, horizon_intervals) if horizon_intervals else sc)
    if not out:
        raise BenchConfigError("no scenarios to benchmark: 'scenarios' is empty")
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise BenchConfigError(f"scenario names must be unique, {dup} repeat")
    return out


def truncate_horizon(scenario: Scenario, n_intervals: int) -> Scenario:
    """The first ``n_intervals`` intervals of ``scenario`` (for quick runs and CI); see
    :func:`rlroute.scenario.truncate_intervals`, with errors as bench config errors."""
    try:
        return truncate_intervals(scenario, n_intervals)
    except ScenarioError as exc:
        raise BenchConfigError(str(exc)) from exc


def canonical_scenario_yaml(scenario: Scenario) -> str:
    """The scenario as YAML with sorted keys: equal scenarios give equal text."""
    return yaml.safe_dump(scenario.to_dict(), sort_keys=True, width=1000)


def config_hash(scenario: Scenario, router: RouterSpec) -> str:
    """sha256 of the canonical scenario YAML and router spec: one id per (scenario, policy)."""
    text = canonical_scenario_yaml(scenario) + "\n---\n" + router.canonical()
    return hashlib.sha256(text.encode()).hexdigest()


def resolve_seeds(seeds: int | Sequence[int]) -> list[int]:
    """``10`` means seeds 0..9; a list is used as given (duplicates refused)."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise BenchConfigError(f"seeds must be >= 1 (or a list of seeds), got {seeds}")
        return list(range(seeds))
    try:
        out = [int(s) for s in seeds]  # type: ignore[union-attr]  # a bool: TypeError below
    except (TypeError, ValueError):
        raise BenchConfigError(
            f"seeds must be a count or a list of integers, got {seeds!r}"
        ) from None
    if not out:
        raise BenchConfigError("seeds: the list is empty")
    if len(set(out)) != len(out):
        raise BenchConfigError(f"seeds: duplicates in {out}")
    if any(s < 0 for s in out):
        raise BenchConfigError(f"seeds must be >= 0, got {out}")
    return out
