"""Backtest a calibration: simulate the days it was fitted on and compare with what happened.

The question is whether the calibrated model (arrivals, handle times, patience, groups,
inferred staffing, and a router that mimics the center) reproduces the center's service:
abandonment, speed of answer, service level and occupancy, overall, per call type and per
hour of the day. Modes, reported side by side:

* ``per_day``: each observed day is simulated with *its own* arrival rates (the day's counts
  per type and interval, so Poisson noise is re-drawn around them) and *its own* inferred
  staffing; the whole month runs as one multi-day Scenario. This isolates the queueing model
  (service, patience, routing, staffing) from day-to-day forecasting error.
* ``replay`` (on request): ``per_day`` with each day's *actual* arrivals (times and types,
  from the records: :func:`replay_arrivals`) instead of Poisson draws around its counts, so
  the error left is the service model's alone (the simulator's ``arrivals=`` option);
* ``mean_day``: the calibrated Scenario as shipped (mean rates, Gamma day multipliers, mean
  staffing), run for as many days as were observed.

Observed and simulated KPIs are computed by the same function (:func:`service_kpis`) on
canonical call records: the simulator's call log goes through
:func:`rlroute.calibrate.synthetic.call_log_to_records`. Definitions, for calls that reached
the queue inside the Scenario's window, grouped by the hour of their arrival:

* ``abandon_rate`` = abandoned / (answered + abandoned);
* ``asa`` = mean wait of answered calls (seconds);
* ``service_level`` = answered within T / (offered - abandoned within T), T = 20 s (the
  simulator's default definition);
* ``occupancy`` = busy agent time / agent time on duty; observed: handle time overlapping
  the hour (named and unnamed agents) over the agents inferred by the calibration's staffing
  method (before rounding); simulated: the simulator's own busy and present agent time.

Run it: ``python -m rlroute.bench.backtest --out experiments/anonymous_bank_backtest``
(``--help`` lists the options). It sits above the simulator and the routers; the estimators it
checks are :mod:`rlroute.calibrate`'s.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from rlroute.calibrate.common import CalibrationError, DayGrid, clock_seconds, queue_calls
from rlroute.calibrate.core import CalibrationReport, calibrate
from rlroute.calibrate.inputs import load_records
from rlroute.calibrate.replay import replay_arrivals
from rlroute.calibrate.synthetic import call_log_to_records
from rlroute.data import CallRecords, CallRecordsError
from rlroute.policies import make_router
from rlroute.scenario import Scenario
from rlroute.sim.engine import Simulator
from rlroute.sim.fast import FastSimulator
from rlroute.sim.fast.layout import R_PYTHON
from rlroute.sim.fast.routers import compile_router

__all__ = [
    "BacktestResult",
    "backtest",
    "day_by_day_scenario",
    "pick_engine",
    "repeat_days",
    "replay_arrivals",
    "router_from_spec",
    "run_backtest",
    "service_kpis",
]

KPIS = ("abandon_rate", "asa", "service_level", "occupancy")
ENGINES = ("auto", "reference", "compiled")


def router_from_spec(spec: str) -> Any:
    """A router from ``"name"`` or ``"name:key=value,key=value"`` (numbers parsed as floats),
    e.g. ``"priority_boost:boost=60"``: the command line's ``--router``."""
    name, _, args = spec.partition(":")
    kwargs: dict[str, Any] = {}
    for item in filter(None, args.split(",")):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ValueError(f"router {spec!r}: {item!r} is not key=value")
        try:
            kwargs[key.strip()] = float(value)
        except ValueError:
            kwargs[key.strip()] = value.strip()
    return make_router(name.strip(), **kwargs)


