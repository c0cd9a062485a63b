#!/usr/bin/env bash
# tests/ladder_check.sh SIPAUDIT [CAPTURE...] - properties of the text ladder
# (--ladder) over every call of the captures (default: the rule, public and
# media captures of testdata, and two public captures with RTP (video, four
# streams) from $SIPAUDIT_SHARED when there), where the goldens check only a
# few calls:
#   - exit status 0 or 1 (1 exactly when an error finding is listed);
#   - with at most 3 hosts (media-only columns count), no line wider than 80
#     columns;
#   - one SIP arrow row (time offset and frame in the gutter) per message;
#   - one RTP arrow row (=====> or <=====) per stream of the call in
#     `--format json` (its media array): at the stream's first frame, between
#     the columns of the stream's source and destination addresses, pointing
#     at the destination, and the header counts the streams;
#   - --color always, with the escapes removed, is the plain output;
#   - two runs give the same bytes.
# One TAP-style line per capture ("ok - ..." / "not ok - ..."); exits 0.
set -u
cd "$(dirname "$0")/.."
bin=${1:?usage: tests/ladder_check.sh SIPAUDIT [CAPTURE...]}
shift
if [ $# -eq 0 ]; then
	shared=${SIPAUDIT_SHARED:-../shared}/captures/public
	set -- testdata/captures/rules/*.pcap testdata/captures/public/*.pcap* testdata/captures/media/*.pcap testdata/captures/ladder/*.pcap \
		testdata/captures/tcp-sameport/*.pcap \
		"$shared"/master_thesis_files__tc-02.29a.pcap "$shared"/snort3_demo__SIP_Eyebeam2Eyebeam_Video_Audio.pcap
fi
export LC_ALL=C.UTF-8 # ${#line} counts characters (the header's arrow is one)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the RTP arrows of each call's ladder ($tmp/ladder.N) against the media
# array of the capture's JSON; prints one problem per line
cat >"$tmp/rtp.py" <<'PY'
import json, re, sys

data, ldir = sys.argv[1], sys.argv[2]
gutter = re.compile(r'^ *[-+][0-9]+\.[0-9]{3} +#([0-9]+) ')

def ip(a):
    return a[1:a.index(']')] if a.startswith('[') else a.rsplit(':', 1)[0]

for c in json.load(open(data))['calls']:
    n, media = c['number'], c.get('media') or []
    try:
        lines = open(f'{ldir}/ladder.{n}').read().split('\n')
    except OSError:
        continue
    said = re.search(r'^[a-z]+, .*, ([0-9]+) RTP streams?$', '\n'.join(lines[:4]), re.M)
    if (int(said.group(1)) if said else 0) != len(media):
        print(f'#{n}: the header counts {said.group(1) if said else 0} RTP streams, the JSON {len(media)}')
    # columns: the first row of bare lines, the names on the row above
    cols, names = [], []
    for k, l in enumerate(lines):
        if l.strip() and set(l) <= {' ', '|'}:
            cols = [x for x, ch in enumerate(l) if ch == '|']
            for x in cols:
                row = lines[k - 1]
                if x >= len(row) or row[x] == ' ':
                    names.append(None)
                    continue
                a = b = x
                while a > 0 and row[a - 1] != ' ':
                    a -= 1
                while b + 1 < len(row) and row[b + 1] != ' ':
                    b += 1
                names.append(row[a:b + 1])
            break
    arrows = {}
    for l in lines:
        m = gutter.match(l)
        if m and ('=>' in l or '<=' in l):
            arrows.setdefault(int(m.group(1)), []).append(l)
    if sum(len(v) for v in arrows.values()) != len(media):
        print(f'#{n}: {sum(len(v) for v in arrows.values())} RTP arrows for {len(media)} streams')
    for s in media:
        rows = arrows.get(s['first_frame'], [])
        if len(rows) != 1:
            print(f"#{n}: {len(rows)} RTP arrows at frame {s['first_frame']} ({s['src']} -> {s['dst']})")
            continue
        l = rows[0]
        at = lambda x: l[x] if 0 <= x < len(l) else ' '
        if '<=+' in l: # a loop: both ends in one column
            x = l.index('<=+') - 1
            src = dst = cols.index(x) if x in cols else None
        else:
            left = [i for i, x in enumerate(cols) if at(x) == '|' and at(x + 1) in '=<']
            right = [i for i, x in enumerate(cols) if at(x) == '|' and at(x - 1) in '=>']
            if len(left) != 1 or len(right) != 1:
                print(f"#{n}: no arrow between two columns at frame {s['first_frame']}: {l}")
                continue
            src, dst = (left[0], right[0]) if at(cols[right[0]] - 1) == '>' else (right[0], left[0])
        for end, col in (('src', src), ('dst', dst)):
            name = names[col] if col is not None and col < len(names) else None
            if name and '~' not in name and ip(name) != ip(s[end]):
                print(f"#{n}: the stream at frame {s['first_frame']} is drawn with its {end} at {name}, not {s[end]}")
PY

for cap in "$@"; do
	[ -f "$cap" ] || continue
	"$bin" -q --format json "$cap" >"$tmp/json" 2>/dev/null
	n=$(grep -o '"number":[0-9]*' "$tmp/json" | wc -l)
	rm -f "$tmp"/ladder.*
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
		# SIP arrows; RTP ones (=> or <=) are checked against the JSON below
		arrows=$(grep -E '^ *[-+][0-9]+\.[0-9]{3} +#[0-9]+ ' "$tmp/plain" | grep -Evc '=>|<=')
		[ "$arrows" = "${msgs:-x}" ] || problems+=("#$i: $arrows arrow rows for ${msgs:-?} messages")
		cp "$tmp/plain" "$tmp/ladder.$i"
		"$bin" -q --ladder "$i" --color always "$cap" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' >"$tmp/colour"
		cmp -s "$tmp/plain" "$tmp/colour" || problems+=("#$i: the colour output is not the plain one plus escapes")
		"$bin" -q --ladder "$i" "$cap" 2>/dev/null | cmp -s "$tmp/plain" - || problems+=("#$i: not deterministic")
	done
	# (python only where there is RTP: in the JSON, or drawn)
	if grep -q '"ssrc":' "$tmp/json" || cat "$tmp"/ladder.* 2>/dev/null | grep -E '^ *[-+][0-9]+\.[0-9]{3} +#[0-9]+ ' | grep -Eq '=>|<='; then
		while IFS= read -r p; do problems+=("$p"); done < <(python3 "$tmp/rtp.py" "$tmp/json" "$tmp" 2>&1)
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok - ladder: $(basename "$cap") ($n calls)"
	else
		echo "not ok - ladder: $(basename "$cap")"
		printf '#   %s\n' "${problems[@]}"
	fi
done
exit 0
