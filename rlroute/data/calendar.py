"""Day types for the bank's calendar: which days share an arrival pattern.

Calibration fits one arrival profile per day type, so the split must follow the business week
of the call center, not the Western one. The Anonymous Bank is Israeli: Sunday to Thursday are
working days, the bank is open briefly on Friday and again on Saturday night, so Friday and
Saturday are their own types.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import numpy as np
import pandas as pd

__all__ = ["DAY_TYPES", "Week", "day_type", "day_types"]

Week = Literal["sun-thu", "mon-fri"]
"""``sun-thu``: the Israeli week (weekday, friday, saturday); ``mon-fri``: the Western week
(weekday, saturday, sunday)."""

DAY_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "sun-thu": ("weekday", "friday", "saturday"),
    "mon-fri": ("weekday", "saturday", "sunday"),
}
"""The labels each week convention produces."""

# Labels indexed by pandas' day_of_week (Monday = 0 ... Sunday = 6).
_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "sun-thu": ("weekday",) * 4 + ("friday", "saturday", "weekday"),
    "mon-fri": ("weekday",) * 5 + ("saturday", "sunday"),
}


def _labels(week: str) -> tuple[str, ...]:
    try:
        return _LABELS[week]
    except KeyError:
        raise ValueError(f"unknown week {week!r}; expected one of {sorted(_LABELS)}") from None


def day_type(date: dt.date | dt.datetime | pd.Timestamp | str, week: Week = "sun-thu") -> str:
    """The day type of one date: ``weekday``, ``friday`` or ``saturday`` for the bank.

    >>> day_type("1999-02-05"), day_type("1999-02-06"), day_type("1999-02-07")
    ('friday', 'saturday', 'weekday')
    """
    return _labels(week)[pd.Timestamp(date).day_of_week]


def day_types(dates: pd.Series, week: Week = "sun-thu") -> pd.Series:
    """Vectorised :func:`day_type` for a datetime Series (NaT gives NA)."""
    labels = np.array((*_labels(week), ""), dtype=object)
    dow = pd.to_datetime(dates).dt.day_of_week.fillna(7).astype("int64").to_numpy()
    out = pd.Series(labels[dow], index=dates.index, dtype="string")
    return out.mask(out == "")
