#!/bin/bash
# Captures with RTP (and RTCP) media for sipaudit's media analysis and its
# one-way-rtp / rtp-quality rules: testdata/captures/media/*.pcap.
#
# Real calls between network namespaces joined by veth pairs (lib.sh):
#  - SIPp (Debian sip-tester 3.6.1, built with PCAP and RTPSTREAM) on both
#    sides, scenarios in this directory (uac-*.xml = caller, uas-*.xml =
#    callee). Media is G.711 mu-law (PCMU, PT 0), 20 ms packets, from SIPp's
#    rtp_stream action playing media.wav (a 440 Hz tone written by mkwav.py),
#    sent to the address/port of the peer's SDP. Exceptions: in
#    rtp-reinvite-port the callee's media after its re-INVITE comes from
#    play_pcap_audio (newport.pcap, written by mkrtp.py) on a port SIPp does
#    not listen on, so a receive-only python socket takes the caller's RTP
#    there; in nat-comedia the PBX is SIPp -rtp_echo (symmetric RTP: every
#    packet goes back to where it came from).
#  - rtcp, rtcp-mux: two baresip (Debian baresip-core) instances, each with
#    its own config dir written here (aufile source, ALSA "null" player, no
#    sound hardware), because SIPp sends no RTCP.
# Caller 192.0.2.10 (SIP 5070), callee 192.0.2.20 (SIP 5060); tcpdump on the
# caller's veth unless said otherwise.
#  - rtp-loss / rtp-jitter: a bridge namespace sits between caller and
#    callee (same /24); the impairment is applied on the bridge, i.e. on the
#    link, so the endpoints never see it:
#      loss:   nftables bridge rule "numgen random mod 100 < 5 drop" on the
#              callee's RTP (iptables DROP in the callee's own OUTPUT chain
#              does not work: sendto() then fails with EPERM and SIPp's
#              rtp_stream task gives up after the first dropped packet).
#      jitter: this kernel has no sch_netem, so the jitter is real queueing
#              delay: a token bucket (tc tbf, 4 Mbit/s) on the bridge port
#              towards the caller, shared with bursty cross traffic
#              (xtraffic.py: random bursts of 1200-byte UDP datagrams from
#              the callee's namespace to the caller's discard port 9, ~90 %
#              of the rate, which the capture filter leaves out and the
#              caller drops silently). A FIFO cannot reorder, so a packet
#              can arrive at most 20 ms "early" (D >= -20 ms) and the mean
#              RFC 3550 jitter stays below ~40 ms however bad the queue:
#              above 30 ms needs the queue busy most of the time.
#  - nat-*: phone 10.0.0.2 (SIP UAC, c=IN IP4 10.0.0.2) -- NAT namespace
#    (10.0.0.1 LAN, 198.51.100.1 WAN, iptables MASQUERADE, no SIP ALG) --
#    PBX 203.0.113.10 (SIPp UAS, default route via 198.51.100.1). The NAT
#    drops packets arriving on its WAN side for 10.0.0.0/8 that are not
#    replies of a tracked connection (ctstate NEW,INVALID), as the internet
#    would. Two tcpdumps at once: PBX side (NAME-pbx.pcap) and LAN side
#    (NAME-phone.pcap).
#
#   media.sh NAME    one capture group, e.g. media.sh rtp-loss
#   media.sh all     every group below (about 3 minutes)
#   media.sh list    group names
# Each run checks the new capture's shape with tshark (RTP packets per
# direction, streams, SIP ladder; fails loudly otherwise) and rewrites that
# group's lines in EXPECTED.media.tsv (expected findings, frame numbers read
# back by tshark: they move with ARP timing) and STREAMS.media.tsv (tshark's
# per-stream figures). Needs root, iproute2, iptables, nft, tc, tcpdump,
# tshark, sip-tester, baresip-core, python3.
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/media"
OUT="$OUT_DIR/media"
MAN="$OUT/EXPECTED.media.tsv"
STR="$OUT/STREAMS.media.tsv"
NS_R="${NSP}r"     # bridge / NAT namespace
IP_A=192.0.2.10 IP_B=192.0.2.20
TS=(-o rtp.heuristic_rtp:TRUE)   # tshark: find RTP without the SDP too

CAPTURES=(
  rtp-call-ok rtp-one-way rtp-no-media nat-no-comedia nat-comedia
  rtp-loss rtp-jitter rtp-hold rtp-early-media rtp-early-only
  rtp-reinvite-port rtcp rtcp-mux
  rtp-port-reuse rtp-reinvite-opus rtp-heavy-loss rtp-relay rtp-relay-one-way nat-comedia-hangup rtp-after-bye
)

# pcap files of a group
files_of() {
  case "$1" in
    nat-*) echo "$1-pbx.pcap $1-phone.pcap" ;;
    *) echo "$1.pcap" ;;
  esac
}

media_cleanup() {
  cleanup
  ip netns del "$NS_R" 2>/dev/null || true
}

# ------------------------------------------------------------ topologies
# phone A 10.0.0.2 -- vA|rA 10.0.0.1 [NAT in R] 198.51.100.1 rB|vB -- PBX B 203.0.113.10
topo_nat() {
  mk_ns "$NS_A" "$NS_B" "$NS_R"
  ip link add vA netns "$NS_A" address 02:00:00:00:00:0a type veth peer name rA netns "$NS_R" address 02:00:00:00:01:0a
  ip link add vB netns "$NS_B" address 02:00:00:00:00:0b type veth peer name rB netns "$NS_R" address 02:00:00:00:01:0b
  nsx "$NS_A" ip addr add 10.0.0.2/24 dev vA
  nsx "$NS_R" ip addr add 10.0.0.1/24 dev rA
  nsx "$NS_R" ip addr add 198.51.100.1/24 dev rB
  nsx "$NS_B" ip addr add 203.0.113.10/24 dev vB
  nsx "$NS_A" ip link set vA up; nsx "$NS_B" ip link set vB up
  nsx "$NS_R" ip link set rA up; nsx "$NS_R" ip link set rB up
  nsx "$NS_A" ip route add default via 10.0.0.1
  # the NAT's WAN and the PBX share one link: on-link routes both ways; the
  # PBX's default gateway is the NAT's WAN address (its way to "the internet")
  nsx "$NS_R" ip route add 203.0.113.0/24 dev rB
  nsx "$NS_B" ip route add 198.51.100.0/24 dev vB
  nsx "$NS_B" ip route add default via 198.51.100.1 dev vB
  nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1
  nsx "$NS_R" iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o rB -j MASQUERADE
  # private addresses are not routed on the internet: drop what arrives on
  # the WAN for 10/8 unless it is a reply of a connection the NAT tracks
  nsx "$NS_R" iptables -A FORWARD -i rB -d 10.0.0.0/8 -m conntrack --ctstate NEW,INVALID -j DROP
}

# ------------------------------------------------------------ processes
# cap NS IFACE FILE [tcpdump filter...]: start a capture, remember its pid
CAPS=()
cap() {
  local ns=$1 ifc=$2 f=$3; shift 3
  rm -f "$f"
  start_cap "$ns" "$ifc" "$f" "$@"
  CAPS+=("$CAP_PID")
}
stop_caps() {
  local p
  for p in "${CAPS[@]}"; do CAP_PID=$p; stop_cap; done
  CAPS=()
}