def pick_engine(engine: str, scenario: Scenario, router: str) -> str:
    """``reference`` or ``compiled``: ``auto`` takes the compiled engine when ``router`` has a
    compiled twin (both engines give the same calls, to 1e-9 s; a router without a twin would
    be asked at every epoch through Python, where the reference engine is as quick); not-ready
    episodes included (both engines simulate them, call by call the same)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {ENGINES}")
    if engine != "auto":
        return engine
    probe = Simulator(scenario, 0)
    r = router_from_spec(router)
    r.reset(probe)
    return "reference" if compile_router(r, probe).kind == R_PYTHON else "compiled"


def _kpi_row(calls: pd.DataFrame, target_s: float) -> dict[str, float]:
    answered = calls["outcome"] == "answered"
    abandoned = calls["outcome"] == "abandoned"
    wait = calls["wait_s"]
    offered = len(calls)
    n_ans = int(answered.sum())
    within = int((answered & (wait <= target_s)).sum())
    ab_within = int((abandoned & (wait <= target_s)).sum())
    denom = offered - ab_within
    return {
        "offered": float(offered),
        "answered": float(n_ans),
        "abandoned": float(abandoned.sum()),
        "abandon_rate": float(abandoned.sum() / offered) if offered else math.nan,
        "asa": float(wait[answered].mean()) if n_ans else math.nan,
        "service_level": within / denom if denom > 0 else math.nan,
    }


def service_kpis(
    frame: pd.DataFrame,
    grid: DayGrid,
    type_base: dict[str, str] | None = None,
    target_s: float = 20.0,
    n_days: int | None = None,
) -> dict[str, pd.DataFrame]:
    """KPIs of the queue calls inside the window: ``overall``, ``by_type``, ``by_hour``.

    ``type_base`` maps type labels onto the types to report (e.g. ``PS_hi`` -> ``PS``).
    ``offered_per_day`` is added when ``n_days`` is given.
    """
    calls = queue_calls(frame)
    clock = clock_seconds(calls)
    inside = grid.index(clock) >= 0
    calls = calls[inside].assign(hour=np.floor(clock[inside] / 3600))
    ctype = calls["call_type"].astype(str)
    if type_base:
        ctype = ctype.map(lambda t: type_base.get(t, t))
    calls = calls.assign(call_type=ctype)
    overall = pd.DataFrame([{"call_type": "all", **_kpi_row(calls, target_s)}])
    by_type = pd.DataFrame(
        [{"call_type": t, **_kpi_row(g, target_s)} for t, g in calls.groupby("call_type")]
    )
    by_hour = pd.DataFrame(
        [{"hour": int(h), **_kpi_row(g, target_s)} for h, g in calls.groupby("hour")]
    )
    if n_days:
        for t in (overall, by_type, by_hour):
            t["offered_per_day"] = t["offered"] / n_days
    return {"overall": overall, "by_type": by_type, "by_hour": by_hour}


def observed_occupancy(report: CalibrationReport) -> pd.DataFrame:
    """Observed busy agent-hours and agents (by the calibration's staffing method, before
    rounding) per hour of the day, all groups and days."""
    st = report.staffing
    hours = np.floor(st.grid.starts_s() / 3600).astype(int)
    busy = st.busy.sum(axis=(0, 1)) + st.unnamed_busy.sum(axis=0)
    on = st.daily_agents().sum(axis=(0, 1))
    df = pd.DataFrame({"hour": hours, "busy": busy, "on_duty": on}).groupby("hour").sum()
    return df.reset_index()


def _repeat_profile(scenario: Scenario, call_type: dict[str, Any], n_days: int) -> None:
    """Repeat a one-day handle-time profile over ``n_days`` days, in place."""
    profile = scenario.handle_time_multipliers(scenario.type_names.index(call_type["name"]))
    if profile is not None:
        call_type["handle_time_profile"] = profile * n_days


def day_by_day_scenario(scenario: Scenario, report: CalibrationReport) -> Scenario:
    """The calibrated Scenario run over every observed day with that day's own arrival
    counts (as rates) and inferred staffing; no day multiplier (the day is the day)."""
    arr, st = report.arrivals, report.staffing
    n_days, n_int = len(arr.days), arr.grid.n_intervals
    pos = {t: k for k, t in enumerate(arr.types)}
    heads = st.daily_head_count()
    gpos = {g: j for j, g in enumerate(st.groups)}
    data = scenario.to_dict()
    data["name"] = f"{scenario.name}_day_by_day"
    data["n_intervals"] = n_days * n_int
    data["intervals_per_day"] = n_int
    for c in data["call_types"]:
        c["arrival_rates_per_hour"] = (
            arr.counts[:, pos[c["name"]], :].reshape(-1) / arr.grid.interval_h
        ).tolist()
        c["day_multiplier_shape"] = None
        _repeat_profile(scenario, c, n_days)
    for g in data["agent_groups"]:
        g["head_count"] = heads[:, gpos[g["name"]], :].reshape(-1).tolist()
        g.pop("staffing_day_factor", None)  # each day's own staffing
        _repeat_not_ready(g, n_days)
    return Scenario.from_dict(data, source="day-by-day backtest scenario")


def repeat_days(scenario: Scenario, n_days: int) -> Scenario:
    """The one-day Scenario repeated ``n_days`` times (day multipliers, and staffing day
    factors where the groups have them, drawn each day)."""
    data = scenario.to_dict()
    data["name"] = f"{scenario.name}_x{n_days}"
    n = scenario.n_intervals
    data["n_intervals"] = n * n_days
    data["intervals_per_day"] = n
    for c in data["call_types"]:
        c["arrival_rates_per_hour"] = (
            scenario.rates_per_hour(scenario.type_names.index(c["name"])) * n_days
        )
        _repeat_profile(scenario, c, n_days)
    for j, g in enumerate(data["agent_groups"]):
        g["head_count"] = scenario.head_counts(j) * n_days
        _repeat_not_ready(g, n_days)
    return Scenario.from_dict(data, source="repeated-day backtest scenario")


def _repeat_not_ready(group: dict[str, Any], n_days: int) -> None:
    """A group's per-interval not-ready rates and lengths, repeated for every day."""
    nr = group.get("not_ready")
    for key in ("rate_per_hour", "mean_length_s"):
        if nr and len(nr[key]) > 1:
            nr[key] = nr[key] * n_days


