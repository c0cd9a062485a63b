#!/usr/bin/env bash
# bench/run.sh - throughput / memory benchmark for sipaudit.
#
# Generates SIP captures with real SIPp traffic on loopback (cached in
# bench/out/), then times sipaudit against a bare libpcap loop, tshark and
# sngrep on them.  See bench/README.md.
#
# Usage: bench/run.sh [--size small|medium|large] [--sipaudit PATH] [options]
set -euo pipefail
export LC_ALL=C   # '.' as decimal point everywhere (EPOCHREALTIME, printf, awk)

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT_DIR=${BENCH_OUT:-$BENCH_DIR/out}

# ---------------------------------------------------------------- settings --
SIZE=small
SIPAUDIT=""
REPEAT=${BENCH_REPEAT:-3}
TOOLS=${BENCH_TOOLS:-pcaploop,sipaudit,tshark,sngrep}
WITH_RTP=${BENCH_RTP:-1}
REGEN=0
GEN_ONLY=0
RUN_TIMEOUT=${BENCH_TIMEOUT:-3600}          # seconds, per timed run
SIP_RATE=${BENCH_SIP_RATE:-2000}            # calls/s, SIP-only capture
SIP_DURATION_MS=${BENCH_SIP_DURATION_MS:-1000}  # call hold time (sipp -d)
RTP_RATE=${BENCH_RTP_RATE:-40}              # calls/s, SIP+RTP capture (each call ~9 s)
TCPDUMP_BUFFER_KB=${BENCH_TCPDUMP_BUFFER_KB:-131072}
SNGREP_LIMIT=${BENCH_SNGREP_LIMIT:-100000000}   # sngrep -l (default 20000 dialogs)
SIP_CALLS=${BENCH_SIP_CALLS:-}              # override the per-size defaults
RTP_CALLS=${BENCH_RTP_CALLS:-}
UAS_PORT=5070
UAC_PORT=5060
UAC_MEDIA_PORT=6000     # [auto_media_port] = -mp + 4*(call-1) % 10000: 6000..15996
UAS_MEDIA_PORT=20000    #                                            20000..29996
LONG_RUN=${BENCH_LONG_RUN:-300}             # a run longer than this (s) is not repeated

usage() {
    cat <<EOF
Usage: bench/run.sh [options]

  --size small|medium|large  capture size (~10 MB / ~100 MB / ~1 GB each), default small
  --sipaudit PATH            sipaudit binary (default: build/sipaudit in the repo root)
  --repeat N                 timed runs per tool and file, best is kept (default 3)
  --tools LIST               comma list from pcaploop,sipaudit,tshark,sngrep (default: all)
  --sip-calls N              calls in the SIP-only capture (overrides the size default)
  --rtp-calls N              calls in the SIP+RTP capture (overrides the size default)
  --no-rtp                   skip the SIP+RTP capture
  --regen                    regenerate the captures even if cached
  --gen-only                 only generate the captures, do not benchmark
  -h, --help                 this help

Environment: BENCH_REPEAT BENCH_TOOLS BENCH_RTP=0 BENCH_TIMEOUT BENCH_OUT
  BENCH_SIP_CALLS BENCH_RTP_CALLS BENCH_SIP_RATE (2000) BENCH_SIP_DURATION_MS (1000)
  BENCH_RTP_RATE (40) BENCH_TCPDUMP_BUFFER_KB (131072) BENCH_SNGREP_LIMIT
  BENCH_LONG_RUN (300: a run longer than this many seconds is not repeated)
EOF
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --size) SIZE=${2:?--size needs a value}; shift 2 ;;
        --size=*) SIZE=${1#*=}; shift ;;
        --sipaudit) SIPAUDIT=${2:?--sipaudit needs a value}; shift 2 ;;
        --sipaudit=*) SIPAUDIT=${1#*=}; shift ;;
        --repeat) REPEAT=${2:?}; shift 2 ;;
        --repeat=*) REPEAT=${1#*=}; shift ;;
        --tools) TOOLS=${2:?}; shift 2 ;;
        --tools=*) TOOLS=${1#*=}; shift ;;
        --sip-calls) SIP_CALLS=${2:?}; shift 2 ;;
        --rtp-calls) RTP_CALLS=${2:?}; shift 2 ;;
        --no-rtp) WITH_RTP=0; shift ;;
        --regen) REGEN=1; shift ;;
        --gen-only) GEN_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

