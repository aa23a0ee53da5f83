"""Pictures and text of a call center's state at one instant, for ``CallCenterEnv.render``.

Drawn with NumPy only (no matplotlib: a frame of ``heterogeneous`` takes about 2 ms, so
``RecordVideo`` can film a whole day). The picture has a constant shape per scenario:

* a top strip: the clock (blue, the fraction of the horizon elapsed; full during the drain);
* per call type (left panel), two bars: the queue, in calls per agent able to serve the type
  (the observation's ``queue/<type>``), and the head-of-line wait in service-level targets
  (``hol_wait/<type>``); both are drawn up to 2, with a white tick at 1 (one call per agent,
  one target: above it the call already missed its service level);
* per agent group (right panel), one stacked bar scaled to the group's peak head count:
  talking (red), in wrap-up (orange), idle (green); what remains up to the peak is off duty
  (dark grey).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rlroute.scenario import Scenario
    from rlroute.sim.engine import Simulator

HEIGHT = 160
TOP = 10  # the clock strip
BAR_W, GAP = 12, 6
TYPE_W = 2 * (BAR_W + GAP) + GAP  # two bars per call type
GROUP_W = BAR_W + 2 * GAP  # one bar per agent group
BAR_SCALE = 2.0  # bars of the queue panel are drawn up to 2 (agents, targets)
BG = (24, 24, 32)
COLORS = {
    "clock": (70, 130, 220),
    "queue": (90, 170, 250),
    "wait": (240, 200, 60),
    "talking": (220, 60, 60),
    "wrap_up": (245, 150, 40),
    "idle": (70, 190, 90),
    "off": (60, 60, 70),
    "tick": (255, 255, 255),
}


def frame_shape(scenario: Scenario) -> tuple[int, int, int]:
    """``(H, W, 3)`` of every frame of ``scenario``."""
    K, G = len(scenario.call_types), len(scenario.agent_groups)
    width = GAP + K * TYPE_W + 2 * GAP + G * GROUP_W
    return HEIGHT, max(width, 64), 3


def _bar(img: np.ndarray, x: int, frac0: float, frac1: float, color: tuple[int, int, int]) -> None:
    """Fill the bar at column ``x`` between heights ``frac0`` and ``frac1`` (0 = bottom)."""
    span = HEIGHT - TOP - 2 * GAP
    bottom = HEIGHT - GAP
    y1 = bottom - round(min(max(frac0, 0.0), 1.0) * span)
    y0 = bottom - round(min(max(frac1, 0.0), 1.0) * span)
    if y0 < y1:
        img[y0:y1, x : x + BAR_W] = color


def draw(sim: Simulator, obs: np.ndarray, peak: list[int]) -> np.ndarray:
    """The picture of ``sim`` now (uint8, ``frame_shape(sim.scenario)``); ``obs`` is the
    environment's observation of it and ``peak`` each group's peak head count."""
    sc = sim.scenario
    K, G = sim.n_types, sim.n_groups
    img = np.empty(frame_shape(sc), dtype=np.uint8)
    img[:] = BG
    width = img.shape[1]
    elapsed = min(max(float(sim.now) / sim.horizon, 0.0), 1.0)
    img[2 : TOP - 2, 2 : 2 + round(elapsed * (width - 4))] = COLORS["clock"]
    span = HEIGHT - TOP - 2 * GAP
    tick_y = HEIGHT - GAP - round(span / BAR_SCALE)
    x = GAP
    for k in range(K):
        for value, color in ((obs[k], COLORS["queue"]), (obs[K + k], COLORS["wait"])):
            _bar(img, x, 0.0, float(value) / BAR_SCALE, color)
            img[tick_y, x : x + BAR_W] = COLORS["tick"]
            x += BAR_W + GAP
        x += GAP
    x += 2 * GAP
    for g in range(G):
        idle, talking, wrapping = sim.agent_counts(g)
        scale = 1.0 / max(peak[g], idle + talking + wrapping, 1)
        _bar(img, x, 0.0, 1.0, COLORS["off"])
        level = 0.0
        for n, state in ((talking, "talking"), (wrapping, "wrap_up"), (idle, "idle")):
            _bar(img, x, level, level + n * scale, COLORS[state])
            level += n * scale
        x += GROUP_W
    return img


def text(sim: Simulator, last_action: str | None) -> str:
    """A text snapshot: clock, queues and head-of-line waits per type, agents per group."""
    sc = sim.scenario
    lines = [
        f"{sc.name}  t={sim.now:9.1f}s / {sim.horizon:.0f}s"
        + ("  (drain)" if sim.now >= sim.horizon else "")
        + f"  cost={sim.cost:.2f}"
        + (f"  last action: {last_action}" if last_action is not None else "")
    ]
    for k, name in enumerate(sc.type_names):
        head = sim.head_arrival(k) if sim.queue_len[k] else None
        wait = f"{sim.now - head:7.1f}s" if head is not None else "      -"
        lines.append(
            f"  type  {name:<16} waiting {sim.queue_len[k]:4d}  head-of-line wait {wait}"
            f"  (target {sc.sl_target_s(k):.0f}s)"
        )
    for g, name in enumerate(sc.group_names):
        idle, talking, wrapping = sim.agent_counts(g)
        lines.append(
            f"  group {name:<16} idle {idle:3d}  talking {talking:3d}  wrap-up {wrapping:3d}"
        )
    return "\n".join(lines) + "\n"


__all__ = ["draw", "frame_shape", "text"]
