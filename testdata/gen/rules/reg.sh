#!/bin/bash
# Captures for the registration / transaction-outcome rules of sipaudit
# (registration-failed, auth-failed, no-response, call-failed, codec-mismatch)
# and their nearest clean counterparts. Real SIPp (Debian sip-tester) on both
# sides, scenarios in rules/reg/<capture>.{uac,uas}.xml; the UA is
# 192.0.2.10:5070, the registrar/UAS 192.0.2.20:5060, each in its own network
# namespace; tcpdump captures the UA's veth. Where the far end must never
# answer, it is a python3 UDP socket bound to 192.0.2.20:5060 that never reads
# (a silent listener: no response, no ICMP port unreachable).
#   reg.sh <capture-name>     e.g. reg.sh reg-ok   -> captures/rules/reg-ok.pcap
#   reg.sh all                every capture below
#   reg.sh list               names
#   reg.sh manifest           rewrite EXPECTED.reg.tsv from the captures
# Expected findings: testdata/captures/rules/EXPECTED.reg.tsv, rewritten by
# `all` and `manifest` from the EXPECTED table below (frame numbers read back with tshark).
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/rules/reg"
OUT="$OUT_DIR/rules"
IP_A=192.0.2.10 IP_B=192.0.2.20

CAPTURES=(
  reg-invalid-cseq reg-ok reg-forbidden reg-401-loop reg-no-response
  reg-423 reg-423-loop reg-expired reg-404
  auth-failed auth-ok
  no-response-options no-response-invite options-ok
  call-failed-busy call-failed-503 call-cancelled
  codec-mismatch codec-488 codec-ok
)

# begin NAME: fresh namespaces, capture on the UA side
begin() {
  CAP="$OUT/$1.pcap"; CID="$1-%u@%s"
  rules_begin "$CAP"
}

# uas SCENARIO [sipp args]: SIPp registrar/UAS from reg/SCENARIO.uas.xml
uas() {
  local sc=$1; shift
  rules_uas "$SF/$sc.uas.xml" "$@"
}

