"""Helpers for calibration tests: hand-made canonical tables and the round-trip truth."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rlroute.data.schema import CANONICAL_COLUMNS, canonical_dtypes
from rlroute.distributions import Exponential, LogNormal
from rlroute.scenario import AgentGroup, CallType, Scenario, Skill

DAY = pd.Timestamp("1999-02-01")


def canonical(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A canonical frame from partial rows: ``clock_s`` (arrival, seconds after midnight of
    ``day``), ``wait_s``, ``outcome``, ``handle_s``, ``agent``... the rest filled in."""
    out = []
    for i, r in enumerate(rows):
        day = DAY + pd.Timedelta(days=r.get("day", 0))
        arrival = day + pd.Timedelta(seconds=r.get("clock_s", 36_000))
        wait = float(r.get("wait_s", 0.0))
        outcome = r.get("outcome", "answered")
        queued = wait > 0 or outcome == "abandoned"
        answered = outcome == "answered"
        handle = r.get("handle_s", 100.0) if answered else np.nan
        start = arrival + pd.Timedelta(seconds=wait) if answered else pd.NaT
        out.append(
            {
                "call_id": str(r.get("call_id", i)),
                "customer_id": r.get("customer_id", pd.NA),
                "priority": r.get("priority", 1),
                "call_type": r.get("call_type", "A"),
                "date": day,
                "arrival": arrival,
                "queue_entry": arrival if queued else pd.NaT,
                "queue_exit": arrival + pd.Timedelta(seconds=wait) if queued else pd.NaT,
                "wait_s": wait,
                "outcome": outcome,
                "service_start": start,
                "service_end": start + pd.Timedelta(seconds=handle)
                if answered and np.isfinite(handle)
                else pd.NaT,
                "handle_s": handle,
                "agent": r.get("agent", "ann" if answered else pd.NA),
                "day_type": r.get("day_type", "weekday"),
            }
        )
    return pd.DataFrame(out, columns=list(CANONICAL_COLUMNS)).astype(canonical_dtypes())


# The round-trip truth: two types, two groups with different skills, open 9:00-11:00 every
# day, then closed for an hour (no calls: days do not run into each other; the agents stay,
# so that they keep their identity from day to day as real agents do).
# Every (type, interval) expects >= 40 * 160 = 6400 calls, so a rate's standard error is
# <= 1.25% and the 5% tolerance is 4 standard errors.
N_DAYS = 40
INTERVALS = 4
CLOSED = [0.0, 0.0]
RATES_A = [320.0, 380.0, 400.0, 340.0]
RATES_B = [320.0, 360.0, 380.0, 320.0]
HEADS_MIX = [17, 19, 20, 18]
HEADS_B = [12, 13, 13, 12]
TRUTH = {
    ("A", "mix"): LogNormal(mu=4.8, sigma=0.7),
    ("B", "mix"): LogNormal(mu=5.0, sigma=0.6),
    ("B", "bonly"): LogNormal(mu=4.9, sigma=0.8),
}
PATIENCE = {"A": 150.0, "B": 240.0}


def truth_scenario(n_days: int = N_DAYS) -> Scenario:
    return Scenario(
        name="roundtrip_truth",
        interval_s=1800.0,
        n_intervals=(INTERVALS + len(CLOSED)) * n_days,
        intervals_per_day=INTERVALS + len(CLOSED),
        start_clock_s=9 * 3600.0,
        call_types=[
            CallType(
                name="A",
                arrival_rates_per_hour=(RATES_A + CLOSED) * n_days,
                patience=Exponential(mean_s=PATIENCE["A"]),
            ),
            CallType(
                name="B",
                arrival_rates_per_hour=(RATES_B + CLOSED) * n_days,
                patience=Exponential(mean_s=PATIENCE["B"]),
            ),
        ],
        agent_groups=[
            AgentGroup(
                name="mix",
                head_count=(HEADS_MIX + HEADS_MIX[-1:] * 2) * n_days,
                skills={t: Skill(handle_time=TRUTH[(t, "mix")]) for t in ("A", "B")},
            ),
            AgentGroup(
                name="bonly",
                head_count=(HEADS_B + HEADS_B[-1:] * 2) * n_days,
                skills={"B": Skill(handle_time=TRUTH[("B", "bonly")])},
            ),
        ],
    )
