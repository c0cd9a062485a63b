#!/bin/bash
# SIP over TLS test captures for TLS decryption with key logs (issue 13).
# tlssip.py (Python ssl = OpenSSL 3) as UAC in namespace A and UAS in
# namespace B; openssl s_client for the KeyUpdate case; SIPp behind
# tlsrelay.py TLS relays; Kamailio's tls module as a TLS proxy; tcpdump on
# A's veth.
# Every capture NAME.pcap gets its NSS key log NAME.keys (written by the
# client: SSLContext.keylog_filename / s_client -keylogfile).
#   tls.sh [all|NAME...]   -> testdata/captures/tls/
# Needs: root, iproute2, tcpdump, tshark, editcap, openssl, python3, sip-tester
# (SIPp), kamailio + kamailio-tls-modules (tls13-kamailio).
source "$(dirname "$0")/../lib.sh"
TLS_DIR="$GEN_DIR/tls"
OUT="$OUT_DIR/tls"
A=192.0.2.10 B=192.0.2.20
mkdir -p "$OUT"

# The self-signed certificate is made once and kept in the repo so the
# captures can be remade the same way (same certificate, new keys).
if [ ! -f "$TLS_DIR/server.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.crt" \
    -days 36500 -subj "/CN=sip.example.test" -addext "subjectAltName=DNS:sip.example.test"
fi

# TLS 1.3 suites cannot be chosen through Python's ssl: an OpenSSL config does it.
suite_conf() {
  printf 'openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nCiphersuites = %s\n' "$1" >"$WORK/ossl-$1.cnf"
  echo "$WORK/ossl-$1.cnf"
}

# No segmentation offload on the veth pair: tcpdump must see wire-sized
# segments (MSS 1460), not one GSO super-packet per write.
no_gso() {
  nsx "$NS_A" ip link set vA gso_max_segs 1 gso_max_size 1500
  nsx "$NS_B" ip link set vB gso_max_segs 1 gso_max_size 1500
}

# tls_begin NAME: namespaces A and B joined by a veth (no offload), tcpdump on
# A's side writing OUT/NAME.pcap; the client writes WORK/NAME.keys.
tls_begin() {
  echo "== $1" >&2
  mk_pair 4
  nsx "$NS_A" ip addr add $A/24 dev vA
  nsx "$NS_B" ip addr add $B/24 dev vB
  no_gso
  rm -f "$OUT/$1.pcap" "$WORK/$1.keys"
  start_cap "$NS_A" vA "$OUT/$1.pcap" tcp
}

# tls_end NAME: the capture closed, its key log beside it, the namespaces gone.
tls_end() {
  stop_cap
  cp "$WORK/$1.keys" "$OUT/$1.keys"
  ip netns del "$NS_A"; ip netns del "$NS_B"
  report "$OUT/$1.pcap" >&2
}

# run NAME PORT SUITE13 "server opts" "client opts"
run() {
  local name=$1 port=$2 suite=$3 sopt=$4 copt=$5 env=()
  [ -n "$suite" ] && env=(env OPENSSL_CONF="$(suite_conf "$suite")")
  tls_begin "$name"
  ip netns exec "$NS_B" "${env[@]}" "$PY" "$TLS_DIR/tlssip.py" server $B $port $sopt >"$WORK/srv.log" 2>&1 &
  local srv=$!; PIDS+=("$srv")
  for i in $(seq 50); do grep -qs ready "$WORK/srv.log" && break; sleep 0.1; done
  ip netns exec "$NS_A" "${env[@]}" timeout 30 "$PY" "$TLS_DIR/tlssip.py" client $A $B $port \
    --keylog "$WORK/$name.keys" $copt >&2
  wait "$srv" || { cat "$WORK/srv.log" >&2; exit 1; }
  tls_end "$name"
}

# KeyUpdate: Python's ssl has no key-update call, openssl s_client has ('K'
# on its stdin = KeyUpdate with update_requested, so both sides rekey).
# The SIP text (LF lines, -crlf makes them CRLF) is fed with pauses.
keyupdate() {
  local name=tls13-keyupdate port=5061 u="sip:uas@$B:5061;transport=tls"
  tls_begin "$name"
  ip netns exec "$NS_B" "$PY" "$TLS_DIR/tlssip.py" server $B $port --ver 1.3 >"$WORK/srv.log" 2>&1 &
  local srv=$!; PIDS+=("$srv")
  for i in $(seq 50); do grep -qs ready "$WORK/srv.log" && break; sleep 0.1; done
  local sdp="v=0\no=- 1001 1 IN IP4 $A\ns=-\nc=IN IP4 $A\nt=0 0\nm=audio 30000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"
  local sdplen=$(( $(printf "$sdp" | wc -c) + $(printf "$sdp" | wc -l) ))
  local hd="From: <sip:alice@example.test>;tag=cku1\nTo: <sip:bob@example.test>%s\nCall-ID: keyupdate-1@$A\nMax-Forwards: 70\n"
  {
    sleep 1
    printf "INVITE sip:bob@$B:5061;transport=tls SIP/2.0\nVia: SIP/2.0/TLS $A:5061;branch=z9hG4bK-ku-1\n$hd%s\nContact: <sip:alice@$A:5061;transport=tls>\nContent-Type: application/sdp\nContent-Length: $sdplen\n\n$sdp" "" "CSeq: 1 INVITE"
    sleep 1
    printf "ACK $u SIP/2.0\nVia: SIP/2.0/TLS $A:5061;branch=z9hG4bK-ku-2\n$hd%s\nContent-Length: 0\n\n" ";tag=u77" "CSeq: 1 ACK"
    sleep 1
    printf "K\n"
    sleep 1
    printf "BYE $u SIP/2.0\nVia: SIP/2.0/TLS $A:5061;branch=z9hG4bK-ku-3\n$hd%s\nContent-Length: 0\n\n" ";tag=u77" "CSeq: 2 BYE"
    sleep 1
  } | ip netns exec "$NS_A" timeout 30 openssl s_client -connect $B:$port -tls1_3 -crlf -keylogfile "$WORK/$name.keys" \
        -servername sip.example.test >"$WORK/sclient.log" 2>&1 || true
  grep -q "KEYUPDATE" "$WORK/sclient.log" || { echo "no KEYUPDATE in s_client output" >&2; cat "$WORK/sclient.log" >&2; exit 1; }
  wait "$srv" || { cat "$WORK/srv.log" >&2; exit 1; }
  tls_end "$name"
}

# SIPp over TLS: SIPp's own TLS (OpenSSL) cannot write a key log, so SIPp UAC
# and UAS talk plain TCP (-t t1) to tlsrelay.py on their own host (loopback,
# not captured) and the relays carry the SIP bytes over TLS across the veth;
# the client relay writes the key log.  SIPp's records follow its writes.
sipp_tls() {
  local name=$1 ver=$2
  tls_begin "$name"
  (cd "$WORK" && exec ip netns exec "$NS_B" timeout 60 sipp -sn uas -t t1 -i $B -p 5060 -m 1 -nostdin >"$WORK/uas.log" 2>&1) &
  UAS_PID=$!; PIDS+=("$UAS_PID")
  ip netns exec "$NS_B" "$PY" "$TLS_DIR/tlsrelay.py" server $B 5061 $B 5060 --ver $ver >"$WORK/rs.log" 2>&1 &
  PIDS+=($!)
  ip netns exec "$NS_A" "$PY" "$TLS_DIR/tlsrelay.py" client $A 5062 $B 5061 --ver $ver --keylog "$WORK/$name.keys" >"$WORK/rc.log" 2>&1 &
  local rc=$!; PIDS+=("$rc")
  for i in $(seq 50); do grep -qs ready "$WORK/rc.log" && grep -qs ready "$WORK/rs.log" && break; sleep 0.1; done
  sleep 0.3
  (cd "$WORK" && ip netns exec "$NS_A" timeout 60 sipp -sn uac -t t1 -i $A -p 5070 -m 1 -nostdin $A:5062 >"$WORK/uac.log" 2>&1) \
    || { echo "sipp uac failed:" >&2; tail -20 "$WORK/uac.log" >&2; exit 1; }
  wait "$UAS_PID" || true
  wait "$rc" || true
  tls_end "$name"
}

# Kamailio's tls module (5.6: no key log of its own) terminates TLS from the
# UAC (tlssip.py, which writes the key log) and relays over UDP on loopback
# to a SIPp UAS; only the TLS leg crosses the captured veth.
kamailio_tls() {
  local name=$1
  need kamailio
  mkdir -p "$WORK/kam"
  sed "s|TLSDIR|$TLS_DIR|" "$TLS_DIR/kamailio-tls.tls.cfg" >"$WORK/kam/tls.cfg"
  sed "s|TLSCFG|$WORK/kam/tls.cfg|" "$TLS_DIR/kamailio-tls.cfg" >"$WORK/kam/kamailio.cfg"
  tls_begin "$name"
  (cd "$WORK" && exec ip netns exec "$NS_B" timeout 60 sipp -sn uas -i 127.0.0.1 -p 5080 -m 1 -nostdin >"$WORK/uas.log" 2>&1) &
  UAS_PID=$!; PIDS+=("$UAS_PID")
  ip netns exec "$NS_B" kamailio -f "$WORK/kam/kamailio.cfg" -DD -E -m 32 -M 8 -Y "$WORK/kam" -w "$WORK/kam" \
    >"$WORK/kamailio.log" 2>&1 &
  PIDS+=($!)
  for i in $(seq 50); do nsx "$NS_B" ss -ltn 2>/dev/null | grep -q ":5061" && break; sleep 0.1; done
  sleep 0.5
  ip netns exec "$NS_A" timeout 30 "$PY" "$TLS_DIR/tlssip.py" client $A $B 5061 --keylog "$WORK/$name.keys" \
    --scen call >&2 || { tail -30 "$WORK/kamailio.log" >&2; exit 1; }
  wait "$UAS_PID" || true
  tls_end "$name"
}

one() {
  case "$1" in
    tls13-aes128gcm)   run "$1" 5061 TLS_AES_128_GCM_SHA256 "--ver 1.3" "--ver 1.3 --scen reg,call" ;;
    tls13-aes256gcm)   run "$1" 5061 TLS_AES_256_GCM_SHA384 "--ver 1.3" "--ver 1.3 --scen reg,call" ;;
    tls13-chacha20)    run "$1" 5061 TLS_CHACHA20_POLY1305_SHA256 "--ver 1.3" "--ver 1.3 --scen reg,call" ;;
    tls12-ecdhe-aes128gcm) run "$1" 5061 "" "--ver 1.2" "--ver 1.2 --cipher ECDHE-RSA-AES128-GCM-SHA256" ;;
    tls12-ecdhe-aes256gcm) run "$1" 5061 "" "--ver 1.2" "--ver 1.2 --cipher ECDHE-RSA-AES256-GCM-SHA384" ;;
    tls12-ecdhe-chacha20)  run "$1" 5061 "" "--ver 1.2" "--ver 1.2 --cipher ECDHE-RSA-CHACHA20-POLY1305" ;;
    tls12-ecdhe-aes128sha-etm) run "$1" 5061 "" "--ver 1.2" "--ver 1.2 --cipher ECDHE-RSA-AES128-SHA" ;;
    tls12-ecdhe-aes128sha)     run "$1" 5061 "" "--ver 1.2" "--ver 1.2 --no-etm --cipher ECDHE-RSA-AES128-SHA" ;;
    tls12-ecdhe-aes128sha256)  run "$1" 5061 "" "--ver 1.2" "--ver 1.2 --no-etm --cipher ECDHE-RSA-AES128-SHA256" ;;
    tls12-rsa-aes128gcm)   run "$1" 5061 "" "--ver 1.2" "--ver 1.2 --cipher AES128-GCM-SHA256" ;;
    tls13-bye481)      run "$1" 5061 TLS_AES_128_GCM_SHA256 "--ver 1.3 --bye481" "--ver 1.3 --scen call" ;;
    tls13-reg403)      run "$1" 5061 TLS_AES_128_GCM_SHA256 "--ver 1.3 --reg403" "--ver 1.3 --scen reg" ;;
    tls12-resume-id)   run "$1" 5061 "" "--ver 1.2 --conns 2 --no-ticket" "--ver 1.2 --cipher ECDHE-RSA-AES128-GCM-SHA256 --scen call --resume" ;;
    tls12-resume-ticket) run "$1" 5061 "" "--ver 1.2 --conns 2" "--ver 1.2 --cipher ECDHE-RSA-AES128-GCM-SHA256 --scen call --resume" ;;
    tls13-resume)      run "$1" 5061 TLS_AES_128_GCM_SHA256 "--ver 1.3 --conns 2" "--ver 1.3 --scen call --resume" ;;
    tls13-keyupdate)   keyupdate ;;
    tls13-sipp)        sipp_tls "$1" 1.3 ;;
    tls12-sipp)        sipp_tls "$1" 1.2 ;;
    tls13-kamailio)    kamailio_tls "$1" ;;
    tls13-bigmsg)      run "$1" 5061 TLS_AES_128_GCM_SHA256 "--ver 1.3" "--ver 1.3 --scen big" ;;
    tls13-wss)         run "$1" 443 TLS_AES_128_GCM_SHA256 "--ver 1.3 --wss" "--ver 1.3 --wss --scen reg,call" ;;
    *) echo "unknown capture: $1" >&2; exit 2 ;;
  esac
}
CAPTURES=(tls13-aes128gcm tls13-aes256gcm tls13-chacha20 tls12-ecdhe-aes128gcm tls12-ecdhe-aes256gcm
  tls12-ecdhe-chacha20 tls12-ecdhe-aes128sha-etm tls12-ecdhe-aes128sha tls12-ecdhe-aes128sha256
  tls12-rsa-aes128gcm tls13-bye481 tls13-reg403 tls12-resume-id tls12-resume-ticket tls13-resume tls13-keyupdate tls13-bigmsg tls13-wss tls13-sipp tls12-sipp tls13-kamailio)

need editcap openssl
start_common
if [ "${1:-all}" = all ]; then set -- "${CAPTURES[@]}"; fi
for c in "$@"; do one "$c"; done
"$PY" "$TLS_DIR/derive.py" "$OUT"
