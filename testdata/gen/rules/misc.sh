#!/bin/bash
# Captures for sipaudit rules bye-481, sdp-nat, udp-too-large, malformed and
# a clean SUBSCRIBE/NOTIFY dialog, made with SIPp (scenarios in misc/) between
# network namespaces (plus a python3-stdlib B2BUA, misc/b2bua.py, for
# b2bua-481 because SIPp cannot bridge two Call-IDs in one scenario).
# Output: testdata/captures/rules/*.pcap; expected findings: EXPECTED.misc.tsv.
#   misc.sh bye-481-live      BYE (Request-URI != remote target) -> 481 on a live dialog
#   misc.sh bye-481-dup       BYE -> 200, second BYE -> 481 (benign)
#   misc.sh bye-481-wrong-tag BYE with a To-tag of no dialog -> 481, then BYE -> 200
#   misc.sh b2bua-481         A -> B2BUA -> C; B2BUA ends leg 2, A's BYE on leg 1 -> 481
#   misc.sh sdp-nat           phone 10.0.0.2 behind MASQUERADE to 198.51.100.1 calls a
#                             PBX 198.51.100.20: sdp-nat.pcap (PBX side) and
#                             sdp-nat-lan.pcap (LAN side), one call
#   misc.sh sdp-lan-ok        phone and PBX in one private LAN (clean)
#   misc.sh sdp-nat-hold      NAT'd phone, public SDP; hold re-INVITE a=inactive with
#                             the private c= (clean)
#   misc.sh sdp-nat-ice       NAT'd phone, private c= but ICE srflx candidate (clean)
#   misc.sh udp-too-large     ~2 KB INVITE over UDP, IP-fragmented at MTU 1500
#   misc.sh udp-small-ok      same call, short SDP (clean)
#   misc.sh tcp-large-ok      the ~2 KB INVITE over TCP (clean)
#   misc.sh malformed         a call plus 5 broken requests (literal SIPp sends)
#   misc.sh subscribe-notify  SUBSCRIBE/NOTIFY with two CSeq spaces (clean)
#   misc.sh manifest          rewrite EXPECTED.misc.tsv from the captures present
#                             (frame numbers read back with tshark: they move
#                             with ARP timing, so rerun after any regeneration)
#   misc.sh all               every capture above, then manifest (about 1 minute)
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/rules/misc"
OUT="$OUT_DIR/rules"
mkdir -p "$OUT"
NS_C="${NSP}c"   # third party (C, PBX) where needed
NS_R="${NSP}r"   # bridge / NAT router namespace

misc_cleanup() {
  cleanup
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_R" 2>/dev/null || true
}

# bg_sipp NAME NS SCENARIO IP PORT [sipp args...] -- background SIPp
bg_sipp() {
  local name=$1 ns=$2 sf=$3 ip=$4 port=$5; shift 5
  (cd "$WORK" && exec ip netns exec "$ns" timeout 90 sipp -sf "$SF/$sf" -i "$ip" -p "$port" \
     -nostdin -trace_err -error_file "$WORK/$name.err" "$@" >"$WORK/$name.log" 2>&1) &
  PIDS+=("$!")
  eval "PID_$name=$!"
  sleep 0.5
}

# fg_sipp NAME NS SCENARIO IP PORT [sipp args...] -- foreground SIPp, must succeed
fg_sipp() {
  local name=$1 ns=$2 sf=$3 ip=$4 port=$5; shift 5
  (cd "$WORK" && ip netns exec "$ns" timeout 90 sipp -sf "$SF/$sf" -i "$ip" -p "$port" \
     -nostdin -trace_err -error_file "$WORK/$name.err" "$@" >"$WORK/$name.log" 2>&1) \
    || { echo "sipp $name ($sf) failed:" >&2; tail -20 "$WORK/$name.log" "$WORK/$name.err" >&2 2>/dev/null; return 1; }
}

