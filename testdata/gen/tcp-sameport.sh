#!/bin/bash
# SIP over TCP with port 5060 at both ends of the connection, as between an
# SBC and a trunk, with calls in both directions on the one connection.
#
#   trunk namespace (A, 192.0.2.10 / 2001:db8::10): SIPp bound to port 5060
#     (-p 5060 -t t1) calls in (sameport/trunk.uac.xml) and answers the SBC's
#     call with its out-of-call scenario (-oocsf sameport/trunk-in.uas.xml)
#   SBC namespace (B, 192.0.2.20 / 2001:db8::20): Kamailio 5.6
#     (sameport/sbc.cfg, stateful, record-routing) on TCP port 5060 and UDP
#     127.0.0.1:5060; behind it on loopback, not on the captured link, a SIPp
#     phone (sameport/phone.uas.xml, 127.0.0.1:5080) that answers the trunk's
#     call and hangs up, and a SIPp caller (sameport/local.uac.xml,
#     127.0.0.1:5090) that calls the trunk and hangs up.
# Captured on the trunk's veth: one TCP connection trunk:5060 <-> SBC:5060
# carrying the trunk's INVITE and INFO, the phone's BYE coming back, and the
# SBC side's INVITE and BYE going the other way, with their responses.
#
# The SBC sends TCP keep-alive probes while the connection is idle (Linux:
# sequence number one below the next byte, no data).
#
# Files in captures/tcp-sameport/:
#   tcp-sameport.sh 4    -> sameport.pcap
#   tcp-sameport.sh 6    -> sameport-ipv6.pcap
#   tcp-sameport.sh mid  -> sameport-midstream.pcap: IPv4, the capture starts
#                           during the first call: the trunk's INFO is the
#                           first data seen, the SBC's keep-alive probes
#                           (sequence number one below the next byte) come
#                           before its 200 and BYE
#                        and sameport-keepalive.pcap: the same with the SBC's
#                           segments before its first keep-alive probe
#                           removed (a capture that lost them), so the SBC's
#                           direction is first seen through a keep-alive probe
#   tcp-sameport.sh reopen -> sameport-reopen.pcap: two IPv4 runs joined by
#                           sameport/reopen.py: the first connection ends with
#                           the trunk's INFO cut in half (the trunk died while
#                           sending it: no FIN, no RST), the second follows 2 s
#                           later on the same addresses and ports, new ISNs
#   tcp-sameport.sh lo   -> loopback.pcap: the same address at both ends, ports
#                           5070 -> 5060 on one namespace's loopback: a SIPp
#                           call with a callee re-INVITE (rules/dialog/two-dir-call)
#                           over TCP and UDP on 127.0.0.1, and over TCP on ::1
#   tcp-sameport.sh oracle  INDEX.tsv and tshark's messages (expected/*.tsv)
#                           for tests/parity.py, by testdata/public/gen-expected.sh
#   tcp-sameport.sh all
# Needs root, iproute2, tcpdump, tshark, sip-tester, kamailio.
source "$(dirname "$0")/lib.sh"
SF="$GEN_DIR/sameport"
DIR="$OUT_DIR/tcp-sameport"

