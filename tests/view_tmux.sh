#!/usr/bin/env bash
# tests/view_tmux.sh SIPAUDIT - drives `sipaudit view` for real: the viewer
# runs in a detached tmux pane (80x24), keys are sent with send-keys and the
# screen is read back with capture-pane. Prints one TAP-style line per
# assertion ("ok - ..." / "not ok - ..."), the screen as "#" lines after a
# failure, and exits 0 (the suite counts the lines).
#
# Each viewer runs in its own tmux server (-L sipaudit-test-PID-N) so it
# neither sees the user's sessions nor collides with a parallel run; each
# server is killed after use. Waits poll the screen (up to 5 s) instead of sleeping.
set -u
cd "$(dirname "$0")/.."
bin=${1:?usage: tests/view_tmux.sh SIPAUDIT}
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac

one=testdata/captures/rules/ack-cseq-update.pcap  # one call, an ack-cseq error at frame 12
many=testdata/captures/rules/malformed.pcap       # five calls of four kinds
none=testdata/captures/corrupt/header-only.pcap   # a valid file without packets
rtp=testdata/captures/media/rtp-loss.pcap         # one call, two RTP streams, rtp-quality on one
repeated=testdata/captures/public/digital-forensics-network-forensics-challenge__SIP.pcap # 51 udp-too-large of one cause, 1 rtp-quality

if ! command -v tmux >/dev/null 2>&1; then
	echo "ok - view: tmux not installed # SKIP"
	exit 0
fi

