#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR SECONDS - run each libFuzzer harness for SECONDS,
# seeded from the repository's captures and SIP messages. Prints one TAP line
# per harness. Crashes are saved as tests/fuzz/crash-* (reproduce with
# BUILD_DIR/tests/fuzz/fuzz_X FILE).
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
secs=${2:-30}
work=tests/fuzz/corpus-run
mkdir -p "$work"/file "$work"/sip "$work"/packets "$work"/audio "$work"/tls "$work"/jsonw
cp testdata/captures/public/* testdata/captures/corrupt/* "$work"/file/ 2>/dev/null
find testdata/captures testdata/captures/rules testdata/captures/tls -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.gz' \) -size -64k \
	-exec cp {} "$work"/file/ \; 2>/dev/null
# the first 12 KB of each media capture: SIP with SDP, then RTP (cut short on purpose)
for m in testdata/captures/media/*.pcap; do
	[ -f "$m" ] && head -c 12288 "$m" >"$work/file/media-${m##*/}"
done
cp tests/fuzz/seeds/sip/* "$work"/sip/ 2>/dev/null
cp tests/tls/*.bin "$work"/tls/
# the committed, minimised corpus of the long runs (tests/fuzz/LOG.md)
for h in file sip packets audio tls jsonw; do
	[ -d tests/fuzz/corpus/$h ] && cp tests/fuzz/corpus/$h/* "$work/$h/" 2>/dev/null
done
# inputs that once crashed a harness (named after the harness) stay in the seeds
for r in tests/fuzz/regressions/*; do
	[ -f "$r" ] || continue
	h=${r##*/}; h=${h%%-*}
	cp "$r" "$work/$h/"
done
# undefined behaviour stops a run (UBSan alone would report it and go on)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for h in file sip packets audio tls jsonw; do
	bin=$build/tests/fuzz/fuzz_$h
	log=$work/$h.log
	dict=tests/fuzz/dict/packets.dict
	[ "$h" = sip ] && dict=tests/fuzz/dict/sip.dict
	[ "$h" = jsonw ] && dict= # values from raw bytes: no tokens to suggest
	"$bin" ${dict:+-dict="$dict"} -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix=tests/fuzz/crash-"$h"- "$work/$h" >"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW)' "$log" | tail -1 | sed 's/^#\([0-9]*\).*cov: \([0-9]*\).*/\1 runs, coverage \2/')
	if [ $rc -eq 0 ]; then
		echo "ok fuzz_$h for ${secs}s ($stats)"
	else
		echo "not ok fuzz_$h ($stats): $(grep -m1 -E 'ERROR|SUMMARY' "$log")"
		tail -30 "$log" | sed 's/^/#   /'
	fi
done
