#!/usr/bin/env bash
# Evolution strategies with common random numbers (docs/rl_es.md) on the calibrated real bank
# (scenario anonymous_bank_profiled), end to end:
#  1. per training seed S, the clone of c-mu/theta (the best rule there; the tuned index found
#     nothing better): rlroute-train's behaviour cloning with 0 PPO steps (experiment=rl_levers_bc,
#     its teacher cmu_theta, scenario=anonymous_bank_profiled);
#  2. ES fine-tuning of each clone's actor head (python -m rlroute.cli.es), JOBS runs at a time:
#     sigma 0.5, lr 0.03, 60 iterations of 8 antithetic pairs x 8 training days (the settings of
#     the heterogeneous headline, experiments/rl_es);
#     and on seed 0 the same for 180 iterations (es_cmu_theta_long);
#  3. the study of the ES runs and of the clones against every fixed rule and the tuned index
#     on benchmark days 0..19, ES paired against its clones (experiments/rl_es/paired.py), the
#     learning curves; the held-out check of ES and clones on 40 unseen days (200..239).
# Re-running skips the runs already made. Wall time: experiments/rl_es_bank/README.md.
#   experiments/rl_es_bank/run.sh          # SEEDS="0 1 2 3 4" JOBS=2
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/rl_es_bank
SEEDS=${SEEDS:-"0 1 2 3 4"}
JOBS=${JOBS:-2}
SCEN=anonymous_bank_profiled
TUNED=experiments/tuned_baselines/${SCEN}_index.json
export MPLBACKEND=Agg PYTHONUNBUFFERED=1

for S in $SEEDS; do
  clone=$HERE/runs/clone_cmu_theta/seed$S
  [ -f "$clone/model.zip" ] && continue
  rlroute-train experiment=rl_levers_bc scenario=$SCEN total_timesteps=0 seed="$S" \
    tensorboard=false hydra.run.dir="$clone"
  rm -rf "$clone/best" "$clone/checkpoints" "$clone/.hydra" "$clone"/last_* \
    "$clone/progress.csv" "$clone/train.log"
done

# One line per ES run: NAME SEED ITERATIONS
JOBS_FILE=$(mktemp)
for S in $SEEDS; do echo "es_cmu_theta $S 60" >> "$JOBS_FILE"; done
echo "es_cmu_theta_long 0 180" >> "$JOBS_FILE"
es_one() {
  set -f  # the arguments hold params=[head.]: no globbing
  local name=$1 S=$2 out=$HERE/runs/$1/seed$2
  [ -f "$out/model.zip" ] && return 0
  python -m rlroute.cli.es init="$HERE/runs/clone_cmu_theta/seed$S" seed="$S" \
    iterations="$3" sigma=0.5 learning_rate=0.03 pairs=8 days=8 'params=[head.]' \
    hydra.run.dir="$out" hydra.output_subdir=null
}
export -f es_one
export HERE
xargs -P "$JOBS" -L 1 bash -c 'es_one "$@"' _ < "$JOBS_FILE"
rm -f "$JOBS_FILE"

for RUNS in clone_cmu_theta es_cmu_theta es_cmu_theta_long; do
  python -m rlroute.bench.study "$HERE/runs/$RUNS" --scenario $SCEN --baselines rules \
    --tuned tuned_index=index:$TUNED --seeds 20 --label "$RUNS" --out "$HERE/results/$RUNS"
done
for RUNS in es_cmu_theta es_cmu_theta_long; do
  python experiments/rl_es/paired.py "$HERE/results/$RUNS" $RUNS \
    "$HERE/results/clone_cmu_theta" clone_cmu_theta > "$HERE/results/${RUNS}_vs_clone.txt"
  python experiments/rl_es/curve.py "$HERE/runs/$RUNS" > "$HERE/results/${RUNS}_curve.md"
done

# ES against PPO from scratch (experiments/rl_anonymous_bank_profiled, same 20 days)
python experiments/rl_es/paired.py "$HERE/results/es_cmu_theta" es_cmu_theta \
  experiments/rl_anonymous_bank_profiled/results rl > "$HERE/results/es_cmu_theta_vs_ppo.txt"

# Held-out check: the same policies, unchanged, on 40 days no step above used.
for RUNS in clone_cmu_theta es_cmu_theta es_cmu_theta_long; do
  python -m rlroute.bench.study "$HERE/runs/$RUNS" --scenario $SCEN --baselines cmu_theta \
    --tuned tuned_index=index:$TUNED --seeds 40 --first-seed 200 --label "$RUNS" \
    --out "$HERE/results/held_out/$RUNS"
done
for RUNS in es_cmu_theta es_cmu_theta_long; do
  python experiments/rl_es/paired.py "$HERE/results/held_out/$RUNS" $RUNS \
    "$HERE/results/held_out/clone_cmu_theta" clone_cmu_theta \
    > "$HERE/results/held_out/${RUNS}_vs_clone.txt"
done

# ONNX export with parity of the 5-seed ES policies
for S in $SEEDS; do
  rlroute-export both run_dir="$HERE/runs/es_cmu_theta/seed$S" verify.n_obs=10000
done
