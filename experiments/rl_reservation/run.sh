#!/usr/bin/env bash
# The reservation study, end to end (experiments/study.sh: train 5 seeds of the imitation warm
# start + PPO fine-tuning, benchmark against every fixed rule and the tuned routers on 20
# evaluation days, ONNX export of seed 0 with parity, decision latency, SB3 vs ONNX in
# rlroute-bench). Re-running resumes unfinished trainings.
#   experiments/rl_reservation/run.sh      # SEEDS=0,1,2,3,4 JOBS=2 EVAL_SEEDS=20
exec "$(dirname "$0")/../study.sh" experiments/rl_reservation reservation \
  rules experiment=rl_reservation_bc
