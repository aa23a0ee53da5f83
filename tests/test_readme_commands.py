"""Every command in the ```bash blocks of README.md and docs/**/*.md is run by a test.

``COMMANDS`` maps each command (its words, as the shell splits them, comments dropped) to how
this test runs it: the page's own arguments, with the values of the keys in ``set`` replaced
(or added) to shrink the budget, and ``extra`` arguments appended. Placeholders of the pages
(``outputs/train/...``, ``calls.csv``, ``my_center.yaml``) become files this test makes. A
command the test cannot run (installing, the test suite itself, a cluster) is an ``Elsewhere``
entry: the allow-list, each with the reason and what runs it instead.

Editing a page: a new command without an entry here fails ``test_every_readme_command_is
_covered``, and an entry whose command left every page fails it too; update ``COMMANDS``.
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
DOCS = REPO / "docs"


def doc_files() -> list[Path]:
    """README.md and every Markdown page under docs/: the files whose commands must run."""
    return [README, *sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)]


#: Hydra entry points -> their modules (each has ``main``).
ENTRY_POINTS = {
    "rlroute-calibrate": "rlroute.cli.calibrate",
    "rlroute-train": "rlroute.cli.train",
    "rlroute-bench": "rlroute.cli.bench",
    "rlroute-export": "rlroute.cli.export",
    "rlroute-es": "rlroute.cli.es",
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
#: A clone on one short teacher day, then the tiny training (docs/rl_levers.md).
TINY_IMITATION = {
    **TINY_TRAIN,
    "imitation.n_days": "1",
    "imitation.epochs": "1",
    "imitation.horizon_intervals": "2",
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
    # docs/tutorials/calibrate_your_records.md (the page's own datetime format)
    'rlroute-calibrate data.path=calls.csv data.format=csv '
    'data.columns={start: arrival, skill: call_type} '
    'data.datetime_format="%d/%m/%Y %H:%M:%S" name=my_center': Run(TINY_CALIBRATE),
    # docs/tutorials/add_a_scenario.md (my_center.yaml is the page's own YAML block)
    "rlroute-bench scenarios=[my_center.yaml] routers=[fifo,priority,cmu_theta] seeds=10":
        Run(TINY_BENCH),
    # docs/tutorials/benchmark_in_ci.md: run as written (2 scenarios x 2 routers x 10 seeds x
    # 4 hours, a few seconds), so its bands are checked at the page's own settings
    "rlroute-bench scenarios=[single_pool,n_design] routers=[fifo,cmu_theta] seeds=10 "
    "horizon_intervals=8 bands={n_design: {cmu_theta: {service_level: [0.70, null], "
    "abandon_rate: [null, 0.09]}}} plots=false progress=false hydra.run.dir=outputs/ci_bench":
        Run(),
    # docs/tutorials/train_and_export.md
    "rlroute-train scenario=heterogeneous total_timesteps=300000 seed=1 "
    "hydra.run.dir=outputs/train/tutorial": Run(TINY_TRAIN, slow=True),
    "rlroute-export both run_dir=outputs/train/tutorial":
        Run({"verify.n_obs": "200", "verify.kpi_seeds": "[0]"}, slow=True),
    "rlroute-bench scenarios=[heterogeneous] routers=[fifo,cmu_theta,{name: onnx, path: "
    "outputs/train/tutorial/policy.onnx, label: mine}] seeds=20":
        Run({**TINY_BENCH, "seeds": "1"}, slow=True),
    # docs/guide/tuned_baselines.md (the bench command uses the file the tune command wrote)
    "python -m rlroute.policies.tune --scenario heterogeneous --trials 30 --days 6 "
    "--out tuned.json": Run({"--trials": "2", "--days": "1"}, extra=("--horizon-intervals", "2")),
    "rlroute-bench routers=[cmu_theta,{name: index, path: tuned.json}] scenarios=[heterogeneous] "
    "seeds=20": Run(TINY_BENCH),
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
    "python benchmarks/env_speed.py --steps 2000 --rounds 1 --num-envs 256 --batch-steps 20":
        Run({"--steps": "200", "--num-envs": "8", "--batch-steps": "5"}),
    "python benchmarks/erlang_table.py": Run({"--scale": "0.01"}),
    "python benchmarks/compiled_before_after.py --base main --rounds 1 --num-envs 64 "
    "--batch-steps 20": Elsewhere("by hand: compiles the base revision's engine too (minutes)"),
    "python -m rlroute.bench.backtest --help": Run(),
    "python -m rlroute.bench.study --help": Run(),
    "python -m rlroute.export.parity --help": Run(),
    "bash .ci/run": Elsewhere("CI itself"),
    # docs/rl_levers.md (run folders go to a temporary folder, never the committed runs)
    "rlroute-train experiment=rl_levers_bc seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/bc_cmu_theta/seed0": Run(TINY_IMITATION, slow=True),
    "rlroute-train experiment=rl_levers_bc_index seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/bc_index_lr3e-5_kl01/seed0":
        Run(TINY_IMITATION, slow=True),
    "rlroute-train experiment=rl_levers_bc_index total_timesteps=0 "
    "hydra.run.dir=experiments/rl_levers/runs/clone_index/seed0":
        Run({**TINY_IMITATION, "total_timesteps": "0"}, slow=True),
    "rlroute-train experiment=rl_levers_bc_index imitation.label_smoothing=0.1 "
    "algo.hyperparams.learning_rate=1e-4 algo.hyperparams.target_kl=0.02 "
    "hydra.run.dir=experiments/rl_levers/runs/bc_index_ls01_lr1e-4_kl02/seed0":
        Run(TINY_IMITATION, slow=True),
    "python experiments/rl_levers/compare.py experiments/rl_levers/runs --extra "
    "ppo_scratch_1M=experiments/rl_heterogeneous/runs --seeds 20 --n-jobs 2 "
    "--out experiments/rl_levers/results":
        Elsewhere("by hand: evaluates the 21 committed runs on 20 days and rewrites "
                  "experiments/rl_levers/results (minutes)"),
    # docs/rl_levers.md, observation v2 and semi-Markov discounting (tiny runs, temporary folders)
    "rlroute-train experiment=rl_heterogeneous_fast_obs2 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_obs2/seed0":
        Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast_smdp seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_smdp/seed0":
        Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast_obs2_smdp seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_obs2_smdp/seed0":
        Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast_obs2 "
    "algo.hyperparams.learning_rate=lin_1e-4 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_obs2_lr1e-4/seed0":
        Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast_obs2 "
    "algo.hyperparams.clip_range=0.1 +algo.hyperparams.target_kl=0.02 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_obs2_clip01_kl02/seed0":
        Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_levers_bc_index imitation.label_smoothing=0.1 "
    "algo.hyperparams.learning_rate=1e-4 algo.hyperparams.target_kl=0.02 "
    "+env.kwargs.observation=v2 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/bc_index_obs2/seed0":
        Run(TINY_IMITATION, slow=True),
    "rlroute-train experiment=rl_levers_bc_index imitation.label_smoothing=0.1 "
    "algo.hyperparams.learning_rate=1e-4 algo.hyperparams.target_kl=0.02 "
    "+algo.discount=per_time +algo.time_scale_s=10.0 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/bc_index_smdp/seed0":
        Run(TINY_IMITATION, slow=True),
    "rlroute-train experiment=rl_levers_bc_index imitation.label_smoothing=0.1 "
    "algo.hyperparams.learning_rate=1e-4 algo.hyperparams.target_kl=0.02 "
    "+env.kwargs.observation=v2 +algo.discount=per_time +algo.time_scale_s=10.0 "
    "seed=0 hydra.run.dir=experiments/rl_levers/runs/bc_index_obs2_smdp/seed0":
        Run(TINY_IMITATION, slow=True),
    "python experiments/rl_levers/compare.py experiments/rl_levers/runs --extra "
    "fast_1M=experiments/rl_heterogeneous_fast/runs --only "
    "fast_1M,fast_smdp,fast_obs2,fast_obs2_smdp,fast_obs2_lr1e-4,fast_obs2_clip01_kl02,bc_index_ls01_lr1e-4_kl02,bc_index_obs2,bc_index_smdp,bc_index_obs2_smdp "
    "--seeds 20 --n-jobs 2 --out experiments/rl_levers/results_v2":
        Elsewhere("by hand: evaluates the lever runs on 20 days and rewrites experiments/rl_levers/results_v2 (minutes)"),
    # docs/rl_levers.md, network size, entropy, budget, the 150-trial clone (tiny runs, temporary folders)
    "rlroute-train experiment=rl_heterogeneous_fast "
    "algo.hyperparams.policy_kwargs.net_arch={pi:[256,256],vf:[256,256]} seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_net256/seed0": Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast "
    "algo.hyperparams.policy_kwargs.net_arch={pi:[32,32],vf:[32,32]} seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_net32/seed0": Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast algo.hyperparams.ent_coef=0.01 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_ent01/seed0": Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast algo.hyperparams.ent_coef=0.003 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/fast_ent003/seed0": Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_heterogeneous_fast total_timesteps=10000000 eval.freq=250000 "
    "checkpoint.freq=1000000 seed=0 hydra.run.dir=experiments/rl_levers/runs/fast_10M/seed0":
        Run(TINY_TRAIN, slow=True),
    "rlroute-train experiment=rl_levers_bc_index150 seed=0 "
    "hydra.run.dir=experiments/rl_levers/runs/bc_index150/seed0": Run(TINY_IMITATION, slow=True),
    "python -m rlroute.bench.study experiments/rl_levers/runs/bc_index150 --scenario "
    "heterogeneous --baselines rules --tuned "
    "tuned_index=index:experiments/tuned_baselines/heterogeneous_index.json --tuned "
    "tuned_index150=index:experiments/tuned_baselines/heterogeneous_index150.json --seeds 20 "
    "--n-jobs 1 --label bc_index150 --out experiments/rl_levers/results_bc_index150":
        Elsewhere("by hand: evaluates the 5 committed runs on 20 days and rewrites "
                  "experiments/rl_levers/results_bc_index150 (about 3 min)"),
    "rlroute-export both run_dir=experiments/rl_levers/runs/bc_index150/seed0 verify.n_obs=10000":
        Elsewhere("by hand: rewrites the committed export; the same command runs on a tiny "
                  "run above (rlroute-export both run_dir=outputs/train/tutorial)"),
    "python experiments/rl_levers/compare.py experiments/rl_levers/runs --extra "
    "ppo_scratch_1M=experiments/rl_heterogeneous/runs --extra "
    "fast_1M=experiments/rl_heterogeneous_fast/runs --reference fast_*=fast_1M --reference "
    "bc_index150=bc_index_ls01_lr1e-4_kl02 --seeds 20 --n-jobs 2 "
    "--out experiments/rl_levers/results_ablation":
        Elsewhere("by hand: evaluates every lever run on 20 days and rewrites "
                  "experiments/rl_levers/results_ablation (tens of minutes without a cache)"),
    "python experiments/rl_levers/curves.py experiments/rl_heterogeneous_fast/runs "
    "experiments/rl_levers/runs/fast_10M --at "
    "250000,500000,1000000,2000000,3000000,4000000,5000000,6000000,8000000,10000000 "
    "--out experiments/rl_levers/results_ablation/curves.md":
        Run(),
    # docs/rl_es.md (tiny runs in temporary folders; ES on the tiny trained run)
    "rlroute-train experiment=rl_levers_bc_index "
    "imitation.teacher.path=experiments/tuned_baselines/heterogeneous_index150.json "
    "total_timesteps=0 seed=0 tensorboard=false "
    "hydra.run.dir=experiments/rl_es/runs/clone_index150/seed0":
        Run({**TINY_IMITATION, "total_timesteps": "0"}, slow=True),
    "python -m rlroute.cli.es init=experiments/rl_es/runs/clone_index150/seed0 seed=0 "
    "iterations=60 pairs=8 days=8 sigma=0.5 learning_rate=0.03 params=[head.] "
    "hydra.run.dir=experiments/rl_es/runs/es_index150_sigma05/seed0 hydra.output_subdir=null":
        Run({"iterations": "1", "pairs": "1", "days": "1"}, slow=True),
    "python -m rlroute.bench.study experiments/rl_es/runs/es_index150_sigma05 --scenario "
    "heterogeneous --baselines rules --tuned "
    "tuned_index=index:experiments/tuned_baselines/heterogeneous_index.json --tuned "
    "tuned_index150=index:experiments/tuned_baselines/heterogeneous_index150.json --seeds 20 "
    "--label es_index150_sigma05 --out experiments/rl_es/results_sigma05":
        Elsewhere("by hand: evaluates the 5 committed ES runs on 20 days and rewrites "
                  "experiments/rl_es/results_sigma05 (minutes)"),
    "python experiments/rl_es/paired.py experiments/rl_es/results_sigma05 "
    "es_index150_sigma05 experiments/rl_es/results/clone_index150 clone_index150": Run(),
    "python experiments/rl_es/curve.py experiments/rl_es/runs/es_index150_sigma05": Run(),
    "rlroute-export both run_dir=experiments/rl_es/runs/es_index150_sigma05/seed0 "
    "verify.n_obs=10000":
        Elsewhere("by hand: rewrites the committed export; the same command runs on a tiny "
                  "run above (rlroute-export both run_dir=outputs/train/tutorial)"),
    "experiments/rl_es/run.sh": Elsewhere("by hand: the whole ES study (1-1.5 hours)"),
    # docs/vector_env.md
    "rlroute-train experiment=ci_tiny env.backend=reference "
    "hydra.run.dir=outputs/ci/train_reference": Run(TINY_TRAIN, slow=True),
    "python benchmarks/vector_env_speed.py --scenario heterogeneous --num-envs 16 --skip-forced "
    "--steps 100 --rounds 1": Run({"--num-envs": "4", "--steps": "20"}),
    "python benchmarks/train_speed.py --steps 8192": Run({"--steps": "512"}, slow=True),
    # docs/fidelity.md (tens of seconds each on the whole February log: slow)
    "python -m rlroute.calibrate.profile_cv --holdout-from 1999-02-15": Run(slow=True),
    "python -m rlroute.bench.backtest --holdout-from 1999-02-15 --seeds 5 --arrival-profile "
    "spline --out outputs/backtest_spline": Run({"--seeds": "1"}, slow=True),
    "python -m rlroute.bench.backtest --holdout-from 1999-02-15 --seeds 5 --arrival-profile "
    "empirical --out outputs/backtest_empirical": Run({"--seeds": "1"}, slow=True),
    "python -m rlroute.bench.backtest --holdout-from 1999-02-15 --seeds 5 --modes per_day "
    "replay mean_day --out outputs/backtest_replay": Run({"--seeds": "1"}, slow=True),
    "python -m rlroute.calibrate.forecast --out experiments/volume_forecast": Run(slow=True),
    "python -m rlroute.calibrate.availability": Run(slow=True),
    # docs/fidelity.md, replaying real days from the calibrate command
    "rlroute-calibrate output.replay=true hydra.run.dir=outputs/calibrate_replay":
        Run(TINY_CALIBRATE),
    # docs/fidelity.md, the default calibration's search (temporary folders, as below)
    "python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 --handle-profile "
    "--wrap-up --out experiments/anonymous_bank_backtest": Run({"--seeds": "1"}, extra=("--modes", "per_day"), slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 --out "
    "experiments/anonymous_bank_backtest/variants/search/default/holdout": Run({"--seeds": "1"}, extra=("--modes", "per_day"), slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 --router fifo "
    "--handle-profile --wrap-up --out experiments/anonymous_bank_backtest/variants/search/"
    "fifo_handle_profile_wrap_up/holdout": Run({"--seeds": "1"}, extra=("--modes", "per_day"), slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 --router "
    "priority_boost:boost=60 --handle-profile --wrap-up --out "
    "experiments/anonymous_bank_backtest/variants/search/boost60_handle_profile_wrap_up/holdout":
        Run({"--seeds": "1"}, extra=("--modes", "per_day"), slow=True),
    "rlroute-calibrate name=anonymous_bank_v2 output.copy_to=configs/scenario/anonymous_bank_v2.yaml "
    "hydra.run.dir=outputs/calibrate_v2": Run(TINY_CALIBRATE, slow=True),
    # docs/fidelity.md, day-to-day staffing (temporary folders, as below)
    "python -m rlroute.bench.backtest --seeds 10 --staffing-day-factor --out "
    "experiments/anonymous_bank_backtest/variants/staffing_day_factor":
        Run({"--seeds": "1"}, extra=("--modes", "mean_day"), slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 "
    "--staffing-day-factor --out experiments/anonymous_bank_backtest/variants/"
    "holdout_staffing_day_factor":
        Run({"--seeds": "1"}, extra=("--modes", "mean_day"), slow=True),
    # docs/fidelity.md, day-to-day availability (mean-day backtests, temporary folders)
    "python -m rlroute.bench.backtest --seeds 10 --modes mean_day --staffing shifts "
    "--wrap-up --availability fitted --out "
    "experiments/anonymous_bank_backtest/variants/mean_day_shifts_availability":
        Run({"--seeds": "1"}, slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --modes mean_day --staffing shifts "
    "--wrap-up --availability fitted --availability-day-factor --out "
    "experiments/anonymous_bank_backtest/variants/mean_day_shifts_availability_day_factor":
        Run({"--seeds": "1"}, slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --modes mean_day --staffing shifts "
    "--wrap-up --availability fitted --holdout-from 1999-02-15 --out "
    "experiments/anonymous_bank_backtest/variants/holdout_mean_day_shifts_availability":
        Run({"--seeds": "1"}, slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --modes mean_day --staffing shifts "
    "--wrap-up --availability fitted --holdout-from 1999-02-15 "
    "--availability-day-factor --out "
    "experiments/anonymous_bank_backtest/variants/holdout_mean_day_shifts_availability_day_factor":
        Run({"--seeds": "1"}, slow=True),
    # docs/availability.md (the backtests rewrite committed variants: a temporary folder here)
    "rlroute-calibrate staffing_method=shifts availability=fitted "
    "hydra.run.dir=outputs/calibrate_availability": Run(TINY_CALIBRATE, slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 --staffing shifts "
    "--wrap-up --availability fitted --out "
    "experiments/anonymous_bank_backtest/variants/holdout_shifts_availability":
        Run({"--seeds": "1"}, extra=("--modes", "per_day"), slow=True),
    "python -m rlroute.bench.backtest --seeds 10 --holdout-from 1999-02-15 --staffing shifts "
    "--wrap-up --out experiments/anonymous_bank_backtest/variants/holdout_shifts_wrap_up":
        Run({"--seeds": "1"}, extra=("--modes", "per_day"), slow=True),
    # docs/guide/bench.md: rewrites the committed page and README block; the test regenerates
    # them into a temporary folder from the committed summaries and compares
    "python -m rlroute.bench.leaderboard experiments --bounds experiments/suite/headroom.json "
    "--out docs/leaderboard.md --img docs/img --readme README.md":
        Elsewhere("tests/bench/test_leaderboard.py::test_committed_leaderboard_is_fresh"),
    # docs/guide/bounds_headroom.md: it rewrites the committed experiments/suite/headroom.*
    # (minutes: long_chain_20x20's days); the bound itself is tested in tests/theory and the
    # page's python block runs it
    "python experiments/suite/headroom.py --seeds 3":
        Elsewhere("by hand, to refresh experiments/suite (it writes the committed results)"),
    "mkdocs build --strict --site-dir site":
        Elsewhere("tests/docs/test_site.py::test_strict_build (slow); CI: .ci/run's last step"),
}
# fmt: on

#: Placeholders of the pages -> files this test provides (``{name}`` is a fixture path). In
#: order: a training into ``outputs/train/tutorial`` goes to a fresh folder, while exporting
#: and benchmarking ``outputs/train/tutorial`` use the tiny run (exported).
PLACEHOLDERS = {
    "outputs/train/quickstart_seed0/<time>": "{run}",
    "outputs/train/...": "{run}",
    "hydra.run.dir=outputs/train/tutorial": "hydra.run.dir={tmp}/tutorial",
    "outputs/train/tutorial": "{run}",
    "outputs/my_run": "{tmp}/my_run",
    "outputs/ci_bench": "{tmp}/ci_bench",
    "calls.csv": "{calls_csv}",
    "my_center.yaml": "{my_center}",
    "tuned.json": "{tuned}",
    "experiments/volume_forecast": "{tmp}/volume_forecast",  # never the committed results
    "outputs/calibrate_availability": "{tmp}/calibrate_availability",
    "experiments/anonymous_bank_backtest/variants/": "{tmp}/variants/",
    "--out experiments/anonymous_bank_backtest": "--out {tmp}/bank_backtest",
    "configs/scenario/anonymous_bank_v2.yaml": "{tmp}/anonymous_bank_v2.yaml",
    "outputs/calibrate_v2": "{tmp}/calibrate_v2",
    "outputs/calibrate_replay": "{tmp}/calibrate_replay",
    "hydra.run.dir=experiments/rl_levers/runs/": "hydra.run.dir={tmp}/rl_levers/",
    "init=experiments/rl_es/runs/clone_index150/seed0": "init={run}",
    "hydra.run.dir=experiments/rl_es/runs/": "hydra.run.dir={tmp}/rl_es/",
    "--out experiments/rl_levers/results_ablation/curves.md": "--out {tmp}/curves.md",
}


def readme_commands(text: str | None = None) -> list[tuple[str, list[str]]]:
    """``(key, words)`` of every command line in the bash blocks of ``text`` (by default:
    of README.md and every docs page, each command once, in order of first appearance)."""
    if text is None:
        seen: dict[str, list[str]] = {}
        for path in doc_files():
            for key, words in readme_commands(path.read_text()):
                seen.setdefault(key, words)
        return list(seen.items())
    out = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                out.append((" ".join(words), words))
    return out


def test_every_readme_command_is_covered() -> None:
    keys = [k for k, _ in readme_commands()]
    assert keys, "no ```bash block found in README.md or docs/"
    missing = [k for k in keys if k not in COMMANDS]
    stale = [k for k in COMMANDS if k not in keys]
    assert not missing, f"commands of the pages no test runs (add them to COMMANDS): {missing}"
    assert not stale, f"COMMANDS entries no longer on any page (remove them): {stale}"


def test_readme_keeps_the_three_commands() -> None:
    """.ci/run runs the README's setup and test commands: the landing page must keep them."""
    keys = [k for k, _ in readme_commands(README.read_text())]
    assert keys == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e .[dev]",
        "rlroute-train experiment=quickstart",
        "python -m pytest -n 2",
    ]


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
    if words[:2] == ["python", "-m"] and words[2] in ENTRY_POINTS.values():  # a Hydra app
        argv = _shrink(words[3:], spec, paths)
        argv += _hydra_dirs(words[2], argv, tmp)
        return _call(importlib.import_module(words[2]).main, [words[2], *argv])
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


