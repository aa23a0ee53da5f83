"""The calibration report: Markdown tables, PNG figures and the Scenario YAML, in one folder.

Figures are drawn on :class:`matplotlib.figure.Figure` objects (the Agg canvas), never through
pyplot, so writing a report needs no display. Four figures, one panel per call type or group:

* ``arrivals.png``: calls per interval, each day (grey), their mean (dots) and the fitted
  rate times the interval (line);
* ``handle_qq.png``: QQ plot (log axes) of each type's handle times against its fit;
* ``patience.png``: Kaplan-Meier survival of patience with a 95% Greenwood band, the
  exponential fit and the model written to the Scenario;
* ``staffing.png``: head count per group and interval, with the mean agents on duty and busy.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from rlroute.calibrate.core import CalibrationReport
from rlroute.calibrate.handle import qq_points
from rlroute.scenario import Scenario

__all__ = ["scenario_yaml", "to_markdown", "write_report"]


class _FlowListDumper(yaml.SafeDumper):
    """YAML with lists of numbers on one line: rate profiles stay readable."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = bool(data) and all(isinstance(v, int | float) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowListDumper.add_representer(list, _represent_list)


def scenario_yaml(scenario: Scenario, header: str = "") -> str:
    """The Scenario as YAML (numeric lists in flow style), with an optional comment header."""
    text = yaml.dump(scenario.to_dict(), Dumper=_FlowListDumper, sort_keys=False, width=100)
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()] if header else []
    return "\n".join([*lines, text]) if lines else text


