#!/usr/bin/env bash
# The heterogeneous study on the fast backend, end to end (experiments/study.sh: train 5 seeds
# 2 at a time, benchmark against every fixed rule and the tuned index router on 20 evaluation
# days, ONNX export of seed 0 with parity, decision latency, SB3 vs ONNX in rlroute-bench).
# Re-running resumes unfinished trainings.
#   experiments/rl_heterogeneous_fast/run.sh       # SEEDS=0,1,2,3,4 JOBS=2 EVAL_SEEDS=20
exec "$(dirname "$0")/../study.sh" experiments/rl_heterogeneous_fast heterogeneous \
  rules experiment=rl_heterogeneous_fast
