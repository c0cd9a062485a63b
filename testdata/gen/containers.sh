#!/usr/bin/env bash
# containers.sh - capture containers made with Wireshark's own tools from the
# public captures in testdata/captures/public (needs tshark's mergecap/editcap):
#   mixed-linktypes.pcapng  SLL (SCTP) + Ethernet (UDP) interfaces in one pcapng
#   sip-sdp-example.pcap.gz a gzip-compressed classic pcap
#   sip-sdp-example-ns.pcapng  nanosecond-resolution pcapng (if_tsresol=9)
set -euo pipefail
cd "$(dirname "$0")/../captures"
pub=public
mergecap -w mixed-linktypes.pcapng "$pub/heplify__sip_sctp.pcap" "$pub/sip_captures__sip-direct.pcapng"
gzip -9 -n -c "$pub/sip_captures__SIP-SDP-Example.pcap" >sip-sdp-example.pcap.gz
editcap -F pcapng --set-tsresol 9 "$pub/sip_captures__SIP-SDP-Example.pcap" sip-sdp-example-ns.pcapng 2>/dev/null ||
	editcap -F pcapng "$pub/sip_captures__SIP-SDP-Example.pcap" sip-sdp-example-ns.pcapng
