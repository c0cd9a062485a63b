#!/usr/bin/env bash
# gen-expected.sh — regenerate the tshark "oracle" for the public capture corpus.
#
# Usage: testdata/public/gen-expected.sh [CAPTURE_DIR [OUT_DIR]]
#   CAPTURE_DIR defaults to /work/shared/captures/public and must hold INDEX.tsv
#   (columns file and sip_messages at least).
#   OUT_DIR defaults to this script's directory; the lab captures keep their
#   own oracle (e.g. testdata/captures/tcp-sameport, OUT_DIR = CAPTURE_DIR).
#
# Writes (in OUT_DIR):
#   expected/<capture file>.tsv  one line per SIP message as tshark 4.0 decodes it:
#                                frame src dst transport start call_id cseq
#   excluded.tsv                 SIP that tshark shows but that is not a message
#                                on the wire (SIP quoted inside ICMP errors)
#   summary.tsv                  file tshark_messages index_sip_messages distinct_call_ids
#
# Needs: tshark 4.0.x (the oracle was made with 4.0.17), python3 (stdlib only).
# Deterministic: personal Wireshark preferences are ignored, every preference the
# output depends on is set explicitly, name resolution is off, LC_ALL=C.
# See TSHARK-NOTES.md for what the columns mean and where tshark is doubtful.
set -euo pipefail

CAPDIR=${1:-/work/shared/captures/public}
HERE=$(cd "${2:-$(dirname "${BASH_SOURCE[0]}")}" && pwd)
OUT=$HERE/expected
TSHARK=${TSHARK:-tshark}
PYTHON=${PYTHON:-python3}

export LC_ALL=C TZ=UTC
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/config"
export WIRESHARK_CONFIG_DIR=$TMP/config   # no personal prefs / decode-as / profiles

[ -f "$CAPDIR/INDEX.tsv" ] || { echo "gen-expected: no INDEX.tsv in $CAPDIR" >&2; exit 2; }
command -v "$TSHARK" >/dev/null || { echo "gen-expected: tshark not found" >&2; exit 2; }
TSVER=$("$TSHARK" --version 2>/dev/null | sed -n '1s/^TShark (Wireshark) \([0-9.]*\).*/\1/p')
case "$TSVER" in
  4.0.*) ;;
  *) echo "gen-expected: WARNING: oracle was made with tshark 4.0.17, this is '$TSVER'" >&2 ;;
esac

# Preferences the output depends on (all are the 4.0 defaults, pinned here).
TS_OPTS=(
  -n
  -o tcp.desegment_tcp_streams:TRUE
  -o tcp.reassemble_out_of_order:FALSE
  -o tcp.analyze_sequence_numbers:TRUE
  -o tcp.try_heuristic_first:FALSE
  -o udp.try_heuristic_first:FALSE
  -o ip.defragment:TRUE
  -o ipv6.defragment:TRUE
  -o sctp.reassembly:TRUE
  -o ip.check_checksum:FALSE
  -o udp.check_checksum:FALSE
  -o tcp.check_checksum:FALSE
  -o sip.desegment_headers:TRUE
  -o sip.desegment_body:TRUE
  -o sip.strict_sip_version:TRUE
  --enable-heuristic sip_udp
  --enable-heuristic sip_tcp
  --enable-heuristic sip_sctp
)

# Per-capture decode-as (only where tshark's port tables would hide SIP).
decode_as() {
  case "$1" in
    # TCP/6060 is inside X11's port range (6000-6063): without this the SIP is
    # shown as X11 and tshark counts 0 messages.
    heplify__sip_ipv4_tcp_fragmented.pcap) echo "-d tcp.port==6060,sip" ;;
  esac
}

# ---------------------------------------------------------------------------
# Helper (python3, stdlib only).
#   pdml   DIAG [MAP]  : PDML on stdin -> TSV rows (no header) on stdout;
#                        rows tshark shows but that are not messages -> DIAG.
#                        MAP (HEP mode): synthetic frame -> outer frame, transport.
#   hep    PCAP MAP    : "frame<TAB>udp.payload-hex" on stdin -> synthetic raw-IP
#                        pcap holding each HEP3 SIP payload in its own UDP datagram.
# ---------------------------------------------------------------------------
read -r -d '' HELPER <<'PY' || true
import sys, struct, zlib, socket
import xml.etree.ElementTree as ET

def clean(s):
    return (s or "").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

def hostport(ip, port):
    if ip is None:
        return "-"
    v, a = ip
    p = port if port is not None else "-"
    return ("[%s]:%s" % (a, p)) if v == 6 else ("%s:%s" % (a, p))

