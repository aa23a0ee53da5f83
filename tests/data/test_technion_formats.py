"""Every spelling of the Technion log loads to the same canonical records."""

from __future__ import annotations

import pandas as pd
import pytest

from rlroute.data import TECHNION_COLUMNS, check_canonical, read_technion_log

ROWS = [{}, {"outcome": "HANG", "ser_start": "0:00:00", "ser_exit": "0:00:00", "ser_time": "0"}]
DOTTED = ["vru.line", *TECHNION_COLUMNS[1:]]


@pytest.fixture
def reference(write_log) -> pd.DataFrame:
    return read_technion_log(write_log(ROWS)).frame


def test_reference_file(reference: pd.DataFrame) -> None:
    assert check_canonical(reference) == []
    assert list(reference["call_id"]) == ["AA0101-1", "AA0101-2"]
    assert list(reference["outcome"]) == ["answered", "abandoned"]
    first = reference.iloc[0]
    assert first["arrival"] == pd.Timestamp("1999-02-01 10:00:10")
    assert first["queue_entry"] == pd.Timestamp("1999-02-01 10:00:10")
    assert first["queue_exit"] == pd.Timestamp("1999-02-01 10:00:40")
    assert first["wait_s"] == 30.0
    assert first["service_end"] == pd.Timestamp("1999-02-01 10:03:00")
    assert first["handle_s"] == 140.0
    assert first["agent"] == "DORIT"
    assert first["customer_id"] == "12345678"
    assert first["priority"] == 2
    assert first["day_type"] == "weekday"


@pytest.mark.parametrize(
    "options",
    [
        {"header": DOTTED},
        {"row_numbers": True},
        {"day_of_week": True},
        {"row_numbers": True, "day_of_week": True, "header": DOTTED},
        {"gz": True},
        {"gz": True, "header": DOTTED, "row_numbers": True, "day_of_week": True},
        {"newline": "\r\n"},
    ],
    ids=["vru.line", "row-numbers", "day.of.week", "all-R-variants", "gzip", "gzip-R", "crlf"],
)
def test_variants_match_reference(write_log, reference: pd.DataFrame, options: dict) -> None:
    records = read_technion_log(write_log(ROWS, **options))
    pd.testing.assert_frame_equal(records.frame, reference)
    assert records.report.rows_in == 2
    assert records.report.rows_dropped == 0


def test_row_name_column_with_its_own_header_cell(tmp_path, reference: pd.DataFrame) -> None:
    # R's write.table(col.names = NA) gives the row-name column an empty, quoted header cell.
    header = "\t".join(['""', *(f'"{c}"' for c in DOTTED)])
    lines = [header]
    raw = [
        ["AA0101", "1", "12345678", "2", "PS", "990201", "10:00:00", "10:00:10", "10",
         "10:00:10", "10:00:40", "30", "AGENT", "10:00:40", "10:03:00", "140", "DORIT"],
        ["AA0101", "2", "12345678", "2", "PS", "990201", "10:00:00", "10:00:10", "10",
         "10:00:10", "10:00:40", "30", "HANG", "0:00:00", "0:00:00", "0", "DORIT"],
    ]  # fmt: skip
    for i, fields in enumerate(raw, start=1):
        quoted = [f'"{v}"' if not v.isdigit() else v for v in fields]
        lines.append("\t".join([f'"{i}"', *quoted]))
    path = tmp_path / "r_quoted.txt"
    path.write_text("\n".join(lines) + "\n")
    frame = read_technion_log(path).frame
    pd.testing.assert_frame_equal(frame, reference)


def test_blank_lines_are_not_rows_but_keep_numbering(tmp_path, make_text) -> None:
    text = make_text([{}, {"q_start": "25:99:00"}])
    lines = text.splitlines()
    path = tmp_path / "blank.txt"
    path.write_text("\n".join([lines[0], "", lines[1], "   ", lines[2], ""]) + "\n")
    report = read_technion_log(path).report
    assert report.rows_in == 2
    assert report.rows_out == 1
    assert report.get("q_start: unparsable time (H:MM:SS)").examples == [5]


def test_yyyymmdd_dates_accepted(write_log) -> None:
    frame = read_technion_log(write_log([{"date": "19990205"}])).frame
    assert frame.loc[0, "date"] == pd.Timestamp("1999-02-05")
    assert frame.loc[0, "day_type"] == "friday"
