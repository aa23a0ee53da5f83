"""``calibrate``: call records in, a Scenario and a report of every fit out.

The pipeline, each step in its own module (its docstring states the method):

1. select the real calls (no phantoms) of one day type (``weekday`` = Sunday-Thursday for the
   Anonymous Bank), optionally of given dates only (e.g. a training period);
2. place them on an interval grid over the opening window (given, or inferred as the hull
   of the intervals with at least 5% of the busiest interval's arrivals);
3. optionally split call types by the source's priority (see :func:`priority_labels`), and
   give each type the median source priority of its calls that waited;
4. fit arrival rates and the Gamma day multiplier (:mod:`~rlroute.calibrate.arrivals`),
   patience (:mod:`~rlroute.calibrate.patience`), agent groups and skills
   (:mod:`~rlroute.calibrate.groups`), handle times per type and group
   (:mod:`~rlroute.calibrate.handle`), first-call resolution
   (:mod:`~rlroute.calibrate.resolution`), staffing (:mod:`~rlroute.calibrate.staffing`)
   and, with ``wrap_up=True``, after-call work (:mod:`~rlroute.calibrate.wrapup`); with
   ``availability="fitted"``, after-call work *and* not-ready episodes at any time of the
   shift, fitted jointly (:mod:`~rlroute.calibrate.availability`); with
   ``handle_profile=True``, handle times over the day (:mod:`~rlroute.calibrate.handle_profile`);
5. assemble the :class:`~rlroute.scenario.Scenario`.

Repeat calls are *not* added to the Scenario by default: the arrival rates are fitted on
every call, repeats included, so a Scenario that also generated repeats would count them
twice. FCR is written into each skill (it drives the ``unresolved`` cost and the routers that
use it); ``model_repeats=True`` instead removes the measured repeat share from the fitted
rates and adds :class:`~rlroute.scenario.RepeatCalls` (every unresolved call comes back,
after one of the observed delays). The simulator drops repeats that would come back after
the horizon, so a one-day Scenario then under-counts the late-day arrivals a little.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rlroute.calibrate.arrivals import ArrivalFit, fit_arrivals, gamma_shape_mom
from rlroute.calibrate.availability import (
    AvailabilityFit,
    fit_availability_samples,
    interval_not_ready,
)
from rlroute.calibrate.availability_day import AvailabilityDayFit, fit_availability_day_shape
from rlroute.calibrate.common import (
    CalibrationError,
    DayGrid,
    as_frame,
    clock_seconds,
    infer_window,
    queue_calls,
    select_days,
)
from rlroute.calibrate.groups import (
    AgentGroups,
    agent_type_shares,
    assign_to_groups,
    cluster_agents,
)
from rlroute.calibrate.handle import HandleFit, fit_handle_time
from rlroute.calibrate.handle_profile import fit_handle_profiles
from rlroute.calibrate.patience import PatienceFit, fit_patience
from rlroute.calibrate.profiles import (
    MIN_SPLINE_INTERVALS,
    PROFILE_METHODS,
    choose_df,
    smooth_profiles,
)
from rlroute.calibrate.resolution import ResolutionFit, fit_resolution
from rlroute.calibrate.staffing import StaffingFit, infer_staffing
from rlroute.calibrate.staffing_day import StaffingDayFit, fit_staffing_day_factors
from rlroute.calibrate.wrapup import WrapUpFit, fit_wrap_up, wrap_up_samples
from rlroute.data import CallRecords
from rlroute.distributions import Empirical, Exponential, LogNormal
from rlroute.scenario import AgentGroup, CallType, NotReady, RepeatCalls, Scenario, Skill

__all__ = ["CalibrationReport", "calibrate", "priority_labels"]

HIGH_SUFFIX = "_hi"
#: ``availability``: ``none`` (agents ready between calls, but for ``wrap_up``) or ``fitted``
#: (not-ready episodes and after-call work, :mod:`rlroute.calibrate.availability`).
AVAILABILITY_METHODS = ("none", "fitted")


@dataclass
class CalibrationReport:
    """Everything a calibration fitted and why, for the report and for checks.

    The fits keep their samples (handle times, waits) so the report can draw its figures;
    :meth:`tables` gives the numbers as DataFrames and ``rlroute.calibrate.report`` writes
    Markdown and PNGs.
    """

    source: str
    day_type: str | None
    grid: DayGrid
    settings: dict[str, Any]
    data: dict[str, int]
    arrivals: ArrivalFit
    patience: dict[str, PatienceFit]
    groups: AgentGroups
    handle: dict[tuple[str, str], HandleFit]
    handle_pooled: dict[str, HandleFit]
    resolution: ResolutionFit
    staffing: StaffingFit
    type_base: dict[str, str]
    split_types: list[str] = field(default_factory=list)
    type_priority: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    wrap_up: WrapUpFit | None = None
    handle_profile: pd.DataFrame | None = None
    staffing_days: StaffingDayFit | None = None
    availability: AvailabilityFit | None = None
    availability_days: AvailabilityDayFit | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every fit as a table: arrivals, days, patience, groups, handle, fcr, staffing."""
        handle_rows = [
            {"call_type": t, "group": g, **f.row()} for (t, g), f in sorted(self.handle.items())
        ]
        handle_rows += [
            {"call_type": t, "group": "(all)", **f.row()}
            for t, f in sorted(self.handle_pooled.items())
        ]
        types = pd.DataFrame(
            [
                {
                    "call_type": t,
                    "base_type": self.type_base[t],
                    "priority": self.type_priority.get(t, 0),
                    "patience": self.patience[t].choice,
                    "patience_mean_s": dist.mean
                    if (dist := self.patience[t].dist) is not None
                    else float("inf"),
                }
                for t in self.arrivals.types
            ]
        )
        return {
            "call_types": types,
            "arrivals": self.arrivals.table(),
            "arrival_days": self.arrivals.summary(),
            "patience": pd.DataFrame(
                [{"call_type": t, **p.row()} for t, p in self.patience.items()]
            ),
            "groups": self.groups.table(),
            "handle": pd.DataFrame(handle_rows),
            "fcr": self.resolution.by_type_group,
            "fcr_by_type": self.resolution.by_type,
            "staffing": self.staffing.table(),
            **({"wrap_up": self.wrap_up.table()} if self.wrap_up is not None else {}),
            **({"handle_profile": self.handle_profile} if self.handle_profile is not None else {}),
            **({"staffing_days": self.staffing_days.table()} if self.staffing_days else {}),
            **(
                {"availability_days": self.availability_days.table()}
                if self.availability_days is not None
                else {}
            ),
            **(
                {
                    "availability": self.availability.groups,
                    "availability_hourly": self.availability.hourly,
                }
                if self.availability is not None
                else {}
            ),
        }


