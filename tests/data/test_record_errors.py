"""Unusable files raise CallRecordsError naming the file, the column and a line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from rlroute.data import CallRecordsError, read_call_records, read_technion_log


def raises(read, path: Path) -> str:
    with pytest.raises(CallRecordsError) as info:
        read(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    for read in (read_technion_log, read_call_records):
        assert "file not found" in raises(read, tmp_path / "nope.txt")
    assert "file not found" in raises(read_call_records, tmp_path / "nope.parquet")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    blank = tmp_path / "blank.csv"
    blank.write_text("\n  \n")
    gz = tmp_path / "empty.txt.gz"
    gz.write_bytes(gzip.compress(b""))
    for path in (empty, blank, gz):
        assert "empty" in raises(read_technion_log, path)
        assert "empty" in raises(read_call_records, path)


def test_header_only(tmp_path: Path, make_text) -> None:
    path = tmp_path / "header.txt"
    path.write_text(make_text([]))
    message = raises(read_technion_log, path)
    assert "no data rows" in message
    assert "line 1: vru+line <TAB> call_id" in message


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt.gz"
    path.write_bytes(gzip.compress(b"vru+line\tcall_id\n" * 50)[:30])
    assert "gzip" in raises(read_technion_log, path)


def test_comma_delimited_technion_file(tmp_path: Path, make_text) -> None:
    path = tmp_path / "comma.csv"
    path.write_text(make_text([{}], sep=","))
    message = raises(read_technion_log, path)
    assert "comma-separated" in message
    assert "vru+line" in message and "q_start" in message
    assert "line 1: vru+line,call_id," in message
    assert "line 2: AA0101,1," in message


def test_missing_required_column(tmp_path: Path, make_text) -> None:
    text = make_text([{}]).replace("\tq_time\t", "\tq_wait\t")
    path = tmp_path / "noqtime.txt"
    path.write_text(text)
    message = raises(read_technion_log, path)
    assert "missing required column(s) q_time" in message
    assert "q_wait" in message  # what was found instead
    assert "line 2: AA0101 <TAB> 1" in message


def test_unparsable_time_in_every_row(write_log) -> None:
    path = write_log([{"q_start": "25:99:00"}])
    message = raises(read_technion_log, path)
    assert "no usable row" in message
    assert "q_start: unparsable time" in message
    assert "line 2" in message


def test_unparsable_time_in_some_rows_is_counted_not_raised(write_log) -> None:
    records = read_technion_log(write_log([{}, {"vru_exit": "7:6:5"}]))
    assert records.report.dropped == {"vru_exit: unparsable time (H:MM:SS)": 1}
    assert records.report.get("vru_exit: unparsable time (H:MM:SS)").examples == [3]


def test_no_line_with_the_header_width(tmp_path: Path, make_text) -> None:
    lines = make_text([{}]).splitlines()
    path = tmp_path / "short.txt"
    path.write_text(lines[0] + "\n" + "\t".join(lines[1].split("\t")[:5]) + "\n")
    assert "fields" in raises(read_technion_log, path)


# read_call_records (CSV / Parquet) ---------------------------------------------------------

CSV_HEADER = "call_id,call_type,arrival,outcome,wait_s,handle_s"


def test_csv_missing_required_column(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "call_id,skill,arrival,outcome,wait_s,handle_s\nc1,PS,1999-02-01 10:00,answered,3,60\n"
    )
    message = raises(read_call_records, path)
    assert "missing required column(s) call_type" in message
    assert "skill" in message
    assert "columns=" in message  # the hint to map names
    assert "line 2: c1,PS," in message


def test_csv_needs_wait_and_handle_or_their_times(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("call_id,call_type,arrival,outcome\nc1,PS,1999-02-01 10:00,answered\n")
    message = raises(read_call_records, path)
    assert "wait_s (or queue_entry and queue_exit)" in message
    assert "handle_s (or service_start and service_end)" in message


def test_csv_mapping_to_unknown_or_absent_column(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(f"{CSV_HEADER}\nc1,PS,1999-02-01 10:00,answered,3,60\n")
    with pytest.raises(CallRecordsError, match="not canonical columns"):
        read_call_records(path, columns={"call_id": "ticket"})
    with pytest.raises(CallRecordsError, match=r"mapped column.*skill.*not in the file"):
        read_call_records(path, columns={"skill": "call_type"})


def test_csv_bad_values_dropped_with_column_and_line(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        f"{CSV_HEADER}\n"
        "c1,PS,1999-02-01 10:00:00,answered,3,60\n"
        "c2,PS,1999-02-31 25:99:00,answered,3,60\n"
        "c3,PS,1999-02-01 10:05:00,served,3,60\n"
        "c4,PS,1999-02-01 10:06:00,answered,three,60\n"
        ",PS,1999-02-01 10:07:00,answered,3,60\n"
    )
    report = read_call_records(path).report
    assert report.dropped == {
        "call_id: missing": 1,
        "arrival: unparsable datetime": 1,
        "wait_s: unparsable float": 1,
        "outcome: unparsable outcome": 1,
    }
    assert report.get("arrival: unparsable datetime").examples == [3]
    assert report.get("outcome: unparsable outcome").examples == [4]
    assert report.rows_out == 1


def test_csv_with_wrong_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(f"{CSV_HEADER.replace(',', ';')}\nc1;PS;1999-02-01 10:00;answered;3;60\n")
    message = raises(read_call_records, path)
    assert "missing required column(s) call_id" in message


def test_csv_ragged_line(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(f"{CSV_HEADER}\nc1,PS,1999-02-01 10:00,answered,3,60,extra,more\n")
    assert "line 2" in raises(read_call_records, path)


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "calls.parquet"
    path.write_text("this is not parquet")
    assert "Parquet" in raises(read_call_records, path)


def test_empty_parquet(tmp_path: Path) -> None:
    path = tmp_path / "calls.parquet"
    pd.DataFrame({"call_id": pd.Series([], dtype=str)}).to_parquet(path)
    assert "no data rows" in raises(read_call_records, path)
