"""Write a benchmark's results: JSON lines, CSV, Markdown tables (and plots, via ``plots``).

Files in the run directory:

==============================  ================================================================
``results.jsonl``               one JSON object per run: ids, router kwargs, config hash,
                                versions, and every overall KPI under ``kpis``
``results.csv``                 the same runs as a flat table
``by_type.csv``                 per-run KPIs per call type
``by_interval.csv``             per-run KPIs per interval
``summary.csv``                 per scenario, router, KPI: n, mean, std, 95% t-interval (and IQM
                                with its bootstrap interval when asked)
``paired.csv``                  per scenario, router, KPI: difference to the reference router
``summary.md``                  the Markdown tables: ``mean ± half-width`` per scenario, then the
                                paired differences
``plots/*.png``                 see :mod:`rlroute.bench.plots`
==============================  ================================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from rlroute.bench.runner import ID_COLUMNS, BenchmarkResult, kpi_columns, provenance
from rlroute.bench.stats import aggregate_iqm, paired_differences, robust_summary, summarize
from rlroute.scenario import Scenario

#: KPIs shown in the Markdown tables unless the caller picks others.
TABLE_KPIS = (
    "service_level",
    "asa",
    "abandon_rate",
    "wait_p90",
    "occupancy",
    "fcr",
    "cost_per_call",
)

# KPI -> (unit, direction): +1 bigger is better, -1 smaller is better, 0 neither.
_KPI_INFO: dict[str, tuple[str, int]] = {
    "service_level": ("fraction", 1),
    "service_level_offered": ("fraction", 1),
    "service_level_answered": ("fraction", 1),
    "asa": ("s", -1),
    "mean_wait": ("s", -1),
    "abandon_rate": ("fraction", -1),
    "aht": ("s", -1),
    "occupancy": ("fraction", 1),
    "fcr": ("fraction", 1),
    "p_wait": ("fraction", -1),
    "agent_load_cv": ("ratio", -1),
    "cost": ("cost", -1),
    "cost_per_call": ("cost/call", -1),
    "offered": ("calls", 0),
    "answered": ("calls", 1),
    "abandoned": ("calls", -1),
    "balked": ("calls", -1),
    "repeats": ("calls", -1),
    "unserved": ("calls", -1),
    "decisions": ("decisions", 0),
}


def kpi_unit(kpi: str) -> str:
    """The unit of a KPI (``s`` for waits and percentiles, ``calls`` for queue lengths)."""
    if kpi in _KPI_INFO:
        return _KPI_INFO[kpi][0]
    if kpi.startswith("wait_p"):
        return "s"
    if kpi.startswith("queue_len"):
        return "calls"
    return ""


def kpi_direction(kpi: str) -> int:
    """+1 if bigger is better, -1 if smaller is better, 0 if neither (volumes, counts)."""
    if kpi in _KPI_INFO:
        return _KPI_INFO[kpi][1]
    if kpi.startswith(("wait_p", "queue_len")):
        return -1
    return 0


# ---------------------------------------------------------------- number formatting
def _decimals(hw: float, mean: float) -> int:
    """Two significant digits of the half-width; three of the mean when there is none."""
    ref = hw if hw == hw and hw > 0 else abs(mean) / 10 if mean == mean and mean else 0.0
    if not ref:
        return 3
    return max(0, min(4, 1 - math.floor(math.log10(ref))))


def fmt_ci(mean: float, hw: float, signed: bool = False) -> str:
    """``0.817 ± 0.012`` (``+0.004 ± 0.002`` when ``signed``); ``—`` for a missing mean."""
    if mean != mean:
        return "—"
    d = _decimals(hw, mean)
    m = f"{mean:+.{d}f}" if signed else f"{mean:.{d}f}"
    return m if hw != hw else f"{m} ± {hw:.{d}f}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table (first column left-aligned, the rest right)."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def summary_markdown(
    summary: pd.DataFrame,
    paired: pd.DataFrame | None = None,
    kpis: Sequence[str] = TABLE_KPIS,
    scenarios: Sequence[Scenario] = (),
    robust: pd.DataFrame | None = None,
) -> str:
    """The report: per scenario a ``mean ± half-width`` table, then its paired differences.

    Paired differences marked ``*`` have a 95% interval that excludes zero.
    """
    kpis = [k for k in kpis if k in set(summary["kpi"])]
    info = {s.name: s for s in scenarios}
    out = []
    for scenario, sc_sum in summary.groupby("scenario", sort=False):
        n_seeds = int(sc_sum["n"].max())
        sc = info.get(scenario)
        shape = f", {sc.n_intervals} intervals of {sc.interval_s:g} s" if sc else ""
        out.append(f"### {scenario} ({n_seeds} seeds{shape})\n")
        cells = sc_sum.set_index(["router", "kpi"])
        rows = [
            [router]
            + [
                fmt_ci(cells.at[(router, k), "mean"], cells.at[(router, k), "half_width"])
                for k in kpis
            ]
            for router in sc_sum["router"].unique()
        ]
        out.append(markdown_table(["router", *[_head(k) for k in kpis]], rows))
        out.append("")
        if paired is not None and len(paired):
            sc_pair = paired[paired["scenario"] == scenario]
            if len(sc_pair):
                ref = sc_pair["reference"].iloc[0]
                pcells = sc_pair.set_index(["router", "kpi"])
                rows = []
                for router in sc_pair["router"].unique():
                    row = [router]
                    for k in kpis:
                        c = pcells.loc[(router, k)]
                        star = "*" if c["significant"] else ""
                        row.append(fmt_ci(c["mean_diff"], c["half_width"], signed=True) + star)
                    rows.append(row)
                out.append(
                    f"Paired differences, router − {ref} on the same seeds "
                    "(95% t-interval; * excludes 0):\n"
                )
                out.append(markdown_table(["router", *[_head(k) for k in kpis]], rows))
                out.append("")
    if robust is not None and len(robust):
        out.append("### IQM across scenarios (stratified bootstrap 95% interval)\n")
        r_kpis = list(robust["kpi"].unique())
        cells = robust.set_index(["router", "kpi"])
        rows = [
            [router]
            + [
                _fmt_iqm(*cells.loc[(router, k), ["iqm", "iqm_lo", "iqm_hi"]].to_numpy(float))
                for k in r_kpis
            ]
            for router in robust["router"].unique()
        ]
        out.append(markdown_table(["router", *[_head(k) for k in r_kpis]], rows))
        out.append("")
    return "\n".join(out)


def _head(kpi: str) -> str:
    unit = kpi_unit(kpi)
    return f"{kpi} ({unit})" if unit in ("s", "cost/call") else kpi


def _fmt_iqm(point: float, lo: float, hi: float) -> str:
    if point != point:
        return "—"
    d = _decimals((hi - lo) / 2, point)
    return f"{point:.{d}f} [{lo:.{d}f}, {hi:.{d}f}]"


# ---------------------------------------------------------------- files
def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars plain Python."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_jsonl(runs: pd.DataFrame, path: Path, extra: dict[str, Any] | None = None) -> None:
    """One JSON object per run: ids, router spec, config hash, provenance, then ``kpis``."""
    extra = extra or {}
    kpis = kpi_columns(runs)
    with path.open("w") as fh:
        for rec in runs.to_dict(orient="records"):
            row = {c: rec[c] for c in ID_COLUMNS}
            row["router_name"] = rec["router_name"]
            row["router_kwargs"] = json.loads(rec["router_kwargs"])
            row["config_hash"] = rec["config_hash"]
            row["wall_s"] = rec["wall_s"]
            row.update(extra)
            row["kpis"] = {k: rec[k] for k in kpis}
            fh.write(json.dumps(_clean(row), sort_keys=False) + "\n")


def write_report(
    result: BenchmarkResult,
    out_dir: str | Path,
    *,
    reference: str | None = "fifo",
    table_kpis: Sequence[str] = TABLE_KPIS,
    scenarios: Sequence[Scenario] = (),
    robust: bool = False,
    plots: bool = True,
    n_boot: int = 2000,
) -> dict[str, Any]:
    """Write every output file of a benchmark into ``out_dir``; returns the frames and text.

    ``reference=None`` (or a reference router that did not run) skips paired differences.
    ``robust=True`` adds IQM and bootstrap intervals (per scenario and across scenarios).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = result.runs
    summary = summarize(runs)
    routers = set(runs["router"])
    paired = (
        paired_differences(runs, reference)
        if reference is not None and reference in routers and len(routers) > 1
        else None
    )
    across = None
    if robust:
        rob = robust_summary(runs, n_boot=n_boot)
        summary = summary.merge(rob, on=["scenario", "router", "kpi"], how="left")
        common = [k for k in ("service_level", "abandon_rate") if k in runs.columns]
        across = aggregate_iqm(runs, common, n_boot=n_boot)

    write_jsonl(runs, out / "results.jsonl", provenance())
    runs.to_csv(out / "results.csv", index=False)
    result.by_type.to_csv(out / "by_type.csv", index=False)
    result.by_interval.to_csv(out / "by_interval.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    if paired is not None:
        paired.to_csv(out / "paired.csv", index=False)
    md = summary_markdown(summary, paired, table_kpis, scenarios, across)
    (out / "summary.md").write_text(md)
    figures: list[Path] = []
    if plots:
        from rlroute.bench.plots import plot_all

        figures = plot_all(result, summary, out / "plots", kpis=table_kpis)
    return {"summary": summary, "paired": paired, "iqm": across, "markdown": md, "plots": figures}
