#!/usr/bin/env bash
# One RL study, end to end: train SEEDS (JOBS at a time; re-running resumes unfinished runs),
# benchmark every trained seed and the baselines on EVAL_SEEDS evaluation days (common random
# numbers), export seed 0 to ONNX with parity, time its decisions, and run its SB3 and ONNX
# routers through rlroute-bench (identical KPIs on every day).
#   experiments/study.sh DIR SCENARIO BASELINES TRAIN_OVERRIDE...
#   e.g. experiments/study.sh experiments/rl_heterogeneous heterogeneous rules \
#          experiment=rl_heterogeneous
# BASELINES: comma-separated routers, `rules` = every fixed rule shipped. Every tuned router
# saved for the scenario (experiments/tuned_baselines/SCENARIO_FAMILY.json) is added as
# tuned_FAMILY, so the verdict (results/summary.json) is against the best rule and the best
# tuned router.
# Environment: SEEDS=0,1,2,3,4 JOBS=2 EVAL_SEEDS=20. The studies' own run.sh call this.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$1
SCENARIO=$2
BASELINES=$3
shift 3
SEEDS=${SEEDS:-0,1,2,3,4}
JOBS=${JOBS:-2}
EVAL_SEEDS=${EVAL_SEEDS:-20}
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

rlroute-train -m "$@" "seed=$SEEDS" resume=true \
  hydra/launcher=parallel hydra.launcher.n_jobs="$JOBS" \
  hydra.sweep.dir="$HERE/runs" 'hydra.sweep.subdir=seed${seed}'

TUNED=()
for f in experiments/tuned_baselines/"$SCENARIO"_*.json; do
  [ -e "$f" ] || continue
  family=${f##*/"$SCENARIO"_}
  family=${family%.json}
  # anonymous_bank_* also matches anonymous_bank_profiled_*: the file's own scenario decides
  router=$(python -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["router"] if d["scenario"] == sys.argv[2] else "")' "$f" "$SCENARIO")
  if [ -n "$router" ]; then TUNED+=(--tuned "tuned_$family=$router:$f"); fi
done

python -m rlroute.bench.study "$HERE/runs" --scenario "$SCENARIO" \
  --baselines "$BASELINES" "${TUNED[@]}" \
  --seeds "$EVAL_SEEDS" --n-jobs "$JOBS" --out "$HERE/results"

rlroute-export both run_dir="$HERE/runs/seed0" verify.n_obs=10000
cp "$HERE/runs/seed0/parity.json" "$HERE/results/parity_seed0.json"
python benchmarks/policy_latency.py "$HERE/runs/seed0" --n 5000 --json "$HERE/results/latency_seed0.json"

rlroute-bench "scenarios=[$SCENARIO]" \
  "routers=[{name: sb3, path: '$HERE/runs/seed0', label: sb3_seed0},{name: onnx, path: '$HERE/runs/seed0/policy.onnx', label: onnx_seed0}]" \
  seeds="$EVAL_SEEDS" reference=null plots=false progress=false hydra.run.dir="$HERE/results/bench_sb3_vs_onnx"
python -m rlroute.export.parity "$HERE/results/bench_sb3_vs_onnx/results.csv" sb3_seed0 onnx_seed0 \
  | tee "$HERE/results/sb3_vs_onnx.txt"
