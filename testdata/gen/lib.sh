# Common helpers for the capture generators (sourced, not run).
# Requires: root, iproute2, tcpdump, sipp (Debian "sip-tester"), tshark.
# All traffic stays inside network namespaces created here; addresses are
# documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32).
set -euo pipefail

GEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$(cd "$GEN_DIR/../captures" && pwd)
PY=/usr/bin/python3
# Unique prefix so parallel runs / leftovers do not collide.
NSP="sa$$"
NS_A="${NSP}a"   # UAC side
NS_B="${NSP}b"   # UAS side
PIDS=()

need() {
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "missing command: $c" >&2; exit 2; }
  done
}

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  sleep 0.3
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
  done
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "${WORK:-/nonexistent-sipaudit}"
}

start_common() {
  need ip tcpdump sipp tshark
  [ "$(id -u)" = 0 ] || { echo "must run as root (network namespaces)" >&2; exit 2; }
  WORK=$(mktemp -d /tmp/sipaudit-gen.XXXXXX)
  trap cleanup EXIT INT TERM
}

# nsx NS cmd...  -- run inside a namespace
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Two namespaces joined by a veth pair: A/vA (02:00:00:00:00:0a) <-> B/vB (..:0b)
# $1 = "4" (IPv4 only, IPv6 disabled) or "6" (IPv6 too)
mk_pair() {
  local fam=${1:-4}
  ip netns add "$NS_A"; ip netns add "$NS_B"
  for ns in "$NS_A" "$NS_B"; do   # before the veth exists, so it inherits these
    nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0
  done
  ip link add vA netns "$NS_A" address 02:00:00:00:00:0a type veth peer name vB netns "$NS_B" address 02:00:00:00:00:0b
  for ns in "$NS_A" "$NS_B"; do
    nsx "$ns" ip link set lo up
    if [ "$fam" = 4 ]; then
      nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    else
      nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
    fi
  done
  nsx "$NS_A" ip link set vA up
  nsx "$NS_B" ip link set vB up
}

# start_cap NS IFACE OUTFILE [tcpdump args...]  -- background tcpdump, waits until ready
start_cap() {
  local ns=$1 ifc=$2 out=$3; shift 3
  # "ip netns exec" execs tcpdump, so $! is tcpdump itself
  ip netns exec "$ns" tcpdump -i "$ifc" --immediate-mode -U -s 0 -w "$out" "$@" >"$WORK/tcpdump.log" 2>&1 &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  local i
  for i in $(seq 50); do
    grep -q "listening on" "$WORK/tcpdump.log" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.3
}

stop_cap() {
  sleep 0.5
  kill -TERM "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  grep -E "captured|dropped by kernel" "$WORK/tcpdump.log" >&2 || true
}

# sipp_uas NS IP [sipp args...]  -- background SIPp UAS on IP:5060
sipp_uas() {
  local ns=$1 ip=$2; shift 2
  (cd "$WORK" && exec ip netns exec "$ns" timeout 60 sipp -sn uas -i "$ip" -p 5060 -nostdin "$@" >"$WORK/uas.log" 2>&1) &
  UAS_PID=$!
  PIDS+=("$UAS_PID")
  sleep 0.5
}

# sipp_uac NS LOCALIP REMOTE [sipp args...]  -- foreground SIPp UAC
# (built-in "uac" scenario unless UAC_SF names a scenario file)
sipp_uac() {
  local ns=$1 ip=$2 remote=$3; shift 3
  local scen=(-sn uac); [ -n "${UAC_SF:-}" ] && scen=(-sf "$UAC_SF")
  (cd "$WORK" && ip netns exec "$ns" timeout 60 sipp "${scen[@]}" -i "$ip" -p 5070 -nostdin "$@" "$remote" >"$WORK/uac.log" 2>&1) \
    || { echo "sipp uac failed:" >&2; tail -20 "$WORK/uac.log" >&2; return 1; }
}

wait_uas() {
  local i
  for i in $(seq 100); do kill -0 "$UAS_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill "$UAS_PID" 2>/dev/null || true
}

sip_count() { tshark -r "$1" -Y sip 2>/dev/null | wc -l; }
report() { echo "$(basename "$1"): $(stat -c %s "$1") bytes, $(tshark -r "$1" 2>/dev/null | wc -l) frames, $(sip_count "$1") SIP"; }

# --- shared by the rule-capture scripts (testdata/gen/rules/*.sh) ---

# rules_begin CAPFILE: fresh namespace pair (IP_A in A, IP_B in B), capture on A's side
rules_begin() {
  rm -f "$1"
  mk_pair 4
  nsx "$NS_A" ip addr add $IP_A/24 dev vA
  nsx "$NS_B" ip addr add $IP_B/24 dev vB
  start_cap "$NS_A" vA "$1"
}

# rules_uas SCENARIO-FILE [sipp args]: background SIPp UAS on IP_B:5060, one call
rules_uas() {
  local sf=$1; shift
  (cd "$WORK" && exec ip netns exec "$NS_B" timeout 120 sipp -sf "$sf" \
     -i $IP_B -p 5060 -nd -nostdin -m 1 "$@" >"$WORK/uas.log" 2>&1) &
  UAS_PID=$!; PIDS+=("$UAS_PID")
  sleep 0.5
}

# check_digest HEADER USER REALM PASSWORD: every digest response in HEADER
# (Authorization or Proxy-Authorization) of the capture $CAP is right
check_digest() {
  local h=$1; shift
  tshark -r "$CAP" -Y "sip.$h" -T fields -e sip.Method -e "sip.$h" 2>/dev/null |
  $PY -c '
import sys, re, hashlib
user, realm, pw = sys.argv[1:4]
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
n = 0
for line in sys.stdin:
    method, auth = line.rstrip("\n").split("\t", 1)
    p = dict(re.findall(r"(\w+)=\"?([^\",]*)", auth))
    want = md5(md5(f"{user}:{realm}:{pw}") + ":" + p["nonce"] + ":" + md5(method + ":" + p["uri"]))
    assert p["response"] == want, "bad digest response"
    n += 1
assert n, "no digest credentials"
print(f"  digest credentials verified ({n})")' "$@"
}

