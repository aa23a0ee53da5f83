"""Run routers x scenarios x seeds on common random numbers and collect every KPI.

Replication ``seed`` of a scenario is ``Simulator(scenario, seed)`` for every router: the
simulator draws arrivals, patience, handle-time quantiles and resolutions from per-type streams
that no routing decision can shift, so all routers face exactly the same callers. Differences
between routers on one seed are then due to routing alone, which is what makes the paired
differences of :mod:`rlroute.bench.stats` tight.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

import rlroute
from rlroute.bench.specs import (
    RouterSpec,
    config_hash,
    resolve_routers,
    resolve_scenarios,
    resolve_seeds,
)
from rlroute.policies import ROUTERS
from rlroute.scenario import Scenario
from rlroute.sim import Simulator
from rlroute.sim.router import Router

#: Columns that identify a run; every other column of ``runs`` is a KPI or provenance.
ID_COLUMNS = ["scenario", "router", "seed"]
#: Provenance columns of ``runs`` that are not KPIs.
META_COLUMNS = ["router_name", "router_kwargs", "config_hash", "wall_s"]


class BenchmarkResult(NamedTuple):
    """Every run's KPIs (``runs``: one row per scenario x router x seed, all ``overall`` KPIs as
    columns) and the finer views kept for plots, long format with the same id columns."""

    runs: pd.DataFrame
    by_type: pd.DataFrame
    by_interval: pd.DataFrame
    by_group: pd.DataFrame

    @property
    def kpis(self) -> list[str]:
        """The KPI columns of ``runs``, in report order."""
        return kpi_columns(self.runs)


def kpi_columns(runs: pd.DataFrame) -> list[str]:
    """KPI columns of a runs frame (everything but ids and provenance)."""
    skip = set(ID_COLUMNS) | set(META_COLUMNS)
    return [c for c in runs.columns if c not in skip]


def _run_one(
    scenario: Scenario, spec: RouterSpec, factory: Callable[..., Router], seed: int
) -> dict[str, Any]:
    """One replication; the factory travels with the task so routers registered at run time
    (not only at import of ``rlroute.policies``) also work in worker processes."""
    t0 = time.perf_counter()
    try:
        report = Simulator(scenario, seed).run(factory(**spec.kwargs))
    except Exception as exc:  # name the run: a worker's bare traceback does not
        raise RuntimeError(
            f"router {spec.label!r} on scenario {scenario.name!r}, seed {seed}: {exc!r}"
        ) from exc
    wall = time.perf_counter() - t0
    ids = {"scenario": scenario.name, "router": spec.label, "seed": seed}
    return {
        "row": {
            **ids,
            "router_name": spec.name,
            "router_kwargs": json.dumps(spec.kwargs, sort_keys=True, default=str),
            "config_hash": config_hash(scenario, spec),
            "wall_s": wall,
            **report.overall,
        },
        "by_type": report.by_type.assign(**ids),
        "by_interval": report.by_interval.assign(**ids),
        "by_group": report.by_group.assign(**ids),
    }


def run_benchmark(
    scenarios: Iterable[Scenario | str | Path | Mapping[str, Any]],
    routers: Iterable[str | Mapping[str, Any] | RouterSpec],
    seeds: int | Sequence[int],
    n_jobs: int = 1,
    progress: bool = True,
    horizon_intervals: int | None = None,
) -> BenchmarkResult:
    """Simulate every scenario x router x seed and return all KPIs.

    Args:
        scenarios: names, YAML paths, mappings or :class:`Scenario` objects.
        routers: router specs (see :mod:`rlroute.bench.specs`).
        seeds: a count (seeds ``0 .. n-1``) or an explicit list; each router sees each seed.
        n_jobs: worker processes (joblib; ``-1`` uses every core). Results do not depend on it.
        progress: show a tqdm progress bar (on a terminal only).
        horizon_intervals: truncate every scenario to its first intervals (quick runs, CI).
    """
    scs = resolve_scenarios(scenarios, horizon_intervals)
    specs = resolve_routers(routers)
    seed_list = resolve_seeds(seeds)
    tasks = [
        (sc, spec, ROUTERS[spec.name], seed) for sc in scs for spec in specs for seed in seed_list
    ]
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    outputs = parallel(delayed(_run_one)(*t) for t in tasks)
    results = list(
        tqdm(
            outputs,
            total=len(tasks),
            desc="rlroute-bench",
            unit="run",
            disable=None if progress else True,  # None: only on a terminal, not in CI logs
        )
    )
    ids = ID_COLUMNS

    def stack(key: str) -> pd.DataFrame:
        frames = [r[key] for r in results if len(r[key])]
        if not frames:
            return pd.DataFrame(columns=ids)
        df = pd.concat(frames, ignore_index=True)
        return df[ids + [c for c in df.columns if c not in ids]]

    runs = pd.DataFrame([r["row"] for r in results])
    return BenchmarkResult(
        runs=runs,
        by_type=stack("by_type"),
        by_interval=stack("by_interval"),
        by_group=stack("by_group"),
    )


def provenance() -> dict[str, Any]:
    """Versions and the source commit, recorded with every run so results can be traced."""
    import scipy

    info: dict[str, Any] = {
        "rlroute_version": rlroute.__version__,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "pandas_version": pd.__version__,
        "platform": platform.platform(),
        "git_commit": None,
    }
    repo = Path(rlroute.__file__).resolve().parents[1]
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if out.returncode == 0:
            info["git_commit"] = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    info["argv"] = list(sys.argv)
    return info
