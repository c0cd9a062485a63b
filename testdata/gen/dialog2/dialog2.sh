#!/bin/bash
# Captures for four dialog-level rules of sipaudit and their clean
# counterparts (testdata/captures/dialog2/):
#   route-set      in-dialog requests that ignore the route set / remote target
#                  (a record-routing Kamailio proxy between SIPp caller and callee)
#   dtmf-mismatch  RFC 4733 telephone-event vs SIP INFO DTMF
#   prack          reliable provisional responses (RFC 3262)
#   session-timer  session timers (RFC 4028)
#
# Real SIPp (Debian sip-tester 3.6.1) on both sides, scenarios in this
# directory (NAME.uac.xml = caller, NAME.uas.xml = callee); Kamailio 5.6
# (Debian "kamailio", proxy.cfg) as the proxy of the route-* captures.
# Addresses (documentation range): caller 192.0.2.10:5070, callee
# 192.0.2.20:5060, proxy 192.0.2.30:5060.
#  - route-*: the three namespaces hang on one bridge (lib.sh mk_bridge3) and
#    tcpdump runs on each bridge port with "-Q in" (what that host sent), the
#    three files merged by time (mergecap): every hop once, so a message the
#    proxy forwards appears twice (caller -> proxy, proxy -> callee).
#  - the others: caller and callee on one veth pair, captured on the caller's
#    side (both directions once each).
# Needs root, iproute2, tcpdump, tshark (mergecap), sip-tester, kamailio, python3.
#
#   dialog2.sh <capture-name>   e.g. dialog2.sh prack-missing
#   dialog2.sh all              every capture (about 5 minutes of protocol
#                               timers: prack-missing 32 s, session-422-ok 65 s,
#                               session-no-refresh 92 s, session-refresh-481 31 s;
#                               10 minutes on a loaded 2-CPU machine)
#   dialog2.sh list             names
# Each run checks the capture has the intended shape and rewrites that
# capture's lines in testdata/captures/dialog2/EXPECTED.dialog2.tsv with frame
# numbers read back from the new capture by tshark.
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/dialog2"
OUT="$OUT_DIR/dialog2"
MAN="$OUT/EXPECTED.dialog2.tsv"
IP_A=192.0.2.10 IP_B=192.0.2.20 IP_C=192.0.2.30
NS_C="${NSP}c"   # proxy
NS_R="${NSP}r"   # bridge
mkdir -p "$OUT"

CAPTURES=(
  route-bypass-403 route-bypass-ok route-wrong-target route-ok route-ok-strict
  dtmf-offer-only dtmf-info-vs-rfc4733 dtmf-ok dtmf-info-ok
  prack-missing prack-bad-rack prack-ok
  session-422-ok session-no-refresh session-refresh-481
)

d2_cleanup() {
  cleanup
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_R" 2>/dev/null || true
}

# begin NAME: two namespaces on a veth pair, capture on the caller's side
begin() {
  NAME=$1; CAP="$OUT/$1.pcap"; CID="$1-%u@%s"
  rm -f "$WORK/manifest"
  rules_begin "$CAP"
}

# begin3 NAME: caller, callee and proxy namespaces on a bridge; one tcpdump
# per bridge port, inbound only (each frame once, as its sender put it on the
# wire); finish merges them into $CAP
CAP3=()
begin3() {
  NAME=$1; CAP="$OUT/$1.pcap"; CID="$1-%u@%s"
  rm -f "$WORK/manifest" "$CAP"
  mk_bridge3
  local p
  CAP3=()
  for p in rA rB rC; do
    ip netns exec "$NS_R" tcpdump -i "$p" -Q in --immediate-mode -U -s 0 -w "$WORK/$p.pcap" \
      >"$WORK/tcpdump-$p.log" 2>&1 &
    CAP3+=($!); PIDS+=($!)
  done
  for p in rA rB rC; do
    local i
    for i in $(seq 50); do grep -q "listening on" "$WORK/tcpdump-$p.log" && break; sleep 0.1; done
    grep -q "listening on" "$WORK/tcpdump-$p.log" || { echo "tcpdump on $p did not start:" >&2; cat "$WORK/tcpdump-$p.log" >&2; exit 1; }
  done
  sleep 0.3
}

# uas SCENARIO [sipp args]: background SIPp callee on 192.0.2.20:5060
uas() {
  local sc=$1; shift
  rules_uas "$SF/$sc.xml" "$@"
}