# bg_sipp NAME NS SCENARIO IP PORT [sipp args...]: background SIPp, one call
bg_sipp() {
  local name=$1 ns=$2 sf=$3 ip=$4 port=$5; shift 5
  (cd "$WORK" && exec ip netns exec "$ns" timeout 90 sipp -sf "$SF/$sf" -i "$ip" -p "$port" \
     -m 1 -nd -nostdin -trace_err -error_file "$WORK/$name.err" "$@" >"$WORK/$name.log" 2>&1) &
  PIDS+=("$!")
  eval "PID_$name=$!"
  sleep 0.5
}
# fg_sipp NAME NS SCENARIO IP PORT [sipp args...] REMOTE: foreground SIPp, must succeed
fg_sipp() {
  local name=$1 ns=$2 sf=$3 ip=$4 port=$5; shift 5
  (cd "$WORK" && ip netns exec "$ns" timeout 90 sipp -sf "$SF/$sf" -i "$ip" -p "$port" \
     -m 1 -nd -nostdin -trace_err -error_file "$WORK/$name.err" -cid_str "${CID:-$NAME-%u@%s}" \
     "$@" >"$WORK/$name.log" 2>&1) \
    || { echo "$NAME: sipp $name ($sf) failed:" >&2; tail -20 "$WORK/$name.log" "$WORK/$name.err" >&2 2>/dev/null; exit 1; }
}
# wait_bg NAME: wait for a background SIPp; fail if it failed
wait_bg() {
  local name=$1 pid rc=0 i
  eval "pid=\$PID_$name"
  for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { echo "$name still running, killing" >&2; kill "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || { echo "$NAME: sipp $name exited $rc:" >&2; tail -20 "$WORK/$name.log" "$WORK/$name.err" >&2 2>/dev/null; exit 1; }
}

# call UAC.xml UAS.xml [caller args] [-- callee args]: one SIPp call A -> B
call() {
  local uac=$1 uas=$2; shift 2
  local a=() b=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
  [ "${1:-}" = -- ] && { shift; b=("$@"); }
  bg_sipp callee "$NS_B" "$uas" $IP_B 5060 "${b[@]}"
  fg_sipp caller "$NS_A" "$uac" $IP_A 5070 "${a[@]}" $IP_B:5060
  wait_bg callee
}

# ------------------------------------------------------------ baresip
# bs_conf DIR IP USER RTP_PORT_BASE RTCP_MUX(yes|no) [EXTRA_ACCOUNT_PARAMS]
# a baresip config dir: SIP on IP:5060, PCMU only, audio source = a 440 Hz
# 16-bit 8 kHz WAV (aufile), player = ALSA's "null" device, no registration,
# ctrl_tcp on 127.0.0.1:4444 (in the namespace) for dial / hangup / quit
bs_conf() {
  local d=$1 ip=$2 user=$3 port=$4 mux=$5 extra=${6:-}
  mkdir -p "$d"
  [ -s "$WORK/tone16.wav" ] || "$PY" -c '
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(9830 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000 * 20)))
w.close()' "$WORK/tone16.wav"
  cat >"$d/config" <<EOF
poll_method		epoll
sip_listen		$ip:5060
call_local_timeout	120
call_max_calls		4
audio_player		alsa,null
audio_source		aufile,$WORK/tone16.wav
audio_alert		alsa,null
ausrc_srate		8000
auplay_srate		8000
audio_buffer		20-160
rtp_ports		$port-$((port + 99))
rtp_timeout		0
rtcp_mux		$mux
jitter_buffer_delay	5-10
rtp_stats		yes
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			alsa.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:4444
EOF
  echo "<sip:$user@$ip>;${extra}regint=0;audio_codecs=PCMU" >"$d/accounts"
}

