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

from llvmlite import ir  # type: ignore[import-untyped]  # llvmlite ships no hints
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

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


@intrinsic
def _prefetch(typingctx: Any, arr: Any, i: Any) -> Any:
    """``prefetch(a, i)``: ask the CPU for the cache line of ``a``'s i-th element (flat index
    of a C-contiguous array), without waiting for it. No effect on any value; an address
    past the end is harmless (a prefetch never faults)."""
    if not isinstance(arr, types.Array) or not isinstance(i, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        idx = context.cast(builder, args[1], signature.args[1], types.intp)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        ptr = builder.bitcast(builder.gep(ary.data, [idx]), i8p)
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])  # read, keep in all levels, data
        return context.get_dummy_value()

    return types.void(arr, i), codegen


# Called only from compiled code, as prefetch(array, flat index).
prefetch = cast(Callable[[Any, int], None], _prefetch)


__all__ = ["compiled", "inlined", "prefetch"]