def span_seconds_per_interval(
    start: np.ndarray, end: np.ndarray, interval_s: float, n: int
) -> np.ndarray:
    """Seconds of the spans ``[start, end)`` (simulation time) that fall in each of ``n``
    intervals of ``interval_s``; time past the last interval is dropped."""
    out = np.zeros(n)
    first = np.floor(start / interval_s).astype(np.int64)
    last = np.floor(np.maximum(end - 1e-9, start) / interval_s).astype(np.int64)
    for i0, i1, s0, e0 in zip(first, last, start, end):
        for i in range(i0, min(i1, n - 1) + 1):
            out[i] += min(e0, (i + 1) * interval_s) - max(s0, i * interval_s)
    return out


def busy_agents(by_interval: pd.DataFrame) -> pd.Series:
    """Agents busy (talk + wrap-up) on average in each interval, from the per-interval KPIs:
    occupancy times the agents on duty *and ready* (with not-ready episodes the simulator's
    occupancy leaves not-ready time out of its denominator)."""
    ready = by_interval["agents_on_duty"]
    if "not_ready_share" in by_interval:
        ready = ready * (1.0 - by_interval["not_ready_share"].fillna(0))
    return by_interval["occupancy"].fillna(0) * ready


def busy_all_s(by_interval: pd.DataFrame, scenario: Scenario) -> float:
    """Agent-seconds busy (talk + wrap-up) over the horizon, from the per-interval KPIs."""
    return float(busy_agents(by_interval).sum() * scenario.interval_s)


