"""Volume forecasting: each week's half-hourly arrivals from the weeks before it.

Why. Forecasting the next week's volumes is the first job of a center's planning (staffing
comes from it), and it is the cleanest out-of-sample test of the calibrated arrival model:
the model the calibration fits (a profile over the day per day type, and a Gamma multiplier
for the day-to-day variation, :mod:`rlroute.calibrate.arrivals`) is a forecaster with
prediction intervals. Over the shipped 1999 year of 6-minute counts it is compared with the
planner's simplest baseline, the seasonal-naive forecast (the same half-hour one week
earlier).

Method, for each target day ``d`` (a week runs Sunday to Saturday; every week with at least
``min_history_weeks`` weeks before it is forecast, from at most ``history_weeks`` of them):

* history: the days ``d - 7k`` for ``k = 1..history_weeks`` (same day of the week);
* mean: the smoothed profile of those days' half-hourly counts
  (:func:`~rlroute.calibrate.profiles.smooth_profile`, the spline's df chosen by
  leave-one-day-out deviance, the empirical means among the candidates; or the empirical
  profile), i.e. expected counts whose sum is the history's mean day total;
* day factor: the Gamma shape ``a`` of the history's day totals by the method of moments
  (:func:`~rlroute.calibrate.arrivals.gamma_shape_mom`); a half-hour's count is then
  Poisson given the day's factor, so negative binomial with mean ``mu`` and shape ``a``
  (Poisson when the totals show no overdispersion); the 80% and 95% prediction intervals
  are its central quantiles.

Scores, over the *open* half-hours (those whose mean count over the year's days of that day
of the week is at least ``open_min_calls``; the night and a Friday afternoon would inflate
coverage with zeros): WAPE = sum |error| / sum actual; MAPE = mean |error| / actual over the
open half-hours with an actual count of at least 1; coverage = share of open half-hours whose
count lies inside the interval; ``mape_busy`` is the MAPE over half-hours with at least 10
calls (small counts dominate the plain MAPE). The seasonal-naive forecast gets intervals too, from the
empirical quantiles of its own relative errors over the history (so its coverage is
comparable).

Run it: ``python -m rlroute.calibrate.forecast --out experiments/volume_forecast``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from rlroute.calibrate.arrivals import gamma_shape_mom
from rlroute.calibrate.common import CalibrationError
from rlroute.calibrate.profiles import choose_df, empirical_profile, smooth_profile

__all__ = [
    "ForecastResult",
    "day_matrix",
    "forecast_day",
    "rolling_forecast",
    "scores",
]

LEVELS = (0.8, 0.95)


def day_matrix(counts: pd.DataFrame, slot_minutes: int = 30) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """6-minute counts (``date``, ``interval_start_min``, ``calls``) -> ``(days, slots)``.

    Missing slots count 0; the days are every date from the first to the last (a date with
    no row is all zeros: it cannot be told from a closed day).
    """
    need = {"date", "interval_start_min", "calls"}
    if missing := need - set(counts.columns):
        raise CalibrationError(f"volume counts: missing columns {sorted(missing)}")
    if 1440 % slot_minutes:
        raise CalibrationError(f"slot_minutes must divide a day, got {slot_minutes}")
    frame = counts.assign(
        date=pd.to_datetime(counts["date"]).dt.normalize(),
        slot=(pd.to_numeric(counts["interval_start_min"]) // slot_minutes).astype(int),
        calls=pd.to_numeric(counts["calls"]),
    )
    if frame["calls"].isna().any() or (frame["calls"] < 0).any():
        bad = frame.index[frame["calls"].isna() | (frame["calls"] < 0)][0]
        raise CalibrationError(f"volume counts: row {bad}: calls must be a count >= 0")
    days = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D")
    wide = frame.pivot_table(index="date", columns="slot", values="calls", aggfunc="sum")
    wide = wide.reindex(index=days, columns=range(1440 // slot_minutes), fill_value=0.0)
    return days, wide.fillna(0.0).to_numpy(dtype=float)


def forecast_day(
    history: np.ndarray, profile: str = "spline", levels: tuple[float, ...] = LEVELS
) -> dict[Any, Any]:
    """Mean and prediction intervals of one day's slots from ``history`` ``(days, slots)``."""
    h = np.asarray(history, dtype=float)
    if profile == "spline":
        mean = smooth_profile(h, choose_df(h)) if h.shape[0] >= 2 else empirical_profile(h)
    elif profile == "empirical":
        mean = empirical_profile(h)
    else:
        raise CalibrationError(f"profile must be 'spline' or 'empirical', got {profile!r}")
    shape = gamma_shape_mom(h.sum(axis=1))
    out: dict[Any, Any] = {"mean": mean, "shape": shape}
    for level in levels:
        q = ((1 - level) / 2, (1 + level) / 2)
        if shape is None:
            lo, hi = stats.poisson.ppf(q[0], mean), stats.poisson.ppf(q[1], mean)
        else:
            p = shape / (shape + np.maximum(mean, 1e-12))
            lo, hi = stats.nbinom.ppf(q[0], shape, p), stats.nbinom.ppf(q[1], shape, p)
        out[level] = (np.nan_to_num(lo), np.nan_to_num(hi))
    return out


