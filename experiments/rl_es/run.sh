#!/usr/bin/env bash
# Evolution strategies with common random numbers on `heterogeneous` (docs/rl_es.md), end to end:
#  1. per training seed S, the clone of the tuned index router (index150): rlroute-train's
#     behaviour cloning with 0 PPO steps (experiment=rl_levers_bc_index, teacher index150);
#  2. ES fine-tuning of the clones' actor head (python -m rlroute.cli.es, i.e. rlroute-es), JOBS
#     runs at a time: sigma 0.05, 0.2 and 0.5 on seeds 0..4 (60 iterations), and on seed 0
#     180 iterations at sigma 0.05, 0.2 and 0.5;
#  3. the study of every set of runs (and of the clones) against every fixed rule and both
#     tuned index routers on benchmark days 0..19, and each set paired against its clones;
#  4. ONNX export with parity of the 5-seed ES policies; the learning curves.
# Re-running skips the runs already made. Wall time: experiments/rl_es/README.md.
#   experiments/rl_es/run.sh          # SEEDS="0 1 2 3 4" JOBS=3
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/rl_es
SEEDS=${SEEDS:-"0 1 2 3 4"}
JOBS=${JOBS:-3}
TEACHER=experiments/tuned_baselines/heterogeneous_index150.json
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

for S in $SEEDS; do
  clone=$HERE/runs/clone_index150/seed$S
  [ -f "$clone/model.zip" ] && continue
  rlroute-train experiment=rl_levers_bc_index imitation.teacher.path=$TEACHER \
    total_timesteps=0 seed="$S" tensorboard=false hydra.run.dir="$clone"
  rm -rf "$clone/best" "$clone/checkpoints" "$clone/.hydra" "$clone"/last_* \
    "$clone/progress.csv" "$clone/train.log"
done

# One line per ES run: NAME SEED ARGS... (the settings of docs/rl_es.md).
BASE="pairs=8 days=8 params=[head.]"
JOBS_FILE=$(mktemp)
for S in $SEEDS; do
  echo "es_index150 $S iterations=60 sigma=0.05 learning_rate=0.01 $BASE" >> "$JOBS_FILE"
  echo "es_index150_sigma02 $S iterations=60 sigma=0.2 learning_rate=0.03 $BASE" >> "$JOBS_FILE"
  echo "es_index150_sigma05 $S iterations=60 sigma=0.5 learning_rate=0.03 $BASE" >> "$JOBS_FILE"
done
{
  echo "es_index150_long 0 iterations=180 sigma=0.05 learning_rate=0.01 $BASE"
  echo "es_index150_sigma02_long 0 iterations=180 sigma=0.2 learning_rate=0.03 $BASE"
  echo "es_index150_sigma05_long 0 iterations=180 sigma=0.5 learning_rate=0.03 $BASE"
} >> "$JOBS_FILE"
es_one() {
  set -f  # the arguments hold params=[head.]: no globbing
  local name=$1 S=$2 out=$HERE/runs/$1/seed$2
  shift 2
  [ -f "$out/model.zip" ] && return 0
  python -m rlroute.cli.es init="$HERE/runs/clone_index150/seed$S" seed="$S" "$@" \
    hydra.run.dir="$out" hydra.output_subdir=null
}
export -f es_one
export HERE
xargs -P "$JOBS" -L 1 bash -c 'es_one "$@"' _ < "$JOBS_FILE"
rm -f "$JOBS_FILE"

for RUNS in clone_index150 es_index150 es_index150_sigma02 es_index150_long \
  es_index150_sigma02_long es_index150_sigma05 es_index150_sigma05_long; do
  # the headline set (sigma 0.5) in results_sigma05/, which the leaderboard reads
  OUT="$HERE/results/$RUNS"
  [ "$RUNS" = es_index150_sigma05 ] && OUT="$HERE/results_sigma05"
  python -m rlroute.bench.study "$HERE/runs/$RUNS" --scenario heterogeneous --baselines rules \
    --tuned tuned_index=index:experiments/tuned_baselines/heterogeneous_index.json \
    --tuned tuned_index150=index:$TEACHER \
    --seeds 20 --label "$RUNS" --out "$OUT"
  [ "$RUNS" = clone_index150 ] && continue
  python "$HERE/paired.py" "$OUT" "$RUNS" \
    "$HERE/results/clone_index150" clone_index150 > "$HERE/results/${RUNS}_vs_clone.txt"
  python "$HERE/curve.py" "$HERE/runs/$RUNS" > "$HERE/results/${RUNS}_curve.md"
done

for S in $SEEDS; do
  for RUNS in es_index150 es_index150_sigma02 es_index150_sigma05; do
    rlroute-export both run_dir="$HERE/runs/$RUNS/seed$S" verify.n_obs=10000
  done
done
