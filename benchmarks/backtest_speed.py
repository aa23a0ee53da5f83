"""Backtest speed: the replay backtest on the reference and on the compiled engine.

Run on demand (not a test): ``python benchmarks/backtest_speed.py``. Calibrates the shipped
Anonymous Bank log once (the backtest's defaults), warms the compiled engine up (its first
call loads or compiles the machine code), then times the ``replay`` mode on each engine in
this one process, so the ratio is measured on one machine at one moment. The time is the
whole backtest (simulation, call log to records, KPIs), which is what a user waits for; the
two engines give the same calls (``tests/calibrate/test_backtest_replay.py``).
"""

from __future__ import annotations

import argparse
import time

from rlroute.bench.backtest import backtest
from rlroute.calibrate import calibrate
from rlroute.calibrate.inputs import load_records


def main() -> None:
    parser = argparse.ArgumentParser(prog="python benchmarks/backtest_speed.py")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--router", default="fifo_priority")
    args = parser.parse_args()
    records = load_records({"path": None, "format": "technion"})
    scenario, report = calibrate(records, day_type="weekday", split_priority=True)
    backtest(records, scenario, report, 1, args.router, ("replay",), engine="compiled")
    seconds = {}
    for engine in ("reference", "compiled"):
        t0 = time.perf_counter()
        backtest(records, scenario, report, args.seeds, args.router, ("replay",), engine=engine)
        seconds[engine] = time.perf_counter() - t0
    print(
        f"replay backtest, {len(report.arrivals.days)} days x {args.seeds} seeds: "
        f"reference {seconds['reference']:.1f} s, compiled {seconds['compiled']:.1f} s, "
        f"ratio {seconds['reference'] / seconds['compiled']:.2f}x"
    )


if __name__ == "__main__":
    main()