# icmp_echo NS DST: one ICMP echo request (and its reply), no ping(8) needed
icmp_echo() {
  nsx "$1" $PY -c '
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
body = b"sipaudit"
hdr = struct.pack("!BBHHH", 8, 0, 0, 0x5a, 1)
pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + body), 0x5a, 1) + body
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
s.sendto(pkt, (sys.argv[1], 0))
s.recvfrom(1500)' "$2"
}

# expect RULE SEVERITY FRAMES WHY: one manifest line for the current capture $NAME
expect() { printf '%s\t%s\t%s\t%s\t%s\n' "$NAME.pcap" "$1" "$2" "$3" "$4" >>"$WORK/manifest"; }
clean() { expect - - - "$1"; }

# mk_ns NS...: empty namespaces with IPv6 off and lo up
mk_ns() {
  local ns
  for ns in "$@"; do
    ip netns add "$ns"
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx "$ns" ip link set lo up
  done
}

# mk_bridge3: A 192.0.2.10, B 192.0.2.20, C 192.0.2.30 on one bridge in NS_R
# (the caller defines NS_C and NS_R and deletes them on exit).
mk_bridge3() {
  local x ns
  mk_ns "$NS_A" "$NS_B" "$NS_C" "$NS_R"
  nsx "$NS_R" ip link add br0 type bridge mcast_snooping 0
  nsx "$NS_R" ip link set br0 up
  for x in a b c; do
    ns="${NSP}$x"
    ip link add "v${x^^}" netns "$ns" address "02:00:00:00:00:0$x" type veth peer name "r${x^^}" netns "$NS_R"
    nsx "$NS_R" ip link set "r${x^^}" master br0 up
    nsx "$ns" ip link set "v${x^^}" up
  done
  nsx "$NS_A" ip addr add 192.0.2.10/24 dev vA
  nsx "$NS_B" ip addr add 192.0.2.20/24 dev vB
  nsx "$NS_C" ip addr add 192.0.2.30/24 dev vC
}

# wait_bg NAME [seconds] -- wait for the background SIPp started as PID_NAME; complain if it failed
wait_bg() {
  local name=$1 t=${2:-30} pid rc=0 i
  eval "pid=\$PID_$name"
  for i in $(seq $((t * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { echo "$name still running, killing" >&2; kill "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || { echo "sipp $name exited $rc:" >&2; tail -5 "$WORK/$name.err" >&2 2>/dev/null || true; }
}

# wait_callee: wait for the SIPp callee (UAS_PID) to finish its scenario; fail if it failed
wait_callee() {
  local i rc=0
  for i in $(seq 150); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$UAS_PID" 2>/dev/null && { kill "$UAS_PID" 2>/dev/null || true; }
  wait "$UAS_PID" || rc=$?
  [ $rc = 0 ] || { echo "sipp callee exited $rc:" >&2; tail -30 "$WORK/uas.log" >&2; return 1; }
}

# baresip driven over its ctrl_tcp module (media.sh, audio.sh; $PY is python3)
# bs_ctl NS COMMAND [PARAMS]: a ctrl_tcp command (netstring JSON) to the baresip in NS
bs_ctl() {
  nsx "$1" "$PY" -c '
import json, socket, sys
c = socket.create_connection(("127.0.0.1", 4444), timeout=3)
m = json.dumps({"command": sys.argv[1], "params": " ".join(sys.argv[2:]), "token": "sipaudit"}).encode()
c.sendall(b"%d:%s," % (len(m), m))' "${@:2}"
}
# bs_wait NS: until baresip's ctrl_tcp listens
bs_wait() {
  local i
  for i in $(seq 50); do
    nsx "$1" ss -ltn 2>/dev/null | grep -q "127.0.0.1:4444" && return 0
    sleep 0.1
  done
  echo "$NAME: baresip did not start in $1" >&2; cat "$WORK"/bs-*.log >&2; exit 1
}

# Two-party topologies (media.sh, audio.sh: the caller sets IP_A, IP_B and NS_R
# and deletes NS_R on exit)
# caller A 192.0.2.10 <-> callee B 192.0.2.20, one veth pair
topo_pair() {
  mk_pair 4
  nsx "$NS_A" ip addr add $IP_A/24 dev vA
  nsx "$NS_B" ip addr add $IP_B/24 dev vB
}

# caller A -- vA|rA [bridge br0 in R] rB|vB -- callee B, same /24
topo_bridge() {
  mk_ns "$NS_A" "$NS_B" "$NS_R"
  ip link add vA netns "$NS_A" address 02:00:00:00:00:0a type veth peer name rA netns "$NS_R" address 02:00:00:00:01:0a
  ip link add vB netns "$NS_B" address 02:00:00:00:00:0b type veth peer name rB netns "$NS_R" address 02:00:00:00:01:0b
  nsx "$NS_R" ip link add br0 type bridge
  nsx "$NS_R" ip link set rA master br0
  nsx "$NS_R" ip link set rB master br0
  nsx "$NS_R" ip link set br0 up
  nsx "$NS_R" ip link set rA up
  nsx "$NS_R" ip link set rB up
  nsx "$NS_A" ip addr add $IP_A/24 dev vA
  nsx "$NS_B" ip addr add $IP_B/24 dev vB
  nsx "$NS_A" ip link set vA up
  nsx "$NS_B" ip link set vB up
}
