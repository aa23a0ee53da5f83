"""Volume forecast on a small synthetic year: intervals cover, the model beats seasonal naive."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rlroute.calibrate.common import CalibrationError
from rlroute.calibrate.forecast import day_matrix, main, rolling_forecast, scores, summarize

SLOTS = 48


def _synthetic_counts(weeks: int = 12, seed: int = 0, shape: float = 30.0) -> pd.DataFrame:
    """6-minute counts from the model itself: a smooth profile per day of the week (Friday
    half a day, Saturday small), a Gamma(shape) day factor, Poisson 6-minute counts."""
    rng = np.random.default_rng(seed)
    x = (np.arange(SLOTS * 5) + 0.5) / (SLOTS * 5)
    base = 0.05 + 6 * np.exp(-(((x - 0.45) / 0.15) ** 2)) + 3 * np.exp(-(((x - 0.7) / 0.1) ** 2))
    rows = []
    for day in pd.date_range("1999-01-03", periods=7 * weeks, freq="D"):
        level = {4: 0.4, 5: 0.15}.get(day.day_of_week, 1.0)
        factor = rng.gamma(shape, 1 / shape)
        calls = rng.poisson(base * level * factor)
        rows.append(
            pd.DataFrame(
                {"date": day, "interval_start_min": np.arange(SLOTS * 5) * 6, "calls": calls}
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_day_matrix_sums_to_half_hours() -> None:
    counts = _synthetic_counts(weeks=2)
    _days, m = day_matrix(counts)
    assert m.shape == (14, SLOTS)
    assert m.sum() == pytest.approx(counts["calls"].sum())
    with pytest.raises(CalibrationError, match="missing columns"):
        day_matrix(counts.drop(columns="calls"))


def test_synthetic_year_coverage_and_skill() -> None:
    """Data drawn from the forecaster's own model: 80%/95% intervals cover about 80%/95% of
    the open half-hours, and the model's WAPE is below the seasonal naive's."""
    days, m = day_matrix(_synthetic_counts())
    result = rolling_forecast(days, m, history_weeks=6, min_history_weeks=3, profile="spline")
    s = summarize(result)
    model, naive = s["overall"]["model"], s["overall"]["seasonal_naive"]
    assert s["weeks"] == 9 and s["days"] == 63
    assert 0.72 < model["coverage_80"] < 0.90, model
    assert 0.89 < model["coverage_95"] < 0.99, model
    assert model["wape"] < 0.85 * naive["wape"], (model, naive)
    assert abs(model["bias"]) < 0.05
    emp = summarize(rolling_forecast(days, m, history_weeks=6, profile="empirical"))
    assert model["wape"] < emp["overall"]["model"]["wape"]  # smoothing helps on smooth data


def test_scores_and_errors() -> None:
    a = np.array([[10.0, 5.0]])
    s = scores(a, a, np.ones_like(a, bool), {0.8: a - 1}, {0.8: a + 1})
    assert s["wape"] == 0 and s["coverage_80"] == 1.0
    days, m = day_matrix(_synthetic_counts(weeks=3))
    with pytest.raises(CalibrationError, match="no week with 3 weeks"):
        rolling_forecast(days[:14], m[:14])
    with pytest.raises(CalibrationError, match="min_history_weeks"):
        rolling_forecast(days, m, min_history_weeks=1)


def test_command_writes_table_json_and_plot(tmp_path) -> None:
    data = tmp_path / "counts.csv"
    _synthetic_counts(weeks=6).to_csv(data, index=False)
    out = tmp_path / "vf"
    assert main(["--data", str(data), "--out", str(out), "--history-weeks", "4"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["weeks"] == 3
    assert "| calibrated model |" in (out / "README.md").read_text()
    assert (out / "forecast.png").stat().st_size > 1000
    assert main(["--data", str(tmp_path / "nope.csv"), "--out", str(out)]) == 2
