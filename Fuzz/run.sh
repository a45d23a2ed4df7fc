#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded number of executions and time,
# then prints one summary line:
#   fuzz NAME: RUNS execs in S s (R exec/s), corpus N files, cov C, ft F, rss M MB: ok
#
#   Fuzz/run.sh NAME BINARY RUNS SECONDS WORKDIR [extra libFuzzer flags...]
#
# The committed seeds are Fuzz/corpus/NAME; what the run finds is added to
# WORKDIR/corpus/NAME (kept between runs, never committed), a crashing input
# is written to WORKDIR/crashes/ and fails the run. A run that the time
# bound stops before RUNS executions says so and fails too, so a slow
# harness cannot pass for a thorough one.
set -uo pipefail
name=$1 binary=$2 runs=$3 seconds=$4 work=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/corpus/$name" "$work/crashes" "$work/logs"
log="$work/logs/$name.log"
start=$(date +%s.%N)
"$binary" -runs="$runs" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$work/crashes/$name-" -timeout=20 -rss_limit_mb=2048 "$@" \
  "$work/corpus/$name" "$here/corpus/$name" >"$log" 2>&1
status=$?
end=$(date +%s.%N)

stat() { grep -Eo "^stat::$1: *[0-9]+" "$log" | grep -Eo '[0-9]+$' | tail -1; }
execs=$(stat number_of_executed_units)
rss=$(stat peak_rss_mb)
cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+')
ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+')
files=$(find "$work/corpus/$name" -type f | wc -l)
seconds_taken=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
rate=$(awk -v n="${execs:-0}" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
summary="fuzz $name: ${execs:-0} execs in ${seconds_taken} s (${rate} exec/s), corpus $files files, cov ${cov:-?}, ft ${ft:-?}, rss ${rss:-?} MB"

if [ "$status" -ne 0 ]; then
  echo "$summary: FAILED (exit $status), log $log"
  grep -E 'ERROR|SUMMARY|Fatal error|contract broken|invariant broken|Test unit written' "$log" | head -20
  exit 1
fi
if [ "${execs:-0}" -lt "$runs" ]; then
  echo "$summary: STOPPED by the ${seconds} s bound before $runs executions"
  exit 1
fi
echo "$summary: ok"
