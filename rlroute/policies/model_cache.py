"""Models loaded from files, once per process.

A benchmark builds a fresh router for every (scenario, seed) so that no state leaks between
replications; for a router built from a model file (``sb3``, ``onnx``) that would load the
model again for every seed. The providers load through :func:`load_once` instead: the loaded
object is kept per process, keyed by the file's resolved path, its modification time and size
(for a directory: those of the files directly in it), and the loader. A file rewritten in place
(a new training run, a new export) is loaded again; nothing else is. The cached object must be
read-only after loading (a network, an inference session, normalisation statistics); routers
keep their own per-run state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_CACHE: dict[tuple[str, str, tuple[tuple[str, int, int], ...]], Any] = {}
#: How many times each kind of model was actually loaded in this process (for tests, and for
#: a benchmark that wants to report it).
LOADS: dict[str, int] = {}


def file_stamp(path: str | Path) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """The resolved path and (name, mtime_ns, size) of the file, or of a directory's files."""
    p = Path(path).resolve()
    files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
    stamps = []
    for f in files:
        try:
            st = f.stat()
        except OSError:  # vanished or unreadable: let the loader report it
            continue
        stamps.append((f.name, st.st_mtime_ns, st.st_size))
    return str(p), tuple(stamps)


def load_once(
    kind: str, path: str | Path, loader: Callable[[Path], T], extra: Iterable[str | Path] = ()
) -> T:
    """``loader(path)``, or the object it returned before in this process for the same file.

    ``kind`` names the loader (``"sb3"``, ``"onnx"``), so two kinds of model read from one
    path do not collide; ``extra`` files (a sidecar, normalisation statistics) are part of the
    key too. Errors are not cached: a failed load is retried next time.
    """
    resolved, stamps = file_stamp(path)
    for other in extra:
        stamps += tuple((str(Path(other).resolve()), *s[1:]) for s in file_stamp(other)[1])
    key = (kind, resolved, stamps)
    if key not in _CACHE:
        obj = loader(Path(path))
        # Drop older versions of the same file: a rewritten model must not pin the old one.
        for old in [k for k in _CACHE if k[:2] == (kind, resolved)]:
            del _CACHE[old]
        _CACHE[key] = obj
        LOADS[kind] = LOADS.get(kind, 0) + 1
    return _CACHE[key]


def clear_model_cache() -> None:
    """Forget every cached model (and the load counts)."""
    _CACHE.clear()
    LOADS.clear()


__all__ = ["LOADS", "clear_model_cache", "file_stamp", "load_once"]