# uac SCENARIO REMOTE [sipp args]: foreground SIPp caller on 192.0.2.10:5070
uac() {
  local sc=$1 remote=$2; shift 2
  (cd "$WORK" && ip netns exec "$NS_A" timeout 150 sipp -sf "$SF/$sc.xml" \
     -i $IP_A -p 5070 -nd -nostdin -m 1 -cid_str "$CID" "$@" "$remote" >"$WORK/uac.log" 2>&1) \
    || { echo "sipp caller ($sc) failed:" >&2; tail -30 "$WORK/uac.log" >&2; return 1; }
}

kamailio_start() {   # [kamailio args, e.g. -A WITH_RR]
  need kamailio
  mkdir -p "$WORK/kam"
  ip netns exec "$NS_C" kamailio -f "$SF/proxy.cfg" -DD -E -m 32 -M 8 \
    -Y "$WORK/kam" -w "$WORK/kam" "$@" >"$WORK/kamailio.log" 2>&1 &
  KAM_PID=$!; PIDS+=("$KAM_PID")
  local i
  for i in $(seq 50); do
    nsx "$NS_C" ss -lun 2>/dev/null | grep -q "$IP_C:5060" && break
    sleep 0.1
  done
  nsx "$NS_C" ss -lun 2>/dev/null | grep -q "$IP_C:5060" || { echo "kamailio did not start:" >&2; tail -20 "$WORK/kamailio.log" >&2; exit 1; }
  sleep 0.5
}
kamailio_stop() {
  kill "$KAM_PID" 2>/dev/null || true
  wait "$KAM_PID" 2>/dev/null || true
}

# fr FILTER: comma-separated frame numbers of the SIP frames matching FILTER
fr() {
  local f
  f=$(tshark -r "$CAP" -Y "sip && ($1)" -T fields -e frame.number 2>/dev/null | paste -sd, -)
  [ -n "$f" ] || { echo "no frame matches: $1" >&2; exit 1; }
  echo "$f"
}
# fa FILTER: the same for any frame (RTP too); first FILTER: the first one only
fa() {
  local f
  f=$(tshark -r "$CAP" -Y "$1" -T fields -e frame.number 2>/dev/null | paste -sd, -)
  [ -n "$f" ] || { echo "no frame matches: $1" >&2; exit 1; }
  echo "$f"
}
first() { fa "$1" | cut -d, -f1; }
# gap_ok FILTER1 FILTER2 SECONDS: the first frame matching FILTER2 comes less
# than SECONDS after the first one matching FILTER1
gap_ok() {
  local t1 t2
  t1=$(tshark -r "$CAP" -Y "sip && ($1)" -T fields -e frame.time_epoch 2>/dev/null | head -1)
  t2=$(tshark -r "$CAP" -Y "sip && ($2)" -T fields -e frame.time_epoch 2>/dev/null | head -1)
  [ -n "$t1" ] && [ -n "$t2" ] && "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < float(sys.argv[3]) else 1)' "$t1" "$t2" "$3"
}
# count FILTER
count() { tshark -r "$CAP" -Y "sip && ($1)" 2>/dev/null | wc -l; }
# die MESSAGE: abort the generator when the capture is not what we wanted
die() { echo "$NAME: capture check failed: $1" >&2; exit 1; }

