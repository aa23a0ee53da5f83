"""The shipped February 1999 log: row counts, outcomes, cleaning counts and the schema."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd

from rlroute.data import CANONICAL_COLUMNS, CallRecords, check_canonical, read_technion_log
from rlroute.data.schema import OUTCOME_DTYPE, STRING_DTYPE
from rlroute.datasets import (
    anonymous_bank_counts_path,
    anonymous_bank_path,
    load_anonymous_bank,
    load_anonymous_bank_counts,
)


def test_rows_in_and_out(bank: CallRecords) -> None:
    report = bank.report
    assert report.rows_in == 33_344
    assert report.rows_out == len(bank.frame) == 33_344
    assert report.rows_dropped == 0
    assert report.rows_in == report.rows_out + sum(report.dropped.values())
    assert bank.source == "anonymous_bank_february_1999.txt.gz"


def test_outcome_counts(bank: CallRecords) -> None:
    counts = bank.frame["outcome"].value_counts().to_dict()
    expected = {"answered": 27_162, "abandoned": 3_963, "vru_abandoned": 1_941, "phantom": 278}
    assert counts == expected
    assert bank.report.outcomes == expected
    # Source outcomes: 27,162 AGENT, 5,904 HANG (= abandoned + vru_abandoned), 278 PHANTOM.
    assert expected["abandoned"] + expected["vru_abandoned"] == 5_904
    assert len(bank.real_calls()) == 33_344 - 278


def test_defect_counts(bank: CallRecords) -> None:
    r = bank.report
    assert r.fixed == {
        "vru_midnight": 0,
        "queue_midnight": 2,
        "service_midnight": 16,
        "stage_after_midnight": 4,
        "no_server_agent": 491,
        "zero_service_time": 85,
        "hang_with_service": 97,
        "customer_id_zero": 19_558,
    }
    assert r.noted == {
        "negative_vru_time": 25,
        "phantom": 278,
        "zero_wait_abandon": 31,
        "duration_mismatch": 0,
    }
    for reason in r.reasons:
        assert reason.rule
        assert len(reason.examples) == min(reason.count, 5)
    # Example lines point at real offending lines of the file (header = line 1).
    lines = gzip.decompress(anonymous_bank_path().read_bytes()).decode().splitlines()
    for n in r.get("service_midnight").examples:
        fields = lines[n - 1].split("\t")
        assert pd.Timedelta(fields[14]) < pd.Timedelta(fields[13])  # ser_exit < ser_start


def test_canonical_dtypes(bank: CallRecords) -> None:
    frame = bank.frame
    assert tuple(frame.columns) == CANONICAL_COLUMNS
    assert check_canonical(frame) == []
    for column in ("call_id", "customer_id", "call_type", "agent", "day_type"):
        assert frame[column].dtype == STRING_DTYPE, column
    assert frame["priority"].dtype == np.int64
    for column in ("wait_s", "handle_s"):
        assert frame[column].dtype == np.float64
    for column in ("date", "arrival", "queue_entry", "queue_exit", "service_start", "service_end"):
        assert frame[column].dtype == "datetime64[ns]", column
    assert frame["outcome"].dtype == OUTCOME_DTYPE
    assert isinstance(frame.index, pd.RangeIndex)


def test_values_follow_the_schema(bank: CallRecords) -> None:
    f = bank.frame
    assert f["call_id"].is_unique
    assert f["arrival"].is_monotonic_increasing
    assert (f["date"] == f["date"].dt.normalize()).all()
    assert f["date"].min() == pd.Timestamp("1999-02-01")
    assert f["date"].max() == pd.Timestamp("1999-02-28")
    queued = f["queue_entry"].notna()
    assert (f.loc[~queued, "wait_s"] == 0).all()
    assert (f["queue_exit"].notna() == queued).all()
    assert (f.loc[queued, "queue_entry"] >= f.loc[queued, "arrival"]).all()
    waited = (f.loc[queued, "queue_exit"] - f.loc[queued, "queue_entry"]).dt.total_seconds()
    np.testing.assert_array_equal(waited, f.loc[queued, "wait_s"])
    assert not queued[f["outcome"] == "vru_abandoned"].any()
    assert queued[f["outcome"] == "abandoned"].all()
    served = f["handle_s"].notna()
    assert (f.loc[served, "outcome"] == "answered").all()
    assert served.sum() == 27_162 - 85
    handled = (f.loc[served, "service_end"] - f.loc[served, "service_start"]).dt.total_seconds()
    np.testing.assert_array_equal(handled, f.loc[served, "handle_s"])
    assert (f.loc[served, "handle_s"] > 0).all()
    assert f.loc[f["outcome"] != "answered", ["service_start", "service_end"]].isna().all().all()
    assert f.loc[f["outcome"] != "answered", "agent"].isna().all()
    assert f["agent"].notna().sum() == 27_162 - 491
    assert f["customer_id"].isna().sum() == 19_558
    assert (f.loc[f["customer_id"].isna(), "priority"] == 0).all()
    assert set(f["call_type"].unique()) == {"PS", "PE", "IN", "NE", "NW", "TT"}


def test_midnight_service_lasts_its_ser_time(bank: CallRecords) -> None:
    f = bank.frame
    crossing = f[f["service_end"].dt.normalize() > f["service_start"].dt.normalize()]
    assert len(crossing) >= 16
    assert (crossing["handle_s"] < 3_600).all()
    # Line 4759: 23:52:10 -> 0:00:32 on 1999-02-23, 502 s.
    row = f.set_index("call_id").loc["AA0103-27131"]
    assert row["service_start"] == pd.Timestamp("1999-02-23 23:52:10")
    assert row["service_end"] == pd.Timestamp("1999-02-24 00:00:32")


def test_day_types(bank: CallRecords) -> None:
    f = bank.frame
    by_date = f.groupby("date")["day_type"].first()
    assert by_date[pd.Timestamp("1999-02-05")] == "friday"
    assert by_date[pd.Timestamp("1999-02-06")] == "saturday"
    assert by_date[pd.Timestamp("1999-02-07")] == "weekday"  # Sunday
    assert by_date.value_counts().to_dict() == {"weekday": 20, "friday": 4, "saturday": 4}


def test_report_serialises(bank: CallRecords) -> None:
    d = bank.report.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["rows_in"] == d["rows_out"] + d["rows_dropped"]
    md = bank.report.to_markdown()
    assert "rows in: 33,344; rows out: 33,344; dropped: 0" in md
    assert "| no_server_agent | fixed | 491 |" in md


def test_loaded_copies_are_independent() -> None:
    first = load_anonymous_bank()
    first.frame.loc[0, "wait_s"] = -1.0
    first.report.rows_in = 0
    second = load_anonymous_bank()
    assert second.frame.loc[0, "wait_s"] >= 0
    assert second.report.rows_in == 33_344


def test_shipped_files_are_gzip() -> None:
    for path in (anonymous_bank_path(), anonymous_bank_counts_path()):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert (anonymous_bank_path().parent / "README.md").is_file()
    # Same result when read directly with the adapter.
    assert len(read_technion_log(anonymous_bank_path())) == 33_344


def test_counts_table_matches_the_log(bank: CallRecords) -> None:
    counts = load_anonymous_bank_counts()
    assert counts.shape[0] == 365 * 240
    assert counts["date"].dtype == "datetime64[ns]"
    assert counts["date"].nunique() == 365
    assert counts["u"].between(1, 240).all()
    assert set(counts["day_type"].unique()) == {"weekday", "friday", "saturday"}
    feb = counts[counts["date"].dt.month == 2].groupby("date")["calls"].sum()
    per_date = bank.frame.groupby("date").size()
    pd.testing.assert_series_equal(feb, per_date.astype(float), check_names=False)
