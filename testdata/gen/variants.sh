#!/bin/bash
# Capture-file variants, all from one real capture (captures/udp-call.pcap,
# basic.sh: SIPp UAC/UAS over UDP, one call, 8 packets), written by
# Wireshark's editcap (the writers `editcap -F` lists), by variants.py (byte
# order swapped, Endace ERF, an empty btsnoop) and by the compressors.
#   read by sipaudit (through libpcap): the modified pcap of patched Linux
#     tcpdumps (magic a1b2cd34) in both byte orders and gzip-compressed, the
#     nanosecond pcap in big-endian order;
#   refused with the format named and the command that converts it: pcap
#     variants that keep a libpcap magic but lengthen the record header
#     (Nokia, Red Hat 6.1, SuSE 6.3), the other capture formats, and files
#     compressed by something other than gzip.
# No root needed. Needs editcap, capinfos (Debian "wireshark-common" / tshark),
# python3, gzip, xz, bzip2, zstd, lz4, zip.
set -euo pipefail
GEN_DIR=$(cd "$(dirname "$0")" && pwd)
C=$(cd "$GEN_DIR/../captures" && pwd)
V="$C/variants"
SRC="$C/udp-call.pcap"
VP="/usr/bin/python3 $GEN_DIR/variants.py"
mkdir -p "$V"
cd "$V"
rm -f ./*

# pcap variants libpcap reads
editcap -F modpcap "$SRC" modified.pcap
$VP swap 24 modified.pcap modified-be.pcap
gzip -9 -n -c modified.pcap > modified.pcap.gz
editcap -F nsecpcap "$SRC" nsec.pcap
$VP swap 16 nsec.pcap nsec-be.pcap
rm nsec.pcap
# pcap variants libpcap misreads (same magic, longer record headers)
editcap -F nokiapcap "$SRC" nokia.pcap
editcap -F rh6_1pcap "$SRC" redhat61.pcap
editcap -F suse6_3pcap "$SRC" suse63.pcap
# other capture formats
editcap -F netmon1 "$SRC" netmon1.cap
editcap -F netmon2 "$SRC" netmon2.cap
gzip -9 -n -c netmon2.cap > netmon2.cap.gz
editcap -F snoop "$SRC" capture.snoop
editcap -F ngsniffer "$SRC" sniffer.enc
editcap -F ngwsniffer_1_1 "$SRC" netxray.cap
editcap -F ngwsniffer_2_0 "$SRC" sniffer2.cap
editcap -F 5views "$SRC" capture.5vw
editcap -F visual "$SRC" visual.cap
editcap -F observer "$SRC" observer.bfr     # Wireshark 4.0's reader calls its own output damaged
editcap -F lanalyzer "$SRC" lanalyzer.tr1
editcap -F nettl "$SRC" nettl.trc0
editcap -F k12text "$SRC" k12.txt
editcap -F commview-ncf "$SRC" commview.ncf
editcap -F commview-ncfx "$SRC" commview.ncfx  # likewise damaged for Wireshark 4.0's reader
$VP erf "$SRC" capture.erf
$VP btsnoop btsnoop.log
# compressors other than gzip
xz -9 -c "$SRC" > capture.pcap.xz
bzip2 -9 -c "$SRC" > capture.pcap.bz2
zstd -q -19 -c "$SRC" > capture.pcap.zst
lz4 -q -9 -c "$SRC" > capture.pcap.lz4
(cd "$C" && zip -q -X -j "$V/capture.zip" udp-call.pcap)

# each file is what Wireshark says it is
for f in *; do
  case "$f" in *.xz|*.bz2|*.zst|*.lz4|*.zip) continue ;; esac
  printf '%-22s %s\n' "$f" "$(capinfos -t "$f" 2>/dev/null | sed -n 's/^File type: *//p')"
done
