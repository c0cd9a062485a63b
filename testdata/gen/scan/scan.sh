#!/bin/bash
# Captures for the sip-scan rule: SIPVicious (Debian "sipvicious" 0.3.3:
# svmap, svwar, svcrack) attacking Kamailio 5.6 (pbx.cfg), and the clean
# counterparts a scan detector must leave alone (41 phones registering
# through the usual 401 challenge, from 41 addresses or from one NAT
# address; a registrar's nathelper OPTIONS keep-alives to its 24 contacts,
# and to contacts that registered before the capture, most of them gone).
# testdata/captures/scan/README.md describes each capture, the commands and
# the counts. Files here: pbx.cfg (Kamailio), passwords.txt /
# passwords-hit.txt (svcrack dictionaries, the second ends with the right
# password), phone.uac.xml / phone-typo.uac.xml / contact.uac.xml /
# keepalive.oocsf.xml (SIPp), summary.py (per-source counts with tshark).
#
# Topology (network namespaces, documentation addresses only):
#   A (scanner 203.0.113.66; phones/contacts 203.0.113.101..141, or .50 for
#     the NAT case) --vA|rA--
#   R (router: 203.0.113.1 | 198.51.100.1, forwarding) --rB|vB--
#   B (Kamailio: registrar 198.51.100.20; for svmap 198.51.100.35, .41, .50,
#     .58 in the scanned 198.51.100.32/27).
# The other addresses of the /27 are "silent": R has permanent neighbour
# entries for them with a MAC nobody owns, so what it forwards there is lost
# without an answer or an ICMP error (hosts that drop SIP). tcpdump captures
# A's veth (the scanner's / the phones' side of the edge router). The
# SIPVicious tools run with -x 203.0.113.66 (the address they write in Via
# and Contact; without it they use gethostbyname(hostname), 127.0.0.1 here).
#
#   scan.sh NAME     one capture (e.g. scan.sh scan-svwar)
#   scan.sh all      every capture below (about 8 minutes)
#   scan.sh list     names
# Each run checks the capture's shape with tshark (fails loudly otherwise)
# and rewrites that capture's lines in captures/scan/EXPECTED.scan.tsv, with
# frame numbers and counts read back from the new capture.
# Needs root, iproute2, tcpdump, tshark, sip-tester, kamailio, sipvicious.
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/scan"
OUT="$OUT_DIR/scan"
MAN="$OUT/EXPECTED.scan.tsv"
NS_R="${NSP}r"
SCANNER=203.0.113.66
PBX=198.51.100.20
LIVE=(198.51.100.35 198.51.100.41 198.51.100.50 198.51.100.58)
mkdir -p "$OUT"

CAPTURES=(
  scan-svmap scan-svmap-invite scan-svwar scan-svwar-invite
  scan-svcrack scan-svcrack-403 scan-svcrack-success
  scan-ok-phones scan-ok-phones-nat scan-ok-keepalive scan-ok-keepalive-gone
)

scan_cleanup() {
  cleanup
  ip netns del "$NS_R" 2>/dev/null || true
}

# topo: A -- R -- B, capture on A's veth into $CAP
topo() {
  rm -f "$CAP" "$WORK/manifest"
  mk_ns "$NS_A" "$NS_B" "$NS_R"
  ip link add vA netns "$NS_A" address 02:00:00:00:00:0a type veth peer name rA netns "$NS_R" address 02:00:00:00:01:0a
  ip link add vB netns "$NS_B" address 02:00:00:00:00:0b type veth peer name rB netns "$NS_R" address 02:00:00:00:01:0b
  nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1
  nsx "$NS_R" ip addr add 203.0.113.1/24 dev rA
  nsx "$NS_R" ip addr add 198.51.100.1/24 dev rB
  nsx "$NS_R" ip link set rA up
  nsx "$NS_R" ip link set rB up
  nsx "$NS_A" ip link set vA up
  nsx "$NS_B" ip link set vB up
  nsx "$NS_A" ip addr add $SCANNER/24 dev vA
  nsx "$NS_A" ip route add default via 203.0.113.1
  nsx "$NS_B" ip route add default via 198.51.100.1 dev vB onlink
  start_cap "$NS_A" vA "$CAP"
}