def first_fields(elem, names):
    r = {}
    for f in elem.iter("field"):
        n = f.get("name")
        if n in names and n not in r:
            r[n] = f.get("show")
    return r

def protos_in_order(pkt):
    # Every <proto> in document order, with the names of the protos enclosing it.
    res = []
    def rec(elem, anc):
        for ch in elem:
            if ch.tag == "proto":
                res.append((ch, anc))
                rec(ch, anc + (ch.get("name"),))
            elif ch.tag == "field":
                rec(ch, anc)
    rec(pkt, ())
    return res

def pdml(diag_path, map_path=None):
    fmap = {}
    if map_path:
        with open(map_path) as m:
            for line in m:
                syn, outer, tr = line.rstrip("\n").split("\t")
                fmap[syn] = (outer, tr)
    diag = open(diag_path, "w")
    out = sys.stdout
    for ev, pkt in ET.iterparse(sys.stdin.buffer, events=("end",)):
        if pkt.tag != "packet":
            continue
        frame = None
        src = dst = None
        l4 = sport = dport = None
        ws = False
        icmp = False
        for proto, anc in protos_in_order(pkt):
            name = proto.get("name")
            if name == "frame":
                frame = first_fields(proto, {"frame.number"}).get("frame.number")
            elif name in ("ip", "ipv6"):
                ver = 4 if name == "ip" else 6
                f = first_fields(proto, {name + ".src", name + ".dst"})
                if name + ".src" in f:
                    # a later (inner) IP header wins: tunnels, GTP, ERSPAN, IP-in-IP
                    src = (ver, f[name + ".src"]); dst = (ver, f.get(name + ".dst"))
                    l4 = sport = dport = None; ws = False
            elif name in ("udp", "tcp", "sctp"):
                f = first_fields(proto, {name + ".srcport", name + ".dstport"})
                if name + ".srcport" in f:
                    l4 = name; sport = f[name + ".srcport"]; dport = f.get(name + ".dstport")
                    ws = False
            elif name == "websocket":
                ws = True
            elif name in ("icmp", "icmpv6"):
                icmp = True
            elif name == "sip":
                f = first_fields(proto, {"sip.Method", "sip.Status-Code", "sip.Call-ID", "sip.CSeq"})
                start = f.get("sip.Method") or f.get("sip.Status-Code") or ""
                transport = "ws" if ws else (l4 or "other")
                fr = frame
                if fmap:
                    fr, transport = fmap.get(frame, (frame, transport))
                row = [fr, hostport(src, sport), hostport(dst, dport), transport, start,
                       f.get("sip.Call-ID", ""), f.get("sip.CSeq", "")]
                row = [clean(x) for x in row]
                reason = None
                if icmp:
                    reason = "icmp-quoted"        # SIP inside an ICMP error: not a message
                elif "sip" in anc:
                    reason = "nested-in-sip"      # SIP carried in another SIP message's body
                elif not start:
                    reason = "no-start-line"      # "Continuation" data, not a message
                if reason:
                    diag.write(reason + "\t" + "\t".join(row) + "\n")
                else:
                    out.write("\t".join(row) + "\n")
        pkt.clear()
    diag.close()

HEP_TRANSPORT = {17: "udp", 6: "tcp", 132: "sctp"}

def hep(pcap_path, map_path):
    pc = open(pcap_path, "wb")
    pc.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 101))  # LINKTYPE_RAW
    mp = open(map_path, "w")
    n = 0
    for line in sys.stdin:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2 or not parts[1]:
            continue
        frame = parts[0]
        b = bytes.fromhex(parts[1].split(",")[-1].replace(":", ""))
        off = 0
        while off + 6 <= len(b) and b[off:off + 4] == b"HEP3":
            tot = struct.unpack(">H", b[off + 4:off + 6])[0]
            if tot < 6 or off + tot > len(b):
                break
            rec = b[off:off + tot]
            off += tot
            p = 6
            ch = {}
            while p + 6 <= len(rec):
                vid, tid, ln = struct.unpack(">HHH", rec[p:p + 6])
                if ln < 6:
                    break
                if vid == 0 and tid not in ch:
                    ch[tid] = rec[p + 6:p + ln]
                p += ln
            if ch.get(11, b"\x00")[:1] != b"\x01":      # protocol type 1 = SIP
                continue
            if 15 in ch:
                payload = ch[15]
            elif 16 in ch:
                try:
                    payload = zlib.decompress(ch[16])
                except zlib.error:
                    continue
            else:
                continue
            ipproto = ch.get(2, b"\x11")[0]
            sport = struct.unpack(">H", ch.get(7, b"\0\0"))[0]
            dport = struct.unpack(">H", ch.get(8, b"\0\0"))[0]
            udp = struct.pack(">HHHH", sport, dport, (8 + len(payload)) & 0xffff, 0) + payload
            if 3 in ch and 4 in ch:
                ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, (20 + len(udp)) & 0xffff, n & 0xffff,
                                 0, 64, 17, 0, ch[3], ch[4])
            elif 5 in ch and 6 in ch:
                ip = struct.pack(">IHBB16s16s", 0x60000000, len(udp) & 0xffff, 17, 64, ch[5], ch[6])
            else:
                continue
            pkt = ip + udp
            n += 1
            pc.write(struct.pack("<IIII", n, 0, len(pkt), len(pkt)) + pkt)
            mp.write("%d\t%s\t%s\n" % (n, frame, HEP_TRANSPORT.get(ipproto, "other")))
    pc.close()
    mp.close()