# finish: stop the capture(s), print the ladder
finish() {
  if [ ${#CAP3[@]} -gt 0 ]; then
    sleep 0.5
    local p
    for p in "${CAP3[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    CAP3=()
    mergecap -F pcap -w "$CAP" "$WORK/rA.pcap" "$WORK/rB.pcap" "$WORK/rC.pcap"
  else
    stop_cap
  fi
  report "$CAP"
  tshark -r "$CAP" -Y sip -T fields -e frame.number -e frame.time_relative -e ip.src -e ip.dst \
    -e sip.Request-Line -e sip.Status-Line -e sip.CSeq 2>/dev/null | sed 's/^/  /'
}

# manifest lines go to $MAN in CAPTURES order, replacing this capture's old ones
write_manifest() {
  local tmp="$WORK/man.new" c
  touch "$MAN"
  { grep -v -F "$NAME.pcap	" "$MAN" || true; cat "$WORK/manifest"; } >"$tmp.all"
  : >"$tmp"
  for c in "${CAPTURES[@]}"; do grep -F "$c.pcap	" "$tmp.all" >>"$tmp" || true; done
  cp "$tmp" "$MAN"
  sed 's/^/  EXPECTED: /' "$WORK/manifest"
}

BYE_AC="sip.Method == \"BYE\" && ip.src == $IP_A"

one() {
  case "$1" in
    route-ok)
      begin3 "$1"; kamailio_start -A WITH_RR
      uas route-acl.uas; uac route.uac $IP_C:5060 -key callee $IP_B:5060 -key hop $IP_C
      wait_callee; kamailio_stop; finish
      [ "$(count "$BYE_AC && ip.dst == $IP_C && sip.Route")" = 1 ] && [ "$(count "$BYE_AC")" = 1 ] || die "expected one BYE, with Route, to the proxy"
      clean "Dialog through a record-routing Kamailio proxy (192.0.2.30): the 200 carries Record-Route <sip:192.0.2.30;lr;ftag=...> and Contact <sip:bob-4f2a9c@192.0.2.20:5060>; ACK and BYE go to the proxy with Route: <sip:192.0.2.30;lr;ftag=...> and the Contact as Request-URI (RFC 3261 12.2.1.1), the proxy loose-routes them to the callee (which accepts in-dialog requests only through the proxy). Every message appears once per hop (caller-proxy, proxy-callee)."
      ;;
    route-ok-strict)
      begin3 "$1"; kamailio_start
      uas route.uas; uac route.uac $IP_C:5060 -key callee $IP_B:5060 -key hop $IP_B
      wait_callee; kamailio_stop; finish
      [ "$(count 'sip.Record-Route || sip.Route')" = 0 ] && [ "$(count "$BYE_AC && ip.dst == $IP_B")" = 1 ] || die "expected no Record-Route and the BYE straight to the callee"
      clean "The same proxy without record_route(): the 200 has no Record-Route, so the route set is empty and the ACK and BYE go straight from caller to callee (192.0.2.10 -> 192.0.2.20, Request-URI = the Contact sip:bob-4f2a9c@192.0.2.20:5060, no Route header), which is correct (RFC 3261 12.2.1.1, 16.6 item 4): the proxy is not on the in-dialog path and must not be expected there."
      ;;
    route-bypass-403)
      begin3 "$1"; kamailio_start -A WITH_RR
      uas route-acl.uas; uac route-bypass.uac $IP_C:5060 -key callee $IP_B:5060 -key bypass $IP_B
      wait_callee; kamailio_stop; finish
      [ "$(count 'sip.Status-Code == 403')" = 1 ] || die "expected one 403"
      expect route-set error \
        "$(fr "$BYE_AC && ip.dst == $IP_B"),$(fr 'sip.Status-Code == 403'),$(fr "sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\" && ip.dst == $IP_A")" \
        "The dialog was set up through a record-routing proxy (the 200 to the caller carries Record-Route <sip:192.0.2.30;lr;ftag=...>), but the caller's BYE (CSeq 2) ignores the route set: no Route header, sent from 192.0.2.10 straight to the Contact address 192.0.2.20:5060, skipping the proxy (RFC 3261 12.2.1.1); the callee, which takes in-dialog requests only through its proxy, rejects it with 403 Forbidden. The caller then sends BYE 3 through the proxy with the right Route, answered 200. Frames: the bypassing BYE, the 403, the 200 (INVITE) with the Record-Route."
      ;;
    route-bypass-ok)
      begin3 "$1"; kamailio_start -A WITH_RR
      uas route.uas; uac route-bypass.uac $IP_C:5060 -key callee $IP_B:5060 -key bypass $IP_B
      wait_callee; kamailio_stop; finish
      [ "$(count "$BYE_AC")" = 1 ] && [ "$(count 'sip.Status-Code == 200 && sip.CSeq.method == "BYE"')" = 1 ] || die "expected one BYE answered 200"
      expect route-set warning \
        "$(fr "$BYE_AC && ip.dst == $IP_B"),$(fr "sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\" && ip.dst == $IP_A")" \
        "Same bypass as route-bypass-403 (BYE without Route straight to the Contact address, skipping the record-routing proxy 192.0.2.30, RFC 3261 12.2.1.1), but this callee accepts it with 200: the call ends, yet the proxy never sees the BYE (its dialog state, accounting and any NAT/media anchoring it does are left hanging). Frames: the bypassing BYE, the 200 (INVITE) with the Record-Route."
      ;;
    route-wrong-target)
      begin3 "$1"; kamailio_start -A WITH_RR
      uas route.uas; uac route-wrong-target.uac $IP_C:5060 -key callee $IP_B:5060
      wait_callee; kamailio_stop; finish
      [ "$(count "$BYE_AC && sip.r-uri == \"sip:bob@$IP_B:5060\" && sip.Route")" = 1 ] || die "expected the BYE with the To URI as Request-URI, with Route"
      expect route-set warning \
        "$(fr "$BYE_AC"),$(fr "sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\" && ip.dst == $IP_A")" \
        "The BYE follows the route set (Route: <sip:192.0.2.30;lr;ftag=...>, sent to the proxy) but its Request-URI is sip:bob@192.0.2.20:5060, the INVITE's Request-URI / To URI, not the remote target: the 2xx's Contact sip:bob-4f2a9c@192.0.2.20:5060 (RFC 3261 12.2.1.1). Here the host and port are the same, so the proxy relays it to the callee, which accepts it (200). Frames: the BYE as the caller sent it, the 200 (INVITE) with the Contact."
      ;;
    dtmf-offer-only)
      begin "$1"
      uas dtmf-note.uas -mp 50000; uac dtmf-rtp.uac $IP_B:5060 -mp 40000
      wait_callee; finish
      [ "$(count 'sip.Method == "INVITE" && sdp.fmtp.parameter')" = 1 ] && [ "$(count 'sip.Status-Code == 200 && sdp.media_attr contains "telephone-event"')" = 0 ] && [ "$(tshark -r "$CAP" -Y 'rtpevent && rtp.p_type == 101' 2>/dev/null | wc -l)" = 10 ] || die "expected te offered, not answered, 10 RFC 4733 packets"
      expect dtmf-mismatch warning \
        "$(first rtpevent),$(fr 'sip.Method == "INVITE"'),$(fr 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"')" \
        "The offer has telephone-event (m=audio 40000 RTP/AVP 0 101, a=rtpmap:101 telephone-event/8000), the answer accepts only PCMU (m=audio 50000 RTP/AVP 0, no telephone-event), so RFC 4733 events were not negotiated (RFC 4733 2.5.1, RFC 3264 6.1); the caller sends the digit 5 as RFC 4733 events anyway: 10 RTP packets with payload type 101 from 192.0.2.10:40000 to 192.0.2.20:50000 (the callee will treat them as an unknown payload). Frames: the first event packet, the INVITE (offer), the 200 (answer)."
      ;;
    dtmf-info-vs-rfc4733)
      begin "$1"
      uas dtmf-te.uas -mp 50000; uac dtmf-info-te.uac $IP_B:5060 -mp 40000
      wait_callee; finish
      [ "$(count 'sip.Method == "INFO"')" = 1 ] && [ "$(count 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE" && sdp.fmtp.parameter')" = 1 ] || die "expected te negotiated and one INFO"
      expect dtmf-mismatch warning \
        "$(fr 'sip.Method == "INFO"'),$(fr 'sip.Method == "INVITE"'),$(fr 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"')" \
        "Both sides negotiate RFC 4733 telephone-event (offer and answer m=audio ... RTP/AVP 0 101, a=rtpmap:101 telephone-event/8000), yet the caller sends the digit 5 as a SIP INFO (Content-Type: application/dtmf-relay, Signal=5, Duration=160), answered 200: a peer that negotiated RTP events may ignore INFO DTMF (e.g. an IVR listening to the media stream), so the digit can be lost. Frames: the INFO, the INVITE (offer), the 200 (answer)."
      ;;
    dtmf-ok)
      begin "$1"
      uas dtmf-te.uas -mp 50000; uac dtmf-rtp.uac $IP_B:5060 -mp 40000
      wait_callee; finish
      [ "$(count 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE" && sdp.fmtp.parameter')" = 1 ] && [ "$(tshark -r "$CAP" -Y 'rtpevent && rtp.p_type == 101' 2>/dev/null | wc -l)" = 10 ] || die "expected te negotiated and 10 RFC 4733 packets"
      clean "Offer and answer both have telephone-event 101 (a=rtpmap:101 telephone-event/8000, a=fmtp:101 0-16) and the caller sends the digit 5 as RFC 4733 events on the negotiated payload type: 10 RTP packets, payload type 101, 192.0.2.10:40000 -> 192.0.2.20:50000 (marker bit on the first, three end-of-event packets, duration 2240). No INFO."
      ;;
    dtmf-info-ok)
      begin "$1"
      uas dtmf-note.uas -mp 50000; uac dtmf-info.uac $IP_B:5060 -mp 40000
      wait_callee; finish
      [ "$(count 'sip.Method == "INFO"')" = 1 ] && [ "$(count 'sdp.media_attr contains "telephone-event"')" = 0 ] || die "expected no telephone-event and one INFO"
      clean "Neither side has telephone-event in its SDP (offer and answer m=audio ... RTP/AVP 0), so the caller sends the digit 5 as a SIP INFO (application/dtmf-relay, Signal=5, Duration=160), answered 200. No RFC 4733 RTP at all."
      ;;
    prack-ok)
      begin "$1"
      uas prack.uas; uac prack-ok.uac $IP_B:5060
      wait_callee; finish
      [ "$(count 'sip.Status-Code == 183')" = 1 ] && [ "$(count 'sip.Method == "PRACK" && sip.RAck == "1 1 INVITE"')" = 1 ] || die "expected one 183 and one PRACK with RAck 1 1 INVITE"
      clean "Reliable provisional done right (RFC 3262): INVITE with Supported: 100rel, 183 Session Progress with Require: 100rel, RSeq: 1 and the SDP answer, PRACK (CSeq 2) with RAck: 1 1 INVITE (the 183's RSeq, the INVITE's CSeq number and method) answered 200, so the 183 is not retransmitted; then 200 to the INVITE, ACK, BYE 3, 200."
      ;;
    prack-bad-rack)
      begin "$1"
      uas prack.uas; uac prack-bad-rack.uac $IP_B:5060
      wait_callee; finish
      [ "$(count 'sip.Method == "PRACK" && sip.RAck == "2 1 INVITE"')" = 1 ] && [ "$(count 'sip.Status-Code == 481')" = 1 ] || die "expected the PRACK with RAck 2 1 INVITE and a 481"
      expect prack warning \
        "$(fr 'sip.Method == "PRACK" && sip.RAck == "2 1 INVITE"'),$(fr 'sip.Status-Code == 481'),$(fr 'sip.Status-Code == 183')" \
        "The only reliable provisional is the 183 with RSeq: 1 (Require: 100rel), but the caller's first PRACK (CSeq 2) carries RAck: 2 1 INVITE, naming an RSeq 2 that no provisional response had, so it matches nothing and the callee answers 481 No Matching Provisional Response (RFC 3262 3, 7.2). The caller then sends a second PRACK (CSeq 3) with the right RAck: 1 1 INVITE, answered 200, and the call proceeds (200, ACK, BYE 4). Frames: the bad PRACK, the 481, the 183."
      ;;
    prack-missing)
      begin "$1"
      uas prack-missing.uas; uac prack-missing.uac $IP_B:5060
      wait_callee; finish
      [ "$(count 'sip.Status-Code == 183 && sip.RSeq == 1')" = 7 ] && [ "$(count 'sip.Method == "PRACK"')" = 0 ] && [ "$(count 'sip.Status-Code == 500')" = 1 ] || die "expected the 183 7 times, no PRACK, a 500"
      expect prack warning \
        "$(fr 'sip.Status-Code == 183'),$(fr 'sip.Status-Code == 500')" \
        "The caller's INVITE says Supported: 100rel and the callee sends a reliable 183 (Require: 100rel, RSeq: 1, with the SDP answer), but no PRACK ever comes: the callee retransmits the 183 six times with the interval doubling from T1 (0.5, 1, 2, 4, 8, 16 s, RFC 3262 3) and at 64*T1 = 32 s rejects the INVITE with 500 Reliable provisional response not acknowledged, which the caller ACKs: the call fails because the caller did not PRACK. Frames: the 183 and its 6 retransmissions, the 500."
      ;;
    session-422-ok)
      begin "$1"
      uas session-422.uas; uac session-422.uac $IP_B:5060
      wait_callee; finish
      [ "$(count 'sip.Status-Code == 422 && sip.Min-SE == "90"')" = 1 ] && [ "$(count 'sip.Method == "INVITE" && sip.CSeq.seq == 3')" = 1 ] && [ "$(count 'sip.Method == "UPDATE"')" = 1 ] || die "expected one 422 (Min-SE 90), a refresh re-INVITE and an UPDATE"
      # each refresh less than 45 s (half the interval) after the previous answer
      gap_ok 'sip.Status-Code == 200 && sip.CSeq.seq == 2' 'sip.Method == "INVITE" && sip.CSeq.seq == 3' 45 || die "re-INVITE refresh too late"
      gap_ok 'sip.Status-Code == 200 && sip.CSeq.seq == 3' 'sip.Method == "UPDATE"' 45 || die "UPDATE refresh too late"
      clean "Session timer negotiated and kept (RFC 4028): INVITE with Supported: timer, Session-Expires: 60 is answered 422 Session Interval Too Small with Min-SE: 90 (ACKed); the retry (CSeq 2, same Call-ID and From tag) has Session-Expires: 90 and Min-SE: 90 and is answered 200 with Require: timer, Session-Expires: 90;refresher=uac. The caller, the refresher, refreshes 30 s after the ACK with a re-INVITE (CSeq 3, same SDP) and 30 s later with an UPDATE (CSeq 4, no body), each before half the interval (45 s) and answered 200 with Session-Expires: 90;refresher=uac; BYE (CSeq 5) 5 s later. The 422 is a normal step of the negotiation, not a failure."
      ;;
    session-no-refresh)
      begin "$1"
      uas session-no-refresh.uas; uac session-no-refresh.uac $IP_B:5060
      wait_callee; finish
      [ "$(count '(sip.Method == "INVITE" && sip.CSeq.seq != 1) || sip.Method == "UPDATE"')" = 0 ] && [ "$(count "sip.Method == \"BYE\" && ip.src == $IP_B && sip.Reason")" = 1 ] || die "expected no refresh and the callee's BYE with Reason"
      gap_ok 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"' "sip.Method == \"BYE\"" 90 && die "the BYE came before the session expired"
      expect session-timer warning \
        "$(fr "sip.Method == \"BYE\" && ip.src == $IP_B"),$(fr 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"'),$(fr 'sip.Method == "INVITE"')" \
        "The session timer was negotiated with the caller as refresher (INVITE: Supported: timer, Session-Expires: 90;refresher=uac, Min-SE: 90; 200: Require: timer, Session-Expires: 90;refresher=uac), but the caller never refreshes (no re-INVITE or UPDATE; it should have by 45 s, half the interval, RFC 4028 10). The session expires 90 s after the 200 and the callee ends it: BYE 91 s after the ACK with Reason: SIP;cause=408;text=\"Session timer expired\", answered 200. The call was dropped by the session timer, because the refresher did not refresh. Frames: the callee's BYE, the 200 (INVITE) that set refresher=uac, the INVITE."
      ;;
    session-refresh-481)
      begin "$1"
      uas session-refresh-481.uas; uac session-refresh-481.uac $IP_B:5060
      wait_callee; finish
      [ "$(count 'sip.Status-Code == 481 && sip.CSeq.method == "INVITE"')" = 1 ] && [ "$(count 'sip.Status-Code == 481 && sip.CSeq.method == "BYE"')" = 1 ] || die "expected 481 to the refresh re-INVITE and to the BYE"
      expect session-timer warning \
        "$(fr 'sip.Status-Code == 481 && sip.CSeq.method == "INVITE"'),$(fr 'sip.Method == "INVITE" && sip.CSeq.seq == 2'),$(fr 'sip.Status-Code == 200 && sip.CSeq.method == "INVITE"')" \
        "The session timer is negotiated (Session-Expires: 90;refresher=uac in the INVITE and the 200), and the caller refreshes in time (re-INVITE CSeq 2, 30 s after the ACK, Session-Expires: 90;refresher=uac), but the refresh is answered 481 Call/Transaction Does Not Exist: the refresh failed and the session is over (RFC 4028 10, RFC 3261 12.2.1.2); the caller ACKs the 481 and sends BYE (CSeq 3), also answered 481. Frames: the 481 to the refresh, the refresh re-INVITE, the 200 (INVITE)."
      expect bye-481 error \
        "$(fr 'sip.Status-Code == 481 && sip.CSeq.method == "INVITE"'),$(fr 'sip.Method == "INVITE" && sip.CSeq.seq == 2')" \
        "The 481 to the refresh re-INVITE comes on a confirmed, live dialog whose session had not expired (30 s of 90): the callee lost the dialog state (FAULTS.md bye-481 case c). The 481 to the BYE that follows is the benign kind (the dialog was already over), info at most. Frames: the 481 (INVITE), the re-INVITE."
      ;;
    *) echo "unknown capture: $1" >&2; exit 2 ;;
  esac
  write_manifest
}

case "${1:-all}" in
  all)  start_common; trap d2_cleanup EXIT INT TERM
        for c in "${CAPTURES[@]}"; do "$0" "$c"; done ;;
  list) printf '%s\n' "${CAPTURES[@]}" ;;
  *)    start_common; trap d2_cleanup EXIT INT TERM; one "$1" ;;
esac