# two namespaces A 192.0.2.10 <-> B 192.0.2.20 (lib.sh mk_pair)
pair4() {
  mk_pair 4
  nsx "$NS_A" ip addr add "${1:-192.0.2.10}/24" dev vA
  nsx "$NS_B" ip addr add "${2:-192.0.2.20}/24" dev vB
}

# simple UAC -> UAS call, captured on vA
# (addresses: $IP_A / $IP_B, default 192.0.2.10 / 192.0.2.20)
simple_call() {  # out uac.xml uas.xml [extra sipp args...]
  local out=$1 uac=$2 uas=$3 a=${IP_A:-192.0.2.10} b=${IP_B:-192.0.2.20}; shift 3
  pair4 "$a" "$b"
  # no TCP segmentation offload: the capture shows wire-size (MSS) segments
  nsx "$NS_A" ip link set vA gso_max_segs 1
  nsx "$NS_B" ip link set vB gso_max_segs 1
  start_cap "$NS_A" vA "$out"
  bg_sipp uas "$NS_B" "$uas" "$b" 5060 -m 1 -s ${SVC:-bob} "$@"
  fg_sipp uac "$NS_A" "$uac" "$a" 5070 -m 1 -s ${SVC:-bob} "$@" "$b:5060"
  wait_bg uas
  stop_cap
  report "$out"
}

run_b2bua() {
  local out="$OUT/b2bua-481.pcap"
  mk_bridge3
  start_cap "$NS_B" vB "$out"      # every message of both legs passes the B2BUA
  bg_sipp c "$NS_C" uas-call.xml 192.0.2.30 5060 -m 1 -s carol
  nsx "$NS_B" timeout 60 "$PY" "$SF/b2bua.py" 192.0.2.20 5060 sip:carol@192.0.2.30:5060 192.0.2.30 5060 1.0 \
    >"$WORK/b2bua.log" 2>&1 &
  local bpid=$!; PIDS+=("$bpid"); sleep 0.5
  fg_sipp a "$NS_A" b2b-a-uac.xml 192.0.2.10 5070 -m 1 -s carol 192.0.2.20:5060
  wait_bg c
  wait "$bpid" || { echo "b2bua.py failed" >&2; cat "$WORK/b2bua.log" >&2; }
  stop_cap
  report "$out"
}

# phone NS_A 10.0.0.2 --(vA|rA 10.0.0.1)-- NAT NS_R --(rB 198.51.100.1|vB)-- PBX NS_B
# 198.51.100.20. NS_R MASQUERADEs LAN traffic to 198.51.100.1 (iptables; no
# SIP helper is attached, so no ALG rewrites the SIP/SDP text). The PBX has no
# route to 10.0.0.0/24.
mk_nat() {
  mk_ns "$NS_A" "$NS_B" "$NS_R"
  ip link add vA netns "$NS_A" address 02:00:00:00:00:0a type veth peer name rA netns "$NS_R" address 02:00:00:00:01:0a
  ip link add vB netns "$NS_B" address 02:00:00:00:00:0b type veth peer name rB netns "$NS_R" address 02:00:00:00:01:0b
  nsx "$NS_A" ip addr add 10.0.0.2/24 dev vA
  nsx "$NS_R" ip addr add 10.0.0.1/24 dev rA
  nsx "$NS_R" ip addr add 198.51.100.1/24 dev rB
  nsx "$NS_B" ip addr add 198.51.100.20/24 dev vB
  nsx "$NS_A" ip link set vA up; nsx "$NS_B" ip link set vB up
  nsx "$NS_R" ip link set rA up; nsx "$NS_R" ip link set rB up
  nsx "$NS_A" ip route add default via 10.0.0.1
  nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1
  nsx "$NS_R" iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -o rB -j MASQUERADE
}

