"""rlroute.sim: the event-driven call-center simulator, its KPIs and the router interface.

Knows nothing of Gymnasium, torch or Hydra: usable on its own from Python.
"""

from rlroute.sim.engine import Agent, Call, Simulator
from rlroute.sim.kpis import KPIReport
from rlroute.sim.router import FIFORouter, Router
from rlroute.sim.streams import RandomStreams

__all__ = ["Agent", "Call", "FIFORouter", "KPIReport", "RandomStreams", "Router", "Simulator"]