# Per-size call counts, calibrated on SIPp 3.6.1 default scenarios:
#   SIP-only uac/uas call = 6 UDP packets, ~2.75 kB of pcap
#   uac_pcap call with RTP echo = ~500 UDP packets, ~150 kB of pcap
case $SIZE in
    small)  : "${SIP_CALLS:=3700}"   "${RTP_CALLS:=70}" ;;
    medium) : "${SIP_CALLS:=37000}"  "${RTP_CALLS:=670}" ;;
    large)  : "${SIP_CALLS:=370000}" "${RTP_CALLS:=6700}" ;;
    *) echo "run.sh: --size must be small, medium or large" >&2; exit 2 ;;
esac
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --repeat must be >= 1" >&2; exit 2; }
[[ $SIP_CALLS =~ ^[0-9]+$ && $RTP_CALLS =~ ^[0-9]+$ ]] || { echo "run.sh: call counts must be integers" >&2; exit 2; }
for t in ${TOOLS//,/ }; do
    case $t in pcaploop|sipaudit|tshark|sngrep) ;;
        *) echo "run.sh: unknown tool in --tools: $t" >&2; exit 2 ;;
    esac
done
has_tool() { [[ ",$TOOLS," == *",$1,"* ]]; }

SUDO=""
if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
        echo "run.sh: not root and no sudo: needed for apt-get, tcpdump and sipp RTP playback" >&2
    fi
fi

log()  { printf '%s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# -------------------------------------------------- background processes --
TCPDUMP_PID="" UAS_PID="" UAC_PID=""
PART_FILE=""

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

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $UAC_PID$UAS_PID$TCPDUMP_PID ]]; then
        log "cleaning up background sipp/tcpdump ..."
        stop_pid "$UAC_PID"; stop_pid "$UAS_PID"; stop_pid "$TCPDUMP_PID"
    fi
    [[ -n $PART_FILE ]] && rm -f "$PART_FILE"
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------- dependencies --
APT_UPDATED=0
ensure_cmd() {   # ensure_cmd COMMAND DEBIAN_PACKAGE
    local cmd=$1 pkg=$2
    if command -v "$cmd" >/dev/null 2>&1 || [[ -x $cmd ]]; then return 0; fi
    command -v apt-get >/dev/null || die "$cmd missing and no apt-get: install $pkg"
    log "installing $pkg (for $cmd) ..."
    if [[ $APT_UPDATED -eq 0 ]]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        APT_UPDATED=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "$pkg" >&2
    command -v "$cmd" >/dev/null 2>&1 || [[ -x $cmd ]] || die "could not install $pkg"
}
ensure_header() {   # ensure_header /usr/include/X.h DEBIAN_PACKAGE
    [[ -f $1 ]] && return 0
    command -v apt-get >/dev/null || die "$1 missing and no apt-get: install $2"
    log "installing $2 (for $1) ..."
    if [[ $APT_UPDATED -eq 0 ]]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        APT_UPDATED=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >&2
    [[ -f $1 ]] || die "could not install $2"
}

ensure_cmd /usr/bin/time time
ensure_cmd timeout coreutils
ensure_cmd awk mawk
ensure_cmd tshark tshark   # also the reference SIP message counter

mkdir -p "$OUT_DIR" "$OUT_DIR/work"

# -------------------------------------------------------------- pcaploop --
PCAPLOOP=$OUT_DIR/pcaploop
if [[ ! -x $PCAPLOOP || $BENCH_DIR/pcaploop.c -nt $PCAPLOOP ]]; then
    ensure_cmd gcc gcc
    ensure_header /usr/include/pcap/pcap.h libpcap-dev
    log "building $PCAPLOOP"
    gcc -O2 -Wall -Wextra -o "$PCAPLOOP" "$BENCH_DIR/pcaploop.c" -lpcap
fi

