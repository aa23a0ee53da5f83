"""Table of the calibration-settings search: every variant's headline, out of and in sample.

Run from the repository root after ``run.sh``:
``python experiments/anonymous_bank_backtest/variants/search/summarize.py``. The selection
rule: the variant with the smallest largest |relative error| over abandonment, ASA and
service level, per_day, out of sample.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).parent
KPIS = ("abandon_rate", "asa", "service_level")


def _cell(head: dict, mode: str) -> str:
    h = head[mode]
    errs = " / ".join(f"{100 * h[f'rel_err_{k}']:+.1f}%" for k in KPIS)
    corr = " / ".join(f"{h[f'corr_hourly_{k}']:.2f}" for k in KPIS)
    return f"{errs} | {corr}"


def main() -> None:
    rows = []
    for folder in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        out, ins = folder / "holdout" / "headline.json", folder / "insample" / "headline.json"
        if not out.exists():
            continue
        h = json.loads(out.read_text())
        score = max(abs(h["per_day"][f"rel_err_{k}"]) for k in KPIS)
        i = json.loads(ins.read_text()) if ins.exists() else None
        rows.append((score, folder.name, h, i))
    print(
        "| variant | max abs err (out, per_day) | out per_day err (aband. / ASA / SL) | corr. "
        "| out mean_day err | corr. | in per_day err | corr. | in mean_day err | corr. |"
    )
    print("|---|---:|---|---|---|---|---|---|---|---|")
    for score, name, h, i in sorted(rows, key=lambda r: r[0]):
        ins = f"{_cell(i, 'per_day')} | {_cell(i, 'mean_day')}" if i else "- | - | - | -"
        print(
            f"| {name} | {100 * score:.1f}% | {_cell(h, 'per_day')} | {_cell(h, 'mean_day')} "
            f"| {ins} |"
        )


if __name__ == "__main__":
    main()
