"""Number formatting and Markdown tables of the report."""

from __future__ import annotations

import math

import pandas as pd

from rlroute.bench.report import fmt_ci, kpi_direction, kpi_unit, markdown_table, summary_markdown


def test_fmt_ci_two_significant_digits_of_the_half_width():
    assert fmt_ci(0.81732, 0.01234) == "0.817 ± 0.012"
    assert fmt_ci(25.31, 3.44) == "25.3 ± 3.4"
    assert fmt_ci(1437.2, 21.0) == "1437 ± 21"
    assert fmt_ci(0.004, 0.0021, signed=True) == "+0.0040 ± 0.0021"
    assert fmt_ci(0.5, math.nan) == "0.500"
    assert fmt_ci(math.nan, 0.1) == "—"


def test_units_and_directions():
    assert (kpi_unit("asa"), kpi_direction("asa")) == ("s", -1)
    assert (kpi_unit("wait_p90"), kpi_direction("wait_p90")) == ("s", -1)
    assert (kpi_unit("service_level"), kpi_direction("service_level")) == ("fraction", 1)
    assert kpi_direction("offered") == 0


def test_markdown_tables():
    assert markdown_table(["a", "b"], [["x", "1"]]).splitlines() == [
        "| a | b |",
        "|:---|---:|",
        "| x | 1 |",
    ]
    summary = pd.DataFrame(
        [
            {
                "scenario": "s",
                "router": r,
                "kpi": "service_level",
                "n": 5,
                "mean": m,
                "half_width": 0.01,
            }
            for r, m in (("fifo", 0.8), ("x", 0.85))
        ]
    )
    paired = pd.DataFrame(
        [
            {
                "scenario": "s",
                "router": "x",
                "reference": "fifo",
                "kpi": "service_level",
                "mean_diff": 0.05,
                "half_width": 0.004,
                "significant": True,
            }
        ]
    )
    md = summary_markdown(summary, paired, kpis=["service_level", "not_measured"])
    assert "### s (5 seeds)" in md
    assert "| fifo | 0.800 ± 0.010 |" in md
    assert "| x | +0.0500 ± 0.0040* |" in md
