#!/bin/sh
# The last lines of `make test`: how many suites ran, how many tests
# passed, and every test that was skipped, with its reason, so that a
# skip is never taken for a pass.
#
#   scripts/test-summary.sh TALLY SUITES [FAILED_SUITE...]
#
# TALLY is the file the Check suites appended to (th_run_suite in
# tests/helpers.c): "suite NAME TESTS FAILED SKIPPED" and "skip NAME
# TEST: why" lines. SUITES is how many programs ran (the fuzz corpus
# replays among them, which count no tests). Exits 1 if any suite failed.
set -u
tally=$1
suites=$2
shift 2
failed="$*"

awk -v suites="$suites" -v failed="$failed" '
    $1 == "suite" { tests += $3; bad += $4; skipped += $5 }
    $1 == "skip"  { $1 = ""; line[++n] = "  SKIPPED:" $0 }
    END {
        passed = tests - bad - skipped
        counts = sprintf("%d tests: %d passed, %d failed, %d skipped", tests, passed, bad, skipped)
        if (failed != "")
            printf "make test: FAILED:%s (%d suites; %s)\n", " " failed, suites, counts
        else
            printf "make test: all %d suites passed (%s)\n", suites, counts
        for (i = 1; i <= n; i++)
            print line[i]
    }' "$tally"
[ -z "$failed" ]
