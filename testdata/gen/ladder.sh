#!/bin/bash
# Captures for the exported ladders (--ladder --format svg|mermaid, tests/
# ladder_export.py): texts a ladder must escape, made with SIPp between two
# network namespaces (scenarios in ladder/). Output: testdata/captures/ladder/.
#   ladder.sh escape   one INVITE call whose Call-ID (SIPp -cid_str) holds
#                      < > & " # ; : { } \ and the bytes E9 FF (not UTF-8); the
#                      UAS waits 0.7 s, so the INVITE is retransmitted, then
#                      sends 183 and 486 with such reason phrases and a
#                      Warning the call-failed finding quotes; From's display
#                      name and the SDP's s= line carry markup too
#   ladder.sh all      every capture above
source "$(dirname "$0")/lib.sh"

SF="$GEN_DIR/ladder"
OUT="$OUT_DIR/ladder"
mkdir -p "$OUT"

run_escape() {
  local out="$OUT/escape.pcap"
  rm -f "$out"
  mk_pair 4
  nsx "$NS_A" ip addr add 192.0.2.10/24 dev vA
  nsx "$NS_B" ip addr add 192.0.2.20/24 dev vB
  start_cap "$NS_A" vA "$out"
  (cd "$WORK" && exec ip netns exec "$NS_B" timeout 60 sipp -sf "$SF/escape-uas.xml" -i 192.0.2.20 -p 5060 \
     -m 1 -s bob -nostdin -trace_err -error_file "$WORK/uas.err" >"$WORK/uas.log" 2>&1) &
  PID_uas=$!; PIDS+=("$PID_uas"); sleep 0.5
  # %u call number, %s local address, %% a per cent sign (SIPp -cid_str)
  (cd "$WORK" && ip netns exec "$NS_A" timeout 60 sipp -sf "$SF/escape-uac.xml" -i 192.0.2.10 -p 5070 -m 1 -s bob \
     -cid_str '<esc>&"q"#1;:%%{}\'$'\xe9\xff''-%u@%s' -nostdin -trace_err -error_file "$WORK/uac.err" \
     192.0.2.20:5060 >"$WORK/uac.log" 2>&1) || { echo "sipp uac failed:" >&2; tail -n 20 "$WORK/uac.log" "$WORK/uac.err" >&2; return 1; }
  wait_bg uas
  stop_cap
  report "$out"
}

start_common
case "${1:-all}" in
  escape) run_escape ;;
  all) "$0" escape ;;
  *) echo "usage: $0 escape|all (see the header)" >&2; exit 2 ;;
esac
