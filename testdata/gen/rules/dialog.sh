#!/bin/bash
# Captures for the dialog / transaction-state rules of sipaudit
# (cseq-order, ack-cseq, ack-missing, invite-overlap, forked-2xx,
# call-not-ended) and their nearest clean counterparts.
#
# Real SIPp (Debian sip-tester) on both sides, scenarios in rules/dialog/
# (NAME.uac.xml = caller, NAME.uas.xml = callee); caller 192.0.2.10:5070 and
# callee 192.0.2.20:5060, each in its own network namespace joined by a veth
# pair; tcpdump captures the caller's veth (both directions, once each).
#  - forked-2xx / forked-ok: a real Kamailio (Debian "kamailio", stateful tm
#    parallel forking with record-route, dialog/forking-proxy.cfg) on
#    192.0.2.20:5060 in front of two SIPp phones on 192.0.2.21 / .22 in the
#    callee namespace; only the caller <-> proxy leg is on the captured veth
#    (LEG=1 KEEP=1 also records the proxy <-> phones leg in the kept work dir).
#  - dup-capture: the caller's address is on a bridge (port vA) and tcpdump
#    runs with -i any, so every packet is captured twice.
#  - call-not-ended: one ICMP echo 3 s after the ACK marks the capture's end.
# Needs root, iproute2, tcpdump, tshark, sip-tester, kamailio, python3.
#
#   dialog.sh <capture-name>   e.g. dialog.sh ack-missing -> captures/rules/ack-missing.pcap
#   dialog.sh all              every capture below (about 2 minutes)
#   dialog.sh list             names
# Each run checks the capture has the intended shape and rewrites that
# capture's lines in testdata/captures/rules/EXPECTED.dialog.tsv with frame
# numbers read back from the new capture by tshark (they move with ARP timing).
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/rules/dialog"
OUT="$OUT_DIR/rules"
MAN="$OUT/EXPECTED.dialog.tsv"
IP_A=192.0.2.10 IP_B=192.0.2.20

CAPTURES=(
  cseq-info-low cseq-info-ok cseq-two-directions cseq-gap-after-challenge
  ack-cseq-update ack-cseq-ok ack-missing call-ok
  invite-overlap invite-reinvite-ok
  forked-2xx forked-ok
  call-not-ended reinvite-hold dup-capture
)

# begin NAME: fresh namespaces, capture on the caller side
begin() {
  NAME=$1; CAP="$OUT/$1.pcap"; CID="$1-%u@%s"
  rm -f "$WORK/manifest"
  rules_begin "$CAP"
}

# uas SCENARIO [sipp args]: background SIPp callee (dialog/SCENARIO.xml)
uas() {
  local sc=$1; shift
  rules_uas "$SF/$sc.xml" "$@"
}

# uac SCENARIO [sipp args]: foreground SIPp caller (dialog/SCENARIO.xml)
uac() {
  local sc=$1; shift
  (cd "$WORK" && ip netns exec "$NS_A" timeout 120 sipp -sf "$SF/$sc.xml" \
     -i $IP_A -p 5070 -nd -nostdin -m 1 -cid_str "$CID" "$@" $IP_B:5060 >"$WORK/uac.log" 2>&1) \
    || { echo "sipp caller ($sc) failed:" >&2; tail -30 "$WORK/uac.log" >&2; return 1; }
}

