"""The Scenario: a typed, validated, YAML-serialisable description of a call center.

A Scenario is the contract between calibration (which writes one from call records) and the
simulator (which runs one). It fixes the *parameters* of the model; everything that changes
while the model runs lives in the simulator's state.

Time is a grid of ``n_intervals`` intervals of ``interval_s`` seconds. Arrival rates and head
counts are given per interval (a scalar is broadcast to every interval). The grid can span a
day, a week, or a single very long interval for stationary (Erlang) studies. A random
day-level multiplier (Gamma, mean 1) is drawn for each call type once per
``intervals_per_day`` intervals; real call centers vary far more from day to day than a
Poisson process allows (Brown et al. 2005).

Each skill (call type served by an agent group) has a talk time (``handle_time``) and an
optional after-call work time (``wrap_up``): an agent who ends a call stays unavailable for
the wrap-up before taking the next one, as on a real floor, where AHT = talk + ACW.

Handle times vary over the day too (Brown et al. 2005: the Anonymous Bank's early-morning
calls average about 135 s against about 185 s over the day). A call type's optional
``handle_time_profile`` scales the talk time of its calls by one multiplier per interval (of
arrival), whichever group serves them: the fitted distribution keeps its shape, and each call
keeps its quantile, so routers still compare on common random numbers.

What validation accepts, the library can run: every number is finite (so a scenario survives
its own YAML round trip), distributions keep their draws representable
(:mod:`rlroute.distributions`), and a scenario must stay within a size that fits in memory:
at most :data:`MAX_EXPECTED_CALLS` expected calls over the horizon (configurable, see
:func:`expected_calls_cap`), :data:`MAX_HEAD_COUNT` agents per group and :data:`MAX_INTERVALS`
intervals.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from rlroute.distributions import MAX_DRAW_S, Distribution, Exponential

SCHEMA_VERSION: Final = 1

#: Default cap on the expected number of calls over a scenario's horizon: first-time calls
#: (rates x interval lengths, day multiplier 1) times a bound on each caller's attempts
#: (repeats). Above it a run would take hours and gigabytes; a typo (a rate per second read as
#: per hour, a rate of 1e9) is the usual cause. Raise it with ``$RLROUTE_MAX_EXPECTED_CALLS``
#: or the ``max_expected_calls`` argument of the loaders.
MAX_EXPECTED_CALLS = 5_000_000
#: Agents are tracked one by one: more than this many in one group is a typo.
MAX_HEAD_COUNT = 100_000
#: Per-interval statistics are kept for every interval (about three years of 15-minute ones).
MAX_INTERVALS = 100_000
#: Mean handle time and patience below this (seconds) are refused: routers divide by them.
MIN_RATE_MEAN_S = 1e-6
#: Not-ready requests per agent-hour above this are a typo (a rate per second read per hour).
MAX_NOT_READY_RATE = 3600.0
_ENV_CAP = "RLROUTE_MAX_EXPECTED_CALLS"


def expected_calls_cap(override: float | None = None) -> float:
    """The cap in force: ``override`` if given, else ``$RLROUTE_MAX_EXPECTED_CALLS``, else
    :data:`MAX_EXPECTED_CALLS`."""
    if override is not None:
        return float(override)
    env = os.environ.get(_ENV_CAP)
    if env is None or not env.strip():
        return float(MAX_EXPECTED_CALLS)
    try:
        cap = float(env)
    except ValueError:
        raise ScenarioError(f"${_ENV_CAP}={env!r} is not a number") from None
    if not cap > 0:
        raise ScenarioError(f"${_ENV_CAP}={env!r} must be a positive number")
    return cap


class ScenarioError(ValueError):
    """A Scenario that cannot be built; the message names each bad field and why."""


class _Model(BaseModel):
    # inf and NaN are refused everywhere: JSON (hence to_dict) cannot hold them, and no
    # parameter of a call center is meant to be infinite (optional ones use None).
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _json_like(value: Any, path: str = "metadata") -> None:
    """Refuse what a YAML/JSON round trip would not give back (metadata is free form)."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} is not a finite number")
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _json_like(v, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{path}: key {k!r} is not a string")
            _json_like(v, f"{path}.{k}")
        return
    raise ValueError(f"{path}: {type(value).__name__} values are not allowed (plain data only)")


def _omit_if_none(data: dict[str, Any], key: str) -> dict[str, Any]:
    """Drop an optional field that is unset from a dump. Fields added after schema version 1
    (``Skill.wrap_up``, ``CallType.handle_time_profile``, ``AgentGroup.not_ready``) then leave a scenario without them
    serialised exactly as before they existed, so existing YAML files and the hashes that
    identify scenarios (benchmarks, trained runs) do not change."""
    if key in data and data[key] is None:
        del data[key]
    return data


class CallCost(_Model):
    """Cost weights of one call type; the environment's reward is minus their sum."""

    wait_per_s: float = Field(default=1.0 / 60.0, ge=0, description="cost per second waited")
    abandon: float = Field(default=1.0, ge=0, description="cost per abandoned (or balked) call")
    sl_miss: float = Field(default=0.0, ge=0, description="cost per call answered after target")
    unresolved: float = Field(default=0.0, ge=0, description="cost per call not resolved")


class RepeatCalls(_Model):
    """An unresolved call comes back as a new call of the same type with some probability."""

    probability: float = Field(ge=0, le=1)
    delay: Distribution = Field(description="time from service end to the repeat call")

    def attempts_bound(self, fcr_min: float, horizon_s: float) -> float:
        """An upper bound on the expected calls per caller (the first included): geometric
        when a caller can stop, else one per mean delay over the horizon."""
        q = self.probability * (1.0 - fcr_min)
        if q < 1.0:
            return 1.0 / (1.0 - q)
        mean = self.delay.mean
        return 1.0 + horizon_s / mean if mean > 0 else math.inf


class CallType(_Model):
    """A call type (skill): its arrival process, caller patience, importance and targets.

    ``handle_time_profile`` (optional) is one positive multiplier per interval: a call that
    arrives in interval ``i`` talks for ``handle_time.ppf(u) * profile[i]``, where ``u`` is the
    call's own handle-time quantile, whatever group serves it. Real handle times vary over the
    day (Brown et al. 2005); a multiplier keeps each skill's fitted distribution shape and the
    common random numbers (the same caller has the same quantile under every router). Calls
    still waiting after the horizon keep their arrival interval's multiplier. A single value is
    broadcast to every interval, like the arrival rates. ``None`` (or no field) means
    multiplier 1 everywhere, exactly the model without the field.
    """

    name: str = Field(min_length=1)
    arrival_rates_per_hour: list[float] = Field(description="Poisson rate per interval")
    day_multiplier_shape: float | None = Field(
        default=None, gt=0, description="Gamma shape of the day-level multiplier (mean 1)"
    )
    patience: Distribution | None = Field(
        default=None, description="time a caller waits before hanging up; None: never abandons"
    )

    @field_validator("patience")
    @classmethod
    def _positive_patience(cls, v: Distribution | None) -> Distribution | None:
        if v is not None and not v.mean >= MIN_RATE_MEAN_S:
            raise ValueError(
                f"mean patience {v.mean:g} s is below {MIN_RATE_MEAN_S:g} s "
                "(use no patience for callers who never abandon)"
            )
        return v

    balk_probability: float = Field(
        default=0.0, ge=0, le=1, description="probability of leaving at once when made to wait"
    )
    balk_queue_length: int | None = Field(
        default=None, ge=0, description="callers always balk when this many of the type wait"
    )
    priority: int = Field(default=0, description="higher is more important")
    cost: CallCost = Field(default_factory=CallCost)
    service_level_target_s: float | None = Field(
        default=None, gt=0, description="overrides the scenario's target for this type"
    )
    repeat: RepeatCalls | None = None
    handle_time_profile: list[float] | None = Field(
        default=None,
        description="talk-time multiplier per interval of arrival (1 or n_intervals values); "
        "None: the skills' handle times as they are",
    )

    @field_validator("arrival_rates_per_hour", "handle_time_profile", mode="before")
    @classmethod
    def _broadcast(cls, v: Any) -> Any:
        return [v] if isinstance(v, int | float) else v

    @field_validator("handle_time_profile")
    @classmethod
    def _positive_finite(cls, v: list[float] | None) -> list[float] | None:
        # A multiplier of 0 would make talk times vanish, inf or NaN would poison every KPI.
        if v is not None:
            bad = [i for i, m in enumerate(v) if not (math.isfinite(m) and m > 0)]
            if bad:
                raise ValueError(
                    f"multipliers must be finite and > 0; interval {bad[0]} has {v[bad[0]]}"
                )
        return v

    @model_serializer(mode="wrap")
    def _omit_absent_profile(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _omit_if_none(handler(self), "handle_time_profile")

    @field_validator("arrival_rates_per_hour")
    @classmethod
    def _non_negative(cls, v: list[float]) -> list[float]:
        bad = [i for i, r in enumerate(v) if not r >= 0]
        if bad:
            raise ValueError(f"rates must be >= 0; interval {bad[0]} has {v[bad[0]]}")
        return v


class Skill(_Model):
    """How an agent group serves one call type: handle time, wrap-up and first-call resolution.

    ``handle_time`` is the talk time (the caller is on the line). ``wrap_up`` is the after-call
    work (ACW) that follows it: notes, forms, dispositions, during which the agent is not
    available for the next call. The industry's AHT is talk + ACW and occupancy counts ACW as
    busy, so leaving it out makes a model look better staffed than the real floor. ``None``
    (or a missing ``wrap_up``) means the agent is ready again as soon as the caller hangs up.
    """

    handle_time: Distribution
    wrap_up: Distribution | None = Field(
        default=None, description="after-call work following each call; None: no wrap-up"
    )
    fcr: float = Field(default=1.0, ge=0, le=1, description="first-call resolution probability")

    @field_validator("handle_time")
    @classmethod
    def _positive_handle(cls, v: Distribution) -> Distribution:
        if not v.mean >= MIN_RATE_MEAN_S:
            raise ValueError(f"mean handle time {v.mean:g} s is below {MIN_RATE_MEAN_S:g} s")
        return v

    @model_serializer(mode="wrap")
    def _omit_absent_wrap_up(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _omit_if_none(handler(self), "wrap_up")


class StaffingDayFactor(_Model):
    """Day-to-day variation of a group's staffing, as the Gamma day multiplier varies arrivals.

    Each day the group's scheduled head counts are scaled by a day factor with mean 1,
    ``S = (1 + load_slope * (L - 1)) * E``: ``E`` is Gamma(``shape``, 1 / ``shape``) (mean 1,
    CV ``1 / sqrt(shape)``), independent of everything else, and ``L`` is the day's arrival
    factor of the calls the group takes (the types' day multipliers averaged with weights
    their expected calls that day; 1 without day multipliers), so with ``load_slope > 0`` a
    busier day is staffed more, as real centres do. ``load_slope`` in [0, 1] keeps
    ``1 + load_slope * (L - 1) >= 0``, so ``E[S] = 1`` exactly. The day's head count in
    interval ``i`` is ``floor(h_i * S + u)``, ``u`` one uniform per group and day: rounded
    stochastically, so its mean is ``h_i * E[S] = h_i`` and the day's profile keeps its shape
    (one ``u`` for the whole day adds no hiring and leaving from one interval to the next).
    """

    shape: float = Field(gt=0, description="Gamma shape of the staffing noise E (mean 1)")
    load_slope: float = Field(
        default=0.0, ge=0, le=1, description="how much of the day's arrival factor staffing follows"
    )


class NotReady(_Model):
    """Agents' not-ready episodes (breaks, back-office work, meetings) at any time of the shift.

    Per agent on shift, not-ready *requests* come as a Poisson process at ``rate_per_hour[i]``
    requests per hour in interval ``i``. An idle agent goes not ready at once; a busy one
    (talking or in wrap-up) when it becomes free (at most one pending request); an agent
    already not ready or with a request pending ignores the request. An episode lasts an
    exponential time of mean ``mean_length_s[j]``, ``j`` the interval it *starts* in (the
    drain keeps the last interval's). A not-ready agent is on shift but takes no call: it is
    neither idle nor busy, and occupancy leaves its time out (``docs/availability.md``). Each
    list has 1 value (broadcast) or ``n_intervals`` values, like ``head_count``. The model is
    :mod:`rlroute.calibrate.availability`'s, which fits it from call records.

    ``day_shape`` (optional): each day the group's ``rate_per_hour`` is multiplied by a
    Gamma(``day_shape``, 1 / ``day_shape``) factor (mean 1, CV ``1 / sqrt(day_shape)``), drawn
    at the day's start, as ``CallType.day_multiplier_shape`` varies arrivals: some days agents
    are much less available than others. ``None`` (or no field): the same rates every day,
    exactly the model without the field.
    """

    rate_per_hour: list[float] = Field(
        description="not-ready requests per agent-hour on shift, per interval (1 or "
        "n_intervals values, each >= 0)"
    )
    mean_length_s: list[float] = Field(
        description="mean episode length in seconds by the interval the episode starts in "
        "(1 or n_intervals values, each > 0)"
    )
    day_shape: float | None = Field(
        default=None,
        gt=0,
        description="Gamma shape of a per-day multiplier (mean 1) of rate_per_hour; None: the "
        "same rates every day",
    )

    @model_serializer(mode="wrap")
    def _omit_absent_day_shape(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _omit_if_none(handler(self), "day_shape")

    @field_validator("rate_per_hour", "mean_length_s", mode="before")
    @classmethod
    def _broadcast(cls, v: Any) -> Any:
        return [v] if isinstance(v, int | float) else v

    @field_validator("rate_per_hour")
    @classmethod
    def _rates(cls, v: list[float]) -> list[float]:
        bad = [i for i, r in enumerate(v) if not 0 <= r <= MAX_NOT_READY_RATE]
        if bad:
            raise ValueError(
                f"rates must be >= 0 and <= {MAX_NOT_READY_RATE:g} per hour; interval "
                f"{bad[0]} has {v[bad[0]]}"
            )
        return v

    @field_validator("mean_length_s")
    @classmethod
    def _lengths(cls, v: list[float]) -> list[float]:
        bad = [i for i, m in enumerate(v) if not MIN_RATE_MEAN_S <= m <= MAX_DRAW_S]
        if bad:
            raise ValueError(
                f"mean lengths must be > 0 and <= {MAX_DRAW_S:g} s; interval {bad[0]} has "
                f"{v[bad[0]]}"
            )
        return v


class AgentGroup(_Model):
    """A pool of interchangeable agents with the same skills and the same staffing schedule.

    ``staffing_day_factor`` (optional): the schedule is scaled each day by a random factor of
    mean 1 (see :class:`StaffingDayFactor`); ``None`` (or no field) keeps the schedule every
    day, exactly the model without the field.

    ``not_ready`` (optional, :class:`NotReady`): the group's not-ready episodes at any time of
    the shift; absent, agents on shift are always ready between calls (and the simulation is
    exactly the one before the field existed).
    """

    name: str = Field(min_length=1)
    head_count: list[int] = Field(description="agents on duty per interval")
    skills: dict[str, Skill] = Field(min_length=1, description="call type name -> skill")
    staffing_day_factor: StaffingDayFactor | None = Field(
        default=None, description="day-to-day variation of the head counts; None: none"
    )
    not_ready: NotReady | None = Field(
        default=None,
        description="not-ready episodes at any time of the shift (rate per agent-hour and "
        "mean length per interval); None: agents are ready whenever not on a call or in wrap-up",
    )

    @model_serializer(mode="wrap")
    def _omit_absent_options(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _omit_if_none(_omit_if_none(handler(self), "not_ready"), "staffing_day_factor")

    @field_validator("head_count", mode="before")
    @classmethod
    def _broadcast(cls, v: Any) -> Any:
        return [v] if isinstance(v, int) else v

    @field_validator("head_count")
    @classmethod
    def _non_negative(cls, v: list[int]) -> list[int]:
        bad = [i for i, n in enumerate(v) if not 0 <= n <= MAX_HEAD_COUNT]
        if bad:
            raise ValueError(
                f"head counts must be >= 0 and <= {MAX_HEAD_COUNT}; "
                f"interval {bad[0]} has {v[bad[0]]}"
            )
        return v


class Scenario(_Model):
    """A multi-skill call center: time grid, call types, agent groups, targets and costs.

    Per agent group, ``skills`` maps each call type the group takes to a :class:`Skill`:
    ``handle_time`` (talk), optional ``wrap_up`` (after-call work, during which the agent is
    unavailable; absent means none, the classic Erlang models) and ``fcr``. A ``wrap_up`` is
    optional and backwards compatible, so ``schema_version`` stays 1; so is a call type's
    ``handle_time_profile`` (talk-time multipliers over the day, see :class:`CallType`).
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = "scenario"
    description: str = ""
    interval_s: float = Field(default=1800.0, gt=0, description="length of one interval")
    n_intervals: int = Field(
        default=1, ge=1, le=MAX_INTERVALS, description="number of intervals in the horizon"
    )
    intervals_per_day: int | None = Field(
        default=None, ge=1, description="intervals between day-multiplier draws (default: all)"
    )
    start_clock_s: float = Field(
        default=0.0, ge=0, description="clock time of day at t = 0 (reporting only)"
    )
    service_level_target_s: float = Field(default=20.0, gt=0)
    call_types: list[CallType] = Field(min_length=1)
    agent_groups: list[AgentGroup] = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict, description="provenance, free form")

    @field_validator("metadata")
    @classmethod
    def _plain_data(cls, v: dict[str, Any]) -> dict[str, Any]:
        _json_like(v)
        return v

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        problems: list[str] = []
        type_names = [c.name for c in self.call_types]
        group_names = [g.name for g in self.agent_groups]
        for kind, names in (("call_types", type_names), ("agent_groups", group_names)):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                problems.append(f"{kind}: duplicate names {dup}")
        n = self.n_intervals
        for i, c in enumerate(self.call_types):
            if len(c.arrival_rates_per_hour) not in (1, n):
                problems.append(
                    f"call_types[{i}].arrival_rates_per_hour: has "
                    f"{len(c.arrival_rates_per_hour)} values, expected 1 or n_intervals={n}"
                )
            prof = c.handle_time_profile
            if prof is not None and len(prof) not in (1, n):
                problems.append(
                    f"call_types[{i}].handle_time_profile: has {len(prof)} values, "
                    f"expected 1 or n_intervals={n}"
                )
        for j, g in enumerate(self.agent_groups):
            if len(g.head_count) not in (1, n):
                problems.append(
                    f"agent_groups[{j}].head_count: has {len(g.head_count)} values, "
                    f"expected 1 or n_intervals={n}"
                )
            if g.not_ready is not None:
                for field in ("rate_per_hour", "mean_length_s"):
                    vals = getattr(g.not_ready, field)
                    if len(vals) not in (1, n):
                        problems.append(
                            f"agent_groups[{j}].not_ready.{field}: has {len(vals)} values, "
                            f"expected 1 or n_intervals={n}"
                        )
            unknown = sorted(set(g.skills) - set(type_names))
            if unknown:
                problems.append(f"agent_groups[{j}].skills: unknown call types {unknown}")
        served = {t for g in self.agent_groups for t in g.skills}
        orphans = [t for t in type_names if t not in served]
        if orphans:
            problems.append(f"call_types: no agent group can serve {orphans}")
        if self.intervals_per_day is not None and n % self.intervals_per_day:
            problems.append(
                f"intervals_per_day: {self.intervals_per_day} does not divide n_intervals={n}"
            )
        if not self.horizon_s <= MAX_DRAW_S:
            problems.append(
                f"interval_s: the horizon interval_s x n_intervals = {self.horizon_s:g} s "
                f"exceeds {MAX_DRAW_S:g} s"
            )
        if problems:
            raise ValueError("; ".join(problems))
        context = info.context if isinstance(info.context, dict) else {}
        cap = expected_calls_cap(context.get("max_expected_calls"))
        expected = self.expected_calls()
        if not expected <= cap:
            raise ValueError(
                f"call_types: about {expected:.4g} expected calls over the horizon exceed the "
                f"cap of {cap:.4g} (check the arrival rates: they are per hour); raise it with "
                f"${_ENV_CAP} or max_expected_calls= if you mean it"
            )
        return self

    def expected_calls(self) -> float:
        """Expected calls over the horizon: first-time calls (day multiplier 1) times a bound
        on each caller's attempts (:meth:`RepeatCalls.attempts_bound`); inf if unbounded."""
        total = 0.0
        for k, c in enumerate(self.call_types):
            first = sum(self.rates_per_hour(k)) / 3600.0 * self.interval_s  # inf, not an error
            attempts = 1.0
            if c.repeat is not None and first > 0:
                fcrs = [g.skills[c.name].fcr for g in self.agent_groups if c.name in g.skills]
                attempts = c.repeat.attempts_bound(min(fcrs, default=1.0), self.horizon_s)
            total += first * attempts
        return total if math.isfinite(total) else math.inf

    # ------------------------------------------------------------------ derived views
    @property
    def horizon_s(self) -> float:
        return self.interval_s * self.n_intervals

    @property
    def type_names(self) -> list[str]:
        return [c.name for c in self.call_types]

    @property
    def group_names(self) -> list[str]:
        return [g.name for g in self.agent_groups]

    def rates_per_hour(self, type_index: int) -> list[float]:
        """Arrival rates of one type, one per interval (scalars broadcast)."""
        r = self.call_types[type_index].arrival_rates_per_hour
        return r * self.n_intervals if len(r) == 1 else list(r)

    def handle_time_multipliers(self, type_index: int) -> list[float] | None:
        """Talk-time multiplier of one type per interval of arrival (a scalar broadcast), or
        None when the type has no profile (multiplier 1: the simulator skips the product)."""
        p = self.call_types[type_index].handle_time_profile
        if p is None:
            return None
        return p * self.n_intervals if len(p) == 1 else list(p)

    def head_counts(self, group_index: int) -> list[int]:
        """Head count of one group, one per interval (scalars broadcast)."""
        h = self.agent_groups[group_index].head_count
        return h * self.n_intervals if len(h) == 1 else list(h)

    def not_ready(self, group_index: int) -> tuple[list[float], list[float]] | None:
        """``(rate_per_hour, mean_length_s)`` of one group per interval (scalars broadcast), or
        None when the group has no not-ready episodes."""
        nr = self.agent_groups[group_index].not_ready
        if nr is None:
            return None
        n = self.n_intervals
        rate, length = nr.rate_per_hour, nr.mean_length_s
        return (
            rate * n if len(rate) == 1 else list(rate),
            length * n if len(length) == 1 else list(length),
        )

    @property
    def has_not_ready(self) -> bool:
        """Some agent group has not-ready episodes (:class:`NotReady`)."""
        return any(g.not_ready is not None for g in self.agent_groups)

    def sl_target_s(self, type_index: int) -> float:
        own = self.call_types[type_index].service_level_target_s
        return self.service_level_target_s if own is None else own

    def eligible_pairs(self) -> list[tuple[int, int]]:
        """All (type index, group index) pairs where the group can serve the type."""
        index = {name: k for k, name in enumerate(self.type_names)}
        return sorted((index[t], g) for g, grp in enumerate(self.agent_groups) for t in grp.skills)

    def skill(self, type_index: int, group_index: int) -> Skill | None:
        return self.agent_groups[group_index].skills.get(self.call_types[type_index].name)

    # ------------------------------------------------------------------ construction and I/O
    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        source: str = "<dict>",
        *,
        max_expected_calls: float | None = None,
    ) -> Scenario:
        """Validate a plain mapping; errors name the source, each bad field and the reason.

        ``max_expected_calls`` overrides the size cap (see :func:`expected_calls_cap`)."""

        if not isinstance(data, dict):
            raise ScenarioError(
                f"{source}: a scenario must be a mapping, got {type(data).__name__}"
            )
        context = {"max_expected_calls": expected_calls_cap(max_expected_calls)}
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            lines = [_error_line(err["loc"], err["msg"]) for err in exc.errors()]
            raise ScenarioError(f"{source}: invalid scenario\n" + "\n".join(lines)) from None

    @classmethod
    def from_yaml(cls, path: str | Path, *, max_expected_calls: float | None = None) -> Scenario:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text())
        except FileNotFoundError:
            raise ScenarioError(f"{path}: no such scenario file") from None
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
        return cls.from_dict(data, source=str(path), max_expected_calls=max_expected_calls)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=False)

    def to_yaml(self, path: str | Path | None = None) -> str:
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, width=100)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def single_pool(
        cls,
        arrival_rate_per_hour: float,
        mean_handle_s: float,
        n_agents: int,
        mean_patience_s: float | None = None,
        hours: float = 1.0,
        service_level_target_s: float = 20.0,
        name: str = "single_pool",
    ) -> Scenario:
        """An M/M/n (Erlang C) or, with a mean patience, M/M/n+M (Erlang A) center."""
        return cls(
            name=name,
            interval_s=hours * 3600.0,
            n_intervals=1,
            service_level_target_s=service_level_target_s,
            call_types=[
                CallType(
                    name="call",
                    arrival_rates_per_hour=[arrival_rate_per_hour],
                    patience=None
                    if mean_patience_s is None
                    else Exponential(mean_s=mean_patience_s),
                )
            ],
            agent_groups=[
                AgentGroup(
                    name="agents",
                    head_count=[n_agents],
                    skills={"call": Skill(handle_time=Exponential(mean_s=mean_handle_s))},
                )
            ],
        )


def _error_line(loc: tuple[int | str, ...], msg: str) -> str:
    """One pydantic error as ``  call_types[1].cost.sl_miss: reason``. Errors of the whole
    scenario (its consistency checks) name their fields themselves."""
    msg = msg.removeprefix("Value error, ")
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"  {path}: {msg}" if path else f"  {msg}"


def truncate_intervals(scenario: Scenario, n_intervals: int) -> Scenario:
    """The first ``n_intervals`` intervals of ``scenario`` (for quick runs and CI).

    Per-interval lists (arrival rates, handle-time profiles, head counts, not-ready rates
    and lengths) are cut to the new
    horizon. The day-level
    multiplier keeps its period when that still divides the horizon; a horizon shorter than
    one day gets a single draw, exactly like the first part of a day.
    """
    if n_intervals < 1:
        raise ScenarioError(f"horizon_intervals must be >= 1, got {n_intervals}")
    if n_intervals >= scenario.n_intervals:
        return scenario
    data = scenario.to_dict()
    data["n_intervals"] = n_intervals
    ipd = data.get("intervals_per_day")
    if ipd is not None and n_intervals % ipd:
        if n_intervals > ipd:
            raise ScenarioError(
                f"scenario {scenario.name!r}: horizon_intervals={n_intervals} is not a whole "
                f"number of days (intervals_per_day={ipd})"
            )
        data["intervals_per_day"] = None
    for ct in data["call_types"]:
        for key in ("arrival_rates_per_hour", "handle_time_profile"):
            if len(ct.get(key) or ()) > 1:
                ct[key] = ct[key][:n_intervals]
    for grp in data["agent_groups"]:
        if len(grp["head_count"]) > 1:
            grp["head_count"] = grp["head_count"][:n_intervals]
        nr = grp.get("not_ready")
        for key in ("rate_per_hour", "mean_length_s"):
            if nr and len(nr[key]) > 1:
                nr[key] = nr[key][:n_intervals]
    data["metadata"] = {
        **data.get("metadata", {}),
        "truncated_from_intervals": scenario.n_intervals,
    }
    return Scenario.from_dict(data, source=f"{scenario.name} truncated to {n_intervals}")


__all__ = [
    "MAX_EXPECTED_CALLS",
    "MAX_HEAD_COUNT",
    "MAX_INTERVALS",
    "MAX_NOT_READY_RATE",
    "SCHEMA_VERSION",
    "AgentGroup",
    "CallCost",
    "CallType",
    "NotReady",
    "RepeatCalls",
    "Scenario",
    "ScenarioError",
    "Skill",
    "StaffingDayFactor",
    "expected_calls_cap",
    "truncate_intervals",
]
