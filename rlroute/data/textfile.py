"""Reading a delimited text file (plain or gzip) into a table of strings with line numbers.

The loaders need what pandas' CSV reader hides: the source line of every row (for the cleaning
report and error messages), ragged lines counted instead of fatal, and gzip recognised by its
content rather than by the file name. Splitting is still vectorised (``Series.str.split``).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from rlroute.data.errors import error

__all__ = ["RawTable", "read_text", "split_lines"]

_GZIP_MAGIC = b"\x1f\x8b"


def read_text(path: str | Path) -> str:
    """The decoded content of ``path``; gzip is detected by its magic bytes.

    Raises :class:`~rlroute.data.errors.CallRecordsError` for a missing, unreadable, corrupt
    or empty file. UTF-8 is tried first (a BOM is skipped), then Latin-1, which never fails.
    """
    p = Path(path)
    if not p.exists():
        raise error(p, "file not found")
    if not p.is_file():
        raise error(p, "not a file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise error(p, f"cannot read the file ({exc.strerror or exc})") from None
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise error(p, f"corrupt gzip data ({exc})") from None
    if not data.strip():
        raise error(p, "file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@dataclass
class RawTable:
    """The header line, the data lines and their 1-based line numbers in the file."""

    header: str
    header_number: int
    lines: pd.Series
    numbers: npt.NDArray[np.int64]


def split_lines(text: str) -> RawTable:
    """Split ``text`` into the header and the non-blank data lines, keeping line numbers.

    Blank lines are not rows: they are skipped without being counted, but the numbering of
    the following lines still matches what an editor shows.
    """
    all_lines = pd.Series(text.splitlines(), dtype="string")
    numbers = np.arange(1, len(all_lines) + 1, dtype=np.int64)
    filled = (all_lines.str.strip() != "").to_numpy()
    all_lines, numbers = all_lines[filled].reset_index(drop=True), numbers[filled]
    return RawTable(
        header=str(all_lines.iloc[0]) if len(all_lines) else "",
        header_number=int(numbers[0]) if len(numbers) else 1,
        lines=all_lines.iloc[1:].reset_index(drop=True),
        numbers=numbers[1:],
    )