# ------------------------------------------------------------ reading captures
# streams FILE: tshark's RTP stream table as TSV:
#   src:port dst:port ssrc payload packets lost max_delta max_jitter mean_jitter first_frame
# (tshark 4.0 columns: start end srcip sport dstip dport ssrc payload pkts
#  lost "(pct%)" min_delta mean_delta max_delta min_jitter mean_jitter
#  max_jitter [X])
streams() {
  local f=$1
  tshark -r "$f" -q "${TS[@]}" -z rtp,streams 2>/dev/null |
  awk '$1 ~ /^[0-9.]+$/ && NF >= 17 { printf "%s:%s\t%s:%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $3,$4,$5,$6,$7,$8,$9,$10,$14,$17,$16 }' |
  while IFS=$'\t' read -r s d ssrc pt n lost maxd maxj meanj; do
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$d" "$ssrc" "$pt" "$n" "$lost" "$maxd" "$maxj" "$meanj" \
      "$(first_rtp "$f" "$s" "$d" "$ssrc")"
  done
}
# first_rtp FILE SRC:PORT DST:PORT [SSRC]: frame number of a stream's first RTP packet
first_rtp() {
  local f=$1 s=$2 d=$3 ssrc=${4:-} flt
  flt="rtp && ip.src==${s%:*} && udp.srcport==${s#*:} && ip.dst==${d%:*} && udp.dstport==${d#*:}"
  [ -n "$ssrc" ] && flt="$flt && rtp.ssrc==$ssrc"
  tshark -r "$f" "${TS[@]}" -Y "$flt" -T fields -e frame.number 2>/dev/null | head -1
}
# pkts FILE SRC DST: RTP packets from SRC to DST (ip or ip:port), all streams
pkts() {
  streams "$1" | awk -F'\t' -v s="$2" -v d="$3" '
    function m(a, p) { return a == p || index(a, p ":") == 1 }
    m($1, s) && m($2, d) { n += $5 } END { print n + 0 }'
}
# nstr FILE SRC DST: number of RTP streams (SSRC + addresses) from SRC to DST
nstr() {
  streams "$1" | awk -F'\t' -v s="$2" -v d="$3" '
    function m(a, p) { return a == p || index(a, p ":") == 1 }
    m($1, s) && m($2, d) { n++ } END { print n + 0 }'
}
# sfr FILE FILTER: frame numbers of the SIP frames matching FILTER
sfr() {
  local f
  f=$(tshark -r "$1" -Y "sip && ($2)" -T fields -e frame.number 2>/dev/null | paste -sd, -)
  [ -n "$f" ] || { echo "$NAME: no frame in $1 matches: $2" >&2; exit 1; }
  echo "$f"
}
# rfr FILE SRC DST: first RTP frame from SRC to DST (ip or ip:port)
rfr() {
  local f
  f=$(streams "$1" | awk -F'\t' -v s="$2" -v d="$3" '
    function m(a, p) { return a == p || index(a, p ":") == 1 }
    m($1, s) && m($2, d) { print $10 }' | sort -n | head -1)
  [ -n "$f" ] || { echo "$NAME: no RTP from $2 to $3 in $1" >&2; exit 1; }
  echo "$f"
}
icmps() { tshark -r "$1" -Y icmp 2>/dev/null | wc -l; }
# fig FILE SRC DST COLUMN: a figure of the first stream from SRC to DST
# (columns: 5 packets, 6 lost, 7 max delta, 8 max jitter, 9 mean jitter)
fig() {
  streams "$1" | awk -F'\t' -v s="$2" -v d="$3" -v c="$4" '
    function m(a, p) { return a == p || index(a, p ":") == 1 }
    m($1, s) && m($2, d) { print $c; exit }'
}
check() { eval "$1" || { echo "$NAME: capture check failed: $2" >&2; exit 1; }; }

# ladder FILE: print the capture's SIP ladder and RTP streams
ladder() {
  report "$1"
  tshark -r "$1" -Y "sip || icmp" -T fields -e frame.number -e frame.time_relative -e ip.src -e ip.dst \
    -e sip.Request-Line -e sip.Status-Line -e sip.CSeq -e icmp.type 2>/dev/null | sed 's/^/  /'
  streams "$1" | sed 's/^/  RTP /'
}

# ------------------------------------------------------------ manifests
# expect FILE RULE SEVERITY FRAMES WHY / clean FILE WHY
expect() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$WORK/manifest"; }
clean() { expect "$1" - - - "$2"; }

# write_tsv TARGET NEWLINES: replace this group's lines, keep CAPTURES order
write_tsv() {
  local target=$1 new=$2 f c tmp="$WORK/tsv.tmp"
  touch "$target"
  cp "$target" "$tmp.old"
  for f in $(files_of "$NAME"); do
    grep -v -F "$f	" "$tmp.old" >"$tmp.x" || true
    mv "$tmp.x" "$tmp.old"
  done
  cat "$new" >>"$tmp.old"
  grep '^#' "$tmp.old" >"$tmp" || true
  for c in "${CAPTURES[@]}"; do
    for f in $(files_of "$c"); do grep -F "$f	" "$tmp.old" >>"$tmp" || true; done
  done
  cp "$tmp" "$target"
}
write_manifests() {
  local f
  awk -F'\t' 'NF != 5 || $4 == "" { bad = 1 } END { exit bad }' "$WORK/manifest" \
    || { echo "$NAME: a manifest line is malformed" >&2; cat "$WORK/manifest" >&2; exit 1; }
  write_tsv "$MAN" "$WORK/manifest"
  sed 's/^/  EXPECTED: /' "$WORK/manifest"
  : >"$WORK/streams"
  for f in $(files_of "$NAME"); do
    streams "$OUT/$f" | cut -f1-9 | sed "s/^/$f	/" >>"$WORK/streams"
  done
  [ -s "$STR" ] || printf '# capture\tsrc\tdst\tssrc\tpayload\tpackets\tlost\tmax_delta_ms\tmax_jitter_ms\tmean_jitter_ms\n' >"$STR"
  write_tsv "$STR" "$WORK/streams"
}

# ------------------------------------------------------------ media files
prep_media() {
  "$PY" "$SF/mkwav.py" "$WORK/media.wav" ulaw 440 1
  # rtp-reinvite-port: the callee's stream after the move, 3 s, new SSRC
  "$PY" "$SF/mkrtp.py" "$WORK/media.wav" "$WORK/newport.pcap" 0 0x5eed0002 20000 800000 150
  # rtp-reinvite-opus: each side's media after the re-INVITE to opus, PT 96,
  # 48 kHz timestamps (payload bytes are G.711, only the headers matter)
  "$PY" "$SF/mkrtp.py" "$WORK/media.wav" "$WORK/opus-a.pcap" 96 0x0b05a001 30000 4800000 150 960
  "$PY" "$SF/mkrtp.py" "$WORK/media.wav" "$WORK/opus-b.pcap" 96 0x0b05b002 40000 9600000 150 960
}

# ------------------------------------------------------------ captures
one() {
  NAME=$1
  rm -f "$WORK/manifest"; touch "$WORK/manifest"
  mkdir -p "$OUT"
  prep_media
  local C="$OUT/$1.pcap" a b n
  case "$1" in
    rtp-call-ok)
      topo_pair; cap "$NS_A" vA "$C"
      call uac-call.xml uas-call.xml -d 5000
      stop_caps; ladder "$C"
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      check "[ $a -ge 240 ] && [ $b -ge 240 ] && [ \$(nstr $C $IP_A $IP_B) = 1 ] && [ \$(nstr $C $IP_B $IP_A) = 1 ]" "expected one stream of ~250 RTP packets each way (got $a / $b)"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "Clean answered call: INVITE (a=sendrecv, PCMU) -> 200 -> ACK, then G.711 mu-law RTP both ways for 5 s, 20 ms packets: $IP_A:6000 -> $IP_B:6000 ($a packets) and $IP_B:6000 -> $IP_A:6000 ($b packets), no loss, jitter < 1 ms; BYE ends it. Both SIPp streams use SSRC 0xCA110000 (SIPp numbers its SSRCs per process from that value)."
      ;;
    rtp-one-way)
      topo_pair; cap "$NS_A" vA "$C"
      call uac-call.xml uas-silent.xml -d 5000
      stop_caps; ladder "$C"
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      check "[ $a -ge 240 ] && [ $b = 0 ]" "expected ~250 RTP packets caller -> callee and none back (got $a / $b)"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      expect "$1.pcap" one-way-rtp error "$(rfr "$C" $IP_A $IP_B)" \
        "Answered call with a=sendrecv on both sides (200 OK frame $(sfr "$C" 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"')), but media flows one way only: the caller $IP_A:6000 sends $a RTP packets (PCMU) to the callee's SDP address $IP_B:6000 for 5 s, the callee never sends any RTP to $IP_A:6000. Frame: the caller's first RTP packet."
      ;;
    rtp-no-media)
      topo_pair; cap "$NS_A" vA "$C"
      call uac-call.xml uas-call.xml -d 4000
      sleep 0.5
      # call 2: another media port on each side (-mp), answered, no RTP
      CID="$1-2-%u@%s" call uac-silent.xml uas-silent.xml -d 4000 -mp 6010 -- -mp 6020
      stop_caps; ladder "$C"
      a=$(pkts "$C" $IP_A:6000 $IP_B:6000); b=$(pkts "$C" $IP_B:6000 $IP_A:6000)
      check "[ $a -ge 190 ] && [ $b -ge 190 ]" "call 1: expected ~200 RTP packets each way (got $a / $b)"
      check "[ \$(pkts $C $IP_A:6010 $IP_B) = 0 ] && [ \$(pkts $C $IP_B:6020 $IP_A) = 0 ] && [ \$(pkts $C $IP_B $IP_A:6010) = 0 ] && [ \$(pkts $C $IP_A $IP_B:6020) = 0 ]" "call 2 must have no RTP"
      check "[ \$(sfr $C 'sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\"' | tr , '\n' | wc -l) = 2 ]" "expected two answered calls"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      n=$(sfr "$C" 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"' | cut -d, -f2)
      expect "$1.pcap" one-way-rtp error "$n" \
        "Two calls between the same hosts. Call 1 (Call-ID $(tshark -r "$C" -Y 'sip.Method == "INVITE"' -T fields -e sip.Call-ID 2>/dev/null | head -1)) is clean: two-way PCMU RTP $IP_A:6000 <-> $IP_B:6000 for 4 s ($a / $b packets). Call 2 (Call-ID $(tshark -r "$C" -Y 'sip.Method == "INVITE"' -T fields -e sip.Call-ID 2>/dev/null | sed -n 2p)) is answered with a=sendrecv on both sides, SDP $IP_A:6010 and $IP_B:6020, and lasts 4 s until BYE, but no RTP flows in either direction. Frame: call 2's 200 OK. Call 1 must not be reported."
      ;;
    nat-no-comedia|nat-comedia|nat-comedia-hangup)
      local P="$OUT/$1-pbx.pcap" L="$OUT/$1-phone.pcap" PH=10.0.0.2 PBX=203.0.113.10 WAN=198.51.100.1
      IP_A=$PH IP_B=$PBX
      topo_nat
      cap "$NS_B" vB "$P"; cap "$NS_A" vA "$L"
      if [ "$1" = nat-no-comedia ]; then
        call uac-call.xml uas-call.xml -d 5000 -s pbx
      elif [ "$1" = nat-comedia ]; then
        call uac-call.xml uas-echo.xml -d 5000 -s pbx -- -rtp_echo
      else
        # the PBX hangs up: its BYE goes to the NAT's public mapping of the
        # phone's SIP port (where the INVITE came from) and reaches the phone
        call uac-wait-bye.xml uas-echo-bye.xml -s pbx -- -rtp_echo -d 5000
      fi
      stop_caps; ladder "$P"; ladder "$L"
      # the phone's SDP names its private address: sdp-nat is right on both sides
      local inv_p inv_l
      inv_p=$(tshark -r "$P" -Y 'sip.Method == "INVITE"' -T fields -e frame.number 2>/dev/null | head -1)
      inv_l=$(tshark -r "$L" -Y 'sip.Method == "INVITE"' -T fields -e frame.number 2>/dev/null | head -1)
      if [ "$1" = nat-comedia-hangup ]; then
        # the PBX's BYE reached the phone through the NAT and was answered:
        # the private Contact did no harm in this call
        local bye
        bye=$(sfr "$P" 'sip.Method == "BYE" && ip.src == '$PBX)
        check "[ \$(sfr $P 'sip.Status-Code == 200 && sip.CSeq.method == \"BYE\" && ip.dst == $PBX') -gt $bye ]" "the phone must answer the PBX's BYE"
        expect "$1-pbx.pcap" sdp-nat info "$inv_p" \
          "The INVITE arrives from the NAT's public address $WAN with a private Contact $PH and no rport, but the PBX's BYE (frame $bye) goes to $WAN:5070, where the INVITE came from, reaches the phone through the NAT and is answered 200: in-dialog requests did reach it, so the Contact finding is an info; the SDP's private c= is an info too (the PBX latches: RTP both ways). No warning."
      else
        # the Contact is private with no rport and no in-dialog request ever
        # goes to the phone: that warning stands whatever the media does
        expect "$1-pbx.pcap" sdp-nat warning "$inv_p" \
          "The INVITE arrives from the NAT's public address $WAN but its Contact says $PH (private), with no rport, and the capture shows no in-dialog request reaching the phone: in-dialog requests aimed at $PH cannot cross the NAT."
      fi
      if [ "$1" = nat-no-comedia ]; then
        expect "$1-pbx.pcap" sdp-nat warning "$inv_p" \
          "Its SDP says c=IN IP4 $PH too, and the PBX does not latch: the media to $PH is lost (one-way-rtp says so)."
        expect "$1-phone.pcap" sdp-nat warning "$inv_l" \
          "LAN side: the INVITE goes from $PH to the public PBX $PBX with c=IN IP4 $PH, a private address the PBX cannot reach, and no RTP comes back."
      else
        # the PBX latches (comedia): the capture shows the risk mitigated
        expect "$1-pbx.pcap" sdp-nat info "$inv_p" \
          "Its SDP says c=IN IP4 $PH, but the PBX latches: it sends its RTP back to $WAN:6000, where the phone's RTP comes from, and audio flows both ways: the SDP finding is an info (risk mitigated by symmetric RTP), not a warning."
        expect "$1-phone.pcap" sdp-nat info "$inv_l" \
          "LAN side: the INVITE goes from $PH to the public PBX $PBX with c=IN IP4 $PH, a private address the PBX could not reach, but RTP comes back to $PH:6000 through the NAT (the PBX latched): info, mitigated."
      fi
      # PBX side: the phone's RTP arrives from the NAT's public mapping
      a=$(pkts "$P" $WAN:6000 $PBX:6000)
      check "[ $a -ge 240 ] && [ \$(pkts $L $PH:6000 $PBX:6000) -ge 240 ]" "expected ~250 RTP packets phone -> PBX on both sides (PBX side $a)"
      check "[ \$(nstr $P $PH:6000 $PBX) = 0 ] && [ \$(nstr $P $PBX $PH) -le 1 ]" "unexpected streams on the PBX side"
      if [ "$1" = nat-no-comedia ]; then
        b=$(pkts "$P" $PBX:6000 $PH:6000)
        check "[ $b -ge 240 ] && [ \$(pkts $P $PBX $WAN) = 0 ]" "PBX side: expected ~250 RTP packets PBX -> 10.0.0.2 and none to the NAT (got $b)"
        check "[ \$(pkts $L $PBX $PH) = 0 ] && [ \$(nstr $L $PBX $PH) = 0 ]" "phone side must see no RTP from the PBX"
        check "[ \$(icmps $P) = 0 ] && [ \$(icmps $L) = 0 ]" "unexpected ICMP"
        expect "$1-pbx.pcap" one-way-rtp error "$(rfr "$P" $PBX:6000 $PH:6000),$(rfr "$P" $WAN:6000 $PBX:6000)" \
          "PBX-side capture, NAT without SIP ALG and a PBX without symmetric RTP: the phone's INVITE arrives from $WAN with c=IN IP4 $PH (m=audio 6000), the call is answered (a=sendrecv) and lasts 5 s. The PBX sends its $b RTP packets to the SDP address $PH:6000, a private address it cannot reach (the NAT drops them: no connection it tracks), while the phone's $a RTP packets arrive from $WAN:6000, not from the SDP address, and the PBX never sends anything back to $WAN:6000: the phone hears nothing. Frames: the PBX's first RTP packet to $PH and the first RTP packet from $WAN."
        expect "$1-phone.pcap" one-way-rtp error "$(rfr "$L" $PH:6000 $PBX:6000)" \
          "LAN-side capture of the same call: the phone $PH:6000 sends $(pkts "$L" $PH:6000 $PBX:6000) RTP packets to the PBX's SDP address $PBX:6000 for 5 s after the 200 OK (a=sendrecv), but no RTP ever comes back: one-way audio. Frame: the phone's first RTP packet."
      else
        b=$(pkts "$P" $PBX:6000 $WAN:6000)
        check "[ $b -ge 240 ] && [ \$(pkts $P $PBX $PH) = 0 ]" "PBX side: expected ~250 RTP packets PBX -> $WAN:6000 and none to 10.0.0.2 (got $b)"
        check "[ \$(pkts $L $PBX:6000 $PH:6000) -ge 240 ]" "phone side: expected the PBX's RTP to come back through the NAT"
        check "[ \$(icmps $P) = 0 ] && [ \$(icmps $L) = 0 ]" "unexpected ICMP"
        clean "$1-pbx.pcap" "PBX-side capture, NAT without SIP ALG but a PBX doing symmetric RTP (comedia): the INVITE arrives from $WAN with c=IN IP4 $PH (private, so an sdp-nat finding is right), the phone's RTP arrives from $WAN:6000 and the PBX sends its RTP back to exactly that address and port ($a packets in, $b out, PBX port 6000); audio flows both ways, so one-way-rtp must not fire. The PBX is SIPp -rtp_echo: its packets are the phone's packets echoed, so they carry the phone's SSRC, sequence numbers and timestamps."
        clean "$1-phone.pcap" "LAN-side capture of the same call: two-way RTP $PH:6000 <-> $PBX:6000 through the NAT ($(pkts "$L" $PH:6000 $PBX:6000) packets out, $(pkts "$L" $PBX:6000 $PH:6000) back); the PBX's packets are echoes (same SSRC as the phone's stream)."
      fi
      ;;
    rtp-loss)
      topo_bridge
      # a lossy link: the bridge drops ~5 % of the callee's RTP (only that
      # direction; SIP and the caller's RTP pass untouched)
      nsx "$NS_R" nft -f - <<EOF
