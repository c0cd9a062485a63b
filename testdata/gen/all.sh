#!/bin/bash
# Regenerate every capture described in testdata/captures/README.md.
# Needs root (network namespaces) and the Debian packages
#   sip-tester tcpdump tshark (wireshark-common: editcap mergecap capinfos)
#   iproute2 python3 gzip iptables kamailio (the last two for the rule captures;
#   kamailio also for prod/, scan/ and dialog2/) sipvicious (scan/)
# e.g.  apt-get install -y sip-tester tcpdump tshark iproute2 python3 gzip iptables kamailio sipvicious
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
# issue-16 captures, each rewriting its EXPECTED.*.tsv: slow-setup and the KPIs
# (kpi.sh, also the *.kpis.json oracle), SIPVicious scans and their clean
# counterparts (needs sipvicious), route-set/prack/session-timer/dtmf-mismatch
"$G/kpi.sh" all
"$G/scan/scan.sh" all        # about 8 minutes
"$G/dialog2/dialog2.sh" all  # about 5 minutes (protocol timers)
# issue-13 SIP over TLS captures with key logs (needs openssl, kamailio-tls-modules);
# rewrites testdata/captures/tls/EXPECTED.tls.tsv and EXPECTED.tshark.tsv
"$G/tls/tls.sh" all
"$G/verify.sh"
