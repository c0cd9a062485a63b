#!/usr/bin/env bash
# bench/ab.sh CAPTURE N LABEL=COMMAND... - compare sipaudit builds (or
# options) on one capture, interleaved: each command runs once in turn, N
# rounds, the order reversed every other round, so that this machine's
# drift from minute to minute (a virtual machine's speed varies by half)
# falls on every command alike. A COMMAND is a sipaudit command line
# without the capture; env assignments may lead it. LABEL: letters, digits, _.-
#   bench/ab.sh bench/out/shapes/plain-full.pcap 3 old=/tmp/sipaudit-old new=build/sipaudit 'new1=build/sipaudit -j1'
# Prints per label the best and median wall time, the user and system CPU
# of the best run, and the highest peak RSS; a run that failed is counted
# and left out. Output goes to /dev/null; stop the fuzzers first
# (tests/fuzz/loop.sh), as for bench/shapes.sh.
set -euo pipefail
shopt -s extglob
usage() {
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 3 ] || usage
f=$1
n=$2
shift 2
[[ $n == +([0-9]) && $n -gt 0 ]] || usage
[ -r "$f" ] || { echo "ab.sh: cannot read $f" >&2; exit 2; }
for v in "$@"; do
	[[ $v == +([A-Za-z0-9_.-])=* ]] || { echo "ab.sh: '$v' is not LABEL=COMMAND" >&2; exit 2; }
done
if [ ! -x /usr/bin/time ]; then
	echo "ab.sh: installing time (GNU time, for the CPU and peak RSS)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipaudit-ab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmds=("$@")
for ((i = 0; i < n; i++)); do
	order=("${cmds[@]}")
	if ((i % 2)); then # reversed: no command always runs right after another
		order=()
		for ((k = ${#cmds[@]} - 1; k >= 0; k--)); do
			order+=("${cmds[k]}")
		done
	fi
	for v in "${order[@]}"; do
		l=${v%%=*}
		c=${v#*=}
		t0=$EPOCHREALTIME
		# shellcheck disable=SC2086 # the command is split into words on purpose
		if /usr/bin/time -f "%U %S %M" -o "$tmp/$l.t" env $c -q --fail-on never "$f" >/dev/null 2>"$tmp/$l.err"; then
			t1=$EPOCHREALTIME
			echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $(tail -n 1 "$tmp/$l.t")" >>"$tmp/$l"
		else
			echo "ab.sh: $l failed: $(tail -n 1 "$tmp/$l.err")" >&2
			echo x >>"$tmp/$l.failed"
		fi
	done
done
for v in "${cmds[@]}"; do
	l=${v%%=*}
	failed=$( [ -f "$tmp/$l.failed" ] && wc -l <"$tmp/$l.failed" || echo 0)
	if [ ! -s "$tmp/$l" ]; then
		printf '%-8s every run failed\n' "$l"
		continue
	fi
	sort -n "$tmp/$l" | awk -v l="$l" -v failed="$failed" '{ w[NR] = $1; u[NR] = $2; s[NR] = $3; if ($4 > m) m = $4 }
		END { printf "%-8s best %.3f s  median %.3f s  (user %.2f, sys %.2f of the best)  peak RSS %.1f MB%s\n",
			l, w[1], w[int((NR + 1) / 2)], u[1], s[1], m * 1024 / 1e6, failed ? "  (" failed " runs failed)" : "" }'
done
