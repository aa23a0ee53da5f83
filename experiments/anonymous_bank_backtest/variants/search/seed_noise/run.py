"""The default model's out-of-sample per_day backtest with seeds 10-19 (the search used 0-9).

``python experiments/anonymous_bank_backtest/variants/search/seed_noise/run.py NAME PATIENCE``
(PATIENCE: auto or exponential): how much the search's score moves with the seeds alone.
"""

import sys

import pandas as pd

from rlroute.bench.backtest import holdout_backtest, write_backtest
from rlroute.datasets import load_anonymous_bank

name, patience = sys.argv[1], sys.argv[2]
rec = load_anonymous_bank()
f = rec.frame
days = sorted(set(f.loc[f["day_type"] == "weekday", "date"]))
cut = pd.Timestamp("1999-02-15")
res = holdout_backtest(
    rec,
    [d for d in days if d < cut],
    [d for d in days if d >= cut],
    seeds=list(range(10, 20)),
    router="fifo_priority",
    modes=("per_day",),
    engine="auto",
    day_type="weekday",
    interval_minutes=30.0,
    split_priority=True,
    staffing_method="queue",
    gap_minutes=30.0,
    patience_model=patience,
    wrap_up=True,
    handle_profile=True,
    arrival_profile="spline",
    arrival_df=None,
)
paths = write_backtest(
    res, f"experiments/anonymous_bank_backtest/variants/search/seed_noise/{name}_seeds10-19"
)
print(paths["results"].read_text())
