"""The canonical call-record table: one row per call, the contract between data and calibration.

Every loader (:func:`rlroute.data.read_technion_log`, :func:`rlroute.data.read_call_records`)
returns this table, so calibration code is written once, whatever the source format.

============== ================== =========================================================
column         dtype              meaning
============== ================== =========================================================
call_id        string             unique id of the call. Technion log: ``<vru_line>-<call_id>``
                                  because call ids restart on each VRU line.
customer_id    string (NA)        caller id, for repeat-call studies; NA when unknown
                                  (Technion: ``customer_id`` 0 is the unidentified-caller bug).
priority       int64              source priority (Technion: 0, 1 regular, 2 high).
call_type      string             service type, the skill a router matches on
                                  (Technion ``type``: PS, PE, IN, NE, NW, TT).
date           datetime64[ns]     the day the call belongs to, at midnight (Technion: the
                                  ``date`` column, the day the call entered the VRU).
arrival        datetime64[ns]     when the caller becomes available to the queue and agents
                                  (Technion: ``vru_exit``). For ``vru_abandoned`` calls, the
                                  moment they left the VRU.
queue_entry    datetime64[ns]     joined the queue; NaT if never queued.
queue_exit     datetime64[ns]     left the queue (answered or hung up); NaT if never queued.
wait_s         float64            seconds in queue; 0 if never queued.
outcome        category           ``answered``: reached an agent; ``abandoned``: hung up
                                  while queued; ``vru_abandoned``: hung up in the VRU and
                                  never queued (not a queue abandonment); ``phantom``: a
                                  ghost record, not a real call.
service_start  datetime64[ns]     service began; NaT if not served.
service_end    datetime64[ns]     service ended; NaT if not served, and also for answered
                                  calls whose handle time is unknown.
handle_s       float64            seconds of service; NaN if not served or unknown (so a
                                  handle-time fit on ``dropna()`` never sees a bogus 0).
agent          string (NA)        the agent who served the call; NA if not served or unnamed.
day_type       string             calendar class of ``date`` (see :mod:`rlroute.data.calendar`):
                                  ``weekday``, ``friday``, ``saturday`` for the bank's
                                  Sunday-Thursday week.
============== ================== =========================================================

Rows are sorted by ``arrival`` (then ``call_id``) with a fresh ``RangeIndex``.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

__all__ = [
    "CANONICAL_COLUMNS",
    "COLUMN_KINDS",
    "DATETIME_COLUMNS",
    "OUTCOMES",
    "OUTCOME_DTYPE",
    "STRING_DTYPE",
    "canonical_dtypes",
    "empty_frame",
]

OUTCOMES: Final = ("answered", "abandoned", "vru_abandoned", "phantom")
"""Allowed values of ``outcome``, in this order as categories."""

OUTCOME_DTYPE: Final = pd.CategoricalDtype(list(OUTCOMES), ordered=False)

STRING_DTYPE: Final = pd.StringDtype()
"""Nullable string with ``pd.NA`` as missing value (not NaN), for id and label columns."""

DATETIME_DTYPE: Final = "datetime64[ns]"

COLUMN_KINDS: Final[dict[str, str]] = {
    "call_id": "string",
    "customer_id": "string",
    "priority": "int",
    "call_type": "string",
    "date": "datetime",
    "arrival": "datetime",
    "queue_entry": "datetime",
    "queue_exit": "datetime",
    "wait_s": "float",
    "outcome": "outcome",
    "service_start": "datetime",
    "service_end": "datetime",
    "handle_s": "float",
    "agent": "string",
    "day_type": "string",
}
"""Every canonical column, in order, with the kind of value it holds."""

CANONICAL_COLUMNS: Final = tuple(COLUMN_KINDS)

DATETIME_COLUMNS: Final = tuple(c for c, k in COLUMN_KINDS.items() if k == "datetime")

_KIND_DTYPES: Final = {
    "string": STRING_DTYPE,
    "int": "int64",
    "float": "float64",
    "datetime": DATETIME_DTYPE,
    "outcome": OUTCOME_DTYPE,
}


def canonical_dtypes() -> dict[str, object]:
    """The dtype of each canonical column, suitable for ``DataFrame.astype``."""
    return {c: _KIND_DTYPES[k] for c, k in COLUMN_KINDS.items()}


def empty_frame() -> pd.DataFrame:
    """A zero-row canonical frame, e.g. to concatenate onto."""
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in canonical_dtypes().items()})
