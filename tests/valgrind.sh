#!/usr/bin/env bash
# tests/valgrind.sh BUILD_DIR [JOBS] - sipaudit and its unit tests under
# Valgrind memcheck: invalid reads and writes, uses of uninitialised values,
# bad frees, and leaks (definitely and indirectly lost memory counts as an
# error), in a build without sanitizers (ASan and Valgrind do not mix: use
# build/, not build-asan/).
#
# What runs, each as one memcheck run:
#   - every unit test binary of BUILD_DIR (BUILD_DIR/tests/unit_*), which must
#     pass under Valgrind too;
#   - every command of testdata/golden/TESTLIST (as tests/run.sh runs them;
#     those that differ only by their captures as one run over all of them):
#     every capture format and link type, tunnels and reassembly, TLS with
#     key logs, media, the text, json, jsonl, junit, messages, svg and
#     mermaid outputs, ladders, filters, bad input;
#   - what the goldens do not cover: the HTML report and ladder, --kpis, a
#     directory as input, --write/--split/--with-linked, --audio (G.711,
#     G.722, Opus, DTMF, SRTP, loss), --write-baseline then --baseline, the
#     memory bound acting (calls finalised early and closed before T4), and
#     small versions of the hostile inputs (tests/hostile/gen.py: floods of
#     Call-IDs, tags, branches and re-INVITEs, absurd sizes, lying lengths,
#     fragments that never complete, time travel).
# A run passes when memcheck reports no error (its exit status would be 99)
# and sipaudit exits as expected; a failure prints memcheck's report. One
# "ok"/"not ok" line per run, then "N passed, N failed" (tests/run.sh counts
# them). JOBS runs at once (default: the number of processors).
# False positives from a library go to tests/valgrind.supp (read when present).
# It takes about 5 minutes of CPU (114 runs; the longest, unit_jsonw with
# its loops of a million steps, about 2 of them): 15 minutes on a 2-core
# machine at a load of 10 (fuzzers and other test runs), 3 or so idle.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${2:-${VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 2)}}
unset SSLKEYLOGFILE # the user's TLS key log must not decrypt what the goldens expect to stay encrypted

pass=0
fail=0
summary() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

if ! command -v valgrind >/dev/null 2>&1; then
	echo "not ok - valgrind: valgrind is installed (apt-get install valgrind; ./dev setup)"
	fail=1
	summary
fi
if [ ! -x "$build/sipaudit" ]; then
	echo "not ok - valgrind: $build/sipaudit exists"
	fail=1
	summary