# kamailio_start [-A DEFINE]... -- ADDR...: pbx.cfg in B listening on ADDR:5060
kamailio_start() {
  local defs=() a ls=()
  while [ "$1" != -- ]; do defs+=("$1"); shift; done; shift
  for a in "$@"; do
    nsx "$NS_B" ip addr add "$a/24" dev vB 2>/dev/null || true
    ls+=(-l "udp:$a:5060")
  done
  mkdir -p "$WORK/kam"
  ip netns exec "$NS_B" kamailio -f "$SF/pbx.cfg" "${defs[@]}" "${ls[@]}" -DD -E -m 32 -M 8 \
    -Y "$WORK/kam" -w "$WORK/kam" >"$WORK/kamailio.log" 2>&1 &
  KAM_PID=$!; PIDS+=("$KAM_PID")
  local i
  for i in $(seq 50); do
    nsx "$NS_B" ss -lun 2>/dev/null | grep -q "$1:5060" && break
    sleep 0.1
  done
  kill -0 "$KAM_PID" 2>/dev/null || { echo "kamailio did not start:" >&2; tail -5 "$WORK/kamailio.log" >&2; exit 1; }
  sleep 0.5
}
kamailio_stop() {
  kill "$KAM_PID" 2>/dev/null || true
  wait "$KAM_PID" 2>/dev/null || true
}


# begin NAME: fresh topology, capture on A's veth
begin() {
  NAME=$1; CAP="$OUT/$1.pcap"
  topo
}

# silent_hosts: the addresses of the scanned /27 without a SIP server are
# black holes (permanent neighbour entries in R for a MAC nobody has)
silent_hosts() {
  local i a
  for i in $(seq 32 63); do
    a=198.51.100.$i
    [[ " ${LIVE[*]} " == *" $a "* ]] && continue
    nsx "$NS_R" ip neigh replace "$a" lladdr 02:00:00:00:00:ee nud permanent dev rB
  done
}

# scanner TOOL ARGS...: a SIPVicious tool in A (foreground); its report is printed
scanner() {
  local rc=0
  (cd "$WORK" && HOME="$WORK" ip netns exec "$NS_A" timeout 90 "$@" >"$WORK/$NAME.out" 2>&1) || rc=$?
  sed 's/^/  | /' "$WORK/$NAME.out"
  [ $rc = 0 ] || fail "$1 exited $rc"
}

# phone IP PORT USER SCENARIO [sipp args]: one SIPp phone in A, in the background
phone() {
  local ip=$1 port=$2 user=$3 sc=$4; shift 4
  (cd "$WORK" && exec ip netns exec "$NS_A" timeout 120 sipp -sf "$SF/$sc" -i "$ip" -p "$port" \
     -m 1 -s "$user" -au "$user" -ap "pw-$user" -nd -nostdin -trace_err -error_file "$WORK/phone-$ip-$port.err" \
     "$@" $PBX:5060 >"$WORK/phone-$ip-$port.log" 2>&1) &
  PHONES+=($!); PIDS+=($!)
}
# wait_phones SECONDS: every phone finished its scenario successfully
wait_phones() {
  local p rc bad=0 i
  for i in $(seq $(($1 * 10))); do
    for p in "${PHONES[@]}"; do kill -0 "$p" 2>/dev/null && break; done
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  for p in "${PHONES[@]}"; do
    rc=0; wait "$p" || rc=$?
    [ $rc = 0 ] || bad=$((bad + 1))
  done
  [ $bad = 0 ] || { cat "$WORK"/phone-*.err >&2 2>/dev/null || true; fail "$bad phone(s) failed"; }
}

