#!/usr/bin/env bash
# Evolution strategies with common random numbers on `heterogeneous` (docs/rl_es.md), end to end:
#  1. per training seed S, the clone of the tuned index router (index150): rlroute-train's
#     behaviour cloning with 0 PPO steps (experiment=rl_levers_bc_index, teacher index150);
#  2. per seed, ES fine-tuning of the clone's actor (python -m rlroute.cli.es, i.e. rlroute-es),
#     JOBS seeds at a time;
#  3. the study of the ES runs and of the clones against every fixed rule and both tuned
#     index routers on benchmark days 0..19;
#  4. ONNX export of every ES policy with parity (torch vs ONNX logits, identical KPIs).
# Re-running skips the runs already made. Wall time: see experiments/rl_es/README.md.
#   experiments/rl_es/run.sh          # SEEDS="0 1 2 3 4" JOBS=3 ES_ARGS="..." NAME=es_index150
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/rl_es
SEEDS=${SEEDS:-"0 1 2 3 4"}
JOBS=${JOBS:-3}
TEACHER=experiments/tuned_baselines/heterogeneous_index150.json
# The ES settings of the study (docs/rl_es.md, "Settings").
ES_ARGS=${ES_ARGS:-"iterations=60 pairs=8 days=8 sigma=0.05 learning_rate=0.01 params=[head.]"}
NAME=${NAME:-es_index150}
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

for S in $SEEDS; do
  clone=$HERE/runs/clone_index150/seed$S
  [ -f "$clone/model.zip" ] && continue
  rlroute-train experiment=rl_levers_bc_index imitation.teacher.path=$TEACHER \
    total_timesteps=0 seed="$S" tensorboard=false hydra.run.dir="$clone"
  rm -rf "$clone/best" "$clone/checkpoints" "$clone/.hydra" "$clone"/last_* \
    "$clone/progress.csv" "$clone/train.log"
done

es_one() {
  local S=$1 out=$HERE/runs/$NAME/seed$1
  [ -f "$out/model.zip" ] && return 0
  set -f  # ES_ARGS holds params=[head.]: no globbing
  # shellcheck disable=SC2086
  python -m rlroute.cli.es init="$HERE/runs/clone_index150/seed$S" seed="$S" $ES_ARGS \
    hydra.run.dir="$out" hydra.output_subdir=null
}
export -f es_one
export HERE NAME ES_ARGS
printf '%s\n' $SEEDS | xargs -P "$JOBS" -I{} bash -c 'es_one {}'

for RUNS in "$NAME" clone_index150; do
  python -m rlroute.bench.study "$HERE/runs/$RUNS" --scenario heterogeneous --baselines rules \
    --tuned tuned_index=index:experiments/tuned_baselines/heterogeneous_index.json \
    --tuned tuned_index150=index:$TEACHER \
    --seeds 20 --label "${RUNS}" --out "$HERE/results/$RUNS"
done

for S in $SEEDS; do
  rlroute-export both run_dir="$HERE/runs/$NAME/seed$S" verify.n_obs=10000
done
python "$HERE/curve.py" "$HERE/runs/$NAME" > "$HERE/results/curve.md"