def _simulate(
    scenario: Scenario,
    seeds: list[int],
    router: str,
    report: CalibrationReport,
    arrivals: list[np.ndarray] | None = None,
    engine: str = "auto",
) -> list[dict[str, Any]]:
    """KPIs of each seed's run, by the observed-data definitions."""
    out = []
    grid = report.grid
    fast = pick_engine(engine, scenario, router) == "compiled"
    for seed in seeds:
        sim: Simulator | FastSimulator = (FastSimulator if fast else Simulator)(
            scenario, seed, record_calls=True, arrivals=arrivals
        )
        kpi = sim.run(router_from_spec(router))
        log = sim.call_log()
        records = call_log_to_records(log, scenario)
        k = service_kpis(records.frame, grid, report.type_base, n_days=len(report.arrivals.days))
        bi = kpi.by_interval
        n_int = grid.n_intervals
        hours = np.floor(grid.starts_s() / 3600).astype(int)
        # Talk time only, like the observed occupancy (a log has no after-call work): the
        # simulator's occupancy counts wrap-up as busy, so its wrap-up seconds come off.
        wrap = log[log["wrap_up_s"] > 0]
        wrap_s = span_seconds_per_interval(
            wrap["service_end_s"].to_numpy(dtype=float),
            (wrap["service_end_s"] + wrap["wrap_up_s"]).to_numpy(dtype=float),
            scenario.interval_s,
            len(bi),
        )
        busy = busy_agents(bi).to_numpy()
        busy = np.clip(busy - wrap_s / scenario.interval_s, 0.0, None)
        present = bi["agents_on_duty"].to_numpy()
        occ = (
            pd.DataFrame(
                {
                    "hour": np.tile(hours, len(bi) // n_int),
                    "busy": busy,
                    "on_duty": present,
                }
            )
            .groupby("hour")
            .sum()
        )
        k["by_hour"] = k["by_hour"].merge(
            (occ["busy"] / occ["on_duty"]).rename("occupancy").reset_index(), on="hour", how="left"
        )
        # the talk share of the same busy time (exactly 1 without wrap-up)
        talk_share = 1.0 - wrap_s.sum() / max(busy_all_s(bi, scenario), 1e-9)
        # over agents on duty, ready or not, like the observed one (a log cannot see not ready)
        ready_share = 1.0 - kpi.overall.get("not_ready_share", 0.0)
        k["overall"]["occupancy"] = kpi.overall["occupancy"] * talk_share * ready_share
        out.append(k)
    return out


def _mean_over_seeds(runs: list[dict[str, Any]], table: str, key: str) -> pd.DataFrame:
    frames = [r[table] for r in runs]
    cat = pd.concat(frames, ignore_index=True)
    num = [c for c in cat.columns if c != key]
    mean = cat.groupby(key)[num].mean()
    lo = cat.groupby(key)[num].min().add_suffix("_min")
    hi = cat.groupby(key)[num].max().add_suffix("_max")
    return pd.concat([mean, lo, hi], axis=1).reset_index()


@dataclass
class BacktestResult:
    """Observed vs simulated KPIs per mode, with the Scenario and report they came from."""

    scenario: Scenario
    report: CalibrationReport
    router: str
    seeds: list[int]
    observed: dict[str, pd.DataFrame]
    simulated: dict[str, dict[str, pd.DataFrame]]
    settings: dict[str, Any] = field(default_factory=dict)

    def comparison(self, table: str) -> pd.DataFrame:
        """Observed and simulated KPIs side by side (``overall``, ``by_type``, ``by_hour``)."""
        key = {"overall": "call_type", "by_type": "call_type", "by_hour": "hour"}[table]
        obs = self.observed[table]
        cols = [key, "offered_per_day", *[k for k in KPIS if k in obs.columns]]
        out = obs[cols].rename(columns={c: f"obs_{c}" for c in cols if c != key})
        for mode, sim in self.simulated.items():
            s = sim[table]
            scols = [key, "offered_per_day", *[k for k in KPIS if k in s.columns]]
            out = out.merge(
                s[scols].rename(columns={c: f"{mode}_{c}" for c in scols if c != key}),
                on=key,
                how="outer",
            )
        return out

    def headline(self) -> dict[str, dict[str, float]]:
        """Per mode: overall relative errors and the hourly-profile correlations."""
        out: dict[str, dict[str, float]] = {}
        obs_o = self.observed["overall"].iloc[0]
        obs_h = self.observed["by_hour"].set_index("hour")
        for mode, sim in self.simulated.items():
            s_o = sim["overall"].iloc[0]
            s_h = sim["by_hour"].set_index("hour").reindex(obs_h.index)
            row: dict[str, float] = {}
            for k in KPIS:
                if k in obs_o and k in s_o:
                    row[f"obs_{k}"] = float(obs_o[k])
                    row[f"sim_{k}"] = float(s_o[k])
                    row[f"rel_err_{k}"] = float(s_o[k] / obs_o[k] - 1)
                if k in obs_h and k in s_h:
                    both = pd.concat([obs_h[k], s_h[k]], axis=1).dropna()
                    row[f"corr_hourly_{k}"] = float(
                        np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1]
                    )
            out[mode] = row
        return out


