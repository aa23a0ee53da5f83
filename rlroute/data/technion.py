"""Adapter for the Technion SEE call-log format (the "Anonymous Bank" 1999 data).

The log is tab-separated with 17 columns::

    vru+line call_id customer_id priority type date vru_entry vru_exit vru_time
    q_start q_exit q_time outcome ser_start ser_exit ser_time server

Copies in circulation differ: the first header is spelled ``vru+line`` or ``vru.line``, some
(written by R) add a leading row-number column and a trailing ``day.of.week`` column, and some
are gzip-compressed. All of these load. Dates are ``YYMMDD`` (``990201`` is 1999-02-01) and
times ``H:MM:SS`` clock times, with ``0:00:00`` and a zero duration meaning "did not happen".

How each source row becomes a canonical row (:mod:`rlroute.data.schema`):

* ``arrival`` is ``vru_exit``: the caller is available to agents when the VRU lets go.
* queued when ``q_time > 0`` or ``q_start`` is not ``0:00:00``; then ``wait_s = q_time``.
* ``AGENT`` -> ``answered``; ``HANG`` -> ``abandoned`` if queued, else ``vru_abandoned``;
  ``PHANTOM`` -> ``phantom``.

The known defects, each counted in the :class:`~rlroute.data.report.CleaningReport` under the
reason named here, with the rule applied:

=========================== ======= =======================================================
reason                      action  rule
=========================== ======= =======================================================
no_server_agent             fixed   AGENT row with server NO_SERVER: kept as answered,
                                    ``agent`` set to NA.
zero_service_time           fixed   AGENT row with ``ser_time`` 0: kept as answered (its
                                    wait and outcome are real) but ``handle_s`` NaN and
                                    ``service_end`` NaT, so handle-time fits leave it out.
hang_with_service           fixed   HANG row with a service segment: kept as abandoned,
                                    service fields cleared (no agent, server NO_SERVER).
customer_id_zero            fixed   ``customer_id`` 0 (the bug logging unidentified callers
                                    as priority 0, id 0): set to NA, priority kept.
service_midnight            fixed   ``ser_exit`` before ``ser_start``: service crosses
                                    midnight, ``service_end`` moved one day on.
queue_midnight              fixed   ``q_exit`` before ``q_start``: ``queue_exit`` moved on.
stage_after_midnight        fixed   a stage starts over 12 h "before" the previous one
                                    (e.g. queued at 0:00:02 after leaving the VRU at
                                    23:59:56): it and the later stages moved one day on.
vru_midnight                fixed   ``vru_exit`` over 12 h before ``vru_entry``: arrival
                                    moved one day on.
negative_vru_time           noted   ``vru_time`` < 0: kept; ``vru_exit`` (the arrival)
                                    agrees with ``q_start``, only ``vru_entry`` is off and
                                    the VRU duration is not used.
phantom                     noted   PHANTOM record: kept as ``phantom`` with service fields
                                    cleared; not a real call, filter it out of fits.
zero_wait_abandon           noted   HANG that entered the queue with ``q_time`` 0: kept as
                                    abandoned with ``wait_s`` 0.
duration_mismatch           noted   ``q_time``/``ser_time`` differ from the clock times by
                                    over 1 s: kept, the recorded durations are used.
=========================== ======= =======================================================

Unparsable values (a time ``25:99:00``, a priority ``high``) drop the row under
``"<column>: <problem>"``; a file that is missing, empty, not tab-separated or lacks a column
raises :class:`~rlroute.data.errors.CallRecordsError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rlroute.data.errors import error, nothing_left
from rlroute.data.parse import Parsed, parse_clock, parse_int, parse_string, parse_yymmdd
from rlroute.data.records import CallRecords
from rlroute.data.report import CleaningReport, RowLedger
from rlroute.data.schema import STRING_DTYPE
from rlroute.data.textfile import RawTable, read_text, split_lines
from rlroute.data.validate import finish

__all__ = ["TECHNION_COLUMNS", "read_technion_log"]

TECHNION_COLUMNS: Final = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)
"""The 17 columns of the log, as spelled in the February 1999 file."""

_DAY: Final = 86_400.0
_HALF_DAY: Final = 43_200.0
_NO_SERVER: Final = "NO_SERVER"
_OUTCOMES: Final = {"AGENT": "answered", "HANG": "hang", "PHANTOM": "phantom"}


def _key(name: str) -> str:
    """Normalise a header spelling: ``vru+line``, ``vru.line``, ``"VRU.line"`` -> ``vru_line``."""
    return re.sub(r"[.+\s-]+", "_", name.strip().strip("\"'").strip().lower())


_KEYS: Final = {_key(c): c for c in TECHNION_COLUMNS}


def _table(path: Path, raw: RawTable) -> tuple[pd.DataFrame, RowLedger]:
    """Split the data lines into the 17 source columns (keyed by :func:`_key`)."""
    first = [(raw.header_number, raw.header)]
    if len(raw.numbers):
        first.append((int(raw.numbers[0]), str(raw.lines.iloc[0])))
    expected = ", ".join(TECHNION_COLUMNS)
    if "\t" not in raw.header:
        guess = next(
            (name for d, name in ((",", "comma"), (";", "semicolon")) if d in raw.header), None
        )
        looks = f"; it looks {guess}-separated" if guess else ""
        raise error(
            path,
            f"not a tab-separated Technion log: the header has no tab{looks}. "
            f"Expected tab-separated columns: {expected}",
            first,
        )
    names = [_key(n) for n in raw.header.split("\t")]
    missing = [c for c in TECHNION_COLUMNS if _key(c) not in names]
    if missing:
        found = ", ".join(n.strip() for n in raw.header.split("\t"))
        raise error(
            path,
            f"missing required column(s) {', '.join(missing)} (found: {found}). "
            "The header must name all 17 Technion columns ('vru+line' may be 'vru.line')",
            first,
        )
    if not len(raw.numbers):
        raise error(path, "has a header but no data rows", first)

    n_fields = (raw.lines.str.count("\t") + 1).to_numpy()
    width = len(names)
    counts = np.bincount(n_fields, minlength=width + 2)
    # R's write.table writes row names without a header cell: data lines are one wider.
    offset = 1 if counts[width + 1] > counts[width] else 0
    ledger = RowLedger(CleaningReport(source=path.name, rows_in=len(raw.lines)), raw.numbers)
    ledger.drop(
        "wrong number of fields",
        f"line without the {width + offset} tab-separated fields of the header: dropped",
        n_fields != width + offset,
    )
    keep = ledger.compact()
    if not keep.any():
        raise error(
            path,
            f"no line has the {width + offset} tab-separated fields the header names",
            first,
        )
    # Split in Arrow and take only the 17 needed fields: every kept line has the same width.
    split = pc.split_pattern(pa.array(raw.lines[keep], type=pa.large_string()), "\t")
    fields = pd.DataFrame(
        {
            _key(c): pd.Series(
                pc.list_element(split, offset + names.index(_key(c))), dtype=STRING_DTYPE
            )
            for c in TECHNION_COLUMNS
        }
    )
    # Quoted fields (R's default) are unquoted; the parsers strip whitespace.
    if raw.lines.str.contains('"', regex=False).any():
        fields = fields.apply(lambda s: s.str.replace(r'^\s*"(.*)"\s*$', r"\1", regex=True))
    return fields, ledger


_KINDS: Final = {
    "vru_line": "id",
    "call_id": "id",
    "customer_id": "text",
    "priority": "int",
    "type": "id",
    "date": "date",
    "vru_entry": "clock",
    "vru_exit": "clock",
    "vru_time": "int",
    "q_start": "clock?",
    "q_exit": "clock?",
    "q_time": "count",
    "outcome": "outcome",
    "ser_start": "clock?",
    "ser_exit": "clock?",
    "ser_time": "count",
    "server": "text",
}
"""How each source column is parsed; ``?`` marks clock times that may be blank."""

_PARSERS: Final = {
    "id": (parse_string, ""),
    "text": (parse_string, ""),
    "int": (parse_int, "integer"),
    "count": (parse_int, "integer"),
    "date": (parse_yymmdd, "date (YYMMDD)"),
    "clock": (parse_clock, "time (H:MM:SS)"),
    "clock?": (parse_clock, "time (H:MM:SS)"),
    "outcome": (None, "outcome (AGENT, HANG, PHANTOM)"),
}


def _parse_outcome(values: pd.Series) -> Parsed:
    """AGENT / HANG / PHANTOM (any case) to ``answered`` / ``hang`` / ``phantom``."""
    upper = values.str.strip().str.upper()
    out = upper.map(_OUTCOMES)
    missing = (upper == "").to_numpy()
    return Parsed(out, missing, ~missing & out.isna().to_numpy())


def _parse(fields: pd.DataFrame, ledger: RowLedger) -> dict[str, Parsed]:
    """Parse every source column, dropping (and counting) rows with unusable values.

    Columns are checked in file order, so a row with several problems is counted under the
    first one, and each dropped row is counted once.
    """
    out: dict[str, Parsed] = {}
    for key, kind in _KINDS.items():
        column = _KEYS[key]
        parser, noun = _PARSERS[kind]
        p = _parse_outcome(fields[key]) if parser is None else parser(fields[key])
        ledger.drop(
            f"{column}: unparsable {noun}", f"{column} is not a valid {noun}: dropped", p.bad
        )
        if kind not in ("text", "clock?"):
            ledger.drop(f"{column}: missing", f"{column} is blank: dropped", p.missing)
        if kind == "count":
            ledger.drop(
                f"{column}: negative",
                f"negative {column}: dropped, a negative duration is meaningless",
                (p.values < 0).fillna(False).to_numpy(dtype=bool),
            )
        out[key] = p
    return out


def _roll(
    times: np.ndarray, previous: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move clock times a day on where they fall over 12 h before the previous stage.

    ``times`` carry the day offset of ``previous`` already; a stage that really follows the
    previous one by less than 12 h cannot look 12 h earlier unless midnight passed.
    """
    with np.errstate(invalid="ignore"):
        rolled = active & (times < previous - _HALF_DAY)
    return np.where(rolled, times + _DAY, times), rolled


