"""``CallRecords``: a canonical call table together with the report of how it was cleaned.

The frame and its cleaning report travel together so that whatever is fitted on the frame can
always say which rows it left out and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rlroute.data.report import CleaningReport

__all__ = ["CallRecords"]


@dataclass
class CallRecords:
    """Cleaned call records.

    Attributes:
        frame: the canonical table (see :mod:`rlroute.data.schema`), one row per call.
        report: every row dropped or changed on the way, per reason.
        source: where the records came from (a file name).
    """

    frame: pd.DataFrame
    report: CleaningReport
    source: str

    def __len__(self) -> int:
        return len(self.frame)

    def real_calls(self) -> pd.DataFrame:
        """The frame without ``phantom`` records, the rows that are actual calls."""
        return self.frame[self.frame["outcome"] != "phantom"]