def backtest(
    records: CallRecords | pd.DataFrame,
    scenario: Scenario,
    report: CalibrationReport,
    seeds: int | list[int] = 5,
    router: str = "fifo_priority",
    modes: tuple[str, ...] | list[str] = ("per_day", "mean_day"),
    settings: dict[str, Any] | None = None,
    engine: str = "auto",
) -> BacktestResult:
    """Simulate the days a calibration was fitted on and compare with ``records``.

    ``engine``: ``reference``, ``compiled`` or ``auto`` (compiled when the router has a
    compiled twin, see :func:`pick_engine`); the same calls either way."""
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    frame = records.frame if isinstance(records, CallRecords) else records
    frame = frame[frame["date"].isin(report.arrivals.days)]
    n_days = len(report.arrivals.days)
    observed = service_kpis(frame, report.grid, n_days=n_days)
    occ = observed_occupancy(report)
    occ = occ.assign(occupancy=occ["busy"] / occ["on_duty"])
    observed["by_hour"] = observed["by_hour"].merge(
        occ[["hour", "occupancy"]], on="hour", how="left"
    )
    observed["overall"]["occupancy"] = float(occ["busy"].sum() / occ["on_duty"].sum())
    simulated: dict[str, dict[str, pd.DataFrame]] = {}
    for mode in modes:
        replay = None
        if mode in ("per_day", "replay"):
            sc = day_by_day_scenario(scenario, report)
            if mode == "replay":
                replay = replay_arrivals(frame, sc, report)
        elif mode == "mean_day":
            sc = repeat_days(scenario, n_days)
        else:
            raise ValueError(
                f"unknown backtest mode {mode!r}; use 'per_day', 'replay' or 'mean_day'"
            )
        runs = _simulate(sc, seed_list, router, report, replay, engine)
        simulated[mode] = {
            "overall": _mean_over_seeds(runs, "overall", "call_type"),
            "by_type": _mean_over_seeds(runs, "by_type", "call_type"),
            "by_hour": _mean_over_seeds(runs, "by_hour", "hour"),
        }
    return BacktestResult(
        scenario=scenario,
        report=report,
        router=router,
        seeds=seed_list,
        observed=observed,
        simulated=simulated,
        settings={"router": router, "seeds": seed_list, **(settings or {})},
    )


def run_backtest(
    records: CallRecords | pd.DataFrame,
    seeds: int | list[int] = 5,
    router: str = "fifo_priority",
    modes: tuple[str, ...] | list[str] = ("per_day", "mean_day"),
    engine: str = "auto",
    **calibrate_kw: Any,
) -> BacktestResult:
    """Calibrate on ``records`` (``split_priority`` on by default) and :func:`backtest`."""
    calibrate_kw.setdefault("split_priority", True)
    scenario, report = calibrate(records, **calibrate_kw)
    return backtest(
        records, scenario, report, seeds, router, modes, settings=calibrate_kw, engine=engine
    )


