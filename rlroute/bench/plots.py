"""PNG figures of a benchmark, per scenario: KPI bars, waits by call type, SL by interval.

Figures are drawn on :class:`matplotlib.figure.Figure` objects directly (the Agg canvas), never
through pyplot, so plotting needs no display and leaves the caller's backend alone. A router
keeps its colour in every figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from rlroute.bench.runner import BenchmarkResult
from rlroute.bench.stats import t_interval

_WAIT_STATS = ("asa", "wait_p50", "wait_p90", "wait_p95", "wait_p99")


def _colors(routers: Sequence[str]) -> dict[str, tuple]:
    cmap = colormaps["tab10" if len(routers) <= 10 else "tab20"]
    return {r: cmap(i % cmap.N) for i, r in enumerate(routers)}


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def plot_kpi_bars(
    summary: pd.DataFrame, scenario: str, kpis: Sequence[str], path: Path
) -> Path | None:
    """One panel per KPI: a bar per router at its mean, with the 95% t-interval."""
    sc = summary[(summary["scenario"] == scenario) & summary["kpi"].isin(kpis)]
    kpis = [k for k in kpis if k in set(sc["kpi"])]
    if not kpis:
        return None
    routers = list(sc["router"].unique())
    colors = _colors(routers)
    ncol = min(4, len(kpis))
    nrow = math.ceil(len(kpis) / ncol)
    fig = Figure(
        figsize=(3.2 * ncol, 2.8 * nrow + 0.4 * max(0, len(routers) - 4) / 2), layout="constrained"
    )
    axes = fig.subplots(nrow, ncol, squeeze=False)
    x = np.arange(len(routers))
    for ax, kpi in zip(axes.flat, kpis):
        cells = sc[sc["kpi"] == kpi].set_index("router").reindex(routers)
        hw = cells["half_width"].fillna(0).to_numpy()
        ax.bar(x, cells["mean"], yerr=hw, capsize=3, color=[colors[r] for r in routers])
        ax.set_title(kpi, fontsize=10)
        ax.set_xticks(x, routers, rotation=45, ha="right", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    n = int(sc["n"].max())
    fig.suptitle(f"{scenario}: mean and 95% CI over {n} seeds", fontsize=11)
    fig.savefig(path, dpi=110)
    return path


def plot_waits_by_type(by_type: pd.DataFrame, scenario: str, path: Path) -> Path | None:
    """Per call type, the answered-wait distribution of each router (ASA and percentiles)."""
    sc = by_type[by_type["scenario"] == scenario]
    stats_ = [s for s in _WAIT_STATS if s in sc.columns]
    if sc.empty or not stats_:
        return None
    types = list(sc["call_type"].unique())
    routers = list(sc["router"].unique())
    colors = _colors(routers)
    ncol = min(4, len(types))
    nrow = math.ceil(len(types) / ncol)
    fig = Figure(figsize=(3.4 * ncol, 3.0 * nrow), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    mean = sc.groupby(["call_type", "router"], sort=False)[stats_].mean()
    pct = [s for s in stats_ if s != "asa"]
    x = np.arange(1, len(pct) + 1)
    for ax, ct in zip(axes.flat, types):
        for r in routers:
            if (ct, r) in mean.index:
                row = mean.loc[(ct, r)]
                # ASA is a mean, not a point of the distribution: a marker of its own at x=0
                if "asa" in row:
                    ax.plot([0], [row["asa"]], "D", mfc="none", color=colors[r])
                ax.plot(x, row[pct].to_numpy(float), "o-", color=colors[r], label=r)
        ax.set_title(f"type {ct}", fontsize=10)
        ax.set_xticks([0, *x], ["ASA", *(s.replace("wait_", "") for s in pct)], fontsize=8)
        ax.set_ylabel("wait of answered calls (s)", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(types) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{scenario}: waits by call type (mean over seeds)", fontsize=11)
    fig.savefig(path, dpi=110)
    return path


def plot_interval_kpi(
    by_interval: pd.DataFrame, scenario: str, path: Path, kpi: str = "service_level"
) -> Path | None:
    """A KPI per interval (by arrival), one line per router with its 95% t-band over seeds."""
    sc = by_interval[by_interval["scenario"] == scenario]
    if sc.empty or kpi not in sc.columns:
        return None
    routers = list(sc["router"].unique())
    colors = _colors(routers)
    fig = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for r in routers:
        rows = [
            (i, *t_interval(g[kpi].to_numpy(float))[:2])
            for i, g in sc[sc["router"] == r].groupby("interval")
        ]
        i, m, hw = (np.array(v, dtype=float) for v in zip(*rows))
        ax.plot(i, m, "o-", ms=3, color=colors[r], label=r)
        ax.fill_between(
            i, m - np.nan_to_num(hw), m + np.nan_to_num(hw), color=colors[r], alpha=0.15
        )
    ax.set_xlabel("interval")
    ax.set_ylabel(kpi)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(f"{scenario}: {kpi} per interval (mean, 95% CI over seeds)", fontsize=11)
    fig.savefig(path, dpi=110)
    return path


def plot_all(
    result: BenchmarkResult, summary: pd.DataFrame, folder: Path, kpis: Sequence[str]
) -> list[Path]:
    """Every figure for every scenario; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for scenario in result.runs["scenario"].unique():
        s = _safe(str(scenario))
        for p in (
            plot_kpi_bars(summary, scenario, kpis, folder / f"{s}_kpis.png"),
            plot_waits_by_type(result.by_type, scenario, folder / f"{s}_waits_by_type.png"),
            plot_interval_kpi(
                result.by_interval, scenario, folder / f"{s}_service_level_by_interval.png"
            ),
        ):
            if p is not None:
                written.append(p)
    return written
