"""Agents' not-ready episodes at any time of the shift, separated from after-call work.

Why. The Anonymous Bank backtest shows agents on shift are often not ready: not only for the
after-call work (wrap-up) right after a call, but for episodes (breaks, back-office work,
meetings) at any time. :mod:`rlroute.calibrate.wrapup` turns every idle gap of an agent while
calls waited into one "wrap-up" duration, so a 10-minute break lands in the wrap-up
distribution, and a model that adds episodes on top would count it twice. This module fits
both parts *jointly* from the same gaps, so each second of unavailability is counted once.

Generative model (per agent group; what an engine would simulate, ``docs/fidelity.md``):

* after each call the agent does after-call work ``W ~ LogNormal(mu, sigma)``;
* not-ready *requests* arrive as a Poisson process at rate ``r(h)`` per hour of the agent's
  time on shift (``h`` the clock hour); an idle agent goes not ready at once; a busy one
  (talking or in after-call work) when it becomes free (at most one pending request: the
  requests of one busy period merge, and requests during an episode are ignored);
* an episode lasts ``L ~ Exponential(mean m(h))``, ``h`` the hour it starts in.

Estimator. While a call the agent's group serves is waiting, an idle agent is not ready, so
the gap between an agent's call ending at ``e`` and the agent's next call is the agent's
unavailable time; :func:`~rlroute.calibrate.wrapup.wrap_up_samples` extracts those gaps
(right-censored where the queue empties first). Under that pressure the agent is never idle,
so a gap is ``W`` alone with probability ``exp(-r (T + W))`` (no request during the call's
talk time ``T`` and its wrap-up), else ``W + L``. The likelihood of an observed gap ``d`` is

    f_W(d) e^{-r (T + d)} + int_0^d f_W(w) (1 - e^{-r (T + w)}) e^{-(d - w)/m} / m dw

and of a gap censored at ``c``: ``P(W >= c) + int_0^c f_W(w) (1 - e^{-r (T + w)})
e^{-(c - w)/m} dw``; the integrals run on a fixed log-spaced grid of ``w`` (so the
likelihood is smooth in the parameters). Fit: ``(mu, sigma, r, m)`` for all hours by maximum
likelihood (L-BFGS-B), then ``(r(h), m(h))`` per clock hour (of the call's end) with ``mu,
sigma`` held, for hours with at least ``min_hour_samples`` gaps (else the all-hours values).

Biases, stated: the eligibility caveat of :mod:`~rlroute.calibrate.wrapup` (an agent the
distributor did not choose looks not ready); the rate of the hour the gap starts in stands
for the whole talk time before it; requests while idle are assumed as frequent as while
busy (they cannot be seen: an idle agent who goes not ready looks idle); a gap longer than
``max_gap_s`` ends a shift and is dropped, so episodes just before a shift's end are
under-counted (the last hour of the day reads low). The rates are per
hour *on shift*, so they go with ``staffing_method="shifts"`` head counts (``queue`` staffing
already leaves not-ready agents out). :func:`simulate_agent_timelines` draws call records
from the model itself for the round-trip test. On the shipped log:
``python -m rlroute.calibrate.availability`` (``--help``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from rlroute.calibrate.common import CalibrationError, queue_calls
from rlroute.calibrate.inputs import load_records
from rlroute.calibrate.wrapup import wrap_up_samples
from rlroute.data import CallRecordsError
from rlroute.data.schema import CANONICAL_COLUMNS, canonical_dtypes

__all__ = [
    "AvailabilityFit",
    "availability_loglik",
    "fit_availability",
    "fit_availability_samples",
    "interval_not_ready",
    "simulate_agent_timelines",
]

# the w grid of the convolution integrals: 0.05 s to 4 h, log-spaced
_W_GRID = np.geomspace(0.05, 4 * 3600.0, 200)
_W_STEP = np.gradient(_W_GRID)
_FLOOR_S = 0.5  # logs have whole seconds: a 0 s gap is "under a second"


def _lognormal_pdf(w: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    z = (np.log(w) - mu) / sigma
    return np.exp(-0.5 * z * z) / (w * sigma * np.sqrt(2 * np.pi))


def availability_loglik(
    d: np.ndarray,
    observed: np.ndarray,
    talk: np.ndarray,
    mu: float,
    sigma: float,
    rate_per_s: float | np.ndarray,
    mean_len_s: float | np.ndarray,
) -> np.ndarray:
    """Log-likelihood of each gap under the model (see the module docstring), per gap."""
    d = np.maximum(np.asarray(d, dtype=float), _FLOOR_S)
    r = np.broadcast_to(np.asarray(rate_per_s, dtype=float), d.shape)[:, None]
    m = np.broadcast_to(np.asarray(mean_len_s, dtype=float), d.shape)[:, None]
    w = _W_GRID[None, :]
    fw = _lognormal_pdf(_W_GRID, mu, sigma)[None, :] * _W_STEP[None, :]
    below = w < d[:, None]
    p_request = -np.expm1(-r * (talk[:, None] + w))
    lag = np.where(below, d[:, None] - w, 0.0)
    kernel = np.where(below, np.exp(-lag / m), 0.0)
    with_episode = (fw * p_request * kernel).sum(axis=1)
    obs = np.asarray(observed, dtype=bool)
    out = np.empty_like(d)
    # observed: W alone (density at d, no request) + W + L (density of L at d - w)
    alone = _lognormal_pdf(d, mu, sigma) * np.exp(-r[:, 0] * (talk + d))
    out[obs] = np.log(alone[obs] + with_episode[obs] / m[obs, 0] + 1e-300)
    # censored at d: W >= d, or W < d and L > d - W
    survive_w = special.ndtr(-(np.log(d) - mu) / sigma)
    out[~obs] = np.log(survive_w[~obs] + with_episode[~obs] + 1e-300)
    return out


@dataclass
class AvailabilityFit:
    """Fitted after-call work and not-ready episodes per agent group.

    ``hourly`` has one row per (group, hour): ``n`` gaps, ``rate_per_hour`` (not-ready
    requests per hour on shift), ``mean_length_s`` (episode mean), ``source`` (``hour`` or
    ``all hours``). ``groups`` has one row per group: the all-hours fit and the wrap-up
    lognormal (``acw_mu``, ``acw_sigma``, ``acw_mean_s``).
    """

    groups: pd.DataFrame
    hourly: pd.DataFrame
    samples: pd.DataFrame

    def rates(self, group: str) -> dict[int, float]:
        """Hour -> not-ready requests per hour on shift."""
        h = self.hourly[self.hourly["group"] == group]
        return dict(zip(h["hour"].astype(int), h["rate_per_hour"].astype(float), strict=True))

    def mean_lengths(self, group: str) -> dict[int, float]:
        """Hour -> mean episode length (seconds)."""
        h = self.hourly[self.hourly["group"] == group]
        return dict(zip(h["hour"].astype(int), h["mean_length_s"].astype(float), strict=True))


def _nll(x: np.ndarray, part: pd.DataFrame) -> float:
    mu, sigma, rate, mean_len = x[0], np.exp(x[1]), np.exp(x[2]) / 3600.0, np.exp(x[3])
    ll = availability_loglik(
        part["duration_s"].to_numpy(float),
        part["observed"].to_numpy(bool),
        part["handle_s"].to_numpy(float),
        mu,
        sigma,
        rate,
        mean_len,
    )
    return float(-ll.sum())


def _x0(part: pd.DataFrame) -> np.ndarray:
    d = part.loc[part["observed"], "duration_s"].to_numpy(float)
    short = d[d <= np.quantile(d, 0.8)] if d.size else np.array([5.0])
    med = max(float(np.median(np.maximum(short, _FLOOR_S))), 1.0)
    return np.array([np.log(med), np.log(0.8), np.log(1.0), np.log(300.0)])


def fit_availability_samples(
    samples: pd.DataFrame,
    min_hour_samples: int = 200,
    min_samples: int = 100,
    bin_hours: int = 1,
) -> AvailabilityFit:
    """Fit the model on pressure gaps (columns of :func:`wrap_up_samples`), per group.

    ``bin_hours``: the rate and length are fitted per block of this many clock hours
    (``hour`` is the block's first hour), e.g. 2 for a thin log.
    """
    if not 1 <= bin_hours <= 24:
        raise CalibrationError(f"bin_hours must be 1..24, got {bin_hours}")
    need = {"group", "duration_s", "observed", "clock_s", "handle_s"}
    if missing := need - set(samples.columns):
        raise CalibrationError(f"availability samples: missing columns {sorted(missing)}")
    group_rows, hour_rows = [], []
    block = 3600.0 * bin_hours
    data = samples.assign(hour=((samples["clock_s"] // block) * bin_hours).astype(int))
    for g, part in data.groupby("group", sort=True):
        if len(part) < min_samples:
            continue
        res = optimize.minimize(
            _nll,
            _x0(part),
            args=(part,),
            method="L-BFGS-B",
            bounds=[(-3, 8), (-3, 1.5), (-8, 5), (0, 9)],
        )
        mu, log_sigma = float(res.x[0]), float(res.x[1])
        sigma = float(np.exp(log_sigma))
        rate_h, mean_len = float(np.exp(res.x[2])), float(np.exp(res.x[3]))
        group_rows.append(
            {
                "group": str(g),
                "n": len(part),
                "observed": int(part["observed"].sum()),
                "acw_mu": mu,
                "acw_sigma": sigma,
                "acw_mean_s": float(np.exp(mu + sigma**2 / 2)),
                "rate_per_hour": rate_h,
                "mean_length_s": mean_len,
                "converged": bool(res.success),
            }
        )
        for h, hp in part.groupby("hour", sort=True):
            row = {"group": str(g), "hour": int(h), "n": len(hp)}
            if len(hp) >= min_hour_samples:
                rh = optimize.minimize(
                    lambda y, hp=hp, head=(mu, log_sigma): _nll(np.array([*head, *y]), hp),
                    res.x[2:],
                    method="L-BFGS-B",
                    bounds=[(-8, 5), (0, 9)],
                )
                row |= {
                    "rate_per_hour": float(np.exp(rh.x[0])),
                    "mean_length_s": float(np.exp(rh.x[1])),
                    "source": "hour",
                }
            else:
                row |= {"rate_per_hour": rate_h, "mean_length_s": mean_len, "source": "all hours"}
            hour_rows.append(row)
    if not group_rows:
        raise CalibrationError(
            f"availability: no agent group has {min_samples} gaps while calls waited "
            f"(groups: {samples['group'].value_counts().to_dict()})"
        )
    return AvailabilityFit(
        groups=pd.DataFrame(group_rows), hourly=pd.DataFrame(hour_rows), samples=data
    )


def interval_not_ready(
    fit: AvailabilityFit,
    group: str,
    start_s: float,
    interval_s: float,
    n_intervals: int,
    bin_hours: int = 1,
) -> tuple[list[float], list[float]] | None:
    """The fit of ``group`` on a Scenario's interval grid: ``(rate_per_hour, mean_length_s)``
    per interval, each the value of the clock-hour block (of ``bin_hours``, as fitted) the
    interval starts in, or the group's all-hours value for a block without a fit of its own
    (None: the group was not fitted). ``start_s``: the grid's clock time of day at t = 0."""
    row = fit.groups[fit.groups["group"] == group]
    if row.empty:
        return None
    rates, lengths = fit.rates(group), fit.mean_lengths(group)
    all_rate, all_len = float(row["rate_per_hour"].iloc[0]), float(row["mean_length_s"].iloc[0])
    out_r, out_l = [], []
    for i in range(n_intervals):
        hour = int(((start_s + i * interval_s) % 86400.0) // 3600.0)
        block = hour // bin_hours * bin_hours
        out_r.append(round(rates.get(block, all_rate), 4))
        out_l.append(round(lengths.get(block, all_len), 1))
    return out_r, out_l


def fit_availability(
    records: pd.DataFrame,
    agent_group: Mapping[str, str] | None = None,
    skills: Mapping[str, set[str] | frozenset[str] | list[str]] | None = None,
    max_gap_s: float = 3600.0,
    min_hour_samples: int = 200,
    min_samples: int = 100,
    bin_hours: int = 1,
) -> AvailabilityFit:
    """Not-ready episodes and after-call work from canonical call records.

    ``agent_group``/``skills`` are the calibration's groups (``report.groups.assignment``,
    ``report.groups.skills``); ``None``: every named agent in one group ``all`` serving
    every type. ``max_gap_s``: a longer gap between two calls of an agent ends a shift.
    """
    served = records[(records["outcome"] == "answered") & records["agent"].notna()]
    if served.empty:
        raise CalibrationError("availability: no answered call with a named agent")
    if agent_group is None:
        agent_group = {str(a): "all" for a in served["agent"].astype(str).unique()}
        skills = {"all": set(records["call_type"].astype(str).unique())}
    samples = wrap_up_samples(served, queue_calls(records), agent_group, skills or {}, max_gap_s)
    return fit_availability_samples(samples, min_hour_samples, min_samples, bin_hours)


def simulate_agent_timelines(
    rate_per_hour: Mapping[int, float],
    mean_length_s: Mapping[int, float],
    acw_mu: float,
    acw_sigma: float,
    handle_mean_s: float = 180.0,
    n_agents: int = 20,
    n_days: int = 5,
    hours: tuple[int, int] = (8, 16),
    pressure_share: float = 0.8,
    seed: int = 0,
    day_factors: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Canonical call records drawn from the module's model (for the round-trip test).

    Every agent works ``hours`` each day. The queue is non-empty in known periods (a share
    ``pressure_share`` of the day, in 30-minute blocks): one long-waiting call per period
    stands for them. Under pressure a free agent takes a call at once (exponential talk
    time); otherwise it idles until the next period. Wrap-up, not-ready requests and
    episodes follow the model exactly (rates by clock hour, requests counted with the
    time-varying rate over the busy period). ``day_factors[d]`` (optional, one per day)
    multiplies day ``d``'s request rates (``NotReady.day_shape``'s model).
    """
    if day_factors is not None and len(day_factors) != n_days:
        raise CalibrationError(f"day_factors: {len(day_factors)} values for {n_days} days")
    scale = [1.0]  # the current day's factor of the request rate
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    day0 = pd.Timestamp("1999-03-01")
    start_h, end_h = hours

    def rate_s(t: float) -> float:
        return scale[0] * rate_per_hour.get(int(t // 3600) % 24, 0.0) / 3600.0

    def exposure(a: float, b: float) -> float:
        """Integral of the request rate over [a, b] (piecewise constant by hour)."""
        total, t = 0.0, a
        while t < b:
            nxt = min(b, (t // 3600 + 1) * 3600)
            total += rate_s(t) * (nxt - t)
            t = nxt
        return total

    served, waiting = [], []
    for day in range(n_days):
        scale[0] = 1.0 if day_factors is None else float(day_factors[day])
        blocks = np.arange(start_h * 3600, end_h * 3600, 1800.0)
        busy = rng.random(blocks.size) < pressure_share
        periods: list[list[float]] = []  # merged pressure periods [a, b)
        for b0, on in zip(blocks, busy, strict=True):
            if not on:
                continue
            if periods and periods[-1][1] == b0:
                periods[-1][1] = b0 + 1800.0
            else:
                periods.append([b0, b0 + 1800.0])
        for a, b in periods:
            waiting.append((day, a, b))

        def pressure_at(t: float, periods: list[list[float]] = periods) -> float | None:
            """None if under pressure at t, else the next period's start (inf: none)."""
            for a, b in periods:
                if a <= t < b:
                    return None
                if t < a:
                    return a
            return np.inf

        for agent in range(n_agents):
            t, pending = float(start_h * 3600), False
            while t < end_h * 3600:
                if pending:
                    t += rng.exponential(mean_length_s.get(int(t // 3600), 300.0))
                    pending = False
                    continue
                nxt = pressure_at(t)
                if nxt is None:
                    talk = max(1.0, round(rng.exponential(handle_mean_s)))
                    wrap = rng.lognormal(acw_mu, acw_sigma)
                    served.append((day, agent, t, t + talk))
                    pending = rng.random() < -np.expm1(-exposure(t, t + talk + wrap))
                    t += talk + wrap
                    continue
                # idle until the next pressure period, unless a request comes first
                nxt = min(nxt, end_h * 3600.0)
                u, s = rng.exponential(), t
                while s < nxt:
                    step = min(nxt, (s // 3600 + 1) * 3600) - s
                    if rate_s(s) * step >= u:
                        s += u / rate_s(s)
                        break
                    u -= rate_s(s) * step
                    s += step
                if s < nxt:
                    t, pending = s, True
                else:
                    t = nxt
    rows: list[dict[str, Any]] = []
    for day, agent, a, b in served:
        date = day0 + pd.Timedelta(days=day)
        st, en = date + pd.Timedelta(seconds=a), date + pd.Timedelta(seconds=round(b))
        rows.append(
            {
                "call_id": f"s{len(rows)}",
                "call_type": "A",
                "date": date,
                "arrival": st,
                "wait_s": 0.0,
                "outcome": "answered",
                "service_start": st,
                "service_end": en,
                "handle_s": (en - st).total_seconds(),
                "agent": f"agent-{agent}",
            }
        )
    for day, a, b in waiting:
        date = day0 + pd.Timedelta(days=day)
        qa, qb = date + pd.Timedelta(seconds=a), date + pd.Timedelta(seconds=b)
        rows.append(
            {
                "call_id": f"w{len(rows)}",
                "call_type": "A",
                "date": date,
                "arrival": qa,
                "queue_entry": qa,
                "queue_exit": qb,
                "wait_s": (qb - qa).total_seconds(),
                "outcome": "abandoned",
            }
        )
    frame = pd.DataFrame(rows).reindex(columns=list(CANONICAL_COLUMNS))
    frame["priority"] = 1
    frame["day_type"] = "weekday"
    return frame.astype(canonical_dtypes())


def main(argv: list[str] | None = None) -> int:
    """``python -m rlroute.calibrate.availability``: the fit on a log, as tables."""
    parser = argparse.ArgumentParser(
        prog="python -m rlroute.calibrate.availability",
        description=__doc__.split("\n\n")[0],
        epilog="example:\n  python -m rlroute.calibrate.availability --day-type weekday",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", default=None, help="Technion log (default: the shipped one)")
    parser.add_argument("--day-type", default="weekday")
    parser.add_argument("--bin-hours", type=int, default=1)
    parser.add_argument("--min-hour-samples", type=int, default=200)
    parser.add_argument("--out", default=None, help="also write the hourly table to this CSV")
    args = parser.parse_args(argv)
    # here, not at the top: rlroute.calibrate.core imports this module (availability="fitted")
    from rlroute.calibrate.core import calibrate

    try:
        records = load_records({"path": args.data, "format": "technion"})
        # the calibration's agent groups and skills (its arrival profile does not matter here)
        _, report = calibrate(
            records, day_type=args.day_type, split_priority=True, arrival_profile="empirical"
        )
        frame = records.frame
        frame = frame[(frame["day_type"] == args.day_type) & (frame["outcome"] != "phantom")]
        fit = fit_availability(
            frame,
            report.groups.assignment,
            report.groups.skills,
            min_hour_samples=args.min_hour_samples,
            bin_hours=args.bin_hours,
        )
    except (CalibrationError, CallRecordsError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    print("after-call work (lognormal) and not-ready episodes, all hours, per group:")
    print(fit.groups.round(3).to_string(index=False))
    print("\nper hour (source 'all hours': too few gaps in the hour):")
    print(fit.hourly.round(2).to_string(index=False))
    if args.out:
        fit.hourly.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
