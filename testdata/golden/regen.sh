#!/usr/bin/env bash
# Rewrites every expected output in testdata/golden from the current build.
# Usage: testdata/golden/regen.sh [BUILD_DIR] [NAME...]
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
shift || true
while IFS= read -r line; do
	case "$line" in '#'*|'') continue ;; esac
	eval "set -- $line"
	name=$1 capture=$2 status=$3
	shift 3
	if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
	out=$(eval "\"$build/sipaudit\" $* $capture" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"testdata/golden/$name.out"
	[ "$rc" -eq "$status" ] || echo "warning: $name exited $rc, TESTLIST says $status" >&2
done <testdata/golden/TESTLIST
