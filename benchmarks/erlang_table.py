"""The simulator against exact Erlang C and Erlang A values: a Markdown table for the README.

``python benchmarks/erlang_table.py [--scale 1] [--seed 0]``: the cases of the test suite
(``rlroute.sim.validation``), each one long FIFO run cut into batches; prints exact value,
simulated batch mean and its 99% interval, and whether the interval covers the exact value.
``--scale`` multiplies the batch length (longer runs, narrower intervals).
"""

from __future__ import annotations

import argparse

from rlroute.sim.validation import ERLANG_A_CASES, ERLANG_C_CASES, batch_means_ci, stationary_run
from rlroute.theory import erlang_a_metrics, erlang_c_metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("| model | case | KPI | exact | simulated | 99% CI | covered |")
    print("|---|---|---|---:|---:|---|:---:|")
    rows = []
    for label, rate_h, aht, n, batch_h in ERLANG_C_CASES:
        ex = erlang_c_metrics(arrival_rate=rate_h / 3600, mean_handle_s=aht, n=n, target_s=20.0)
        b = stationary_run(rate_h, aht, n, batch_hours=batch_h * args.scale, seed=args.seed)
        kpis = {"p_wait": ex.p_wait, "asa": ex.asa_s, "service_level_offered": ex.service_level}
        kpis["occupancy"] = ex.occupancy
        rows += [("M/M/n", label, k, v, batch_means_ci(b, k)) for k, v in kpis.items()]
    for label, rate_h, aht, n, patience, batch_h in ERLANG_A_CASES:
        ex = erlang_a_metrics(
            arrival_rate=rate_h / 3600,
            mean_handle_s=aht,
            n=n,
            mean_patience_s=patience,
            target_s=20.0,
        )
        b = stationary_run(
            rate_h, aht, n, patience, batch_hours=batch_h * args.scale, seed=args.seed
        )
        kpis = {
            "p_wait": ex.p_wait,
            "abandon_rate": ex.p_abandon,
            "asa": ex.asa_served_s,
            "service_level_offered": ex.service_level,
            "occupancy": ex.occupancy,
        }
        rows += [("M/M/n+M", label, k, v, batch_means_ci(b, k)) for k, v in kpis.items()]
    for model, label, kpi, exact, ci in rows:
        print(
            f"| {model} | {label} | {kpi} | {exact:.4f} | {ci.mean:.4f} | "
            f"[{ci.low:.4f}, {ci.high:.4f}] | {'yes' if ci.covers(exact) else 'NO'} |"
        )
    covered = sum(ci.covers(exact) for *_, exact, ci in rows)
    print(f"\n{covered} of {len(rows)} 99% intervals cover the exact value.")


if __name__ == "__main__":
    main()