# -------------------------------------------------------------- sipaudit --
SIPAUDIT_OK=0
if has_tool sipaudit; then
    [[ -n $SIPAUDIT ]] || SIPAUDIT=$REPO_ROOT/build/sipaudit
    [[ $SIPAUDIT == */* ]] || SIPAUDIT=$(command -v "$SIPAUDIT" || echo "$SIPAUDIT")
    if [[ -x $SIPAUDIT && ! -d $SIPAUDIT ]]; then
        SIPAUDIT_OK=1
        ensure_cmd python3 python3
    else
        warn "sipaudit not found at $SIPAUDIT - build it with ./dev build (or pass --sipaudit PATH); its rows will show n/a"
    fi
fi

# ------------------------------------------------------------ meta files --
meta_get() {   # meta_get FILE KEY
    [[ -f $1 ]] || return 0
    awk -F= -v k="$2" '$1 == k { sub(/^[^=]*=/, ""); v = $0 } END { if (v != "") print v }' "$1"
}
meta_set() {   # meta_set FILE KEY VALUE
    local tmp
    tmp=$(mktemp "$OUT_DIR/work/meta.XXXXXX")
    { if [[ -f $1 ]]; then grep -v "^$2=" "$1" || true; fi; printf '%s=%s\n' "$2" "$3"; } >"$tmp"
    mv "$tmp" "$1"
}

# ------------------------------------------------------ capture creation --
# SIPp scenarios, derived from SIPp's built-in ones (sipp -sd NAME):
#  - [media_port] becomes [auto_media_port] in every SDP, so that each call
#    advertises its own RTP port (4 apart, cycling every 2500 calls). With the
#    stock scenarios every call points at the same two 127.0.0.1 ports, which
#    no real traffic does, and which makes tshark's RTP conversation setup
#    super-linear (42.7 s instead of 3.3 s on the medium SIP-only file).
#  - uac_pcap: the pcap/ paths point at the installed sample pcaps.
#  - uas_pcap (SIP+RTP only): the uas scenario answering with PCMA and
#    playing g711a.pcap back once the ACK is in, so that RTP flows both ways
#    between per-call ports.
SCEN_DIR=$OUT_DIR/work
SCEN_VERSION=2     # bump when the scenarios change: invalidates cached captures
dump_scenario() {   # dump_scenario NAME OUTFILE: sipp -sd exits non-zero after dumping
    sipp -sd "$1" >"$2" 2>/dev/null || true
    grep -q '</scenario>' "$2" || { rm -f "$2"; warn "this sipp has no built-in '$1' scenario"; return 1; }
}
prepare_sip_scenarios() {
    dump_scenario uac "$SCEN_DIR/uac.xml.tmp" && dump_scenario uas "$SCEN_DIR/uas.xml.tmp" || return 1
    sed 's/\[media_port\]/[auto_media_port]/g' "$SCEN_DIR/uac.xml.tmp" >"$SCEN_DIR/uac_auto.xml"
    sed 's/\[media_port\]/[auto_media_port]/g' "$SCEN_DIR/uas.xml.tmp" >"$SCEN_DIR/uas_auto.xml"
    rm -f "$SCEN_DIR"/uac.xml.tmp "$SCEN_DIR"/uas.xml.tmp
}
prepare_rtp_scenarios() {
    local d dir=""
    for d in /usr/share/sip-tester /usr/share/sipp /usr/share/sipp/pcap \
             /usr/local/share/sipp /usr/local/share/sipp/pcap /usr/share/doc/sipp/pcap; do
        if [[ -f $d/g711a.pcap && -f $d/dtmf_2833_1.pcap ]]; then dir=$d; break; fi
    done
    if [[ -z $dir ]] && command -v dpkg >/dev/null; then
        d=$(dpkg -L sip-tester 2>/dev/null | grep '/g711a\.pcap$' | head -n1 || true)
        if [[ -n $d && -f $(dirname "$d")/dtmf_2833_1.pcap ]]; then dir=$(dirname "$d"); fi
    fi
    if [[ -z $dir ]]; then
        warn "SIPp's sample RTP pcaps (g711a.pcap) not found; skipping the SIP+RTP capture"
        return 1
    fi
    dump_scenario uac_pcap "$SCEN_DIR/uac_pcap.xml.tmp" && dump_scenario uas "$SCEN_DIR/uas.xml.tmp" || return 1
    if ! grep -q 'play_pcap_audio="pcap/' "$SCEN_DIR/uac_pcap.xml.tmp"; then
        warn "sipp's uac_pcap scenario does not look as expected; skipping the SIP+RTP capture"
        return 1
    fi
    sed "s#play_pcap_audio=\"pcap/#play_pcap_audio=\"$dir/#g" \
        "$SCEN_DIR/uac_pcap.xml.tmp" >"$SCEN_DIR/uac_pcap.xml"
    # ACK made mandatory: sipp refuses an optional <recv> right before a <nop>
    sed -e 's/\[media_port\] RTP\/AVP 0/[auto_media_port] RTP\/AVP 8 101/' \
        -e 's#a=rtpmap:0 PCMU/8000#a=rtpmap:8 PCMA/8000\n      a=rtpmap:101 telephone-event/8000#' \
        -e '/<recv request="ACK"/,/<\/recv>/ s/optional="true"//' \
        "$SCEN_DIR/uas.xml.tmp" |
        awk -v pcap="$dir/g711a.pcap" '
            { print }
            /<recv request="ACK"/ { ack = 1 }
            ack && /<\/recv>/ {
                print "\n  <nop>\n    <action>\n      <exec play_pcap_audio=\"" pcap "\"/>\n    </action>\n  </nop>"
                ack = 0
            }' >"$SCEN_DIR/uas_pcap.xml"
    rm -f "$SCEN_DIR"/uac_pcap.xml.tmp "$SCEN_DIR"/uas.xml.tmp
    grep -q 'play_pcap_audio' "$SCEN_DIR/uas_pcap.xml" || { warn "could not build the uas_pcap scenario"; return 1; }
    log "RTP scenarios: sipp uac_pcap + uas playing back, media from $dir"
}

sipp_stat() {   # sipp_stat LOG "Successful call" -> cumulative value of last screen
    awk -F'|' -v k="$2" 'index($1, k) { v = $3; gsub(/[^0-9]/, "", v) } END { print (v == "" ? 0 : v) }' "$1"
}

wait_for_log() {   # wait_for_log FILE REGEX PID SECONDS
    local i
    for ((i = 0; i < $4 * 10; i++)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

gen_capture() {   # gen_capture sip|rtp CALLS RATE FILE GENKEY
    local kind=$1 calls=$2 rate=$3 file=$4 genkey=$5
    local base=${file%.pcap} filter uas_args uac_args rc=0 t0 elapsed expect
    local tdlog=$base.tcpdump.log uaslog=$base.uas.log uaclog=$base.uac.log
    local work=$OUT_DIR/work

    ensure_cmd tcpdump tcpdump
    ensure_cmd sipp sip-tester

    if [[ $kind == sip ]]; then
        prepare_sip_scenarios || die "cannot build the SIP scenarios from sipp -sd"
        filter="udp and (port $UAC_PORT or port $UAS_PORT)"
        uas_args=(-sf "$SCEN_DIR/uas_auto.xml" -mp "$UAS_MEDIA_PORT")
        uac_args=(-sf "$SCEN_DIR/uac_auto.xml" -mp "$UAC_MEDIA_PORT" -r "$rate" -d "$SIP_DURATION_MS")
        expect=$(( calls / rate + SIP_DURATION_MS / 1000 + 1 ))
    else
        prepare_rtp_scenarios || return 1
        filter="udp and (port $UAC_PORT or port $UAS_PORT"
        filter+=" or portrange $UAC_MEDIA_PORT-$((UAC_MEDIA_PORT + 9999))"
        filter+=" or portrange $UAS_MEDIA_PORT-$((UAS_MEDIA_PORT + 9999)))"
        uas_args=(-sf "$SCEN_DIR/uas_pcap.xml" -mi 127.0.0.1 -mp "$UAS_MEDIA_PORT")
        uac_args=(-sf "$SCEN_DIR/uac_pcap.xml" -mi 127.0.0.1 -mp "$UAC_MEDIA_PORT" -r "$rate")
        expect=$(( calls / rate + 10 ))
    fi

    log ""
    log "== generating $(basename "$file"): $kind, $calls calls at $rate calls/s (~${expect}s)"
    rm -f "$file" "$file.meta"
    PART_FILE=$base.part.pcap   # keep a .pcap suffix: Debian's tcpdump AppArmor profile
    rm -f "$PART_FILE"

    # 1. capture on loopback; -Z root keeps root-owned output, no priv drop surprises
    $SUDO tcpdump -i lo -n -s 0 -B "$TCPDUMP_BUFFER_KB" -Z root -w "$PART_FILE" "$filter" \
        >"$tdlog" 2>&1 &
    TCPDUMP_PID=$!
    wait_for_log "$tdlog" 'listening on' "$TCPDUMP_PID" 15 ||
        { cat "$tdlog" >&2; die "tcpdump did not start on lo"; }

    # 2. UAS
    (cd "$work" && exec $SUDO sipp "${uas_args[@]}" -i 127.0.0.1 -p "$UAS_PORT" -nostdin) \
        >"$uaslog" 2>&1 &
    UAS_PID=$!
    sleep 1
    kill -0 "$UAS_PID" 2>/dev/null ||
        { tail -n 20 "$uaslog" >&2; die "sipp UAS exited at start (port $UAS_PORT busy?)"; }

    # 3. UAC, in the background so that traps fire while we wait
    t0=$SECONDS
    (cd "$work" && exec $SUDO sipp "${uac_args[@]}" 127.0.0.1:"$UAS_PORT" \
        -i 127.0.0.1 -p "$UAC_PORT" -m "$calls" -nostdin) >"$uaclog" 2>&1 &
    UAC_PID=$!
    while kill -0 "$UAC_PID" 2>/dev/null; do
        sleep 1
        elapsed=$((SECONDS - t0))
        if (( elapsed % 15 == 0 )); then
            log "   ${elapsed}s: capture $(( $(stat -c %s "$PART_FILE" 2>/dev/null || echo 0) / 1000000 )) MB so far"
        fi
    done
    wait "$UAC_PID" || rc=$?
    UAC_PID=""
    kill -0 "$UAS_PID" 2>/dev/null || warn "sipp UAS died during the run, see $uaslog"
    stop_pid "$UAS_PID"; UAS_PID=""

    # 4. let libpcap's TPACKET_V3 block timeout hand the last packets to tcpdump,
    #    then stop it cleanly (SIGINT flushes the file and prints the stats)
    sleep 2
    stop_pid "$TCPDUMP_PID" INT; TCPDUMP_PID=""

    local ok failed dropped_k dropped_i captured
    ok=$(sipp_stat "$uaclog" 'Successful call')
    failed=$(sipp_stat "$uaclog" 'Failed call')
    captured=$(awk '/packets captured/ { print $1 }' "$tdlog" | tail -n1)
    dropped_k=$(awk '/dropped by kernel/ { print $1 }' "$tdlog" | tail -n1)
    dropped_i=$(awk '/dropped by interface/ { print $1 }' "$tdlog" | tail -n1)
    log "   sipp UAC exit $rc: $ok successful, $failed failed calls in $((SECONDS - t0))s;" \
        "tcpdump: ${captured:-?} captured, ${dropped_k:-?} dropped by kernel${dropped_i:+, $dropped_i dropped by interface}"
    [[ $rc -le 1 ]] || { tail -n 30 "$uaclog" >&2; die "sipp UAC failed (exit $rc), see $uaclog"; }
    [[ -s $PART_FILE ]] || die "tcpdump wrote nothing, see $tdlog"
    [[ $failed == 0 ]] || warn "$failed SIPp calls failed (machine too slow for rate $rate? lower BENCH_${kind^^}_RATE)"
    if [[ ${dropped_k:-0} != 0 || ${dropped_i:-0} != 0 ]]; then
        warn "tcpdump dropped packets (kernel ${dropped_k:-?}, interface ${dropped_i:-0}):" \
             "the capture is incomplete; raise BENCH_TCPDUMP_BUFFER_KB or lower the rate"
    fi
    [[ -z $dropped_k ]] && warn "could not read tcpdump's drop statistics, see $tdlog"

    mv "$PART_FILE" "$file"; PART_FILE=""
    meta_set "$file.meta" gen "$genkey"
    meta_set "$file.meta" calls_ok "$ok"
    meta_set "$file.meta" calls_failed "$failed"
    meta_set "$file.meta" tcpdump_dropped "${dropped_k:-?}"
}

ensure_capture() {   # ensure_capture sip|rtp CALLS RATE FILE
    local kind=$1 calls=$2 rate=$3 file=$4 genkey
    if [[ $kind == sip ]]; then
        genkey="v$SCEN_VERSION sipp uac_auto/uas_auto calls=$calls rate=$rate duration_ms=$SIP_DURATION_MS"
    else
        genkey="v$SCEN_VERSION sipp uac_pcap/uas_pcap calls=$calls rate=$rate"
    fi
    if [[ $REGEN -eq 1 || ! -s $file || "$(meta_get "$file.meta" gen)" != "$genkey" ]]; then
        gen_capture "$kind" "$calls" "$rate" "$file" "$genkey" || return 1
    else
        log "using cached $(basename "$file") ($genkey)"
    fi
    # reference counts, once per capture
    if [[ -z "$(meta_get "$file.meta" packets)" ]]; then
        local out
        out=$("$PCAPLOOP" "$file") || die "pcaploop cannot read $file"
        meta_set "$file.meta" packets "$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' <<<"$out")"
    fi
    if [[ -z "$(meta_get "$file.meta" sip_messages)" ]]; then
        log "   counting SIP messages with tshark (once per capture) ..."
        local n
        n=$(tshark -r "$file" -Y sip -T fields -e frame.number 2>/dev/null | wc -l)
        meta_set "$file.meta" sip_messages "$n"
    fi
    if [[ $kind == rtp ]]; then
        local pk sm
        pk=$(meta_get "$file.meta" packets); sm=$(meta_get "$file.meta" sip_messages)
        pk=${pk:-0} sm=${sm:-0}
        if (( pk < 2 * sm )); then
            warn "$(basename "$file") has almost no RTP ($pk packets, $sm SIP): sipp pcap play does not work here; dropping it"
            rm -f "$file" "$file.meta"
            return 1
        fi
    fi
}

FILES=()
ensure_capture sip "$SIP_CALLS" "$SIP_RATE" "$OUT_DIR/sip-$SIZE.pcap" && FILES+=("$OUT_DIR/sip-$SIZE.pcap")
if [[ $WITH_RTP -eq 1 && $RTP_CALLS -gt 0 ]]; then
    if ensure_capture rtp "$RTP_CALLS" "$RTP_RATE" "$OUT_DIR/rtp-$SIZE.pcap"; then
        FILES+=("$OUT_DIR/rtp-$SIZE.pcap")
    else
        warn "continuing without the SIP+RTP capture"
    fi
fi
[[ ${#FILES[@]} -gt 0 ]] || die "no capture to benchmark"

log ""
log "captures:"
for f in "${FILES[@]}"; do
    log "$(printf '  %-16s %8.1f MB %10s packets %9s SIP messages %8s calls (%s)' \
        "$(basename "$f")" "$(awk -v b="$(stat -c %s "$f")" 'BEGIN { print b / 1e6 }')" \
        "$(meta_get "$f.meta" packets)" "$(meta_get "$f.meta" sip_messages)" \
        "$(meta_get "$f.meta" calls_ok)" "$(meta_get "$f.meta" gen)")"
done
[[ $GEN_ONLY -eq 1 ]] && exit 0

# ------------------------------------------------------------ benchmarks --
if has_tool sngrep; then ensure_cmd sngrep sngrep; fi

# timed CMD...: runs under /usr/bin/time; sets T_SEC (wall, from EPOCHREALTIME,
# ms resolution - GNU time's %e only has 10 ms), T_RSS_KB (%M), T_RC.
# stdout goes to $T_STDOUT (default /dev/null), stderr to $T_STDERR.
T_SEC="" T_RSS_KB="" T_RC=0
T_STDOUT=/dev/null T_STDERR=/dev/null
TIMEFILE=$OUT_DIR/work/time.out
timed() {
    local t0 t1
    T_RC=0
    : >"$TIMEFILE"
    t0=$EPOCHREALTIME
    timeout "$RUN_TIMEOUT" /usr/bin/time -f '%e %M' -o "$TIMEFILE" "$@" \
        <"/dev/null" >"$T_STDOUT" 2>"$T_STDERR" || T_RC=$?
    t1=$EPOCHREALTIME
    T_SEC=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    # GNU time prints "Command exited with non-zero status N" before the figures
    T_RSS_KB=$(awk 'NF == 2 && $2 ~ /^[0-9]+$/ { v = $2 } END { print v }' "$TIMEFILE")
}

# Fixed cost of the measuring wrapper (fork/exec of timeout and time, exec of
# a trivial binary): ~2 ms, i.e. a third of pcaploop's time on a 10 MB file.
# It is subtracted from every measurement.
T_OVERHEAD=9
for _ in 1 2 3 4 5 6 7 8 9 10; do
    timed /bin/true
    T_OVERHEAD=$(awk -v a="$T_OVERHEAD" -v b="$T_SEC" 'BEGIN { print (b < a ? b : a) }')
done

ts=$(date +%Y%m%d-%H%M%S)
CSV=$OUT_DIR/results-$SIZE-$ts.csv
TXT=$OUT_DIR/results-$SIZE-$ts.txt
echo "tool,file,size_mb,seconds,mb_per_s,sip_msgs_per_s,peak_rss_mib,x_pcaploop,sip_messages,packets,notes" >"$CSV"

# Results kept as lines: tool|file|sizeMB|sec|rssKB|sipmsgs|notes
RESULTS=()
NA="n/a"

bench_tool() {   # bench_tool TOOL FILE -> appends to RESULTS
    local tool=$1 f=$2 name notes="" best="" rss=0 i cmd=() errlog
    local sipmsgs
    name=$(basename "$f")
    sipmsgs=$(meta_get "$f.meta" sip_messages)
    errlog=$OUT_DIR/work/$tool-$name.stderr
    case $tool in
        pcaploop) cmd=("$PCAPLOOP" "$f") ;;
        sipaudit)
            if [[ $SIPAUDIT_OK -ne 1 ]]; then
                RESULTS+=("sipaudit|$name|$f|$NA|$NA|$sipmsgs|not found: $SIPAUDIT (build with ./dev build)"); return
            fi
            cmd=("$SIPAUDIT" --format json "$f")
            # untimed first run: warms caches and gives sipaudit's own count
            local json=$OUT_DIR/work/sipaudit-$name.json n
            T_STDOUT=$json T_STDERR=$errlog timed "${cmd[@]}"
            n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"][0]["sip_messages"])' \
                "$json" 2>/dev/null || echo "?")
            [[ $T_RC -eq 0 ]] || notes+="exit $T_RC; "
            if [[ $n != "$sipmsgs" ]]; then notes+="sip_messages=$n vs tshark $sipmsgs; "; fi
            ;;
        tshark) cmd=(tshark -r "$f" -Y sip) ;;
        sngrep)
            cmd=(sngrep -N -q -F -l "$SNGREP_LIMIT" -I "$f")
            # untimed first run without -q: check it runs headless and reads the file
            local sout=$OUT_DIR/work/sngrep-$name.out dialogs calls
            T_STDOUT=$sout T_STDERR=$errlog timed sngrep -N -F -l "$SNGREP_LIMIT" -I "$f"
            if [[ $T_RC -eq 124 ]]; then
                RESULTS+=("sngrep|$name|$f|$NA|$NA|$sipmsgs|cannot run headless: no exit within ${RUN_TIMEOUT}s")
                return
            elif [[ $T_RC -ne 0 ]]; then
                RESULTS+=("sngrep|$name|$f|$NA|$NA|$sipmsgs|cannot run headless: exit $T_RC, see $errlog")
                return
            fi
            dialogs=$(tr '\r' '\n' <"$sout" | sed -n 's/^Dialog count: *\([0-9]*\).*/\1/p' | tail -n1)
            # failed SIPp calls still left an INVITE dialog in the capture
            calls=$(( $(meta_get "$f.meta" calls_ok) + $(meta_get "$f.meta" calls_failed) ))
            if [[ -z $dialogs ]]; then
                notes+="dialog count not printed; "
            elif [[ $dialogs != "$calls" ]]; then
                notes+="saw $dialogs dialogs of $calls calls placed; "
            else
                notes+="$dialogs dialogs; "
            fi
            ;;
    esac
    for ((i = 1; i <= REPEAT; i++)); do
        if [[ $tool == pcaploop ]]; then T_STDOUT=$OUT_DIR/work/pcaploop.out; else T_STDOUT=/dev/null; fi
        T_STDERR=$errlog timed "${cmd[@]}"
        T_STDOUT=/dev/null
        if [[ $T_RC -eq 124 ]]; then notes+="timed out: over ${RUN_TIMEOUT}s; "; best=""; break; fi
        if [[ $T_RC -ne 0 && $notes != *"exit $T_RC"* ]]; then notes+="exit $T_RC (see $errlog); "; fi
        T_SEC=$(awk -v t="$T_SEC" -v o="$T_OVERHEAD" 'BEGIN { t -= o; printf "%.4f", (t < 0.0001 ? 0.0001 : t) }')
        if [[ -z $best ]] || awk -v a="$T_SEC" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$T_SEC; fi
        if [[ -n $T_RSS_KB && $T_RSS_KB -gt $rss ]]; then rss=$T_RSS_KB; fi
        if (( i < REPEAT )) && awk -v t="$T_SEC" -v l="$LONG_RUN" 'BEGIN { exit !(t > l) }'; then
            notes+="1 run of ${T_SEC%.*}s, not repeated; "; break
        fi
    done
    notes=${notes%; }
    RESULTS+=("$tool|$name|$f|${best:-$NA}|$( [[ -n $best ]] && echo "$rss" || echo "$NA")|$sipmsgs|$notes")
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > 0.5 * n) }'; then
    warn "load average is $LOAD_START on $(nproc) cores: other work is running, figures will be noisy"
