"""Each known defect of the Technion log is handled by its stated rule and counted."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rlroute.data import CallRecords, read_technion_log

NO_SERVICE = {"ser_start": "0:00:00", "ser_exit": "0:00:00", "ser_time": "0"}
NO_QUEUE = {"q_start": "0:00:00", "q_exit": "0:00:00", "q_time": "0"}
T = pd.Timestamp


def load(write_log, *rows: dict[str, str]) -> CallRecords:
    records = read_technion_log(write_log([{}, *rows]))  # line 2 is a clean call
    records.report.check()
    return records


def only(records: CallRecords, line: int = 3) -> pd.Series:
    """The canonical row made from source line ``line`` (call_id = line - 1)."""
    return records.frame.set_index("call_id").loc[f"AA0101-{line - 1}"]


def test_clean_call_triggers_nothing(write_log) -> None:
    report = load(write_log).report
    assert report.rows_out == 1
    assert sum(report.fixed.values()) == 0
    assert sum(report.noted.values()) == 0


def test_agent_row_with_no_server(write_log) -> None:
    records = load(write_log, {"server": "NO_SERVER"})
    assert records.report.count("no_server_agent") == 1
    assert records.report.get("no_server_agent").examples == [3]
    row = only(records)
    assert row["outcome"] == "answered"
    assert row["agent"] is pd.NA
    assert row["handle_s"] == 140.0


def test_served_call_with_zero_service_time(write_log) -> None:
    records = load(
        write_log,
        NO_SERVICE,
        {"ser_start": "10:00:40", "ser_exit": "10:00:40", "ser_time": "0"},
    )
    assert records.report.count("zero_service_time") == 2
    assert records.report.get("zero_service_time").examples == [3, 4]
    for line in (3, 4):
        row = only(records, line)
        assert row["outcome"] == "answered"
        assert math.isnan(row["handle_s"])
        assert row["service_end"] is pd.NaT
        assert row["wait_s"] == 30.0
    assert only(records, 3)["service_start"] is pd.NaT
    assert only(records, 4)["service_start"] == T("1999-02-01 10:00:40")
    assert records.frame["handle_s"].dropna().tolist() == [140.0]


def test_negative_vru_time(write_log) -> None:
    records = load(write_log, {"vru_entry": "10:01:00", "vru_time": "-50"})
    assert records.report.count("negative_vru_time") == 1
    assert records.report.rows_dropped == 0
    assert only(records)["arrival"] == T("1999-02-01 10:00:10")


def test_service_crossing_midnight(write_log) -> None:
    records = load(
        write_log,
        {
            "vru_entry": "23:58:00",
            "vru_exit": "23:58:10",
            "q_start": "23:58:10",
            "q_exit": "23:59:00",
            "q_time": "50",
            "ser_start": "23:59:00",
            "ser_exit": "0:01:00",
            "ser_time": "120",
        },
    )
    assert records.report.count("service_midnight") == 1
    assert records.report.count("queue_midnight") == 0
    row = only(records)
    assert row["service_start"] == T("1999-02-01 23:59:00")
    assert row["service_end"] == T("1999-02-02 00:01:00")
    assert row["handle_s"] == 120.0
    assert row["date"] == T("1999-02-01")


def test_queue_crossing_midnight(write_log) -> None:
    records = load(
        write_log,
        {
            "vru_entry": "23:59:20",
            "vru_exit": "23:59:30",
            "q_start": "23:59:30",
            "q_exit": "0:00:20",
            "q_time": "50",
            "ser_start": "0:00:20",
            "ser_exit": "0:02:20",
            "ser_time": "120",
        },
    )
    report = records.report
    assert report.count("queue_midnight") == 1
    assert report.count("service_midnight") == 0
    assert report.count("stage_after_midnight") == 0
    assert report.count("duration_mismatch") == 0
    row = only(records)
    assert row["queue_exit"] == T("1999-02-02 00:00:20")
    assert row["service_start"] == T("1999-02-02 00:00:20")
    assert row["service_end"] == T("1999-02-02 00:02:20")
    assert row["wait_s"] == 50.0


def test_stage_starting_after_midnight(write_log) -> None:
    # As line 2639 of the February log: queued at exactly 0:00:00, q_time says it queued.
    records = load(
        write_log,
        {
            "vru_entry": "23:59:54",
            "vru_exit": "23:59:54",
            "vru_time": "0",
            "q_start": "0:00:00",
            "q_exit": "0:00:27",
            "q_time": "27",
            "ser_start": "0:00:26",
            "ser_exit": "0:01:33",
            "ser_time": "67",
        },
        {**NO_QUEUE, "vru_exit": "23:59:55", "ser_start": "0:00:07", "ser_exit": "0:02:13",
         "ser_time": "126"},
    )  # fmt: skip
    assert records.report.count("stage_after_midnight") == 2
    first, second = only(records, 3), only(records, 4)
    assert first["queue_entry"] == T("1999-02-02 00:00:00")
    assert first["wait_s"] == 27.0
    assert first["service_end"] == T("1999-02-02 00:01:33")
    assert second["service_start"] == T("1999-02-02 00:00:07")
    assert second["wait_s"] == 0.0


def test_vru_crossing_midnight(write_log) -> None:
    records = load(
        write_log,
        {
            "vru_entry": "23:59:55",
            "vru_exit": "0:00:05",
            "q_start": "0:00:05",
            "q_exit": "0:00:35",
            "ser_start": "0:00:35",
            "ser_exit": "0:02:55",
        },
    )
    assert records.report.count("vru_midnight") == 1
    row = only(records)
    assert row["arrival"] == T("1999-02-02 00:00:05")
    assert row["service_end"] == T("1999-02-02 00:02:55")
    assert row["date"] == T("1999-02-01")  # the source date: the call entered the VRU then


def test_customer_id_zero(write_log) -> None:
    records = load(write_log, {"customer_id": "0", "priority": "0"}, {"customer_id": ""})
    assert records.report.count("customer_id_zero") == 1
    assert only(records, 3)["customer_id"] is pd.NA
    assert only(records, 3)["priority"] == 0
    assert only(records, 4)["customer_id"] is pd.NA


@pytest.mark.parametrize(
    ("fields", "outcome", "wait"),
    [
        ({"outcome": "HANG", "server": "NO_SERVER", **NO_SERVICE}, "abandoned", 30.0),
        ({"outcome": "HANG", "server": "NO_SERVER", **NO_SERVICE, **NO_QUEUE}, "vru_abandoned", 0),
        ({"outcome": "hang", "server": "NO_SERVER", **NO_SERVICE, **NO_QUEUE}, "vru_abandoned", 0),
    ],
)
def test_hang_outcomes(write_log, fields: dict, outcome: str, wait: float) -> None:
    records = load(write_log, fields)
    row = only(records)
    assert row["outcome"] == outcome
    assert row["wait_s"] == wait
    assert (row["queue_entry"] is pd.NaT) == (outcome == "vru_abandoned")
    assert math.isnan(row["handle_s"])
    assert records.report.count("hang_with_service") == 0


def test_hang_with_service_segment(write_log) -> None:
    records = load(write_log, {"outcome": "HANG", "server": "NO_SERVER"})
    assert records.report.count("hang_with_service") == 1
    row = only(records)
    assert row["outcome"] == "abandoned"
    assert row["service_start"] is pd.NaT
    assert row["service_end"] is pd.NaT
    assert math.isnan(row["handle_s"])
    assert row["agent"] is pd.NA


def test_zero_wait_abandon(write_log) -> None:
    records = load(
        write_log,
        {"outcome": "HANG", "q_exit": "10:00:10", "q_time": "0", "server": "NO_SERVER",
         **NO_SERVICE},
    )  # fmt: skip
    assert records.report.count("zero_wait_abandon") == 1
    row = only(records)
    assert row["outcome"] == "abandoned"
    assert row["wait_s"] == 0.0
    assert row["queue_entry"] == T("1999-02-01 10:00:10")


def test_phantom(write_log) -> None:
    records = load(write_log, {"outcome": "PHANTOM", "server": "NO_SERVER"})
    assert records.report.count("phantom") == 1
    row = only(records)
    assert row["outcome"] == "phantom"
    assert row["service_start"] is pd.NaT
    assert len(records.real_calls()) == 1


def test_duration_mismatch_noted_and_recorded_value_used(write_log) -> None:
    records = load(write_log, {"q_time": "99"})
    assert records.report.count("duration_mismatch") == 1
    assert only(records)["wait_s"] == 99.0


def test_duplicate_row_and_negative_duration_dropped(write_log) -> None:
    records = load(write_log, {"call_id": "1"}, {"q_time": "-5"})
    report = records.report
    assert report.dropped == {"q_time: negative": 1, "duplicate row": 1}
    assert report.get("duplicate row").examples == [3]
    assert report.get("q_time: negative").examples == [4]
    assert report.rows_in == 3
    assert report.rows_out == 1


def test_unparsable_values_dropped_with_column_and_line(write_log) -> None:
    records = load(
        write_log,
        {"q_start": "25:99:00"},
        {"priority": "high"},
        {"date": "99-02-01"},
        {"outcome": "MAYBE"},
        {"ser_exit": "10:03"},
        {"priority": "high", "q_start": "25:99:00"},  # counted once, under the first column
    )
    report = records.report
    assert report.dropped == {
        "priority: unparsable integer": 2,
        "date: unparsable date (YYMMDD)": 1,
        "q_start: unparsable time (H:MM:SS)": 1,
        "outcome: unparsable outcome (AGENT, HANG, PHANTOM)": 1,
        "ser_exit: unparsable time (H:MM:SS)": 1,
    }
    assert report.get("priority: unparsable integer").examples == [4, 8]
    assert report.get("q_start: unparsable time (H:MM:SS)").examples == [3]
    assert report.rows_in == report.rows_out + report.rows_dropped == 7


def test_ragged_line_dropped(tmp_path, make_text) -> None:
    text = make_text([{}, {}])
    lines = text.splitlines()
    lines[2] += "\textra\tfields"
    path = tmp_path / "ragged.txt"
    path.write_text("\n".join(lines) + "\n")
    report = read_technion_log(path).report
    assert report.dropped == {"wrong number of fields": 1}
    assert report.get("wrong number of fields").examples == [3]


def test_at_most_five_examples(write_log) -> None:
    records = load(write_log, *([{"customer_id": "0"}] * 8))
    entry = records.report.get("customer_id_zero")
    assert entry.count == 8
    assert entry.examples == [3, 4, 5, 6, 7]