# forking setup: Kamailio on 192.0.2.20:5060 (callee namespace) forking to two
# SIPp phones on 192.0.2.21 and 192.0.2.22 (same namespace: that leg is not
# on the captured veth)
kamailio_start() {
  need kamailio
  nsx "$NS_B" ip addr add 192.0.2.21/24 dev vB
  nsx "$NS_B" ip addr add 192.0.2.22/24 dev vB
  mkdir -p "$WORK/kam"
  # KEEP=1 LEG=1 dialog.sh forked-...: also capture the proxy <-> phones leg
  if [ -n "${LEG:-}" ]; then
    ip netns exec "$NS_B" tcpdump -i lo -U -s 0 -w "$WORK/leg.pcap" udp >/dev/null 2>&1 &
    PIDS+=($!)
  fi
  ip netns exec "$NS_B" kamailio -f "$SF/forking-proxy.cfg" -DD -E -m 32 -M 8 \
    -Y "$WORK/kam" -w "$WORK/kam" >"$WORK/kamailio.log" 2>&1 &
  KAM_PID=$!; PIDS+=("$KAM_PID")
  local i
  for i in $(seq 50); do
    nsx "$NS_B" ss -lun 2>/dev/null | grep -q "192.0.2.20:5060" && break
    sleep 0.1
  done
  sleep 0.5
}
kamailio_stop() {
  kill "$KAM_PID" 2>/dev/null || true
  wait "$KAM_PID" 2>/dev/null || true
}
# phone SCENARIO IP: background SIPp phone behind the proxy
PHONES=()
phone() {
  (cd "$WORK" && exec ip netns exec "$NS_B" timeout 120 sipp -sf "$SF/$1.xml" \
     -i "$2" -p 5060 -nd -nostdin -m 1 >"$WORK/phone-$2.log" 2>&1) &
  PHONES+=($!); PIDS+=($!)
}
wait_phones() {
  local p rc
  for p in "${PHONES[@]}"; do
    rc=0; wait "$p" || rc=$?
    [ $rc = 0 ] || { echo "sipp phone exited $rc:" >&2; tail -30 "$WORK"/phone-*.log >&2; return 1; }
  done
}

# fr FILTER: comma-separated frame numbers of the SIP frames matching FILTER
fr() {
  local f
  f=$(tshark -r "$CAP" -Y "sip && ($1)" -T fields -e frame.number 2>/dev/null | paste -sd, -)
  [ -n "$f" ] || { echo "no frame matches: $1" >&2; exit 1; }
  echo "$f"
}
# count FILTER
count() { tshark -r "$CAP" -Y "sip && ($1)" 2>/dev/null | wc -l; }
# check COND MESSAGE: abort the generator when the capture is not what we wanted
check() { eval "$1" || { echo "$NAME: capture check failed: $2" >&2; exit 1; }; }

