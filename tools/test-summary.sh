#!/usr/bin/env bash
# `make test`'s summary. With `add MODULE FILE` (gotestsum's --post-run-command, which sets
# TESTS_TOTAL, TESTS_FAILED, TESTS_SKIPPED, TESTS_ERRORS and GOTESTSUM_ELAPSED) it records one
# module's counts; with `print FILE` it prints them all, so a run that tested nothing shows.
set -euo pipefail
case "${1:-}" in
add)
	echo "$2 ${TESTS_TOTAL:-0} ${TESTS_FAILED:-0} ${TESTS_SKIPPED:-0} ${TESTS_ERRORS:-0} ${GOTESTSUM_ELAPSED:-?}" >>"$3"
	;;
print)
	echo
	echo "Tests per module (subtests and fuzz seeds count as tests):"
	awk 'BEGIN { printf "  %-30s %7s %7s %7s %7s %7s  %s\n", "module", "ran", "passed", "failed", "skipped", "errors", "time" }
		{ passed = $2 - $3 - $4; printf "  %-30s %7d %7d %7d %7d %7d  %s\n", $1, $2, passed, $3, $4, $5, $6
		  t += $2; p += passed; f += $3; s += $4; e += $5 }
		END { printf "  %-30s %7d %7d %7d %7d %7d\n", "total", t, p, f, s, e }' "$2"
	;;
*)
	echo "usage: test-summary.sh add MODULE FILE | print FILE" >&2
	exit 2
	;;
esac
