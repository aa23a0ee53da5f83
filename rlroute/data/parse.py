"""Vectorised parsers for call-record columns that say which values were missing or bad.

A loader must tell a blank cell (allowed in some columns) from garbage (the row is dropped and
counted), for a whole column at once: a 33k-row log must load in about a second, so nothing
here loops over rows in Python. Each parser returns a :class:`Parsed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rlroute.data.schema import OUTCOMES, STRING_DTYPE

__all__ = [
    "Parsed",
    "blank",
    "parse_clock",
    "parse_datetime",
    "parse_float",
    "parse_int",
    "parse_outcome",
    "parse_string",
    "parse_yymmdd",
]

_CLOCK = r"^(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})$"


@dataclass
class Parsed:
    """A parsed column: ``values`` plus where the input was blank and where it was unusable."""

    values: pd.Series
    missing: npt.NDArray[np.bool_]
    bad: npt.NDArray[np.bool_]


def _as_text(values: pd.Series) -> pd.Series:
    """Stripped text with blanks as empty strings, whatever the input dtype."""
    text = values.astype(STRING_DTYPE).str.strip()
    return text.fillna("")


def blank(values: pd.Series) -> npt.NDArray[np.bool_]:
    """True where a cell is missing or only whitespace."""
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        return (_as_text(values) == "").to_numpy()
    return values.isna().to_numpy()


def parse_string(values: pd.Series) -> Parsed:
    """Nullable strings, stripped; blank becomes NA. Never bad."""
    text = _as_text(values)
    missing = (text == "").to_numpy()
    out = text.mask(missing).astype(STRING_DTYPE)
    return Parsed(out, missing, np.zeros(len(values), dtype=bool))


def parse_int(values: pd.Series) -> Parsed:
    """Integers (``int64`` where valid, NaN elsewhere); non-integral numbers are bad."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.astype("float64")
        missing = num.isna().to_numpy()
    else:
        text = _as_text(values)
        missing = (text == "").to_numpy()
        num = pd.to_numeric(text.mask(missing), errors="coerce").astype("float64")
    arr = num.to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~missing & (np.isnan(arr) | (np.round(arr) != arr))
    return Parsed(num.where(~bad), missing, bad)


def parse_float(values: pd.Series) -> Parsed:
    """Floats; text that is not a number is bad."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.astype("float64")
        missing = num.isna().to_numpy()
        return Parsed(num, missing, np.zeros(len(values), dtype=bool))
    text = _as_text(values)
    missing = (text == "").to_numpy()
    num = pd.to_numeric(text.mask(missing), errors="coerce").astype("float64")
    bad = ~missing & num.isna().to_numpy()
    return Parsed(num, missing, bad)


def parse_clock(values: pd.Series) -> Parsed:
    """``H:MM:SS`` time of day as float seconds since midnight; ``25:99:00`` is bad.

    Parsed with a strict pattern, not ``pd.to_timedelta``, which would happily read
    ``25:99:00`` as a duration of 26 h 39 min. The regex runs in Arrow (pandas' own
    ``str.extract`` loops in Python, several times slower on a month of calls).
    """
    text = _as_text(values)
    missing = (text == "").to_numpy()
    parts = pc.extract_regex(pa.array(text, type=pa.large_string()), _CLOCK)
    h, m, s = (
        pc.cast(pc.struct_field(parts, name), pa.float64()).to_numpy(zero_copy_only=False)
        for name in ("h", "m", "s")
    )
    with np.errstate(invalid="ignore"):
        ok = (h < 24) & (m < 60) & (s < 60)
    seconds = np.where(ok, h * 3600.0 + m * 60.0 + s, np.nan)
    return Parsed(pd.Series(seconds, index=values.index), missing, ~missing & ~ok)


def parse_yymmdd(values: pd.Series) -> Parsed:
    """Technion dates ``YYMMDD`` (``990201`` is 1999-02-01); ``YYYYMMDD`` is accepted too.

    Two-digit years follow the POSIX pivot: 69-99 are 19xx, 00-68 are 20xx.
    """
    text = _as_text(values)
    missing = (text == "").to_numpy()
    short = pd.to_datetime(text.where(text.str.len() == 6), format="%y%m%d", errors="coerce")
    long = pd.to_datetime(text.where(text.str.len() == 8), format="%Y%m%d", errors="coerce")
    out = short.fillna(long).astype("datetime64[ns]")
    return Parsed(out, missing, ~missing & out.isna().to_numpy())


def parse_datetime(values: pd.Series, fmt: str | None = None) -> Parsed:
    """Datetimes as naive ``datetime64[ns]``.

    Text is parsed with ``fmt`` (a ``strftime`` pattern, or ``"mixed"``), by default ISO 8601,
    the format :func:`rlroute.data.write_call_records` writes. Time-zone-aware input keeps its
    local wall-clock time and loses the zone, since call-center schedules are local.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.astype("datetime64[ns]")
        missing = out.isna().to_numpy()
        return Parsed(out, missing, np.zeros(len(values), dtype=bool))
    text = _as_text(values)
    missing = (text == "").to_numpy()
    try:
        out = pd.to_datetime(text.mask(missing), format=fmt or "ISO8601", errors="coerce")
    except (ValueError, TypeError):
        # A format pandas cannot use at all (mixed time zones, ...): every value is bad.
        out = pd.Series(pd.NaT, index=values.index)
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_localize(None)
    out = out.astype("datetime64[ns]")
    return Parsed(out, missing, ~missing & out.isna().to_numpy())


def parse_outcome(values: pd.Series) -> Parsed:
    """Canonical outcomes, case-insensitive; any other value is bad."""
    text = _as_text(values).str.lower()
    missing = (text == "").to_numpy()
    bad = ~missing & ~text.isin(OUTCOMES).to_numpy()
    return Parsed(text.mask(missing | bad), missing, bad)
