#!/usr/bin/env bash
# tests/ladder_check.sh SIPAUDIT [CAPTURE...] - properties of the text ladder
# (--ladder) over every call of the captures (default: the rule captures and
# testdata/captures/public), where the goldens check only a few calls:
#   - exit status 0 or 1 (1 exactly when an error finding is listed);
#   - with at most 3 hosts, no line wider than 80 columns;
#   - one arrow row (time offset and frame in the gutter) per message;
#   - --color always, with the escapes removed, is the plain output;
#   - two runs give the same bytes.
# One TAP-style line per capture ("ok - ..." / "not ok - ..."); exits 0.
set -u
cd "$(dirname "$0")/.."
bin=${1:?usage: tests/ladder_check.sh SIPAUDIT [CAPTURE...]}
shift
if [ $# -eq 0 ]; then
	set -- testdata/captures/rules/*.pcap testdata/captures/public/*.pcap*
fi
export LC_ALL=C.UTF-8 # ${#line} counts characters (the header's arrow is one)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for cap in "$@"; do
	[ -f "$cap" ] || continue
	n=$("$bin" -q --format json "$cap" 2>/dev/null | grep -o '"number":[0-9]*' | wc -l)
	problems=()
	for i in $(seq 1 "$n"); do
		"$bin" -q --ladder "$i" "$cap" >"$tmp/plain" 2>"$tmp/err"
		rc=$?
		# the ladder's findings, and those raised after the call (lapsed registrations)
		errors=$(grep -Ec '^\[[0-9]+\] error\[|: error\[' "$tmp/plain")
		if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && [ "$errors" -eq 0 ]; } || { [ $rc -eq 0 ] && [ "$errors" -gt 0 ]; }; then
			problems+=("#$i: exit $rc with $errors error findings")
			continue
		fi
		hosts=$(grep -m1 -o '[0-9]* hosts\?$' "$tmp/plain" | cut -d' ' -f1)
		msgs=$(grep -m1 -o '[0-9]* messages\?,' "$tmp/plain" | cut -d' ' -f1)
		if [ "${hosts:-0}" -le 3 ]; then
			while IFS= read -r line; do
				# what follows is main's report of late findings, not the ladder
				case "$line" in "finding about call"*|"findings about call"*) break ;; esac
				if [ ${#line} -gt 80 ]; then
					problems+=("#$i: ${#line} columns: $line")
					break
				fi
			done <"$tmp/plain"
		fi
		arrows=$(grep -Ec '^ *[-+][0-9]+\.[0-9]{3} +#[0-9]+ ' "$tmp/plain")
		[ "$arrows" = "${msgs:-x}" ] || problems+=("#$i: $arrows arrow rows for ${msgs:-?} messages")
		"$bin" -q --ladder "$i" --color always "$cap" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' >"$tmp/colour"
		cmp -s "$tmp/plain" "$tmp/colour" || problems+=("#$i: the colour output is not the plain one plus escapes")
		"$bin" -q --ladder "$i" "$cap" 2>/dev/null | cmp -s "$tmp/plain" - || problems+=("#$i: not deterministic")
	done
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok - ladder: $(basename "$cap") ($n calls)"
	else
		echo "not ok - ladder: $(basename "$cap")"
		printf '#   %s\n' "${problems[@]}"
	fi
done
exit 0
