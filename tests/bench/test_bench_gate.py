"""The gate: bands, violation messages, and benchmark.json for the CI benchmark actions."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rlroute.bench.gate import (
    BandsError,
    GateError,
    benchmark_entries,
    check_bands,
    enforce_gate,
    load_bands,
    write_benchmark_json,
)


def _summary() -> pd.DataFrame:
    rows = [
        ("n_design", "fifo", "service_level", 0.62, 0.03),
        ("n_design", "fifo", "asa", 12.0, 1.5),
        ("n_design", "fifo", "offered", 900.0, 10.0),
        ("single_pool", "fifo", "abandon_rate", 0.05, 0.004),
        ("single_pool", "fifo", "fcr", float("nan"), float("nan")),
    ]
    return pd.DataFrame(
        [
            {
                "scenario": s,
                "router": r,
                "kpi": k,
                "n": 3,
                "mean": m,
                "std": 0.0,
                "half_width": h,
                "ci_lo": m - h,
                "ci_hi": m + h,
            }
            for s, r, k, m, h in rows
        ]
    )


def test_pass():
    bands = {"n_design": {"fifo": {"service_level": [0.5, 0.7], "asa": [None, 20]}}}
    assert check_bands(_summary(), load_bands(bands)) == []


def test_every_violation_is_listed_readably(tmp_path):
    bands = load_bands(
        {
            "n_design": {"fifo": {"service_level": [0.70, 0.95], "asa": [0, 10]}},
            "single_pool": {
                "fifo": {"abandon_rate": [0.03, 0.07], "fcr": [0.9, 1.0]},
                "lia": {"asa": [0, 30]},
            },
        }
    )
    found = [str(v) for v in check_bands(_summary(), bands)]
    assert found == [
        "n_design/fifo/service_level = 0.62 outside [0.7, 0.95]",
        "n_design/fifo/asa = 12 outside [0, 10]",
        "single_pool/fifo/fcr = nan outside [0.9, 1]",
        "single_pool/lia/asa not measured (expected in [0, 30])",
    ]
    with pytest.raises(GateError) as err:
        enforce_gate(_summary(), bands, tmp_path)
    msg = str(err.value)
    assert msg.startswith("benchmark gate failed: 4 violation(s)")
    assert "\n  n_design/fifo/service_level = 0.62 outside [0.7, 0.95]" in msg
    assert len(err.value.violations) == 4


def test_bands_from_yaml_file_with_bands_key(tmp_path):
    p = tmp_path / "b.yaml"
    p.write_text(
        "measured_with: {seeds: 3}\nbands:\n  n_design:\n    fifo:\n"
        "      service_level: [0.5, null]\n"
    )
    assert load_bands(p) == {"n_design": {"fifo": {"service_level": (0.5, None)}}}


@pytest.mark.parametrize(
    ("bands", "match"),
    [
        ({"s": {"r": {"k": [2, 1]}}}, r"s/r/k: lo 2.0 > hi 1.0"),
        ({"s": {"r": {"k": [1]}}}, r"s/r/k: a band is \[lo, hi\]"),
        ({"s": {"r": {"k": ["a", 1]}}}, r"s/r/k: bounds must be numbers"),
        ({"s": {"r": 3}}, r"s/r: expected"),
        ({"s": [1, 2]}, r"s: expected"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_bands_name_the_entry(bands, match):
    with pytest.raises(BandsError, match=match):
        load_bands(bands)


def test_missing_bands_file(tmp_path):
    with pytest.raises(BandsError, match="no such bands file"):
        load_bands(tmp_path / "nope.yaml")


def test_benchmark_json_format(tmp_path):
    bands = load_bands(
        {"n_design": {"fifo": {"service_level": [0.5, 0.7], "asa": [0, 20]}, "x": {"asa": [0, 1]}}}
    )
    entries = benchmark_entries(_summary(), bands)
    assert [e["name"] for e in entries] == ["n_design/fifo/service_level", "n_design/fifo/asa"]
    paths = write_benchmark_json(entries, tmp_path)
    assert [p.name for p in paths] == [
        "benchmark.json",
        "benchmark_bigger.json",
        "benchmark_smaller.json",
    ]
    data = json.loads((tmp_path / "benchmark.json").read_text())
    assert isinstance(data, list) and len(data) == 2
    for e in data:
        assert set(e) == {"name", "unit", "value", "range", "extra"}
        assert isinstance(e["value"], float) and isinstance(e["range"], str)
        assert e["range"].startswith("± ")
    sl = data[0]
    assert (sl["unit"], sl["value"], sl["range"]) == ("fraction", 0.62, "± 0.03")
    assert "3 seeds" in sl["extra"] and "gate [0.5, 0.7]" in sl["extra"]
    bigger = json.loads((tmp_path / "benchmark_bigger.json").read_text())
    smaller = json.loads((tmp_path / "benchmark_smaller.json").read_text())
    assert [e["name"] for e in bigger] == ["n_design/fifo/service_level"]
    assert [e["name"] for e in smaller] == ["n_design/fifo/asa"]


def test_without_bands_benchmark_json_has_table_kpis(tmp_path):
    assert enforce_gate(_summary(), None, tmp_path, kpis=["asa", "offered", "fcr"]) == []
    names = [e["name"] for e in json.loads((tmp_path / "benchmark.json").read_text())]
    assert names == ["n_design/fifo/asa", "n_design/fifo/offered"]  # NaN fcr left out


def test_benchmark_json_written_even_when_the_gate_fails(tmp_path):
    with pytest.raises(GateError):
        enforce_gate(_summary(), {"n_design": {"fifo": {"asa": [0, 1]}}}, tmp_path)
    assert json.loads((tmp_path / "benchmark.json").read_text())[0]["name"] == "n_design/fifo/asa"
