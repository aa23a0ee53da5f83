"""Tables of the calibration-settings search (issue 12 item 5), from the variants' headlines.

Run from the repository root after ``run.sh``:
``python experiments/anonymous_bank_backtest/variants/search/summarize.py``.

Score of a variant: its worst miss of the six out-of-sample ``per_day`` targets, each in units
of its tolerance: ``|error| / 15%`` for abandonment and ASA, ``|error| / 10%`` for service
level, ``(1 - r) / (1 - 0.8)`` for each hourly correlation ``r`` (a score <= 1 meets every
target). Selection rule: among the calibration settings (router ``fifo_priority``, the
backtest's default), the lowest score. A router's own parameter (``priority_boost``'s boost)
is chosen on the fitting half in sample (``fithalf``), never on the test days.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).parent
KPIS = ("abandon_rate", "asa", "service_level")
TOL = {"abandon_rate": 0.15, "asa": 0.15, "service_level": 0.10}


def score(head: dict) -> float:
    """Worst miss of the per_day targets, in tolerances (<= 1: every target met)."""
    h = head["per_day"]
    level = [abs(h[f"rel_err_{k}"]) / TOL[k] for k in KPIS]
    corr = [(1.0 - h[f"corr_hourly_{k}"]) / 0.2 for k in KPIS]
    return max(level + corr)


def _errs(head: dict | None, mode: str, corr: bool = True) -> str:
    if head is None:
        return "-" + (" | -" if corr else "")
    h = head[mode]
    errs = " / ".join(f"{100 * h[f'rel_err_{k}']:+.1f}%" for k in KPIS)
    if not corr:
        return errs
    return errs + " | " + " / ".join(f"{h[f'corr_hourly_{k}']:.2f}" for k in KPIS)


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def main() -> None:
    rows = []
    for folder in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        out = _load(folder / "holdout" / "headline.json")
        if out is not None:
            rows.append(
                (score(out), folder.name, out, _load(folder / "insample" / "headline.json"))
            )
    print(
        "| variant | score | out of sample per_day: aband. / ASA / SL | hourly corr. "
        "| out of sample mean_day | in sample per_day | hourly corr. | in sample mean_day |"
    )
    print("|---|---:|---|---|---|---|---|---|")
    for s, name, out, ins in sorted(rows, key=lambda r: r[0]):
        print(
            f"| {name} | {s:.2f} | {_errs(out, 'per_day')} | {_errs(out, 'mean_day', False)} "
            f"| {_errs(ins, 'per_day')} | {_errs(ins, 'mean_day', False)} |"
        )
    print()
    print(
        "| variant (fitting half, in sample) | score | per_day: aband. / ASA / SL | hourly corr. |"
    )
    print("|---|---:|---|---|")
    half = [
        (score(h), p.parent.name, h)
        for p in ROOT.glob("*/fithalf")
        if (h := _load(p / "headline.json"))
    ]
    for s, name, h in sorted(half, key=lambda r: r[0]):
        print(f"| {name} | {s:.2f} | {_errs(h, 'per_day')} |")


if __name__ == "__main__":
    main()
