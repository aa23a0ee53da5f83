"""Bit-reproducible CPU training: the torch settings a run fixes, and the record of them.

A training run is a long chain of floating-point operations whose rounding feeds back into
the next action sampled, so a difference in the last bit of one matrix product becomes a
different policy after a few updates. Everything random is seeded from the run's ``seed``
(SB3's ``set_random_seed``: Python, NumPy's legacy global state, torch; the training days
from :func:`rlroute.rl.train.train_env_seed`; fixed evaluation seeds), so what is left is how
the arithmetic is done:

* **torch's intra-op thread count.** A reduction split over ``n`` threads adds its partial
  sums in an order that depends on ``n`` (measured: a 2,048-step ``ci_tiny`` run gives other
  weights with 2 threads than with 1). ``torch_threads`` (default 1) fixes it, so results do
  not depend on the machine's core count.
* **non-deterministic kernels.** ``torch.use_deterministic_algorithms(True)`` makes torch use
  deterministic implementations, or raise where an op has none (none of the MLP policies'
  ops on CPU do).

What the arithmetic cannot promise is recorded instead (:func:`reproducibility_record`, in
``run.json``): the library versions and the CPU kernel family torch dispatched to (AVX2,
AVX-512, ...), which change rounding between machines.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

import torch

#: Packages whose versions decide a training run's numbers.
PACKAGES = ("torch", "numpy", "stable-baselines3", "sb3-contrib", "gymnasium")


def configure_torch(threads: int | None, deterministic: bool = True, device: str = "cpu") -> None:
    """Fix torch's process-wide arithmetic for training: ``threads`` intra-op threads (None:
    leave torch's default, one per core, so results depend on the machine) and
    deterministic algorithms (strict on CPU; on a GPU, where cuBLAS needs an environment
    variable set before start-up, ops without a deterministic kernel warn instead)."""
    if threads is not None:
        if threads < 1:
            raise ValueError(f"torch_threads: {threads}; use a positive integer or null")
        torch.set_num_threads(int(threads))
    torch.use_deterministic_algorithms(bool(deterministic), warn_only=device != "cpu")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def reproducibility_record() -> dict[str, Any]:
    """What a bit-for-bit rerun must match, as in effect now (written to ``run.json``)."""
    return {
        "torch_threads": torch.get_num_threads(),
        "torch_deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "torch_deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "versions": {p: _version(p) for p in PACKAGES},
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": sys.platform,
        # Not used by training (tested: identical weights under different hash seeds).
        "pythonhashseed": os.environ.get("PYTHONHASHSEED"),
    }


#: Entries of the record that change the numbers of a run when they differ.
MUST_MATCH = ("torch_threads", "torch_deterministic_algorithms", "torch_cpu_capability", "versions")


def differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``key: recorded -> current`` for every entry of :data:`MUST_MATCH` that differs."""
    return [
        f"{k}: {recorded.get(k)!r} -> {current.get(k)!r}"
        for k in MUST_MATCH
        if k in recorded and recorded.get(k) != current.get(k)
    ]


__all__ = ["MUST_MATCH", "PACKAGES", "configure_torch", "differences", "reproducibility_record"]
