#!/bin/bash
# SIP over WebSocket (RFC 7118): wssip.py client in namespace A, wssip.py
# server in namespace B, TCP port 8088 (Asterisk's default WS port, which
# Wireshark's HTTP dissector also knows), captured on A's veth.
#   websocket.sh -> websocket.pcap
source "$(dirname "$0")/lib.sh"
A=192.0.2.10 B=192.0.2.20 PORT=8088
start_common
mk_pair 4
nsx "$NS_A" ip addr add $A/24 dev vA
nsx "$NS_B" ip addr add $B/24 dev vB
out="$OUT_DIR/websocket.pcap"
start_cap "$NS_A" vA "$out"
ip netns exec "$NS_B" "$PY" "$GEN_DIR/wssip.py" server $B $PORT >"$WORK/wsserver.log" 2>&1 &
SRV=$!; PIDS+=("$SRV")
for i in $(seq 50); do grep -qs ready "$WORK/wsserver.log" && break; sleep 0.1; done
nsx "$NS_A" timeout 30 "$PY" "$GEN_DIR/wssip.py" client $A $B $PORT
wait "$SRV" || { cat "$WORK/wsserver.log" >&2; exit 1; }
stop_cap
report "$out"
