#!/usr/bin/env bash
# bench/ab.sh CAPTURE N LABEL=COMMAND... - compare sipaudit builds (or
# options) on one capture, interleaved: each command runs once in turn, N
# rounds, so that this machine's drift from minute to minute (a virtual
# machine's speed varies by half) falls on every command alike. A COMMAND is
# a sipaudit command line without the capture; env assignments may lead it.
#   bench/ab.sh bench/out/shapes/plain-full.pcap 3 old=/tmp/sipaudit-old new=build/sipaudit 'new1=build/sipaudit -j1'
# Prints per label the best and median wall time, the user and system CPU
# of the best run, and the highest peak RSS. Output goes to /dev/null; the
# fuzzers should be stopped (tests/fuzz/loop.sh) as for bench/shapes.sh.
set -euo pipefail
if [ $# -lt 3 ]; then
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
f=$1
n=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipaudit-ab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
labels=()
for v in "$@"; do
	labels+=("${v%%=*}")
done
for ((i = 0; i < n; i++)); do
	for v in "$@"; do
		l=${v%%=*}
		c=${v#*=}
		# shellcheck disable=SC2086 # the command is split into words on purpose
		/usr/bin/time -f "%e %U %S %M" -a -o "$tmp/$l" env $c -q --fail-on never "$f" >/dev/null
	done
done
for l in "${labels[@]}"; do
	sort -n "$tmp/$l" | awk -v l="$l" '{ w[NR] = $1; u[NR] = $2; s[NR] = $3; if ($4 > m) m = $4 }
		END { printf "%-8s best %.2f s  median %.2f s  (user %.2f, sys %.2f of the best)  peak RSS %d MB\n",
			l, w[1], w[int((NR + 1) / 2)], u[1], s[1], m * 1024 / 1e6 }'
done
