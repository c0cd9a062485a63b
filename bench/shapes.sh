#!/usr/bin/env bash
# bench/shapes.sh - sipaudit on every capture shape of issue 14 ("scale").
#
# Makes one capture per traffic shape (SIPp in network namespaces where real
# traffic can make it, hand-built floods where no SIP stack emits it), caches
# them in bench/out/shapes/, then times the bare libpcap loop, sipaudit (text
# and jsonl), tshark and sngrep on each: wall time (best of N), CPU time,
# ratio to the loop, SIP messages/s and peak RSS. See bench/README.md.
#
# Usage: bench/shapes.sh [--shapes LIST] [--scale small|full] [options]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point everywhere (EPOCHREALTIME, printf, awk)

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT_ROOT=${BENCH_OUT:-$BENCH_DIR/out}
OUT_DIR=$OUT_ROOT/shapes
HELPERS=$BENCH_DIR/shapes

ALL_SHAPES=plain,big,same-sdp,one-callid,register,tcp-1conn,tcp-split,flood,no-bye,rtp
ALL_TOOLS=loop,text,jsonl,text1,jsonl1,tshark,sngrep
SHAPES=$ALL_SHAPES
TOOLS=$ALL_TOOLS
SCALE=small
REPEAT=3
SIPAUDIT=""
TIMEOUT=300            # tshark and sngrep, per run
SA_TIMEOUT=${SHAPES_SA_TIMEOUT:-3600}   # loop and sipaudit, per run
MEM_LIMIT_GB=${SHAPES_MEM_LIMIT_GB:-8}  # address-space cap (prlimit --as) on every timed tool
GEN_ONLY=0
REGEN=0
CHECK=0
LONG_RUN=${SHAPES_LONG_RUN:-300}        # a run longer than this (s) is not repeated
SNGREP_LIMIT=100000000                  # sngrep -l (default 20000 dialogs)
GEN_VERSION=2          # bump when a generator changes: invalidates cached captures

usage() {
    cat <<EOF
Usage: bench/shapes.sh [options]      (as root: network namespaces, tcpdump, apt-get)

  --shapes LIST        comma list, default all:
                       $ALL_SHAPES
  --scale small|full   full = the counts of issue 14; small = 1/20 of each
                       (a quick check: a few minutes to generate), default small
  --repeat N           timed runs per tool and capture, the best is kept (default 3)
  --sipaudit PATH      sipaudit binary (default: build/sipaudit)
  --tools LIST         comma list from $ALL_TOOLS (default all;
                       "sipaudit" = text,jsonl,text1,jsonl1, "pcaploop" = loop;
                       text1/jsonl1: the same with -j 1, one thread)
  --timeout S          per run of tshark and sngrep (default 300): longer shows "> S s"
  --mem-limit GB       address-space limit (prlimit --as) of every timed run and of
                       the checks (default 8): a tool over it fails, the machine stays up
  --gen-only           only make (and cache) the captures
  --regen              remake the selected captures even if cached
  --check              verify each capture's shape with tshark (and compare tshark's
                       SIP message count with sipaudit's); slow on the big ones
  -h, --help           this help

Environment: SHAPES_SA_TIMEOUT (3600 s, per run of loop/sipaudit),
  SHAPES_LONG_RUN (300: a run longer than this is not repeated),
  SHAPES_MEM_LIMIT_GB, BENCH_OUT (default bench/out; captures go to its shapes/).
EOF
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --shapes) SHAPES=${2:?--shapes needs a value}; shift 2 ;;
        --shapes=*) SHAPES=${1#*=}; shift ;;
        --scale) SCALE=${2:?--scale needs a value}; shift 2 ;;
        --scale=*) SCALE=${1#*=}; shift ;;
        --repeat) REPEAT=${2:?}; shift 2 ;;
        --repeat=*) REPEAT=${1#*=}; shift ;;
        --sipaudit) SIPAUDIT=${2:?}; shift 2 ;;
        --sipaudit=*) SIPAUDIT=${1#*=}; shift ;;
        --tools) TOOLS=${2:?}; shift 2 ;;
        --tools=*) TOOLS=${1#*=}; shift ;;
        --timeout) TIMEOUT=${2:?}; shift 2 ;;
        --timeout=*) TIMEOUT=${1#*=}; shift ;;
        --mem-limit) MEM_LIMIT_GB=${2:?}; shift 2 ;;
        --mem-limit=*) MEM_LIMIT_GB=${1#*=}; shift ;;
        --gen-only) GEN_ONLY=1; shift ;;
        --regen) REGEN=1; shift ;;
        --check) CHECK=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "shapes.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

