"""The cross-scenario leaderboard of the RL studies, built from their ``results/summary.json``.

    python -m rlroute.bench.leaderboard experiments --bounds experiments/suite/headroom.json \\
        --out docs/leaderboard.md --img docs/img --readme README.md

Each study (a folder holding ``results/summary.json``, written by :mod:`rlroute.bench.study`)
is one row: the learned policy's cost per call against the **best fixed rule** and the **best
tuned router** of its scenario (paired relative difference, 95% interval, and the word it reads
as: cheaper, level with, behind), and against the scenario's lower bound (``--bounds``, the
larger of the fluid bound of :mod:`rlroute.theory.fluid` and the stochastic one of
:mod:`rlroute.theory.stochastic`, computed by ``experiments/suite/headroom.py``):
how far above what no policy can beat.

Across scenarios, in the style of rliable (Agarwal et al., 2021), every cost is normalised by
its scenario's best fixed rule (1 = as good as the best rule, lower is better), then

* ``leaderboard_iqm.png``: the interquartile mean of the normalised cost per method with a 95%
  stratified-bootstrap interval (strata = scenarios; the learned policy's runs are its training
  seeds, a baseline's is its mean over the evaluation days);
* ``leaderboard_profile.png``: the performance profile, the fraction of runs whose normalised
  cost is at most ``tau``.

With ``--readme``, the table also replaces the block between ``<!-- leaderboard:start -->``
and ``<!-- leaderboard:end -->`` of the README, so the README's claims are regenerated from the
committed summaries, never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rlroute.bench.report import markdown_table
from rlroute.bench.stats import iqm, stratified_bootstrap_ci

EXAMPLE = """example:
  python -m rlroute.bench.leaderboard experiments --bounds experiments/suite/headroom.json \\
      --out docs/leaderboard.md --img docs/img --readme README.md
"""
START, END = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
#: The performance profile draws these (when present), so its lines stay readable; the IQM
#: plot shows every method.
PROFILE_METHODS = ("learned", "best fixed rule", "best tuned router", "fifo", "sbr", "gcmu")
REQUIRED = ("scenario", "n_training_seeds", "n_eval_days", "rl", "baselines")


@dataclass
class Study:
    """One study's summary (see :func:`rlroute.bench.study.summary`)."""

    name: str
    path: Path
    data: dict[str, Any]
    bound: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scenario(self) -> str:
        return str(self.data["scenario"])

    def cost(self, router: str) -> float:
        return float(self.data["baselines"][router]["cost_per_call"])


def load_studies(root: str | Path) -> list[Study]:
    """Every ``*/results/summary.json`` (and ``*/results_<variant>/summary.json``, named
    ``study (variant)``) under ``root``, sorted by path; a file missing a required key is an
    error naming it."""
    studies = []
    # results/ is a study's headline; results_<variant>/ (e.g. one lever of an ablation) too
    for path in sorted(Path(root).glob("*/results*/summary.json")):
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from None
        missing = [k for k in REQUIRED if k not in data]
        if missing:
            raise ValueError(f"{path}: missing {missing} (write it with rlroute.bench.study)")
        variant = path.parent.name.removeprefix("results").lstrip("_")
        name = path.parent.parent.name + (f" ({variant})" if variant else "")
        studies.append(Study(name, path, data))
    return studies


def load_bounds(path: str | Path | None) -> dict[str, float]:
    """Scenario -> lower bound on the cost per call, from ``headroom.json`` (a list of rows with
    ``scenario`` and ``bound``) or a plain ``{scenario: bound}`` mapping."""
    if path is None:
        return {}
    data = json.loads(Path(path).read_text())
    if isinstance(data, dict):
        return {str(k): float(v) for k, v in data.items()}
    return {str(row["scenario"]): float(row["bound"]) for row in data}


def _best(study: Study, tuned: bool) -> str | None:
    key = "best_tuned" if tuned else "best_rule"
    name = study.data.get(key)
    if name:
        return str(name)
    names = [b for b, v in study.data["baselines"].items() if bool(v.get("tuned")) == tuned]
    return min(names, key=study.cost) if names else None


def _against(study: Study, router: str | None) -> str:
    if router is None:
        return "none"
    b = study.data["baselines"][router]
    lo, hi = b["ci"]
    words = b.get("standing") or ("cheaper" if hi < 0 else "behind" if lo > 0 else "level with")
    words += " than" if words == "cheaper" else ""
    return (
        f"**{words}** `{router}` ({b['cost_per_call']:.3f}): "
        f"{100 * b['rel_diff']:+.1f}% [{100 * lo:+.1f}%, {100 * hi:+.1f}%]"
    )