def holdout_backtest(
    records: CallRecords | pd.DataFrame,
    fit_dates: list[pd.Timestamp] | list[str],
    test_dates: list[pd.Timestamp] | list[str],
    seeds: int | list[int] = 5,
    router: str = "fifo_priority",
    modes: tuple[str, ...] | list[str] = ("per_day", "mean_day"),
    engine: str = "auto",
    **calibrate_kw: Any,
) -> BacktestResult:
    """Out of sample: fit on ``fit_dates``, compare with ``test_dates`` the model never saw.

    The test days are described in the fitted model's own terms: a second calibration on them
    keeps the fitted agent groups (:func:`~rlroute.calibrate.groups.assign_to_groups`) and only
    supplies what a planner would know for those days, their arrival counts and staffing.
    ``per_day`` then simulates each test day with its own arrivals and staffing and the
    *fitted* handle times, patience, resolution, priorities and after-call work (a what-if:
    does the behaviour transfer?); ``mean_day`` simulates the fitted Scenario as is (a
    forecast: arrivals, staffing and behaviour all from the fitting days).
    """
    calibrate_kw.setdefault("split_priority", True)
    scenario, fit_report = calibrate(records, dates=fit_dates, **calibrate_kw)
    _, test_report = calibrate(records, dates=test_dates, groups=fit_report.groups, **calibrate_kw)
    fit_types, test_types = scenario.type_names, list(test_report.arrivals.types)
    if sorted(fit_types) != sorted(test_types):
        raise CalibrationError(
            f"holdout: the fitting days give call types {fit_types} but the test days "
            f"{test_types} (a <type>_hi split needs min_high_calls in both); "
            "choose other dates or split_priority=False"
        )
    return backtest(
        records,
        scenario,
        test_report,
        seeds,
        router,
        modes,
        settings={
            "fit_dates": f"{pd.Timestamp(fit_dates[0]).date()}..{pd.Timestamp(fit_dates[-1]).date()}",
            "test_dates": f"{pd.Timestamp(test_dates[0]).date()}..{pd.Timestamp(test_dates[-1]).date()}",
            **calibrate_kw,
        },
        engine=engine,
    )


