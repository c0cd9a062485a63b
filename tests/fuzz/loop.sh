#!/usr/bin/env bash
# tests/fuzz/loop.sh WORKDIR HARNESS... - fuzz in the background for hours:
# each harness in turn for RUN seconds (default 900), forever, at nice 19.
# Binaries are copied into WORKDIR/bin first (a rebuild does not disturb a
# run); the corpus grows in WORKDIR/corpus/HARNESS (seeded like run.sh);
# every run's start, harness, CPU seconds, executions and coverage go to
# WORKDIR/logs/runs.txt, for tests/fuzz/LOG.md. Crashes land in
# WORKDIR/crashes. Stop it with: pkill -f tests/fuzz/loop.sh; pkill -f fuzz_
set -uo pipefail
work=$1
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
run=${RUN:-900}
mkdir -p "$work"/bin "$work"/logs "$work"/crashes
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# nice alone does not yield when the loop was started with setsid: the
# kernel's autogroups share the CPU between sessions first, so a loop in a
# session of its own took half the machine from the work beside it
echo 19 2>/dev/null >/proc/self/autogroup || true
for h in "$@"; do
	mkdir -p "$work/corpus/$h"
	[ -x "$work/bin/fuzz_$h" ] || cp "$repo/build-fuzz/tests/fuzz/fuzz_$h" "$work/bin/"
	if [ -z "$(ls -A "$work/corpus/$h")" ]; then
		case $h in
		file) cp "$repo"/testdata/captures/public/* "$repo"/testdata/captures/corrupt/* "$work/corpus/file/" 2>/dev/null
		      find "$repo"/testdata/captures -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k \
			      -exec cp {} "$work/corpus/file/" \; ;;
		sip) cp "$repo"/tests/fuzz/seeds/sip/* "$work/corpus/sip/" 2>/dev/null ;;
		tls) cp "$repo"/tests/tls/*.bin "$work/corpus/tls/" ;;
		esac
		[ -d "$repo/tests/fuzz/corpus/$h" ] && cp "$repo/tests/fuzz/corpus/$h"/* "$work/corpus/$h/" 2>/dev/null
		for r in "$repo"/tests/fuzz/regressions/"$h"-*; do [ -f "$r" ] && cp "$r" "$work/corpus/$h/"; done
		[ -n "$(ls -A "$work/corpus/$h")" ] || echo > "$work/corpus/$h/empty"
	fi
done
while :; do
	for h in "$@"; do
		start=$(date -u +%FT%TZ)
		log=$work/logs/$h-$(date -u +%Y%m%dT%H%M%S).log
		t0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
		dict=$repo/tests/fuzz/dict/packets.dict
		[ "$h" = sip ] && dict=$repo/tests/fuzz/dict/sip.dict
		/usr/bin/time -f "%U %S" -o "$log.time" nice -n 19 "$work/bin/fuzz_$h" -dict="$dict" -max_total_time="$run" -timeout=10 \
			-rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$work/crashes/$h-" "$work/corpus/$h" >"$log" 2>&1
		rc=$?
		cpu=$(awk '{printf "%d", $1+$2}' "$log.time" 2>/dev/null)
		stats=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/^#([0-9]+).*cov: ([0-9]+) ft: ([0-9]+).*/\1 \2\/\3/')
		echo "$start $h cpu=${cpu:-?}s rc=$rc execs/cov/ft=$stats" >>"$work/logs/runs.txt"
	done
done
