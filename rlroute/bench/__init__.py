"""rlroute.bench: score routers on scenarios over many seeds, on common random numbers.

>>> from rlroute.bench import run_benchmark, summarize
>>> res = run_benchmark(["n_design"], ["fifo", "fifo_priority"], seeds=2, progress=False,
...                     horizon_intervals=2)
>>> summarize(res.runs, ["service_level"])[["router", "n"]].to_dict("list")
{'router': ['fifo', 'fifo_priority'], 'n': [2, 2]}

Modules: ``specs`` (router specs, scenarios, config hashes), ``runner`` (the simulations),
``stats`` (t-intervals, paired differences, IQM and bootstrap), ``report`` (JSON lines, CSV,
Markdown), ``plots`` (PNG figures), ``gate`` (bands for CI, ``benchmark.json``). The
``rlroute-bench`` entry point (:mod:`rlroute.cli.bench`) strings them together. Evaluation
tooling that needs the layers below lives here too: ``study`` (trained seeds vs baselines,
``python -m rlroute.bench.study``), ``backtest`` (a calibration's days simulated and compared
with the records, ``python -m rlroute.bench.backtest``), ``synthetic`` (simulated call records
for calibration round trips). Importing this package registers the learned routers (``sb3``,
``onnx``) by importing their layers.
"""

from rlroute.bench.gate import GateError, Violation, check_bands, enforce_gate, load_bands
from rlroute.bench.report import write_report
from rlroute.bench.runner import BenchmarkResult, run_benchmark
from rlroute.bench.specs import (
    BenchConfigError,
    RouterSpec,
    config_hash,
    parse_router_spec,
    registered_routers,
    truncate_horizon,
)
from rlroute.bench.stats import (
    aggregate_iqm,
    iqm,
    paired_differences,
    robust_summary,
    stratified_bootstrap_ci,
    summarize,
    t_interval,
)

__all__ = [
    "BenchConfigError",
    "BenchmarkResult",
    "GateError",
    "RouterSpec",
    "Violation",
    "aggregate_iqm",
    "check_bands",
    "config_hash",
    "enforce_gate",
    "iqm",
    "load_bands",
    "paired_differences",
    "parse_router_spec",
    "registered_routers",
    "robust_summary",
    "run_benchmark",
    "stratified_bootstrap_ci",
    "summarize",
    "t_interval",
    "truncate_horizon",
    "write_report",
]
