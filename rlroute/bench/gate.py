"""The benchmark gate: mean KPIs must stay inside bands, for CI.

Bands are ``{scenario: {router: {kpi: [lo, hi]}}}`` (``null`` for an open end), given inline or
as a YAML file (optionally under a top-level ``bands:`` key, so the file can also say what
settings it was measured with). A broken simulator or router moves some mean out of its band;
:func:`enforce_gate` then raises :class:`GateError` listing every violation, one per line::

    n_design/fifo/service_level = 0.62 outside [0.70, 0.95]

Whatever the outcome, :func:`write_benchmark_json` leaves ``benchmark.json`` for the CI
benchmark actions (github-action-benchmark's ``customBiggerIsBetter`` and
``customSmallerIsBetter`` tools): a JSON list of ``{"name", "unit", "value", "range", "extra"}``.
One tool reads one direction, so ``benchmark_bigger.json`` and ``benchmark_smaller.json`` hold
the same entries split by direction; ``benchmark.json`` has them all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from rlroute.bench.report import TABLE_KPIS, fmt_ci, kpi_direction, kpi_unit

Bands = dict[str, dict[str, dict[str, tuple[float | None, float | None]]]]


class GateError(RuntimeError):
    """Some mean KPI is outside its band (or was not measured); the message lists them all."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        lines = "\n".join(f"  {v}" for v in self.violations)
        super().__init__(f"benchmark gate failed: {len(self.violations)} violation(s)\n{lines}")


class BandsError(ValueError):
    """A bands file or mapping that does not have the ``{scenario: {router: {kpi: [lo, hi]}}}``
    shape; the message names the entry."""


@dataclass(frozen=True)
class Violation:
    scenario: str
    router: str
    kpi: str
    value: float | None
    lo: float | None
    hi: float | None

    def __str__(self) -> str:
        where = f"{self.scenario}/{self.router}/{self.kpi}"
        band = f"[{_num(self.lo)}, {_num(self.hi)}]"
        if self.value is None:
            return f"{where} not measured (expected in {band})"
        return f"{where} = {_num(self.value)} outside {band}"


def _num(x: float | None) -> str:
    if x is None:
        return "-inf/inf"
    return "nan" if x != x else f"{x:.4g}"


def load_bands(spec: str | Path | Mapping[str, Any]) -> Bands:
    """Bands from a mapping or YAML file, checked: each band a pair of numbers with lo <= hi."""
    source = "<inline bands>"
    if isinstance(spec, str | Path):
        source = str(spec)
        try:
            spec = yaml.safe_load(Path(spec).read_text())
        except FileNotFoundError:
            raise BandsError(f"{source}: no such bands file") from None
        except yaml.YAMLError as exc:
            raise BandsError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(spec, Mapping):
        raise BandsError(f"{source}: bands must be a mapping, got {type(spec).__name__}")
    table: Mapping[str, Any] | None = spec.get("bands", spec)
    out: Bands = {}
    for scenario, routers in (table or {}).items():
        if not isinstance(routers, Mapping):
            raise BandsError(f"{source}: {scenario}: expected {{router: {{kpi: [lo, hi]}}}}")
        for router, kpis in routers.items():
            if not isinstance(kpis, Mapping):
                raise BandsError(f"{source}: {scenario}/{router}: expected {{kpi: [lo, hi]}}")
            for kpi, band in kpis.items():
                where = f"{source}: {scenario}/{router}/{kpi}"
                if not isinstance(band, Sequence) or isinstance(band, str) or len(band) != 2:
                    raise BandsError(f"{where}: a band is [lo, hi], got {band!r}")
                try:
                    lo, hi = (None if b is None else float(b) for b in band)
                except (TypeError, ValueError):
                    raise BandsError(
                        f"{where}: bounds must be numbers or null, got {band!r}"
                    ) from None
                if lo is not None and hi is not None and lo > hi:
                    raise BandsError(f"{where}: lo {lo} > hi {hi}")
                out.setdefault(str(scenario), {}).setdefault(str(router), {})[str(kpi)] = (lo, hi)
    return out


def check_bands(summary: pd.DataFrame, bands: Bands) -> list[Violation]:
    """Every (scenario, router, KPI) whose mean is outside its band, NaN, or missing."""
    means = summary.set_index(["scenario", "router", "kpi"])["mean"]
    found = []
    for scenario, routers in bands.items():
        for router, kpis in routers.items():
            for kpi, (lo, hi) in kpis.items():
                key = (scenario, router, kpi)
                value = float(means[key]) if key in means.index else None
                ok = (
                    value is not None
                    and not math.isnan(value)
                    and (lo is None or value >= lo)
                    and (hi is None or value <= hi)
                )
                if not ok:
                    found.append(Violation(scenario, router, kpi, value, lo, hi))
    return found


def benchmark_entries(
    summary: pd.DataFrame, bands: Bands | None = None, kpis: Sequence[str] = TABLE_KPIS
) -> list[dict[str, Any]]:
    """Entries for the CI benchmark actions: the gated KPIs, or ``kpis`` of every run."""
    rows = summary.set_index(["scenario", "router", "kpi"])
    keys: list[tuple[tuple[str, str, str], Any]]
    if bands:
        keys = [
            ((s, r, k), band)
            for s, routers in bands.items()
            for r, ks in routers.items()
            for k, band in ks.items()
        ]
    else:
        keys = [(key, None) for key in rows.index if key[2] in set(kpis)]
    entries = []
    for (s, r, k), band in keys:
        if (s, r, k) not in rows.index:
            continue
        cell = rows.loc[(s, r, k)]
        mean, hw = float(cell["mean"]), float(cell["half_width"])
        if math.isnan(mean):
            continue
        direction = kpi_direction(k)
        extra = [
            f"{int(cell['n'])} seeds, 95% t-interval {fmt_ci(mean, hw)}",
            {1: "bigger is better", -1: "smaller is better"}.get(direction, "no direction"),
        ]
        if band is not None:
            extra.append(f"gate [{_num(band[0])}, {_num(band[1])}]")
        entries.append(
            {
                "name": f"{s}/{r}/{k}",
                "unit": kpi_unit(k),
                "value": mean,
                "range": f"± {hw:.4g}" if not math.isnan(hw) else "± 0",
                "extra": "; ".join(extra),
            }
        )
    return entries


def write_benchmark_json(entries: list[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    """``benchmark.json`` (all entries) and the per-direction files; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "benchmark.json": entries,
        "benchmark_bigger.json": [e for e in entries if "bigger is better" in e["extra"]],
        "benchmark_smaller.json": [e for e in entries if "smaller is better" in e["extra"]],
    }
    paths = []
    for name, content in files.items():
        path = out / name
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def enforce_gate(
    summary: pd.DataFrame,
    bands: Bands | str | Path | Mapping[str, Any] | None,
    out_dir: str | Path,
    kpis: Sequence[str] = TABLE_KPIS,
) -> list[Violation]:
    """Write ``benchmark.json``, then raise :class:`GateError` if any band is violated.

    Without bands nothing is checked and the table KPIs of every run are written.
    """
    parsed = None if bands is None else load_bands(bands)
    write_benchmark_json(benchmark_entries(summary, parsed, kpis), out_dir)
    if not parsed:
        return []
    violations = check_bands(summary, parsed)
    if violations:
        raise GateError(violations)
    return violations