table bridge lossy {
  chain fw {
    type filter hook forward priority 0; policy accept;
    ip saddr $IP_B udp sport 6000 numgen random mod 100 < 5 counter drop
  }
}
EOF
      cap "$NS_A" vA "$C"
      call uac-call.xml uas-call.xml -d 8000
      stop_caps; ladder "$C"
      nsx "$NS_R" nft list table bridge lossy | grep -o 'packets [0-9]*' | sed 's/^/  bridge dropped /'
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      local lb la
      lb=$(fig "$C" $IP_B $IP_A 6); la=$(fig "$C" $IP_A $IP_B 6)
      check "[ $a -ge 390 ] && [ $la = 0 ]" "caller -> callee: expected ~400 packets, no loss (got $a, lost $la)"
      check "[ \$((b + lb)) -ge 390 ] && [ $lb -ge 8 ] && [ $lb -le 40 ]" "callee -> caller: expected ~400 packets with 2-10 % lost (got $b, lost $lb)"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      expect "$1.pcap" rtp-quality warning "$(rfr "$C" $IP_B $IP_A)" \
        "Two-way PCMU call for 8 s, but a lossy link between the hosts (a bridge dropping ~5 % at random) loses $lb of the callee's $((b + lb)) RTP packets ($(awk -v l=$lb -v n=$((b + lb)) 'BEGIN { printf "%.1f", 100 * l / n }') %, sequence-number gaps) in the stream $IP_B:6000 -> $IP_A:6000: loss > 1 %. The caller's stream $IP_A:6000 -> $IP_B:6000 ($a packets) has no loss. Frame: the callee stream's first RTP packet. No one-way-rtp: media flows both ways."
      ;;
    rtp-jitter)
      topo_bridge
      # bufferbloat: a token bucket (4 Mbit/s, up to 1 s of queue) on the
      # bridge port towards the caller, shared with bursty cross traffic
      # (200 KB +-50 % every 0.42-0.46 s, ~90 % of the rate)
      nsx "$NS_R" tc qdisc add dev rA root tbf rate ${JRATE:-4mbit} burst ${JBURST:-3000} latency ${JLAT:-1s}
      nsx "$NS_A" iptables -A INPUT -p udp --dport 9 -j DROP
      cap "$NS_A" vA "$C" not udp port 9
      bg_sipp callee "$NS_B" uas-call.xml $IP_B 5060
      nsx "$NS_B" "$PY" "$SF/xtraffic.py" $IP_A 9.5 ${JBYTES:-200000} ${JGMIN:-0.42} ${JGMAX:-0.46} 2>"$WORK/xtraffic.log" &
      PIDS+=("$!")
      fg_sipp caller "$NS_A" uac-call.xml $IP_A 5070 -d 8000 $IP_B:5060
      wait_bg callee
      stop_caps; ladder "$C"
      cat "$WORK/xtraffic.log" >&2 || true
      nsx "$NS_R" tc -s qdisc show dev rA | sed 's/^/  /'
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      local jb ja lb
      jb=$(fig "$C" $IP_B $IP_A 9); ja=$(fig "$C" $IP_A $IP_B 9); lb=$(fig "$C" $IP_B $IP_A 6)
      check "[ $a -ge 390 ] && [ $b -ge 390 ] && [ $lb = 0 ]" "expected ~400 RTP packets each way and no loss (got $a / $b, lost $lb)"
      check "awk -v j=$jb -v k=$ja 'BEGIN { exit !(j > 32 && k < 5) }'" "expected the callee's mean jitter > 32 ms and the caller's < 5 ms (got $jb / $ja)"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      expect "$1.pcap" rtp-quality warning "$(rfr "$C" $IP_B $IP_A)" \
        "Two-way PCMU call for 8 s through a congested link: the callee's stream $IP_B:6000 -> $IP_A:6000 shares a 4 Mbit/s token-bucket queue with bursts of cross traffic (not in the capture), so its packets wait 0 to ~0.5 s and arrive in clumps: mean interarrival jitter $jb ms (max $(fig "$C" $IP_B $IP_A 8) ms, max delta $(fig "$C" $IP_B $IP_A 7) ms) > 30 ms, no loss ($b packets). The caller's stream $IP_A:6000 -> $IP_B:6000 is smooth (mean jitter $ja ms). Frame: the callee stream's first RTP packet."
      ;;
    rtp-hold)
      topo_pair; cap "$NS_A" vA "$C"
      call uac-hold.xml uas-hold.xml -d 3000
      stop_caps; ladder "$C"
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      local hold200 lastb
      hold200=$(sfr "$C" 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE" && sip.CSeq.seq == 2')
      lastb=$(tshark -r "$C" "${TS[@]}" -Y "rtp && ip.src==$IP_B" -T fields -e frame.number 2>/dev/null | tail -1)
      check "[ $a -ge 290 ] && [ $b -ge 140 ] && [ $b -le 170 ]" "expected ~300 RTP packets from the caller and ~150 from the callee (got $a / $b)"
      check "[ $lastb -lt $hold200 ]" "the callee's RTP must stop at the hold 200 OK (last RTP $lastb, 200 $hold200)"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "Hold with music on hold: two-way PCMU RTP $IP_A:6000 <-> $IP_B:6000 for 3 s, then the caller's re-INVITE (CSeq 2, frame $(sfr "$C" 'sip.Method == "INVITE" && sip.CSeq.seq == 2')) offers a=sendonly and the callee answers a=recvonly (frame $hold200) and stops sending (its last RTP packet is frame $lastb), while the caller keeps streaming for 3 s more (caller $a packets, callee $b). One-way media that matches the negotiated direction is not one-way-rtp; no loss, jitter < 1 ms."
      ;;
    rtp-early-media)
      topo_pair; cap "$NS_A" vA "$C"
      call uac-early.xml uas-early.xml -d 4000
      stop_caps; ladder "$C"
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      local ok fb fa
      ok=$(sfr "$C" 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"')
      fb=$(rfr "$C" $IP_B $IP_A); fa=$(rfr "$C" $IP_A $IP_B)
      check "[ $a -ge 190 ] && [ $b -ge 290 ]" "expected ~200 RTP packets from the caller and ~300 from the callee (got $a / $b)"
      check "[ $fb -lt $ok ] && [ $fa -gt $ok ] && [ \$(nstr $C $IP_B $IP_A) = 1 ]" "the callee's stream must start before the 200 OK, the caller's after it"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "Early media, then answer: 183 Session Progress with SDP (frame $(sfr "$C" 'sip.Status-Code == 183')) and the callee's RTP $IP_B:6000 -> $IP_A:6000 starting at frame $fb, 2 s before the 200 OK (frame $ok); the caller sends nothing until the answer, then both directions flow for 4 s (one callee stream, $b packets, SSRC unchanged across the answer; caller $a packets from frame $fa); BYE. No finding: one-way media during early media is normal."
      ;;
    rtp-early-only)
      topo_pair; cap "$NS_A" vA "$C"
      call uac-early.xml uas-early-reject.xml
      stop_caps; ladder "$C"
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      local rej lastb
      rej=$(sfr "$C" 'sip.Status-Code == 486')
      lastb=$(tshark -r "$C" "${TS[@]}" -Y "rtp && ip.src==$IP_B" -T fields -e frame.number 2>/dev/null | tail -1)
      check "[ $a = 0 ] && [ $b -ge 90 ] && [ $b -le 110 ]" "expected ~100 early RTP packets from the callee and none from the caller (got $a / $b)"
      check "[ \$(tshark -r $C -Y 'sip.Status-Code == 200' 2>/dev/null | wc -l) = 0 ] && [ $lastb -lt $rej ]" "the call must never be answered and the early media must stop before the 486"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "Early media only: 183 Session Progress with SDP (frame $(sfr "$C" 'sip.Status-Code == 183')), the callee plays $b RTP packets (2 s, $IP_B:6000 -> $IP_A:6000, from frame $(rfr "$C" $IP_B $IP_A)) like an announcement, the caller sends none, then the call is rejected with 486 Busy Here (frame $rej) and ACKed: never answered, so no one-way-rtp (a failed call may be reported by the call rules, not by the media ones)."
      ;;
    rtp-reinvite-port)
      topo_pair; cap "$NS_A" vA "$C"
      # the callee's new media port 6000 (= -mp, from where play_pcap_audio
      # sends): a receive-only socket takes the caller's RTP there. It is
      # bound first (without SO_REUSEADDR), so SIPp's rtp_stream, which
      # starts at -mp, takes the next free port, 6002, for the call's first
      # media
      # after its re-INVITE the callee's media is on -mp + 10 = 6010:
      # play_pcap_audio sends from there (SIPp's raw socket), and a
      # receive-only socket takes the caller's RTP there (SIPp binds only
      # -mp and -mp + 2)
      nsx "$NS_B" timeout 60 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 6010))
