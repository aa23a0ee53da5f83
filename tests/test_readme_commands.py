"""Every command in README.md's ```bash blocks is run by a test, with tiny budgets.

``COMMANDS`` maps each README command (its words, as the shell splits them, comments dropped)
to how this test runs it: the README's own arguments, with the values of the keys in ``set``
replaced (or added) to shrink the budget, and ``extra`` arguments appended. Placeholders of the
README (``outputs/train/...``, ``calls.csv``) become files this test makes. A command the test
cannot run (installing, the test suite itself) names where it does run instead.

Editing the README: a new command without an entry here fails ``test_every_readme_command_is
_covered``, and an entry whose command left the README fails it too; update ``COMMANDS``.
"""

from __future__ import annotations

import importlib
import re
import runpy
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

#: Hydra entry points -> their modules (each has ``main``).
ENTRY_POINTS = {
    "rlroute-calibrate": "rlroute.cli.calibrate",
    "rlroute-train": "rlroute.cli.train",
    "rlroute-bench": "rlroute.cli.bench",
    "rlroute-export": "rlroute.cli.export",
}

#: A training run of a few hundred steps, one evaluation day, and a one-seed benchmark.
TINY_TRAIN = {
    "total_timesteps": "256",
    "n_envs": "2",
    "algo.hyperparams.n_steps": "128",
    "algo.hyperparams.batch_size": "64",
    "eval.freq": "0",
    "eval.seeds": "[100000]",
    "checkpoint.freq": "0",
    "tensorboard": "false",
    "progress_bar": "false",
}
TINY_TRAIN_BENCH = {
    **TINY_TRAIN,
    "benchmark.seeds": "1",
    "benchmark.plots": "false",
    "benchmark.progress": "false",
}
TINY_BENCH = {"seeds": "2", "horizon_intervals": "2", "plots": "false", "progress": "false"}
#: Three weekdays of the shipped log (Sunday 7, Monday 8, Tuesday 9 February 1999).
DAYS = ("1999-02-07", "1999-02-08", "1999-02-09")
TINY_CALIBRATE = {"dates": f"[{','.join(DAYS)}]", "output.plots": "false"}


@dataclass(frozen=True)
class Run:
    """Run the command in this process: a Hydra entry point, ``python -m``, or a script."""

    set: dict[str, str] = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    slow: bool = False
    exit_code: int = 0


@dataclass(frozen=True)
class Elsewhere:
    """Not run by this test; ``where`` says what runs it."""

    where: str


# fmt: off
COMMANDS: dict[str, Run | Elsewhere] = {
    # Setup, main job, tests
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e .[dev]':
        Elsewhere("CI: .ci/run runs the setup command in a fresh virtual environment"),
    "rlroute-train experiment=quickstart":
        Run(TINY_TRAIN_BENCH, slow=True),
    "python -m pytest -n 2": Elsewhere("this test suite itself (CI: .ci/run)"),
    # 1. Calibrate
    "rlroute-calibrate": Run(TINY_CALIBRATE),
    "rlroute-calibrate data.path=calls.csv data.format=csv "
    "data.columns={start: arrival, skill: call_type} name=my_center":
        Run({**TINY_CALIBRATE, "data.datetime_format": "'%d/%m/%Y %H:%M:%S'"}),
    "python -m rlroute.bench.backtest --seeds 10":
        Run({"--seeds": "1"}, extra=("--modes", "per_day", "--exclude-dates", *[
            f"1999-02-{d:02d}" for d in range(1, 29) if f"1999-02-{d:02d}" not in DAYS])),
    # 5. Benchmark
    "rlroute-bench": Run({**TINY_BENCH, "seeds": "1"}, slow=True),
    "rlroute-bench scenarios=[n_design] routers=[fifo,cmu,sbr] seeds=30 n_jobs=2":
        Run({**TINY_BENCH, "n_jobs": "1"}),
    "rlroute-bench routers=[fifo,cmu,{name: sb3, path: outputs/train/..., label: mine}]":
        Run({**TINY_BENCH, "scenarios": "[heterogeneous]"}, slow=True),
    "rlroute-bench gate=ci": Run({"progress": "false", "plots": "false"}, slow=True),
    "rlroute-bench suite=rl seeds=5": Run({**TINY_BENCH, "seeds": "1"}, slow=True),
    # 6. Train
    "rlroute-train": Run(TINY_TRAIN, slow=True),
    "rlroute-train algo=ppo scenario=n_design seed=3 total_timesteps=200000":
        Run(TINY_TRAIN, slow=True),
    "rlroute-train -m seed=0,1,2 algo=ppo,maskable_ppo hydra/launcher=parallel "
    "hydra.launcher.n_jobs=2":
        Run({**TINY_TRAIN, "seed": "0", "algo": "ppo,maskable_ppo"}, slow=True),
    "rlroute-train -m seed=0,1,2,3,4 hydra/launcher=slurm hydra.launcher.partition=cpu":
        Elsewhere("a Slurm cluster; test_slurm_launcher_config_composes composes its config"),
    "rlroute-train -m experiment=optuna_maskable_ppo":
        Run({**TINY_TRAIN, "hydra.sweeper.n_trials": "1", "hydra.sweeper.n_jobs": "1"},
            slow=True),
    "rlroute-train hydra.run.dir=outputs/my_run resume=true": Run(TINY_TRAIN, slow=True),
    # 7. Export
    "rlroute-export both run_dir=outputs/train/quickstart_seed0/<time>":
        Run({"verify.n_obs": "200", "verify.kpi_seeds": "[0]"}, slow=True),
    # Development
    "ruff check . && ruff format --check .": Elsewhere("CI: .ci/run lints"),
    "python -m pytest -m slow": Elsewhere("the slow tests themselves"),
    "mypy": Elsewhere("CI: .ci/run type-checks rlroute/"),
    "python benchmarks/sim_speed.py":
        Run({"--hours": "0.5", "--ciw-hours": "0.2", "--repeat": "1", "--agents": "10",
             "--rate": "100"}, slow=True),
    "python benchmarks/env_speed.py": Run({"--steps": "200", "--rounds": "1"}),
    "python benchmarks/erlang_table.py": Run({"--scale": "0.01"}),
    "python -m rlroute.bench.backtest --help": Run(),
    "python -m rlroute.bench.study --help": Run(),
    "python -m rlroute.export.parity --help": Run(),
    "bash .ci/run": Elsewhere("CI itself"),
}
# fmt: on

