"""Loading and saving call records already in (or mappable to) the canonical schema.

For data that is not a Technion log: a CSV or Parquet export from any call-center system,
with its own column names mapped onto the canonical ones. Values are parsed column by column
(vectorised), rows with unusable values are dropped and counted, and the same consistency
rules as for the Technion log apply (:func:`rlroute.data.validate.finish`).

Required columns (after mapping): ``call_id``, ``call_type``, ``arrival``, ``outcome``, plus
either ``wait_s`` or both ``queue_entry`` and ``queue_exit``, and either ``handle_s`` or both
``service_start`` and ``service_end``. Other canonical columns are optional:

* ``customer_id``, ``agent``: NA; ``priority``: 0 (a blank priority too, counted).
* ``date``: the day of ``arrival`` (a given date is cut to midnight).
* ``wait_s``: ``queue_exit - queue_entry`` where both are known, else 0 (never queued).
* ``handle_s``: ``service_end - service_start`` where both are known, else NaN.
* ``day_type``: from ``date`` and the ``week`` convention (a given value is kept).

Source columns that are not mapped and not canonical are ignored. Line numbers in reports
and errors assume one record per line (no line breaks inside quoted fields).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from rlroute.data.calendar import Week
from rlroute.data.errors import CallRecordsError, error, nothing_left
from rlroute.data.parse import (
    Parsed,
    parse_datetime,
    parse_float,
    parse_int,
    parse_outcome,
    parse_string,
)
from rlroute.data.records import CallRecords
from rlroute.data.report import CleaningReport, RowLedger
from rlroute.data.schema import CANONICAL_COLUMNS, COLUMN_KINDS, OUTCOMES, STRING_DTYPE
from rlroute.data.textfile import read_text
from rlroute.data.validate import finish, require_canonical

__all__ = ["read_call_records", "write_call_records"]

_REQUIRED: Final = ("call_id", "call_type", "arrival", "outcome")
_PARQUET: Final = (".parquet", ".pq")
_TAB: Final = (".tsv", ".tab", ".txt")
_NOUNS: Final = {
    "string": "text",
    "int": "integer",
    "float": "number",
    "datetime": "datetime",
    "outcome": f"outcome ({', '.join(OUTCOMES)})",
}


def _suffix(path: Path) -> str:
    """The format suffix, looking through a trailing ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


_Source = tuple[pd.DataFrame, np.ndarray, str, list[tuple[int, str]], Callable[[int], str]]
"""table, row numbers, their unit, the first lines to show, and a way to show row ``n``."""


def _read_parquet(path: Path) -> _Source:
    if not path.exists():
        raise error(path, "file not found")
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise error(path, f"cannot be read as Parquet ({type(exc).__name__}: {exc})") from None
    if table.empty:
        raise error(path, f"has no data rows (columns: {', '.join(map(str, table.columns))})")

    def show(n: int) -> str:
        return "\t".join(f"{k}={v}" for k, v in table.iloc[n - 1].items())

    return table, np.arange(1, len(table) + 1), "row", [(1, show(1))], show


def _read_text(path: Path, sep: str | None) -> _Source:
    text = read_text(path)
    sep = sep or ("\t" if _suffix(path) in _TAB else ",")
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise error(path, f"cannot be parsed as {sep!r}-separated text: {exc}") from None
    source_lines = text.splitlines()
    example = list(enumerate(source_lines[:2], start=1))

    def show(n: int) -> str:
        return source_lines[n - 1] if n <= len(source_lines) else ""

    # Rows are numbered as lines in the file (header = line 1); blank lines are not rows.
    numbers = np.arange(2, len(table) + 2)
    filled = ~(table == "").all(axis=1).to_numpy()
    if not filled.any():
        raise error(path, "has a header but no data rows", example)
    return table[filled].reset_index(drop=True), numbers[filled], "line", example, show


def _parse_column(kind: str, values: pd.Series, datetime_format: str | None) -> Parsed:
    if kind == "string":
        return parse_string(values)
    if kind == "int":
        return parse_int(values)
    if kind == "float":
        return parse_float(values)
    if kind == "outcome":
        return parse_outcome(values)
    return parse_datetime(values, datetime_format)