while True:
    s.recv(4096)' $IP_B &
      PIDS+=("$!"); sleep 0.3
      call uac-newport.xml uas-newport.xml -d 3000 -- -mp 6000
      stop_caps; ladder "$C"
      local a1 a2 b1 b2 re
      a1=$(pkts "$C" $IP_A:6000 $IP_B:6000); a2=$(pkts "$C" $IP_A:6000 $IP_B:6010)
      b1=$(pkts "$C" $IP_B:6000 $IP_A:6000); b2=$(pkts "$C" $IP_B:6010 $IP_A:6000)
      re=$(sfr "$C" 'sip.Method == "INVITE" && ip.src == '$IP_B)
      check "[ $a1 -ge 140 ] && [ $a2 -ge 140 ] && [ $b1 -ge 140 ] && [ $b2 -ge 140 ]" "expected ~150 RTP packets on each leg before/after the move (caller $a1/$a2, callee $b1/$b2)"
      check "[ \$(tshark -r $C ${TS[*]} -Y \"rtp && frame.number > $re + 50 && (udp.srcport == 6000 && ip.src == $IP_B || udp.dstport == 6000 && ip.dst == $IP_B)\" 2>/dev/null | wc -l) = 0 ]" "old callee port 6000 still in use after the re-INVITE"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "Media moves to a new port mid-call: two-way PCMU RTP $IP_A:6000 <-> $IP_B:6000 for 3 s ($a1 / $b1 packets), then the callee's re-INVITE (its CSeq 1, frame $re; SDP o= version 2003, m=audio 6010) moves its media to port 6010; after the 200/ACK the caller sends to $IP_B:6010 ($a2 packets; same SSRC, sequence continues) and the callee sends from $IP_B:6010 with a new SSRC 0x5EED0002 ($b2 packets, from frame $(rfr "$C" $IP_B:6010 $IP_A:6000)) until BYE. Before and after the move media flows both ways between the SDP addresses: no one-way-rtp; the old streams simply end at the re-INVITE."
      ;;
    rtcp|rtcp-mux)
      need baresip
      local mux=no; [ "$1" = rtcp-mux ] && mux=yes
      topo_pair
      bs_conf "$WORK/bs-a" $IP_A alice 40000 $mux
      bs_conf "$WORK/bs-b" $IP_B bob 41000 $mux "answermode=auto;"
      cap "$NS_A" vA "$C"
      nsx "$NS_B" timeout 60 baresip -f "$WORK/bs-b" >"$WORK/bs-b.log" 2>&1 &
      local pb=$!; PIDS+=("$pb")
      nsx "$NS_A" timeout 60 baresip -f "$WORK/bs-a" >"$WORK/bs-a.log" 2>&1 &
      local pa=$!; PIDS+=("$pa")
      bs_wait "$NS_A"; bs_wait "$NS_B"
      bs_ctl "$NS_A" dial "sip:bob@$IP_B"
      sleep 11
      bs_ctl "$NS_A" hangup
      sleep 1
      bs_ctl "$NS_A" quit; bs_ctl "$NS_B" quit
      wait "$pa" "$pb" 2>/dev/null || true
      stop_caps; ladder "$C"
      tshark -r "$C" -Y rtcp -T fields -e frame.number -e frame.time_relative -e ip.src -e udp.srcport \
        -e ip.dst -e udp.dstport -e rtcp.pt -e rtcp.senderssrc 2>/dev/null | sed 's/^/  RTCP /'
      local ra rb sa sb ssa ssb pa_ pb_ rp
      ra=$(streams "$C" | awk -F'\t' -v s=$IP_A '$1 ~ "^" s ":" { print $1; exit }')
      rb=$(streams "$C" | awk -F'\t' -v s=$IP_B '$1 ~ "^" s ":" { print $1; exit }')
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      check "[ $a -ge 520 ] && [ $b -ge 520 ] && [ \$(nstr $C $IP_A $IP_B) = 1 ] && [ \$(nstr $C $IP_B $IP_A) = 1 ]" "expected one stream of ~550 RTP packets each way (got $a / $b)"
      pa_=${ra#*:}; pb_=${rb#*:}
      if [ $mux = yes ]; then rp=0; else rp=1; fi
      # RTCP from each side: on the RTP port (+1 unless muxed), SRs every ~5 s, a BYE at the end
      sa=$(tshark -r "$C" -Y "rtcp.pt == 200 && ip.src == $IP_A && udp.srcport == $((pa_ + rp)) && udp.dstport == $((pb_ + rp))" 2>/dev/null | wc -l)
      sb=$(tshark -r "$C" -Y "rtcp.pt == 200 && ip.src == $IP_B && udp.srcport == $((pb_ + rp)) && udp.dstport == $((pa_ + rp))" 2>/dev/null | wc -l)
      check "[ $sa -ge 2 ] && [ $sb -ge 2 ]" "expected at least 2 RTCP SRs each way on RTP port + $rp (got $sa / $sb)"
      check "[ \$(tshark -r $C -Y 'rtcp.pt == 203' 2>/dev/null | wc -l) -ge 2 ]" "expected an RTCP BYE from each side"
      if [ $mux = yes ]; then
        check "[ \$(tshark -r $C -Y 'sdp.media_attr == \"rtcp-mux\"' 2>/dev/null | wc -l) = 2 ]" "expected a=rtcp-mux in offer and answer"
      else
        check "[ \$(tshark -r $C -Y 'sdp.media_attr == \"rtcp-mux\"' 2>/dev/null | wc -l) = 0 ]" "unexpected a=rtcp-mux"
      fi
      check "[ \$(icmps $C) -le 2 ]" "too much ICMP"
      ssa=$(fig "$C" $IP_A $IP_B 3); ssb=$(fig "$C" $IP_B $IP_A 3)
      local what="RTCP on port+1 (RTP $ra <-> $rb, RTCP ${IP_A}:$((pa_ + 1)) <-> ${IP_B}:$((pb_ + 1)))"
      [ $mux = yes ] && what="RTP and RTCP multiplexed on one port each (a=rtcp-mux in offer and answer; $ra <-> $rb)"
      clean "$1.pcap" "Clean answered call between two baresip 1.0.0 phones, PCMU both ways for ~11 s ($a / $b RTP packets, SSRC $ssa / $ssb), with $what: each side sends an RTCP APP 'PING' at the start, Sender Reports (with a reception report block on the other side's SSRC and SDES CNAME) every ~5 s ($sa from the caller, $sb from the callee) and an RTCP BYE when the call ends. The report blocks agree with the RTP (fraction and cumulative lost 0, interarrival jitter ~10 timestamp units, i.e. ~1-2 ms; the second round carries LSR/DLSR). The callee's RTCP BYE arrives after the caller has closed its media sockets, so the last frame is usually an ICMP port unreachable for it: normal teardown, not a media fault."
      ;;
    rtp-port-reuse)
      # two calls one after the other between the same hosts and the same
      # media ports (6000 <-> 6000; SIPp even reuses SSRC 0xCA110000): the
      # second call's streams start 1 s after the first call's BYE, while
      # the first call is still remembered (calls linger 5 s)
      topo_pair; cap "$NS_A" vA "$C"
      call uac-call.xml uas-call.xml -d 3000
      sleep 1
      CID="$1-2-%u@%s" call uac-call.xml uas-call.xml -d 3000
      # a third call the same way: by then call 1 is finalised and leaves
      # the flow, call 2 not yet
      sleep 1
      CID="$1-3-%u@%s" call uac-call.xml uas-call.xml -d 3000
      stop_caps; ladder "$C"
      local bye1 inv2 first2
      a=$(pkts "$C" $IP_A:6000 $IP_B:6000); b=$(pkts "$C" $IP_B:6000 $IP_A:6000)
      bye1=$(sfr "$C" 'sip.Method == "BYE"' | cut -d, -f1)
      inv2=$(sfr "$C" 'sip.Method == "INVITE"' | cut -d, -f2)
      first2=$(tshark -r "$C" "${TS[@]}" -Y "rtp && frame.number > $inv2" -T fields -e frame.number 2>/dev/null | head -1)
      check "[ $a -ge 435 ] && [ $b -ge 435 ]" "expected ~450 RTP packets each way over the three calls (got $a / $b)"
      check "[ \$(tshark -r $C ${TS[*]} -Y \"rtp && frame.number > $bye1 + 4 && frame.number < $inv2\" 2>/dev/null | wc -l) = 0 ]" "RTP between the calls"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "Three clean calls one after the other on the same media ports: call 1 (Call-ID $(tshark -r "$C" -Y 'sip.Method == "INVITE"' -T fields -e sip.Call-ID 2>/dev/null | head -1)) has two-way PCMU RTP $IP_A:6000 <-> $IP_B:6000 for 3 s and ends with the BYE at frame $bye1; call 2 (INVITE frame $inv2, 1 s later) announces the same ports and its RTP starts at frame $first2, same addresses, same SSRC 0xCA110000 (SIPp); call 3 (INVITE frame $(sfr "$C" 'sip.Method == "INVITE"' | cut -d, -f3)) does the same after call 2. Each call has its own two streams of ~150 packets: a call's streams start after the previous call ended, so they are not the previous call's ($a / $b packets each way in all). No finding."
      ;;
    rtp-reinvite-opus)
      topo_pair; cap "$NS_A" vA "$C"
      # -mp: play_pcap_audio sends from the media port (without it, from port 0)
      call uac-opus.xml uas-opus.xml -d 3000 -mp 6000 -- -mp 6000
      stop_caps; ladder "$C"
      local re n96a n96b n0
      re=$(sfr "$C" 'sip.Method == "INVITE" && sip.CSeq.seq == 2')
      n96a=$(tshark -r "$C" "${TS[@]}" -Y "rtp.p_type == 96 && ip.src == $IP_A" 2>/dev/null | wc -l)
      n96b=$(tshark -r "$C" "${TS[@]}" -Y "rtp.p_type == 96 && ip.src == $IP_B" 2>/dev/null | wc -l)
      n0=$(tshark -r "$C" "${TS[@]}" -Y "rtp.p_type == 0" 2>/dev/null | wc -l)
      check "[ $n96a -ge 140 ] && [ $n96b -ge 140 ] && [ $n0 -ge 280 ]" "expected ~150 PT 96 packets each way and ~300 PCMU (got $n96a / $n96b / $n0)"
      check "[ \$(tshark -r $C ${TS[*]} -Y \"rtp.p_type == 96 && frame.number < $re\" 2>/dev/null | wc -l) = 0 ]" "PT 96 before the re-INVITE"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "Codec renegotiated mid-call: two-way PCMU (PT 0) RTP $IP_A:6000 <-> $IP_B:6000 for 3 s, then the caller's re-INVITE (CSeq 2, frame $re) offers only PT 96 = opus/48000/2 (the initial SDP had no PT 96), answered with PT 96 opus; then each side sends PT 96 with 48 kHz timestamps (960 per 20 ms) and a new SSRC ($n96a packets from the caller, SSRC 0x0B05A001, $n96b from the callee, 0x0B05B002; sent by SIPp play_pcap_audio, payload bytes not real opus) until BYE. The PT 96 streams are opus/48000 (the rtpmap in force when they flowed), not unknown; no finding."
      ;;
    rtp-heavy-loss)
      topo_bridge
      # a link that loses almost everything: ~98 % of the callee's RTP
      nsx "$NS_R" nft -f - <<EOF