@dataclass
class ForecastResult:
    """Forecasts of every forecast day, and the data behind them.

    ``actual``, ``mean``, ``naive`` are ``(days, slots)`` over the forecast days; ``lower`` /
    ``upper`` (and ``naive_lower`` / ``naive_upper``) map a level to such arrays; ``open`` is
    the mask of scored slots; ``week`` the Sunday of each forecast day's week.
    """

    days: pd.DatetimeIndex
    week: pd.DatetimeIndex
    actual: np.ndarray
    mean: np.ndarray
    naive: np.ndarray
    lower: dict[float, np.ndarray]
    upper: dict[float, np.ndarray]
    naive_lower: dict[float, np.ndarray]
    naive_upper: dict[float, np.ndarray]
    open: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)


def _week_start(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The Sunday that starts each day's week (the Israeli work week runs Sunday-Thursday)."""
    return days - pd.to_timedelta((days.day_of_week + 1) % 7, unit="D")


def rolling_forecast(
    days: pd.DatetimeIndex,
    matrix: np.ndarray,
    history_weeks: int = 8,
    min_history_weeks: int = 3,
    profile: str = "spline",
    open_min_calls: float = 2.0,
    levels: tuple[float, ...] = LEVELS,
) -> ForecastResult:
    """Forecast every day whose week has ``min_history_weeks`` weeks of data before it."""
    if min_history_weeks < 2 or history_weeks < min_history_weeks:
        raise CalibrationError(
            "need 2 <= min_history_weeks <= history_weeks (two weeks give the first Gamma "
            f"shape), got {min_history_weeks} and {history_weeks}"
        )
    m = np.asarray(matrix, dtype=float)
    days = pd.DatetimeIndex(days)
    if len(days) != m.shape[0]:
        raise CalibrationError(f"{len(days)} days for a matrix of {m.shape[0]} rows")
    weeks = _week_start(days)
    first_week = weeks[0] if days[0] == weeks[0] else weeks[0] + pd.Timedelta(days=7)
    start = first_week + pd.Timedelta(weeks=min_history_weeks)
    pos = {d: j for j, d in enumerate(days)}
    dow = np.asarray(days.day_of_week)
    mean_by_dow = np.stack(
        [m[dow == w].mean(axis=0) if (dow == w).any() else m[0] * 0 for w in range(7)]
    )
    targets = [j for j, d in enumerate(days) if d >= start]
    if not targets:
        raise CalibrationError(
            f"{len(days)} days leave no week with {min_history_weeks} weeks of history"
        )
    mean, naive = np.zeros((len(targets), m.shape[1])), np.zeros((len(targets), m.shape[1]))
    lower = {lv: np.zeros_like(mean) for lv in levels}
    upper = {lv: np.zeros_like(mean) for lv in levels}
    nlower = {lv: np.zeros_like(mean) for lv in levels}
    nupper = {lv: np.zeros_like(mean) for lv in levels}
    for row, j in enumerate(targets):
        d = days[j]
        hist = [
            pos[d - pd.Timedelta(days=7 * k)]
            for k in range(1, history_weeks + 1)
            if d - pd.Timedelta(days=7 * k) in pos
        ]
        fc = forecast_day(m[hist], profile, levels)
        mean[row] = fc["mean"]
        naive[row] = m[hist[0]]
        for lv in levels:
            lower[lv][row], upper[lv][row] = fc[lv]
        # seasonal naive's intervals: quantiles of its own ratio errors over the history
        pairs = list(itertools.pairwise(hist))
        ratios = np.concatenate([m[a][m[b] > 0] / m[b][m[b] > 0] for a, b in pairs] or [np.ones(1)])
        for lv in levels:
            qlo, qhi = np.quantile(ratios, [(1 - lv) / 2, (1 + lv) / 2])
            nlower[lv][row], nupper[lv][row] = naive[row] * qlo, naive[row] * qhi
    sel = np.asarray(targets)
    open_mask = mean_by_dow[dow[sel]] >= open_min_calls
    return ForecastResult(
        days=days[sel],
        week=weeks[sel],
        actual=m[sel],
        mean=mean,
        naive=naive,
        lower=lower,
        upper=upper,
        naive_lower=nlower,
        naive_upper=nupper,
        open=open_mask,
        settings={
            "history_weeks": history_weeks,
            "min_history_weeks": min_history_weeks,
            "profile": profile,
            "open_min_calls": open_min_calls,
        },
    )


def scores(
    actual: np.ndarray,
    point: np.ndarray,
    mask: np.ndarray,
    lower: dict[float, np.ndarray] | None = None,
    upper: dict[float, np.ndarray] | None = None,
) -> dict[str, float]:
    """WAPE, MAPE (slots with actual >= 1; ``mape_busy``: >= 10), coverage and mean interval
    width per level, over ``mask``.

    >>> a = np.array([[10.0, 0.0, 20.0]]); f = np.array([[12.0, 1.0, 20.0]])
    >>> s = scores(a, f, np.ones_like(a, bool))
    >>> round(s["wape"], 4), round(s["mape"], 4)
    (0.1, 0.1)
    """
    a, f, k = actual[mask], point[mask], np.asarray(mask, bool)
    err = np.abs(a - f)
    pos = a >= 1
    out = {
        "slots": int(k.sum()),
        "wape": float(err.sum() / max(a.sum(), 1e-12)),
        "mape": float((err[pos] / a[pos]).mean()) if pos.any() else float("nan"),
        "mape_busy": float((err[busy] / a[busy]).mean())
        if (busy := a >= 10).any()
        else float("nan"),
        "bias": float((f - a).sum() / max(a.sum(), 1e-12)),
    }
    for lv in lower or {}:
        lo, hi = lower[lv][mask], upper[lv][mask]  # type: ignore[index]
        out[f"coverage_{round(lv * 100)}"] = float(((a >= lo) & (a <= hi)).mean())
        out[f"width_{round(lv * 100)}"] = float((hi - lo).mean())
    return out


def summarize(result: ForecastResult) -> dict[str, Any]:
    """Scores of the model and the seasonal naive, overall and per week."""
    r = result
    overall = {
        "model": scores(r.actual, r.mean, r.open, r.lower, r.upper),
        "seasonal_naive": scores(r.actual, r.naive, r.open, r.naive_lower, r.naive_upper),
    }
    weekly: list[dict[str, Any]] = []
    for w in sorted(set(r.week)):
        rows = np.asarray(r.week == w)
        mask = r.open & rows[:, None]
        weekly.append(
            {
                "week": str(pd.Timestamp(w).date()),
                "model_wape": scores(r.actual, r.mean, mask)["wape"],
                "naive_wape": scores(r.actual, r.naive, mask)["wape"],
            }
        )
    model_wins = float(np.mean([w["model_wape"] < w["naive_wape"] for w in weekly]))
    return {
        "overall": overall,
        "weekly": weekly,
        "weeks": len(weekly),
        "days": len(r.days),
        "first_day": str(r.days[0].date()),
        "last_day": str(r.days[-1].date()),
        "model_better_weeks": model_wins,
        "settings": r.settings,
    }


def plot_forecast(result: ForecastResult, summary: dict[str, Any], path: Path) -> Path:
    """Weekly WAPE over the year, and one week's forecast with its intervals."""
    fig = Figure(figsize=(11, 7))
    ax1, ax2 = fig.subplots(2, 1)
    weeks = pd.to_datetime([w["week"] for w in summary["weekly"]])
    ax1.plot(weeks, [w["model_wape"] for w in summary["weekly"]], label="calibrated model")
    ax1.plot(weeks, [w["naive_wape"] for w in summary["weekly"]], label="seasonal naive")
    ax1.set_ylabel("weekly WAPE (open half-hours)")
    ax1.legend()
    ax1.set_title("Half-hourly volume forecast, one week ahead")
    # the week in the middle of the forecast period
    mid = sorted(set(result.week))[len(set(result.week)) // 2]
    rows = np.flatnonzero(np.asarray(result.week == mid))
    x = np.arange(rows.size * result.actual.shape[1]) / result.actual.shape[1]
    ax2.fill_between(
        x,
        result.lower[0.95][rows].ravel(),
        result.upper[0.95][rows].ravel(),
        alpha=0.2,
        label="95% interval",
    )
    ax2.fill_between(
        x,
        result.lower[0.8][rows].ravel(),
        result.upper[0.8][rows].ravel(),
        alpha=0.3,
        label="80% interval",
    )
    ax2.plot(x, result.mean[rows].ravel(), lw=1, label="forecast")
    ax2.plot(x, result.actual[rows].ravel(), "k.", ms=2, label="actual")
    ax2.set_xlabel(f"days from {pd.Timestamp(mid).date()}")
    ax2.set_ylabel("calls per half-hour")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def _table(summary: dict[str, Any]) -> str:
    rows = [
        "| forecast | WAPE | MAPE | MAPE (>= 10 calls) | bias | 80% coverage | 95% coverage "
        "| 80% width | 95% width |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, label in (("model", "calibrated model"), ("seasonal_naive", "seasonal naive")):
        s = summary["overall"][name]
        rows.append(
            f"| {label} | {s['wape']:.3f} | {s['mape']:.3f} | {s['mape_busy']:.3f} | "
            f"{s['bias']:+.3f} | "
            f"{s['coverage_80']:.1%} | {s['coverage_95']:.1%} | {s['width_80']:.1f} | "
            f"{s['width_95']:.1f} |"
        )
    return "\n".join(rows)


def write_forecast(result: ForecastResult, out_dir: str | Path, command: str) -> dict[str, Path]:
    """README.md (the table), results.json and forecast.png under ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(result)
    paths = {
        "results": out / "results.json",
        "plot": out / "forecast.png",
        "readme": out / "README.md",
    }
    paths["results"].write_text(json.dumps(summary, indent=1) + "\n")
    plot_forecast(result, summary, paths["plot"])
    st = summary["settings"]
    paths["readme"].write_text(
        "# Half-hourly volume forecast, one week ahead (issue 12 item 6)\n\n"
        f"Made by `{command}` (method: `rlroute.calibrate.forecast`'s docstring).\n\n"
        f"{summary['weeks']} weeks forecast ({summary['first_day']} to {summary['last_day']}, "
        f"{summary['days']} days), each from at most {st['history_weeks']} weeks before it "
        f"(at least {st['min_history_weeks']}); profile: {st['profile']}; scored over the "
        f"{summary['overall']['model']['slots']} open half-hours (day-of-week mean >= "
        f"{st['open_min_calls']:g} calls).\n\n"
        f"{_table(summary)}\n\n"
        f"The model's weekly WAPE beats the seasonal naive's in "
        f"{summary['model_better_weeks']:.0%} of the weeks. Calibrated model: a spline "
        "profile per day of the week (df by leave-one-day-out deviance) and a Gamma day "
        "factor (negative-binomial half-hours); seasonal naive: the same half-hour a week "
        "earlier, its intervals from the quantiles of its own past ratio errors. Data: the "
        "shipped 1999 Anonymous Bank 6-minute counts (all calls; some counts are x.5).\n\n"
        "![forecast](forecast.png)\n"
    )
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m rlroute.calibrate.forecast``: the one-week-ahead volume forecast study."""
    parser = argparse.ArgumentParser(
        prog="python -m rlroute.calibrate.forecast",
        description=__doc__.split("\n\n")[0],
        epilog="example:\n  python -m rlroute.calibrate.forecast --out experiments/volume_forecast",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default="outputs/volume_forecast", help="output folder")
    parser.add_argument(
        "--data",
        default=None,
        help="CSV of counts (date, interval_start_min, calls); default: the shipped 1999 year",
    )
    parser.add_argument("--history-weeks", type=int, default=8)
    parser.add_argument("--min-history-weeks", type=int, default=3)
    parser.add_argument("--profile", default="spline", choices=("spline", "empirical"))
    parser.add_argument("--open-min-calls", type=float, default=2.0)
    args = parser.parse_args(argv)
    try:
        if args.data is None:
            from rlroute.datasets import load_anonymous_bank_counts

            counts = load_anonymous_bank_counts()
        else:
            counts = pd.read_csv(args.data)
        days, matrix = day_matrix(counts)
        result = rolling_forecast(
            days,
            matrix,
            history_weeks=args.history_weeks,
            min_history_weeks=args.min_history_weeks,
            profile=args.profile,
            open_min_calls=args.open_min_calls,
        )
    except (CalibrationError, OSError, ValueError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    command = "python -m rlroute.calibrate.forecast " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    paths = write_forecast(result, args.out, command.strip())
    print(paths["readme"].read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
