#!/bin/bash
# Regenerate every capture described in testdata/captures/README.md.
# Needs root (network namespaces) and the Debian packages
#   sip-tester tcpdump tshark (wireshark-common: editcap mergecap capinfos)
#   iproute2 python3 gzip iptables kamailio (the last two for the rule captures;
#   kamailio also for prod/)
# e.g.  apt-get install -y sip-tester tcpdump tshark iproute2 python3 gzip iptables kamailio
# Every run produces different bytes (timestamps, Call-IDs, ports, VXLAN
# source ports), so golden outputs that use these files must be regenerated
# together with them.
set -euo pipefail
G=$(cd "$(dirname "$0")" && pwd)
"$G/basic.sh" all
"$G/tunnel.sh" all
"$G/frag.sh" all
"$G/tcpseg.sh" all
"$G/websocket.sh"
"$G/mkderived.sh"
"$G/variants.sh"
"$G/tcp-sameport.sh" all
# rule captures (issue 3); each rewrites its EXPECTED.*.tsv from the new files
"$G/rules/dialog.sh" all
"$G/rules/reg.sh" all
"$G/rules/misc.sh" all
"$G/rules/trunk.sh"
# issue-11 field-traffic captures (about 12 minutes), EXPECTED.prod.tsv likewise
"$G/prod/prod.sh" all
"$G/rules/links.sh" all   # B2BUA legs (EXPECTED.links.tsv is written by hand: clean captures)
# issue-13 SIP over TLS captures with key logs (needs openssl, kamailio-tls-modules);
# rewrites testdata/captures/tls/EXPECTED.tls.tsv and EXPECTED.tshark.tsv
"$G/tls/tls.sh" all
"$G/verify.sh"
