"""The one exception bad call-record input raises, and how its message shows the evidence.

A user handed a broken file needs three things to fix it: which file, which column, and a
line to look at. Every loader in :mod:`rlroute.data` raises :class:`CallRecordsError` with
exactly that, instead of letting a pandas or gzip traceback escape.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rlroute.data.report import CleaningReport

__all__ = ["CallRecordsError", "error", "nothing_left", "show_line"]

_MAX_SHOWN = 160


class CallRecordsError(ValueError):
    """A call-record file cannot be used: missing, empty, wrong format or missing columns.

    The message names the file, the column(s) concerned and, when the file has lines, shows
    one (``line N`` counts the header as line 1).
    """


def show_line(number: int, text: str) -> str:
    """Format one source line for an error message: tabs made visible, long lines cut."""
    shown = text.rstrip("\r\n").replace("\t", " <TAB> ")
    if len(shown) > _MAX_SHOWN:
        shown = shown[:_MAX_SHOWN] + " ..."
    return f"line {number}: {shown}"


def error(
    path: str | Path, problem: str, lines: Sequence[tuple[int, str]] = ()
) -> CallRecordsError:
    """Build a :class:`CallRecordsError` ``"<file>: <problem>"`` followed by example lines."""
    parts = [f"{path}: {problem}"]
    parts += ["  " + show_line(n, t) for n, t in lines]
    return CallRecordsError("\n".join(parts))


def nothing_left(
    path: str | Path, report: CleaningReport, lines: Sequence[tuple[int, str]] = ()
) -> CallRecordsError:
    """The error for a file whose every row was dropped, with the main reasons and a line."""
    worst = sorted(report.reasons, key=lambda r: -r.count)[:3]
    why = "; ".join(
        f"{r.reason}: {r.count} row(s), e.g. {report.example_unit} "
        + ", ".join(map(str, r.examples))
        for r in worst
    )
    return error(path, f"no usable row among {report.rows_in} ({why})", lines)
