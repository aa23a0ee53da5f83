"""Day types of the bank's week, and the cleaning report's bookkeeping."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from rlroute.data import CleaningReport, day_type, day_types
from rlroute.data.report import RowLedger


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("1999-02-04", "weekday"),  # Thursday
        (dt.date(1999, 2, 5), "friday"),
        (pd.Timestamp("1999-02-06 21:30"), "saturday"),
        (dt.datetime(1999, 2, 7, 8, 0), "weekday"),  # Sunday: a working day in Israel
        ("1999-02-08", "weekday"),  # Monday
    ],
)
def test_day_type_israeli_week(date: object, expected: str) -> None:
    assert day_type(date) == expected


def test_day_type_western_week_and_errors() -> None:
    assert day_type("1999-02-07", week="mon-fri") == "sunday"
    assert day_type("1999-02-05", week="mon-fri") == "weekday"
    with pytest.raises(ValueError, match="unknown week"):
        day_type("1999-02-05", week="tue-sat")  # type: ignore[arg-type]


def test_day_types_vectorised_matches_scalar() -> None:
    dates = pd.Series(pd.date_range("1999-02-01", periods=14, freq="D"))
    vectorised = day_types(dates)
    assert vectorised.tolist() == [day_type(d) for d in dates]
    with_nat = day_types(pd.Series([pd.Timestamp("1999-02-05"), pd.NaT]))
    assert with_nat[0] == "friday"
    assert with_nat[1] is pd.NA


def test_ledger_counts_each_dropped_row_once() -> None:
    report = CleaningReport(source="x", rows_in=6)
    ledger = RowLedger(report, np.arange(2, 8))
    ledger.drop("a: bad", "rule a", [True, True, False, False, False, False])
    ledger.drop("b: bad", "rule b", [True, False, True, False, False, False])  # row 0 is gone
    ledger.drop("c: bad", "rule c", [False] * 6)  # nothing: not recorded
    ledger.drop("d: bad", "rule d", [False] * 6, always=True)  # recorded with 0
    ledger.fix("f", "rule f", [False, False, False, True, True, False])
    keep = ledger.compact()
    assert keep.tolist() == [False, False, False, True, True, True]
    ledger.note("n", "rule n", [True, False, True])
    report.rows_out = int(keep.sum())
    assert report.dropped == {"a: bad": 2, "b: bad": 1, "d: bad": 0}
    assert report.get("b: bad").examples == [4]
    assert report.fixed == {"f": 2}
    assert report.noted == {"n": 2}
    assert report.get("n").examples == [5, 7]  # numbers follow the compacted rows
    assert report.get("c: bad") is None
    assert report.count("c: bad") == 0
    report.check()


def test_report_arithmetic_is_checked() -> None:
    report = CleaningReport(source="x.txt", rows_in=3, rows_out=1)
    report.record("r", "dropped", "rule", [2])
    with pytest.raises(AssertionError, match="rows_in 3 != rows_out 1 \\+ dropped 1"):
        report.check()


def test_report_merges_repeats_and_caps_examples() -> None:
    report = CleaningReport(source="x")
    report.record("r", "fixed", "rule", [2, 3, 4])
    report.record("r", "fixed", "rule", [5, 6, 7, 8])
    assert report.count("r") == 7
    assert report.get("r").examples == [2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="recorded as fixed"):
        report.record("r", "dropped", "rule", [9])


def test_report_markdown_and_dict() -> None:
    report = CleaningReport(source="f.txt", rows_in=5, rows_out=4, outcomes={"answered": 4})
    report.record("q_start: unparsable", "dropped", "bad | time", [3])
    md = report.to_markdown()
    assert md.startswith("# Cleaning report: f.txt")
    assert "rows in: 5; rows out: 4; dropped: 1" in md
    assert "| q_start: unparsable | dropped | 1 | bad \\| time | 3 |" in md
    d = report.to_dict()
    assert d["rows_dropped"] == 1
    assert d["reasons"][0] == {
        "reason": "q_start: unparsable",
        "action": "dropped",
        "rule": "bad | time",
        "count": 1,
        "examples": [3],
    }
