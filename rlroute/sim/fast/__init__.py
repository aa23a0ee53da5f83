"""rlroute.sim.fast: the compiled (numba) engine, the same model as the reference, call by call.

Layout, one concern per module (mirroring the reference): :mod:`.layout` (state arrays and
their indices), :mod:`.dists` (compiled quantile functions), :mod:`.rings` (event heap,
queues, idle agents, call slots), :mod:`.loop` (the event loop, staffing, assignment, KPI
counters), :mod:`.routers` (compiled heuristics), :mod:`.report` (KPIs and call log through
the reference's own code), :mod:`.simulator` (the Python driver: boundaries, arrival blocks,
repeat-call rows, growth).

Not simulated yet (refused by name, :func:`refuse_unsupported`): agents' not-ready episodes
(``AgentGroup.not_ready``); the reference engine simulates them.
"""

from rlroute.sim.fast.simulator import (
    FastSimulator,
    SimulatorView,
    UnsupportedScenarioError,
    refuse_unsupported,
)

__all__ = ["FastSimulator", "SimulatorView", "UnsupportedScenarioError", "refuse_unsupported"]