# run_nat OUT_PBX_SIDE OUT_LAN_SIDE|- UAC.xml UAS.xml
run_nat() {
  local out=$1 lan=$2 uac=$3 uas=$4 cap1
  mk_nat
  if [ "$lan" != - ]; then start_cap "$NS_A" vA "$lan"; cap1=$CAP_PID; fi
  start_cap "$NS_B" vB "$out"
  bg_sipp uas "$NS_B" "$uas" 198.51.100.20 5060 -m 1 -s pbx
  fg_sipp uac "$NS_A" "$uac" 10.0.0.2 5070 -m 1 -s 2001 -key public_ip 198.51.100.1 198.51.100.20:5060
  wait_bg uas
  stop_cap
  report "$out"
  if [ "$lan" != - ]; then CAP_PID=$cap1; stop_cap; report "$lan"; fi
}

# ---------------------------------------------------------------- manifest
# frames FILE FILTER -> comma-separated frame numbers matching a tshark filter
frames() {
  tshark -r "$OUT/$1" -Y "$2" -T fields -e frame.number 2>/dev/null | paste -sd, -
}
# field FILE FILTER FIELD -> first value of FIELD in the frames matching FILTER
field() {
  tshark -r "$OUT/$1" -Y "$2" -T fields -e "$3" 2>/dev/null | head -1
}

