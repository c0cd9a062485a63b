#!/bin/bash
# SIPp UDP call whose INVITE (~3 KB, see bigsdp.py) is larger than the link
# MTU, so the sending kernel fragments it.
#   frag.sh v4 -> ipfrag4.pcap  (veth MTU 576, IPv4 fragments)
#   frag.sh v6 -> ipfrag6.pcap  (veth MTU 1280, IPv6 Fragment extension headers)
#   frag.sh all
# Derived variants (reordered / duplicated / missing fragment) are made from
# these by pcaptool.py, see mkderived.sh.
source "$(dirname "$0")/lib.sh"

run() {
  local fam=$1 out=$2 mtu a b rb
  if [ "$fam" = 4 ]; then mtu=576 a=192.0.2.10 b=192.0.2.20 rb=$b
  else mtu=1280 a=2001:db8::a b=2001:db8::b rb="[$b]"; fi
  mk_pair "$fam"
  nsx "$NS_A" ip link set vA mtu $mtu
  nsx "$NS_B" ip link set vB mtu $mtu
  if [ "$fam" = 4 ]; then
    nsx "$NS_A" ip addr add $a/24 dev vA; nsx "$NS_B" ip addr add $b/24 dev vB
  else
    nsx "$NS_A" ip addr add $a/64 dev vA nodad; nsx "$NS_B" ip addr add $b/64 dev vB nodad
  fi
  { sipp -sd uac || true; } | "$PY" "$GEN_DIR/bigsdp.py" > "$WORK/big-uac.xml"  # "sipp -sd" exits 99
  sleep 1
  start_cap "$NS_A" vA "$out"
  sipp_uas "$NS_B" $b -t u1 -m 1
  UAC_SF="$WORK/big-uac.xml" sipp_uac "$NS_A" $a $rb:5060 -t u1 -m 1
  wait_uas
  stop_cap
  report "$out"
}

start_common
case "${1:-all}" in
  v4) run 4 "$OUT_DIR/ipfrag4.pcap" ;;
  v6) run 6 "$OUT_DIR/ipfrag6.pcap" ;;
  all) "$0" v4; "$0" v6 ;;
  *) echo "usage: $0 v4|v6|all" >&2; exit 2 ;;
esac
