"""The observation of a call center's decision state: one float32 vector, its names and bounds.

Kept apart from the environment so that anything driving a :class:`~rlroute.sim.Simulator`
(a served policy inside a benchmark, for example) builds *exactly* the observation the
environment built during training: :func:`observe` takes a bare simulator.

Layout (``K`` call types, ``G`` agent groups; names as in :func:`observation_names`):

=====================  =====  ==========  ========================================================
name                   count  range       meaning
=====================  =====  ==========  ========================================================
``queue/<type>``       K      [0, 10]     waiting calls of the type per agent able to serve it
                                          (peak head count of its groups), clipped at 10
``hol_wait/<type>``    K      [0, 10]     head-of-line wait / the type's service-level target,
                                          clipped at 10 (0 when nobody waits)
``load/<type>``        K      [0, 10]     offered load of the current interval per agent able to
                                          serve the type: rate x mean handle time (mean over
                                          its groups, times the type's handle-time profile
                                          factor) / scheduled head count of those groups;
                                          clipped at 10; 0 during the drain (no new arrivals)
``idle/<group>``       G      [0, 1]      idle agents / scheduled head count of the interval
``on_duty/<group>``    G      [0, 1]      scheduled head count / the group's peak head count
``time/elapsed``       1      [0, 1]      clock / horizon (1 during the drain after the horizon)
``wrap_up/<group>``    G      [0, 1]      only with ``wrap_up=True`` (the env's ``observe_wrap_up``):
                                          agents in after-call work / scheduled head count,
                                          clipped at 1 (they become idle soon)
=====================  =====  ==========  ========================================================

Observation ``v2`` (``version="v2"``, the env's ``observation="v2"``) keeps every v1 entry,
always includes ``wrap_up/<group>``, and appends what an index rule cannot see
(``late`` and ``near_late`` count the waiting calls of the type in FIFO order from the head
while their wait is at least half the target, so a scan stops at the first call below it):

=====================  =====  ==========  ========================================================
``late/<type>``        K      [0, 10]     waiting calls that waited at least the SL target, per
                                          agent able to serve the type (as ``queue``), clipped
``near_late/<type>``   K      [0, 10]     waiting calls within half a target of it (wait in
                                          [target / 2, target)), per agent, clipped
``wait<j>/<type>``     3K     [0, 10]     wait of the j-th waiting call (j = 2, 3, 4; the 1st is
                                          ``hol_wait``) / SL target, clipped; 0 if fewer wait
                                          (all types for j = 2, then j = 3, then j = 4)
``load_next/<type>``   K      [0, 10]     ``load/<type>`` of the next interval (0 in the last
                                          interval and the drain: no arrivals follow)
=====================  =====  ==========  ========================================================

Agents about to finish are seen through ``wrap_up/<group>`` (after-call work ends the
service); the remaining talk time of busy agents is not observed (the simulator draws it at
the start of the call, a real router does not know it).

Everything per interval (load, head counts) is precomputed once per scenario, so building an
observation costs a few list operations and one small array.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from operator import mul
from typing import TYPE_CHECKING

import numpy as np

from rlroute.sim.engine import WAITING

if TYPE_CHECKING:
    from rlroute.scenario import Scenario
    from rlroute.sim.engine import Simulator

#: Clip of the unbounded features (queue per agent, wait per target, load per agent).
CLIP = 10.0
#: Observation versions (the env's ``observation`` option; see the module docstring).
VERSIONS = ("v1", "v2")
#: v2: waits (after the head) observed per type, and the "near the SL target" fraction.
N_WAITS = 3
NEAR = 0.5


def check_version(version: str) -> str:
    """``version`` if it is one of :data:`VERSIONS`, else a clear error."""
    if version not in VERSIONS:
        raise ValueError(f"observation={version!r}; use one of {VERSIONS}")
    return version


def observation_names(scenario: Scenario, wrap_up: bool = False, version: str = "v1") -> list[str]:
    """Names of the observation's entries, in order (see the module docstring)."""
    v2 = check_version(version) == "v2"
    types, groups = scenario.type_names, scenario.group_names
    return (
        [f"queue/{t}" for t in types]
        + [f"hol_wait/{t}" for t in types]
        + [f"load/{t}" for t in types]
        + [f"idle/{g}" for g in groups]
        + [f"on_duty/{g}" for g in groups]
        + ["time/elapsed"]
        + ([f"wrap_up/{g}" for g in groups] if wrap_up or v2 else [])
        + (
            [f"late/{t}" for t in types]
            + [f"near_late/{t}" for t in types]
            + [f"wait{j + 2}/{t}" for j in range(N_WAITS) for t in types]
            + [f"load_next/{t}" for t in types]
            if v2
            else []
        )
    )