run() {
  local fam=$1 mid=${2:-} out A B
  mkdir -p "$DIR"
  if [ "$fam" = 6 ]; then
    A=2001:db8::10 B=2001:db8::20 out="$DIR/sameport-ipv6.pcap"
  else
    A=192.0.2.10 B=192.0.2.20 out="$DIR/sameport${mid:+-midstream}.pcap"
  fi
  rm -f "$out"
  mk_pair 6
  nsx "$NS_A" ip addr add 192.0.2.10/24 dev vA
  nsx "$NS_B" ip addr add 192.0.2.20/24 dev vB
  nsx "$NS_A" ip addr add 2001:db8::10/64 dev vA nodad
  nsx "$NS_B" ip addr add 2001:db8::20/64 dev vB nodad
  sleep 1
  need kamailio
  mkdir -p "$WORK/kam"
  ip netns exec "$NS_B" kamailio -f "$SF/sbc.cfg" -DD -E -m 32 -M 8 -Y "$WORK/kam" -w "$WORK/kam" \
    >"$WORK/kamailio.log" 2>&1 &
  KAM_PID=$!; PIDS+=("$KAM_PID")
  local i
  for i in $(seq 50); do nsx "$NS_B" ss -ltn 2>/dev/null | grep -q ":5060" && break; sleep 0.1; done
  sleep 0.5
  [ -n "$mid" ] || start_cap "$NS_A" vA "$out" tcp port 5060
  # the phone behind the SBC
  (cd "$WORK" && exec ip netns exec "$NS_B" timeout 60 sipp -sf "$SF/phone.uas.xml" -i 127.0.0.1 -p 5080 \
     -nd -nostdin -m 1 >"$WORK/phone.log" 2>&1) &
  local PHONE=$!; PIDS+=("$PHONE")
  sleep 0.5
  # the trunk: calls in, then answers the SBC side's call on the same connection
  local tgt=$B:5060; [ "$fam" = 6 ] && tgt="[$B]:5060"
  (cd "$WORK" && exec ip netns exec "$NS_A" timeout 60 sipp -sf "$SF/trunk.uac.xml" -oocsf "$SF/trunk-in.uas.xml" \
     -i $A -p 5060 -t t1 -nd -nostdin -m 1 "$tgt" >"$WORK/trunk.log" 2>&1) &
  local TRUNK=$!; PIDS+=("$TRUNK")
  if [ -n "$mid" ]; then
    sleep 1.2   # the first call is up; the INFO comes 2 s after its ACK
    start_cap "$NS_A" vA "$out" tcp port 5060
    sleep 5.3
  else
    sleep 6.5
  fi
  # the SBC side calls the trunk
  (cd "$WORK" && ip netns exec "$NS_B" timeout 30 sipp -sf "$SF/local.uac.xml" -key trunk "$( [ "$fam" = 6 ] && echo "[$A]" || echo $A)" \
     -i 127.0.0.1 -p 5090 -nd -nostdin -m 1 127.0.0.1:5060 >"$WORK/local.log" 2>&1) \
    || { echo "local caller failed:" >&2; tail -20 "$WORK/local.log" >&2; }
  local rc=0
  wait "$TRUNK" || rc=$?
  [ $rc = 0 ] || { echo "trunk SIPp exited $rc:" >&2; tail -20 "$WORK/trunk.log" >&2; }
  wait "$PHONE" || { echo "phone SIPp failed:" >&2; tail -20 "$WORK/phone.log" >&2; }
  stop_cap
  kill "$KAM_PID" 2>/dev/null || true; wait "$KAM_PID" 2>/dev/null || true
  ip netns del "$NS_A"; ip netns del "$NS_B"
  report "$out"
  # the shape we wanted: one connection, both ends on 5060, requests both ways
  local conns
  conns=$(tshark -r "$out" -Y "tcp.flags.syn==1 && tcp.flags.ack==0" 2>/dev/null | wc -l)
  [ "$conns" = "$([ -n "$mid" ] && echo 0 || echo 1)" ] || { echo "expected one TCP connection, saw $conns SYNs" >&2; exit 1; }
  [ "$(tshark -r "$out" -Y tcp.analysis.keep_alive 2>/dev/null | wc -l)" -gt 0 ] || { echo "no keep-alive probe" >&2; exit 1; }
  [ "$(tshark -r "$out" -Y "sip && tcp.srcport != 5060 || tcp.dstport != 5060" 2>/dev/null | wc -l)" = 0 ] ||
    { echo "a segment not 5060 <-> 5060" >&2; exit 1; }
  tshark -r "$out" -Y sip -T fields -e frame.number -e ip.src -e ipv6.src -e sip.Method -e sip.Status-Code -e sip.Call-ID 2>/dev/null
  if [ -n "$mid" ]; then
    local ka drop
    ka=$(tshark -r "$out" -Y tcp.analysis.keep_alive -T fields -e frame.number 2>/dev/null | head -1)
    drop=$(tshark -r "$out" -Y "ip.src == $B && frame.number < $ka" -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
    [ -n "$drop" ] || { echo "nothing from the SBC before its keep-alive" >&2; exit 1; }
    # shellcheck disable=SC2086
    editcap "$out" "$DIR/sameport-keepalive.pcap" $drop
    echo "sameport-keepalive.pcap: frames $drop removed"
  fi
}

# two_dir NS LOCAL REMOTE TRANSPORT LPORT: SIPp callee on REMOTE:5060 and
# caller on LOCAL:LPORT, one call with the callee's re-INVITE
two_dir() {
  local ns=$1 l=$2 r=$3 t=$4 lp=$5 rt=$3:5060
  case "$r" in *:*) rt="[$r]:5060" ;; esac
  (cd "$WORK" && exec ip netns exec "$ns" timeout 30 sipp -sf "$GEN_DIR/rules/dialog/two-dir-call.uas.xml" \
     -i "$r" -p 5060 -t "$t" -nd -nostdin -m 1 >"$WORK/uas.log" 2>&1) &
  UAS_PID=$!; PIDS+=("$UAS_PID")
  sleep 0.5
  (cd "$WORK" && ip netns exec "$ns" timeout 30 sipp -sf "$GEN_DIR/rules/dialog/two-dir-call.uac.xml" \
     -i "$l" -p "$lp" -t "$t" -nd -nostdin -m 1 "$rt" >"$WORK/uac.log" 2>&1) \
    || { echo "sipp caller failed:" >&2; tail -20 "$WORK/uac.log" >&2; exit 1; }
  wait "$UAS_PID" || { echo "sipp callee failed:" >&2; tail -20 "$WORK/uas.log" >&2; exit 1; }
}

