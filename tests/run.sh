#!/usr/bin/env bash
# tests/run.sh BUILD_DIR [SANITIZER_BUILD_DIR [FUZZ_BUILD_DIR]] - the whole test suite.
# Unit tests, golden tests (testdata/golden/TESTLIST), the rule captures against
# their generation-time expectations, parity with tshark on
# the public corpus, run with the normal build, then unit and golden tests
# again with the ASan+UBSan build. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-}
fuzz=${3:-}
shared=${SIPAUDIT_SHARED:-../shared}
# the user's TLS key log must not decrypt what the tests expect to stay encrypted
unset SSLKEYLOGFILE
pass=0
fail=0
failed=()

result() { # name status
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$1"); echo "FAIL: $1"; fi
}

run_units() { # build label
	for t in "$1"/tests/unit_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		out=$("$t" 2>&1)
		rc=$?
		while IFS= read -r line; do
			case "$line" in
			"ok "*) pass=$((pass + 1)) ;;
			"not ok "*) fail=$((fail + 1)); failed+=("$2 ${line#not ok }"); echo "FAIL: $2 ${line#not ok }" ;;
			esac
		done <<<"$out"
		if [ $rc -ne 0 ] && ! grep -q '^not ok ' <<<"$out"; then
			result "$2 $(basename "$t") crashed (status $rc)" 1
			echo "$out" | tail -20
		fi
	done
}

run_golden() { # build label
	local bdir=$1 label=$2
	while IFS= read -r line; do
		case "$line" in '#'*|'') continue ;; esac
		eval "set -- $line"
		local name=$1 capture=$2 status=$3
		shift 3
		exp=testdata/golden/$name.out
		got=$(eval "\"$bdir/sipaudit\" $* $capture" 2>&1)
		rc=$?
		if [ $rc -ne "$status" ]; then
			result "$label golden $name (exit $rc, expected $status)" 1
			continue
		fi
		if ! diff -u "$exp" <(printf '%s\n' "$got") >/tmp/golden.diff.$$ 2>&1; then
			result "$label golden $name" 1
			head -40 /tmp/golden.diff.$$
		else
			result "$label golden $name" 0
		fi
	done <testdata/golden/TESTLIST
	rm -f /tmp/golden.diff.$$
}

run_units "$build" unit
run_golden "$build" golden

if [ -d "$shared/captures/public" ]; then
	while IFS= read -r line; do
		case "$line" in "ok "*) pass=$((pass + 1)) ;; "not ok "*) fail=$((fail + 1)); failed+=("${line#not ok }"); echo "FAIL: ${line#not ok }" ;; *) echo "$line" ;; esac
	done < <(python3 tests/parity.py "$build/sipaudit" "$shared/captures/public" testdata/public 2>&1)
else
	result "parity: $shared/captures/public not found" 1
fi
# the lab captures that keep their own tshark oracle (made by their generator)
for d in testdata/captures/tcp-sameport; do
	while IFS= read -r line; do
		case "$line" in "ok "*) pass=$((pass + 1)) ;; "not ok "*) fail=$((fail + 1)); failed+=("${line#not ok }"); echo "FAIL: ${line#not ok }" ;; *) echo "$line" ;; esac
	done < <(python3 tests/parity.py "$build/sipaudit" "$d" "$d" 2>&1)
done

# ok/not ok lines of a checker script → counts
tap() {
	while IFS= read -r line; do
		case "$line" in "ok "*) pass=$((pass + 1)) ;; "not ok "*) fail=$((fail + 1)); failed+=("${line#not ok }"); echo "FAIL: ${line#not ok }" ;; *) echo "$line" ;; esac
	done
}

# the rule captures against the expectations written when they were generated
tap < <(python3 tests/rules_expected.py "$build/sipaudit" testdata/captures/rules 2>&1)
# the media captures likewise, and every RTP stream against tshark's figures
tap < <(python3 tests/rules_expected.py "$build/sipaudit" testdata/captures/media 2>&1)
# the issue-11 field-traffic captures (testdata/gen/prod/prod.sh) likewise
tap < <(python3 tests/rules_expected.py "$build/sipaudit" testdata/captures/prod 2>&1)
# the issue-16 captures (testdata/gen/kpi.sh): slow-setup and its clean counterparts
tap < <(python3 tests/rules_expected.py "$build/sipaudit" testdata/captures/kpi 2>&1)
# and the KPIs against an independent count (tshark; SIPp's statistics when made)
tap < <(python3 tests/kpi_check.py "$build/sipaudit" testdata/captures/kpi 2>&1)
# SIPVicious scans, enumerations and password guessing against Kamailio, and
# their clean counterparts (testdata/gen/scan/scan.sh): sip-scan
tap < <(python3 tests/rules_expected.py "$build/sipaudit" testdata/captures/scan 2>&1)
# a record-routing Kamailio and UAs that bypass it, reliable provisionals, session
# timers and DTMF (testdata/gen/dialog2/dialog2.sh): route-set, prack, session-timer, dtmf-mismatch
tap < <(python3 tests/rules_expected.py "$build/sipaudit" testdata/captures/dialog2 2>&1)
# the TLS captures (testdata/gen/tls/tls.sh), each read with its key log
tap < <(python3 tests/rules_expected.py "$build/sipaudit" testdata/captures/tls 2>&1)
# and their messages and Call-IDs against tshark -o tls.keylog_file
tap < <(python3 tests/tls_parity.py "$build/sipaudit" testdata/captures/tls 2>&1)
# key logs from options, environment and the capture; damaged keys, records, connections
tap < <(python3 tests/tls_cli.py "$build/sipaudit" 2>&1)
# directories as inputs: by content, --include/--exclude, combined exit status
tap < <(python3 tests/dirs_cli.py "$build/sipaudit" 2>&1)
# -j N: the report of reader threads the same as one thread's (captures, directories, formats)
tap < <(python3 tests/jobs_check.py "$build/sipaudit" "$shared" 2>&1)
# accepted findings: --write-baseline, --baseline
tap < <(python3 tests/baseline_cli.py "$build/sipaudit" 2>&1)
# the memory bound: floods finalised early, one Call-ID in parts, T4 closes
tap < <(python3 tests/bound_cli.py "$build/sipaudit" 2>&1)
# classic pcap read here against libpcap reading every record, damage included
tap < <(python3 tests/pcap_reader_check.py "$build/sipaudit" 2>&1)
# the CI recipe of doc/ci, its commands taken from the GitHub and GitLab examples
tap < <(bash tests/ci_recipe.sh "$build" 2>&1)
# the Debian package: built, lintian, installed, used, removed
tap < <(bash tests/deb_check.sh 2>&1)
# the bash completion, run as bash runs it
tap < <(bash tests/completion_check.sh "$build" 2>&1)
tap < <(python3 tests/media_parity.py "$build/sipaudit" testdata/public/rtp-streams.tsv \
	testdata/public/RTP-DIFFERENCES.tsv "$shared/captures/public" 2>&1)
