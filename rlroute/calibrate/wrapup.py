"""After-call work (wrap-up, "not ready" time) from call logs, as right-censored durations.

Why. Call logs record talk time only, yet an agent who hangs up is rarely ready for the next
call at once: after-call work, a pause, a few seconds to pick up. A model that makes agents
ready the instant a call ends answers too many calls at once (the Anonymous Bank backtest:
46% of simulated queue arrivals wait against 60% observed).

Method. An automatic call distributor gives a waiting call to a ready agent who can take it.
So while a call of a type an agent's group serves is waiting, the agent's idleness means the
agent is *not ready*. For each answered call of a named agent followed by the same agent's
next call within ``max_gap_s`` (longer gaps end a shift, as in
:mod:`rlroute.calibrate.staffing`) and with such a call waiting when it ends (at ``e``):

* the queue of the group's types stays non-empty from ``e`` to ``x`` (``x = inf`` if it never
  empties before the next call); the next call starts at ``s``;
* if ``s - e <= x - e`` the agent picked up while calls were waiting: the not-ready time is
  *observed*, ``s - e``;
* otherwise the queue emptied first: the agent was not ready for at least ``x - e``, and the
  duration is *right-censored* there (after ``x`` nothing was waiting, so the agent's idleness
  says nothing more).

Calls that end with nobody waiting carry no information (idle because nothing was there) and
are not used. The durations of each (call type, group) pair give a Kaplan-Meier curve
(:func:`rlroute.calibrate.patience.kaplan_meier`), turned into an
:class:`~rlroute.distributions.Empirical` of equally weighted quantiles with an exponential
tail past the last well-supported time (:func:`~rlroute.calibrate.patience.km_distribution`).
Pairs with fewer than ``min_events`` observed durations use their group's pooled curve.

Biases, stated. Eligibility is that of the fitted groups: where the real distributor did not
offer an agent every type of the group (or served strict priorities elsewhere), the agent
looks not ready when it was merely not chosen, so the estimate is biased *high*. The few
seconds the distributor itself takes to connect a call are counted as not-ready time, which
is what a simulator that connects instantly needs. Use it with ``staffing_method="shifts"``
(agents on duty): the ``queue`` staffing already leaves not-ready agents out while calls
wait, and would count the same unavailability twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rlroute.calibrate.patience import exponential_mle, kaplan_meier, km_distribution
from rlroute.distributions import Empirical

__all__ = ["WrapUpFit", "fit_wrap_up", "wrap_up_samples"]

_SECOND = np.timedelta64(1, "s")


def _seconds(values: pd.Series) -> np.ndarray:
    """Datetimes as float seconds since the epoch (NaT becomes NaN)."""
    ts = pd.to_datetime(values)
    out = (ts - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
    return out.to_numpy(dtype=float, na_value=np.nan)


def _waiting_profile(entry: np.ndarray, exit_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event times and the number of calls waiting just after each (exits first at ties)."""
    times = np.concatenate([exit_, entry])
    delta = np.concatenate([-np.ones(exit_.size), np.ones(entry.size)])
    order = np.lexsort((delta, times))  # by time, then -1 before +1
    return times[order], np.cumsum(delta[order])