fi
log ""
log "benchmarking: best of $REPEAT runs per tool, warm page cache, timeout ${RUN_TIMEOUT}s per run"
for f in "${FILES[@]}"; do
    cat "$f" >/dev/null   # warm the page cache: we measure parsing, not the disk
    for tool in pcaploop sipaudit tshark sngrep; do
        has_tool "$tool" || continue
        log "  $tool $(basename "$f") ..."
        bench_tool "$tool" "$f"
    done
done

# ----------------------------------------------------------------- report --
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
{
    echo
    echo "sipaudit benchmark, size=$SIZE, $(date '+%Y-%m-%d %H:%M:%S')"
    echo "host: ${cpu:-?}, $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
    echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
    echo "tools: $(tshark --version 2>/dev/null | head -n1); $(sngrep -V 2>/dev/null | head -n1 || true);" \
         "$(sipp -v 2>/dev/null | grep -o 'SIPp v[^ ]*' | head -n1 || true); libpcap $(tcpdump --version 2>/dev/null | sed -n 's/^libpcap version \([^ ]*\).*/\1/p')"
    if [[ $SIPAUDIT_OK -eq 1 ]]; then echo "sipaudit: $SIPAUDIT"
    elif has_tool sipaudit; then echo "sipaudit: not found at $SIPAUDIT (./dev build)"
    else echo "sipaudit: not selected"; fi
    echo "commands: pcaploop F | sipaudit --format json F >/dev/null | tshark -r F -Y sip >/dev/null | sngrep -N -q -F -l $SNGREP_LIMIT -I F"
    echo "best of $REPEAT runs, warm page cache; seconds = wall clock minus $(awk -v o="$T_OVERHEAD" 'BEGIN { printf "%.1f", o * 1000 }') ms measuring overhead; MB = 10^6 bytes; RSS = peak resident set (MiB)"
    echo
    printf '%-9s %-16s %8s %9s %9s %11s %8s %10s  %s\n' \
        tool file "size MB" seconds "MB/s" "SIP msg/s" "RSS MiB" "x pcaploop" notes
    printf '%s\n' "-------------------------------------------------------------------------------------------------"
    prev=""
    for r in "${RESULTS[@]}"; do
        IFS='|' read -r tool name f sec rss sipmsgs notes <<<"$r"
        [[ -n $prev && $name != "$prev" ]] && echo
        prev=$name
        base=""
        for r2 in "${RESULTS[@]}"; do
            IFS='|' read -r t2 n2 _ s2 _ _ _ <<<"$r2"
            [[ $t2 == pcaploop && $n2 == "$name" ]] && base=$s2
        done
        line=$(awk -v tool="$tool" -v name="$name" -v bytes="$(stat -c %s "$f")" -v sec="$sec" \
                   -v rss="$rss" -v msgs="$sipmsgs" -v base="$base" -v notes="$notes" -v na="$NA" '
            function num(x) { return x ~ /^[0-9.]+$/ }
            BEGIN {
                mb = bytes / 1e6
                if (num(sec) && sec > 0) {
                    s = sprintf(sec < 0.1 ? "%.4f" : "%.3f", sec); mbs = sprintf("%.1f", mb / sec)
                    mps = num(msgs) ? sprintf("%.0f", msgs / sec) : na
                    x = (num(base) && base > 0) ? sprintf("%.2f", sec / base) : na
                } else { s = na; mbs = na; mps = na; x = na }
                r = num(rss) ? sprintf("%.1f", rss / 1024) : na
                printf "%-9s %-16s %8.1f %9s %9s %11s %8s %10s  %s|", tool, name, mb, s, mbs, mps, r, x, notes
                printf "%s,%s,%.1f,%s,%s,%s,%s,%s", tool, name, mb, s, mbs, mps, r, x
            }')
        echo "${line%%|*}"
        echo "${line#*|},$sipmsgs,$(meta_get "$f.meta" packets),\"${notes//\"/\'}\"" >>"$CSV"
    done
    echo
    for f in "${FILES[@]}"; do
        name=$(basename "$f") sa="" pl=""
        for r in "${RESULTS[@]}"; do
            IFS='|' read -r tool n2 _ sec _ _ _ <<<"$r"
            [[ $n2 == "$name" && $tool == sipaudit ]] && sa=$sec
            [[ $n2 == "$name" && $tool == pcaploop ]] && pl=$sec
        done
        if [[ $sa =~ ^[0-9.]+$ && $pl =~ ^[0-9.]+$ ]]; then
            echo "sipaudit/pcaploop time on $name: $(awk -v a="$sa" -v b="$pl" 'BEGIN { printf "%.2f", a / b }')x"
        elif has_tool sipaudit; then
            echo "sipaudit/pcaploop time on $name: $NA"
        fi
    done
    echo "results: $CSV"
} | tee "$TXT"
