#!/usr/bin/env bash
# The single-pool sanity check, end to end: (1) the default work-conserving setup, where the
# learned policy must route exactly like FIFO, and (2) hold allowed (work_conserving=false),
# where it must learn not to idle agents; 5 training seeds each, benchmarked on 20 days.
#   experiments/rl_single_pool/run.sh            # SEEDS=0,1,2,3,4 JOBS=2 EVAL_SEEDS=20
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/rl_single_pool
SEEDS=${SEEDS:-0,1,2,3,4}
JOBS=${JOBS:-2}
EVAL_SEEDS=${EVAL_SEEDS:-20}
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

for variant in wc hold; do
  experiment=rl_single_pool
  [ "$variant" = wc ] && experiment=rl_single_pool_wc
  rlroute-train -m experiment=$experiment "seed=$SEEDS" resume=true \
    hydra/launcher=parallel hydra.launcher.n_jobs="$JOBS" \
    hydra.sweep.dir="$HERE/runs_$variant" 'hydra.sweep.subdir=seed${seed}'
  python -m rlroute.bench.study "$HERE/runs_$variant" --scenario single_pool \
    --baselines fifo,random --seeds "$EVAL_SEEDS" --n-jobs "$JOBS" \
    --label "rl_$variant" --out "$HERE/results_$variant"
done