if __name__ == "__main__":
    if sys.argv[1] == "pdml":
        pdml(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif sys.argv[1] == "hep":
        hep(sys.argv[2], sys.argv[3])
PY

HEADER=$'frame\tsrc\tdst\ttransport\tstart\tcall_id\tcseq'

# Everything is built in $TMP and moved into place at the end, so a reader never
# sees a half-written set.
NEW=$TMP/expected
mkdir -p "$NEW"
printf 'file\treason\t%s\n' "$HEADER" > "$TMP/excluded"
printf 'file\ttshark_messages\tindex_sip_messages\tdistinct_call_ids\n' > "$TMP/summary"

# file names from INDEX.tsv's "file" column, and its sip_messages column
col() { awk -F'\t' -v c="$1" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next} {print $k}' "$CAPDIR/INDEX.tsv"; }
paste <(col file) <(col sip_messages) | sort > "$TMP/index"

while IFS=$'\t' read -r f idx; do
  cap=$CAPDIR/$f
  [ -f "$cap" ] || { echo "gen-expected: missing $cap" >&2; exit 1; }
  read -r -a da <<< "$(decode_as "$f")"
  rows=$TMP/rows; : > "$rows"

  # 1. SIP as tshark dissects it natively.
  "$TSHARK" "${TS_OPTS[@]}" "${da[@]}" -r "$cap" -Y sip -T pdml 2>"$TMP/err" </dev/null \
    | "$PYTHON" -c "$HELPER" pdml "$TMP/diag" >> "$rows" \
    || { cat "$TMP/err" >&2; echo "gen-expected: tshark failed on $f" >&2; exit 1; }
  sed "s|^|$f\t|" "$TMP/diag" >> "$TMP/excluded"

  # 2. SIP inside HEP3 (tshark 4.0 has no HEP dissector): the payloads are
  #    unwrapped by the helper into a synthetic raw-IP/UDP pcap that tshark then
  #    dissects; frame numbers and transport are mapped back to the original.
  "$TSHARK" "${TS_OPTS[@]}" -r "$cap" -Y 'udp.payload[0:4] == 48:45:50:33' \
      -T fields -e frame.number -e udp.payload 2>/dev/null </dev/null > "$TMP/hep" || true
  if [ -s "$TMP/hep" ]; then
    "$PYTHON" -c "$HELPER" hep "$TMP/hep.pcap" "$TMP/hep.map" < "$TMP/hep"
    hda=()
    for p in $("$TSHARK" -n -r "$TMP/hep.pcap" -T fields -e udp.srcport -e udp.dstport 2>/dev/null \
               | tr '\t' '\n' | sort -un); do
      hda+=(-d "udp.port==$p,sip")
    done
    "$TSHARK" "${TS_OPTS[@]}" "${hda[@]}" -r "$TMP/hep.pcap" -Y sip -T pdml 2>/dev/null \
      | "$PYTHON" -c "$HELPER" pdml "$TMP/diag" "$TMP/hep.map" >> "$rows"
    sed "s|^|$f\t|" "$TMP/diag" >> "$TMP/excluded"
  fi

  { echo "$HEADER"; sort -s -n -t$'\t' -k1,1 "$rows"; } > "$NEW/$f.tsv"
  n=$(wc -l < "$rows")
  ncid=$(cut -f6 "$rows" | { grep -v "^$" || true; } | sort -u | wc -l)
  printf '%s\t%d\t%s\t%d\n' "$f" "$n" "$idx" "$ncid" >> "$TMP/summary"
done < "$TMP/index"

mkdir -p "$OUT"
rm -f "$OUT"/*.tsv
cp "$NEW"/*.tsv "$OUT"/
cp "$TMP/excluded" "$HERE/excluded.tsv"
cp "$TMP/summary" "$HERE/summary.tsv"
echo "gen-expected: wrote $(find "$OUT" -name '*.tsv' | wc -l) files to $OUT (tshark $TSVER)" >&2
