"""Exact queueing formulas for call centers: Erlang B, Erlang C, Erlang A, and staffing by them.

The simulator is validated against these values and the classic staffing rules are built on
them; see :mod:`rlroute.theory.erlang` for the methods and their sources.
"""

from rlroute.theory.erlang import (
    ErlangAResult,
    ErlangCResult,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    staffing_erlang_a,
    staffing_erlang_c,
)

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "staffing_erlang_a",
    "staffing_erlang_c",
]