table bridge lossy {
  chain fw {
    type filter hook forward priority 0; policy accept;
    ip saddr $IP_B udp sport 6000 numgen random mod 100 < 98 counter drop
  }
}
EOF
      cap "$NS_A" vA "$C"
      call uac-call.xml uas-call.xml -d 20000
      stop_caps; ladder "$C"
      a=$(pkts "$C" $IP_A $IP_B); b=$(pkts "$C" $IP_B $IP_A)
      check "[ $a -ge 950 ] && [ $b -ge 5 ] && [ $b -le 60 ]" "expected ~1000 packets from the caller and ~20 from the callee (got $a / $b)"
      expect "$1.pcap" rtp-quality warning "$(rfr "$C" $IP_B $IP_A)" \
        "Two-way PCMU call for 20 s across a bridge that drops ~98 % of the callee's RTP (nftables numgen random mod 100 < 98): only $b of ~1000 packets of $IP_B:6000 -> $IP_A:6000 arrive (sequence gaps). Loss far above 1 %: rtp-quality; the E-model R is at its floor, so MOS is 1 (G.107 holds MOS within 1..4.5, never 0.99). The caller's stream ($a packets) is clean. Frame: the callee stream's first RTP packet."
      ;;
    rtp-relay|rtp-relay-one-way)
      # caller A -- [bridge] -- callee B, and on the same bridge the proxy +
      # media relay P 192.0.2.30 (relay.py: Kamailio + rtpproxy done in a
      # few lines of python, because Debian 12 has no rtpproxy): SIP and RTP
      # both go through P, which rewrites the SDP to name its relay ports
      # (20000 towards the caller, 20002 towards the callee) and forwards
      # the RTP untouched (same SSRC, sequence numbers, timestamps).
      # tcpdump on P's link sees both legs of every packet.
      local IP_P=192.0.2.30 NS_P="${NSP}p"
      topo_bridge
      mk_ns "$NS_P"
      ip link add vP netns "$NS_P" address 02:00:00:00:00:0c type veth peer name rP netns "$NS_R" address 02:00:00:00:01:0c
      nsx "$NS_R" ip link set rP master br0
      nsx "$NS_R" ip link set rP up
      nsx "$NS_P" ip addr add $IP_P/24 dev vP
      nsx "$NS_P" ip link set vP up
      cap "$NS_P" vP "$C"
      nsx "$NS_P" timeout 60 "$PY" "$SF/relay.py" $IP_P $IP_A:5070 $IP_B:5060 20000 20002 rewrite >"$WORK/relay.log" 2>&1 &
      PIDS+=("$!"); sleep 0.5
      # rtp-relay-one-way: the callee sends no RTP (uas-silent.xml)
      local uas=uas-call.xml; [ "$1" = rtp-relay-one-way ] && uas=uas-silent.xml
      bg_sipp callee "$NS_B" $uas $IP_B 5060
      fg_sipp caller "$NS_A" uac-call.xml $IP_A 5070 -d 5000 $IP_P:5060
      wait_bg callee
      ip netns del "$NS_P" 2>/dev/null || true
      stop_caps; ladder "$C"
      local a1 a2 b1 b2
      a1=$(pkts "$C" $IP_A:6000 $IP_P:20000); a2=$(pkts "$C" $IP_P:20002 $IP_B:6000)
      b1=$(pkts "$C" $IP_B:6000 $IP_P:20002); b2=$(pkts "$C" $IP_P:20000 $IP_A:6000)
      check "[ \$(pkts $C $IP_A $IP_B) = 0 ] && [ \$(pkts $C $IP_B $IP_A) = 0 ]" "RTP bypassed the relay"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      if [ "$1" = rtp-relay-one-way ]; then
        check "[ $a1 -ge 240 ] && [ $a2 -ge 240 ] && [ $b1 = 0 ] && [ $b2 = 0 ]" "expected ~250 RTP packets on both caller legs and none from the callee (got $a1 $a2 $b1 $b2)"
        expect "$1.pcap" one-way-rtp error "$(rfr "$C" $IP_A:6000 $IP_P:20000)" \
          "The same call through the proxy and media relay $IP_P, but the callee (SIPp without rtp_stream) sends no RTP: only the caller's stream, seen on both legs, $IP_A:6000 -> $IP_P:20000 ($a1 packets) and relayed $IP_P:20002 -> $IP_B:6000 ($a2 packets, same SSRC and sequence numbers). One-way audio; the count is one leg's ($a1 packets), not both legs' sum. Frame: the caller's first RTP packet into the relay."
        write_manifests
        return
      fi
      check "[ $a1 -ge 240 ] && [ $a2 -ge 240 ] && [ $b1 -ge 240 ] && [ $b2 -ge 240 ]" "expected ~250 RTP packets on each of the four legs (got $a1 $a2 $b1 $b2)"
      clean "$1.pcap" "Call through a SIP proxy with a media relay on $IP_P (relay.py, a stand-in for Kamailio + rtpproxy), captured on the relay's link: the caller's INVITE names $IP_A:6000, the proxy forwards it to the callee naming the relay $IP_P:20002; the callee answers $IP_B:6000, the caller gets $IP_P:20000. Each RTP packet is seen twice, once per leg, with the same SSRC (0xCA110000, SIPp) and sequence number: caller -> relay $IP_A:6000 -> $IP_P:20000 ($a1 packets) and relay -> callee $IP_P:20002 -> $IP_B:6000 ($a2), callee -> relay $IP_B:6000 -> $IP_P:20002 ($b1) and relay -> caller $IP_P:20000 -> $IP_A:6000 ($b2). Four streams, two legs per direction through the relay $IP_P, each leg counted on its own (not one stream of twice the packets); no finding."
      ;;
    rtp-after-bye)
      # a clean call, then 2.5 s after its BYE a new RTP stream on the same
      # addresses (stray media: a phone or media server that starts sending
      # to the old port after the call, here a python sender, labelled) while
      # the call is still remembered (calls linger 5 s). A receive-only
      # socket takes it on the caller's side (SIPp has exited).
      topo_pair; cap "$NS_A" vA "$C"
      call uac-call.xml uas-call.xml -d 3000
      nsx "$NS_A" timeout 10 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 6000))
