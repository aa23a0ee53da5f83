"""Consistency rules every canonical table obeys, and a checker for frames from elsewhere.

Both loaders end in :func:`finish`, so a CSV export and the Technion log pass the same gate:
no negative durations, no queue or service that ends before it starts, no duplicated rows.
:func:`check_canonical` lets code that receives a frame (calibration, tests) verify the
contract of :mod:`rlroute.data.schema` instead of trusting it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rlroute.data.calendar import Week, day_types
from rlroute.data.errors import CallRecordsError
from rlroute.data.report import RowLedger
from rlroute.data.schema import CANONICAL_COLUMNS, OUTCOMES, STRING_DTYPE, canonical_dtypes

__all__ = ["check_canonical", "finish", "require_canonical"]


def _before(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """True where both times are known and ``later`` is strictly before ``earlier``."""
    return (later < earlier).fillna(False).to_numpy(dtype=bool)


def finish(frame: pd.DataFrame, ledger: RowLedger, week: Week = "sun-thu") -> pd.DataFrame:
    """Apply the shared rules to a parsed table and return it in canonical form.

    ``frame`` holds every canonical column, already parsed (``day_type`` optional: missing
    values are derived from ``date``); ``ledger`` tracks its rows. Rows are dropped (and counted) for impossible values, ``day_type`` is
    added, dtypes are set, and rows are sorted by arrival.
    """
    ledger.drop(
        "wait_s: negative",
        "negative time in queue: dropped, no wait can be recovered",
        (frame["wait_s"] < 0).fillna(False).to_numpy(dtype=bool),
    )
    ledger.drop(
        "handle_s: negative",
        "negative handle time: dropped, no service time can be recovered",
        (frame["handle_s"] < 0).fillna(False).to_numpy(dtype=bool),
    )
    ledger.drop(
        "queue_exit: before queue_entry",
        "queue_exit earlier than queue_entry: dropped",
        _before(frame["queue_exit"], frame["queue_entry"]),
    )
    ledger.drop(
        "service_end: before service_start",
        "service_end earlier than service_start: dropped",
        _before(frame["service_end"], frame["service_start"]),
    )
    columns = [c for c in CANONICAL_COLUMNS if c != "day_type"]
    ledger.drop(
        "duplicate row",
        "row identical to an earlier row in every canonical column: dropped as a double record",
        frame.duplicated(subset=columns, keep="first").to_numpy(),
    )
    keep = ledger.compact()
    frame = frame.loc[keep]
    ledger.note(
        "call_id: duplicate",
        "call_id used by more than one (different) row: kept, ids are not unique",
        frame["call_id"].duplicated(keep=False).to_numpy(),
        always=False,
    )
    derived = day_types(frame["date"], week)
    if "day_type" in frame.columns:  # a source's own day types (holidays, ...) win
        derived = frame["day_type"].astype(STRING_DTYPE).fillna(derived)
    frame = frame.assign(day_type=derived)
    frame = frame[list(CANONICAL_COLUMNS)].astype(canonical_dtypes())
    frame = frame.sort_values(["arrival", "call_id"], kind="stable", ignore_index=True)
    counts = frame["outcome"].value_counts()
    ledger.report.outcomes = {o: int(counts.get(o, 0)) for o in OUTCOMES}
    ledger.report.rows_out = len(frame)
    ledger.report.check()
    return frame


def check_canonical(frame: pd.DataFrame) -> list[str]:
    """Every way ``frame`` departs from the canonical schema (an empty list if none)."""
    problems: list[str] = []
    missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    for column, dtype in canonical_dtypes().items():
        if column in frame.columns and frame[column].dtype != dtype:
            problems.append(f"column {column}: dtype {frame[column].dtype}, expected {dtype}")
    if problems:
        return problems
    for column in ("call_id", "call_type", "arrival", "outcome", "date", "day_type"):
        n = int(frame[column].isna().sum())
        if n:
            problems.append(f"column {column}: {n} missing values")
    if frame["wait_s"].isna().any():
        problems.append("column wait_s: missing values (0 means never queued)")
    for column in ("wait_s", "handle_s"):
        if (frame[column] < 0).any():
            problems.append(f"column {column}: negative values")
    if (frame["date"] != frame["date"].dt.normalize()).any():
        problems.append("column date: values not at midnight")
    return problems


def require_canonical(frame: pd.DataFrame, name: str = "frame") -> None:
    """Raise :class:`CallRecordsError` listing the problems if ``frame`` is not canonical."""
    problems = check_canonical(frame)
    if problems:
        raise CallRecordsError(f"{name} is not a canonical call table: " + "; ".join(problems))