def _carry(raw: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """A clock time on the same day offset as ``previous`` (seconds since the call's date)."""
    return raw + np.floor(np.nan_to_num(previous, nan=0.0) / _DAY) * _DAY


_NUMERIC: Final = (
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "ser_start",
    "ser_exit",
    "ser_time",
)


@dataclass
class _Calls:
    """The surviving rows, as numpy arrays: clock times and durations in seconds, flags."""

    num: dict[str, np.ndarray]
    queued: np.ndarray
    agent_row: np.ndarray
    timed_service: np.ndarray
    hang: np.ndarray
    phantom: np.ndarray
    no_server: np.ndarray


@dataclass
class _Timeline:
    """Seconds since midnight of the call's ``date`` (over 86,400 after midnight); NaN = none."""

    arrival: np.ndarray
    q_in: np.ndarray
    q_out: np.ndarray
    s_in: np.ndarray
    s_out: np.ndarray


def _place_in_time(c: _Calls, ledger: RowLedger) -> _Timeline:
    """Turn clock times into a timeline, rolling stages over midnight, and count the rolls."""
    num = c.num
    arrival, vru_rolled = _roll(num["vru_exit"], num["vru_entry"], np.ones(len(c.hang), bool))
    q_in, stage_q = _roll(_carry(num["q_start"], arrival), arrival, c.queued)
    q_out, queue_rolled = _roll(_carry(num["q_exit"], q_in), q_in, c.queued)
    q_in, q_out = np.where(c.queued, q_in, np.nan), np.where(c.queued, q_out, np.nan)
    before = np.where(c.queued, q_out, arrival)
    # AGENT rows with ser_time 0 may still carry a real ser_start: keep it.
    with np.errstate(invalid="ignore"):
        started = c.timed_service | (c.agent_row & (num["ser_start"] > 0))
    s_in, stage_s = _roll(_carry(num["ser_start"], before), before, started)
    s_out, service_rolled = _roll(_carry(num["ser_exit"], s_in), s_in, c.timed_service)

    ledger.fix(
        "vru_midnight",
        "vru_exit more than 12 h before vru_entry (VRU crosses midnight): arrival moved one day on",
        vru_rolled,
    )
    ledger.fix(
        "queue_midnight",
        "q_exit before q_start (queue crosses midnight): queue_exit moved one day on",
        queue_rolled,
    )
    ledger.fix(
        "service_midnight",
        "ser_exit before ser_start (service crosses midnight): service_end moved one day on",
        service_rolled,
    )
    ledger.fix(
        "stage_after_midnight",
        "q_start or ser_start more than 12 h before the previous stage (it began after "
        "midnight): it and the later stages moved one day on",
        stage_q | stage_s,
    )
    return _Timeline(
        arrival=arrival,
        q_in=q_in,
        q_out=q_out,
        s_in=np.where(started, s_in, np.nan),
        s_out=np.where(c.timed_service, s_out, np.nan),
    )


def _count_defects(c: _Calls, t: _Timeline, ledger: RowLedger) -> None:
    """Count the known defects that do not move times (those are counted while placing them)."""
    num = c.num
    ledger.note(
        "negative_vru_time",
        "vru_time < 0 (vru_exit before vru_entry): kept; arrival is vru_exit, which agrees "
        "with q_start, and the VRU duration is not used",
        num["vru_time"] < 0,
    )
    ledger.fix(
        "no_server_agent",
        "AGENT row with server NO_SERVER (or blank): kept as answered, agent set to NA",
        c.agent_row & c.no_server,
    )
    ledger.fix(
        "zero_service_time",
        "AGENT row with ser_time 0: kept as answered (wait and outcome count) with handle_s "
        "NaN and service_end NaT, so it is left out of handle-time fitting",
        c.agent_row & ~c.timed_service,
    )
    ledger.fix(
        "hang_with_service",
        "HANG row with a service segment (ser_time > 0): kept as abandoned (or vru_abandoned "
        "if never queued) with service fields cleared; server is NO_SERVER, no agent took it",
        c.hang & ((num["ser_time"] > 0) | (num["ser_start"] > 0) | ~c.no_server),
    )
    ledger.note(
        "phantom",
        "PHANTOM record: kept with outcome phantom and service fields cleared; not a real "
        "call, leave it out of arrival and KPI fits",
        c.phantom,
    )
    ledger.note(
        "zero_wait_abandon",
        "HANG that entered the queue with q_time 0: kept as abandoned with wait_s 0",
        c.hang & c.queued & (num["q_time"] == 0),
    )
    with np.errstate(invalid="ignore"):
        mismatch = (np.abs(t.q_out - t.q_in - num["q_time"]) > 1) | (
            np.abs(t.s_out - t.s_in - num["ser_time"]) > 1
        )
    ledger.note(
        "duration_mismatch",
        "q_time or ser_time differs from its clock times by more than 1 s: kept, the recorded "
        "durations are used",
        mismatch,
    )


def read_technion_log(path: str | Path) -> CallRecords:
    """Load a Technion SEE call log (plain or gzip) into canonical, cleaned call records.

    Every row of the file is accounted for in ``records.report``: kept, kept with a counted
    fix, or dropped under a reason naming the column. See the module docstring for the rules.

    Raises:
        CallRecordsError: the file is missing, empty, not tab-separated, lacks a required
            column, or no row survives; the message names the file and shows a line.
    """
    path = Path(path)
    raw = split_lines(read_text(path))
    fields, ledger = _table(path, raw)
    p = _parse(fields, ledger)

    # Queued and served calls need their clock times; blank ones cannot be placed in time.
    with np.errstate(invalid="ignore"):
        queued = (p["q_time"].values.to_numpy(float) > 0) | (p["q_start"].values.to_numpy() > 0)
        agent_row = (p["outcome"].values == "answered").fillna(False).to_numpy(dtype=bool)
        timed_service = agent_row & (p["ser_time"].values.to_numpy(float) > 0)
    for key, needed in (
        ("q_start", queued),
        ("q_exit", queued),
        ("ser_start", timed_service),
        ("ser_exit", timed_service),
    ):
        column = _KEYS[key]
        ledger.drop(
            f"{column}: missing",
            f"{column} is blank on a row that needs it: dropped",
            needed & p[key].missing,
        )

    keep = ledger.compact()
    if not keep.any():
        first = next(r for r in ledger.report.reasons if r.action == "dropped" and r.count)
        n = first.examples[0]
        line = str(raw.lines.iloc[int(np.searchsorted(raw.numbers, n))])
        raise nothing_left(path, ledger.report, [(raw.header_number, raw.header), (n, line)])

    sel = {k: v.values[keep].reset_index(drop=True) for k, v in p.items()}
    outcome = sel["outcome"].to_numpy(dtype=object)
    calls = _Calls(
        num={k: sel[k].to_numpy(dtype=float) for k in _NUMERIC},
        queued=queued[keep],
        agent_row=agent_row[keep],
        timed_service=timed_service[keep],
        hang=outcome == "hang",
        phantom=outcome == "phantom",
        no_server=sel["server"].eq(_NO_SERVER).fillna(True).to_numpy(dtype=bool),
    )
    times = _place_in_time(calls, ledger)
    _count_defects(calls, times, ledger)
    zero_id = sel["customer_id"].eq("0").fillna(False).to_numpy(dtype=bool)
    ledger.fix(
        "customer_id_zero",
        "customer_id 0 (the system bug that logs unidentified callers as priority 0 with id 0): "
        "set to NA, priority kept",
        zero_id,
    )

    base = sel["date"].to_numpy(dtype="datetime64[ns]")

    def stamp(seconds: np.ndarray) -> np.ndarray:
        return base + pd.to_timedelta(seconds, unit="s").to_numpy()

    served = calls.agent_row
    frame = pd.DataFrame(
        {
            "call_id": sel["vru_line"] + "-" + sel["call_id"],
            "customer_id": sel["customer_id"].mask(zero_id),
            "priority": sel["priority"].astype("int64"),
            "call_type": sel["type"],
            "date": sel["date"],
            "arrival": stamp(times.arrival),
            "queue_entry": stamp(times.q_in),
            "queue_exit": stamp(times.q_out),
            "wait_s": np.where(calls.queued, calls.num["q_time"], 0.0),
            "outcome": np.where(
                calls.hang, np.where(calls.queued, "abandoned", "vru_abandoned"), outcome
            ),
            "service_start": stamp(np.where(served, times.s_in, np.nan)),
            "service_end": stamp(np.where(served, times.s_out, np.nan)),
            "handle_s": np.where(calls.timed_service, calls.num["ser_time"], np.nan),
            "agent": sel["server"].mask(~served | calls.no_server),
        }
    )
    frame = finish(frame, ledger)
    return CallRecords(frame=frame, report=ledger.report, source=path.name)
