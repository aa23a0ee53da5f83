"""The call records a calibration (or a backtest) reads: the shipped log, a Technion log, or
CSV/Parquet records with a column mapping, chosen by one small settings mapping.

``load_records({"path": None})`` is the shipped Anonymous Bank log;
``load_records({"path": "calls.csv", "format": "csv", "columns": {"start": "arrival"}})``
reads your own export (``columns``: source column -> canonical column). Shared by
``rlroute-calibrate`` (its ``data`` settings) and ``python -m rlroute.bench.backtest``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from rlroute.calibrate.common import CalibrationError
from rlroute.data import CallRecords, read_call_records, read_technion_log
from rlroute.data.calendar import Week

__all__ = ["load_records"]


def load_records(data: dict[str, Any]) -> CallRecords:
    """Read the configured input: the shipped log, a Technion log, or CSV/Parquet records."""
    fmt = str(data.get("format", "technion")).lower()
    # An unknown week is refused where it is used (rlroute.data.calendar: a ValueError).
    week = cast(Week, data.get("week") or "sun-thu")
    path = data.get("path")
    if path is None:
        if fmt != "technion":
            raise CalibrationError(f"data.format={fmt} needs data.path (a file to read)")
        from rlroute.datasets import load_anonymous_bank

        return load_anonymous_bank()
    if fmt == "technion":
        return read_technion_log(path)
    if fmt in ("csv", "parquet"):
        if fmt == "parquet" and Path(path).suffix.lower() not in (".parquet", ".pq"):
            raise CalibrationError(
                f"data.format=parquet but {path} does not end in .parquet or .pq"
            )
        return read_call_records(
            path,
            columns=data.get("columns") or None,
            datetime_format=data.get("datetime_format"),
            sep=data.get("sep"),
            week=week,
        )
    raise CalibrationError(f"data.format must be technion, csv or parquet; got {fmt!r}")