# a server per viewer run: a new server on the socket of one being killed
# could still reach the dying one
runs=0
sock=sipaudit-test-$$-0
T() { tmux -L "$sock" -f /dev/null "$@"; }
# a server that exits leaves its socket file behind
stop() { T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"; }
tmp=$(mktemp -d)
trap 'stop; rm -rf "$tmp"' EXIT

screen_dump=""
ok() { echo "ok - view: $1"; }
notok() {
	echo "not ok - view: $1"
	# the screen it saw, without the empty lines at its end
	[ -n "$screen_dump" ] && printf '%s\n' "$screen_dump" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' | sed 's/^/#   /'
}

# start ENV... -- ARGS...: a fresh pane running the viewer. Its exit status
# goes to a file: tmux does not always reap a child that exits at once, so
# #{pane_dead_status} can stay empty.
start() {
	stop
	runs=$((runs + 1))
	sock=sipaudit-test-$$-$runs
	status_file=$tmp/status.$runs
	local cmd="env"
	while [ "$1" != "--" ]; do cmd+=" $1"; shift; done
	shift
	cmd+=" '$bin' view"
	for a in "$@"; do cmd+=" '$a'"; done
	cmd+="; echo \$? >'$status_file'"
	T new-session -d -s v -x 80 -y 24 "$cmd"
}

screen() { T capture-pane -p -t v 2>/dev/null; }
screen_esc() { T capture-pane -p -e -t v 2>/dev/null; }

exited() { [ -s "$status_file" ]; }

# wait_for REGEX: polls the screen until a line matches (5 s; at once when
# the viewer is gone)
wait_for() {
	for _ in $(seq 50); do
		screen_dump=$(screen)
		grep -Eq -- "$1" <<<"$screen_dump" && return 0
		exited && return 1
		sleep 0.1
	done
	return 1
}

# wait_until CMD...: polls until CMD succeeds (the screen is in $screen_dump)
wait_until() {
	for _ in $(seq 50); do
		screen_dump=$(screen)
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

check() { # DESCRIPTION REGEX
	if wait_for "$2"; then ok "$1"; else notok "$1 (no /$2/ on screen)"; fi
}

check_not() { # DESCRIPTION REGEX: after the screen settled, no line matches
	sleep 0.2
	screen_dump=$(screen)
	if grep -Eq -- "$2" <<<"$screen_dump"; then notok "$1 (/$2/ still on screen)"; else ok "$1"; fi
}

keys() { T send-keys -t v "$@"; }

rows_matching() { grep -Ec -- "$1" <<<"$screen_dump"; }

check_exit() { # DESCRIPTION: the viewer ended with status 0
	if wait_until exited; then
		local st
		st=$(cat "$status_file")
		if [ "$st" = 0 ]; then ok "$1"; else notok "$1 (exit status $st)"; fi
	else
		notok "$1 (still running)"
	fi
}

# ---- many calls: the list, filter as you type, sort, quit ----
start TERM=tmux-256color -- "$many"
check "list: title with the file and the counts" "sipaudit: .*malformed\.pcap.*5 calls, 5 shown, 5 findings \(4E 1W\)"
check "list: column header, sorted by number" "^ *#\^ +Start +From +To +Kind +State +Code +Find"
five_rows() { [ "$(rows_matching '^ *[1-5] [0-9]{2}:[0-9]{2}:[0-9]{2} ')" = 5 ]; }
if wait_until five_rows; then
	ok "list: five call rows"
else
	notok "list: five call rows"
fi
check "list: the worst severity in the findings column" " 2E$"
check "list: key bar" "Enter Ladder +/ Filter +s Sort"

keys /
check "filter: the prompt opens" "^Filter: _"
keys b a
check "filter: 'ba' narrows as typed" "5 calls, 2 shown"
keys d l
check "filter: 'badl' narrows to one call" "5 calls, 1 shown"
if [ "$(rows_matching '^ *[1-5] [0-9]{2}:')" = 1 ] && grep -Eq '^ *4 .* message ' <<<"$screen_dump"; then
	ok "filter: only the matching call (a MESSAGE, by its Call-ID) is listed"
else
	notok "filter: only the matching call (a MESSAGE, by its Call-ID) is listed"
fi
keys BSpace BSpace BSpace BSpace o p t i
check "filter: case-insensitive over kind" "5 calls, 2 shown"
keys Enter
check "filter: Enter keeps it and closes the prompt" "^Filter: opti +\(/ edit, Esc clear\)"
check "filter: still narrowed after Enter" "5 calls, 2 shown"
keys Escape
check "filter: Esc clears it" "5 calls, 5 shown"
check_not "filter: the prompt line is gone" "^Filter:"
keys s
check "sort: s moves to the next column (marked in the header)" "^ *# +Start\^ +From "
keys s s s s
check "sort: by state" " State\^ +Code "
keys r
check "sort: r reverses" " Statev +Code "
if wait_for "^ *1 .*completed" && [ "$(grep -En '^ *[1-5] [0-9]{2}:' <<<"$screen_dump" | head -1 | grep -c 'unknown')" = 1 ]; then
	ok "sort: the rows follow the order (unknown first when descending)"
else
	notok "sort: the rows follow the order (unknown first when descending)"
fi
keys q
check_exit "list: q quits with status 0"

# ---- one call: ladder, findings, raw message, resize ----
start TERM=tmux-256color -- "$one"
check "list: the call with its error" "^ *1 .*completed +200 +1E"
keys Enter
check "ladder: title with the call number and Call-ID" "Call #1 \(32 messages\) +Call-ID: ack-cseq-update-1@192\.0\.2\.10"
check "ladder: host columns" "192\.0\.2\.10:5070 +192\.0\.2\.20:5060"
check "ladder: INVITE label" "\| INVITE +\|"
check "ladder: arrow with CSeq" "\|-+ CSeq 1 -+>\|"
check "ladder: time offset and frame in the gutter" "\+0\.000 +#3 +\|"
check "ladder: a finding marker on a cited arrow" "\| \[1\]$"
check "ladder: the selected message on the status line" "^frame 3 +\+0\.000 +udp 192\.0\.2\.10:5070 -> 192\.0\.2\.20:5060"
check "ladder: key bar" "Up/Down Message +Enter Raw"
if screen_esc | grep -q $'\e\\[3[1-7]m\|\e\\[38;5;'; then ok "ladder: drawn in colour"; else notok "ladder: drawn in colour"; fi
keys End
check "ladder: End shows the finding under the ladder" "^\[1\] error\[ack-cseq\] frame 12: ACK"
check "ladder: the finding's explanation" "^    why: The ACK for a 2xx"
keys Home
check "ladder: Home goes back to the first arrow" "^frame 3 "
for _ in 1 2 3 4 5 6 7 8 9; do keys Down; done
check "ladder: Down selects the key message of the finding" "^frame 12 \[1\] ack-cseq +\+1\.215"
check "ladder: its arrow is marked as the key one" "\| \[1\]!$"
keys Enter
check "raw: the message text" "^ACK sip:bob@192\.0\.2\.20"
check "raw: its headers" "^Call-ID: ack-cseq-update-1@192\.0\.2\.10"
check "raw: the finding citing it" "^\[1\]! error\[ack-cseq\] ACK"
check "raw: title with the frame" "Call #1 +ACK +frame 12 "
check "raw: key bar" "Up/Down Scroll .*q Back"
keys n
check "raw: n shows the next message" "frame 13 .*\(|^SIP/2\.0 200 OK"
keys q
check "raw: q goes back to the ladder" "^frame 13 "
check "ladder: retransmissions marked" "\| 200 OK \(retrans\) +\|"
check "ladder: retransmissions drawn with a gapped shaft" "#13 +\|<- - - .* - \|"
T resize-window -t v -x 100 -y 30
bar_on_30() { [ "$(wc -l <<<"$screen_dump")" -eq 30 ] && sed -n 30p <<<"$screen_dump" | grep -q '^Up/Down Message'; }
if wait_until bar_on_30; then
	ok "resize: the ladder is redrawn for 100x30 (key bar on line 30)"
else
	notok "resize: the ladder is redrawn for 100x30 (key bar on line 30)"
fi
check "resize: still the ladder" "192\.0\.2\.10:5070 +192\.0\.2\.20:5060"
keys Escape
check "ladder: Esc goes back to the list" "Enter Ladder"
check "resize: the list uses the width (start with milliseconds)" "^ *1 [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} "
T resize-window -t v -x 60 -y 16
check "resize: smaller, the list still shows the call" "^ *1 [0-9]{2}:[0-9]{2}:[0-9]{2} "
keys q
check_exit "list: q quits after the other screens"

# ---- a call with RTP: stream arrows, a stream's figures ----
# The capture is generated (timings and losses vary from one generation to
# the next): what the screen must show comes from its JSON report.
# lossy: the stream rtp-quality cites (its first frame is the key frame),
# other: the other stream; last: the last message.
lossy_frame=x lossy_ssrc=x lossy_packets=x lossy_expected=x lossy_lost=x lossy_src=x lossy_dst=x
other_frame=0 other_packets=x last_frame=x
eval "$("$bin" -q --format json "$rtp" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
key = [f["frame"] for f in d["findings"] if f["rule"] == "rtp-quality"][0]
media = d["calls"][0]["media"]
lossy = [s for s in media if s["first_frame"] == key][0]
other = [s for s in media if s is not lossy][0]
last = d["calls"][0]["messages"][-1]["frame"]
esc = lambda t: t.replace(".", "\\.")
print("lossy_frame=%s lossy_ssrc=%s lossy_packets=%s" % (key, lossy["ssrc"], lossy["packets"]))
print("lossy_expected=%s lossy_lost=%s" % (lossy["expected"], lossy["lost"]))
print("lossy_src=%s lossy_dst=%s" % (esc(lossy["src"]), esc(lossy["dst"])))
print("other_frame=%s other_packets=%s last_frame=%s" % (other["first_frame"], other["packets"], last))
' 2>/dev/null)"
start TERM=tmux-256color -- "$rtp"
check "rtp: the list shows the call" "^ *1 .*completed +200 +1W$"
keys Enter
check "rtp: the title counts the streams" "Call #1 \(7 messages, 2 RTP streams\) +Call-ID: rtp-loss-1@192\.0\.2\.10"
check "rtp: a stream's label" "^ +\| RTP PCMU $lossy_packets pkts +\|$"
check "rtp: the lossy stream's arrow (callee to caller) with its time span and finding" \
	"#$lossy_frame +\|<=+ \+[0-9]+\.[0-9]{3}\.\.\+[0-9]+\.[0-9]{3} =+\| \[1\]!$"
check "rtp: the other stream's arrow" "#$other_frame +\|=+ \+[0-9]+\.[0-9]{3}\.\.\+[0-9]+\.[0-9]{3} =+>\|$"
if screen_esc | grep -q $'\e\\[34m=\|\e\\[38;5;4m='; then ok "rtp: stream arrows in their own colour"; else notok "rtp: stream arrows in their own colour"; fi
# Down, arrow by arrow, to the lossy stream: each time the status line changes
status_line() { screen | grep -E '^frame [0-9]+ ' ; }
for _ in $(seq 12); do
	was=$(status_line)
	keys Down
	for _ in $(seq 20); do [ "$(status_line)" != "$was" ] && break; sleep 0.05; done
	grep -q "^frame $lossy_frame " <<<"$(status_line)" && break
done
check "rtp: Down reaches the stream (status line)" "^frame $lossy_frame \[1\] rtp-quality +\+[0-9.]+ +RTP $lossy_src -> $lossy_dst"
check "rtp: the key bar offers its figures" "Enter Figures"
check "rtp: loss, jitter and MOS under its arrow" "\| lost $lossy_lost \([0-9.]+%\) jit [0-9.]+ms MOS [0-9]\.[0-9] +\|$"
keys Enter
check "figures: title with the codec and first frame" "Call #1 +RTP PCMU/8000 +frame $lossy_frame "
check "figures: the finding citing the stream" "^\[1\]! warning\[rtp-quality\] poor RTP"
check "figures: addresses and direction" "^RTP stream +$lossy_src -> $lossy_dst \(callee -> caller\)$"
check "figures: SSRC" "^SSRC +$lossy_ssrc$"
check "figures: packets" "^Packets +$lossy_packets \([0-9]+ payload bytes\)"
check "figures: expected" "^Expected +$lossy_expected$"
check "figures: lost" "^Lost +$lossy_lost \([0-9]+\.[0-9]{2} %\)$"
check "figures: jitter" "^Jitter +mean [0-9]+\.[0-9]{2} ms, max [0-9]+\.[0-9]{2} ms$"
check "figures: MOS and R" "^MOS +[0-9]\.[0-9]{2} \(R [0-9]+\.[0-9]"
check "figures: RTCP" "^RTCP +none$"
if [ "$other_frame" -gt "$lossy_frame" ]; then
	keys n
	check "figures: n shows the next stream" "frame $other_frame "
else
	keys p
	check "figures: p shows the previous stream" "frame $other_frame "
fi
check "figures: its packets" "^Packets +$other_packets "
check "figures: no finding cites it" "^no finding cites this stream$"
keys q
check "figures: q goes back to the ladder, the stream selected" "^frame $other_frame +\+[0-9.]+ +RTP "
keys End
check "rtp: End selects the last message" "^frame $last_frame +\+[0-9.]+ +udp "
keys q q
check_exit "rtp: q q quits"

# ---- without colour ----
start NO_COLOR=1 TERM=xterm -- "$one"
check "no colour: the list renders" "^ *1 .*completed +200 +1E"
keys Enter
check "no colour: the ladder renders" "\| INVITE +\|"
if screen_esc | grep -q $'\e\\[3[1-7]m\|\e\\[38;5;'; then
	notok "no colour: no colour escapes"
else
	ok "no colour: no colour escapes"
fi
if screen_esc | grep -q $'\e\\[[0-9;]*7m'; then ok "no colour: the selection in reverse video"; else notok "no colour: the selection in reverse video"; fi
keys Enter
check "no colour: the raw message renders" "^INVITE sip:bob@192\.0\.2\.20"
keys q q q
check_exit "no colour: q q q quits"

# ---- findings by cause: one line per group, Enter narrows the calls to it ----
start TERM=tmux-256color -- "$repeated"
check "groups: the list first" "217 calls, 217 shown, 52 findings \(52W\)"
check "groups: the key bar offers the findings" "f Findings +w Save pcap +q Quit"
keys f
check "groups: title with the counts" "findings by cause: 52 findings in 2 groups"
check "groups: the largest group first, with its count and calls" "^warning +51 +51  udp-too-large from 10\.21\.128\.1$"
check "groups: the other group" "^warning +1 +1  rtp-quality from 10\.21\.128\.1: receiver reports loss N\.N %$"
check_not "groups: no line per finding" "udp-too-large.*udp-too-large|^warning +1 +1  udp-too-large"
keys Enter
check "groups: Enter shows the calls of the group" "217 calls, 51 shown"
check "groups: the cause under the list" "^Cause: warning udp-too-large from 10\.21\.128\.1 "
check "groups: its calls have the finding" "^ *35 [0-9:]+ .* 1W$"
keys f Down Enter
check "groups: another group, another set of calls" "217 calls, 1 shown"
keys Escape
check "groups: Esc shows every call again" "217 calls, 217 shown"
keys q
check_exit "groups: q quits"

# ---- w saves the call (its SIP and RTP) as a capture file ----
mkdir -p "$tmp/save"
start -C "$tmp/save" TERM=tmux-256color -- "$PWD/$rtp"
check "save: list" "1 call, 1 shown"
keys w
check "save: w on the list names the file" "saved sipaudit-1-.*\.pcap: [0-9]+ packets"
saved=$(ls "$tmp/save"/sipaudit-1-*.pcap 2>/dev/null | head -1)
if [ -n "$saved" ] && [ "$("$bin" -q --no-table "$saved" | grep -c 'RTP')" -ge 1 ] &&
	"$bin" -q -f json "$saved" | python3 -c 'import json,sys; d=json.load(sys.stdin); c=d["calls"]; sys.exit(not (len(c)==1 and len(c[0]["media"])==2))'; then
	ok "save: the file holds the call and its two RTP streams"
else
	notok "save: the file holds the call and its two RTP streams ($saved)"
fi
rm -f "$tmp/save"/*
keys Enter
check "save: ladder" "Call #1"
keys w
check "save: w on the ladder saves too" "saved sipaudit-1-.*\.pcap"
keys q q
check_exit "save: q quits"

# ---- no calls ----
start TERM=tmux-256color -- "$none"
check "empty: says there are no calls" "no calls"
keys Enter
check "empty: Enter does nothing" "no calls"
keys q
check_exit "empty: q quits"

# ---- not a terminal ----
err=$("$bin" view "$one" </dev/null 2>&1 >/dev/null)
st=$?
if [ $st -eq 3 ] && [ "$err" = "sipaudit: error: view needs a terminal" ]; then
	ok "not a terminal: exit 3 with one error line"
else
	notok "not a terminal: exit 3 with one error line (status $st: $err)"
fi
exit 0
