#!/bin/bash
# Captures for the correlation of B2BUA legs (calls.c links), made with SIPp
# and the python3-stdlib B2BUA misc/b2bua.py between network namespaces.
# Output: testdata/captures/rules/link-*.pcap; the goldens link-* in
# testdata/golden/TESTLIST pin which calls are linked and by what.
#   links.sh shared-sdp   two unrelated SIPp calls (stock uac/uas scenarios, so
#                         both offers and both answers are byte-identical SDP),
#                         the second set up 75 s after the first while the
#                         first is still up (100 s calls): NOT legs
#   links.sh sdp          A -> B2BUA -> C, the B2BUA passes the SDP through
#                         and adds no correlation header: linked by "same SDP"
#   links.sh session-id   A sends Session-ID (RFC 7989); the B2BUA anchors the
#                         media (own SDP on each leg) and passes Session-ID
#                         both ways; C answers with its own uuid and remote=A's:
#                         linked by "Session-ID"
#   links.sh pcv          A's INVITE carries P-Charging-Vector (RFC 7315,
#                         quoted icid-value); the B2BUA anchors the media and
#                         passes the header with its own orig-ioi and the icid
#                         as a token: linked by "P-Charging-Vector"
#   links.sh header       A sends X-Corr: id=<16 hex>; the B2BUA anchors the
#                         media and writes X-Corr: <id>;leg=2 on leg 2: linked
#                         only with --link-header 'X-Corr=([0-9a-f]{16})'
#   links.sh all          every capture above (about 3 minutes: shared-sdp
#                         waits in real time)
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/rules/links"
MF="$GEN_DIR/rules/misc"
OUT="$OUT_DIR/rules"
mkdir -p "$OUT"
NS_C="${NSP}c"
NS_R="${NSP}r"

links_cleanup() {
  cleanup
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_R" 2>/dev/null || true
}

# bg_sipp NAME NS SCENARIO-ARGS IP PORT [sipp args...] -- background SIPp
bg_sipp() {
  local name=$1 ns=$2 sf=$3 ip=$4 port=$5; shift 5
  (cd "$WORK" && exec ip netns exec "$ns" timeout 300 sipp $sf -i "$ip" -p "$port" \
     -nostdin -trace_err -error_file "$WORK/$name.err" "$@" >"$WORK/$name.log" 2>&1) &
  PIDS+=("$!")
  eval "PID_$name=$!"
  sleep 0.5
}

fg_sipp() {
  local name=$1 ns=$2 sf=$3 ip=$4 port=$5; shift 5
  (cd "$WORK" && ip netns exec "$ns" timeout 300 sipp $sf -i "$ip" -p "$port" \
     -nostdin -trace_err -error_file "$WORK/$name.err" "$@" >"$WORK/$name.log" 2>&1) \
    || { echo "sipp $name failed:" >&2; tail -20 "$WORK/$name.log" "$WORK/$name.err" >&2 2>/dev/null; return 1; }
}

# Two unrelated calls with identical SDP: SIPp's built-in scenarios, one UAC,
# one UAS; call 2 starts 75 s after call 1 (-r 1 -rp 75000), each call lasts
# 100 s (-d), so call 1 is still up when call 2 is set up.
run_shared_sdp() {
  local out="$OUT/link-shared-sdp.pcap"
  mk_pair 4
  nsx "$NS_A" ip addr add 192.0.2.10/24 dev vA
  nsx "$NS_B" ip addr add 192.0.2.20/24 dev vB
  start_cap "$NS_A" vA "$out"
  bg_sipp uas "$NS_B" "-sn uas" 192.0.2.20 5060 -m 2
  fg_sipp uac "$NS_A" "-sn uac" 192.0.2.10 5070 -m 2 -r 1 -rp 75000 -d 100000 -s bob 192.0.2.20:5060
  wait_bg uas
  stop_cap
  report "$out"
}

# run_b2bua NAME UAC.xml UAS.xml B2BUA-OPTIONS...: one call A -> B2BUA -> C,
# captured at the B2BUA (both legs); A hangs up, the B2BUA relays the BYE.
run_b2bua() {
  local name=$1 uac=$2 uas=$3; shift 3
  local out="$OUT/link-$name.pcap"
  mk_bridge3
  start_cap "$NS_B" vB "$out"
  bg_sipp c "$NS_C" "-sf $SF/$uas" 192.0.2.30 5060 -m 1 -s carol
  nsx "$NS_B" timeout 60 "$PY" "$MF/b2bua.py" 192.0.2.20 5060 sip:carol@192.0.2.30:5060 192.0.2.30 5060 relay "$@" \
    >"$WORK/b2bua.log" 2>&1 &
  local bpid=$!; PIDS+=("$bpid"); sleep 0.5
  fg_sipp a "$NS_A" "-sf $SF/$uac" 192.0.2.10 5070 -m 1 -s carol 192.0.2.20:5060
  wait_bg c
  wait "$bpid" || { echo "b2bua.py failed" >&2; cat "$WORK/b2bua.log" >&2; }
  stop_cap
  report "$out"
}

start_common
trap links_cleanup EXIT INT TERM
case "${1:-all}" in
  shared-sdp) run_shared_sdp ;;
  sdp)        run_b2bua sdp a-uac.xml c-uas.xml ;;
  session-id) run_b2bua session-id a-sid-uac.xml c-sid-uas.xml --anchor --pass Session-ID ;;
  pcv)        run_b2bua pcv a-pcv-uac.xml c-uas.xml --anchor --pcv ;;
  header)     run_b2bua header a-corr-uac.xml c-uas.xml --anchor --corr ;;
  all)
    for c in shared-sdp sdp session-id pcv header; do "$0" "$c"; done ;;
  *) echo "usage: $0 <capture>|all (see the header)" >&2; exit 2 ;;
esac
