"""CSV and Parquet in the canonical schema: round trips, column mappings, derived columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rlroute.data import (
    CallRecords,
    CallRecordsError,
    check_canonical,
    empty_frame,
    read_call_records,
    write_call_records,
)

FOREIGN = {
    "call_id": "CallID",
    "customer_id": "Caller",
    "priority": "Prio",
    "call_type": "Skill",
    "date": "Day",
    "arrival": "Offered",
    "queue_entry": "QueueIn",
    "queue_exit": "QueueOut",
    "wait_s": "WaitSec",
    "outcome": "Result",
    "service_start": "TalkStart",
    "service_end": "TalkEnd",
    "handle_s": "TalkSec",
    "agent": "AgentName",
    "day_type": "DayKind",
}
MAPPING = {foreign: canon for canon, foreign in FOREIGN.items()}


@pytest.fixture(scope="module")
def sample(bank: CallRecords) -> pd.DataFrame:
    """A few hundred real rows covering every outcome, NA ids, NaN handle times, midnight."""
    f = bank.frame
    picks = [f[f["outcome"] == o].head(60) for o in ("answered", "abandoned", "vru_abandoned")]
    picks += [f[f["outcome"] == "phantom"].head(20), f[f["handle_s"].isna()].head(20)]
    picks.append(f[f["service_end"].dt.date > f["service_start"].dt.date])
    rows = pd.concat(picks).drop_duplicates("call_id")
    return rows.sort_values(["arrival", "call_id"], kind="stable", ignore_index=True)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".tsv", ".parquet"])
def test_canonical_round_trip(tmp_path: Path, sample: pd.DataFrame, suffix: str) -> None:
    path = write_call_records(sample, tmp_path / f"calls{suffix}")
    records = read_call_records(path)
    pd.testing.assert_frame_equal(records.frame, sample)
    assert records.report.rows_in == records.report.rows_out == len(sample)
    assert records.report.example_unit == ("row" if suffix == ".parquet" else "line")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_with_column_mapping(tmp_path: Path, sample: pd.DataFrame, suffix: str) -> None:
    foreign = sample.rename(columns=FOREIGN)
    foreign["Ignored"] = "x"  # unmapped, non-canonical columns are ignored
    path = tmp_path / f"export{suffix}"
    if suffix == ".parquet":
        foreign.to_parquet(path, index=False)
    else:
        foreign.to_csv(path, index=False)
    records = read_call_records(path, columns=MAPPING)
    pd.testing.assert_frame_equal(records.frame, sample)
    assert check_canonical(records.frame) == []


def test_minimal_file_gets_derived_columns(tmp_path: Path) -> None:
    path = tmp_path / "minimal.csv"
    path.write_text(
        "id,skill,start,result,q_in,q_out,talk_start,talk_end\n"
        "a,PS,05/02/1999 10:00:00,answered,05/02/1999 10:00:00,05/02/1999 10:00:30,"
        "05/02/1999 10:00:30,05/02/1999 10:02:30\n"
        "b,NW,06/02/1999 23:59:00,abandoned,06/02/1999 23:59:00,07/02/1999 00:00:10,,\n"
        "c,PS,07/02/1999 11:00:00,vru_abandoned,,,,\n"
    )
    mapping = {
        "id": "call_id",
        "skill": "call_type",
        "start": "arrival",
        "result": "outcome",
        "q_in": "queue_entry",
        "q_out": "queue_exit",
        "talk_start": "service_start",
        "talk_end": "service_end",
    }
    records = read_call_records(path, columns=mapping, datetime_format="%d/%m/%Y %H:%M:%S")
    f = records.frame.set_index("call_id")
    assert f["wait_s"].to_dict() == {"a": 30.0, "b": 70.0, "c": 0.0}
    assert f.loc["a", "handle_s"] == 120.0
    assert np.isnan(f.loc["b", "handle_s"])
    assert (f["priority"] == 0).all()
    assert f["customer_id"].isna().all()
    assert f["date"].tolist() == [
        pd.Timestamp(d) for d in ("1999-02-05", "1999-02-06", "1999-02-07")
    ]
    assert f["day_type"].tolist() == ["friday", "saturday", "weekday"]
    assert check_canonical(records.frame) == []
    western = read_call_records(
        path, columns=mapping, datetime_format="%d/%m/%Y %H:%M:%S", week="mon-fri"
    )
    assert western.frame["day_type"].tolist() == ["weekday", "saturday", "sunday"]


def test_inconsistent_rows_dropped_by_shared_rules(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "call_id,call_type,arrival,outcome,wait_s,handle_s,queue_entry,queue_exit\n"
        "a,PS,1999-02-01 10:00:00,answered,5,60,,\n"
        "b,PS,1999-02-01 10:01:00,answered,-5,60,,\n"
        "c,PS,1999-02-01 10:02:00,answered,5,-60,,\n"
        "d,PS,1999-02-01 10:03:00,abandoned,5,,1999-02-01 10:03:05,1999-02-01 10:03:00\n"
        "a,PS,1999-02-01 10:00:00,answered,5,60,,\n"
        "a,PS,1999-02-01 10:09:00,answered,,60,,\n"
    )
    report = read_call_records(path).report
    assert report.dropped == {
        "wait_s: negative": 1,
        "handle_s: negative": 1,
        "queue_exit: before queue_entry": 1,
        "duplicate row": 1,
    }
    assert report.get("duplicate row").examples == [6]
    assert report.fixed == {"wait_s: missing": 1}
    assert report.noted == {"call_id: duplicate": 2}
    assert report.rows_out == 2
    report.check()


def test_write_refuses_a_non_canonical_frame(tmp_path: Path) -> None:
    with pytest.raises(CallRecordsError, match="missing columns"):
        write_call_records(pd.DataFrame({"call_id": ["a"]}), tmp_path / "x.csv")
    path = write_call_records(empty_frame(), tmp_path / "empty.parquet")
    assert path.exists()


def test_blank_priority_defaults_to_zero_and_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "call_id,call_type,arrival,outcome,wait_s,handle_s,priority\n"
        "a,PS,1999-02-01 10:00:00,answered,5,60,2\n"
        "b,PS,1999-02-01 10:01:00,answered,5,60,\n"
    )
    records = read_call_records(path)
    assert records.frame["priority"].tolist() == [2, 0]
    assert records.report.fixed == {"priority: missing": 1}
    assert records.report.get("priority: missing").examples == [3]


def test_parquet_with_time_zone_keeps_wall_clock(tmp_path: Path) -> None:
    arrival = pd.Series(pd.to_datetime(["1999-02-01 10:00:00"])).dt.tz_localize("Asia/Jerusalem")
    table = pd.DataFrame(
        {"id": ["a"], "type": ["PS"], "t": arrival, "outcome": ["answered"], "wait_s": [1.0]}
    )
    table["handle_s"] = 60
    path = tmp_path / "tz.parquet"
    table.to_parquet(path)
    frame = read_call_records(
        path, columns={"id": "call_id", "type": "call_type", "t": "arrival"}
    ).frame
    assert frame.loc[0, "arrival"] == pd.Timestamp("1999-02-01 10:00:00")
    assert frame.loc[0, "handle_s"] == 60.0