fi
# memcheck cannot run under ASan's shadow memory: refuse a sanitizer build
san=$(python3 -c 'import json, sys
for o in json.load(open(sys.argv[1])):
    if o["name"] == "b_sanitize":
        print(o["value"])' "$build/meson-info/intro-buildoptions.json" 2>/dev/null)
if [ -n "$san" ] && [ "$san" != none ]; then
	echo "not ok - valgrind: $build is a build without sanitizers (it has b_sanitize=$san: use build/)"
	fail=1
	summary
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipaudit-valgrind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"

vg_opts=(--tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 -q
	--soname-synonyms=somalloc=libmimalloc.so*) # sipaudit's allocator (meson.build): memcheck replaces it as it does libc's
[ -f tests/valgrind.supp ] && vg_opts+=(--suppressions=tests/valgrind.supp)

# The runs: name, the exit statuses that are right (space-separated), and
# the command, where $VG stands for valgrind and its options (a command may
# run it more than once; each run's report goes to its own file).
names=()
expects=()
cmds=()
add() { # name expected command
	names+=("$1")
	expects+=("$2")
	cmds+=("$3")
}

sa="\"$build/sipaudit\""
for t in "$build"/tests/unit_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	add "unit $(basename "$t")" 0 "\$VG \"$t\""
done

# The goldens' captures, grouped: memcheck costs a second or two to start
# (most of the time of a run on a small capture), so the commands that
# differ only by their captures and key logs (--keylog may be repeated) run
# as one, over all their captures (exit status 0 or 1: the goldens check
# the statuses); the others alone, with their status: bad input (status 2),
# a ladder (its call number is per run), standard input, --list-rules.
declare -A gnames gcaps gkeys
gorder=()
alone_runs=() # name, status, command, ... (after the groups: the longest runs go first)
while IFS= read -r line; do
	case "$line" in '#'*|'') continue ;; esac
	eval "set -- $line"
	name=$1 capture=$2 status=$3
	shift 3
	all="$*"
	opts=()
	keys=()
	alone=0
	[ "$status" = 2 ] && alone=1
	case "$capture" in -*) alone=1 ;; esac
	while [ $# -gt 0 ]; do
		case "$1" in
		--keylog) keys+=("$2"); shift 2; continue ;;
		-l|--ladder|--ladder=*|--list-rules) alone=1 ;;
		esac
		opts+=("$1")
		shift
	done
	if [ $alone -eq 1 ]; then
		alone_runs+=("golden $name" "$status" "\$VG $sa $all $capture")
		continue
	fi
	k="x${opts[*]}"
	if [ -z "${gnames[$k]+set}" ]; then
		gorder+=("$k")
		gnames[$k]="" gcaps[$k]="" gkeys[$k]=""
	fi
	gnames[$k]+=" $name"
	case " ${gcaps[$k]} " in *" $capture "*) ;; *) gcaps[$k]+=" $capture" ;; esac
	for f in "${keys[@]}"; do
		case " ${gkeys[$k]} " in *" --keylog $f "*) ;; *) gkeys[$k]+=" --keylog $f" ;; esac
	done