def priority_labels(
    frame: pd.DataFrame, high_priority: int = 2, min_high_calls: int = 100
) -> tuple[pd.Series, list[str]]:
    """Call-type labels with high-priority callers split off as ``<type>_hi``.

    A type is split when at least ``min_high_calls`` of its queue arrivals have
    ``priority >= high_priority``; other types keep one label. Rows of a split type with a
    lower priority keep the base label. Returns the labels and the split base types.
    """
    calls = queue_calls(frame)
    high = calls["priority"] >= high_priority
    n_high = calls[high].groupby("call_type", observed=True).size()
    split = sorted(str(t) for t, n in n_high.items() if n >= min_high_calls)
    base = frame["call_type"].astype(str)
    is_high = (frame["priority"] >= high_priority) & base.isin(split)
    return base.where(~is_high, base + HIGH_SUFFIX), split


def _reallocate_unknown_priority(
    fit: ArrivalFit, unknown: ArrivalFit, split: list[str], share_high: dict[str, float]
) -> ArrivalFit:
    """Move ``share_high[t]`` of type t's priority-unknown arrivals to ``t_hi`` (pro rata)."""
    counts = fit.counts.copy()
    pos = {t: k for k, t in enumerate(fit.types)}
    upos = {t: k for k, t in enumerate(unknown.types)}
    for t in split:
        if t not in upos:
            continue
        moved = unknown.counts[:, upos[t], :] * share_high[t]
        counts[:, pos[t], :] -= moved
        counts[:, pos[t + HIGH_SUFFIX], :] += moved
    rates = counts.mean(axis=0) / fit.grid.interval_h
    shapes = {t: gamma_shape_mom(counts[:, k, :].sum(axis=1)) for k, t in enumerate(fit.types)}
    return ArrivalFit(
        grid=fit.grid,
        types=fit.types,
        days=fit.days,
        counts=counts,
        rates_per_hour=rates,
        day_shape=shapes,
        outside_window=fit.outside_window,
    )


