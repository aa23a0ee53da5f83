"""Choose the arrival profile's smoothness by out-of-sample deviance (leave-days-out CV).

Why. A spline with many degrees of freedom follows the fitting days' noise; one with few
misses the real shape of the day (the lunch dip, the morning peak). Which is better is a
question about days the profile has not seen, so it is answered on held-out days: the days
are cut into ``folds`` groups (day ``j`` goes to fold ``j mod folds``; ``folds = days`` is
leave-one-day-out), each group is predicted by the profile fitted on the others, and the
score is the mean unit Poisson deviance per (day, interval) cell
(:func:`~rlroute.calibrate.profiles.poisson_deviance`). ``choose_df`` takes the ``df``
with the lowest score, per call type; the calibration calls it when ``arrival_df`` is not
given. The empirical profile (a free rate per interval) is scored the same way, as the
reference. The functions are :mod:`rlroute.calibrate.profiles`'; this is the command.

Run it on the shipped log: ``python -m rlroute.calibrate.profile_cv`` (``--help``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

import numpy as np
import pandas as pd

from rlroute.calibrate.common import CalibrationError
from rlroute.calibrate.core import calibrate
from rlroute.calibrate.inputs import load_records
from rlroute.calibrate.profiles import (
    DEFAULT_MAX_DF,
    candidate_dfs,
    choose_df,
    cv_deviance,
    empirical_profile,
    poisson_deviance,
    smooth_profile,
)
from rlroute.data import CallRecordsError

__all__ = ["cv_table", "holdout_table", "main"]


def cv_table(
    counts: np.ndarray,
    types: list[str],
    dfs: Iterable[int] | None = None,
    folds: int | None = None,
) -> pd.DataFrame:
    """Held-out deviance per type and model (``empirical``, ``spline df=...``) and pooled.

    ``counts`` is ``(days, types, intervals)``. The ``ALL`` rows average over every cell of
    every type (each type weighted by its cells, i.e. equally).
    """
    c = np.asarray(counts, dtype=float)
    dfs = list(dfs) if dfs is not None else candidate_dfs(c.shape[2])
    rows = []
    for k, t in enumerate(types):
        models: list[int | str] = ["empirical", *dfs]
        for model in models:
            rows.append(
                {
                    "call_type": t,
                    "model": "empirical" if model == "empirical" else f"spline df={model}",
                    "df": np.nan if model == "empirical" else int(model),
                    "deviance": cv_deviance(c[:, k, :], model, folds),
                }
            )
    out = pd.DataFrame(rows)
    pooled = out.groupby("model", sort=False, as_index=False).agg(
        df=("df", "first"), deviance=("deviance", "mean")
    )
    return pd.concat([out, pooled.assign(call_type="ALL")], ignore_index=True)


def holdout_table(
    counts: np.ndarray,
    types: list[str],
    fit: np.ndarray,
    dfs: Iterable[int],
    folds: int | None = None,
    max_df: int = DEFAULT_MAX_DF,
) -> pd.DataFrame:
    """Deviance on later days: fit on the days where ``fit`` is true, score the others.

    Models: ``empirical``, ``spline (CV df)`` (df per type chosen on the fitting days, as the
    calibration does) and ``spline df=...`` for each of ``dfs``; ``ALL`` averages the types.
    """
    c = np.asarray(counts, dtype=float)
    fit = np.asarray(fit, dtype=bool)
    train, test = c[fit], c[~fit]
    if train.shape[0] < 2 or test.shape[0] < 1:
        raise CalibrationError(
            f"holdout: {train.shape[0]} fitting and {test.shape[0]} test days (need >= 2 and 1)"
        )
    rows = []
    for k, t in enumerate(types):
        chosen = choose_df(train[:, k, :], folds, max_df)
        models: list[tuple[str, int | str]] = [
            ("empirical", "empirical"),
            (f"spline (CV df = {chosen})", chosen),
            *((f"spline df={d}", d) for d in dfs),
        ]
        for name, model in models:
            if model == "empirical":
                mu = empirical_profile(train[:, k, :])
            else:
                mu = smooth_profile(train[:, k, :], int(model))
            dev = float(poisson_deviance(test[:, k, :], mu[None, :]).mean())
            label = "spline (CV df)" if name.startswith("spline (CV") else name
            rows.append({"call_type": t, "model": label, "df": model, "deviance": dev})
    out = pd.DataFrame(rows)
    pooled = out.groupby("model", sort=False, as_index=False)["deviance"].mean()
    return pd.concat([out, pooled.assign(call_type="ALL", df="")], ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m rlroute.calibrate.profile_cv``: held-out deviance of arrival profiles."""
    parser = argparse.ArgumentParser(
        prog="python -m rlroute.calibrate.profile_cv",
        description=__doc__.split("\n\n")[0],
        epilog=(
            "example:\n  python -m rlroute.calibrate.profile_cv --day-type weekday "
            "--holdout-from 1999-02-15 --max-df 16"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", default=None, help="Technion log (default: the shipped one)")
    parser.add_argument("--day-type", default="weekday")
    parser.add_argument("--interval", type=float, default=30.0, help="minutes")
    parser.add_argument("--before", default=None, help="only days before YYYY-MM-DD")
    parser.add_argument(
        "--holdout-from",
        default=None,
        help="also fit on the days before YYYY-MM-DD and score the days from it on",
    )
    parser.add_argument("--folds", type=int, default=None, help="default: leave one day out")
    parser.add_argument("--max-df", type=int, default=DEFAULT_MAX_DF)
    parser.add_argument("--out", default=None, help="also write the table to this CSV")
    args = parser.parse_args(argv)
    try:
        records = load_records({"path": args.data, "format": "technion"})
        frame = records.frame
        days = sorted(set(frame.loc[frame["day_type"] == args.day_type, "date"]))
        if args.before:
            days = [d for d in days if d < pd.Timestamp(args.before)]
        _, report = calibrate(
            records,
            interval_minutes=args.interval,
            day_type=args.day_type,
            dates=days,
            split_priority=True,
            arrival_profile="empirical",
        )
        arr = report.arrivals
        dfs = candidate_dfs(arr.grid.n_intervals, args.max_df)[:-1]  # the last is empirical
        counts, fit_days = arr.counts, np.ones(len(arr.days), dtype=bool)
        if args.holdout_from:
            fit_days = np.asarray([d < pd.Timestamp(args.holdout_from) for d in arr.days])
            held = holdout_table(counts, arr.types, fit_days, dfs, args.folds, args.max_df)
        counts = counts[fit_days]
        table = cv_table(counts, arr.types, dfs, args.folds)
    except (CalibrationError, CallRecordsError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    wide = table.pivot(index="model", columns="call_type", values="deviance")
    order = ["empirical"] + [f"spline df={d}" for d in dfs]
    wide = wide.loc[order, [*arr.types, "ALL"]]
    print(f"{len(counts)} {args.day_type} days, {arr.grid.n_intervals} intervals")
    print("cross-validated (leave-days-out) mean Poisson deviance per (day, interval):")
    print(wide.round(4).to_string())
    best = {t: choose_df(counts[:, k, :], args.folds, args.max_df) for k, t in enumerate(arr.types)}
    print("chosen df per type:", best)
    if args.holdout_from:
        hw = held.pivot(index="model", columns="call_type", values="deviance")
        horder = ["empirical", "spline (CV df)"] + [f"spline df={d}" for d in dfs]
        print(
            f"\nfit on {int(fit_days.sum())} days before {args.holdout_from}, scored on the "
            f"{int((~fit_days).sum())} days from it: mean Poisson deviance per (day, interval):"
        )
        print(hw.loc[horder, [*arr.types, "ALL"]].round(4).to_string())
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