write_manifest() {
  local m="$OUT/EXPECTED.misc.tsv" f
  for f in bye-481-live bye-481-dup bye-481-wrong-tag b2bua-481 sdp-nat sdp-nat-lan sdp-lan-ok \
           sdp-nat-hold sdp-nat-ice udp-too-large udp-small-ok tcp-large-ok malformed subscribe-notify; do
    [ -s "$OUT/$f.pcap" ] || { echo "manifest: $f.pcap missing (run misc.sh all)" >&2; return 1; }
  done
  {
    f=bye-481-live.pcap
    printf '%s\tbye-481\terror\t%s\t%s\n' $f \
      "$(frames $f 'sip.Status-Code==200 && sip.CSeq.method=="INVITE" || sip.Method=="BYE" || sip.Status-Code==481')" \
      "The dialog is confirmed and live (INVITE/180/200/ACK, no earlier BYE) when BYE CSeq 2 gets 481 3 s after the ACK, so the UAS lost the dialog; the capture shows why: the BYE's Request-URI $(field $f 'sip.Method=="BYE"' sip.r-uri) is not the remote target (Contact of the 200: $(field $f 'sip.Status-Code==200 && sip.CSeq.method=="INVITE"' sip.contact.uri)), which the ACK did use."
    f=bye-481-dup.pcap
    printf '%s\tbye-481\tinfo\t%s\t%s\n' $f \
      "$(frames $f 'sip.Method=="BYE" || sip.CSeq.method=="BYE"')" \
      "Benign duplicate: the dialog was already ended by BYE CSeq 2 -> 200, and the second BYE (CSeq 3, new branch, 1 s later) for the same dialog gets 481; no error or warning."
    f=bye-481-wrong-tag.pcap
    printf '%s\tbye-481\terror\t%s\t%s\n' $f \
      "$(frames $f 'sip.Method=="BYE" && sip.CSeq.seq==2 || sip.Status-Code==481')" \
      "The BYE (CSeq 2) carries To-tag $(field $f 'sip.Method=="BYE" && sip.CSeq.seq==2' sip.to.tag), which matches no dialog (the 200 OK set To-tag $(field $f 'sip.Status-Code==200 && sip.CSeq.method=="INVITE"' sip.to.tag)), so the sender built it wrong; the corrected BYE CSeq 3 -> 200 then ends the call normally."
    f=b2bua-481.pcap
    printf '%s\tbye-481\terror\t%s\t%s\n' $f \
      "$(frames $f 'sip.Method=="BYE" || sip.CSeq.method=="BYE"')" \
      "A's BYE on leg 1 (Call-ID $(field $f 'sip.Status-Code==481' sip.Call-ID)) gets 481 from the B2BUA although leg 1 was confirmed and never ended: the B2BUA's other leg (Call-ID $(field $f 'sip.Method=="BYE" && sip.CSeq.seq==102' sip.Call-ID), linked to leg 1 by X-Call-ID and an identical SDP body/o= line in its INVITE, frame $(frames $f 'sip.Method=="INVITE" && sip.CSeq.seq==101')) had already been torn down by the B2BUA's BYE -> 200 2 s earlier."
    f=sdp-nat.pcap
    printf '%s\tsdp-nat\twarning\t%s\t%s\n' $f "$(frames $f 'sip.Method=="INVITE"')" \
      "PBX-side capture: the INVITE arrives from the NAT's public address 198.51.100.1 but its SDP says c=IN IP4 10.0.0.2 (and Via/Contact 10.0.0.2, no rport), an RFC 1918 address unreachable from the PBX: one-way or no audio, lost in-dialog requests."
    f=sdp-nat-lan.pcap
    printf '%s\tsdp-nat\twarning\t%s\t%s\n' $f "$(frames $f 'sip.Method=="INVITE"')" \
      "LAN-side capture of the same call: the INVITE goes from 10.0.0.2 to the public PBX 198.51.100.20 with c=IN IP4 10.0.0.2 and Via/Contact 10.0.0.2, and no SIP ALG rewrites it on the way (see sdp-nat.pcap)."
    f=sdp-lan-ok.pcap
    printf '%s\t-\t-\t-\t%s\n' $f \
      "Clean: phone 10.0.0.2 and PBX 10.0.0.20 in one private LAN with no NAT; SDP, Via and Contact addresses are private but equal to the packets' own source addresses, so nothing is unroutable."
    f=sdp-nat-hold.pcap
    printf '%s\t-\t-\t-\t%s\n' $f \
      "Clean: NAT'd phone whose Via, Contact and initial SDP use its public mapping 198.51.100.1; only the hold re-INVITE (CSeq 2, frame $(frames $f 'sip.Method=="INVITE" && sip.CSeq.seq==2')) has the private c=IN IP4 10.0.0.2, and it is a=inactive (hold is never sdp-nat)."
    f=sdp-nat-ice.pcap
    printf '%s\t-\t-\t-\t%s\n' $f \
      "Clean (at most an sdp-nat info, never a warning): the INVITE (frame $(frames $f 'sip.Method=="INVITE"')) has private c=IN IP4 10.0.0.2 but ICE host+srflx candidates with the public mapping 198.51.100.1, the PBX answers with ICE (ice-lite, public candidate), and Via/Contact carry the public address."
    f=udp-too-large.pcap
    printf '%s\tudp-too-large\twarning\t%s\t%s\n' $f \
      "$(frames $f 'ip.flags.mf==1 || ip.frag_offset>0')" \
      "The INVITE sent over UDP is a $(( $(field $f 'sip.Method=="INVITE"' udp.length) - 8 ))-byte SIP message (> 1300 bytes: RFC 3261 18.1.1 requires a congestion-controlled transport) and was IP-fragmented at MTU 1500 into the listed frames (the last one completes the INVITE); NATs and firewalls often drop such fragments."
    f=udp-small-ok.pcap
    printf '%s\t-\t-\t-\t%s\n' $f \
      "Clean: the same UDP call with a short SDP (a $(( $(field $f 'sip.Method=="INVITE"' udp.length) - 8 ))-byte INVITE, not fragmented); ACK and BYE go to the remote target."
    f=tcp-large-ok.pcap
    printf '%s\t-\t-\t-\t%s\n' $f \
      "Clean: the same ~1.9 KB INVITE sent over TCP (congestion-controlled, as RFC 3261 18.1.1 asks), carried in 2 TCP segments; udp-too-large must not fire."
    f=malformed.pcap
    printf '%s\tmalformed\terror\t%s\t%s\n' $f "$(frames $f 'udp contains "tag=nocid-"')" \
      "OPTIONS without a Call-ID header (mandatory, RFC 3261 8.1.1)."
    printf '%s\tmalformed\terror\t%s\t%s\n' $f "$(frames $f 'udp contains "tag=badcseq-"')" \
      "INVITE with 'CSeq: abc INVITE': the CSeq sequence number is not a number."
    printf '%s\tmalformed\terror\t%s\t%s\n' $f "$(frames $f 'udp contains "tag=badlen-"')" \
      "MESSAGE over UDP with Content-Length: 120 but only 15 bytes of body (RFC 3261 18.3: must be rejected)."
    printf '%s\tmalformed\terror\t%s\t%s\n' $f "$(frames $f 'udp contains "tag=nomaxfwd-"')" \
      "OPTIONS without Max-Forwards (mandatory in requests, RFC 3261 8.1.1.6)."
    printf '%s\tmalformed\terror\t%s\t%s\n' $f "$(frames $f 'udp contains "tag=badstart-"')" \
      "Garbage start line '{garbage start line} (INVITE ...)': neither a Request-Line nor a Status-Line, although SIP headers follow (the call around these five requests is normal; each broken request has its own or no Call-ID, is sent once and gets no response, so no other finding is expected)."
    f=subscribe-notify.pcap
    printf '%s\t-\t-\t-\t%s\n' $f \
      "Clean: SUBSCRIBE CSeq 1 -> 200, NOTIFY CSeq 1 and 2 -> 200, un-SUBSCRIBE CSeq 2 (Expires: 0) -> 200, NOTIFY CSeq 3 terminated -> 200; each direction of the dialog has its own CSeq space (RFC 3261 12.2.1.1), so subscriber 1,2 vs notifier 1,2,3 is normal."
  } > "$m.tmp"
  awk -F'\t' 'NF != 5 || $4 == "" { bad = 1 } END { exit bad }' "$m.tmp" \
    || { echo "manifest: a frame list came out empty, captures look wrong" >&2; cat "$m.tmp" >&2; return 1; }
  mv "$m.tmp" "$m"
  echo "wrote $m" >&2
}