while True:
    s.recv(4096)' $IP_A &
      PIDS+=("$!")
      sleep 2.5
      nsx "$NS_B" "$PY" -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 6000))
for i in range(100):
    s.sendto(struct.pack("!BBHII", 0x80, 0, 7000 + i, 160 * i, 0x57A7B0E0) + b"\xff" * 160, (sys.argv[2], 6000))
    time.sleep(0.02)' $IP_B $IP_A
      sleep 0.5
      stop_caps; ladder "$C"
      local bye stray
      bye=$(sfr "$C" 'sip.Method == "BYE"')
      stray=$(first_rtp "$C" $IP_B:6000 $IP_A:6000 0x57A7B0E0)
      check "[ -n \"$stray\" ] && [ \$(pkts $C $IP_B:6000 $IP_A:6000) -ge 240 ] && [ \$(nstr $C $IP_B:6000 $IP_A:6000) = 2 ]" "expected the call's ~150 packets and 100 stray ones (another SSRC) from the callee's port"
      check "[ \$(icmps $C) = 0 ]" "unexpected ICMP"
      clean "$1.pcap" "A clean 3 s call 192.0.2.10:6000 <-> 192.0.2.20:6000 ended by BYE (frame $bye), then 2.5 s later a new RTP stream from 192.0.2.20:6000 to 192.0.2.10:6000 (SSRC 0x57A7B0E0, 100 packets from frame $stray; a python sender standing in for a phone that starts media after the call): it starts outside the call's span (BYE + 2 s), so it is not the call's, it is listed among the streams no SDP explains. The call keeps its own two streams; no finding."
      ;;
    *) echo "unknown capture: $1" >&2; exit 2 ;;
  esac
  write_manifests
}

case "${1:-all}" in
  all)  start_common; trap media_cleanup EXIT INT TERM
        for c in "${CAPTURES[@]}"; do bash "$0" "$c"; done ;;
  list) printf '%s\n' "${CAPTURES[@]}" ;;
  *)    start_common; trap media_cleanup EXIT INT TERM; one "$1" ;;
esac