# silent: a UDP socket on 192.0.2.20:5060 that is bound but never read
silent() {
  (exec ip netns exec "$NS_B" timeout 120 $PY -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.20", 5060))
time.sleep(115)') &
  UAS_PID=$!; PIDS+=("$UAS_PID")
  sleep 0.5
}

# uac SCENARIO [sipp args]: SIPp UA from reg/SCENARIO.uac.xml, foreground.
# SIPp counts a recv timeout as a failed call even with ontimeout=, so the
# give-up scenarios run with TIMEOUT_OK=1 (exit status 1 accepted).
uac() {
  local sc=$1 rc=0; shift
  (cd "$WORK" && ip netns exec "$NS_A" timeout 120 sipp -sf "$SF/$sc.uac.xml" \
     -i $IP_A -p 5070 -nd -nostdin -m 1 -cid_str "$CID" "$@" $IP_B:5060 >"$WORK/uac.log" 2>&1) || rc=$?
  [ $rc = 0 ] || { [ -n "${TIMEOUT_OK:-}" ] && [ $rc = 1 ]; } \
    || { echo "sipp UA ($sc) exited $rc:" >&2; tail -20 "$WORK/uac.log" >&2; return 1; }
}

# finish: wait for the SIPp UAS to complete its scenario (or stop the silent
# listener), stop the capture, print the SIP ladder
finish() {
  local i rc=0
  if [ "${1:-}" = silent ]; then
    kill "$UAS_PID" 2>/dev/null || true
  else
    for i in $(seq 100); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$UAS_PID" 2>/dev/null && { kill "$UAS_PID" 2>/dev/null || true; }
    wait "$UAS_PID" || rc=$?
    [ $rc = 0 ] || { echo "sipp UAS exited $rc:" >&2; tail -20 "$WORK/uas.log" >&2; return 1; }
  fi
  stop_cap
  report "$CAP"
  tshark -r "$CAP" -Y sip -T fields -e frame.number -e frame.time_relative -e ip.src \
    -e sip.Request-Line -e sip.Status-Line -e sip.CSeq -e sip.Call-ID 2>/dev/null | sed 's/^/  /'
}

# Expected findings: capture ~ rule ~ severity ~ tshark filter selecting the
# proving frames | why. A "-" rule means: no error or warning finding expected.
# `reg.sh manifest` resolves the filters to frame numbers and writes
# captures/rules/EXPECTED.reg.tsv (`all` does it at the end).
EXPECTED=(
"reg-invalid-cseq~registration-failed~error~sip~seeds/000: REGISTER CSeq 13 -> 401, REGISTER CSeq 14 with the same Call-ID and credentials -> 400 with P-Registrar-Error: Invalid CSeq number; the UA is right (RFC 3261 10.2.4: +1 per REGISTER with the same Call-ID), the registrar is at fault; workaround: new Call-ID per registration"
"reg-ok~-~-~-~clean: 401 challenge answered with credentials (CSeq+1) -> 200 expires=60, refresh REGISTER (CSeq+1) -> 200 after 3 s; the capture ends long before the 60 s binding expires; the 401 is a normal challenge"
"reg-forbidden~registration-failed~error~sip~REGISTER -> 401 -> REGISTER with credentials -> 403 Forbidden: wrong password or unknown endpoint. auth-failed deliberately not listed: for REGISTER registration-failed owns this case (FAULTS lists 401->credentials->403 under it); one fault, one error"
"reg-401-loop~registration-failed~error~sip~REGISTER with credentials answered by a fresh 401 twice (stale=false): the credentials are rejected (wrong username/realm/password), the UA gives up after 3 attempts"
"reg-no-response~registration-failed~error~sip~REGISTER sent 11 times (timer E: 0.5,1,2,4,4... s, same branch) over 31.5 s with no response at all (silent listener, no ICMP): firewall/fail2ban/wrong port. no-response deliberately not listed: for REGISTER registration-failed owns it (one fault, one error)"
"reg-423~-~-~-~clean: REGISTER Expires 30 -> 423 Min-Expires 60 -> REGISTER Expires 60 (CSeq+1) -> 200: normal Min-Expires negotiation (RFC 3261 10.2.8), recovered"
"reg-423-loop~registration-failed~error~sip~REGISTER Expires 30 three times, 423 Interval Too Brief (Min-Expires: 60) each time: the UA ignores Min-Expires and never registers"
"reg-expired~registration-failed~error~sip.CSeq.method == \"REGISTER\"~REGISTER -> 200 expires=4, no refresh REGISTER by the end of the capture (~9 s later, an unrelated OPTIONS ping with another Call-ID keeps the capture going): the binding expired (phone offline / NAT binding lost; hint: shorter re-register interval)"
"reg-404~registration-failed~error~sip~REGISTER -> 404 Not Found: the registrar does not know this AoR"
"auth-failed~auth-failed~error~sip.Method == \"INVITE\" || sip.Status-Code >= 400~INVITE -> 407, INVITE resent with Proxy-Authorization (CSeq 2) -> 403 Forbidden: credentials refused"
"auth-failed~call-failed~info~sip.CSeq.seq == 2 && (sip.Method == \"INVITE\" || sip.Status-Code == 403)~the call ended with 403 Forbidden"
"auth-ok~-~-~-~clean: the 407 challenge is answered with Proxy-Authorization (CSeq 2) and the call is answered, ACKed and ended with BYE/200; the 407 is normal, not a failure; no RTP in the capture (signalling only), so no one-way-rtp"
"no-response-options~no-response~error~sip~OPTIONS sent 11 times (timer E, same branch) over 31.5 s with no response at all (silent listener, no ICMP)"
"no-response-invite~no-response~error~sip~INVITE sent 7 times (timer A: 0.5,1,2,4,8,16 s, same branch) over 31.5 s with no response at all, not even 100 Trying; timer B (32 s); no call-failed (no final response)"
"options-ok~-~-~-~clean: OPTIONS -> 200 OK"
"call-failed-busy~call-failed~info~sip.Method == \"INVITE\" || sip.Status-Code == 486~INVITE -> 100 -> 180 -> 486 Busy Here -> ACK: the callee is busy"
"call-failed-503~call-failed~info~sip.Method == \"INVITE\" || sip.Status-Code == 503~INVITE -> 503 Service Unavailable with Reason: Q.850;cause=34;text=\"No circuit/channel available\", X-Asterisk-HangupCause: Circuit/channel congestion, Warning: 399 pbx \"trunk down\" (quote them)"
"call-cancelled~-~-~-~clean: INVITE -> 180 -> CANCEL (same branch) -> 200 (CANCEL) -> 487 -> ACK: the caller hung up while ringing (state cancelled); the 487 is the expected answer to a CANCEL, not a failure"
"codec-mismatch~codec-mismatch~warning~sip.Method == \"INVITE\" || (sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\")~offer m=audio RTP/AVP 0 (PCMU only) answered 200 with m=audio RTP/AVP 18 (G729 only): no common codec; the call is ACKed and BYEd; no RTP in the capture"
"codec-488~codec-mismatch~warning~sip.Method == \"INVITE\" || sip.Status-Code == 488~offer with only G722 (9) -> 488 Not Acceptable Here, Warning: 304 192.0.2.20 \"Codec mismatch\""
"codec-488~call-failed~info~sip.Method == \"INVITE\" || sip.Status-Code == 488~the call ended with 488 Not Acceptable Here (quote the Warning)"
"codec-ok~-~-~-~clean: offer 0 8 101, answer 8 101 (PCMA + telephone-event) share PCMA; answered, ACKed, BYE/200; no RTP in the capture (signalling only), so no one-way-rtp"
)

manifest() {
  local m="$OUT/EXPECTED.reg.tsv" row cap rule sev flt why frames
  : >"$m"
  for row in "${EXPECTED[@]}"; do
    IFS='~' read -r cap rule sev flt why <<<"$row"
    [ -f "$OUT/$cap.pcap" ] || { echo "missing $OUT/$cap.pcap" >&2; return 1; }
    if [ "$flt" = - ]; then frames=-; else
      frames=$(tshark -r "$OUT/$cap.pcap" -Y "$flt" -T fields -e frame.number 2>/dev/null | paste -sd,) || true
      [ -n "$frames" ] || { echo "$cap: filter matched nothing: $flt" >&2; return 1; }
    fi
    printf '%s.pcap\t%s\t%s\t%s\t%s\n' "$cap" "$rule" "$sev" "$frames" "$why" >>"$m"
  done
  echo "wrote $m" >&2
}

one() {
  case "$1" in
    reg-no-response|no-response-options|no-response-invite)
      # ~32 s of retransmissions into a silent listener
      begin "$1"; silent
      TIMEOUT_OK=1 uac "$1" -max_retrans 20 -max_invite_retrans 20 -max_non_invite_retrans 20
      finish silent ;;
    reg-expired)
      # REGISTER -> 200 expires=4; 9 s later an unrelated OPTIONS (new Call-ID)
      begin "$1"; uas "$1" -m 2
      uac "$1"
      sleep 9
      CID="$1-options-%u@%s" uac "$1-options"
      finish ;;
    auth-failed|auth-ok)
      # digest uri = the INVITE's Request-URI (SIPp's default is remote ip:port)
      begin "$1"; uas "$1"; uac "$1" -auth_uri "bob@$IP_B:5060"; finish ;;
    *)
      [ -f "$SF/$1.uac.xml" ] || { echo "unknown capture: $1" >&2; exit 2; }
      begin "$1"; uas "$1"; uac "$1"; finish ;;
  esac
}

case "${1:-all}" in
  all)  for c in "${CAPTURES[@]}"; do REG_ALL=1 "$0" "$c"; done; manifest ;;
  manifest) manifest ;;
  list) printf '%s\n' "${CAPTURES[@]}" ;;
  *)    start_common; one "$1"
        [ -n "${REG_ALL:-}" ] || manifest 2>/dev/null || echo "EXPECTED.reg.tsv not rewritten (captures missing): run reg.sh all" >&2 ;;
esac
