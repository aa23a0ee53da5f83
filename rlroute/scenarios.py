"""Find a Scenario by name, path, mapping or object: the one resolver every layer uses.

Named scenarios are the YAML files of the ``scenario`` config group (``configs/scenario/``),
so ``gym.make(..., scenario="n_design")``, ``rlroute-bench scenario=n_design`` and
``load_scenario("n_design")`` all read the same file. :func:`config_dir` finds the folder:

1. ``$RLROUTE_CONFIG_DIR``, when set (a whole config folder of your own);
2. ``rlroute/conf/`` inside the installed package (a wheel or ``pip install .``: the build maps
   the repository's ``configs/`` there, see setup.py);
3. ``configs/`` beside the package (a checkout: editable install or ``PYTHONPATH=$PWD``), where
   the gitignored ``configs/local/default.yaml`` holds machine-specific overrides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from rlroute.scenario import Scenario, ScenarioError


def config_dir() -> Path:
    """The Hydra config folder, in the order of the module docstring.

    A real directory, not a resource handle: Hydra's ``config_path`` and
    ``initialize_config_dir`` need one, and a wheel always installs unzipped.
    """
    env = os.environ.get("RLROUTE_CONFIG_DIR")
    if env:
        return Path(env)
    shipped = files("rlroute") / "conf"
    if isinstance(shipped, Path) and shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[1] / "configs"


def scenario_names() -> list[str]:
    """Names of the scenarios in the ``scenario`` config group."""
    folder = config_dir() / "scenario"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_scenario(
    spec: Scenario | str | Path | Mapping[str, Any], *, max_expected_calls: float | None = None
) -> Scenario:
    """Resolve ``spec``: a Scenario, a mapping (e.g. a Hydra node), a YAML path, or a name.

    ``max_expected_calls`` overrides the size cap of what is read (default
    ``$RLROUTE_MAX_EXPECTED_CALLS`` or :data:`rlroute.scenario.MAX_EXPECTED_CALLS`); a
    Scenario object passes as it is."""
    cap = max_expected_calls
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, Mapping):
        return Scenario.from_dict(_plain(spec), max_expected_calls=cap)
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return Scenario.from_yaml(path, max_expected_calls=cap)
    named = config_dir() / "scenario" / f"{spec}.yaml"
    if named.exists():
        return Scenario.from_yaml(named, max_expected_calls=cap)
    raise ScenarioError(
        f"unknown scenario {spec!r}: not a file, and not one of {scenario_names()} "
        f"in {config_dir() / 'scenario'}"
    )


def _plain(node: Mapping[str, Any]) -> dict[str, Any]:
    """An OmegaConf node or nested mapping as plain dicts and lists."""
    try:
        from omegaconf import DictConfig, OmegaConf

        if isinstance(node, DictConfig):
            return OmegaConf.to_container(node, resolve=True)  # type: ignore[return-value]
    except ImportError:  # pragma: no cover - hydra is a dependency, but sim works without it
        pass
    return dict(node)