start_common
trap misc_cleanup EXIT INT TERM
case "${1:-all}" in
  bye-481-live)      simple_call "$OUT/bye-481-live.pcap" live-uac.xml live-uas.xml ;;
  bye-481-dup)       simple_call "$OUT/bye-481-dup.pcap" dup-uac.xml dup-uas.xml ;;
  bye-481-wrong-tag) simple_call "$OUT/bye-481-wrong-tag.pcap" wrongtag-uac.xml wrongtag-uas.xml ;;
  b2bua-481)         run_b2bua ;;
  sdp-nat)           run_nat "$OUT/sdp-nat.pcap" "$OUT/sdp-nat-lan.pcap" uac-call.xml uas-call.xml ;;
  sdp-lan-ok)        IP_A=10.0.0.2 IP_B=10.0.0.20 simple_call "$OUT/sdp-lan-ok.pcap" uac-call.xml uas-call.xml ;;
  sdp-nat-hold)      run_nat "$OUT/sdp-nat-hold.pcap" - nat-hold-uac.xml nat-hold-uas.xml ;;
  sdp-nat-ice)       run_nat "$OUT/sdp-nat-ice.pcap" - nat-ice-uac.xml nat-ice-uas.xml ;;
  udp-too-large)     simple_call "$OUT/udp-too-large.pcap" big-uac.xml uas-call.xml ;;
  tcp-large-ok)      simple_call "$OUT/tcp-large-ok.pcap" big-uac.xml uas-call.xml -t t1 ;;
  malformed)         simple_call "$OUT/malformed.pcap" malformed-uac.xml uas-call.xml ;;
  subscribe-notify)  SVC=mwi simple_call "$OUT/subscribe-notify.pcap" sub-uac.xml notify-uas.xml ;;
  udp-small-ok)      simple_call "$OUT/udp-small-ok.pcap" uac-call.xml uas-call.xml ;;
  manifest)          write_manifest ;;
  all)
    for c in bye-481-live bye-481-dup bye-481-wrong-tag b2bua-481 sdp-nat sdp-lan-ok sdp-nat-hold \
             sdp-nat-ice udp-too-large udp-small-ok tcp-large-ok malformed subscribe-notify; do
      "$0" "$c"
    done
    "$0" manifest ;;
  *) echo "usage: $0 <capture>|manifest|all (see the header)" >&2; exit 2 ;;
esac
