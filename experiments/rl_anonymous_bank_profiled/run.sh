#!/usr/bin/env bash
# The Anonymous Bank study on the calibration with handle times over the day (scenario
# anonymous_bank_profiled), end to end (experiments/study.sh: train 5 seeds 2 at a time,
# benchmark against the baselines on 20 evaluation days, ONNX export of seed 0 with parity,
# decision latency, SB3 vs ONNX in rlroute-bench). Re-running resumes unfinished trainings.
#   experiments/rl_anonymous_bank_profiled/run.sh   # SEEDS=0,1,2,3,4 JOBS=2 EVAL_SEEDS=20
exec "$(dirname "$0")/../study.sh" experiments/rl_anonymous_bank_profiled anonymous_bank_profiled \
  rules experiment=rl_anonymous_bank scenario=anonymous_bank_profiled