def plot_backtest(result: BacktestResult, path: Path) -> Path:
    """Hourly profiles, observed vs each simulated mode (mean over seeds, min-max band)."""
    titles = {
        "abandon_rate": "abandonment rate",
        "asa": "ASA of answered calls (s)",
        "service_level": "service level (20 s)",
        "occupancy": "occupancy",
    }
    fig = Figure(figsize=(11, 7), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    obs = result.observed["by_hour"]
    for ax, k in zip(axes, KPIS):
        ax.plot(obs["hour"], obs[k], "o-", color="k", label="observed")
        for j, (mode, sim) in enumerate(result.simulated.items()):
            h = sim["by_hour"]
            ax.plot(h["hour"], h[k], color=f"C{j}", label=f"simulated ({mode})")
            ax.fill_between(h["hour"], h[f"{k}_min"], h[f"{k}_max"], color=f"C{j}", alpha=0.2)
        ax.set_title(titles[k], fontsize=10)
        ax.set_xlabel("hour of arrival", fontsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle(
        f"Backtest: {result.report.source}, {result.report.day_type} days, router "
        f"{result.router}, {len(result.seeds)} seeds",
        fontsize=10,
    )
    fig.savefig(path, dpi=110)
    return path


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for v in r:
            if isinstance(v, float | np.floating):
                cells.append("" if math.isnan(v) else f"{v:.3g}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) > 4:
        return f"[{len(value)} values: {value[0]} .. {value[-1]}]"
    return str(value)


def write_backtest(result: BacktestResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``results.md``, ``headline.json``, the comparison CSVs and ``backtest.png``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for table in ("overall", "by_type", "by_hour"):
        p = out / f"backtest_{table}.csv"
        result.comparison(table).to_csv(p, index=False)
        paths[table] = p
    head = result.headline()
    paths["headline"] = out / "headline.json"
    paths["headline"].write_text(json.dumps(head, indent=2) + "\n")
    paths["plot"] = plot_backtest(result, out / "backtest.png")
    rows = []
    for mode, h in head.items():
        for k in KPIS:
            if f"obs_{k}" in h:
                rows.append(
                    {
                        "mode": mode,
                        "kpi": k,
                        "observed": h[f"obs_{k}"],
                        "simulated": h[f"sim_{k}"],
                        "rel_error": h[f"rel_err_{k}"],
                        "hourly_corr": h.get(f"corr_hourly_{k}", math.nan),
                    }
                )
    text = [
        "# Backtest results",
        "",
        f"Router `{result.router}`, seeds {result.seeds}; settings: "
        + ", ".join(f"{k}={_short(v)}" for k, v in result.settings.items() if k != "seeds"),
        "",
        "## Headline",
        "",
        _md(pd.DataFrame(rows)),
        "",
        "## By call type",
        "",
        _md(result.comparison("by_type")),
        "",
        "## By hour of arrival",
        "",
        _md(result.comparison("by_hour")),
        "",
        "![backtest](backtest.png)",
        "",
    ]
    paths["results"] = out / "results.md"
    paths["results"].write_text("\n".join(text))
    return paths


EXAMPLES = """examples:
  # rlroute-calibrate's defaults (handle-time profile, after-call work), out of sample
  python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 --handle-profile \\
      --wrap-up --out experiments/anonymous_bank_backtest
  # without the two flags: the calibration before issue 12's search, in sample
  python -m rlroute.bench.backtest --seeds 10 --out DIR
  python -m rlroute.bench.backtest --router priority_boost:boost=60 --handle-profile --wrap-up --out DIR
  python -m rlroute.bench.backtest --staffing shifts --availability fitted --out DIR
  python -m rlroute.bench.backtest --data calls.csv --format csv \\
      --columns start=arrival skill=call_type --seeds 5 --out DIR
"""


def _mapping(items: list[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    out = {}
    for item in items:
        src, sep, dst = item.partition("=")
        if not sep or not src or not dst:
            parser.error(f"--columns {item!r}: expected SOURCE=CANONICAL, e.g. start=arrival")
        out[src] = dst
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m rlroute.bench.backtest``: calibrate, simulate the days, compare (see --help)."""
    parser = argparse.ArgumentParser(
        prog="python -m rlroute.bench.backtest",
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default="outputs/backtest", help="output folder")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per mode")
    parser.add_argument(
        "--router",
        default="fifo_priority",
        help="a registered router, with arguments as name:key=value,... "
        "(e.g. priority_boost:boost=60)",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["per_day", "mean_day"],
        choices=("per_day", "replay", "mean_day"),
        help="replay: each day's actual arrivals (times, types) instead of Poisson draws",
    )
    parser.add_argument(
        "--engine",
        default="auto",
        choices=ENGINES,
        help="simulator: auto = the compiled engine when the router has a compiled twin "
        "(the same calls as the reference engine)",
    )
    parser.add_argument(
        "--data", default=None, help="call records (default: the shipped Anonymous Bank log)"
    )
    parser.add_argument("--format", default="technion", choices=("technion", "csv", "parquet"))
    parser.add_argument(
        "--columns", nargs="*", default=[], metavar="SRC=DST", help="csv/parquet column mapping"
    )
    parser.add_argument("--datetime-format", default=None, help="strptime format of csv times")
    parser.add_argument("--day-type", default="weekday")
    parser.add_argument("--interval", type=float, default=30.0, help="minutes")
    parser.add_argument("--no-split-priority", action="store_true")
    parser.add_argument("--staffing", default="queue", choices=("queue", "shifts", "busy"))
    parser.add_argument("--gap-minutes", type=float, default=30.0)
    parser.add_argument("--patience", default="auto", choices=("auto", "exponential", "empirical"))
    parser.add_argument(
        "--wrap-up",
        action="store_true",
        help="fit and simulate after-call work (use with --staffing shifts)",
    )
    parser.add_argument(
        "--availability",
        default="none",
        choices=("none", "fitted"),
        help="fitted: not-ready episodes at any time of the shift, with the after-call work "
        "fitted jointly (needs --staffing shifts; it replaces --wrap-up's fit)",
    )
    parser.add_argument(
        "--handle-profile",
        action="store_true",
        help="fit and simulate handle times over the day (a factor per interval and type)",
    )
    parser.add_argument(
        "--staffing-day-factor",
        action="store_true",
        help="fit and simulate staffing that varies from day to day (a Gamma factor per group "
        "that follows part of the day's arrivals); changes the mean_day mode",
    )
    parser.add_argument(
        "--availability-day-factor",
        action="store_true",
        help="fit and simulate not-ready rates that vary from day to day (a Gamma factor per "
        "group, not_ready.day_shape; needs --availability fitted); changes the mean_day mode",
    )
    parser.add_argument(
        "--arrival-profile",
        default="spline",
        choices=("spline", "empirical"),
        help="arrival rates over the day: B-spline Poisson regression or interval means",
    )
    parser.add_argument(
        "--arrival-df",
        type=int,
        default=None,
        help="the spline's degrees of freedom (default: chosen per type by held-out deviance)",
    )
    parser.add_argument(
        "--holdout-from",
        default=None,
        help="fit on the days before this date (YYYY-MM-DD), compare with it and the days after",
    )
    parser.add_argument(
        "--exclude-dates", nargs="*", default=[], help="dates to leave out (YYYY-MM-DD)"
    )
    args = parser.parse_args(argv)
    try:
        router_from_spec(args.router)
    except (ValueError, TypeError) as exc:
        parser.error(f"--router {args.router!r}: {exc}")
    try:
        records = load_records(
            {
                "path": args.data,
                "format": args.format,
                "columns": _mapping(args.columns, parser) or None,
                "datetime_format": args.datetime_format,
            }
        )
    except (CalibrationError, CallRecordsError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    kw: dict[str, Any] = {
        "seeds": args.seeds,
        "router": args.router,
        "modes": tuple(args.modes),
        "engine": args.engine,
        "day_type": args.day_type,
        "interval_minutes": args.interval,
        "split_priority": not args.no_split_priority,
        "staffing_method": args.staffing,
        "gap_minutes": args.gap_minutes,
        "patience_model": args.patience,
        "wrap_up": args.wrap_up,
        "handle_profile": args.handle_profile,
        **({"staffing_day_factor": True} if args.staffing_day_factor else {}),
        **({"availability": args.availability} if args.availability != "none" else {}),
        **({"availability_day_factor": True} if args.availability_day_factor else {}),
        "arrival_profile": args.arrival_profile,
        "arrival_df": args.arrival_df,
    }
    frame = records.frame
    drop = {pd.Timestamp(d) for d in args.exclude_dates}
    days = sorted(set(frame.loc[frame["day_type"] == args.day_type, "date"]) - drop)
    try:
        if args.holdout_from:
            cut = pd.Timestamp(args.holdout_from)
            fit_days, test_days = [d for d in days if d < cut], [d for d in days if d >= cut]
            if not fit_days or not test_days:
                parser.error(
                    f"--holdout-from {args.holdout_from}: no {args.day_type} day on one side"
                )
            result = holdout_backtest(records, fit_days, test_days, **kw)
        else:
            result = run_backtest(records, dates=days if drop else None, **kw)
    except CalibrationError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    paths = write_backtest(result, args.out)
    print(paths["results"].read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
