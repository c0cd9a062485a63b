#!/bin/bash
# Check (not a timed test) that B2BUA-leg correlation costs nothing and links
# nothing on traffic where many unrelated calls carry the same SDP: SIPp's
# stock scenarios send one SDP body on every call. Three captures of N calls
# (default 20000) at R calls/s (default 500), SIPp UAC 192.0.2.10 -> UAS
# 192.0.2.20 in two network namespaces, each call up 1 s:
#   same     stock uac/uas: every offer and every answer identical
#   distinct the same with [auto_media_port]: every call its own SDP
#   ringing  stock SDP, the UAS rings 1 s before answering: about R calls are
#            being set up at any moment, all with the same offer
# For each: calls linked (from the JSON), messages, best of 3 runs of
# sipaudit --format json, and the time per SIP message.
# usage: bench/links.sh [SIPAUDIT] (as root); captures cached in bench/out/links-*.pcap
set -euo pipefail
cd "$(dirname "$0")/.."
SA=${1:-build/sipaudit}
N=${BENCH_LINK_CALLS:-20000}
R=${BENCH_LINK_RATE:-500}
OUT=bench/out
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/sipaudit-links.XXXXXX)
NSA="sl$$a" NSB="sl$$b"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  ip netns del "$NSA" 2>/dev/null || true
  ip netns del "$NSB" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

sipp -sd uac >"$WORK/uac.xml" 2>/dev/null || true
sipp -sd uas >"$WORK/uas.xml" 2>/dev/null || true
sed 's/\[media_port\]/[auto_media_port]/' "$WORK/uac.xml" >"$WORK/uac-distinct.xml"
sed 's/\[media_port\]/[auto_media_port]/' "$WORK/uas.xml" >"$WORK/uas-distinct.xml"
# ring 1 s: a pause between the 180 and the 200
awk '/<send retrans="500">/ && !done { print "  <pause milliseconds=\"1000\"/>"; done=1 } { print }' \
  "$WORK/uas.xml" >"$WORK/uas-ringing.xml"

capture() {  # capture NAME UAC.xml UAS.xml
  local name=$1 uac=$2 uas=$3 out="$OUT/links-$1.pcap"
  [ -s "$out" ] && return 0
  ip netns add "$NSA"; ip netns add "$NSB"
  ip link add vA netns "$NSA" type veth peer name vB netns "$NSB"
  ip netns exec "$NSA" ip addr add 192.0.2.10/24 dev vA
  ip netns exec "$NSB" ip addr add 192.0.2.20/24 dev vB
  for ns in "$NSA" "$NSB"; do ip netns exec "$ns" ip link set lo up; done
  ip netns exec "$NSA" ip link set vA up; ip netns exec "$NSB" ip link set vB up
  ip netns exec "$NSA" tcpdump -i vA -s0 -B 131072 -U -w "$out.tmp" udp port 5060 >"$WORK/tcpdump.log" 2>&1 &
  local cap=$!; PIDS+=("$cap"); sleep 1
  (cd "$WORK" && exec ip netns exec "$NSB" timeout 600 sipp -sf "$uas" -i 192.0.2.20 -p 5060 -nostdin \
     -m "$N" >/dev/null 2>&1) &
  local upid=$!; PIDS+=("$upid"); sleep 0.5
  (cd "$WORK" && ip netns exec "$NSA" sipp -sf "$uac" -i 192.0.2.10 -p 5061 -nostdin -m "$N" -r "$R" -d 1000 \
     -l $((R * 4)) 192.0.2.20:5060 >"$WORK/uac-$name.log" 2>&1) || echo "uac $name: some calls failed" >&2
  sleep 6
  kill "$cap"; wait "$cap" 2>/dev/null || true
  grep -E "captured|dropped" "$WORK/tcpdump.log" >&2 || true
  kill "$upid" 2>/dev/null || true; wait "$upid" 2>/dev/null || true
  ip netns del "$NSA"; ip netns del "$NSB"
  mv "$out.tmp" "$out"
}

capture same "$WORK/uac.xml" "$WORK/uas.xml"
capture distinct "$WORK/uac-distinct.xml" "$WORK/uas-distinct.xml"
capture ringing "$WORK/uac.xml" "$WORK/uas-ringing.xml"

# CPU time (user + system), best of 3: the machine may be shared, and wall
# time then measures the neighbours.
cpu() {  # cpu BINARY FILE -> seconds
  local best= s i
  for i in 1 2 3; do
    s=$( { /usr/bin/time -f '%U %S' "$1" -q --format json "$2" >/dev/null; } 2>&1 | tail -1 | awk '{print $1 + $2}') || true
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
  done
  echo "$best"
}
linked() {  # linked BINARY FILE -> "calls messages linked"
  "$1" -q --format json "$2" >"$WORK/r.json" || true
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d["calls"]), sum(i["sip_messages"] for i in d["inputs"]), sum(1 for c in d["calls"] if c["linked_calls"]))' "$WORK/r.json"
}

# OLD=path/to/older/sipaudit adds its figures for comparison
printf '%-9s %-5s %7s %8s %7s %8s %9s\n' capture build calls messages linked "cpu s" "us/msg"
for name in same distinct ringing; do
  f="$OUT/links-$name.pcap"
  for which in new ${OLD:+old}; do
    bin=$SA; [ "$which" = old ] && bin=$OLD
    read -r calls msgs nlinked < <(linked "$bin" "$f")
    t=$(cpu "$bin" "$f")
    printf '%-9s %-5s %7s %8s %7s %8s %9.2f\n' "$name" "$which" "$calls" "$msgs" "$nlinked" "$t" \
      "$(awk "BEGIN{print $t * 1e6 / $msgs}")"
  done
done