@pytest.fixture(scope="module")
def tiny_onnx(tiny_run: Path) -> Path:
    """The tiny run exported to ``policy.onnx`` + ``policy.json`` (for the onnx router)."""
    if not (tiny_run / "policy.onnx").exists():
        main = importlib.import_module(ENTRY_POINTS["rlroute-export"]).main
        assert _call(main, ["rlroute-export", f"run_dir={tiny_run}"]) == 0
    return tiny_run


@pytest.fixture(scope="module")
def tuned_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file the tune command writes and the bench command reads, made by a tiny tuning
    run (so the bench command does not depend on the order the tests run in)."""
    from rlroute.policies.tune import main

    path = tmp_path_factory.mktemp("tune") / "tuned.json"
    argv = ["--scenario", "heterogeneous", "--trials", "2", "--days", "1"]
    assert main([*argv, "--horizon-intervals", "2", "--out", str(path)]) == 0
    return path


@pytest.fixture
def my_center(tmp_path: Path) -> Path:
    """docs/tutorials/add_a_scenario.md's YAML block, as the file its command benchmarks."""
    page = (DOCS / "tutorials" / "add_a_scenario.md").read_text()
    path = tmp_path / "my_center.yaml"
    path.write_text(page.split("```yaml\n", 1)[1].split("```", 1)[0])
    return path


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
    if "policy.onnx" in key:
        paths["run"] = str(request.getfixturevalue("tiny_onnx"))
    elif (
        "outputs/train/" in key and "hydra.run.dir=outputs/train/" not in key
    ) or "init=experiments/rl_es/" in key:  # ES starts from a trained run: the tiny one
        paths["run"] = str(request.getfixturevalue("tiny_run"))
    if "tuned.json" in key:
        paths["tuned"] = str(request.getfixturevalue("tuned_json"))
    if "my_center.yaml" in key:
        paths["my_center"] = str(request.getfixturevalue("my_center"))
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
    if "outputs/ci_bench" in key:
        assert (tmp_path / "ci_bench" / "benchmark.json").exists()
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