# keepalive_contacts: Kamailio with nathelper pings (-A KEEPALIVE) and 24
# contacts 203.0.113.101..124 (users 2001..2024) registering, 0.05 s apart;
# each answers the pings for 21 s after its registration
keepalive_contact() {
  nsx "$NS_A" ip addr add 203.0.113.$1/24 dev vA
  phone 203.0.113.$1 5060 $((1900 + $1)) contact.uac.xml -oocsf "$SF/keepalive.oocsf.xml"
}
keepalive_contacts() {
  kamailio_start -A KEEPALIVE -- $PBX
  PHONES=()
  local i
  for i in $(seq 101 124); do keepalive_contact $i; sleep 0.05; done
}

# finish: stop the capture, print the per-source counts
finish() {
  stop_cap
  report "$CAP"
  "$PY" "$SF/summary.py" "$CAP" - | sed 's/^/  /' | head -50
}

check() { eval "$1" || fail "$2"; }
fail() { echo "$NAME: capture check failed: $1" >&2; exit 1; }
# count FILTER: SIP frames matching FILTER (ICMP-quoted copies excluded)
count() { tshark -r "$CAP" -Y "sip && !icmp && ($1)" 2>/dev/null | wc -l; }
# fr FILTER: comma-separated frame numbers of the SIP frames matching FILTER
fr() {
  local f
  f=$(tshark -r "$CAP" -Y "sip && !icmp && ($1)" -T fields -e frame.number 2>/dev/null | paste -sd, -)
  [ -n "$f" ] || fail "no frame matches: $1"
  echo "$f"
}
# sm SOURCE [KEY]: summary.py on this capture
sm() { "$PY" "$SF/summary.py" "$CAP" "$@"; }

# manifest lines go to $MAN in CAPTURES order, replacing this capture's old ones
write_manifest() {
  local tmp="$WORK/man.new" c
  touch "$MAN"
  {
    flock 9
    { grep -v -F "$NAME.pcap	" "$MAN" || true; cat "$WORK/manifest"; } >"$tmp.all"
    : >"$tmp"
    for c in "${CAPTURES[@]}"; do grep -F "$c.pcap	" "$tmp.all" >>"$tmp" || true; done
    cat "$tmp" >"$MAN"
  } 9>>"$MAN"
  sed 's/^/  EXPECTED: /' "$WORK/manifest"
}