log()  { printf '%s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'shapes.sh: %s\n' "$*" >&2; exit 1; }

[[ $SCALE == small || $SCALE == full ]] || die "--scale must be small or full"
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat must be >= 1"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a number of seconds"
[[ $MEM_LIMIT_GB =~ ^[1-9][0-9]*$ ]] || die "--mem-limit must be a whole number of GB"
MEM_LIMIT_BYTES=$((MEM_LIMIT_GB * 1024 * 1024 * 1024))
TOOLS=${TOOLS//sipaudit/text,jsonl,text1,jsonl1}
TOOLS=${TOOLS//pcaploop/loop}
for t in ${TOOLS//,/ }; do
    [[ ",$ALL_TOOLS," == *",$t,"* ]] || die "unknown tool in --tools: $t"
done
for s in ${SHAPES//,/ }; do
    [[ ",$ALL_SHAPES," == *",$s,"* ]] || die "unknown shape in --shapes: $s (known: $ALL_SHAPES)"
done
has_tool() { [[ ",$TOOLS," == *",$1,"* ]]; }
[[ $EUID -eq 0 ]] || die "run as root: network namespaces, tcpdump and apt-get need it"

# --------------------------------------------------------------- counts --
# full = issue 14's counts; small = 1/20 of each (the flood keeps its rate:
# 50,000 REGISTERs in 0.5 s).
DIV=1; [[ $SCALE == small ]] && DIV=20
N_PLAIN=$((100000 / DIV))        # calls, UDP, every call its own SDP port
N_BIG_COPIES=7                   # copies of plain, appended
N_SAME=$((100000 / DIV))         # calls, stock uac/uas: one SDP for all
N_ONECALLID=$((500000 / DIV))    # OPTIONS/200 pairs on one Call-ID
N_REGISTER=$((100000 / DIV))     # registrations, 4 messages each
N_TCP1=$((50000 / DIV))          # calls on one TCP connection
N_SPLIT=$((50000 / DIV))         # calls over TCP with a 480-byte MSS
N_FLOOD=$((1000000 / DIV))       # unanswered REGISTERs
FLOOD_SECONDS=$(awk -v d=$DIV 'BEGIN { print 10 / d }')
N_NOBYE=$((300000 / DIV))        # answered + ACKed calls, never ended
N_RTP=$((2000 / DIV))            # calls with 8 s of two-way G.711 each

# SIPp rates (calls/s) and hold time; SHAPES_RATE_* override. At 2000 calls/s
# on a loaded 2-core machine 2-4 % of the UDP calls failed (their
# retransmissions swell the capture), hence 1000.
RATE_UDP=${SHAPES_RATE_UDP:-1000}
RATE_TCP=${SHAPES_RATE_TCP:-1000}
RATE_REG=${SHAPES_RATE_REG:-2000}
RATE_NOBYE=${SHAPES_RATE_NOBYE:-2500}
RATE_RTP=${SHAPES_RATE_RTP:-40}
HOLD_MS=1000
SPLIT_MTU=520          # MSS 480: INVITE and 200 OK with SDP (~600-700 bytes) take two segments
A_IP=192.0.2.10 B_IP=192.0.2.20
UAC_MEDIA_PORT=6000 UAS_MEDIA_PORT=20000   # [auto_media_port]: 6000..15996 / 20000..29996

mkdir -p "$OUT_DIR" "$OUT_DIR/work"
WORK=$OUT_DIR/work

# ---------------------------------------------------------- dependencies --
APT_UPDATED=0
ensure_pkg() {   # ensure_pkg COMMAND DEBIAN_PACKAGE
    local cmd=$1 pkg=$2
    if command -v "$cmd" >/dev/null 2>&1 || [[ -x $cmd || -f $cmd ]]; then return 0; fi
    command -v apt-get >/dev/null || die "$cmd missing and no apt-get: install $pkg"
    log "installing $pkg (for $cmd) ..."
    if [[ $APT_UPDATED -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2
    command -v "$cmd" >/dev/null 2>&1 || [[ -x $cmd || -f $cmd ]] || die "could not install $pkg"
}
ensure_pkg /usr/bin/time time
ensure_pkg timeout coreutils
ensure_pkg prlimit util-linux
ensure_pkg python3 python3
ensure_pkg ip iproute2
ensure_pkg tcpdump tcpdump
ensure_pkg sipp sip-tester
ensure_pkg editcap wireshark-common
ensure_pkg mergecap wireshark-common
ensure_pkg capinfos wireshark-common
if has_tool tshark || [[ $CHECK -eq 1 ]]; then ensure_pkg tshark tshark; fi
if has_tool sngrep; then ensure_pkg sngrep sngrep; fi
command -v ethtool >/dev/null 2>&1 || ensure_pkg ethtool ethtool

PCAPLOOP=$OUT_ROOT/pcaploop
if [[ ! -x $PCAPLOOP || $BENCH_DIR/pcaploop.c -nt $PCAPLOOP ]]; then
    ensure_pkg gcc gcc
    ensure_pkg /usr/include/pcap/pcap.h libpcap-dev
    log "building $PCAPLOOP"
    gcc -O2 -Wall -Wextra -o "$PCAPLOOP" "$BENCH_DIR/pcaploop.c" -lpcap
fi

SIPAUDIT_OK=0
[[ -n $SIPAUDIT ]] || SIPAUDIT=$REPO_ROOT/build/sipaudit
[[ $SIPAUDIT == */* ]] || SIPAUDIT=$(command -v "$SIPAUDIT" || echo "$SIPAUDIT")
if [[ -x $SIPAUDIT && ! -d $SIPAUDIT ]]; then SIPAUDIT_OK=1
else warn "sipaudit not found at $SIPAUDIT (./dev build, or --sipaudit PATH): its rows show n/a"; fi

# ------------------------------------------- background work and cleanup --
NSP="bsh$$"            # our namespaces: ${NSP}a (UAC side), ${NSP}b (UAS side)
NS_A=${NSP}a NS_B=${NSP}b
BG_PIDS=()             # every background process we start (sipp, tcpdump)
PART_FILES=()          # partial outputs to remove if we stop half-way

stop_pid() {   # stop_pid PID [SIGNAL]: signal, wait up to 5 s, then SIGKILL
    local pid=$1 sig=${2:-TERM} i
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -"$sig" "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    wait "$pid" 2>/dev/null || true
}
del_ns() {
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
}
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${BG_PIDS[@]:-}"; do [[ -n $p ]] && stop_pid "$p"; done
    del_ns
    for p in "${PART_FILES[@]:-}"; do [[ -n $p ]] && rm -f "$p"; done
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ------------------------------------------------------------ meta files --
meta_get() {   # meta_get FILE KEY
    [[ -f $1 ]] || return 0
    awk -F= -v k="$2" '$1 == k { sub(/^[^=]*=/, ""); v = $0 } END { if (v != "") print v }' "$1"
}
meta_set() {   # meta_set FILE KEY VALUE
    local tmp
    tmp=$(mktemp "$WORK/meta.XXXXXX")
    { if [[ -f $1 ]]; then grep -v "^$2=" "$1" || true; fi; printf '%s=%s\n' "$2" "$3"; } >"$tmp"
    mv "$tmp" "$1"
}
fsize() { stat -c %s "$1"; }
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# -------------------------------------------------------- SIPp scenarios --
dump_scenario() {   # dump_scenario NAME OUTFILE: sipp -sd exits non-zero after dumping
    sipp -sd "$1" >"$2" 2>/dev/null || true
    grep -q '</scenario>' "$2" || die "this sipp has no built-in '$1' scenario"
}
prepare_scenarios() {
    dump_scenario uac "$WORK/uac.xml"
    dump_scenario uas "$WORK/uas.xml"
    # as bench/run.sh: every call its own SDP media port
    sed 's/\[media_port\]/[auto_media_port]/g' "$WORK/uac.xml" >"$WORK/uac_auto.xml"
    sed 's/\[media_port\]/[auto_media_port]/g' "$WORK/uas.xml" >"$WORK/uas_auto.xml"
    cp "$HELPERS"/*.xml "$WORK/"
}
# SIP + RTP: bench/run.sh's scenarios (uac_pcap plays 8 s of G.711 A-law and
# an RFC 2833 DTMF; the UAS answers with PCMA and plays g711a.pcap back once
# the ACK is in, so RTP flows both ways between per-call ports)
prepare_rtp_scenarios() {
    local d dir=""
    for d in /usr/share/sip-tester /usr/share/sipp /usr/share/sipp/pcap /usr/local/share/sipp/pcap; do
        if [[ -f $d/g711a.pcap && -f $d/dtmf_2833_1.pcap ]]; then dir=$d; break; fi
    done
    [[ -n $dir ]] || die "SIPp's sample RTP pcaps (g711a.pcap) not found"
    dump_scenario uac_pcap "$WORK/uac_pcap.xml.tmp"
    sed "s#play_pcap_audio=\"pcap/#play_pcap_audio=\"$dir/#g" "$WORK/uac_pcap.xml.tmp" >"$WORK/uac_pcap.xml"
    sed -e 's/\[media_port\] RTP\/AVP 0/[auto_media_port] RTP\/AVP 8 101/' \
        -e 's#a=rtpmap:0 PCMU/8000#a=rtpmap:8 PCMA/8000\n      a=rtpmap:101 telephone-event/8000#' \
        -e '/<recv request="ACK"/,/<\/recv>/ s/optional="true"//' \
        "$WORK/uas.xml" |
        awk -v pcap="$dir/g711a.pcap" '
            { print }
            /<recv request="ACK"/ { ack = 1 }
            ack && /<\/recv>/ {
                print "\n  <nop>\n    <action>\n      <exec play_pcap_audio=\"" pcap "\"/>\n    </action>\n  </nop>"
                ack = 0
            }' >"$WORK/uas_pcap.xml"
    rm -f "$WORK/uac_pcap.xml.tmp"
    grep -q play_pcap_audio "$WORK/uas_pcap.xml" || die "could not build the uas_pcap scenario"
}

# ------------------------------------------------ namespaces and capture --
# Two namespaces joined by one veth (as testdata/gen/lib.sh): UAC in A
# (192.0.2.10, vA), UAS in B (192.0.2.20, vB), IPv6 off, checksum and
# segmentation offloads off so that the capture on vA holds what a wire
# would carry (real checksums, TCP segments no larger than the MSS).
mk_pair() {   # mk_pair [MTU]
    local mtu=${1:-1500} side ns ifc
    del_ns
    ip netns add "$NS_A"; ip netns add "$NS_B"
    ip link add vA netns "$NS_A" address 02:00:00:00:00:0a type veth peer name vB netns "$NS_B" address 02:00:00:00:00:0b
    for side in A B; do
        ns=${NSP}${side,,} ifc=v$side
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" 2>/dev/null || true
        ip netns exec "$ns" ip link set lo up
        ip netns exec "$ns" ip link set "$ifc" mtu "$mtu"
        ip netns exec "$ns" ethtool -K "$ifc" tx off tso off gso off gro off >/dev/null 2>&1 ||
            ip netns exec "$ns" ip link set "$ifc" gso_max_segs 1 gso_max_size "$mtu"
        ip netns exec "$ns" ip link set "$ifc" up
    done
    ip netns exec "$NS_A" ip addr add $A_IP/24 dev vA
    ip netns exec "$NS_B" ip addr add $B_IP/24 dev vB
}

TCPDUMP_PID=""
start_cap() {   # start_cap OUTFILE FILTER LOG: tcpdump on vA, 128 MiB buffer
    local out=$1 filter=$2 tdlog=$3 i
    ip netns exec "$NS_A" tcpdump -i vA -n -s 0 -B 131072 -Z root -w "$out" "$filter" >"$tdlog" 2>&1 &
    TCPDUMP_PID=$!; BG_PIDS+=("$TCPDUMP_PID")
    for ((i = 0; i < 150; i++)); do
        grep -q 'listening on' "$tdlog" 2>/dev/null && return 0
        kill -0 "$TCPDUMP_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$tdlog" >&2; die "tcpdump did not start"
}
stop_cap() {   # libpcap hands packets over in blocks with a 1 s timeout: wait, then SIGINT
    sleep 2
    stop_pid "$TCPDUMP_PID" INT; TCPDUMP_PID=""
}

sipp_stat() {   # sipp_stat LOG "Successful call" -> cumulative value of the last screen
    awk -F'|' -v k="$2" 'index($1, k) { v = $3; gsub(/[^0-9]/, "", v) } END { print (v == "" ? 0 : v) }' "$1"
}

# sipp_capture OUT FILTER MTU CALLS "UAS ARGS" "UAC ARGS": one SIPp run
# between the namespaces, captured on vA; sets GEN_OK, GEN_FAILED, GEN_DROPPED.
# The logs stay beside the capture: SHAPE-SCALE.{uac,uas,tcpdump}.log
sipp_capture() {
    local out=$1 filter=$2 mtu=$3 calls=$4 uas_args=$5 uac_args=$6
    local uas_pid uac_pid rc=0 t0 last=0 el lg=${1%.part.pcap}
    local uaslog=$lg.uas.log uaclog=$lg.uac.log tdlog=$lg.tcpdump.log
    mk_pair "$mtu"
    start_cap "$out" "$filter" "$tdlog"
    # shellcheck disable=SC2086   # the args strings are word lists of our own
    (cd "$WORK" && exec ip netns exec "$NS_B" sipp $uas_args -i $B_IP -p 5060 -nostdin \
        -buff_size 4194304) >"$uaslog" 2>&1 &
    uas_pid=$!; BG_PIDS+=("$uas_pid")
    sleep 1
    kill -0 "$uas_pid" 2>/dev/null || { tail -n 20 "$uaslog" >&2; die "sipp UAS exited at start"; }
    t0=$SECONDS
    # shellcheck disable=SC2086
    (cd "$WORK" && exec ip netns exec "$NS_A" sipp $uac_args -i $A_IP -p 5060 -m "$calls" -nostdin \
        -buff_size 4194304 $B_IP:5060) >"$uaclog" 2>&1 &
    uac_pid=$!; BG_PIDS+=("$uac_pid")
    while kill -0 "$uac_pid" 2>/dev/null; do
        sleep 1
        el=$((SECONDS - t0))
        if (( el >= last + 30 )); then
            last=$el
            log "   ${el}s: $(( $(fsize "$out" 2>/dev/null || echo 0) / 1000000 )) MB captured so far"
        fi
    done
    wait "$uac_pid" || rc=$?
    sleep 1
    kill -0 "$uas_pid" 2>/dev/null || warn "sipp UAS ended before the UAC, see $uaslog"
    stop_pid "$uas_pid"
    stop_cap
    del_ns
    GEN_OK=$(sipp_stat "$uaclog" 'Successful call')
    GEN_FAILED=$(sipp_stat "$uaclog" 'Failed call')
    GEN_DROPPED=$(awk '/dropped by kernel/ { print $1 }' "$tdlog" | tail -n1)
    log "   sipp UAC exit $rc: $GEN_OK successful, $GEN_FAILED failed in $((SECONDS - t0)) s;" \
        "tcpdump: $(awk '/packets captured/ { print $1 }' "$tdlog" | tail -n1) captured," \
        "${GEN_DROPPED:-?} dropped by kernel"
    [[ $rc -le 1 ]] || { tail -n 30 "$uaclog" >&2; die "sipp UAC failed (exit $rc), see $uaclog"; }
    [[ -s $out ]] || die "tcpdump wrote nothing, see $tdlog"
    [[ $GEN_FAILED == 0 ]] || warn "$GEN_FAILED SIPp calls failed (their retransmissions are in the capture)"
    [[ ${GEN_DROPPED:-0} == 0 ]] || warn "tcpdump dropped ${GEN_DROPPED:-?} packets: the capture is incomplete"
}

# ------------------------------------------------------------ generators --
# gen_key SHAPE: the parameters a cached capture must match
gen_key() {
    case $1 in
        plain)      echo "v$GEN_VERSION sipp uac_auto/uas_auto udp calls=$N_PLAIN rate=$RATE_UDP hold=$HOLD_MS" ;;
        big)        echo "v$GEN_VERSION $N_BIG_COPIES x [$(gen_key plain)] editcap -t + mergecap -a" ;;
        same-sdp)   echo "v$GEN_VERSION sipp uac/uas udp calls=$N_SAME rate=$RATE_UDP hold=$HOLD_MS" ;;
        one-callid) echo "v$GEN_VERSION onecallid.py pairs=$N_ONECALLID" ;;
        register)   echo "v$GEN_VERSION sipp register-uac/uas udp regs=$N_REGISTER rate=$RATE_REG" ;;
        tcp-1conn)  echo "v$GEN_VERSION sipp uac_auto/uas_auto t1 calls=$N_TCP1 rate=$RATE_TCP hold=$HOLD_MS" ;;
        tcp-split)  echo "v$GEN_VERSION sipp uac_auto/uas_auto t1 mtu=$SPLIT_MTU calls=$N_SPLIT rate=$RATE_TCP hold=$HOLD_MS" ;;
        flood)      echo "v$GEN_VERSION flood.py registers=$N_FLOOD seconds=$FLOOD_SECONDS" ;;
        no-bye)     echo "v$GEN_VERSION sipp nobye-uac/uas udp calls=$N_NOBYE rate=$RATE_NOBYE" ;;
        rtp)        echo "v$GEN_VERSION sipp uac_pcap/uas_pcap udp calls=$N_RTP rate=$RATE_RTP" ;;
    esac
}
cap_file() { echo "$OUT_DIR/$1-$SCALE.pcap"; }

SCEN_READY=0
gen_shape() {   # gen_shape SHAPE FILE KEY
    local shape=$1 file=$2 key=$3 part t0 src dur i
    part=${file%.pcap}.part.pcap   # keep a .pcap suffix: Debian's tcpdump AppArmor profile
    PART_FILES+=("$part")
    rm -f "$part" "$file" "$file.meta"
    if [[ $SCEN_READY -eq 0 ]]; then prepare_scenarios; SCEN_READY=1; fi
    GEN_OK="" GEN_FAILED="" GEN_DROPPED=""
    t0=$EPOCHREALTIME
    log ""
    log "== generating $(basename "$file"): $key"
    case $shape in
        plain)
            sipp_capture "$part" "udp port 5060" 1500 "$N_PLAIN" \
                "-sf uas_auto.xml -mp $UAS_MEDIA_PORT" \
                "-sf uac_auto.xml -mp $UAC_MEDIA_PORT -r $RATE_UDP -d $HOLD_MS" ;;
        same-sdp)
            sipp_capture "$part" "udp port 5060" 1500 "$N_SAME" \
                "-sf uas.xml" "-sf uac.xml -r $RATE_UDP -d $HOLD_MS" ;;
        register)
            python3 -c 'import sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    f.write("SEQUENTIAL\n")
    for i in range(n):
        f.write("u%06d;\n" % (100000 + i))' "$N_REGISTER" "$WORK/users.csv"
            sipp_capture "$part" "udp port 5060" 1500 "$N_REGISTER" \
                "-sf register-uas.xml" \
                "-sf register-uac.xml -inf users.csv -r $RATE_REG" ;;
        tcp-1conn)
            sipp_capture "$part" "tcp port 5060" 1500 "$N_TCP1" \
                "-sf uas_auto.xml -t t1 -mp $UAS_MEDIA_PORT" \
                "-sf uac_auto.xml -t t1 -mp $UAC_MEDIA_PORT -r $RATE_TCP -d $HOLD_MS" ;;
        tcp-split)
            sipp_capture "$part" "tcp port 5060" "$SPLIT_MTU" "$N_SPLIT" \
                "-sf uas_auto.xml -t t1 -mp $UAS_MEDIA_PORT" \
                "-sf uac_auto.xml -t t1 -mp $UAC_MEDIA_PORT -r $RATE_TCP -d $HOLD_MS" ;;
        no-bye)
            sipp_capture "$part" "udp port 5060" 1500 "$N_NOBYE" \
                "-sf nobye-uas.xml -mp $UAS_MEDIA_PORT" \
                "-sf nobye-uac.xml -mp $UAC_MEDIA_PORT -r $RATE_NOBYE" ;;
        rtp)
            prepare_rtp_scenarios
            sipp_capture "$part" "udp" 1500 "$N_RTP" \
                "-sf uas_pcap.xml -mi $B_IP -mp $UAS_MEDIA_PORT" \
                "-sf uac_pcap.xml -mi $A_IP -mp $UAC_MEDIA_PORT -r $RATE_RTP" ;;
        one-callid)
            python3 "$BENCH_DIR/onecallid.py" "$N_ONECALLID" "$part" ;;
        flood)
            python3 "$HELPERS/flood.py" "$N_FLOOD" "$FLOOD_SECONDS" "$part" ;;
        big)
            # N copies of plain, each shifted past the end of the one before
            # (editcap -t), concatenated (mergecap -a): time keeps increasing
            src=$(cap_file plain)
            ensure_capture plain
            GEN_OK="" GEN_FAILED="" GEN_DROPPED=""
            dur=$(capinfos -a -e -S -T -r "$src" | awk -F'\t' 'NF >= 3 { printf "%d", $3 - $2 + 2 }')
            [[ $dur =~ ^[0-9]+$ ]] || die "capinfos could not read the time span of $src"
            local copies=()
            for ((i = 0; i < N_BIG_COPIES; i++)); do
                editcap -F pcap -t $((i * dur)) "$src" "$WORK/big-copy-$i.pcap"
                copies+=("$WORK/big-copy-$i.pcap")
            done
            mergecap -F pcap -a -w "$part" "${copies[@]}"
            rm -f "${copies[@]}" ;;
    esac
    [[ -s $part ]] || die "no capture made for $shape"
    mv "$part" "$file"
    meta_set "$file.meta" gen "$key"
    meta_set "$file.meta" gen_seconds "$(secs_since "$t0")"
    [[ -n $GEN_OK ]] && meta_set "$file.meta" calls_ok "$GEN_OK"
    [[ -n $GEN_FAILED ]] && meta_set "$file.meta" calls_failed "$GEN_FAILED"
    [[ -n $GEN_DROPPED ]] && meta_set "$file.meta" tcpdump_dropped "$GEN_DROPPED"
    log "   $(basename "$file"): $(( $(fsize "$file") / 1000000 )) MB in $(meta_get "$file.meta" gen_seconds) s"
}

ensure_capture() {   # ensure_capture SHAPE
    local shape=$1 file key
    file=$(cap_file "$shape")
    key=$(gen_key "$shape")
    if [[ ! -s $file || "$(meta_get "$file.meta" gen)" != "$key" ]] ||
       [[ $REGEN -eq 1 && ",$REGENERATED," != *",$shape,"* ]]; then
        gen_shape "$shape" "$file" "$key"
        REGENERATED+=",$shape"
    fi
    if [[ -z "$(meta_get "$file.meta" packets)" ]]; then
        meta_set "$file.meta" packets "$("$PCAPLOOP" "$file" | sed -n 's/.*packets=\([0-9]*\).*/\1/p')"
    fi
}
REGENERATED=""

# ---------------------------------------------------------- timed runs --
# timed LIMIT CMD...: runs CMD under timeout LIMIT, prlimit --as and
# /usr/bin/time; sets T_SEC (wall, from EPOCHREALTIME: GNU time's %e only
# has 10 ms), T_CPU (user + sys), T_RSS_KB (%M), T_RC (124: timed out).
# stdout goes to $T_STDOUT (default /dev/null), stderr to $T_STDERR.
T_SEC="" T_CPU="" T_RSS_KB="" T_RC=0
T_STDOUT=/dev/null T_STDERR=/dev/null
TIMEFILE=$WORK/time.out
timed() {
    local limit=$1 t0 t1; shift
    T_RC=0
    : >"$TIMEFILE"
    t0=$EPOCHREALTIME
    timeout -k 10 "$limit" prlimit --as="$MEM_LIMIT_BYTES" /usr/bin/time -f '%e %U %S %M' -o "$TIMEFILE" "$@" \
        <"/dev/null" >"$T_STDOUT" 2>"$T_STDERR" || T_RC=$?
    t1=$EPOCHREALTIME
    T_SEC=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    # GNU time prints "Command exited with non-zero status N" before the figures
    read -r T_CPU T_RSS_KB < <(awk 'NF == 4 && $4 ~ /^[0-9]+$/ { c = $2 + $3; m = $4 } END { printf "%.2f %s\n", c, m }' "$TIMEFILE")
}

sa_cmd() {   # sa_cmd FORMAT FILE -> the sipaudit command line in SA_CMD
    SA_CMD=("$SIPAUDIT" -q --fail-on never --format "$1" "$2")
}

# The untimed sipaudit run: its jsonl summary line (the same inputs[] as the
# JSON report's) gives inputs[0].sip_messages; also warms the page cache.
sa_count() {   # sa_count FILE -> meta sip_messages (or sa_error)
    local f=$1 out=$WORK/summary.json n err
    sa_cmd jsonl "$f"
    # shellcheck disable=SC2016  # expanded by the inner bash
    T_STDERR=$WORK/sa-count.stderr timed "$SA_TIMEOUT" \
        bash -c 'o=$1; shift; "$@" | tail -n 1 >"$o"; exit "${PIPESTATUS[0]}"' _ "$out" "${SA_CMD[@]}"
    n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"][0]["sip_messages"])' "$out" 2>/dev/null || true)
    if [[ $T_RC -ne 0 || -z $n ]]; then
        err=$(tr '\n' ' ' <"$WORK/sa-count.stderr" | cut -c1-120)
        [[ $T_RC -eq 124 ]] && err="timed out after ${SA_TIMEOUT} s"
        warn "sipaudit could not count $(basename "$f"): exit $T_RC ${err}"
        meta_set "$f.meta" sa_error "exit $T_RC: ${err:-?}"
        return 1
    fi
    meta_set "$f.meta" sip_messages "$n"
    meta_set "$f.meta" sa_error ""
    meta_set "$f.meta" sa_count_rss_kb "$T_RSS_KB"
}

T_OVERHEAD=9
measure_overhead() {   # fixed cost of the wrapper (fork/exec of timeout, prlimit, time): subtracted
    local i
    for ((i = 0; i < 10; i++)); do
        timed 10 /bin/true
        T_OVERHEAD=$(awk -v a="$T_OVERHEAD" -v b="$T_SEC" 'BEGIN { print (b < a ? b : a) }')
    done
}

RESULTS=()   # shape|tool|wall|cpu|rss_kb|notes  (wall "" = no figure; "timeout" = over the bound)
bench_tool() {   # bench_tool SHAPE TOOL FILE
    local shape=$1 tool=$2 f=$3 limit=$SA_TIMEOUT cmd=() best="" bestcpu="" rss=0 notes="" i errlog
    errlog=$WORK/$tool-$shape.stderr
    case $tool in
        loop)   cmd=("$PCAPLOOP" "$f") ;;
        text|jsonl|text1|jsonl1)
            if [[ $SIPAUDIT_OK -ne 1 ]]; then RESULTS+=("$shape|$tool|||| sipaudit not found"); return; fi
            sa_cmd "${tool%1}" "$f"; cmd=("${SA_CMD[@]}")
            [[ $tool == *1 ]] && cmd=("${cmd[0]}" -j 1 "${cmd[@]:1}") ;;
        tshark) cmd=(tshark -r "$f" -Y sip); limit=$TIMEOUT ;;
        sngrep) cmd=(sngrep -N -q -F -l "$SNGREP_LIMIT" -I "$f"); limit=$TIMEOUT ;;
    esac
    for ((i = 1; i <= REPEAT; i++)); do
        T_STDERR=$errlog timed "$limit" "${cmd[@]}"
        if [[ -n $T_RSS_KB && $T_RSS_KB -gt $rss ]]; then rss=$T_RSS_KB; fi
        if [[ $T_RC -eq 124 || $T_RC -eq 137 ]]; then
            [[ -z $best ]] && best=timeout
            notes+="killed at the ${limit} s bound; "; break
        fi
        if [[ $T_RC -ne 0 ]]; then
            if grep -qiE 'out of memory|cannot allocate|bad_alloc|memory exhausted' "$errlog" 2>/dev/null; then
                notes+="out of memory at the ${MEM_LIMIT_GB} GB address-space limit (exit $T_RC); "
            else
                notes+="exit $T_RC: $(tail -n 1 "$errlog" 2>/dev/null | cut -c1-80); "
            fi
            [[ -z $best ]] && best=failed
            break
        fi
        T_SEC=$(awk -v t="$T_SEC" -v o="$T_OVERHEAD" 'BEGIN { t -= o; printf "%.4f", (t < 0.0001 ? 0.0001 : t) }')
        if [[ -z $best || $best == timeout || $best == failed ]] ||
           awk -v a="$T_SEC" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$T_SEC; bestcpu=$T_CPU
        fi
        if (( i < REPEAT )) && awk -v t="$T_SEC" -v l="$LONG_RUN" 'BEGIN { exit !(t > l) }'; then
            notes+="1 run of ${T_SEC%.*} s, not repeated; "; break
        fi
    done
    notes=${notes%; }
    RESULTS+=("$shape|$tool|$best|$bestcpu|$rss|$notes")
}

# ----------------------------------------------------------------- checks --
# --check: does each capture have its shape? tshark figures, cached in .meta.
# The SDP dissector is off (but for rtp, whose RTP tshark finds from the SDP):
# it sets up an RTP conversation per offer, which on same-sdp costs tshark
# minutes per pass (27 s instead of 6 s on the small capture).
TSH_OPTS=()
tsh() {   # tsh FILE ARGS...: tshark under the memory guard and a 1 h bound
    local f=$1; shift
    timeout -k 10 3600 prlimit --as="$MEM_LIMIT_BYTES" tshark -r "$f" "${TSH_OPTS[@]}" "$@" 2>/dev/null
}
# distinct_m: distinct SDP m= lines among the UDP payloads tshark prints in hex
distinct_m() {
    python3 -c 'import re, sys
s = set()
for l in sys.stdin:
    s.update(re.findall(rb"\r\nm=[^\r]*", bytes.fromhex(l.strip().replace(":", ""))))
print(len(s))'
}
check_shape() {   # check_shape SHAPE FILE
    local shape=$1 f=$2 n c res="" t0=$EPOCHREALTIME pf
    TSH_OPTS=(--disable-protocol sdp); [[ $shape == rtp ]] && TSH_OPTS=()
    n=$(meta_get "$f.meta" check_tshark_sip)
    if [[ -z $n && $shape == big ]]; then
        # 2 GB is too much for tshark's memory: N copies of plain's count
        pf=$(cap_file plain)
        [[ -n "$(meta_get "$pf.meta" check_tshark_sip)" ]] || check_shape plain "$pf"
        n=$(( N_BIG_COPIES * $(meta_get "$pf.meta" check_tshark_sip) ))
        meta_set "$f.meta" check_tshark_sip "$n"
    elif [[ -z $n ]]; then
        # SIP messages (several may share a frame over TCP): CSeq occurrences
        n=$(tsh "$f" -Y sip -T fields -e sip.CSeq.seq | awk -F, 'NF { n += NF } END { print n + 0 }')
        meta_set "$f.meta" check_tshark_sip "$n"
    fi
    c=$(meta_get "$f.meta" sip_messages)
    res="SIP messages: tshark $n, sipaudit ${c:-?}"
    [[ -n $c && $c != "$n" ]] && res+=" (DIFFERENT)"
    [[ $shape == big ]] && res+=" (tshark: $N_BIG_COPIES x plain's count)"
    case $shape in
        plain|same-sdp|no-bye)
            res+="; $(tsh "$f" -Y 'sip' -T fields -e sip.CSeq.method -e sip.Status-Code |
                awk -F'\t' '{ k = ($2 != "" ? $2 : $1); c[k]++ } END { for (k in c) printf "%s %d, ", k, c[k] }')"
            res+="distinct SDP m= lines: $(tsh "$f" -Y 'sip.Content-Type == "application/sdp"' -T fields -e udp.payload | distinct_m)" ;;
        big)
            res+="; $(capinfos -o -u -c "$f" | awk -F': *' '/Number of packets|Strict time order|Capture duration/ { printf "%s: %s; ", $1, $2 }')"
            res+="plain: $(capinfos -u "$(cap_file plain)" | awk -F': *' '/Capture duration/ { print $2 }')" ;;
        one-callid)
            res+="; distinct Call-IDs: $(tsh "$f" -Y sip -T fields -e sip.Call-ID | sort -u | wc -l)" ;;
        register)
            res+="; $(tsh "$f" -Y sip -T fields -e sip.CSeq -e sip.Status-Code -e sip.Authorization |
                awk -F'\t' '{ k = ($2 != "" ? $2 " " : "") $1 ($3 != "" ? " +Authorization" : ""); c[k]++ }
                            END { for (k in c) printf "%s: %d; ", k, c[k] }')"
            res+="distinct users: $(tsh "$f" -Y 'sip.Method == "REGISTER"' -T fields -e sip.from.user | sort -u | wc -l)" ;;
        tcp-1conn|tcp-split)
            res+="; TCP connections: $(tsh "$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' | wc -l)"
            res+="; SDP messages by TCP segments they span: $(tsh "$f" -Y 'sip.Content-Type == "application/sdp"' -T fields -e tcp.segment.count |
                awk '{ k = ($1 == "" ? 1 : $1); c[k]++ } END { for (k in c) printf "%s seg: %d, ", k, c[k] }')"
            res+="SIP-carrying frames with more than one message: $(tsh "$f" -Y sip -T fields -e sip.CSeq.seq | awk -F, 'NF > 1' | wc -l)" ;;
        flood)
            res+="; $(capinfos -u "$f" | awk -F': *' '/Capture duration/ { printf "%s: %s", $1, $2 }')"
            res+="; distinct Call-IDs: $(tsh "$f" -Y sip -T fields -e sip.Call-ID | sort -u | wc -l)"
            res+="; responses: $(tsh "$f" -Y 'sip.Status-Code' | wc -l)" ;;
        rtp)
            res+="; RTP packets (from the SDP): $(tsh "$f" -Y rtp | wc -l)"
            res+="; RTP streams: $(tsh "$f" -q -z rtp,streams | awk '$3 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/' | wc -l)" ;;
    esac
    meta_set "$f.meta" check "$res"
    log "   check $shape ($(secs_since "$t0") s): $res"
}