tap < <(python3 tests/media_parity.py "$build/sipaudit" testdata/captures/media/rtp-streams.tsv \
	testdata/captures/media/RTP-DIFFERENCES.tsv testdata/captures/media 2>&1)
# the command line: gate, rule selection, config, filters, jsonl, junit, write errors, --help vs man
tap < <(python3 tests/cli.py "$build/sipaudit" 2>&1)
# every golden JSON output and a run over the corpus against the JSON Schema
tap < <(python3 tests/schema_check.py "$build/sipaudit" "$shared" 2>&1)
# the interactive viewer, driven under tmux
tap < <(bash tests/view_tmux.sh "$build/sipaudit" 2>&1)
# --write/--split/--with-linked: every written call read back by sipaudit and tshark
tap < <(python3 tests/export_check.py "$build/sipaudit" 2>&1)
# every call of the test captures as a text ladder: 80 columns for up to 3 hosts,
# one arrow per message, exit status agrees with the findings, deterministic
tap < <(bash tests/ladder_check.sh "$build/sipaudit" 2>&1)
# every call of the test captures as SVG and Mermaid ladders against the JSON (xmllint, Mermaid in chromium)
tap < <(python3 tests/ladder_export.py "$build/sipaudit" 2>&1)
# the HTML ladder and report in headless Chromium: arrows, findings, raw messages, paging, no network
tap < <(python3 tests/html_check.py "$build/sipaudit" "$build/html-check" 2>&1)
# --audio: WAV files from real calls playing known tones (testdata/captures/audio)
tap < <(python3 tests/audio_check.py "$build" testdata/captures/audio "$shared/captures/public" 2>&1)
# hostile inputs (issue 15): floods, absurd sizes, lying lengths, bombs; each within
# its time and memory bound, reported with file and frame, the ordinary call still analysed
tap < <(python3 tests/hostile/check.py "$build" 2>&1)
# the unit tests, every golden command and the outputs they leave out under Valgrind's
# memcheck (errors and leaks), with the normal build: the sanitizers' build cannot run there
tap < <(bash tests/valgrind.sh "$build" 2>&1)

if [ -n "$asan" ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	run_units "$asan" asan-unit
	run_golden "$asan" asan-golden
	# reader threads under the sanitizers
	tap < <(python3 tests/jobs_check.py "$asan/sipaudit" "$shared" 2>&1)
	# the hostile inputs again under the sanitizers (bounds scaled for a debug ASan build)
	tap < <(python3 tests/hostile/check.py "$asan" 2>&1)
	# every public capture once under the sanitizers: no crash, no report
	if [ -d "$shared/captures/public" ]; then
		for f in "$shared"/captures/public/*.pcap* "$shared"/captures/public/*.libpcap; do
			[ -f "$f" ] || continue
			"$asan/sipaudit" -q --format json "$f" >/dev/null 2>/tmp/asan.err.$$
			rc=$?
			# the text report (calls table in a temporary file) too
			"$asan/sipaudit" -q "$f" >/dev/null 2>>/tmp/asan.err.$$
			rc2=$?
			[ $rc2 -gt $rc ] && rc=$rc2
			if [ $rc -gt 2 ] || grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' /tmp/asan.err.$$; then
				result "asan corpus $(basename "$f")" 1
				head -20 /tmp/asan.err.$$
			else
				result "asan corpus $(basename "$f")" 0
			fi
		done
		rm -f /tmp/asan.err.$$
	fi
fi

if [ -n "$fuzz" ]; then
	while IFS= read -r line; do
		case "$line" in "ok "*) pass=$((pass + 1)); echo "$line" ;; "not ok "*) fail=$((fail + 1)); failed+=("${line#not ok }"); echo "FAIL: ${line#not ok }" ;; *) echo "$line" ;; esac
	done < <(tests/fuzz/run.sh "$fuzz" "${FUZZ_SECONDS:-20}" 2>&1)
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo "failed tests:"
	printf '  %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
