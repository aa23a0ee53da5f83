"""rlroute: reinforcement learning for call-center routing.

Calibrate a multi-skill call-center model on call records, simulate it fast and provably right,
train routing policies with stable-baselines3, benchmark them against classic rules, and export
them to ONNX.
"""

import rlroute.envs.registration  # noqa: F401 - registers rlroute/CallCenter-v1
from rlroute.scenario import Scenario, ScenarioError

__version__ = "0.1.0"

__all__ = ["Scenario", "ScenarioError", "__version__"]
