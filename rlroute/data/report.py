"""The cleaning report: every row a loader dropped or changed, counted per reason, with its rule.

Real call logs have defects, and a calibration is only as honest as the rows it was fitted on.
So loaders never drop or alter a row without saying so: each reason carries the rule applied,
the number of rows it touched and up to five example line numbers, and the arithmetic
``rows_in == rows_out + rows dropped`` is checked before a report is handed out.

Actions:

* ``dropped``: the row is not in the output (each dropped row is counted under exactly one
  reason, the first that applied).
* ``fixed``: the row is kept with a value changed (a row can be fixed for several reasons).
* ``noted``: the row is kept unchanged; the count is there so that nobody is surprised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["Action", "CleaningReport", "ReasonCount", "RowLedger"]

Action = Literal["dropped", "fixed", "noted"]


@dataclass
class ReasonCount:
    """One cleaning reason: what was done, the rule, how many rows, a few example lines."""

    reason: str
    action: Action
    rule: str
    count: int = 0
    examples: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain-type dict (JSON/YAML friendly)."""
        return {
            "reason": self.reason,
            "action": self.action,
            "rule": self.rule,
            "count": self.count,
            "examples": list(self.examples),
        }


@dataclass
class CleaningReport:
    """What a loader did to a file, reason by reason.

    ``example_unit`` says what the example numbers are: ``line`` for text files (1-based,
    the header is line 1) or ``row`` for Parquet (1-based data row).
    """

    source: str
    rows_in: int = 0
    rows_out: int = 0
    reasons: list[ReasonCount] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    example_unit: str = "line"

    MAX_EXAMPLES: ClassVar[int] = 5

    def record(self, reason: str, action: Action, rule: str, where: npt.ArrayLike) -> ReasonCount:
        """Count the rows whose source numbers are ``where`` under ``reason`` (merging repeats)."""
        numbers = np.asarray(where, dtype=np.int64).ravel()
        entry = self.get(reason)
        if entry is None:
            entry = ReasonCount(reason=reason, action=action, rule=rule)
            self.reasons.append(entry)
        elif entry.action != action:
            raise ValueError(f"reason {reason!r} recorded as {entry.action} and as {action}")
        entry.count += int(numbers.size)
        room = self.MAX_EXAMPLES - len(entry.examples)
        if room > 0:
            entry.examples.extend(int(n) for n in numbers[:room])
        return entry

    def get(self, reason: str) -> ReasonCount | None:
        """The entry for ``reason``, or None if it was never recorded."""
        return next((r for r in self.reasons if r.reason == reason), None)

    def count(self, reason: str) -> int:
        """Rows counted under ``reason`` (0 if never recorded)."""
        entry = self.get(reason)
        return 0 if entry is None else entry.count

    def _by_action(self, action: Action) -> dict[str, int]:
        return {r.reason: r.count for r in self.reasons if r.action == action}

    @property
    def dropped(self) -> dict[str, int]:
        """Rows dropped, per reason."""
        return self._by_action("dropped")

    @property
    def fixed(self) -> dict[str, int]:
        """Rows kept with a value changed, per reason."""
        return self._by_action("fixed")

    @property
    def noted(self) -> dict[str, int]:
        """Rows kept unchanged but worth knowing about, per reason."""
        return self._by_action("noted")

    @property
    def rows_dropped(self) -> int:
        """Total rows dropped."""
        return sum(self.dropped.values())

    def check(self) -> None:
        """Raise if rows went missing without a reason (``rows_in != rows_out + dropped``)."""
        if self.rows_in != self.rows_out + self.rows_dropped:
            raise AssertionError(
                f"{self.source}: cleaning arithmetic broken: rows_in {self.rows_in} != "
                f"rows_out {self.rows_out} + dropped {self.rows_dropped}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain-type dict (JSON/YAML friendly)."""
        return {
            "source": self.source,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_dropped": self.rows_dropped,
            "example_unit": self.example_unit,
            "outcomes": dict(self.outcomes),
            "reasons": [r.to_dict() for r in self.reasons],
        }

    def to_markdown(self) -> str:
        """A human-readable report: totals, outcomes, then one table row per reason."""
        lines = [
            f"# Cleaning report: {self.source}",
            "",
            f"rows in: {self.rows_in:,}; rows out: {self.rows_out:,}; "
            f"dropped: {self.rows_dropped:,}",
        ]
        if self.outcomes:
            shown = ", ".join(f"{k} {v:,}" for k, v in self.outcomes.items())
            lines += ["", f"outcomes: {shown}"]
        lines += [
            "",
            f"| reason | action | rows | rule | example {self.example_unit}s |",
            "|---|---|---:|---|---|",
        ]
        for r in self.reasons:
            examples = ", ".join(str(n) for n in r.examples)
            rule = r.rule.replace("|", "\\|")
            lines.append(f"| {r.reason} | {r.action} | {r.count:,} | {rule} | {examples} |")
        return "\n".join(lines) + "\n"


class RowLedger:
    """Tracks which rows of a working table survive, recording each decision in a report.

    Loaders work on whole columns at once; the ledger turns a boolean mask into a counted,
    exampled reason. ``numbers`` are the source line (or row) numbers of the current rows.
    """

    def __init__(self, report: CleaningReport, numbers: npt.ArrayLike) -> None:
        self.report = report
        self.numbers = np.asarray(numbers, dtype=np.int64)
        self.keep = np.ones(self.numbers.size, dtype=bool)

    def drop(self, reason: str, rule: str, mask: npt.ArrayLike, *, always: bool = False) -> None:
        """Drop the still-kept rows in ``mask``; record the reason if any (or ``always``)."""
        hit = np.asarray(mask, dtype=bool) & self.keep
        if always or hit.any():
            self.report.record(reason, "dropped", rule, self.numbers[hit])
        self.keep &= ~hit

    def fix(self, reason: str, rule: str, mask: npt.ArrayLike, *, always: bool = True) -> None:
        """Count kept rows in ``mask`` as fixed (the caller changes the values)."""
        self._count(reason, "fixed", rule, mask, always)

    def note(self, reason: str, rule: str, mask: npt.ArrayLike, *, always: bool = True) -> None:
        """Count kept rows in ``mask`` as noted (kept unchanged)."""
        self._count(reason, "noted", rule, mask, always)

    def _count(self, reason: str, action: Action, rule: str, mask: npt.ArrayLike, always: bool):
        hit = np.asarray(mask, dtype=bool) & self.keep
        if always or hit.any():
            self.report.record(reason, action, rule, self.numbers[hit])

    def compact(self) -> npt.NDArray[np.bool_]:
        """Forget dropped rows: return the keep mask to apply to the table, then reset."""
        keep = self.keep
        self.numbers = self.numbers[keep]
        self.keep = np.ones(self.numbers.size, dtype=bool)
        return keep
