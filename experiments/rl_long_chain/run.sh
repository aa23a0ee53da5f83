#!/usr/bin/env bash
# The long-chain study, end to end (experiments/study.sh: train 3 seeds of the c-mu/theta clone
# + PPO fine-tuning, benchmark against every fixed rule and the tuned index router on 10
# evaluation days, ONNX export of seed 0 with parity, decision latency, SB3 vs ONNX in
# rlroute-bench). Re-running resumes unfinished trainings. A reduced budget (README).
#   experiments/rl_long_chain/run.sh       # SEEDS=0,1,2 JOBS=1 EVAL_SEEDS=10
export SEEDS=${SEEDS:-0,1,2} JOBS=${JOBS:-1} EVAL_SEEDS=${EVAL_SEEDS:-10}
exec "$(dirname "$0")/../study.sh" experiments/rl_long_chain long_chain_20x20 \
  rules experiment=rl_long_chain