def wrap_up_samples(
    served: pd.DataFrame,
    queued: pd.DataFrame,
    agent_group: Mapping[str, str],
    skills: Mapping[str, set[str] | frozenset[str] | list[str]],
    max_gap_s: float = 1800.0,
) -> pd.DataFrame:
    """The not-ready durations (see the module docstring), one row per informative call.

    Args:
        served: answered calls (canonical columns ``agent``, ``call_type``, ``service_start``,
            ``service_end``).
        queued: calls that reached the queue (``call_type``, ``queue_entry``, ``queue_exit``,
            ``wait_s``); those that waited define when each group's queue was non-empty.
        agent_group: agent id -> group name; agents not in it are left out.
        skills: group name -> the (base) call types the group serves.
        max_gap_s: a longer gap between two calls of an agent ends a shift.

    Returns:
        Columns ``call_type``, ``group``, ``duration_s``, ``observed`` (False: censored),
        and, for :mod:`rlroute.calibrate.availability`, ``clock_s`` (clock time the call
        ended, seconds after midnight) and ``handle_s`` (its talk time).
    """
    cols = ["call_type", "group", "duration_s", "observed", "clock_s", "handle_s"]
    s = served[served["agent"].notna()].copy()
    s["group"] = s["agent"].astype("string").map(dict(agent_group))
    s = s[s["group"].notna()]
    s = s.assign(start=_seconds(s["service_start"]), end=_seconds(s["service_end"])).dropna(
        subset=["start", "end"]
    )
    s = s.sort_values(["agent", "start"], kind="stable")
    agent = s["agent"].astype(str)
    same_agent = (agent == agent.shift(-1)).to_numpy(dtype=bool)
    gap = s["start"].shift(-1).to_numpy() - s["end"].to_numpy()
    keep = same_agent & (gap >= 0) & (gap < max_gap_s)
    s = s.assign(gap=gap)[keep]

    w = queued[queued["wait_s"] > 0]
    w_entry, w_exit = _seconds(w["queue_entry"]), _seconds(w["queue_exit"])
    w_type = w["call_type"].astype(str).to_numpy()
    ok = np.isfinite(w_entry) & np.isfinite(w_exit)
    frames = []
    for g, rows in s.groupby("group", observed=True, sort=True):
        mine = ok & np.isin(w_type, list(skills.get(str(g), ())))
        if not mine.any() or rows.empty:
            continue
        times, count = _waiting_profile(w_entry[mine], w_exit[mine])
        zeros = times[count == 0]
        end = rows["end"].to_numpy()
        last = np.searchsorted(times, end, side="right") - 1
        waiting = (last >= 0) & (count[np.maximum(last, 0)] > 0)
        nxt = np.searchsorted(zeros, end, side="right")
        empties = np.where(nxt < zeros.size, zeros[np.minimum(nxt, zeros.size - 1)], np.inf)
        limit = empties - end
        g_gap = rows["gap"].to_numpy()
        observed = g_gap <= limit
        frames.append(
            pd.DataFrame(
                {
                    "call_type": rows["call_type"].astype(str).to_numpy()[waiting],
                    "group": str(g),
                    "duration_s": np.minimum(g_gap, limit)[waiting],
                    "observed": observed[waiting],
                    "clock_s": np.mod(end, 86_400.0)[waiting],
                    "handle_s": (end - rows["start"].to_numpy())[waiting],
                }
            )
        )
    if not frames:
        types = [str, str, float, bool, float, float]
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, types, strict=True)})
    return pd.concat(frames, ignore_index=True)[cols]


@dataclass
class WrapUpFit:
    """Not-ready time per (base call type, group), with the samples behind it."""

    samples: pd.DataFrame
    dists: dict[tuple[str, str], Empirical]
    pooled: dict[str, Empirical]
    min_events: int

    def dist(self, call_type: str, group: str) -> Empirical | None:
        """The pair's distribution, else its group's pooled one, else None (no wrap-up)."""
        return self.dists.get((call_type, group)) or self.pooled.get(group)

    def table(self) -> pd.DataFrame:
        """One row per (type, group): samples, observed share, KM median, model mean."""
        rows = []
        for (t, g), part in self.samples.groupby(["call_type", "group"], sort=True):
            d = self.dist(str(t), str(g))
            rows.append(
                {
                    "call_type": t,
                    "group": g,
                    "n": len(part),
                    "observed": int(part["observed"].sum()),
                    "median_observed_s": float(part.loc[part["observed"], "duration_s"].median()),
                    "source": "pair" if (t, g) in self.dists else "group",
                    "model_mean_s": d.mean if d is not None else 0.0,
                }
            )
        return pd.DataFrame(rows)


def _fit(part: pd.DataFrame, min_events: int, min_at_risk: int, n_points: int) -> Empirical | None:
    t = part["duration_s"].to_numpy(dtype=float)
    e = part["observed"].to_numpy(dtype=bool)
    if int(e.sum()) < min_events:
        return None
    km = kaplan_meier(t, e, "not-ready times")
    supported = km.at_risk >= min_at_risk
    t_max = float(km.times[supported][-1]) if supported.any() else float(km.times[0])
    return km_distribution(km, exponential_mle(t, e, "not-ready times"), t_max, n_points)


def fit_wrap_up(
    samples: pd.DataFrame, min_events: int = 50, min_at_risk: int = 30, n_points: int = 50
) -> WrapUpFit:
    """Kaplan-Meier not-ready time per (type, group) with a pooled fallback per group."""
    dists: dict[tuple[str, str], Empirical] = {}
    pooled: dict[str, Empirical] = {}
    for g, part in samples.groupby("group", sort=True):
        d = _fit(part, min_events, min_at_risk, n_points)
        if d is not None:
            pooled[str(g)] = d
        for t, pair in part.groupby("call_type", sort=True):
            dp = _fit(pair, min_events, min_at_risk, n_points)
            if dp is not None:
                dists[(str(t), str(g))] = dp
    return WrapUpFit(samples=samples, dists=dists, pooled=pooled, min_events=min_events)
