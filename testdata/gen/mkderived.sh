#!/bin/bash
# Files derived from the real captures (run after basic.sh, frag.sh, tunnel.sh,
# tcpseg.sh):
# link-type / file-format variants and the TCP / fragment edge cases that
# need packets reordered, duplicated or removed.  No root needed.
set -euo pipefail
GEN_DIR=$(cd "$(dirname "$0")" && pwd)
C=$(cd "$GEN_DIR/../captures" && pwd)
PT="/usr/bin/python3 $GEN_DIR/pcaptool.py"
cd "$C"
for f in udp-call.pcap ipv6-call.pcap tcp-call.pcap ipfrag4.pcap ipfrag6.pcap sll.pcap rawip.pcap tcp-split.pcap; do
  [ -f "$f" ] || { echo "missing $f: run basic.sh, frag.sh, tunnel.sh and tcpseg.sh first" >&2; exit 2; }
done

# link types Linux cannot capture (BSD / macOS loopback)
$PT null udp-call.pcap  null.pcap
$PT null ipv6-call.pcap null-ipv6.pcap
$PT loop udp-call.pcap  loop.pcap
# file formats
$PT be udp-call.pcap pcap-be.pcap
editcap -F pcapng udp-call.pcap udp-call.pcapng
mergecap -F pcapng -w multi-linktype.pcapng udp-call.pcap sll.pcap rawip.pcap
gzip -9 -n -c udp-call.pcap > udp-call.pcap.gz
# IP fragmentation edge cases
for v in 4 6; do
  $PT frag-reorder ipfrag$v.pcap ipfrag$v-reordered.pcap
  $PT frag-dup     ipfrag$v.pcap ipfrag$v-dup.pcap
  $PT frag-overlap ipfrag$v.pcap ipfrag$v-overlap.pcap
  $PT frag-drop    ipfrag$v.pcap ipfrag$v-incomplete.pcap
done
# TCP edge cases
$PT tcp-ooo       tcp-call.pcap tcp-ooo.pcap
$PT tcp-retrans   tcp-call.pcap tcp-retrans.pcap
$PT tcp-midstream tcp-call.pcap tcp-midstream.pcap
$PT tcp-gap       tcp-call.pcap tcp-gap.pcap
$PT tcp-ooo       tcp-split.pcap tcp-split-ooo.pcap   # first two 10-byte INVITE chunks swapped
echo "derived files written to $C"