one() {
  local s f l
  case "$1" in
    scan-svmap|scan-svmap-invite)
      begin "$1"; silent_hosts
      kamailio_start -- "${LIVE[@]}"
      if [ "$1" = scan-svmap ]; then
        scanner svmap -x $SCANNER 198.51.100.32/27
      else
        scanner svmap -m INVITE -x $SCANNER 198.51.100.32/27
      fi
      kamailio_stop; finish
      local m=OPTIONS code=200; [ "$1" = scan-svmap-invite ] && { m=INVITE; code=404; }
      check "[ \$(count 'sip.Method == \"$m\" && ip.src == $SCANNER') = 32 ] && [ \$(sm $SCANNER hosts) = 32 ]" "expected 32 $m, one to each address of the /27"
      check "[ \$(sm $SCANNER codes) = $code:4 ] && [ \$(sm $SCANNER answering) = 4 ]" "expected 4 answers ($code), one from each live host"
      s=$(sm $SCANNER); f=$(sm $SCANNER first); l=$(sm $SCANNER last)
      if [ "$1" = scan-svmap ]; then
        expect sip-scan warning "$f,$l" \
          "svmap (SIPVicious 0.3.3, default method OPTIONS) sweeping 198.51.100.32/27 (network and broadcast addresses included), one OPTIONS per address in address order, none retransmitted: $s. Each OPTIONS has its own Call-ID and branch, R-URI sip:100@<target>, From/To \"sipvicious\"<sip:100@1.1.1.1> (svmap's built-in From; 1.1.1.1 is only text in the header), a From tag that is the hex of the target's address and port, Contact sip:100@$SCANNER:5060. The four Kamailio hosts answer 200; the other 28 addresses are silent (no response, no ICMP). One sip-scan warning for the source (an OPTIONS sweep of many hosts): frames = first request, last frame of the scan."
      else
        expect sip-scan warning "$f,$l" \
          "svmap -m INVITE: the same sweep of 198.51.100.32/27 with INVITEs (no SDP, Content-Length 0), one per address, not retransmitted and never ACKed (svmap sends no ACK, so the 404s stay unacknowledged): $s. R-URI sip:100@<target>; the four Kamailio hosts answer 404 (user 100 unknown), the other 28 addresses are silent. One sip-scan warning for the source (an INVITE sweep of many hosts); the per-INVITE failures belong to the scan, not 32 separate call findings: frames = first request, last frame of the scan."
      fi
      ;;
    scan-svwar|scan-svwar-invite)
      begin "$1"
      kamailio_start -- $PBX
      if [ "$1" = scan-svwar ]; then
        scanner svwar -e100-199 -x $SCANNER $PBX
        check "[ \$(count 'sip.Method == \"REGISTER\"') = 101 ] && [ \$(sm $SCANNER codes) = 401:4,404:97 ]" "expected 101 REGISTERs answered 4x 401, 97x 404"
      else
        scanner svwar -m INVITE -e100-199 -x $SCANNER $PBX
        check "[ \$(count 'sip.Method == \"INVITE\"') = 101 ] && [ \$(sm $SCANNER codes) = 404:97,407:4 ]" "expected 101 INVITEs answered 4x 407, 97x 404"
      fi
      grep -q "177.*reqauth" "$WORK/$NAME.out" || fail "svwar did not report 177"
      kamailio_stop; finish
      s=$(sm $SCANNER); f=$(sm $SCANNER first); l=$(sm $SCANNER last)
      local probe; probe=$(tshark -r "$CAP" -Y "sip && frame.number == $f" -T fields -e sip.to.user 2>/dev/null)
      if [ "$1" = scan-svwar ]; then
        expect sip-scan warning "$f,$l" \
          "svwar (SIPVicious 0.3.3, default method REGISTER) enumerating extensions 100-199 on the Kamailio registrar $PBX: $s. svwar first sends one REGISTER for a random 32-bit user ($probe) to learn the answer for an unknown user (404 here); then one REGISTER per extension 100..199, each with its own Call-ID, CSeq 1, R-URI sip:$PBX (no user), To/From \"EXT\"<sip:EXT@$PBX>, Contact sip:EXT@$PBX (the server's own address), no Expires header, a From tag that is the hex of the extension; the next one is sent as soon as an answer arrives or 5 ms pass. 101, 117, 142, 177 exist (401), the others 404. One sip-scan warning for the source (extension enumeration: REGISTERs over a range answered 404/401); the 97 REGISTER->404 are the scan's, not 97 registration failures: frames = first request (the probe), last frame of the scan."
      else
        expect sip-scan warning "$f,$l" \
          "svwar -m INVITE enumerating extensions 100-199 on $PBX: $s. As with REGISTER, first a probe INVITE for a random 32-bit user ($probe) -> 404 (that probe's 404 is never ACKed); then one INVITE per extension (R-URI sip:EXT@$PBX, no SDP), 404 for unknown extensions and 407 for 101, 117, 142, 177 (the PBX challenges only existing users); svwar ACKs each final response with a new branch, R-URI sip:$PBX, 'CSeq: 1  ACK' (two spaces), Contact sip:None@$PBX - not the INVITE's branch as RFC 3261 17.1.1.3 requires for a non-2xx ACK. One sip-scan warning for the source (extension enumeration by INVITE answered 404/407); not 101 failed calls: frames = first request (the probe), last frame of the scan."
      fi
      ;;
    scan-svcrack|scan-svcrack-403|scan-svcrack-success)
      begin "$1"
      local defs=() dict=passwords.txt
      [ "$1" = scan-svcrack-403 ] && defs=(-A WRONG_PW_403)
      [ "$1" = scan-svcrack-success ] && dict=passwords-hit.txt
      kamailio_start "${defs[@]}" -- $PBX
      scanner svcrack -u 142 -d "$SF/$dict" -x $SCANNER $PBX
      kamailio_stop; finish
      local words; words=$(grep -c . "$SF/$dict")
      check "[ \$(sm $SCANNER with_credentials) = $words ] && [ \$(sm $SCANNER to_users) = 1 ]" "expected $words REGISTERs with credentials for 142 (one per dictionary word)"
      s=$(sm $SCANNER); f=$(sm $SCANNER first); l=$(sm $SCANNER last)
      local cids noauth; cids=$(sm $SCANNER callids); noauth=$(( $(sm $SCANNER requests) - words ))
      case "$1" in
        scan-svcrack)
          check "[ \$(count 'sip.Status-Code == 200') = 0 ] && [ \$(count 'sip.Status-Code == 403') = 0 ]" "expected only 401s"
          expect sip-scan warning "$f,$l" \
            "svcrack (SIPVicious 0.3.3) guessing the password of extension 142 with a $words-word dictionary that does not contain it, against the Kamailio registrar (qop=auth challenges; a wrong password gets a fresh 401, as Kamailio's default config does): $s. svcrack sends a REGISTER without credentials (CSeq 1) -> 401, then answers every 401 with the next word: REGISTERs with Authorization (username 142, nc counting up) on the challenged Call-ID, always CSeq 2 (the same CSeq reused with a new branch for every guess), the From tag the hex of '142:<password>'. Whenever no answer arrives within 5 ms svcrack also sends another REGISTER without credentials on a new Call-ID (in this run $noauth REGISTER(s) without credentials, the first included, on $cids Call-ID(s)). Every guess is refused (401). One sip-scan warning for the source (password guessing on one AoR, no 2xx): frames = first request, last frame of the scan."
          ;;
        scan-svcrack-403)
          check "[ \$(count 'sip.Status-Code == 403') = $words ] && [ \$(count 'sip.Status-Code == 200') = 0 ]" "expected $words 403s"
          check "[ $noauth = $((words + 1)) ] && [ $cids = $((words + 1)) ]" "expected $((words + 1)) REGISTERs without credentials on as many Call-IDs (a slow answer makes svcrack send more: run again)"
          expect sip-scan warning "$f,$l" \
            "svcrack against a registrar that answers a wrong password with 403 Forbidden (pbx.cfg -A WRONG_PW_403, like many PBXes): $s. With no challenge in the 403, svcrack starts over for every word: REGISTER without credentials on a new Call-ID (CSeq 1) -> 401 -> REGISTER with credentials (CSeq 2) -> 403, so each guess is its own short registration attempt ($cids Call-IDs), all for AoR 142; $noauth REGISTERs without credentials in all: one per guess, plus the one svcrack sends after the last 403 before it notices that its dictionary is exhausted (answered 401, never followed up). One sip-scan warning for the source (password guessing: $words REGISTERs with credentials for one AoR answered 403, no 2xx); not $words separate registration failures: frames = first request, last frame of the scan."
          ;;
        scan-svcrack-success)
          check "[ \$(count 'sip.Status-Code == 200') = 1 ]" "expected one 200"
          local ok; ok=$(fr 'sip.Status-Code == 200')
          check "[ $ok = $l ]" "expected the 200 to end the scan"
          expect sip-scan error "$f,$ok" \
            "svcrack as in scan-svcrack, but the $words-word dictionary ends with the right password (hunter2!): $s. The REGISTER with the last word is answered 200 OK (frame $ok): the brute force succeeded and a binding for 142 now points to svcrack's Contact sip:123@1.1.1.1 (its built-in Contact; expires=60). One sip-scan ERROR for the source (password guessing that got a 2xx): frames = first request, the 200 (the last frame of the scan)."
          ;;
      esac
      ;;
    scan-ok-phones|scan-ok-phones-nat)
      begin "$1"
      kamailio_start -- $PBX
      PHONES=()
      local i ip port
      for i in $(seq 1 41); do
        if [ "$1" = scan-ok-phones ]; then ip=203.0.113.$((100 + i)); port=5060
          nsx "$NS_A" ip addr add $ip/24 dev vA
        else ip=203.0.113.50; port=$((5060 + i))
          [ $i = 1 ] && nsx "$NS_A" ip addr add $ip/24 dev vA
        fi
        if [ $i = 41 ]; then phone $ip $port 2041 phone-typo.uac.xml
        else phone $ip $port $((2000 + i)) phone.uac.xml; fi
        sleep 0.1
      done
      wait_phones 60
      kamailio_stop; finish
      check "[ \$(count 'sip.Method == \"REGISTER\"') = 206 ] && [ \$(count 'sip.Status-Code == 401') = 83 ] && [ \$(count 'sip.Status-Code == 200') = 123 ]" "expected 206 REGISTERs, 83x 401, 123x 200"
      check "[ \$(count 'sip.Status-Code >= 300 && sip.Status-Code != 401') = 0 ]" "expected no other failure"
      local reg; reg=$(tshark -r "$CAP" -Y 'sip.CSeq.seq == 1' -T fields -e frame.time_relative 2>/dev/null | awk 'NR==1{a=$1} {b=$1} END {printf "%.1f", b - a}')
      local span; span=$(tshark -r "$CAP" -Y sip -T fields -e frame.time_relative 2>/dev/null | awk 'NR==1{a=$1} {b=$1} END {printf "%.1f-%.1f s", a, b}')
      if [ "$1" = scan-ok-phones ]; then
        clean "41 legitimate phones (SIPp, one process each, users 2001..2041, each from its own address 203.0.113.101..141, port 5060) one started every 0.1 s, registering with Kamailio $PBX (first REGISTERs over $reg s) and refreshing twice, $span: 206 REGISTERs, 83x 401, 123x 200, no other answer. Phones 2001..2040: REGISTER -> 401 -> REGISTER with credentials -> 200; 6 s later a refresh with the cached nonce -> 200; 6 s later a refresh without credentials -> 401 -> with credentials -> 200 (5 REGISTERs, 2x 401, one Call-ID, CSeq 1..5). Phone 2041 (203.0.113.141) mistypes once: its first credentials are refused with a fresh 401, the next ones get 200, then the same two refreshes (6 REGISTERs, 3x 401). Every 401 is followed by a 200 for the same AoR and Call-ID: ordinary challenges, no scan, no sip-scan finding (and no registration-failed: every phone ends registered)."
      else
        clean "The same 41 phones (users 2001..2041, the last one mistyping once) all sending from ONE address, 203.0.113.50, ports 5061..5101 - an office behind a NAT: $span, 206 REGISTERs, 83x 401, 123x 200. From that one source, REGISTERs for 41 different users are answered 401 (83 times), which a scan detector counting 401s per source address would take for an enumeration; but every challenged AoR registers (200) on the same Call-ID and port moments later, each user from its own port and Call-ID, no 404/403: ordinary registrations, no sip-scan finding."
      fi
      ;;
    scan-ok-keepalive)
      begin "$1"
      keepalive_contacts
      # three 5 s keep-alive cycles, then stop the registrar while the contacts
      # still listen (so no ping meets a closed port)
      sleep 16
      kamailio_stop; sleep 0.3
      finish
      local n; n=$(count "sip.Method == \"OPTIONS\" && ip.src == $PBX")
      check "[ \$(sm $PBX hosts) = 24 ] && [ \$(sm $PBX codes) = 200:$n ]" "expected OPTIONS to all 24 contacts, each answered 200"
      check "[ \$(tshark -r \"\$CAP\" -Y icmp 2>/dev/null | wc -l) = 0 ]" "expected no ICMP"
      local per; per=$(tshark -r "$CAP" -Y "sip.Method == \"OPTIONS\" && !icmp" -T fields -e ip.dst 2>/dev/null | sort | uniq -c | awk 'NR==1{a=$1;b=$1} {if($1<a)a=$1; if($1>b)b=$1} END {print a"-"b}')
      s=$(sm $PBX)
      clean "Kamailio registrar $PBX with nathelper SIP pings (natping_interval 5, sipping_bflag, sipping_from sip:pinger@$PBX, ping_nated_only 0): 24 contacts (SIPp, users 2001..2024 at 203.0.113.101..124, port 5060) register (401 -> credentials -> 200, 48 REGISTERs, 24x 401, 24x 200), then the registrar sends each contact an OPTIONS keep-alive every 5 s ($per per contact), spread over the interval by usrloc hash slot: $s. The OPTIONS have From sip:pinger@$PBX;tag=uloc-..., To/R-URI the registered contact, a new Call-ID each, CSeq 1, no Max-Forwards, no Contact, no User-Agent; all answered 200 by the contacts. A registrar's own keep-alives to its registered contacts: no sip-scan finding."
      expect malformed warning "$(fr "sip.Method == \"OPTIONS\" && ip.src == $PBX")" \
        "Not a scan finding: nathelper's keep-alive OPTIONS carry no Max-Forwards header (RFC 3261 8.1.1), the same shape as prod/maxfwd-missing-200 (a warning there, the peer accepts them with 200). Listed so that this capture checks only the absence of sip-scan; drop this line if sipaudit stops warning about nathelper's pings."
      ;;
    scan-ok-keepalive-gone)
      # the registrations happen before the capture (it is restarted after
      # them); then 16 of the 24 contacts go away (R sends what is for them
      # to a MAC nobody has: silent, no ICMP), and one more contact
      # registers while the capture runs
      begin "$1"
      keepalive_contacts
      local i
      sleep 1.5
      stop_cap; rm -f "$CAP"
      for i in $(seq 109 124); do
        nsx "$NS_R" ip neigh replace 203.0.113.$i lladdr 02:00:00:00:00:ee nud permanent dev rA
      done
      start_cap "$NS_A" vA "$CAP"
      keepalive_contact 125
      # three 5 s keep-alive cycles, ended before the first contacts' SIPp
      # (21 s after their REGISTER) stop listening
      sleep 15
      kamailio_stop; sleep 0.3
      finish
      check "[ \$(count 'sip.Method == \"REGISTER\"') = 2 ] && [ \$(count 'sip.Status-Code == 200 && sip.CSeq.method == \"REGISTER\"') = 1 ]" "expected one registration (401, 200) in the capture"
      check "[ \$(sm $PBX hosts) = 25 ] && [ \$(sm $PBX answering) = 9 ]" "expected OPTIONS to 25 contacts, 9 of them answering"
      check "[ \$(tshark -r \"\$CAP\" -Y icmp 2>/dev/null | wc -l) = 0 ]" "expected no ICMP"
      s=$(sm $PBX)
      clean "Kamailio registrar $PBX with nathelper SIP pings as in scan-ok-keepalive, but the capture starts after 24 contacts (203.0.113.101..124) registered, and 16 of them (.109..124) are then gone (the router sends what is for them to a MAC nobody has: no answer, no ICMP); one more contact (2025 at 203.0.113.125) registers while the capture runs (401 -> credentials -> 200). The registrar's keep-alives: $s. From one host, OPTIONS to 25 hosts of which 16 never answer and 24 never registered in the capture - the shape of an OPTIONS sweep, except that the sender is the registrar (it answers a REGISTER 200 in the capture) and sends nothing but OPTIONS, with no scanner User-Agent: keep-alives to contacts registered before the capture, no sip-scan finding. (The same shape as snort3_demo__SIP_Eyebeam2Eyebeam_Video_Audio.pcap in the public corpus, a PBX pinging 13 phones.)"
      expect malformed warning "$(fr "sip.Method == \"OPTIONS\" && ip.src == $PBX" | cut -d, -f1-3)" \
        "Not a scan finding: nathelper's keep-alive OPTIONS carry no Max-Forwards header (as in scan-ok-keepalive). Listed so that this capture checks only the absence of sip-scan."
      ;;
    *) echo "unknown capture: $1" >&2; exit 2 ;;
  esac
  write_manifest
}

case "${1:-all}" in
  all)  for c in "${CAPTURES[@]}"; do "$0" "$c"; done ;;
  list) printf '%s\n' "${CAPTURES[@]}" ;;
  *)    need kamailio svmap svwar svcrack
        start_common; trap scan_cleanup EXIT INT TERM
        # a work directory of our own name (a sipaudit-gen.* one was seen
        # removed by something else while a capture was running)
        rmdir "$WORK"; WORK=$(mktemp -d /tmp/sipaudit-scan.XXXXXX)
        one "$1" ;;
esac