def calibrate(
    records: CallRecords | pd.DataFrame,
    interval_minutes: float = 30,
    day_type: str | None = "weekday",
    *,
    window_hours: tuple[float, float] | None = None,
    dates: Iterable[str | pd.Timestamp] | None = None,
    split_priority: bool = False,
    high_priority: int = 2,
    unknown_priority: int | None = 0,
    min_high_calls: int = 100,
    short_calls: str = "em",
    short_threshold_s: float = 10.0,
    patience_model: str = "auto",
    patience_tolerance: float = 0.03,
    n_groups: int | None = None,
    groups: AgentGroups | None = None,
    max_groups: int = 6,
    min_agent_calls: int = 50,
    staffing_method: str = "queue",
    gap_minutes: float = 30.0,
    occupancy: float = 0.9,
    fcr_window_hours: float = 24.0,
    model_repeats: bool = False,
    wrap_up: bool = False,
    availability: str = "none",
    handle_profile: bool = False,
    staffing_day_factor: bool = False,
    availability_day_factor: bool = False,
    arrival_profile: str = "spline",
    arrival_df: int | None = None,
    min_fit_calls: int = 50,
    service_level_target_s: float = 20.0,
    name: str = "calibrated",
    description: str | None = None,
) -> tuple[Scenario, CalibrationReport]:
    """Fit a Scenario to call records (see the module docstring for the pipeline).

    Args:
        records: canonical call records (:func:`rlroute.data.read_technion_log`,
            :func:`rlroute.data.read_call_records`, ``rlroute.datasets``).
        interval_minutes: length of the Scenario's intervals.
        day_type: the day type to fit (``None``: every day together).
        window_hours: ``(start, end)`` clock hours the Scenario covers; ``None`` infers it.
        dates: fit only these dates (of the day type), e.g. to hold out a test period.
        split_priority: split types with enough high-priority callers into ``<type>_hi``.
            Either way ``CallType.priority`` is the median source priority of the type's
            calls that waited (the lower middle value on a tie), so a FIFO-within-priority
            router mimics a center that serves by priority. Calls with
            ``priority == unknown_priority``
            (the Technion bug that logs callers who did not wait as priority 0) are shared out
            between the two pro rata for the arrival rates; patience is fitted on the labels.
        short_calls, short_threshold_s: the handle-time short-call rule (``em``, ``threshold``,
            ``none``; see :func:`rlroute.calibrate.handle.fit_handle_time`).
        patience_model: ``auto``, ``exponential`` or ``empirical``.
        n_groups, max_groups, min_agent_calls: agent clustering (``n_groups`` None: silhouette).
        groups: keep these agent groups (e.g. ``report.groups`` of an earlier calibration)
            instead of clustering: see :func:`~rlroute.calibrate.groups.assign_to_groups`.
        staffing_method, gap_minutes, occupancy: staffing inference (``queue``, the default:
            agents available to the queue; ``shifts``; ``busy``; see
            :mod:`rlroute.calibrate.staffing`).
        fcr_window_hours: repeat-call window for first-call resolution.
        model_repeats: add repeat calls to the Scenario (and take them out of the rates).
        wrap_up: give every skill a not-ready (after-call work) time fitted from the idle
            gaps of agents while calls waited (:mod:`rlroute.calibrate.wrapup`); meant for
            ``staffing_method="shifts"``.
        availability: ``none`` (the default) or ``fitted``: fit after-call work and not-ready
            episodes jointly from the same gaps (:mod:`rlroute.calibrate.availability`, so no
            second is counted twice) and give each group a ``not_ready`` (rate and mean
            length per interval, from the clock hour it starts in) and each of its skills the
            fitted after-call work (a lognormal per group, in place of ``wrap_up``'s fit).
            Needs ``staffing_method="shifts"`` (the rates are per hour on shift).
        handle_profile: give every call type a handle-time factor per interval (handle
            times over the day, :mod:`rlroute.calibrate.handle_profile`).
        staffing_day_factor: give every agent group a day-to-day staffing factor (Gamma
            noise and a share of the day's arrival factor) fitted from the days' inferred
            staffing (:mod:`rlroute.calibrate.staffing_day`), so the Scenario's days vary
            like the real ones.
        availability_day_factor: with ``availability="fitted"``, give each fitted group's
            ``not_ready`` a ``day_shape`` (Gamma shape of a per-day factor of its request
            rate) fitted from each day's gaps (:mod:`rlroute.calibrate.availability_day`), so
            the Scenario's days vary in availability like the real ones.
        arrival_profile: ``spline`` (the default: each type's rate over the day is a Poisson
            regression on time-of-day B-splines, :mod:`rlroute.calibrate.profiles`) or
            ``empirical`` (the mean count of each interval). With fewer than
            ``MIN_SPLINE_INTERVALS`` intervals or one day, ``spline`` falls back to empirical.
        arrival_df: the spline's degrees of freedom, one for every type; ``None`` chooses
            it per type by leave-one-day-out deviance (:mod:`rlroute.calibrate.profile_cv`).
        min_fit_calls: fewer answered calls than this for a (type, group) pair: its handle
            time is the type's fit over all groups (and FCR the type's).

    Raises:
        CalibrationError: the input is not a canonical table, or has nothing to fit.
    """
    source = records.source if isinstance(records, CallRecords) else "<DataFrame>"
    frame = as_frame(records, source)
    real = frame[frame["outcome"] != "phantom"]
    sel = select_days(real, day_type, dates, source)
    queued = queue_calls(sel)
    if queued.empty:
        raise CalibrationError(
            f"{source}: no answered or abandoned call in the selected days; outcomes there: "
            f"{sel['outcome'].value_counts().to_dict()}"
        )
    interval_s = float(interval_minutes) * 60.0
    if not interval_s > 0:
        raise CalibrationError(f"interval_minutes must be positive, got {interval_minutes}")
    if window_hours is None:
        start_s, end_s = infer_window(queued, interval_s)
        window_rule = "inferred: hull of intervals with >= 5% of the busiest one's arrivals"
    else:
        start_s, end_s = float(window_hours[0]) * 3600.0, float(window_hours[1]) * 3600.0
        window_rule = "given"
    grid = DayGrid(interval_s, start_s, end_s)
    warnings: list[str] = []

    # -- call-type labels (optionally split by priority)
    if split_priority:
        labels, split = priority_labels(sel, high_priority, min_high_calls)
    else:
        labels, split = sel["call_type"].astype(str), []
    sel = sel.assign(type_label=labels.to_numpy())
    queued = queue_calls(sel)
    base_types = sorted(queued["call_type"].astype(str).unique())
    types = sorted(set(queued["type_label"]), key=lambda t: (t.removesuffix(HIGH_SUFFIX), t))
    type_base = {t: t.removesuffix(HIGH_SUFFIX) if t.endswith(HIGH_SUFFIX) else t for t in types}

    # -- arrivals
    arrivals = fit_arrivals(sel, grid, types, type_column="type_label")
    if split and unknown_priority is not None:
        unknown = sel[sel["priority"] == unknown_priority]
        ident = queued[queued["call_type"].isin(split) & (queued["priority"] != unknown_priority)]
        share = {
            t: float((g["priority"] >= high_priority).mean())
            for t, g in ident.groupby("call_type", observed=True)
        }
        share = {t: share.get(t, 0.0) for t in split}
        if not unknown.empty:
            unknown_fit = fit_arrivals(
                unknown.assign(type_label=unknown["call_type"].astype(str)),
                grid,
                split,
                type_column="type_label",
            )
            # fit_arrivals counted days from the unknown rows only; align them to all days
            aligned = np.zeros((len(arrivals.days), len(split), grid.n_intervals))
            pos = {d: j for j, d in enumerate(arrivals.days)}
            for j, d in enumerate(unknown_fit.days):
                aligned[pos[d]] = unknown_fit.counts[j]
            unknown_fit.counts, unknown_fit.days = aligned, arrivals.days
            arrivals = _reallocate_unknown_priority(arrivals, unknown_fit, split, share)
    if arrival_profile not in PROFILE_METHODS:
        raise CalibrationError(
            f"arrival_profile must be one of {PROFILE_METHODS}, got {arrival_profile!r}"
        )
    profile_rule = "empirical"
    if arrival_profile == "spline":
        n_days, n_int = len(arrivals.days), grid.n_intervals
        if n_int < MIN_SPLINE_INTERVALS or (arrival_df is None and n_days < 2):
            profile_rule = (
                f"empirical (spline asked, but {n_int} intervals and {n_days} days are too "
                f"few to smooth: it needs >= {MIN_SPLINE_INTERVALS} intervals and 2 days)"
            )
        else:
            dfs = [
                int(arrival_df) if arrival_df is not None else choose_df(arrivals.counts[:, k, :])
                for k in range(len(arrivals.types))
            ]
            arrivals.rates_per_hour = smooth_profiles(arrivals.counts, dfs) / grid.interval_h
            arrivals.profile_df = dict(zip(arrivals.types, dfs, strict=True))
            how = "given" if arrival_df is not None else "leave-one-day-out deviance"
            profile_rule = f"spline, df ({how}; {n_int} = empirical): " + ", ".join(
                f"{t} {d}" for t, d in arrivals.profile_df.items()
            )
    outside = arrivals.outside_window
    if outside:
        warnings.append(
            f"{outside} queue arrivals of the selected days fall outside the window "
            f"{grid.labels()[0]}-{grid.end_s / 3600:g}h and are not modelled"
        )

    # -- patience per label, from calls inside the window
    in_window = grid.index(clock_seconds(queued)) >= 0
    patience: dict[str, PatienceFit] = {}
    for t in types:
        q = queued[in_window & (queued["type_label"] == t).to_numpy()]
        patience[t] = fit_patience(
            q["wait_s"].to_numpy(dtype=float),
            (q["outcome"] == "abandoned").to_numpy(),
            model=patience_model,
            tolerance=patience_tolerance,
            name=f"patience of {t}",
        )

    # -- agent groups and skills (on base types)
    served = sel[sel["outcome"] == "answered"]
    counts = agent_type_shares(served, base_types)
    if groups is None:
        groups = cluster_agents(
            counts, n_groups=n_groups, max_groups=max_groups, min_calls=min_agent_calls
        )
    else:
        groups = assign_to_groups(counts, groups)
    agent_group = groups.assignment
    group_of_call = served["agent"].astype("string").map(agent_group)

    # -- handle times per (base type, group), pooled per type as fallback
    handle: dict[tuple[str, str], HandleFit] = {}
    pooled: dict[str, HandleFit] = {}
    for t in base_types:
        x = served.loc[served["call_type"] == t, "handle_s"].to_numpy(dtype=float)
        if np.isfinite(x).sum() >= 2:
            pooled[t] = fit_handle_time(x, short_calls, short_threshold_s, f"handle times of {t}")
        for g in groups.names:
            if t not in groups.skills[g]:
                continue
            mask = (served["call_type"] == t).to_numpy() & (group_of_call == g).to_numpy()
            xg = served.loc[mask, "handle_s"].to_numpy(dtype=float)
            if np.isfinite(xg).sum() >= min_fit_calls:
                handle[(t, g)] = fit_handle_time(
                    xg, short_calls, short_threshold_s, f"handle times of {t} by {g}"
                )

    # -- handle times over the day: one factor per interval and base type
    profiles: dict[str, list[float]] = {}
    profile_table = None
    if handle_profile:
        expected: dict[tuple[str, str], float] = {}
        for g in groups.names:
            for t in groups.skills[g]:
                fit = handle.get((t, g)) or pooled.get(t)
                if fit is not None:
                    expected[(t, g)] = fit.dist.mean
        profiles, profile_table = fit_handle_profiles(
            served, grid, expected, agent_group, min_calls=min_fit_calls
        )

    # -- first-call resolution (repeats looked for over every day of the data)
    all_real = real.assign(
        type_label=priority_labels(real, high_priority, min_high_calls)[0].to_numpy()
        if split
        else real["call_type"].astype(str).to_numpy()
    )
    resolution = fit_resolution(
        all_real, agent_group, fcr_window_hours, type_column="call_type", day_type=day_type
    )

    # -- after-call work (not-ready time), from idle gaps while calls of the group waited
    wrap_fit = None
    if wrap_up:
        samples = wrap_up_samples(
            served, queued, agent_group, groups.skills, max_gap_s=gap_minutes * 60.0
        )
        wrap_fit = fit_wrap_up(samples, min_events=min_fit_calls)
        if staffing_method != "shifts":
            warnings.append(
                f"wrap_up with staffing_method={staffing_method!r}: that staffing already "
                "leaves not-ready agents out while calls wait; 'shifts' is the consistent one"
            )

    # -- not-ready episodes and after-call work, fitted jointly from the same gaps
    avail_fit = None
    avail_days: AvailabilityDayFit | None = None
    if availability_day_factor and availability != "fitted":
        raise CalibrationError(
            "availability_day_factor needs availability='fitted' (it varies the fitted "
            f"not-ready rates from day to day), got availability={availability!r}"
        )
    if availability not in AVAILABILITY_METHODS:
        raise CalibrationError(
            f"availability={availability!r}; use one of {list(AVAILABILITY_METHODS)}"
        )
    if availability == "fitted":
        if staffing_method != "shifts":
            raise CalibrationError(
                f"availability='fitted' needs staffing_method='shifts', got "
                f"{staffing_method!r}: the not-ready rates are per hour on shift, and "
                f"{staffing_method!r} staffing already leaves not-ready agents out"
            )
        samples = wrap_up_samples(
            served, queued, agent_group, groups.skills, max_gap_s=gap_minutes * 60.0
        )
        avail_fit = fit_availability_samples(samples, min_samples=min_fit_calls)
        if availability_day_factor:
            avail_days = fit_availability_day_shape(
                served, queued, avail_fit, agent_group, groups.skills, gap_minutes * 60.0
            )
        if wrap_up:
            warnings.append(
                "wrap_up with availability='fitted': the after-call work is the availability "
                "fit's (the two are fitted jointly; wrap_up's own fit is not used)"
            )
        for g in groups.names:
            if g not in set(avail_fit.groups["group"]):
                warnings.append(
                    f"availability: group {g} has fewer than {min_fit_calls} gaps while calls "
                    "waited: no not-ready episodes"
                    + (" (wrap_up's after-call work kept)" if wrap_up else "")
                )

    # -- staffing
    staffing = infer_staffing(
        sel,
        grid,
        agent_group,
        groups.names,
        days=arrivals.days,
        method=staffing_method,
        gap_minutes=gap_minutes,
        occupancy=occupancy,
        skills=groups.skills,
    )

    # -- day-to-day staffing: each group's day factor against the arrivals of its types
    staffing_days = None
    if staffing_day_factor:
        staffing_days = fit_staffing_day_factors(
            staffing.daily_agents(),
            arrivals.counts,
            [
                [k for k, t in enumerate(types) if type_base[t] in groups.skills[g]]
                for g in groups.names
            ],
            groups.names,
        )

    # -- priority of each type: the median source priority of its calls that waited (those
    # answered at once are left out: the Technion log records them as priority 0 whatever
    # their real priority). Ties go to the lower level.
    type_priority: dict[str, int] = {}
    waited = queued[queued["wait_s"] > 0]
    for t in types:
        p = waited.loc[waited["type_label"] == t, "priority"].to_numpy()
        if p.size == 0:
            p = queued.loc[queued["type_label"] == t, "priority"].to_numpy()
        type_priority[t] = int(np.sort(p)[(p.size - 1) // 2]) if p.size else 0

    # -- assemble the Scenario
    repeat_share: dict[str, float] = {}
    call_types = []
    for k, t in enumerate(types):
        base = type_base[t]
        rates = arrivals.rates_per_hour[k]
        repeat = None
        if model_repeats:
            row = resolution.by_type[resolution.by_type["call_type"] == base]
            delays = resolution.delays_s.get(base, np.zeros(0))
            if len(row) and row["n"].iloc[0] >= min_fit_calls and delays.size >= 10:
                # Every unresolved call (1 - fcr of its skill, fcr = 1 - repeat share) comes
                # back, after one of the observed delays. Repeats are a share p_rep of the
                # answered calls, so that much of the fitted rate is taken out of the fresh one.
                p_rep = float(row["repeats"].iloc[0] / row["n"].iloc[0])
                answered_share = float(
                    (queued.loc[queued["type_label"] == t, "outcome"] == "answered").mean()
                )
                repeat_share[t] = min(p_rep * answered_share, 0.9)
                rates = rates * (1.0 - repeat_share[t])
                qs = np.quantile(delays, (np.arange(50) + 0.5) / 50)
                repeat = RepeatCalls(
                    probability=1.0, delay=Empirical(values=[round(float(v), 1) for v in qs])
                )
        p = patience[t]
        pat = p.dist
        if isinstance(pat, Exponential):
            pat = Exponential(mean_s=round(pat.mean_s, 2))
        extra_type: dict[str, Any] = {}
        if base in profiles:
            extra_type["handle_time_profile"] = profiles[base]
        call_types.append(
            CallType(
                **extra_type,
                name=t,
                arrival_rates_per_hour=[round(float(r), 4) for r in rates],
                day_multiplier_shape=None
                if (shape := arrivals.day_shape[t]) is None
                else round(float(shape), 3),
                patience=pat,
                priority=type_priority[t],
                repeat=repeat,
            )
        )
    agent_groups = []
    acw: dict[str, LogNormal] = {}  # after-call work of the availability fit, per group
    not_ready: dict[str, NotReady] = {}
    if avail_fit is not None:
        for row in avail_fit.groups.itertuples():
            g = str(row.group)
            acw[g] = LogNormal(mu=round(float(row.acw_mu), 5), sigma=round(float(row.acw_sigma), 5))
            per_interval = interval_not_ready(
                avail_fit, g, grid.start_s, grid.interval_s, grid.n_intervals
            )
            assert per_interval is not None
            not_ready[g] = NotReady(
                rate_per_hour=per_interval[0],
                mean_length_s=per_interval[1],
                day_shape=None if avail_days is None else avail_days.shapes.get(g),
            )
    for j, g in enumerate(groups.names):
        skills: dict[str, Skill] = {}
        for t in types:
            base = type_base[t]
            if base not in groups.skills[g]:
                continue
            fit = handle.get((base, g)) or pooled.get(base)
            if fit is None:
                warnings.append(f"no handle time for {base}: group {g} cannot serve it")
                continue
            fcr = resolution.fcr(base, g, min_calls=min_fit_calls)
            extra: dict[str, Any] = {}
            if g in acw:
                extra["wrap_up"] = acw[g]
            elif wrap_fit is not None and wrap_fit.dist(base, g) is not None:
                extra["wrap_up"] = wrap_fit.dist(base, g)
            skills[t] = Skill(handle_time=_rounded(fit), fcr=round(fcr, 4) if fcr else 1.0, **extra)
        if not skills:
            warnings.append(f"group {g} has no usable skill and is left out")
            continue
        agent_groups.append(
            AgentGroup(
                name=g,
                head_count=staffing.head_count[j].tolist(),
                skills=skills,
                staffing_day_factor=None if staffing_days is None else staffing_days.factors[j],
                not_ready=not_ready.get(g),
            )
        )
    served_types = {t for grp in agent_groups for t in grp.skills}
    dropped = [c.name for c in call_types if c.name not in served_types]
    if dropped:
        warnings.append(f"call types {dropped} have no group able to serve them: left out")
        call_types = [c for c in call_types if c.name in served_types]
    if not call_types or not agent_groups:
        raise CalibrationError(f"{source}: nothing left to build a Scenario from")

    days = arrivals.days
    settings = {
        "interval_minutes": float(interval_minutes),
        "window": f"{start_s / 3600:g}h-{end_s / 3600:g}h ({window_rule})",
        "split_priority": split_priority,
        "high_priority": high_priority,
        "unknown_priority": unknown_priority,
        "short_calls": short_calls,
        "short_threshold_s": short_threshold_s,
        "patience_model": patience_model,
        "patience_tolerance": patience_tolerance,
        "groups": groups.k_rule,
        "staffing_method": staffing_method,
        "gap_minutes": gap_minutes,
        "fcr_window_hours": fcr_window_hours,
        "model_repeats": model_repeats,
        "wrap_up": wrap_up,
        # only when used: earlier calibrations' settings (and scenario hashes) stay as they were
        **({"availability": availability} if availability != "none" else {}),
        "handle_profile": handle_profile,
        **({"staffing_day_factor": True} if staffing_day_factor else {}),
        **({"availability_day_factor": True} if availability_day_factor else {}),
        "arrival_profile": profile_rule,
        "min_fit_calls": min_fit_calls,
    }
    data = {
        "rows": len(frame),
        "phantom": int((frame["outcome"] == "phantom").sum()),
        "other_day_types": int((real["day_type"] != day_type).sum()) if day_type else 0,
        "selected_days": len(days),
        "selected_rows": len(sel),
        "vru_abandoned": int((sel["outcome"] == "vru_abandoned").sum()),
        "queue_arrivals": len(queued),
        "outside_window": int(outside),
        "answered": len(served),
        "answered_unnamed_agent": int(served["agent"].isna().sum()),
        "answered_no_handle_time": int(served["handle_s"].isna().sum()),
    }
    scenario = Scenario(
        name=name,
        description=description
        or (
            f"Calibrated from {source}: {day_type or 'all'} days only "
            f"({len(days)} days, {days[0].date()} to {days[-1].date()}), "
            f"{len(call_types)} call types, {len(agent_groups)} agent groups"
        ),
        interval_s=grid.interval_s,
        n_intervals=grid.n_intervals,
        intervals_per_day=grid.n_intervals,
        start_clock_s=grid.start_s,
        service_level_target_s=service_level_target_s,
        call_types=call_types,
        agent_groups=agent_groups,
        metadata={
            "generated_by": "rlroute.calibrate",
            "generated_on": dt.date.today().isoformat(),
            "source": source,
            "day_type": day_type,
            "dates": [str(d.date()) for d in days],
            "settings": dict(settings),
            "repeat_share_removed": repeat_share,
            "agent_groups": {g: groups.members(g) for g in groups.names},
        },
    )
    report = CalibrationReport(
        source=source,
        day_type=day_type,
        grid=grid,
        settings=settings,
        data=data,
        arrivals=arrivals,
        patience=patience,
        groups=groups,
        handle=handle,
        handle_pooled=pooled,
        resolution=resolution,
        staffing=staffing,
        type_base=type_base,
        split_types=split,
        type_priority=type_priority,
        warnings=warnings,
        wrap_up=wrap_fit,
        handle_profile=profile_table,
        staffing_days=staffing_days,
        availability=avail_fit,
        availability_days=avail_days,
    )
    return scenario, report


def _rounded(fit: HandleFit) -> Any:
    """The fitted distribution with parameters rounded for a readable YAML."""
    d = fit.dist
    return d.model_copy(
        update={
            "mu": round(d.mu, 5),
            "sigma": round(d.sigma, 5),
            "short_prob": round(d.short_prob, 5),
            "short_mean_s": round(d.short_mean_s, 3) if math.isfinite(d.short_mean_s) else 5.0,
        }
    )
