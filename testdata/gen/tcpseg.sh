#!/bin/bash
# SIP over TCP with controlled segmentation: sipclient.py (UAC) against a
# SIPp UAS (-t t1), captured on the UAC's veth.
#   tcpseg.sh split     -> tcp-split.pcap     INVITE in 10-byte segments
#   tcpseg.sh multi     -> tcp-multi.pcap     ACK+BYE in one segment
#   tcpseg.sh straddle  -> tcp-straddle.pcap  ACK + start of BYE | rest of BYE
#   tcpseg.sh sippmany  -> tcp-sipp-3calls.pcap  SIPp UAC, 3 calls at 50 cps over
#                          one TCP connection (whatever coalescing Nagle gives)
#   tcpseg.sh all
source "$(dirname "$0")/lib.sh"
A=192.0.2.10 B=192.0.2.20

setup() {
  mk_pair 4
  nsx "$NS_A" ip addr add $A/24 dev vA
  nsx "$NS_B" ip addr add $B/24 dev vB
}

run_py() {
  local mode=$1 out=$2
  setup
  start_cap "$NS_A" vA "$out"
  sipp_uas "$NS_B" $B -t t1 -m 1
  nsx "$NS_A" timeout 30 "$PY" "$GEN_DIR/sipclient.py" "$mode" $A $B 5060
  wait_uas
  stop_cap
  report "$out"
}

run_sipp_many() {
  local out=$1
  setup
  start_cap "$NS_A" vA "$out"
  sipp_uas "$NS_B" $B -t t1 -m 3
  sipp_uac "$NS_A" $A $B:5060 -t t1 -m 3 -r 50 -d 0
  wait_uas
  stop_cap
  report "$out"
}

start_common
case "${1:-all}" in
  split|multi|straddle) run_py "$1" "$OUT_DIR/tcp-$1.pcap" ;;
  sippmany) run_sipp_many "$OUT_DIR/tcp-sipp-3calls.pcap" ;;
  all) for m in split multi straddle sippmany; do "$0" $m; done ;;
  *) echo "usage: $0 split|multi|straddle|sippmany|all" >&2; exit 2 ;;
esac