run_reopen() {
  local out="$DIR/sameport-reopen.pcap" keep="$DIR/sameport.pcap"
  [ -f "$keep" ] && mv "$keep" "$WORK/keep.pcap"
  run 4; mv "$DIR/sameport.pcap" "$WORK/first.pcap"
  run 4; mv "$DIR/sameport.pcap" "$WORK/second.pcap"
  [ -f "$WORK/keep.pcap" ] && mv "$WORK/keep.pcap" "$keep"
  $PY "$SF/reopen.py" "$WORK/first.pcap" "$WORK/second.pcap" "$out"
  report "$out"
}

run_lo() {
  local out="$DIR/loopback.pcap"
  mkdir -p "$DIR"; rm -f "$out"
  mk_pair 6
  start_cap "$NS_A" lo "$out" port 5060
  two_dir "$NS_A" 127.0.0.1 127.0.0.1 t1 5070
  two_dir "$NS_A" 127.0.0.1 127.0.0.1 u1 5070
  two_dir "$NS_A" ::1 ::1 t1 5070
  stop_cap
  report "$out"
}

oracle() {
  local f
  { printf 'file\tsip_messages\tsource\n'
    for f in "$DIR"/*.pcap; do
      printf '%s\t%s\t%s\n' "$(basename "$f")" "$(sip_count "$f")" "testdata/gen/tcp-sameport.sh (SIPp + Kamailio, TCP 5060 <-> 5060)"
    done; } > "$DIR/INDEX.tsv"
  bash "$GEN_DIR/../public/gen-expected.sh" "$DIR" "$DIR"
}

case "${1:-all}" in
  4|6) start_common; run "$1" ;;
  mid) start_common; run 4 mid ;;
  lo) start_common; run_lo ;;
  reopen) start_common; run_reopen ;;
  oracle) oracle ;;
  all) "$0" 4; "$0" 6; "$0" mid; "$0" lo; "$0" reopen; "$0" oracle ;;
  *) echo "usage: $0 4|6|mid|reopen|lo|oracle|all" >&2; exit 2 ;;
esac