# ------------------------------------------------------------------ main --
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
FUZZERS=$(pgrep -c 'fuzz_' 2>/dev/null || true)
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > 0.5 * n) }'; then
    warn "load average is $LOAD_START on $(nproc) cores${FUZZERS:+ ($FUZZERS fuzz_* processes running)}:" \
         "figures will be noisy (wall time most; CPU time less so)"
fi

SEL=()
for s in ${ALL_SHAPES//,/ }; do [[ ",$SHAPES," == *",$s,"* ]] && SEL+=("$s"); done
for s in "${SEL[@]}"; do ensure_capture "$s"; done

log ""
log "captures ($SCALE scale):"
for s in "${SEL[@]}"; do
    f=$(cap_file "$s")
    log "$(printf '  %-11s %9.1f MB %9s packets  generated in %7s s  (%s)' "$s" \
        "$(awk -v b="$(fsize "$f")" 'BEGIN { print b / 1e6 }')" "$(meta_get "$f.meta" packets)" \
        "$(meta_get "$f.meta" gen_seconds)" "$(meta_get "$f.meta" gen)")"
done

if [[ $CHECK -eq 1 ]]; then
    log ""
    log "checking the shapes with tshark ..."
    for s in "${SEL[@]}"; do
        f=$(cap_file "$s")
        [[ $SIPAUDIT_OK -eq 1 && -z "$(meta_get "$f.meta" sip_messages)" ]] && { sa_count "$f" || true; }
        check_shape "$s" "$f"
    done
fi
[[ $GEN_ONLY -eq 1 ]] && exit 0

measure_overhead
log ""
log "benchmarking: best of $REPEAT runs, warm page cache; tshark/sngrep bound ${TIMEOUT} s," \
    "loop/sipaudit ${SA_TIMEOUT} s; address space capped at ${MEM_LIMIT_GB} GB"
for s in "${SEL[@]}"; do
    f=$(cap_file "$s")
    cat "$f" >/dev/null   # warm the page cache: we measure parsing, not the disk
    if [[ $SIPAUDIT_OK -eq 1 ]]; then
        log "  $s: sipaudit message count (untimed) ..."
        sa_count "$f" || true
    fi
    for tool in ${ALL_TOOLS//,/ }; do
        has_tool "$tool" || continue
        log "  $s: $tool ..."
        bench_tool "$s" "$tool" "$f"
    done
done

# ----------------------------------------------------------------- report --
ts=$(date +%Y%m%d-%H%M%S)
TXT=$OUT_ROOT/shapes-results-$ts.txt
CSV=$OUT_ROOT/shapes-results-$ts.csv
echo "shape,file,size_mb,sip_messages,tool,wall_s,cpu_s,x_loop,msgs_per_s,peak_rss_mb,notes" >"$CSV"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
{
    echo
    echo "sipaudit capture shapes, scale=$SCALE, $(date '+%Y-%m-%d %H:%M:%S')"
    echo "host: ${cpu:-?}, $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
    echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end${FUZZERS:+; $FUZZERS fuzz_* processes at start}"
    echo "tools: $(tshark --version 2>/dev/null | head -n1); $(sngrep -V 2>/dev/null | head -n1 || true); sipaudit $SIPAUDIT"
    echo "text: sipaudit -q --fail-on never F (default -j: the cores); jsonl: the same with --format jsonl;"
    echo "  text1, jsonl1: the same with -j 1 (one thread); loop: bench/pcaploop.c;"
    echo "  tshark -r F -Y sip; sngrep -N -q -F -l $SNGREP_LIMIT -I F (all to /dev/null)"
    echo "best of $REPEAT runs, warm cache; wall = wall clock minus $(awk -v o="$T_OVERHEAD" 'BEGIN { printf "%.1f", o * 1000 }') ms wrapper;" \
         "CPU = user+sys of that run; msg/s = sipaudit's SIP message count / wall; RSS = highest peak (MB = 10^6 bytes)"
    echo
    printf '%-11s %8s %9s  %-7s %9s %8s %8s %10s %8s  %s\n' shape "size MB" "SIP msgs" tool "wall s" "CPU s" "x loop" "msg/s" "RSS MB" notes
    printf '%s\n' "------------------------------------------------------------------------------------------------"
    for s in "${SEL[@]}"; do
        f=$(cap_file "$s")
        msgs=$(meta_get "$f.meta" sip_messages)
        [[ -n $msgs ]] || msgs="?"
        mb=$(awk -v b="$(fsize "$f")" 'BEGIN { printf "%.1f", b / 1e6 }')
        loop=""
        for r in "${RESULTS[@]}"; do
            IFS='|' read -r rs rt rw _ _ _ <<<"$r"
            [[ $rs == "$s" && $rt == loop && $rw =~ ^[0-9.]+$ ]] && loop=$rw
        done
        first=1
        for r in "${RESULTS[@]}"; do
            IFS='|' read -r rs rt rw rc rr rn <<<"$r"
            [[ $rs == "$s" ]] || continue
            [[ $rt == text || $rt == jsonl ]] && [[ -n "$(meta_get "$f.meta" sa_error)" && -z $rn ]] &&
                rn="count run: $(meta_get "$f.meta" sa_error)"
            line=$(awk -v shape="$s" -v mb="$mb" -v msgs="$msgs" -v tool="$rt" -v w="$rw" -v c="$rc" \
                       -v rss="$rr" -v loop="$loop" -v notes="$rn" -v first="$first" -v lim="$TIMEOUT" -v salim="$SA_TIMEOUT" '
                function num(x) { return x ~ /^[0-9.]+$/ }
                BEGIN {
                    if (num(w) && w > 0) {
                        ws = sprintf(w < 0.1 ? "%.4f" : (w < 10 ? "%.3f" : "%.1f"), w)
                        x = num(loop) && loop > 0 ? sprintf("%.1f", w / loop) : "n/a"
                        mps = num(msgs) ? sprintf("%.0f", msgs / w) : "n/a"
                        cs = num(c) ? c : "n/a"
                    } else {
                        ws = (w == "timeout") ? "> " ((tool == "tshark" || tool == "sngrep") ? lim : salim) " s" : "n/a"
                        x = "n/a"; mps = "n/a"; cs = "n/a"
                    }
                    r = (num(rss) && rss > 0) ? sprintf("%.1f", rss * 1024 / 1e6) : "n/a"
                    if (first) printf "%-11s %8s %9s  ", shape, mb, msgs
                    else printf "%-11s %8s %9s  ", "", "", ""
                    printf "%-7s %9s %8s %8s %10s %8s  %s|", tool, ws, cs, x, mps, r, notes
                    gsub(/"/, "'\''", notes)
                    printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,\"%s\"", shape, "", mb, msgs, tool, ws, cs, x, mps, r, notes
                }')
            row=${line%%|*}
            echo "${row%"${row##*[! ]}"}"
            csvline=${line#*|}
            echo "${csvline/,,/,$(basename "$f"),}" >>"$CSV"
            first=0
        done
    done
    echo
    echo "captures (bench/out/shapes/, generation time on this machine):"
    for s in "${SEL[@]}"; do
        f=$(cap_file "$s")
        printf '  %-11s %-22s %6s s  %s%s\n' "$s" "$(basename "$f")" "$(meta_get "$f.meta" gen_seconds)" \
            "$(meta_get "$f.meta" gen)" \
            "$( [[ -n "$(meta_get "$f.meta" calls_failed)" ]] && echo "; SIPp: $(meta_get "$f.meta" calls_ok) ok, $(meta_get "$f.meta" calls_failed) failed, tcpdump dropped $(meta_get "$f.meta" tcpdump_dropped)")"
    done
    echo "results: $TXT"
    echo "         $CSV"
} | tee "$TXT"
