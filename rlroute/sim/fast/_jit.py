"""The one decorator every compiled function of the fast engine goes through.

``njit(cache=True, _nrt=False)``: compiled once and cached on disk, and without numba's
reference-counted runtime (the engine allocates nothing in compiled code). numba's own type
hints know neither the private ``_nrt`` option nor that the dispatcher is called like the
function it wraps, so this helper says it once, typed ``Callable[[F], F]``, instead of a
``type: ignore`` on every decorated function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

from numba import njit

F = TypeVar("F", bound=Callable[..., Any])

# A fresh njit(...) per function, as a literal @njit(...) would: the wrapper it returns
# shares its option dicts with every dispatcher it makes.
_OPTIONS: Final[dict[str, Any]] = {"cache": True, "_nrt": False}


def compiled(fn: F) -> F:
    """``@njit(cache=True, _nrt=False)``, typed as returning what it decorates."""
    return cast(F, njit(**_OPTIONS)(fn))


def inlined(fn: F) -> F:
    """:func:`compiled`, and inlined (numba IR) into every compiled caller.

    For the functions of the per-decision path that take the state's named tuples: a call
    that is not inlined passes every field of every array of them (hundreds of machine
    words) on the stack, which cost more than the work of most events. Called from Python,
    such a function is an ordinary compiled function.
    """
    return cast(F, njit(**_OPTIONS, inline="always")(fn))


__all__ = ["compiled", "inlined"]
