#!/usr/bin/env bash
# bench/tls.sh - the cost of TLS decryption (issue 13): the same SIPp calls
# over TLS (through testdata/gen/tls/tlsrelay.py, which writes the key log)
# and in clear over TCP, captured on the same veth; then a bare libpcap loop
# and sipaudit on both, best of N runs each.
#   bench/tls.sh [--calls N] [--repeat N] [--regen] [--sipaudit PATH]
# Captures are kept in bench/out/ (tls-N.pcap + tls-N.keys, tcp-N.pcap).
# Target: sipaudit on the TLS capture within 2x its time on the clear one.
# Needs root (network namespaces), sip-tester, tcpdump, python3; stop the
# fuzzers first (the figures are wall-clock times).
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
CALLS=1000 REPEAT=5 REGEN=0 SA=$REPO/build/sipaudit
while [ $# -gt 0 ]; do
	case $1 in
	--calls) CALLS=$2; shift ;;
	--repeat) REPEAT=$2; shift ;;
	--regen) REGEN=1 ;;
	--sipaudit) SA=$2; shift ;;
	*) echo "usage: bench/tls.sh [--calls N] [--repeat N] [--regen] [--sipaudit PATH]" >&2; exit 2 ;;
	esac
	shift
done
OUT=$BENCH_DIR/out
mkdir -p "$OUT"
TLSCAP=$OUT/tls-$CALLS.pcap KEYS=$OUT/tls-$CALLS.keys TCPCAP=$OUT/tcp-$CALLS.pcap

gen() {
	# shellcheck source=../testdata/gen/lib.sh
	source "$REPO/testdata/gen/lib.sh"
	start_common
	local A=192.0.2.10 B=192.0.2.20 TLS_DIR=$REPO/testdata/gen/tls rate=100
	# sipp_run MODE: "tls" through the relays, "tcp" straight
	sipp_run() {
		local mode=$1 cap=$2
		mk_pair 4
		nsx "$NS_A" ip addr add $A/24 dev vA
		nsx "$NS_B" ip addr add $B/24 dev vB
		nsx "$NS_A" ip link set vA gso_max_segs 1 gso_max_size 1500
		nsx "$NS_B" ip link set vB gso_max_segs 1 gso_max_size 1500
		start_cap "$NS_A" vA "$cap" tcp
		(cd "$WORK" && exec ip netns exec "$NS_B" timeout 300 sipp -sn uas -t t1 -i $B -p 5060 -m "$CALLS" -nostdin >"$WORK/uas.log" 2>&1) &
		local uas=$!; PIDS+=("$uas")
		local dst=$B:5060
		if [ "$mode" = tls ]; then
			rm -f "$KEYS"
			ip netns exec "$NS_B" "$PY" "$TLS_DIR/tlsrelay.py" server $B 5061 $B 5060 --ver 1.3 >"$WORK/rs.log" 2>&1 &
			PIDS+=($!)
			ip netns exec "$NS_A" "$PY" "$TLS_DIR/tlsrelay.py" client $A 5062 $B 5061 --ver 1.3 --keylog "$KEYS" >"$WORK/rc.log" 2>&1 &
			PIDS+=($!)
			for _ in $(seq 50); do grep -qs ready "$WORK/rc.log" && grep -qs ready "$WORK/rs.log" && break; sleep 0.1; done
			dst=$A:5062
		fi
		sleep 0.5
		(cd "$WORK" && ip netns exec "$NS_A" timeout 300 sipp -sn uac -t t1 -i $A -p 5070 -r $rate -m "$CALLS" -nostdin "$dst" >"$WORK/uac.log" 2>&1) \
			|| { echo "sipp uac failed:" >&2; tail -20 "$WORK/uac.log" >&2; exit 1; }
		wait "$uas" || true
		sleep 0.5
		stop_cap
		ip netns del "$NS_A"; ip netns del "$NS_B"
	}
	echo "bench/tls.sh: making $TLSCAP and $TCPCAP ($CALLS SIPp calls each)" >&2
	sipp_run tls "$TLSCAP"
	sipp_run tcp "$TCPCAP"
}

if [ "$REGEN" = 1 ] || [ ! -s "$TLSCAP" ] || [ ! -s "$KEYS" ] || [ ! -s "$TCPCAP" ]; then
	(gen)
fi
[ -x "$BENCH_DIR/pcaploop" ] || cc -O2 -o "$BENCH_DIR/pcaploop" "$BENCH_DIR/pcaploop.c" -lpcap

best() { # best wall time of REPEAT runs of "$@", in seconds
	local b="" t0 t1 d
	for _ in $(seq "$REPEAT"); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null 2>&1 || [ $? -eq 1 ]
		t1=$EPOCHREALTIME
		d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
		if [ -z "$b" ] || awk -v d="$d" -v b="$b" 'BEGIN { exit !(d < b) }'; then b=$d; fi
	done
	echo "$b"
}
msgs() { "$SA" -q --format json "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["inputs"][0]["sip_messages"])'; }

n_tls=$(msgs --keylog "$KEYS" "$TLSCAP"); n_tcp=$(msgs "$TCPCAP")
loop_tls=$(best "$BENCH_DIR/pcaploop" "$TLSCAP"); loop_tcp=$(best "$BENCH_DIR/pcaploop" "$TCPCAP")
sa_tls=$(best "$SA" -q --no-table --keylog "$KEYS" "$TLSCAP"); sa_tcp=$(best "$SA" -q --no-table "$TCPCAP")
jl_tls=$(best "$SA" -q --format jsonl --keylog "$KEYS" "$TLSCAP"); jl_tcp=$(best "$SA" -q --format jsonl "$TCPCAP")
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
printf '%-22s %10s %10s %12s %12s %10s\n' capture "SIP msgs" "loop s" "sipaudit s" "jsonl s" "RSS KB"
printf '%-22s %10s %10s %12s %12s %10s\n' "$(basename "$TCPCAP")" "$n_tcp" "$loop_tcp" "$sa_tcp" "$jl_tcp" "$(rss "$SA" -q --no-table "$TCPCAP")"
printf '%-22s %10s %10s %12s %12s %10s\n' "$(basename "$TLSCAP")" "$n_tls" "$loop_tls" "$sa_tls" "$jl_tls" "$(rss "$SA" -q --no-table --keylog "$KEYS" "$TLSCAP")"
awk -v a="$sa_tls" -v b="$sa_tcp" -v c="$jl_tls" -v d="$jl_tcp" 'BEGIN { printf "TLS / clear: text %.2fx, jsonl %.2fx (target: 2x)\n", a / b, c / d }'
