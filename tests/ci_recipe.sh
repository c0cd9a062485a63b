#!/usr/bin/env bash
# tests/ci_recipe.sh BUILD_DIR - the CI recipe of doc/ci run as the examples
# run it: the command lines are taken from github-actions.yml and
# gitlab-ci.yml themselves and run in a scratch project with a captures/
# directory, first with findings and no baseline (the job fails, JUnit has
# the failures), then with the baseline the README says to write (it
# passes), then with a new capture that has a new error (it fails again,
# one failure). One ok/not ok line per check.
set -u
cd "$(dirname "$0")/.."
repo=$(pwd)
build=$(cd "${1:-build}" && pwd)
export PATH=$build:$PATH
ok() { if [ "$1" = 0 ]; then echo "ok - ci recipe $2"; else echo "not ok - ci recipe $2: ${3:-}"; fi; }
tmp=$(mktemp -d /tmp/sipaudit-ci.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/captures/day1" "$tmp/doc/ci"
cp doc/ci/sipaudit-ci.sh "$tmp/doc/ci/"
cp testdata/captures/rules/call-ok.pcap "$tmp/captures/day1/"
cp testdata/captures/rules/bye-481-live.pcap "$tmp/captures/day1/"
cp testdata/captures/public/ipfixprobe__sip.pcap "$tmp/captures/"

for ex in github-actions gitlab-ci; do
	cmd=$(grep -o 'doc/ci/sipaudit-ci.sh.*' "doc/ci/$ex.yml" | head -1)
	[ -n "$cmd" ]; ok $? "$ex.yml runs doc/ci/sipaudit-ci.sh" "$cmd"
	grep -q 'sipaudit-junit.xml' "doc/ci/$ex.yml"; ok $? "$ex.yml hands the CI the JUnit file"
	rm -f "$tmp/sipaudit-baseline.json" "$tmp/sipaudit-junit.xml"
	(cd "$tmp" && SIPAUDIT_JUNIT=sipaudit-junit.xml bash -c "$cmd" >"$tmp/log" 2>&1)
	rc=$?
	f=$(grep -o 'failures="[0-9]*"' "$tmp/sipaudit-junit.xml" | head -1)
	[ $rc = 1 ] && [ "$f" = 'failures="4"' ] && grep -q 'bye-481' "$tmp/log"
	ok $? "$ex: captures with errors and no baseline fail the job, 4 JUnit failures, the log names them" "rc=$rc $f"
	xmllint --noout "$tmp/sipaudit-junit.xml" 2>/dev/null; ok $? "$ex: the JUnit file is well-formed XML"

	# the README's command, once, accepts what is there
	(cd "$tmp" && sipaudit -q --write-baseline sipaudit-baseline.json captures >/dev/null 2>&1)
	(cd "$tmp" && SIPAUDIT_JUNIT=sipaudit-junit.xml bash -c "$cmd" >"$tmp/log" 2>&1)
	rc=$?
	f=$(grep -o 'failures="[0-9]*"' "$tmp/sipaudit-junit.xml" | head -1)
	[ $rc = 0 ] && [ "$f" = 'failures="0"' ] && grep -q 'baselined' "$tmp/log"
	ok $? "$ex: with the baseline the job passes, no JUnit failure, the log says baselined" "rc=$rc $f"

	cp testdata/captures/rules/ack-cseq-update.pcap "$tmp/captures/day1/new.pcap"
	(cd "$tmp" && SIPAUDIT_JUNIT=sipaudit-junit.xml bash -c "$cmd" >"$tmp/log" 2>&1)
	rc=$?
	f=$(grep -o 'failures="[0-9]*"' "$tmp/sipaudit-junit.xml" | head -1)
	[ $rc = 1 ] && [ "$f" != 'failures="0"' ] && grep -q 'new.pcap' "$tmp/sipaudit-junit.xml"
	ok $? "$ex: a new capture with a new error fails the job again" "rc=$rc $f"
	rm -f "$tmp/captures/day1/new.pcap"
done
