"""Pieces shared by the heuristic routers: per-type cost rates, parameter lookup by name.

Kept out of the routers' hot paths: everything here runs in ``reset(sim)``, once per run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rlroute.sim.engine import Simulator

INF = math.inf


def abandon_rate(sim: Simulator, k: int) -> float:
    """theta_k = 1 / mean patience of type k (0 when its callers never abandon)."""
    patience = sim.scenario.call_types[k].patience
    return 0.0 if patience is None else 1.0 / patience.mean


def waiting_cost_rate(sim: Simulator, k: int) -> float:
    """c_k of the c-mu rules: the type's waiting cost per second, or, when that is 0, its
    abandonment cost times theta_k (what a waiting caller costs per second through abandons)."""
    c = sim.cost_wait[k]
    return c if c > 0 else sim.cost_abandon[k] * abandon_rate(sim, k)


def holding_cost_rate(sim: Simulator, k: int) -> float:
    """Equivalent holding cost per second of a waiting call of type k: waiting cost plus
    abandonment cost times theta_k (Atar, Giat and Shimkin's abandonment penalty)."""
    return sim.cost_wait[k] + sim.cost_abandon[k] * abandon_rate(sim, k)


def per_name(
    router: str,
    field: str,
    value: float | Mapping[str, float] | None,
    names: list[str],
    default: list[float],
) -> list[float]:
    """A per-type (or per-group) parameter from a scalar, a ``{name: value}`` mapping (missing
    names keep ``default``) or None (all defaults); unknown names raise a clear error."""
    if value is None:
        return list(default)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"router {router!r}: {field} names unknown {unknown}; known: {names}")
        return [float(value.get(n, d)) for n, d in zip(names, default)]
    return [float(value)] * len(names)


def pair_name(sim: Simulator, k: int, g: int) -> str:
    """``"<type>-><group>"``: the environment's action name of a pair."""
    return f"{sim.scenario.type_names[k]}->{sim.scenario.group_names[g]}"


__all__ = [
    "INF",
    "abandon_rate",
    "holding_cost_rate",
    "pair_name",
    "per_name",
    "waiting_cost_rate",
]
