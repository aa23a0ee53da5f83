"""First-call resolution, measured by repeat calls from the same customer.

Method. An answered call counts as *unresolved* when the same customer calls again (any
real call, whatever its type or outcome, that reaches the queue or hangs up in the VRU)
within ``window_hours`` (default 24 h) after the answered call's service ended (its arrival
if the end is unknown). First-call resolution of a (type, group) is the share of its answered
calls that are not followed by such a repeat. Only calls with a known customer are used:
``customer_id`` NA (in the Technion data, the ``customer_id`` 0 that the system logged for
unidentified callers) or ``"0"`` is left out, so the estimate speaks for identified
customers only.

Biases, stated: a repeat can be a new, unrelated need (FCR is under-estimated); a customer
who gives up and never calls back, or calls back after the window or through another
channel, looks resolved (over-estimated); answered calls in the last ``window_hours`` of the
data cannot show their repeat (right-censoring; they are left out when
``drop_censored=True``, the default).

The repeat *delay* (service end to next call) is returned too, so a Scenario may model
repeats explicitly (:class:`~rlroute.scenario.RepeatCalls`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rlroute.calibrate.common import CalibrationError

__all__ = ["ResolutionFit", "fit_resolution", "repeat_flags"]


def repeat_flags(frame: pd.DataFrame, window_hours: float = 24.0) -> pd.DataFrame:
    """Answered calls of identified customers with ``repeat`` (bool) and ``delay_s`` columns.

    ``frame`` is the canonical table, all outcomes (the next call can be any real call);
    phantom rows are ignored. ``delay_s`` is the time to the customer's next call (NaN if
    none). ``censored`` is True when the window reaches past the last arrival of the data.
    """
    if window_hours <= 0:
        raise CalibrationError(f"repeat window must be positive, got {window_hours} h")
    real = frame[frame["outcome"] != "phantom"]
    cust = real["customer_id"].astype("string")
    known = real[cust.notna() & (cust.str.strip() != "") & (cust.str.strip() != "0")]
    known = known.sort_values(["customer_id", "arrival"], kind="stable")
    cid = known["customer_id"].to_numpy(dtype=object)
    arrival = known["arrival"].to_numpy()
    same_next = np.zeros(len(known), dtype=bool)
    same_next[:-1] = cid[:-1] == cid[1:]
    next_arrival = np.empty(len(known), dtype="datetime64[ns]")
    next_arrival[:] = np.datetime64("NaT")
    next_arrival[:-1] = np.where(same_next[:-1], arrival[1:], np.datetime64("NaT"))
    out = known.assign(next_arrival=next_arrival)
    out = out[out["outcome"] == "answered"]
    end = out["service_end"].fillna(out["service_start"]).fillna(out["arrival"])
    delay = (out["next_arrival"] - end).dt.total_seconds()
    window = window_hours * 3600.0
    last = frame["arrival"].max()
    return out.assign(
        delay_s=delay.where(delay >= 0, 0.0).where(delay.notna()),
        repeat=(delay <= window).fillna(False).astype(bool),
        censored=((last - end).dt.total_seconds() < window).to_numpy(),
    )


@dataclass
class ResolutionFit:
    """First-call resolution per (type, group) and per type, with the repeat delays."""

    window_hours: float
    by_type_group: pd.DataFrame
    by_type: pd.DataFrame
    delays_s: dict[str, np.ndarray]

    def fcr(self, call_type: str, group: str, min_calls: int = 30) -> float | None:
        """FCR of the pair, or of the type when the pair has fewer than ``min_calls``;
        ``None`` when neither has enough calls."""
        t = self.by_type_group
        row = t[(t["call_type"] == call_type) & (t["group"] == group)]
        if len(row) and row["n"].iloc[0] >= min_calls:
            return float(row["fcr"].iloc[0])
        row = self.by_type[self.by_type["call_type"] == call_type]
        if len(row) and row["n"].iloc[0] >= min_calls:
            return float(row["fcr"].iloc[0])
        return None


def fit_resolution(
    frame: pd.DataFrame,
    agent_group: dict[str, str] | None = None,
    window_hours: float = 24.0,
    drop_censored: bool = True,
    type_column: str = "call_type",
    day_type: str | None = None,
) -> ResolutionFit:
    """FCR per (type, group) and per type; see the module docstring for the method.

    ``frame`` should hold every day of the data (a repeat may fall on another day type);
    ``day_type`` then selects the answered calls to measure. ``agent_group`` maps agents to
    groups (calls of unknown or unmapped agents get group NA and count only per type).
    """
    flags = repeat_flags(frame, window_hours)
    if day_type is not None:
        flags = flags[flags["day_type"] == day_type]
    if drop_censored:
        flags = flags[~flags["censored"]]
    if type_column != "call_type":
        flags = flags.assign(call_type=flags[type_column])
    groups = flags["agent"].astype("string").map(agent_group or {})
    flags = flags.assign(group=groups.astype("string"))

    def summarise(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        if df.empty:
            return pd.DataFrame(columns=[*keys, "n", "repeats", "fcr"])
        g = df.groupby(keys, observed=True)["repeat"].agg(n="size", repeats="sum")
        g = g.reset_index()
        g["fcr"] = 1.0 - g["repeats"] / g["n"]
        return g

    delays = {
        str(t): df.loc[df["repeat"], "delay_s"].to_numpy(dtype=float)
        for t, df in flags.groupby("call_type", observed=True)
    }
    return ResolutionFit(
        window_hours=window_hours,
        by_type_group=summarise(flags[flags["group"].notna()], ["call_type", "group"]),
        by_type=summarise(flags, ["call_type"]),
        delays_s=delays,
    )
