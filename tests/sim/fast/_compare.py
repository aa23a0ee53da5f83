"""Run both engines on the same seed and assert the same call log and KPIs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from rlroute.policies import make_router
from rlroute.scenario import Scenario, truncate_intervals
from rlroute.sim import Simulator
from rlroute.sim.fast import FastSimulator

TIME_TOL = 1e-9  # seconds, call-log times
REL_TOL = 1e-9  # KPIs


def shorten(scenario: Scenario, n: int) -> Scenario:
    """The scenario's first n intervals (a short day for the fast suite)."""
    return truncate_intervals(scenario, n)


def without_repeats(scenario: Scenario) -> Scenario:
    d = scenario.to_dict()
    for c in d["call_types"]:
        c.pop("repeat", None)
    return Scenario.from_dict(d)


def has_repeats(scenario: Scenario) -> bool:
    return any(c.repeat is not None for c in scenario.call_types)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= REL_TOL * max(abs(a), abs(b))
    return a == b


def assert_same_frames(x: pd.DataFrame, y: pd.DataFrame, what: str, atol: float = 0.0) -> float:
    """Equal frames: same columns and rows; floats equal to ``atol`` (absolute) or REL_TOL
    (relative), NaN where NaN; the rest exactly. Returns the largest float difference."""
    assert list(x.columns) == list(y.columns), what
    assert len(x) == len(y), f"{what}: {len(x)} rows vs {len(y)}"
    worst = 0.0
    for c in x.columns:
        a, b = x[c].to_numpy(), y[c].to_numpy()
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            a, b = a.astype(float), b.astype(float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), f"{what}.{c}: NaN differ"
            ok = ~np.isnan(a) & (a != b)  # equal values (infinities too) need no tolerance
            diff = np.abs(a[ok] - b[ok])
            tol = np.maximum(atol, REL_TOL * np.maximum(np.abs(a[ok]), np.abs(b[ok])))
            bad = np.flatnonzero(diff > tol)
            assert not bad.size, f"{what}.{c}: first difference at row {bad[0]}"
            worst = max(worst, float(diff.max(initial=0.0)))
        else:
            same = pd.Series(a).isna().to_numpy() & pd.Series(b).isna().to_numpy()
            same |= a == b
            assert same.all(), f"{what}.{c}: {int((~same).sum())} rows differ"
    return worst


def run_both(
    scenario: Scenario,
    seed: int,
    router: str,
    *,
    log: bool = True,
    arrivals: Any = None,
    **kw: Any,
) -> tuple[Simulator, FastSimulator, Any, Any]:
    ref = Simulator(scenario, seed, record_calls=log, arrivals=arrivals)
    fast = FastSimulator(scenario, seed, record_calls=log, arrivals=arrivals)
    return ref, fast, ref.run(make_router(router, **kw)), fast.run(make_router(router, **kw))


def assert_same_run(
    scenario: Scenario, seed: int, router: str, *, arrivals: Any = None, **kw: Any
) -> float:
    """Same call-by-call log and the same KPIs (every key, every table); ``arrivals``: both
    replay these first-time arrival times. Returns the largest time difference in the log
    (seconds)."""
    ref, fast, a, b = run_both(scenario, seed, router, arrivals=arrivals, **kw)
    assert a.overall.keys() == b.overall.keys()
    bad = {k: (a.overall[k], b.overall[k]) for k in a.overall if not _close(a[k], b[k])}
    assert not bad, f"KPIs differ: {bad}"
    for name in ("by_type", "by_interval", "by_type_interval", "by_group"):
        assert_same_frames(getattr(a, name), getattr(b, name), name)
    return assert_same_frames(ref.call_log(), fast.call_log(), "call_log", atol=TIME_TOL)


__all__ = ["assert_same_run", "has_repeats", "run_both", "shorten", "without_repeats"]
