#!/usr/bin/env bash
# Run one libFuzzer target for a bounded time from its seed corpus, as a
# regression check (CI) or a campaign (bench/fuzz.sh). TAP output, with the
# figures: executions, coverage, corpus size.
#
#   run-fuzz.sh NAME BINARY SECONDS SEED_DIR WORK_DIR
set -uo pipefail
name=$1 bin=$2 secs=$3 seeds=$4 work=$5
mkdir -p "$work/corpus" "$work/crashes"
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/crashes/" "$work/corpus" "$seeds" > "$work/log" 2>&1
rc=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | grep -o '[0-9]*$')
units=$(find "$work/corpus" -type f | wc -l)
echo "1..1"
if [ "$rc" = 0 ]; then
	echo "ok 1 - fuzz-$name: ${execs:-?} executions in ${secs}s, coverage ${cov:-?}, corpus $units"
else
	echo "not ok 1 - fuzz-$name found a crash (exit $rc); inputs in $work/crashes:"
	ls "$work/crashes" | sed 's/^/# /'
	grep -E 'ERROR|SUMMARY|#0|#1|#2|#3' "$work/log" | head -20 | sed 's/^/# /'
fi
exit "$rc"
