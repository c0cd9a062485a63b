#!/bin/bash
# A busy trunk for the grouping of repeated findings (issue 11 class 13):
# 300 calls from a trunk side (192.0.2.10:5070) to the far end
# (192.0.2.20:5060), all refused by the far end in a fixed mix: per ten
# calls five 486 Busy Here, three 503 Service Unavailable, two 404 Not Found
# (SIPp on both sides, scenarios in trunk/; the UAC tells the UAS which
# answer to give in an X-Want header taken from an injection file).
# Output: testdata/captures/rules/busy-trunk.pcap; expectation rewritten in
# EXPECTED.trunk.tsv (frames read back with tshark): 300 call-failed info
# findings in three groups (486 / 503 / 404 from 192.0.2.20).
#   trunk.sh            make the capture (about 15 s), then check it
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/rules/trunk"
OUT="$OUT_DIR/rules"
CAP="$OUT/busy-trunk.pcap"
IP_A=192.0.2.10
IP_B=192.0.2.20
CALLS=300

start_common
inf="$WORK/calls.csv"
{
  echo SEQUENTIAL
  for i in $(seq 0 $((CALLS - 1))); do
    case $((i % 10)) in
      0|2|4|6|8) echo "+4940$((7000 + i));486 Busy Here" ;;
      1|5|9) echo "+4940$((7000 + i));503 Service Unavailable" ;;
      *) echo "+4940$((7000 + i));404 Not Found" ;;
    esac
  done
} >"$inf"

rules_begin "$CAP"
(cd "$WORK" && exec ip netns exec "$NS_B" timeout 120 sipp -sf "$SF/uas.xml" -i $IP_B -p 5060 \
   -nostdin -m $CALLS -trace_err -error_file "$WORK/uas.err" >"$WORK/uas.log" 2>&1) &
UAS_PID=$!; PIDS+=("$UAS_PID")
sleep 0.5
(cd "$WORK" && ip netns exec "$NS_A" timeout 120 sipp -sf "$SF/uac.xml" -inf "$inf" -i $IP_A -p 5070 \
   -nostdin -m $CALLS -r 30 -l 20 -trace_err -error_file "$WORK/uac.err" $IP_B:5060 >"$WORK/uac.log" 2>&1) \
  || { echo "sipp uac failed:" >&2; tail -20 "$WORK/uac.log" "$WORK/uac.err" >&2 2>/dev/null; exit 1; }
wait_uas
stop_cap
report "$CAP"
# every call refused, in the mix asked for
for code in 486 503 404; do
  n=$(tshark -r "$CAP" -Y "sip.Status-Code == $code" 2>/dev/null | wc -l)
  echo "$code: $n"
done
# the expectation, with the first call's frames read back (INVITE, its 486)
inv=$(tshark -r "$CAP" -Y 'sip.Method == "INVITE"' -T fields -e frame.number 2>/dev/null | head -1)
busy=$(tshark -r "$CAP" -Y 'sip.Status-Code == 486' -T fields -e frame.number 2>/dev/null | head -1)
printf 'busy-trunk.pcap\tcall-failed\tinfo\t%s,%s\t%s\n' "$inv" "$busy" \
  "A busy trunk: $CALLS INVITEs from $IP_A:5070 all refused by the far end $IP_B (per ten calls five 486 Busy Here, three 503 Service Unavailable, two 404 Not Found, in a fixed order), each ACKed; $CALLS call-failed info findings that the text report shows as three groups (one per code and answering host), each with its first finding in full." \
  >"$OUT/EXPECTED.trunk.tsv"