done <testdata/golden/TESTLIST
for k in "${gorder[@]}"; do
	set -- ${gnames[$k]}
	what="$1"
	[ $# -gt 1 ] && what="$# commands: $1 ... ${!#}"
	add "goldens with options '${k#x}' ($what)" "0 1" "\$VG $sa ${k#x}${gkeys[$k]}${gcaps[$k]}"
done
for ((i = 0; i < ${#alone_runs[@]}; i += 3)); do
	add "${alone_runs[i]}" "${alone_runs[i + 1]}" "${alone_runs[i + 2]}"
done

o=$tmp/out
cap=testdata/captures
add "html report (media charts, raw messages)" "0 1" "\$VG $sa --format html -o $o/report.html $cap/media/rtp-loss.pcap $cap/rules/link-sdp.pcap"
add "html ladder" "0 1" "\$VG $sa --ladder 1 --format html -o $o/ladder.html $cap/media/rtp-one-way.pcap"
add "--kpis" "0 1" "\$VG $sa --kpis $cap/kpi/kpi-mix.pcap"
add "directory input, --exclude (jsonl)" "0 1" "\$VG $sa -q --format jsonl --exclude 'malformed*' $cap/rules"
add "--write --with-linked" "0 1" "\$VG $sa -q --call-id '*' --write $o/linked.pcap --with-linked -o /dev/null $cap/rules/link-session-id.pcap"
add "--split --with-linked" "0 1" "\$VG $sa -q --call-id '1-*' --split $o/split --with-linked -o /dev/null $cap/rules/link-session-id.pcap"
add "--write, mixed link types (pcapng)" "0 1" "\$VG $sa -q --write $o/mixed.pcapng -o /dev/null $cap/mixed-linktypes.pcapng"
add "--audio (G.711, G.722, Opus, DTMF, SRTP, loss)" "0 1" "\$VG $sa -q --audio $o/audio -o /dev/null $cap/audio/audio-g711.pcap $cap/audio/audio-g722-pcmu.pcap $cap/audio/audio-opus.pcap $cap/audio/audio-dtmf.pcap $cap/audio/audio-srtp.pcap $cap/audio/audio-g711-loss.pcap $cap/audio/audio-gsm.pcap"
add "--write-baseline, then --baseline" "0 1" "\$VG $sa -q --write-baseline $o/baseline.json -o /dev/null $cap/rules/call-failed-busy.pcap $cap/rules/sdp-nat.pcap; r=\$?; [ \$r -le 1 ] || exit \$r; \$VG $sa -q --baseline $o/baseline.json $cap/rules/call-failed-busy.pcap $cap/rules/sdp-nat.pcap"
add "the memory bound acting (--max-memory 16K: calls finalised early, closed before T4)" "0 1" "\$VG $sa -q --max-memory 16K $cap/prod/parallel-invites.pcap $cap/kpi/kpi-mix.pcap"

# small versions of the hostile inputs (the full ones take seconds natively)
hostile=many-headers,huge-header,many-mlines,multipart-nested,many-vias,tcp-endless,ws-huge,hep-inflate,pcapng-lying,time-travel,ipfrag,callid-flood,tag-flood,branch-flood,dialog-flood
if python3 tests/hostile/gen.py "$tmp/hostile" --only "$hostile" --set calls=3000 --set tags=600 --set branches=600 \
	--set reinvites=600 --set headers=2000 --set vias=4000 --set frags=1500 --set overlaps=300 \
	--set endless_bytes=262144 --set header_bytes=262144 >"$tmp/hostile.log" 2>&1; then
	for f in "$tmp"/hostile/*.pcap*; do
		n=$(basename "${f%%.pcap*}")
		mm=
		[ "$n" = callid-flood ] && mm="--max-memory 1M" # the flood's calls given up under the bound
		add "hostile $n" "0 1 2" "\$VG $sa --no-config --progress never --format json -o /dev/null $mm $f"
	done
else
	add "hostile inputs generated (tests/hostile/gen.py)" 0 "cat $tmp/hostile.log; false"
fi

total=${#names[@]}
echo "# valgrind: $total runs of memcheck, $jobs at once"
start=$SECONDS

run_one() { # index
	local i=$1 t0=$SECONDS rc
	local VG="valgrind ${vg_opts[*]} --log-file=$tmp/$i.%p.vg"
	(eval "${cmds[$i]}") >"$tmp/$i.out" 2>&1 </dev/null
	rc=$?
	local ok=0
	for e in ${expects[$i]}; do
		[ "$rc" -eq "$e" ] && ok=1
	done
	[ "$rc" -eq 99 ] && ok=0
	{
		if [ $ok -eq 1 ]; then
			echo "ok - valgrind ${names[$i]} ($((SECONDS - t0)) s)"
		else
			if [ "$rc" -eq 99 ]; then
				echo "not ok - valgrind ${names[$i]}: memcheck reported errors"
			else
				echo "not ok - valgrind ${names[$i]}: exit status $rc, expected ${expects[$i]// / or }"
			fi
			echo "# command: ${cmds[$i]//\$VG/valgrind}"
			cat "$tmp/$i".*.vg 2>/dev/null | grep -v '^==[0-9]*== *$' | head -60 | sed 's/^/# /'
			[ "$rc" -ne 99 ] && tail -5 "$tmp/$i.out" | sed 's/^/# /'
		fi
	} >"$tmp/$i.res.part"
	mv "$tmp/$i.res.part" "$tmp/$i.res"
}

# Results in the order of the runs, as they come in
next=0
flush() {
	while [ $next -lt "$total" ] && [ -f "$tmp/$next.res" ]; do
		local first
		first=$(head -1 "$tmp/$next.res")
		case "$first" in "ok "*) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
		cat "$tmp/$next.res"
		next=$((next + 1))
	done
}

running=0
for ((i = 0; i < total; i++)); do
	run_one "$i" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	flush
done
wait
flush
echo "# valgrind: $total runs in $((SECONDS - start)) s"
summary