def _rl_cell(study: Study) -> str:
    rl = study.data["rl"]
    ci = rl.get("ci")
    text = f"{rl['cost_per_call']:.3f}"
    return text + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else " (1 seed)")


def _bound_cell(study: Study) -> str:
    if study.bound is None:
        return "not computed"
    cost = study.data["rl"]["cost_per_call"]
    if study.bound <= 0.01 * cost:  # 0, or so small that "x% above" says nothing either
        return f"{study.bound:.3f} (uninformative)"
    above = cost / study.bound - 1
    return f"{study.bound:.3f} (RL {100 * above:.0f}% above)"


def table(studies: Sequence[Study]) -> str:
    """The leaderboard as a Markdown table, one row per study."""
    header = [
        "study",
        "scenario",
        "seeds x days",
        "learned cost/call",
        "vs best fixed rule",
        "vs best tuned router",
        "lower bound",
    ]
    rows = [
        [
            s.name,
            s.scenario,
            f"{s.data['n_training_seeds']} x {s.data['n_eval_days']}",
            _rl_cell(s),
            _against(s, _best(s, tuned=False)),
            _against(s, _best(s, tuned=True)),
            _bound_cell(s),
        ]
        for s in studies
    ]
    return markdown_table(header, rows)


def normalised_runs(studies: Sequence[Study]) -> dict[str, list[np.ndarray]]:
    """Method -> one array per study of costs per call normalised by the study's best fixed
    rule: the learned policy's training seeds, ``best rule``, ``best tuned`` and every fixed
    rule present in all studies (its mean over the evaluation days)."""
    methods: dict[str, list[np.ndarray]] = {"learned": [], "best fixed rule": []}
    common = set.intersection(*(set(s.data["baselines"]) for s in studies)) if studies else set()
    rules = sorted(b for b in common if not any(s.data["baselines"][b]["tuned"] for s in studies))
    has_tuned = all(_best(s, tuned=True) for s in studies)
    if has_tuned:
        methods["best tuned router"] = []
    for b in rules:
        methods[b] = []
    for s in studies:
        best_rule = _best(s, tuned=False)
        if best_rule is None:
            raise ValueError(f"{s.path}: no fixed rule to normalise by")
        ref = s.cost(best_rule)
        seeds = [v for v in s.data["rl"]["per_training_seed"].values() if v is not None]
        methods["learned"].append(np.asarray(seeds, float) / ref)
        methods["best fixed rule"].append(np.array([1.0]))
        if has_tuned:
            methods["best tuned router"].append(np.array([s.cost(_best(s, tuned=True)) / ref]))  # type: ignore[arg-type]
        for b in rules:
            methods[b].append(np.array([s.cost(b) / ref]))
    return methods


def iqm_table(
    methods: dict[str, list[np.ndarray]], seed: int = 0
) -> list[tuple[str, float, float, float]]:
    """``(method, IQM, lo, hi)`` of the normalised cost, stratified bootstrap by study."""
    return [
        (name, *stratified_bootstrap_ci(strata, iqm, 5000, 0.95, seed))
        for name, strata in methods.items()
    ]


