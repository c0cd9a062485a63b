#!/bin/bash
# Plain SIPp calls between two network namespaces joined by a veth pair.
#   basic.sh udp   -> udp-call.pcap   (Ethernet, IPv4, UDP, 1 call)
#   basic.sh tcp   -> tcp-call.pcap   (Ethernet, IPv4, TCP -t t1, 1 call)
#   basic.sh ipv6  -> ipv6-call.pcap  (Ethernet, IPv6, UDP, 1 call)
#   basic.sh sll   -> sll.pcap        (tcpdump -i any -y LINUX_SLL)
#   basic.sh sll2  -> sll2.pcap       (tcpdump -i any -y LINUX_SLL2)
#   basic.sh ns    -> pcap-ns.pcap    (tcpdump --time-stamp-precision=nano)
#   basic.sh all
source "$(dirname "$0")/lib.sh"

IP_A=192.0.2.10 IP_B=192.0.2.20
IP6_A=2001:db8::a IP6_B=2001:db8::b

run_v4() {  # $1 out  $2 transport  $3.. tcpdump iface + extra args
  local out=$1 tr=$2 ifc=$3; shift 3
  mk_pair 4
  nsx "$NS_A" ip addr add $IP_A/24 dev vA
  nsx "$NS_B" ip addr add $IP_B/24 dev vB
  start_cap "$NS_A" "$ifc" "$out" "$@"
  sipp_uas "$NS_B" $IP_B -t "$tr" -m 1
  sipp_uac "$NS_A" $IP_A $IP_B:5060 -t "$tr" -m 1
  wait_uas
  stop_cap
  report "$out"
}

run_v6() {
  local out=$1
  mk_pair 6
  nsx "$NS_A" ip addr add $IP6_A/64 dev vA nodad
  nsx "$NS_B" ip addr add $IP6_B/64 dev vB nodad
  sleep 0.5
  start_cap "$NS_A" vA "$out"
  sipp_uas "$NS_B" $IP6_B -t u1 -m 1
  sipp_uac "$NS_A" $IP6_A "[$IP6_B]:5060" -t u1 -m 1
  wait_uas
  stop_cap
  report "$out"
}

start_common
case "${1:-all}" in
  udp)  run_v4 "$OUT_DIR/udp-call.pcap" u1 vA ;;
  tcp)  run_v4 "$OUT_DIR/tcp-call.pcap" t1 vA ;;
  ipv6) run_v6 "$OUT_DIR/ipv6-call.pcap" ;;
  sll)  run_v4 "$OUT_DIR/sll.pcap"  u1 any -y LINUX_SLL ;;
  sll2) run_v4 "$OUT_DIR/sll2.pcap" u1 any -y LINUX_SLL2 ;;
  ns)   run_v4 "$OUT_DIR/pcap-ns.pcap" u1 vA --time-stamp-precision=nano ;;
  all)  for c in udp tcp ipv6 sll sll2 ns; do "$0" "$c"; done ;;
  *) echo "usage: $0 udp|tcp|ipv6|sll|sll2|ns|all" >&2; exit 2 ;;
esac