#: README placeholders -> files this test provides (``{name}`` is a fixture path).
PLACEHOLDERS = {
    "outputs/train/quickstart_seed0/<time>": "{run}",
    "outputs/train/...": "{run}",
    "outputs/my_run": "{tmp}/my_run",
    "calls.csv": "{calls_csv}",
}


def readme_commands(text: str | None = None) -> list[tuple[str, list[str]]]:
    """``(key, words)`` of every command line in the README's bash blocks."""
    text = README.read_text() if text is None else text
    out = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                out.append((" ".join(words), words))
    return out


def test_every_readme_command_is_covered() -> None:
    keys = [k for k, _ in readme_commands()]
    assert keys, "no ```bash block found in README.md"
    missing = [k for k in keys if k not in COMMANDS]
    stale = [k for k in COMMANDS if k not in keys]
    assert not missing, f"README commands no test runs (add them to COMMANDS): {missing}"
    assert not stale, f"COMMANDS entries no longer in the README (remove them): {stale}"


def test_the_extractor_reads_continuations_and_comments() -> None:
    text = "x\n```bash\n# a comment\nrlroute-bench a=1 \\\n  'b=[1, 2]'   # note\n```\n"
    assert readme_commands(text) == [
        ("rlroute-bench a=1 b=[1, 2]", ["rlroute-bench", "a=1", "b=[1, 2]"])
    ]


def _shrink(words: list[str], spec: Run, paths: dict[str, str]) -> list[str]:
    """The README's arguments with the tiny budget applied and placeholders filled in."""
    todo = dict(spec.set)
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        for old, new in PLACEHOLDERS.items():
            if old in word:
                word = word.replace(old, new.format(**paths))
        key = word.split("=", 1)[0].lstrip("+~")
        if word.startswith("--") and word in todo:  # argparse: --flag value
            out += [word, todo.pop(word)]
            i += 2
            continue
        if "=" in word and key in todo:
            word = f"{key}={todo.pop(key)}"
        out.append(word)
        i += 1
    for key, value in todo.items():
        out += [key, value] if key.startswith("--") else [f"{key}={value}"]
    return out + list(spec.extra)


def _hydra_dirs(prog: str, argv: list[str], tmp: Path) -> list[str]:
    keys = {a.split("=", 1)[0] for a in argv}
    if "-m" in argv:
        return [] if "hydra.sweep.dir" in keys else [f"hydra.sweep.dir={tmp / 'sweep'}"]
    return [] if "hydra.run.dir" in keys else [f"hydra.run.dir={tmp / 'run'}"]


def _call(main: Callable[[], object], argv: list[str]) -> int:
    old = sys.argv
    sys.argv = argv
    try:
        result = main()
    except SystemExit as exc:
        code = exc.code
        return 0 if code is None else code if isinstance(code, int) else 1
    finally:
        sys.argv = old
    return result if isinstance(result, int) else 0