def _seconds(end: pd.Series, start: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds()


def read_call_records(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    datetime_format: str | None = None,
    *,
    sep: str | None = None,
    week: Week = "sun-thu",
) -> CallRecords:
    """Load call records from CSV (plain or gzip) or Parquet into the canonical schema.

    Args:
        path: ``.parquet``/``.pq`` is read as Parquet; anything else as delimited text.
        columns: source column name -> canonical column name, for files that use their own
            names (e.g. ``{"start_time": "arrival", "skill": "call_type"}``).
        datetime_format: ``strftime`` pattern (or ``"mixed"``) of the datetime columns in a
            text file; by default ISO 8601, as :func:`write_call_records` writes.
        sep: field delimiter; by default tab for ``.tsv``/``.tab``/``.txt``, else comma.
        week: how ``day_type`` is derived (see :mod:`rlroute.data.calendar`).

    Raises:
        CallRecordsError: the file is missing, empty, unparsable, lacks a required column,
            or no row survives cleaning. The message names the file and the column(s).
    """
    path = Path(path)
    if _suffix(path) in _PARQUET:
        table, numbers, unit, example, show = _read_parquet(path)
    else:
        table, numbers, unit, example, show = _read_text(path, sep)
    table.columns = [str(c).strip() for c in table.columns]

    mapping = dict(columns or {})
    unknown_targets = sorted(set(mapping.values()) - set(CANONICAL_COLUMNS))
    if unknown_targets:
        raise CallRecordsError(
            f"{path}: column mapping targets {', '.join(unknown_targets)} are not canonical "
            f"columns ({', '.join(CANONICAL_COLUMNS)})"
        )
    absent = [s for s in mapping if s not in table.columns]
    if absent:
        raise error(
            path,
            f"mapped column(s) {', '.join(absent)} not in the file "
            f"(found: {', '.join(table.columns)})",
            example,
        )
    # Which file column feeds each canonical column (mapped names win over same-named ones).
    source = {c: c for c in table.columns if c in COLUMN_KINDS}
    source.update({canon: src for src, canon in mapping.items()})

    missing = [c for c in _REQUIRED if c not in source]
    if "wait_s" not in source and not {"queue_entry", "queue_exit"} <= source.keys():
        missing.append("wait_s (or queue_entry and queue_exit)")
    if "handle_s" not in source and not {"service_start", "service_end"} <= source.keys():
        missing.append("handle_s (or service_start and service_end)")
    if missing:
        hint = "" if mapping else "; map your names with columns={'your_name': 'canonical'}"
        raise error(
            path,
            f"missing required column(s) {', '.join(missing)} "
            f"(found: {', '.join(table.columns)}){hint}",
            example,
        )

    report = CleaningReport(source=path.name, rows_in=len(table), example_unit=unit)
    ledger = RowLedger(report, numbers)
    parsed: dict[str, Parsed] = {}
    for canon, kind in COLUMN_KINDS.items():
        if canon not in source:
            continue
        name = source[canon] if source[canon] == canon else f"{source[canon]} ({canon})"
        p = _parse_column(kind, table[source[canon]], datetime_format)
        noun = _NOUNS[kind]
        ledger.drop(f"{name}: unparsable {kind}", f"{name} is not a valid {noun}: dropped", p.bad)
        if canon in _REQUIRED:
            ledger.drop(f"{name}: missing", f"{name} is blank: dropped", p.missing)
        parsed[canon] = p

    keep = ledger.compact()
    if not keep.any():
        first = next(r for r in report.reasons if r.action == "dropped" and r.count).examples[0]
        raise nothing_left(path, report, [*example[:1], (first, show(first))])
    values = {c: p.values[keep].reset_index(drop=True) for c, p in parsed.items()}
    n = int(keep.sum())

    def get(column: str, default: object) -> pd.Series:
        if column in values:
            return values[column]
        return pd.Series([default] * n, dtype=_default_dtype(column))

    frame = pd.DataFrame({c: get(c, None) for c in CANONICAL_COLUMNS if c != "day_type"})
    if "priority" in values:
        ledger.fix(
            "priority: missing",
            "blank priority: set to 0",
            frame["priority"].isna().to_numpy(),
            always=False,
        )
    frame["priority"] = frame["priority"].fillna(0)
    frame["date"] = frame["date"].fillna(frame["arrival"]).dt.normalize()
    derived_wait = _seconds(frame["queue_exit"], frame["queue_entry"])
    if "wait_s" in values:
        blank = frame["wait_s"].isna().to_numpy()
        ledger.fix(
            "wait_s: missing",
            "blank wait_s: set to queue_exit - queue_entry, or 0 (never queued) without them",
            blank,
            always=False,
        )
    frame["wait_s"] = frame["wait_s"].fillna(derived_wait).fillna(0.0)
    frame["handle_s"] = frame["handle_s"].fillna(
        _seconds(frame["service_end"], frame["service_start"])
    )
    if "day_type" in values:
        frame["day_type"] = values["day_type"]
    frame = finish(frame, ledger, week)
    return CallRecords(frame=frame, report=report, source=path.name)


def _default_dtype(column: str) -> object:
    kind = COLUMN_KINDS[column]
    return {
        "string": STRING_DTYPE,
        "int": "float64",
        "float": "float64",
        "datetime": "datetime64[ns]",
        "outcome": "object",
    }[kind]


def write_call_records(records: CallRecords | pd.DataFrame, path: str | Path) -> Path:
    """Save a canonical table as Parquet (``.parquet``/``.pq``) or CSV (``.gz`` compresses).

    CSV datetimes are written as pandas prints them (ISO 8601, sub-seconds only when present),
    which :func:`read_call_records` reads back with no arguments; Parquet keeps the dtypes.
    """
    frame = records.frame if isinstance(records, CallRecords) else records
    require_canonical(frame)
    path = Path(path)
    if _suffix(path) in _PARQUET:
        frame.to_parquet(path, index=False)
    else:
        sep = "\t" if _suffix(path) in _TAB else ","
        frame.to_csv(path, index=False, sep=sep)
    return path