# finish: stop the capture, print the ladder, update the manifest
finish() {
  stop_cap
  report "$CAP"
  tshark -r "$CAP" -Y sip -T fields -e frame.number -e frame.time_relative -e ip.src \
    -e sip.Request-Line -e sip.Status-Line -e sip.CSeq -e sip.to.tag 2>/dev/null | sed 's/^/  /'
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

one() {
  case "$1" in
    cseq-info-low)
      begin "$1"
      uas cseq-info-low.uas
      uac cseq-info.uac -key info_cseq 2 -key bye_cseq 102
      wait_callee; finish
      expect cseq-order error \
        "$(fr 'sip.Method == "INVITE" || sip.CSeq.method == "INFO"')" \
        "The in-dialog INFO from the caller carries CSeq 2 after its INVITE/ACK 101 (each direction's CSeq must increase, RFC 3261 12.2.1.1) and the callee rejects it with 500 as out of order (12.2.2); frames: INVITE 101, INFO 2, 500."
      ;;
    cseq-info-ok)
      begin "$1"
      uas cseq-info-ok.uas
      uac cseq-info.uac -key info_cseq 102 -key bye_cseq 103
      wait_callee; finish
      clean "Same call as cseq-info-low but the INFO carries CSeq 102 (INVITE/ACK 101, INFO 102, BYE 103: increasing by one) and is answered 200."
      ;;
    cseq-two-directions)
      begin "$1"
      uas two-dir-call.uas; uac two-dir-call.uac; wait_callee
      # second, unrelated dialog in the same capture: SUBSCRIBE / NOTIFY
      CID="$1-sub-%u@%s"
      uas two-dir-sub.uas; uac two-dir-sub.uac; wait_callee
      finish
      clean "Each direction has its own CSeq space (RFC 3261 12.2.1.1): call 1 has the caller's INVITE/ACK 1 and BYE 2 and the callee's re-INVITE/ACK 1; call 2 has the subscriber's SUBSCRIBE 1 and 2 and the notifier's NOTIFY 1 and 2 (seeds/001). Nothing decreases within one direction."
      ;;
    cseq-gap-after-challenge)
      begin "$1"
      uas "$1".uas; uac "$1".uac -auth_uri "bob@$IP_B:5060"; wait_callee
      finish
      check_digest Proxy-Authorization alice sipaudit.test secret
      clean "CSeq gaps are not errors (RFC 3261 12.2.2): INVITE 1 is challenged (407, ACK 1 on the same branch), resent with credentials as CSeq 3, then INFO 7 and BYE 8 in the same direction; every new request is higher than the previous one and the ACKs reuse their INVITE's number."
      ;;
    ack-cseq-update)
      begin "$1"
      uas "$1".uas -pause_msg_ign; uac ack-cseq.uac -key ack_cseq 6; wait_callee
      finish
      local rv200="sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\" && sip.CSeq.seq == 5"
      check "[ \$(count \"$rv200\") = 11 ]" "expected the 200 (INVITE 5) and 10 retransmissions"
      expect ack-cseq error \
        "$(fr "(sip.Method == \"INVITE\" && sip.CSeq.seq == 5) || sip.Method == \"UPDATE\" || (sip.Method == \"ACK\" && sip.CSeq.seq == 6) || ($rv200)")" \
        "The ACKs after the re-INVITE (CSeq 5) and UPDATE (CSeq 6) carry CSeq 6, the UPDATE's number, so they do not acknowledge the 200 to INVITE 5 (RFC 3261 13.2.2.4; seeds/002): the callee keeps retransmitting that 200 (T1 doubling to T2) for 32 s and then hangs up with BYE. Frames: re-INVITE 5, UPDATE 6, every ACK 6 (the caller re-sends it for each retransmitted 200), the 200 (INVITE 5) and its 10 retransmissions. The same 2xx is also never ACKed, so an ack-missing finding on it is correct in substance but redundant: ideally it is folded into this ack-cseq finding (ACKs did arrive, with the wrong CSeq) rather than reported twice."
      ;;
    ack-cseq-ok)
      begin "$1"
      uas "$1".uas; uac ack-cseq.uac -key ack_cseq 5; wait_callee
      finish
      clean "Same as ack-cseq-update but the ACK carries CSeq 5, the re-INVITE's number (RFC 3261 13.2.2.4), so the 200 is not retransmitted; the UPDATE (CSeq 6) inside the re-INVITE transaction is legal (it is not an INVITE) and the callee's BYE (its CSeq 1) ends the call."
      ;;
    ack-missing)
      begin "$1"
      uas "$1".uas; uac "$1".uac; wait_callee
      finish
      local ok200="sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\""
      check "[ \$(count \"$ok200\") = 11 ] && [ \$(count 'sip.Method == \"ACK\"') = 0 ]" "expected 1+10 200 OKs and no ACK"
      expect ack-missing error "$(fr "$ok200")" \
        "The caller never ACKs the 200 OK to its INVITE: the callee retransmits it 10 times (0.5, 1, 2, 4, 4 ... s, RFC 3261 13.3.1.4) for 32 s and then ends the call with BYE; frames: the 200 and its 10 retransmissions."
      ;;
    call-ok)
      begin "$1"
      uas "$1".uas; uac "$1".uac; wait_callee
      finish
      clean "A plain answered call: INVITE, 100, 180, 200, ACK (CSeq 1, answered at once, so the 200 is not retransmitted), BYE 2, 200. Clean counterpart of ack-missing and call-not-ended."
      ;;
    call-not-ended)
      begin "$1"
      uas "$1".uas; uac "$1".uac; wait_callee
      # the caller's scenario idles 3 s after the ACK; one ICMP echo then
      # marks the end of the capture (a pcap has no end time of its own)
      icmp_echo "$NS_A" $IP_B
      finish
      expect call-not-ended info "$(fr 'sip.Method == "INVITE" || sip.Status-Code == 200 || sip.Method == "ACK"')" \
        "The call is answered (200) and ACKed, then nothing more is signalled: the capture ends about 3 s later (its last frames are one ICMP echo request/reply) with no BYE, so the call is still up or ended outside the capture; frames: INVITE, 200, ACK."
      ;;
    invite-overlap)
      begin "$1"
      uas "$1".uas; uac "$1".uac; wait_callee
      finish
      expect invite-overlap warning \
        "$(fr '(sip.Method == "INVITE") || (sip.Status-Code == 500)')" \
        "The callee sends a re-INVITE right after its 200 to the caller's INVITE, before the ACK, i.e. while that INVITE transaction is still in progress (RFC 3261 14.1, seeds/001); the caller answers 500 Race Condition (Retry-After); frames: the first INVITE, the re-INVITE, the 500."
      ;;
    invite-reinvite-ok)
      begin "$1"
      uas two-dir-call.uas; uac two-dir-call.uac; wait_callee
      finish
      clean "Same dialog as invite-overlap but the callee waits for the caller's ACK before its re-INVITE (CSeq 1 in its own direction), which gets 200 and an ACK; the caller then ends the call with BYE 2 (same scenarios as call 1 of cseq-two-directions)."
      ;;
    reinvite-hold)
      begin "$1"
      uas "$1".uas; uac "$1".uac; wait_callee
      finish
      clean "Hold and resume: re-INVITE 2 offers a=sendonly and is answered a=recvonly, re-INVITE 3 offers a=sendrecv again, each answered 200 and ACKed after the previous transaction completed (no overlap); CSeq 1-4 increase, SDP o= versions increase, BYE ends the call."
      ;;
    forked-2xx)
      begin "$1"
      kamailio_start
      phone fork-autoanswer.uas 192.0.2.21; phone fork-autoanswer.uas 192.0.2.22; sleep 0.5
      uac forked-2xx.uac; wait_phones; kamailio_stop
      finish
      local two00="sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\""
      check "[ \$(tshark -r \"$CAP\" -Y \"$two00\" -T fields -e sip.to.tag 2>/dev/null | sort -u | wc -l) = 2 ]" "expected two 200 OKs (INVITE) with different To-tags"
      expect forked-2xx warning "$(fr "sip.Method == \"INVITE\" || ($two00)")" \
        "One INVITE, forked in parallel by a real Kamailio proxy to two auto-answering phones, gets two 200 OKs with different To-tags, i.e. two dialogs (seeds/001); the caller does what RFC 3261 13.2.2.4 asks - ACKs both, BYEs the second at once and the first 1 s later (both BYEs are CSeq 2, each in its own dialog, 12.1.2: no cseq-order finding) - but two phones did answer; frames: the INVITE and the two 200s."
      ;;
    forked-ok)
      begin "$1"
      kamailio_start
      phone fork-slow.uas 192.0.2.21; phone fork-answer.uas 192.0.2.22; sleep 0.5
      uac forked-ok.uac; wait_phones; kamailio_stop
      finish
      check "[ \$(count 'sip.Status-Code == 180') = 2 ] && [ \$(count 'sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\"') = 1 ]" "expected two 180s and one 200 (INVITE)"
      clean "Forking by a real Kamailio proxy to two phones: both ring (two 180s with different To-tags: early dialogs), only one answers (one 200); the proxy CANCELs the other branch and absorbs its 487 (that leg is not on the captured link). One dialog, ACKed and ended with BYE."
      ;;
    dup-capture)
      # the caller's address sits on a bridge whose port is vA; "tcpdump -i any"
      # then sees every packet twice: on the port (vA) and on the bridge (br0)
      NAME=$1; CAP="$OUT/$1.pcap"; CID="$1-%u@%s"
      rm -f "$CAP" "$WORK/manifest"
      mk_pair 4
      nsx "$NS_A" ip link add br0 type bridge
      nsx "$NS_A" ip link set vA master br0
      nsx "$NS_A" ip addr add $IP_A/24 dev br0
      nsx "$NS_A" ip link set br0 up
      nsx "$NS_B" ip addr add $IP_B/24 dev vB
      sleep 0.5
      start_cap "$NS_A" any "$CAP"
      uas call-ok.uas; uac call-ok.uac; wait_callee
      finish
      check "[ \$(count 'sip') = 14 ]" "expected each of the 7 SIP messages twice"
      clean "A plain call (INVITE, 100, 180, 200, ACK, BYE, 200) captured with tcpdump -i any (LINUX_SLL) on a host whose address is on a bridge: every packet appears twice, on the bridge port vA and on br0, byte-identical and microseconds apart (same IP ID). These duplicates are a capture artefact, not SIP retransmissions: no no-response/ack-missing/retransmission finding, and each message should be counted once."
      ;;
    *) echo "unknown capture: $1" >&2; exit 2 ;;
  esac
  write_manifest
}

case "${1:-all}" in
  all)  start_common; for c in "${CAPTURES[@]}"; do "$0" "$c"; done; trap - EXIT; cleanup ;;
  list) printf '%s\n' "${CAPTURES[@]}" ;;
  *)    start_common; one "$1" ;;
esac