def plot(methods: dict[str, list[np.ndarray]], img_dir: Path) -> list[Path]:
    """``leaderboard_iqm.png`` and ``leaderboard_profile.png`` (see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img_dir.mkdir(parents=True, exist_ok=True)
    rows = sorted(iqm_table(methods), key=lambda r: r[1])
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(rows) + 1.2))
    y = np.arange(len(rows))
    point = np.array([r[1] for r in rows])
    err = np.array([[r[1] - r[2] for r in rows], [r[3] - r[1] for r in rows]])
    colors = ["tab:red" if r[0] == "learned" else "tab:blue" for r in rows]
    ax.barh(y, point, xerr=err, color=colors, alpha=0.8, capsize=3)
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlabel("IQM of cost per call / best fixed rule's (lower is better), 95% CI")
    ax.set_title(f"RL studies: {len(next(iter(methods.values())))} scenario studies")
    fig.tight_layout()
    iqm_png = img_dir / "leaderboard_iqm.png"
    fig.savefig(iqm_png, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 4))
    shown = {n: np.concatenate(methods[n]) for n in PROFILE_METHODS if n in methods}
    allv = np.concatenate(list(shown.values()))
    # up to 2x the best rule: beyond it every method of interest has reached 1
    taus = np.linspace(max(0.0, allv.min() * 0.95), min(allv.max() * 1.05, 2.0), 400)
    for i, (name, v) in enumerate(shown.items()):
        frac = (v[None, :] <= taus[:, None]).mean(axis=1)
        ax.step(
            taus,
            frac,
            where="post",
            label=name,
            color=plt.get_cmap("tab10")(i),
            lw=2.4 if name == "learned" else 1.3,
        )
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xlabel(r"$\tau$ (cost per call / best fixed rule's)")
    ax.set_ylabel(r"fraction of runs with normalised cost $\leq \tau$")
    ax.set_title("Performance profile (higher and further left is better)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    profile_png = img_dir / "leaderboard_profile.png"
    fig.savefig(profile_png, dpi=110)
    plt.close(fig)
    return [iqm_png, profile_png]


def page(studies: Sequence[Study], methods: dict[str, list[np.ndarray]], img_rel: str) -> str:
    """The whole leaderboard page (Markdown)."""
    iq = iqm_table(methods)
    lines = [
        "# Leaderboard: learned routing against the best rules",
        "",
        "Generated by `python -m rlroute.bench.leaderboard` from every study's "
        "`results/summary.json`; do not edit by hand. Each learned policy is compared, paired on "
        "the same evaluation days (common random numbers), with the best fixed rule we ship "
        "and the best tuned router of its scenario; *cheaper* / *behind* mean the whole 95% "
        "interval of the relative difference is below / above 0, *level with* that it "
        "contains 0. The lower bound (the larger of the fluid and the Erlang A relaxations, "
        "`experiments/suite/`) is what no "
        "policy can beat; a bound of 0 says nothing.",
        "",
        table(studies),
        "",
        "Across studies, costs normalised by each scenario's best fixed rule (1 = level with it; "
        "lower is better); interquartile mean with a 95% stratified-bootstrap interval:",
        "",
        markdown_table(
            ["method", "IQM normalised cost", "95% CI"],
            [
                [n, f"{p:.3f}", f"[{lo:.3f}, {hi:.3f}]"]
                for n, p, lo, hi in sorted(iq, key=lambda r: r[1])
            ],
        ),
        "",
        f"![IQM]({img_rel}/leaderboard_iqm.png)",
        "",
        f"![performance profile]({img_rel}/leaderboard_profile.png)",
        "",
    ]
    return "\n".join(lines)


def update_readme(readme: Path, block: str) -> None:
    """Replace the text between the leaderboard markers of ``readme`` with ``block``."""
    text = readme.read_text()
    i, j = text.find(START), text.find(END)
    if i < 0 or j < i:
        raise ValueError(f"{readme}: no {START} ... {END} block to replace")
    readme.write_text(text[: i + len(START)] + "\n" + block.strip() + "\n" + text[j:])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rlroute.bench.leaderboard``: the leaderboard page, plots and README block."""
    ap = argparse.ArgumentParser(
        prog="python -m rlroute.bench.leaderboard",
        description=__doc__.split("\n\n")[0],
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("root", type=Path, help="folder of studies (each with results/summary.json)")
    ap.add_argument("--bounds", type=Path, help="headroom.json of the suite (lower bounds)")
    ap.add_argument("--out", type=Path, required=True, help="the Markdown page to write")
    ap.add_argument("--img", type=Path, help="folder for the PNGs (default: next to --out)")
    ap.add_argument("--readme", type=Path, help="README whose leaderboard block to replace")
    args = ap.parse_args(argv)
    studies = load_studies(args.root)
    if not studies:
        raise SystemExit(f"no */results/summary.json under {args.root}")
    bounds = load_bounds(args.bounds)
    for s in studies:
        s.bound = bounds.get(s.scenario)
    methods = normalised_runs(studies)
    img = args.img or args.out.parent
    plot(methods, img)
    rel = os.path.relpath(img, args.out.parent)  # the page links its images relatively
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page(studies, methods, Path(rel).as_posix()))
    if args.readme:
        update_readme(args.readme, table(studies))
    print(table(studies))
    print(f"wrote {args.out}, {img}/leaderboard_iqm.png, {img}/leaderboard_profile.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
