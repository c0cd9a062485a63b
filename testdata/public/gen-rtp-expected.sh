#!/usr/bin/env bash
# gen-rtp-expected.sh — the tshark oracle for RTP stream figures.
#
# Usage: testdata/public/gen-rtp-expected.sh OUT.tsv CAPTURE...
#   e.g. testdata/public/gen-rtp-expected.sh testdata/public/rtp-streams.tsv \
#            /work/shared/captures/public/*.pcap*
#
# Writes one line per RTP stream tshark's "rtp,streams" statistics find, with
# RTP found heuristically on any UDP port (rtp.heuristic_rtp) as well as by
# SDP: file src dst ssrc payload packets lost max_delta_ms mean_jitter_ms
# max_jitter_ms. Captures without RTP add no lines. Compared with sipaudit's
# streams by tests/media_parity.py.
#
# Needs: tshark 4.0.x, python3. Deterministic: personal preferences ignored,
# LC_ALL=C.
set -euo pipefail

OUT=$1
shift
TSHARK=${TSHARK:-tshark}
export LC_ALL=C TZ=UTC
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/config"
export WIRESHARK_CONFIG_DIR=$TMP/config

{
  printf 'file\tsrc\tdst\tssrc\tpayload\tpackets\tlost\tmax_delta_ms\tmean_jitter_ms\tmax_jitter_ms\n'
  for f in "$@"; do
    case $f in *.tsv|*.md) continue ;; esac
    "$TSHARK" -n -r "$f" -q -o rtp.heuristic_rtp:TRUE -z rtp,streams 2>/dev/null |
      python3 -c '
import re, sys
name = sys.argv[1]
for line in sys.stdin:
    # start end srcip sport dstip dport ssrc payload pkts lost (pct) mind meand maxd minj meanj maxj [problems]
    m = re.match(r"\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+(.+?)\s+(\d+)\s+(-?\d+) \([^)]*\)"
                 r"\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)", line)
    if not m:
        continue
    sip, sp, dip, dp, ssrc, pt, pk, lost, maxd, meanj, maxj = m.groups()
    def ep(ip, port):
        return ("[%s]:%s" if ":" in ip else "%s:%s") % (ip, port)
    print("\t".join([name, ep(sip, sp), ep(dip, dp), "0x%08x" % int(ssrc, 16), pt.replace(" ", "_"),
                     pk, lost, maxd, meanj, maxj]))
' "$(basename "$f")"
  done
} >"$OUT"
echo "$(($(wc -l <"$OUT") - 1)) streams -> $OUT"
