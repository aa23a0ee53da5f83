"""rlroute.datasets: real call-center data shipped with the package, loadable offline.

The Technion SEE "Anonymous Bank" data (an Israeli bank's call center, 1999; Brown et al.
2005, JASA 100(469)) ships gzip-compressed inside the package, so calibration examples,
scenarios and tests work from a plain install with no network. See ``README.md`` here for
the attribution, the files and their known defects.

>>> records = load_anonymous_bank()
>>> records.report.rows_in
33344
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import functools
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Final

import pandas as pd

from rlroute.data import CallRecords, day_types, read_technion_log

__all__ = [
    "ANONYMOUS_BANK_COUNTS_FILE",
    "ANONYMOUS_BANK_FILE",
    "anonymous_bank_counts_path",
    "anonymous_bank_path",
    "load_anonymous_bank",
    "load_anonymous_bank_counts",
]

ANONYMOUS_BANK_FILE: Final = "anonymous_bank_february_1999.txt.gz"
ANONYMOUS_BANK_COUNTS_FILE: Final = "anonymous_bank_1999_6min_counts.csv.gz"

# Resources inside a zip are extracted once per process and kept until exit.
_files = ExitStack()
atexit.register(_files.close)


@functools.cache
def _path(name: str) -> Path:
    resource = resources.files(__name__).joinpath(name)
    return Path(_files.enter_context(resources.as_file(resource)))


def anonymous_bank_path() -> Path:
    """Path of the shipped February 1999 call log (Technion format, gzip)."""
    return _path(ANONYMOUS_BANK_FILE)


def anonymous_bank_counts_path() -> Path:
    """Path of the shipped 1999 6-minute arrival counts (CSV, gzip)."""
    return _path(ANONYMOUS_BANK_COUNTS_FILE)


@functools.cache
def _load_anonymous_bank() -> CallRecords:
    return read_technion_log(anonymous_bank_path())


def load_anonymous_bank() -> CallRecords:
    """The February 1999 call log, cleaned into canonical call records (33,344 rows).

    Parsed once per process; each call returns its own copy, so callers may modify it.
    See :mod:`rlroute.data.technion` for the cleaning rules and ``records.report`` for counts.
    """
    cached = _load_anonymous_bank()
    return dataclasses.replace(
        cached, frame=cached.frame.copy(), report=copy.deepcopy(cached.report)
    )


def load_anonymous_bank_counts() -> pd.DataFrame:
    """Calls per 6-minute slot for every day of 1999 (365 days x 240 slots).

    Columns as in the source: ``date`` (datetime64, midnight), ``u`` (slot 1..240),
    ``interval_start_min`` (0..1434), ``calls`` (float: some counts are x.5, and two January
    days were filled in by the source, so treat them as approximate), ``Day``, ``Month``;
    plus ``day_type`` (Israeli week, see :func:`rlroute.data.day_type`). For February the
    daily totals equal the number of records per date in the call log, phantoms included.
    """
    counts = pd.read_csv(anonymous_bank_counts_path(), parse_dates=["date"])
    counts["date"] = counts["date"].astype("datetime64[ns]")
    counts["day_type"] = day_types(counts["date"])
    return counts
