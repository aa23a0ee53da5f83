"""Fixtures for rlroute.data tests: the shipped log (loaded once) and tiny Technion files."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rlroute.data import TECHNION_COLUMNS, CallRecords
from rlroute.datasets import load_anonymous_bank

# A plain served call: VRU 10:00:00-10:00:10, queued 10:00:10-10:00:40, served until 10:03:00.
BASE_ROW: dict[str, str] = {
    "vru+line": "AA0101",
    "call_id": "1",
    "customer_id": "12345678",
    "priority": "2",
    "type": "PS",
    "date": "990201",
    "vru_entry": "10:00:00",
    "vru_exit": "10:00:10",
    "vru_time": "10",
    "q_start": "10:00:10",
    "q_exit": "10:00:40",
    "q_time": "30",
    "outcome": "AGENT",
    "ser_start": "10:00:40",
    "ser_exit": "10:03:00",
    "ser_time": "140",
    "server": "DORIT",
}

WriteLog = Callable[..., Path]


def technion_text(
    rows: Sequence[dict[str, str]],
    *,
    header: Sequence[str] = TECHNION_COLUMNS,
    row_numbers: bool = False,
    day_of_week: bool = False,
    sep: str = "\t",
    newline: str = "\n",
) -> str:
    """A Technion log as text; each row is BASE_ROW updated with the given fields."""
    names = list(header) + (["day.of.week"] if day_of_week else [])
    lines = [sep.join(names)]
    for i, overrides in enumerate(rows, start=1):
        row = {**BASE_ROW, "call_id": str(i), **overrides}
        fields = [row[c] for c in TECHNION_COLUMNS]
        if day_of_week:
            fields.append("2")
        if row_numbers:
            fields.insert(0, str(i))
        lines.append(sep.join(fields))
    return newline.join(lines) + newline


@pytest.fixture
def write_log(tmp_path: Path) -> WriteLog:
    """Write a tiny Technion log (``rows`` of field overrides) and return its path."""
    counter = iter(range(1_000))

    def write(rows: Sequence[dict[str, str]] = ({},), *, gz: bool = False, **kw: object) -> Path:
        text = technion_text(rows, **kw)  # type: ignore[arg-type]
        path = tmp_path / f"log{next(counter)}.txt{'.gz' if gz else ''}"
        data = text.encode()
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    return write


@pytest.fixture
def make_text() -> Callable[..., str]:
    """:func:`technion_text`, for tests that edit the text before writing it."""
    return technion_text


@pytest.fixture(scope="session")
def bank() -> CallRecords:
    """The shipped February 1999 log, cleaned (loaded once for the session)."""
    return load_anonymous_bank()
