#!/bin/sh
# sipaudit-ci.sh [CAPTURE_DIR [BASELINE]] - the CI gate over a directory of
# captures, as the GitHub Actions and GitLab CI examples beside it run it:
#   - JUnit XML for the CI's test report (SIPAUDIT_JUNIT, default
#     sipaudit-junit.xml): a testsuite per capture, a failure per new finding;
#   - the text report in the job log;
#   - BASELINE (default sipaudit-baseline.json), when it exists, holds the
#     findings the team accepted: they pass, new ones fail. Make it once with
#     sipaudit --write-baseline sipaudit-baseline.json CAPTURE_DIR
# Exit status: sipaudit's (0 pass, 1 new findings at --fail-on, 2 unreadable
# input or usage, 3 internal error). SIPAUDIT: the binary (default sipaudit).
set -u
dir=${1:-captures}
baseline=${2:-sipaudit-baseline.json}
junit=${SIPAUDIT_JUNIT:-sipaudit-junit.xml}
sa=${SIPAUDIT:-sipaudit}
set -- --fail-on "${SIPAUDIT_FAIL_ON:-error}"
if [ -f "$baseline" ]; then
	set -- "$@" --baseline "$baseline"
fi
"$sa" "$@" --color never --no-table "$dir"
status=$?
"$sa" -q "$@" --format junit --output "$junit" "$dir"
junit_status=$?
# the JUnit file is the CI's evidence: failing to write it fails the job
if [ "$junit_status" -eq 3 ]; then
	status=3
fi
exit "$status"
