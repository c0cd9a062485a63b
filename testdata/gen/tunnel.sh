#!/bin/bash
# One SIPp UDP call carried over a tunnel / tagged link, captured on the
# underlay veth so the outer headers are in the file.
#
#   tunnel.sh vxlan    -> vxlan.pcap      kernel VXLAN (UDP 4789, VNI 42)
#   tunnel.sh vlan     -> vlan.pcap       802.1Q (0x8100) VID 100      [utun.py]
#   tunnel.sh qinq     -> qinq.pcap       802.1ad 0x88a8 VID 100 + 0x8100 VID 200 [utun.py]
#   tunnel.sh ipip     -> ipip.pcap       IPv4-in-IPv4 (proto 4)      [utun.py]
#   tunnel.sh rawip    -> rawip.pcap      same ipip setup, captured on the L3 tun device (LINKTYPE_RAW)
#   tunnel.sh gre      -> gre.pcap        IPv4 in GRE (0x0800)        [utun.py]
#   tunnel.sh gretap   -> gretap.pcap     Ethernet in GRE (0x6558)    [utun.py]
#   tunnel.sh erspan1  -> erspan-v1.pcap  ERSPAN type II (GRE 0x88be, seq)   [utun.py]
#   tunnel.sh erspan2  -> erspan-v2.pcap  ERSPAN type III (GRE 0x22eb, seq)  [utun.py]
#   tunnel.sh ip6gre   -> ip6gre.pcap     IPv4 in GRE over IPv6       [utun.py]
#   tunnel.sh ip6ip6   -> ip6ip6.pcap     IPv6 in IPv6 (next header 41)       [utun.py]
#   tunnel.sh all
#
# [utun.py]: the kernel these were generated on lacks 8021q / ip_gre / ipip /
# ip6_tunnel / erspan, so the encapsulation is done by testdata/gen/utun.py,
# a userspace TUN/TAP tunnel endpoint (outer IP header still built by the
# kernel through raw sockets).  VXLAN uses the kernel's own vxlan device.
source "$(dirname "$0")/lib.sh"

U4_A=192.0.2.10 U4_B=192.0.2.20          # underlay IPv4
U6_A=2001:db8::a U6_B=2001:db8::b        # underlay IPv6
O4_A=198.51.100.1 O4_B=198.51.100.2      # overlay IPv4
O6_A=2001:db8:1::1 O6_B=2001:db8:1::2    # overlay IPv6

start_utun() {  # ns mode local peer
  local ns=$1 mode=$2 local=$3 peer=$4 ifc
  [ "$ns" = "$NS_A" ] && ifc=vA || ifc=vB
  ip netns exec "$ns" "$PY" "$GEN_DIR/utun.py" "$mode" "$ifc" "$local" "$peer" >"$WORK/utun-$ns.log" 2>&1 &
  PIDS+=("$!")
  local i
  for i in $(seq 50); do grep -qs ready "$WORK/utun-$ns.log" && return 0; sleep 0.1; done
  cat "$WORK/utun-$ns.log" >&2; return 1
}

# overlay_cfg ns addr mac  (mac empty for L3 tun)
overlay_cfg() {
  local ns=$1 addr=$2 mac=${3:-} plen=24
  case $addr in *:*) plen=64 ;; esac
  [ -n "$mac" ] && nsx "$ns" ip link set ov0 address "$mac"
  nsx "$ns" ip link set ov0 mtu 1400 up
  if [ $plen = 64 ]; then nsx "$ns" ip addr add "$addr/$plen" dev ov0 nodad; else nsx "$ns" ip addr add "$addr/$plen" dev ov0; fi
}

run() {
  local mode=$1 out=$2 capif=vA fam=4 o_a=$O4_A o_b=$O4_B
  case $mode in ip6gre|ip6ip6) fam=6 ;; esac
  [ "$mode" = ip6ip6 ] && { o_a=$O6_A; o_b=$O6_B; }
  mk_pair "$fam"
  case $mode in
    vlan|qinq) ;;   # underlay carries only tagged frames, no address needed
    ip6gre|ip6ip6)
      nsx "$NS_A" ip addr add $U6_A/64 dev vA nodad
      nsx "$NS_B" ip addr add $U6_B/64 dev vB nodad ;;
    *)
      nsx "$NS_A" ip addr add $U4_A/24 dev vA
      nsx "$NS_B" ip addr add $U4_B/24 dev vB ;;
  esac
  case $mode in
    vxlan)
      nsx "$NS_A" ip link add ov0 address 02:00:00:00:01:0a type vxlan id 42 dstport 4789 local $U4_A remote $U4_B dev vA
      nsx "$NS_B" ip link add ov0 address 02:00:00:00:01:0b type vxlan id 42 dstport 4789 local $U4_B remote $U4_A dev vB
      overlay_cfg "$NS_A" $o_a; overlay_cfg "$NS_B" $o_b ;;
    ip6gre|ip6ip6)
      start_utun "$NS_A" $mode $U6_A $U6_B; start_utun "$NS_B" $mode $U6_B $U6_A
      overlay_cfg "$NS_A" $o_a; overlay_cfg "$NS_B" $o_b ;;
    ipip|gre|rawip)
      local m=$mode; [ $mode = rawip ] && { m=ipip; capif=ov0; }
      start_utun "$NS_A" $m $U4_A $U4_B; start_utun "$NS_B" $m $U4_B $U4_A
      overlay_cfg "$NS_A" $o_a; overlay_cfg "$NS_B" $o_b ;;
    gretap|erspan1|erspan2|vlan|qinq)
      start_utun "$NS_A" $mode $U4_A $U4_B; start_utun "$NS_B" $mode $U4_B $U4_A
      overlay_cfg "$NS_A" $o_a 02:00:00:00:01:0a; overlay_cfg "$NS_B" $o_b 02:00:00:00:01:0b ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  sleep 1      # let link-up chatter (MLD etc.) pass before capturing
  start_cap "$NS_A" $capif "$out"
  local rb=$o_b; case $o_b in *:*) rb="[$o_b]" ;; esac
  sipp_uas "$NS_B" $o_b -t u1 -m 1
  sipp_uac "$NS_A" $o_a $rb:5060 -t u1 -m 1
  wait_uas
  stop_cap
  report "$out"
}

start_common
case "${1:-all}" in
  vxlan|vlan|qinq|ipip|rawip|gre|gretap|ip6gre|ip6ip6) run "$1" "$OUT_DIR/$1.pcap" ;;
  erspan1) run erspan1 "$OUT_DIR/erspan-v1.pcap" ;;
  erspan2) run erspan2 "$OUT_DIR/erspan-v2.pcap" ;;
  all) for m in vxlan vlan qinq ipip rawip gre gretap erspan1 erspan2 ip6gre ip6ip6; do "$0" $m; done ;;
  *) echo "usage: $0 MODE|all" >&2; exit 2 ;;
esac