def observation_bounds(
    scenario: Scenario, wrap_up: bool = False, version: str = "v1"
) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` float32 arrays of the observation box."""
    v2 = check_version(version) == "v2"
    K, G = len(scenario.call_types), len(scenario.agent_groups)
    extra = [1.0] * G if wrap_up or v2 else []
    extra += [CLIP] * ((3 + N_WAITS) * K) if v2 else []
    high = np.array([CLIP] * (3 * K) + [1.0] * (2 * G) + [1.0] + extra, dtype=np.float32)
    return np.zeros_like(high), high


def waiting_arrivals(sim: Simulator, k: int) -> Iterator[float]:
    """Arrival times of the calls of type ``k`` still waiting, in queue (FIFO) order: the
    simulator's own ``waiting_arrivals`` (the fast engine's view), else its queue with the
    calls that left it (answered elsewhere, abandoned) skipped."""
    own = getattr(sim, "waiting_arrivals", None)
    if own is not None:
        yield from own(k)
        return
    for call in sim.queues[k]:
        if call.state == WAITING:
            yield call.arrival


class Observer:
    """``observer(sim) -> float32 array``: the observation of a simulator of ``scenario``.

    Precomputes the scales that depend only on the scenario; the call itself reads
    ``sim.now``, ``sim.queue_len``, ``sim.idle_count`` and ``sim.head_arrival(k)``.
    """

    def __init__(self, scenario: Scenario, wrap_up: bool = False, version: str = "v1") -> None:
        K, G = len(scenario.call_types), len(scenario.agent_groups)
        n = scenario.n_intervals
        self.n_types, self.n_groups, self.n_intervals = K, G, n
        self.version = check_version(version)
        self.v2 = self.version == "v2"
        self.wrap_up = bool(wrap_up) or self.v2  # v2 always observes wrap-up
        self.size = 3 * K + 2 * G + 1 + (G if self.wrap_up else 0)
        self.size += (3 + N_WAITS) * K if self.v2 else 0
        self.names = observation_names(scenario, self.wrap_up, self.version)
        self.horizon = scenario.horizon_s
        self._interval_s = scenario.interval_s
        self._inv_horizon = 1.0 / self.horizon
        pairs = scenario.eligible_pairs()
        heads = [scenario.head_counts(g) for g in range(G)]
        peak = [max(h) for h in heads]
        groups_of = [[g for kk, g in pairs if kk == k] for k in range(K)]
        # queue/<type>: per agent able to serve it at peak staffing
        self._qscale = [1.0 / max(1, sum(peak[g] for g in groups_of[k])) for k in range(K)]
        self._wscale = [(k, 1.0 / scenario.sl_target_s(k)) for k in range(K)]
        mean_handle = [
            sum(scenario.skill(k, g).handle_time.mean for g in groups_of[k])  # type: ignore[union-attr,misc]
            / len(groups_of[k])
            for k in range(K)
        ]
        profiles = [scenario.handle_time_multipliers(k) for k in range(K)]
        # Per interval (and one more row for the drain): load/<type> and on_duty/<group>, and
        # the 1 / head count that scales idle/<group>.
        self._load: list[list[float]] = []
        self._on_duty: list[list[float]] = []
        self._idle_scale: list[list[float]] = []
        for i in range(n + 1):
            j = min(i, n - 1)
            load = []
            for k in range(K):
                if i == n:
                    load.append(0.0)
                    continue
                rate = scenario.rates_per_hour(k)[j] / 3600.0
                agents = sum(heads[g][j] for g in groups_of[k])
                offered = rate * mean_handle[k]
                if (profile := profiles[k]) is not None:  # handle times over the day (talk time)
                    offered *= profile[j]
                load.append(min(offered / agents, CLIP) if agents else (CLIP if offered else 0.0))
            on_duty = [heads[g][j] / peak[g] if peak[g] else 0.0 for g in range(G)]
            self._load.append(load)
            self._on_duty.append(on_duty)
            self._idle_scale.append([1.0 / heads[g][j] if heads[g][j] else 0.0 for g in range(G)])
        # v2's load_next/<type>: the next row (the drain's zeros after the last interval)
        self._load_next = [self._load[min(i + 1, n)] for i in range(n)] + [[0.0] * K]

    def tables(self) -> dict[str, np.ndarray]:
        """The precomputed scales as float64 arrays, for a compiled observer
        (:mod:`rlroute.envs.fast_observation`): ``qscale [K]``, ``wscale [K]``, and per
        interval (one more row for the drain) ``load [n+1, K]``, ``on_duty [n+1, G]``,
        ``idle_scale [n+1, G]``, ``load_next [n+1, K]``; ``consts = [horizon, interval_s,
        1 / horizon]``."""
        K, G = self.n_types, self.n_groups
        return {
            "qscale": np.array(self._qscale, dtype=float).reshape(K),
            "wscale": np.array([s for _, s in self._wscale], dtype=float).reshape(K),
            "load": np.array(self._load, dtype=float).reshape(-1, K),
            "on_duty": np.array(self._on_duty, dtype=float).reshape(-1, G),
            "idle_scale": np.array(self._idle_scale, dtype=float).reshape(-1, G),
            "load_next": np.array(self._load_next, dtype=float).reshape(-1, K),
            "consts": np.array([self.horizon, self._interval_s, self._inv_horizon]),
        }

    def __call__(self, sim: Simulator) -> np.ndarray:
        # The environment's hot path: C-level map() over short lists, conditional clips
        # instead of min(), the head-of-line call read directly when it is still waiting, and
        # a single array conversion at the end.
        now = sim.now
        if now < self.horizon:
            i = int(now // self._interval_s)  # exact floor: the simulator's own interval
            elapsed = now * self._inv_horizon
        else:  # the drain: no arrivals, last interval's staffing
            i = self.n_intervals
            elapsed = 1.0
        qlen, queues = sim.queue_len, sim.queues
        vals = [x if x < CLIP else CLIP for x in map(mul, qlen, self._qscale)]
        for k, s in self._wscale:
            if qlen[k]:
                call = queues[k][0]
                w = (now - (call.arrival if call.state == WAITING else sim.head_arrival(k))) * s
                vals.append(w if w < CLIP else CLIP)
            else:
                vals.append(0.0)
        vals += self._load[i]
        # <= 1 (agents beyond the schedule leave as soon as they are idle), but a day's
        # staffing factor (AgentGroup.staffing_day_factor) may put more on duty: clipped
        vals += [x if x < 1.0 else 1.0 for x in map(mul, sim.idle_count, self._idle_scale[i])]
        vals += self._on_duty[i]
        vals.append(elapsed)
        if self.wrap_up:
            vals += [
                x if x < 1.0 else 1.0 for x in map(mul, sim.wrap_up_count, self._idle_scale[i])
            ]
        if self.v2:
            vals += self._v2(sim, now, i)
        return np.array(vals, dtype=np.float32)

    def _v2(self, sim: Simulator, now: float, i: int) -> list[float]:
        """v2's entries (``late``, ``near_late``, ``wait2..4``, ``load_next``): one scan of
        each queue from the head, stopped once the first waits are known and a call waited
        less than ``NEAR`` of the target (the calls behind it arrived later)."""
        K = self.n_types
        late, near = [0.0] * K, [0.0] * K
        waits = [0.0] * (N_WAITS * K)
        qlen = sim.queue_len
        for k, s in self._wscale:
            if not qlen[k]:
                continue
            n_late = n_near = 0
            for pos, arrival in enumerate(waiting_arrivals(sim, k)):
                w = (now - arrival) * s
                if 1 <= pos <= N_WAITS:
                    waits[(pos - 1) * K + k] = w if w < CLIP else CLIP
                if w >= 1.0:
                    n_late += 1
                elif w >= NEAR:
                    n_near += 1
                elif pos >= N_WAITS:
                    break
            x = n_late * self._qscale[k]
            late[k] = x if x < CLIP else CLIP
            x = n_near * self._qscale[k]
            near[k] = x if x < CLIP else CLIP
        return late + near + waits + self._load_next[i]


_OBSERVERS: weakref.WeakKeyDictionary[Simulator, Observer] = weakref.WeakKeyDictionary()


def observe(sim: Simulator) -> np.ndarray:
    """The environment's observation of ``sim`` (any simulator, e.g. one a benchmark drives).

    The observer of each simulator is built on first use and cached while the simulator lives.
    """
    observer = _OBSERVERS.get(sim)
    if observer is None:
        observer = _OBSERVERS[sim] = Observer(sim.scenario)
    return observer(sim)


__all__ = [
    "CLIP",
    "NEAR",
    "N_WAITS",
    "VERSIONS",
    "Observer",
    "check_version",
    "observation_bounds",
    "observation_names",
    "observe",
    "waiting_arrivals",
]
