#!/usr/bin/env bash
# Long fuzzing campaigns: every libFuzzer target for SECONDS (default 600)
# each, in a clang ASan+UBSan build, printing executions, coverage and corpus
# size per target. Crashes are kept under WORK/<target>/crashes: copy each
# into tests/fuzz/corpus/<target>/ so every build replays it from then on.
#
#   bench/fuzz.sh [SECONDS] [WORK]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600} work=${2:-build-fuzz/campaign}
. scripts/lib.sh
tg_install_deps
tg_build_fuzz build-fuzz >/dev/null
printf '%-10s %12s %9s %8s %s\n' target executions coverage corpus result
for t in policy args xml parsers; do
	out=$(tests/fuzz/run-fuzz.sh "$t" "build-fuzz/tests/fuzz/fuzz-$t" "$secs" \
		"tests/fuzz/corpus/$t" "$work/$t" | grep -E '^(not )?ok')
	execs=$(echo "$out" | grep -o '[0-9?]* executions' | cut -d' ' -f1)
	cov=$(echo "$out" | grep -o 'coverage [0-9?]*' | cut -d' ' -f2)
	corpus=$(echo "$out" | grep -o 'corpus [0-9]*' | cut -d' ' -f2)
	printf '%-10s %12s %9s %8s %s\n' "$t" "${execs:--}" "${cov:--}" "${corpus:--}" \
		"$([[ $out == ok* ]] && echo clean || echo "CRASH: see $work/$t/crashes")"
done