def run_readme_command(words: list[str], spec: Run, paths: dict[str, str], tmp: Path) -> int:
    """Run one README command in this process (Hydra entry point, ``python -m``, script)."""
    if words[0] in ENTRY_POINTS:
        argv = _shrink(words[1:], spec, paths)
        argv += _hydra_dirs(words[0], argv, tmp)
        module = importlib.import_module(ENTRY_POINTS[words[0]])
        return _call(module.main, [words[0], *argv])
    if words[:2] == ["python", "-m"]:
        module = importlib.import_module(words[2])
        argv = _shrink(words[3:], spec, paths)
        if words[2] == "rlroute.bench.backtest" and "--help" not in argv:
            argv += ["--out", str(tmp / "backtest")]
        main = getattr(module, "main", None) or module._main
        return _call(lambda: main(argv), [words[2], *argv])
    if words[0] == "python" and words[1].endswith(".py"):
        argv = _shrink(words[2:], spec, paths)
        return _call(
            lambda: runpy.run_path(str(REPO / words[1]), run_name="__main__"), [words[1], *argv]
        )
    raise AssertionError(f"no way to run {words}")


@pytest.fixture(scope="module")
def acd_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped log as an ACD would export it: its own names for the arrival time and the
    skill, day-first timestamps (``25/02/1999 14:03:11``), no derived columns; three days."""
    from rlroute.datasets import load_anonymous_bank

    frame = load_anonymous_bank().frame
    frame = frame[frame["date"].isin(pd.to_datetime(list(DAYS)))].copy()
    frame = frame.drop(columns=["date", "day_type", "wait_s", "handle_s"])
    frame = frame.rename(columns={"arrival": "start", "call_type": "skill"})
    for col in ("start", "queue_entry", "queue_exit", "service_start", "service_end"):
        frame[col] = frame[col].dt.strftime("%d/%m/%Y %H:%M:%S")
    path = tmp_path_factory.mktemp("acd") / "calls.csv"
    frame.to_csv(path, index=False)
    assert "07/02/1999" in path.read_text()[:2000] or "08/02/1999" in path.read_text()
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run directory made by ``rlroute-train`` with the tiny budget (for sb3 and export)."""
    run_dir = tmp_path_factory.mktemp("tiny_train")
    argv = ["rlroute-train", *_shrink([], Run(TINY_TRAIN), {}), f"hydra.run.dir={run_dir}"]
    assert _call(importlib.import_module(ENTRY_POINTS["rlroute-train"]).main, argv) == 0
    return run_dir


def _cases() -> list[object]:
    cases = []
    for key, words in readme_commands():
        spec = COMMANDS.get(key)
        if not isinstance(spec, Run):
            continue
        marks = [pytest.mark.slow] if spec.slow else []
        cases.append(pytest.param(words, spec, id=key[:60], marks=marks))
    return cases


@pytest.mark.parametrize(("words", "spec"), _cases())
def test_readme_command_runs(
    words: list[str], spec: Run, tmp_path: Path, request: pytest.FixtureRequest, capsys
) -> None:
    key = " ".join(words)
    paths = {"tmp": str(tmp_path)}
    if "calls.csv" in key:
        paths["calls_csv"] = str(request.getfixturevalue("acd_export"))
    if "outputs/train/" in key:
        paths["run"] = str(request.getfixturevalue("tiny_run"))
    if "resume=true" in key:  # resume needs a run to continue: make its first part
        first = _shrink(["hydra.run.dir=outputs/my_run"], Run(TINY_TRAIN), paths)
        assert (
            _call(
                importlib.import_module(ENTRY_POINTS["rlroute-train"]).main,
                ["rlroute-train", *first],
            )
            == 0
        )
    code = run_readme_command(words, spec, paths, tmp_path)
    out = capsys.readouterr()
    assert code == spec.exit_code, out.err[-3000:]
    if "--help" in words:
        assert out.out.startswith(f"usage: python -m {words[2]}"), out.out[:200]
        assert "example" in out.out
    if "name=my_center" in key:
        from rlroute.scenario import Scenario

        scenario = Scenario.from_yaml(tmp_path / "run" / "scenario.yaml")
        assert scenario.name == "my_center"
        assert {"PS", "NW"} <= {t.split("_")[0] for t in scenario.type_names}


def test_slurm_launcher_config_composes() -> None:
    """The Slurm sweep of the README needs a cluster; its configuration must compose here."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    from hydra import compose, initialize_config_dir

    from rlroute.scenarios import config_dir

    key = next(k for k, _ in readme_commands() if "hydra/launcher=slurm" in k)
    overrides = [w for w in shlex.split(key) if w.startswith("hydra")]
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    assert cfg.hydra.launcher.partition == "cpu"
    assert "submitit" in cfg.hydra.launcher._target_
