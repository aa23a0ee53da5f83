#!/usr/bin/env bash
# The calibration-settings search of issue 12 item 5: every variant with the same command,
# out of sample (fit 1-14 Feb, test 15-28 Feb) and in sample (fit and test on February).
# Usage: bash experiments/anonymous_bank_backtest/variants/search/run.sh holdout|insample|fithalf [VARIANT...]
set -euo pipefail
where=$1
shift
root=experiments/anonymous_bank_backtest/variants/search
declare -A flags=(
  [default]=""
  [handle_profile]="--handle-profile"
  [wrap_up]="--wrap-up"
  [handle_profile_wrap_up]="--handle-profile --wrap-up"
  [empirical_handle_profile_wrap_up]="--arrival-profile empirical --handle-profile --wrap-up"
  [exponential_handle_profile_wrap_up]="--patience exponential --handle-profile --wrap-up"
  [busy_handle_profile]="--staffing busy --handle-profile"
  [busy_handle_profile_wrap_up]="--staffing busy --handle-profile --wrap-up"
  [shifts_handle_profile_wrap_up]="--staffing shifts --handle-profile --wrap-up"
  [fifo_handle_profile_wrap_up]="--router fifo --handle-profile --wrap-up"
  [fifo_wrap_up]="--router fifo --wrap-up"
  [boost15_handle_profile_wrap_up]="--router priority_boost:boost=15 --handle-profile --wrap-up"
  [boost30_handle_profile_wrap_up]="--router priority_boost:boost=30 --handle-profile --wrap-up"
  [boost60_handle_profile_wrap_up]="--router priority_boost:boost=60 --handle-profile --wrap-up"
  [boost120_handle_profile_wrap_up]="--router priority_boost:boost=120 --handle-profile --wrap-up"
  [handle_profile_wrap_up_staffing_day_factor]="--handle-profile --wrap-up --staffing-day-factor"
  [shifts_handle_profile_availability]="--staffing shifts --handle-profile --wrap-up --availability fitted"
)
case $where in
  holdout) extra="--holdout-from 1999-02-15" ;;
  insample) extra="" ;;
  # the fitting half alone, in sample: where a router's parameter is chosen
  fithalf) extra="--exclude-dates 1999-02-15 1999-02-16 1999-02-17 1999-02-18 1999-02-21 1999-02-22 1999-02-23 1999-02-24 1999-02-25 1999-02-28" ;;
  *) echo "holdout, insample or fithalf" >&2; exit 2 ;;
esac
for v in "$@"; do
  # shellcheck disable=SC2086
  python -m rlroute.bench.backtest --seeds 10 --modes per_day mean_day $extra ${flags[$v]} \
    --out "$root/$v/$where"
done