def _panels(n: int, width: float = 4.0, height: float = 3.0) -> tuple[Figure, list[Any]]:
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def plot_arrivals(report: CalibrationReport, path: Path) -> Path:
    fit = report.arrivals
    x = np.arange(fit.grid.n_intervals)
    fig, axes = _panels(len(fit.types))
    for k, (t, ax) in enumerate(zip(fit.types, axes)):
        for day in fit.counts[:, k, :]:
            ax.plot(x, day, color="0.8", lw=0.6)
        ax.plot(x, fit.counts[:, k, :].mean(axis=0), "o", ms=3, color="C0", label="data mean")
        ax.plot(x, fit.rates_per_hour[k] * fit.grid.interval_h, color="C3", label="fit")
        shape = fit.day_shape[t]
        extra = "" if shape is None else f", day CV {1 / math.sqrt(shape):.0%}"
        ax.set_title(f"{t}{extra}", fontsize=9)
        ticks = x[:: max(1, len(x) // 6)]
        ax.set_xticks(ticks, [fit.grid.labels()[i] for i in ticks], fontsize=7)
        ax.set_ylabel("calls / interval", fontsize=8)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Arrivals per interval ({len(fit.days)} days; grey: each day)", fontsize=10)
    fig.savefig(path, dpi=110)
    return path


def plot_handle_qq(report: CalibrationReport, path: Path) -> Path:
    fits = report.handle_pooled
    fig, axes = _panels(len(fits), 3.2, 3.2)
    for (t, fit), ax in zip(sorted(fits.items()), axes):
        model, data = qq_points(fit.sample, fit.dist)
        lo = max(min(model.min(), data.min()), 0.5)
        hi = max(model.max(), data.max())
        ax.loglog(model, data, ".", ms=3)
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8)
        kind = "lognormal + short" if fit.mixture else "lognormal"
        ax.set_title(f"{t}: {kind}, KS {fit.ks:.3f}, n={fit.n}", fontsize=8)
        ax.set_xlabel("fitted quantile (s)", fontsize=8)
        ax.set_ylabel("data quantile (s)", fontsize=8)
    fig.suptitle("Handle times: QQ plot against the fit (all groups)", fontsize=10)
    fig.savefig(path, dpi=110)
    return path


def plot_patience(report: CalibrationReport, path: Path) -> Path:
    fits = [(t, p) for t, p in report.patience.items() if p.km is not None]
    fig, axes = _panels(max(len(fits), 1))
    for (t, p), ax in zip(fits, axes):
        km = p.km
        assert km is not None
        t_max = max(float(np.quantile(p.times, 0.99)), 1.0)
        grid = np.linspace(0, t_max, 300)
        s = km(grid)
        band = 1.96 * np.sqrt(np.interp(grid, km.times, km.variance, left=0.0))
        ax.step(grid, s, where="post", color="C0", label="Kaplan-Meier")
        ax.fill_between(grid, np.clip(s - band, 0, 1), np.clip(s + band, 0, 1), alpha=0.2)
        ax.plot(grid, np.exp(-grid / p.exp_mean_s), color="C3", label="exponential")
        if p.choice == "empirical" and p.dist is not None:
            ax.plot(grid, 1 - p.dist.cdf(grid), color="C2", ls="--", label="scenario")
        ax.axvline(p.t_support, color="0.6", lw=0.6, ls=":")
        ax.set_ylim(max(0.0, float(s.min()) - 0.1), 1.01)
        ax.set_title(
            f"{t}: {p.abandoned}/{p.n} abandoned, mean {p.exp_mean_s:.0f}s ({p.choice})",
            fontsize=8,
        )
        ax.set_xlabel("wait (s)", fontsize=8)
    if fits:
        axes[0].legend(fontsize=7)
    fig.suptitle("Patience survival: Kaplan-Meier vs exponential", fontsize=10)
    fig.savefig(path, dpi=110)
    return path


def plot_staffing(report: CalibrationReport, path: Path) -> Path:
    st = report.staffing
    x = np.arange(st.grid.n_intervals)
    fig, axes = _panels(len(st.groups), 5.0, 3.0)
    for j, (g, ax) in enumerate(zip(st.groups, axes)):
        ax.step(x, st.head_count[j], where="mid", color="C0", label="head count (scenario)")
        ax.plot(x, st.on_duty[:, j].mean(axis=0), color="C1", label="on duty (shifts)")
        ax.plot(x, st.busy[:, j].mean(axis=0), color="C2", label="busy")
        ticks = x[:: max(1, len(x) // 6)]
        ax.set_xticks(ticks, [st.grid.labels()[i] for i in ticks], fontsize=7)
        ax.set_title(g, fontsize=9)
        ax.set_ylabel("agents", fontsize=8)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Staffing inferred from service activity ({st.method})", fontsize=10)
    fig.savefig(path, dpi=110)
    return path


def _md_table(df: pd.DataFrame, floatfmt: str = ".3g") -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float | np.floating):
                cells.append("" if math.isnan(v) else format(v, floatfmt))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_markdown(report: CalibrationReport, scenario: Scenario, figures: dict[str, str]) -> str:
    """The report as Markdown: data used, settings, every fit, warnings, figures."""
    tables = report.tables()
    lines = [
        f"# Calibration report: {report.source}",
        "",
        f"Scenario `{scenario.name}`: {scenario.description}",
        "",
        "## Data used",
        "",
        _md_table(pd.DataFrame([report.data]).T.reset_index().set_axis(["what", "rows"], axis=1)),
        "",
        "## Settings",
        "",
        _md_table(
            pd.DataFrame(
                [(k, str(v)) for k, v in report.settings.items()], columns=["setting", "value"]
            )
        ),
        "",
        "## Call types",
        "",
        "Priority = median source priority of the type's calls that waited (FIFO within "
        "priority mimics the center); `_hi` types are the high-priority callers split off.",
        "",
        _md_table(tables["call_types"]),
        "",
        "## Arrivals",
        "",
        "Rate = mean calls per interval over the days / interval length; Gamma day-multiplier "
        "shape by the method of moments on daily totals (empty: no overdispersion).",
        "",
        _md_table(tables["arrival_days"]),
        "",
        "## Handle times",
        "",
        "Lognormal MLE, with an exponential short-call component when EM + BIC keep it; "
        "`(all)` rows pool every group (used where a pair has too few calls).",
        "",
        _md_table(tables["handle"]),
        "",
        "## Patience",
        "",
        "Exponential MLE (abandoned / total wait) and Kaplan-Meier on censored waits; "
        "`choice` is what the Scenario uses.",
        "",
        _md_table(tables["patience"]),
        "",
        "## Agent groups",
        "",
        f"Rule: {report.groups.k_rule}. Silhouette by k: "
        + ", ".join(f"{k}: {v:.2f}" for k, v in report.groups.silhouettes.items()),
        "",
        _md_table(tables["groups"]),
        "",
        "## First-call resolution",
        "",
        f"Unresolved = the customer called again within {report.resolution.window_hours:g} h "
        "(identified customers only).",
        "",
        _md_table(tables["fcr"]),
        "",
        "## Staffing",
        "",
        f"Method `{report.staffing.method}` (gap {report.staffing.gap_minutes:g} min); "
        "`occupancy_inferred` = busy / on duty.",
        "",
        _md_table(tables["staffing"]),
        "",
    ]
    if "wrap_up" in tables:
        lines += [
            "## After-call work (not-ready time)",
            "",
            "Idle gaps of agents while calls of their group waited, right-censored where the "
            "queue emptied first; Kaplan-Meier per (type, group), `group` rows use the "
            "group's pooled curve (rlroute.calibrate.wrapup).",
            "",
            _md_table(tables["wrap_up"]),
            "",
        ]
    if "handle_profile" in tables:
        prof = tables["handle_profile"].pivot(
            index="interval", columns="call_type", values="factor"
        )
        lines += [
            "## Handle times over the day",
            "",
            "Factor per arrival interval: sum of handle times / sum of their (type, group) fitted "
            "means, normalised to a call-weighted mean of 1; thin intervals use the center's "
            "pooled factor (rlroute.calibrate.handle_profile).",
            "",
            _md_table(prof.reset_index()),
            "",
        ]
    if "staffing_days" in tables:
        lines += [
            "## Staffing from day to day",
            "",
            "Per group: the spread of the days' staffing factor (agent-hours / the mean day's) "
            "and arrival factor (its types' calls / the mean day's), their correlation, and the "
            "fitted `staffing_day_factor`: load slope and Gamma shape of the noise "
            "(rlroute.calibrate.staffing_day).",
            "",
            _md_table(tables["staffing_days"]),
            "",
        ]
    if "availability_days" in tables:
        lines += [
            "## Availability from day to day",
            "",
            "Per group: the days' factor of the not-ready request rate (each day's maximum "
            "likelihood with the pooled fit's other parameters held), its spread, the spread a "
            "day's estimate has by sampling alone, and the fitted `not_ready.day_shape` "
            "(rlroute.calibrate.availability_day).",
            "",
            _md_table(tables["availability_days"]),
            "",
        ]
    if report.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in report.warnings], ""]
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{name}]({file})" for name, file in figures.items()]
        lines.append("")
    return "\n".join(lines)


def write_report(
    report: CalibrationReport,
    scenario: Scenario,
    out_dir: str | Path,
    plots: bool = True,
    scenario_file: str = "scenario.yaml",
) -> dict[str, Path]:
    """Write ``scenario.yaml``, ``report.md``, the tables as CSV and the PNG figures."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    paths["scenario"] = out / scenario_file
    paths["scenario"].write_text(scenario_yaml(scenario))
    for name, table in report.tables().items():
        table.to_csv(out / f"{name}.csv", index=False)
    figures: dict[str, str] = {}
    if plots:
        for name, fn in (
            ("arrivals", plot_arrivals),
            ("handle_qq", plot_handle_qq),
            ("patience", plot_patience),
            ("staffing", plot_staffing),
        ):
            paths[name] = fn(report, out / f"{name}.png")
            figures[name] = paths[name].name
    paths["report"] = out / "report.md"
    paths["report"].write_text(to_markdown(report, scenario, figures))
    return paths
