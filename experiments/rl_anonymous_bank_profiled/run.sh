#!/usr/bin/env bash
# The Anonymous Bank study on the calibration with handle times over the day
# (scenario anonymous_bank_profiled), end to end: train 5 seeds (2 at a time), benchmark them against the
# baselines on 20 evaluation days (common random numbers), export seed 0 to ONNX, verify parity
# and time decisions. Re-running resumes unfinished trainings (resume=true).
#   experiments/rl_anonymous_bank_profiled/run.sh            # SEEDS=0,1,2,3,4 JOBS=2 EVAL_SEEDS=20
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/rl_anonymous_bank_profiled
SEEDS=${SEEDS:-0,1,2,3,4}
JOBS=${JOBS:-2}
EVAL_SEEDS=${EVAL_SEEDS:-20}
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

rlroute-train -m experiment=rl_anonymous_bank scenario=anonymous_bank_profiled "seed=$SEEDS" resume=true \
  hydra/launcher=parallel hydra.launcher.n_jobs="$JOBS" \
  hydra.sweep.dir="$HERE/runs" 'hydra.sweep.subdir=seed${seed}'

python -m rlroute.rl.study "$HERE/runs" --scenario anonymous_bank_profiled \
  --baselines fifo,fifo_priority,sbr,lia,cmu,gcmu,cmu_theta --reference fifo,sbr,lia \
  --seeds "$EVAL_SEEDS" --n-jobs "$JOBS" --out "$HERE/results"

rlroute-export both run_dir="$HERE/runs/seed0" verify.n_obs=10000
cp "$HERE/runs/seed0/parity.json" "$HERE/results/parity_seed0.json"
python benchmarks/policy_latency.py "$HERE/runs/seed0" --n 5000 --json "$HERE/results/latency_seed0.json"

# The same policy through rlroute-bench as SB3 model and as ONNX file: identical KPIs, every seed.
rlroute-bench "scenarios=[anonymous_bank_profiled]" \
  "routers=[{name: sb3, path: '$HERE/runs/seed0', label: sb3_seed0},{name: onnx, path: '$HERE/runs/seed0/policy.onnx', label: onnx_seed0}]" \
  seeds="$EVAL_SEEDS" reference=null plots=false progress=false hydra.run.dir="$HERE/results/bench_sb3_vs_onnx"
python -m rlroute.export.parity "$HERE/results/bench_sb3_vs_onnx/results.csv" sb3_seed0 onnx_seed0 \
  | tee "$HERE/results/sb3_vs_onnx.txt"
