#!/bin/bash
# Captures with a known call-outcome mix for sipaudit's call KPIs (ASR, NER,
# ACD, post-dial delay, setup time) and the slow-setup rule, each checked by
# an independent oracle (kpi/oracle.py, tshark-based) and, for kpi-mix,
# against SIPp's own statistics. SIPp (Debian sip-tester 3.6.1) as caller and
# callees, scenarios in kpi/, each party in its own network namespace,
# tcpdump -s0 on the caller's veth (every message passes it exactly once).
# Output: testdata/captures/kpi/ (see its README.md).
#   kpi.sh mix          kpi-mix.pcap: caller 192.0.2.10, callees 192.0.2.20 and
#                       192.0.2.21 on one bridge; 43 INVITEs in a fixed mix,
#                       then 3 REGISTERs (about 85 s). Also writes
#                       kpi-mix.truth.json, kpi-mix.sipp-stats.txt, and fails
#                       if the oracle disagrees with the truth or with SIPp
#   kpi.sh retrans      slow-setup-retrans.pcap: callee silent 1.2 s (no 100):
#                       the INVITE is retransmitted at 0.5 s; 180, 200, BYE
#   kpi.sh pdd          slow-setup-pdd.pcap: 100 at once, 180 after 6 s
#   kpi.sh ok-ringing   slow-setup-ok-ringing.pcap: 100 + 180 at once, 200
#                       after 12 s of ringing (clean)
#   kpi.sh ok           slow-setup-ok.pcap: a quick call (clean)
#   kpi.sh oracle       rewrite every *.kpis.json and EXPECTED.kpi.tsv from
#                       the captures (no root needed)
#   kpi.sh all          all of the above
# Every run gives new Call-IDs, tags and times; the outcomes are fixed.
source "$(dirname "$0")/lib.sh"

SF="$GEN_DIR/kpi"
OUT="$OUT_DIR/kpi"
mkdir -p "$OUT"
NS_C="${NSP}c"   # second callee, 192.0.2.21
NS_R="${NSP}r"   # bridge
IP_A=192.0.2.10 IP_B=192.0.2.20 IP_C=192.0.2.21
UA1="PhoneA/1.0 (SIPp 3.6.1)"
UA2="PhoneB/2.0 (SIPp 3.6.1)"
SRV_B="PBX-North/4.2 (SIPp 3.6.1)"
SRV_C="PBX-South/7.1 (SIPp 3.6.1)"
ORACLE="$SF/oracle.py"

kpi_cleanup() {
  cleanup
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_R" 2>/dev/null || true
}

# caller A .10 -- vA|rA [br0 in R] rB|vB -- callee B .20, rC|vC -- callee C .21
topo3() {
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
  nsx "$NS_A" ip addr add $IP_A/24 dev vA
  nsx "$NS_B" ip addr add $IP_B/24 dev vB
  nsx "$NS_C" ip addr add $IP_C/24 dev vC
}

# bg_sipp NAME NS IP SCENARIO [sipp args...]: background SIPp on IP:5060
bg_sipp() {
  local name=$1 ns=$2 ip=$3 sf=$4; shift 4
  (cd "$WORK" && exec ip netns exec "$ns" timeout 200 sipp -sf "$SF/$sf" -i "$ip" -p 5060 \
     -nostdin -nd -trace_err -error_file "$WORK/$name.err" "$@" >"$WORK/$name.log" 2>&1) &
  PIDS+=("$!")
  eval "PID_$name=$!"
  sleep 0.5
}

# fg_uac NAME SCENARIO INJECTION-FILE CALLS [sipp args...]: SIPp caller on
# 192.0.2.10:5070 with SIPp's statistics files (in $WORK, prefixed NAME);
# SIPp's exit status is 1 when some calls failed, which the mix wants
fg_uac() {
  local name=$1 sf=$2 inf=$3 n=$4 rc=0; shift 4
  (cd "$WORK" && ip netns exec "$NS_A" timeout 200 sipp -sf "$SF/$sf" -inf "$inf" -i $IP_A -p 5070 \
     -nostdin -nd -m "$n" -l 100 -max_retrans 20 -max_invite_retrans 20 -max_non_invite_retrans 20 \
     -trace_err -error_file "$WORK/$name.err" -trace_stat -stf "$WORK/$name-stat.csv" -fd 1 \
     -trace_rtt -rtt_freq 1 -trace_counts "$@" $IP_B:5060 >"$WORK/$name.log" 2>&1) || rc=$?
  [ $rc = 0 ] || [ $rc = 1 ] || { echo "sipp $name exited $rc:" >&2; tail -20 "$WORK/$name.log" "$WORK/$name.err" >&2 2>/dev/null; return 1; }
  # -trace_rtt / -trace_counts write <scenario>_<pid>_{rtt,counts}.csv
  local b=${sf%.xml}
  mv "$(ls -t "$WORK/${b}"_*_rtt.csv | head -1)" "$WORK/$name-rtt.csv"
  mv "$(ls -t "$WORK/${b}"_*_counts.csv | head -1)" "$WORK/$name-counts.csv"
}

# wait_sipp NAME: the background SIPp NAME must finish its calls and exit 0
wait_sipp() {
  local name=$1 pid i rc=0
  eval "pid=\$PID_$name"
  for i in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { echo "sipp $name still running, killing" >&2; kill "$pid" 2>/dev/null || true; }
  wait "$pid" || rc=$?
  [ $rc = 0 ] || { echo "sipp $name exited $rc:" >&2; tail -20 "$WORK/$name.log" "$WORK/$name.err" >&2 2>/dev/null; return 1; }
}

ladder() {
  tshark -r "$1" -Y sip -T fields -e frame.number -e frame.time_relative -e ip.src -e ip.dst \
    -e sip.Method -e sip.Status-Code -e sip.CSeq -e sip.resend 2>/dev/null | sed 's/^/  /'
}

# The mix: user;host;User-Agent;caller action;ms (see kpi/uac.xml and
# kpi/uas.xml). One call every 1.5 s; the two unanswered INVITEs come first
# so that the capture goes on for more than 32 s after their last
# retransmission (at 31.5 s), and a slow call comes last.
MIX=(
"silent-1;$IP_B;$UA1;-;0"
"silent-2;$IP_C;$UA2;-;0"
"ans-0-800-a2000;$IP_B;$UA1;bye;2000"
"busy;$IP_C;$UA2;-;0"
"ans-0-1000-b1500;$IP_C;$UA1;wait;0"
"unknown-n;$IP_B;$UA2;-;0"
"ans-0-600-a1000-n;$IP_B;$UA2;bye;1000"
"cancel;$IP_C;$UA1;cancel;1500"
"ans-6000-1000-a2000;$IP_B;$UA1;bye;2000"
"unavail;$IP_C;$UA2;-;0"
"ans-0-1200-b2500;$IP_B;$UA2;wait;0"
"busy;$IP_B;$UA1;-;0"
"decline;$IP_B;$UA2;-;0"
"ans-0-700-a3000;$IP_C;$UA1;bye;3000"
"away;$IP_C;$UA1;-;0"
"ans-0-900-a1500;$IP_C;$UA2;bye;1500"
"cancel;$IP_B;$UA2;cancel;2000"
"unknown-n;$IP_C;$UA1;-;0"
"ans-0-500-b2000-n;$IP_C;$UA2;wait;0"
"busy;$IP_C;$UA1;-;0"
"ans-0-1100-a2500;$IP_B;$UA1;bye;2500"
"ans-6500-1000-b2000;$IP_C;$UA2;wait;0"
"unavail;$IP_B;$UA1;-;0"
"ans-0-800-a1200;$IP_B;$UA2;bye;1200"
"cancel;$IP_C;$UA2;cancel;2500"
"ans-0-1000-b1000;$IP_B;$UA1;wait;0"
"busy-n;$IP_B;$UA2;-;0"
"ans-0-700-a2000;$IP_C;$UA1;bye;2000"
"unknown;$IP_B;$UA1;-;0"
"ans-0-1300-a1800;$IP_C;$UA2;bye;1800"
"decline;$IP_C;$UA1;-;0"
"ans-0-600-b3000;$IP_C;$UA1;wait;0"
"unavail;$IP_C;$UA2;-;0"
"ans-0-900-a2200;$IP_B;$UA2;bye;2200"
"cancel;$IP_B;$UA1;cancel;1800"
"ans-0-800-b1700-n;$IP_B;$UA1;wait;0"
"busy;$IP_B;$UA2;-;0"
"ans-0-1000-a2600;$IP_C;$UA1;bye;2600"
"ans-0-700-a1400;$IP_B;$UA2;bye;1400"
"ans-0-1200-b2800;$IP_C;$UA2;wait;0"
"ans-0-900-a1600;$IP_C;$UA1;bye;1600"
"ans-0-1000-a2000;$IP_B;$UA2;bye;2000"
"ans-7000-1000-a2000;$IP_C;$UA1;bye;2000"
)
# registrations (user;credentials;User-Agent): two right passwords, one wrong
REGS=(
"alice;[authentication username=alice password=secret];$UA1"
"bob;[authentication username=bob password=secret];$UA2"
"carol;[authentication username=carol password=wrong];$UA1"
)

# truth.json from the MIX table: what each call must come to
write_truth() {
  printf '%s\n' "${MIX[@]}" | $PY -c '
import collections, json, sys
ua1, ua2, regs = sys.argv[1], sys.argv[2], int(sys.argv[3])
code = {"busy": 486, "cancel": 487, "unknown": 404, "unavail": 503, "decline": 603, "away": 480}
calls = []
for n, line in enumerate(sys.stdin, 1):
    user, host, ua, mode, msec = line.rstrip("\n").split(";")
    kind = user.split("-")[0]
    c = {"call": n, "ruri_user": user, "callee": host, "user_agent": ua,
         "trying": kind != "silent" and not user.endswith("-n")}
    if kind == "ans":
        p, r, side = user.split("-")[1:4]
        c.update(final=200, ring_after_ms=int(p), ringing_ms=int(r),
                 bye_from="caller" if side[0] == "a" else "callee",
                 talk_ms=int(side[1:]), slow_pdd=int(p) >= 5000)
    elif kind == "silent":
        c.update(final=None, no_response=True)
    else:
        c.update(final=code[kind], ringing=kind in ("cancel", "decline"))
        if kind == "cancel":
            c["cancel_after_ms"] = int(msec)
    calls.append(c)
def group(key):
    out = {}
    for v in sorted({c[key] for c in calls}):
        cs = [c for c in calls if c[key] == v]
        out[v] = {"calls_attempted": len(cs), "calls_answered": sum(c["final"] == 200 for c in cs),
                  "codes": dict(sorted(collections.Counter(str(c["final"]) for c in cs if c["final"]).items())),
                  "no_response": sum(1 for c in cs if c.get("no_response")),
                  "cancelled": sum(1 for c in cs if c.get("cancel_after_ms"))}
    return out
codes = collections.Counter(str(c["final"]) for c in calls if c["final"])
ans = codes["200"]
eff = ans + sum(codes[k] for k in ("486", "603", "480", "487"))
done = len(calls)
print(json.dumps({
    "capture": "kpi-mix.pcap",
    "calls_attempted": len(calls), "calls_answered": ans, "calls_in_progress": 0,
    "codes": dict(sorted(codes.items())), "no_response": sum(1 for c in calls if c.get("no_response")),
    "cancelled": sum(1 for c in calls if c.get("cancel_after_ms")),
    "slow_pdd_calls": [c["call"] for c in calls if c.get("slow_pdd")],
    "asr": round(ans / done, 4), "ner": round(eff / done, 4),
    "bye_from_caller": sum(1 for c in calls if c.get("bye_from") == "caller"),
    "bye_from_callee": sum(1 for c in calls if c.get("bye_from") == "callee"),
    "without_100": sum(1 for c in calls if not c["trying"] and not c.get("no_response")),
    "registrations": {"attempted": regs, "successful": regs - 1},
    "acd_s_nominal": round(sum(c["talk_ms"] for c in calls if c["final"] == 200) / ans / 1000, 3),
    "by_callee": group("callee"), "by_user_agent": group("user_agent"),
    "calls": calls}, indent=1))' "$UA1" "$UA2" "${#REGS[@]}" >"$OUT/kpi-mix.truth.json"
}

run_mix() {
  CAP="$OUT/kpi-mix.pcap"
  rm -f "$CAP"
  topo3
  start_cap "$NS_A" vA "$CAP"
  local nb nc inf="$WORK/calls.csv" rinf="$WORK/regs.csv"
  { echo SEQUENTIAL; printf '%s\n' "${MIX[@]}"; } >"$inf"
  { echo SEQUENTIAL; printf '%s\n' "${REGS[@]}"; } >"$rinf"
  nb=$(printf '%s\n' "${MIX[@]}" | grep -c ";$IP_B;")
  nc=$(printf '%s\n' "${MIX[@]}" | grep -c ";$IP_C;")
  bg_sipp calleeB "$NS_B" $IP_B uas.xml -m "$nb" -key server "$SRV_B"
  bg_sipp calleeC "$NS_C" $IP_C uas.xml -m "$nc" -key server "$SRV_C"
  echo "mix: ${#MIX[@]} calls ($nb to $IP_B, $nc to $IP_C), one every 1.5 s, then ${#REGS[@]} REGISTERs (~85 s)" >&2
  fg_uac calls uac.xml "$inf" "${#MIX[@]}" -r 1 -rp 1500
  wait_sipp calleeB
  wait_sipp calleeC
  # the registrar replaces the first callee's SIPp on 192.0.2.20:5060
  bg_sipp registrar "$NS_B" $IP_B registrar.xml -m "${#REGS[@]}" -key server "$SRV_B"
  fg_uac regs reg-uac.xml "$rinf" "${#REGS[@]}" -r 1 -rp 1000
  wait_sipp registrar
  stop_cap
  report "$CAP"
  write_truth
  $PY "$ORACLE" "$CAP" >"$OUT/kpi-mix.kpis.json"
  sipp_stats >"$OUT/kpi-mix.sipp-stats.txt"
  cross_check
}

# kpi-mix.sipp-stats.txt: SIPp's view of the run (final line of the -stf
# statistics, the -trace_counts per-message counts, the -trace_rtt response
# times summarised like the oracle's)
sipp_stats() {
  $PY - "$WORK" <<'EOF'
import csv, math, sys, os
w = sys.argv[1]
def final(name):
    rows = list(csv.reader(open(os.path.join(w, name + "-stat.csv")), delimiter=";"))
    return dict(zip(rows[0], rows[-1]))
def dist(v):
    v = sorted(v); n = len(v)
    if not n: return "n=0"
    r = lambda p: v[max(1, math.ceil(p * n / 100)) - 1]
    return "n=%d p50=%.3f p95=%.3f max=%.3f min=%.3f" % (n, r(50), r(95), v[-1], v[0])
print("# SIPp 3.6.1 statistics of the kpi-mix run (testdata/gen/kpi.sh mix), as SIPp")
print("# wrote them: -trace_stat -stf (final cumulative line, non-zero columns),")
print("# -trace_counts (messages per scenario line), -trace_rtt (every response time,")
print("# summarised here with nearest-rank percentiles like the oracle's, ms).")
for name, what in (("calls", "INVITE calls (kpi/uac.xml, 43 calls)"), ("regs", "registrations (kpi/reg-uac.xml, 3 REGISTER attempts)")):
    st = final(name)
    print("\n## %s\n" % what)
    print("### -stf final line (cumulative (C) columns that are not zero)")
    for k, v in st.items():
        if k.endswith("(C)") and v not in ("", "0", "00:00:00:000000"):
            print("%-32s %s" % (k, v))
    print("\n### -trace_counts (last dump)")
    rows = list(csv.reader(open(os.path.join(w, name + "-counts.csv")), delimiter=";"))
    print(";".join(rows[0]).rstrip(";"))
    print(";".join(rows[-1]).rstrip(";"))
    print("\n### -trace_rtt response times, ms")
    rtd = {}
    for row in csv.reader(open(os.path.join(w, name + "-rtt.csv")), delimiter=";"):
        if len(row) >= 3 and row[0][:1].isdigit():
            rtd.setdefault(row[2], []).append(float(row[1]))
    for k in sorted(rtd):
        print("%-8s %s" % (k, dist(rtd[k])))
        print("%-8s values: %s" % ("", " ".join("%.3f" % x for x in sorted(rtd[k]))))
EOF
}

# the oracle must agree with the truth table and with SIPp's own counts
cross_check() {
  $PY - "$OUT/kpi-mix.kpis.json" "$OUT/kpi-mix.truth.json" "$WORK" "$ORACLE" "$CAP" <<'EOF'
import csv, json, math, os, sys
k = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2])); w = sys.argv[3]
bad = []
def eq(what, a, b):
    if a != b: bad.append("%s: oracle %r, expected %r" % (what, a, b))
# against the truth table
for f in ("calls_attempted", "calls_answered", "calls_in_progress", "codes", "no_response", "cancelled", "asr", "ner", "registrations"):
    eq("truth " + f, k[f], t[f])
eq("truth acd_calls", k["acd_calls"], t["calls_answered"])
eq("truth pdd n", k["pdd_ms"]["n"], sum(1 for c in t["calls"] if c["final"] == 200 or c.get("ringing")))
if abs(k["acd_s"] - t["acd_s_nominal"]) > 0.1:
    bad.append("acd_s %s, nominal %s" % (k["acd_s"], t["acd_s_nominal"]))
for p in k["by_pair"]:
    g = t["by_callee"].get(p["dst"], {})
    for f in ("calls_attempted", "calls_answered", "codes", "no_response", "cancelled"):
        eq("truth by_pair %s->%s %s" % (p["src"], p["dst"], f), p[f], g.get(f))
for a in k["by_agent"]:
    if a["role"] == "caller":
        g = t["by_user_agent"].get(a["agent"], {})
        for f in ("calls_attempted", "calls_answered", "codes", "no_response", "cancelled"):
            eq("truth by_agent %s %s" % (a["agent"], f), a[f], g.get(f))
# call by call: SIPp's Call-ID is <call number>-<pid>@<caller>, the line of
# the mix; the oracle's own per-call view (kpi/oracle.py)
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[4])))
sys.dont_write_bytecode = True
import oracle
msgs, last = oracle.load(sys.argv[5])
calls = {int(c["callid"].split("-")[0]): c for c in oracle.calls_of(msgs, last)}
eq("call numbers", sorted(calls), [c["call"] for c in t["calls"]])
for tc in t["calls"]:
    c = calls.get(tc["call"])
    if not c: continue
    what = "call %d (%s)" % (tc["call"], tc["ruri_user"])
    eq(what + " callee", c["dst"], tc["callee"])
    eq(what + " User-Agent", c["caller_agent"], tc["user_agent"])
    eq(what + " final", c["final"], tc["final"])
    eq(what + " no response", c["no_response"], bool(tc.get("no_response")))
    eq(what + " cancelled", c["cancelled"], "cancel_after_ms" in tc)
    if c["pdd"] is not None:
        slow = tc.get("slow_pdd", False)
        if slow != (c["pdd"] > 5) or (not slow and c["pdd"] > 0.5):
            bad.append("%s: post-dial delay %.3f s (slow: %s)" % (what, c["pdd"], slow))
# the only retransmissions are the unanswered INVITEs' (6 each)
eq("retransmitted messages", sum(r["retransmitted"] for r in k["retransmissions"]), 6 * t["no_response"])
# against SIPp
def final(name):
    rows = list(csv.reader(open(os.path.join(w, name + "-stat.csv")), delimiter=";"))
    return dict(zip(rows[0], rows[-1]))
st = final("calls")
num = lambda col: int(st[col]) if st.get(col, "") != "" else 0
eq("SIPp SuccessfulCall", k["calls_answered"], num("SuccessfulCall(C)"))
eq("SIPp Retransmissions", sum(r["retransmitted"] for r in k["retransmissions"]), num("Retransmissions(C)"))
eq("SIPp FailedCall", k["calls_attempted"] - k["calls_answered"], num("FailedCall(C)"))
eq("SIPp FailedTimeoutOnRecv (no response by timer B)", k["no_response"], num("FailedTimeoutOnRecv(C)"))
eq("SIPp FailedRegexpDoesntMatch (non-2xx finals)", sum(v for c, v in k["codes"].items() if c != "200"), num("FailedRegexpDoesntMatch(C)"))
for code in ("200", "404", "480", "486", "487", "503", "603"):
    col = [c for c in st if c.startswith("c%s_" % code) or c.startswith("c%s(" % code)]
    col = [c for c in col if c.endswith("(C)")]
    if not col: bad.append("SIPp counter c%s missing from the statistics" % code); continue
    eq("SIPp counter c%s" % code, k["codes"].get(code, 0), num(col[0]))
col = [c for c in st if c.startswith("cCANCEL") and c.endswith("(C)")]
eq("SIPp counter cCANCEL", k["cancelled"], num(col[0]) if col else None)
rs = final("regs")
eq("SIPp registrations successful", k["registrations"]["successful"], int(rs["SuccessfulCall(C)"]))
eq("SIPp registrations attempted", k["registrations"]["attempted"], int(rs["SuccessfulCall(C)"]) + int(rs["FailedCall(C)"]))
# response times: SIPp's RTDs are taken in user space when SIPp handles the
# message; the capture's are the kernel's: allow 20 ms
rtd = {}
for row in csv.reader(open(os.path.join(w, "calls-rtt.csv")), delimiter=";"):
    if len(row) >= 3 and row[0][:1].isdigit():
        rtd.setdefault(row[2], []).append(float(row[1]))
for name, key in (("pdd", "pdd_ms"), ("setup", "setup_ms")):
    v = sorted(rtd.get(name, [])); n = len(v)
    eq("SIPp rtd %s n" % name, k[key]["n"], n)
    if n:
        r = lambda p: v[max(1, math.ceil(p * n / 100)) - 1]
        for p, x in (("p50", r(50)), ("p95", r(95)), ("max", v[-1])):
            if abs(k[key][p] - x) > 20:
                bad.append("SIPp rtd %s %s: oracle %.3f, SIPp %.3f" % (name, p, k[key][p], x))
if bad:
    print("kpi-mix: the oracle DISAGREES:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
print("kpi-mix: oracle agrees with the truth table and with SIPp (answered %d, codes %s, no_response %d, cancelled %d, registrations %s)"
      % (k["calls_answered"], k["codes"], k["no_response"], k["cancelled"], k["registrations"]), file=sys.stderr)
EOF
}

# run_one NAME MIX-LINE CHECK: one call 192.0.2.10 -> 192.0.2.20 (veth
# pair); CHECK is a python expression on the oracle's figures k (pdd, setup
# in ms; rt = retransmitted messages) that must hold
run_one() {
  local name=$1 line=$2 check=$3
  CAP="$OUT/$name.pcap"
  rm -f "$CAP"
  mk_pair 4
  nsx "$NS_A" ip addr add $IP_A/24 dev vA
  nsx "$NS_B" ip addr add $IP_B/24 dev vB
  start_cap "$NS_A" vA "$CAP"
  { echo SEQUENTIAL; echo "$line"; } >"$WORK/one.csv"
  bg_sipp callee "$NS_B" $IP_B uas.xml -m 1 -key server "$SRV_B"
  fg_uac one uac.xml "$WORK/one.csv" 1
  wait_sipp callee
  stop_cap
  report "$CAP"
  ladder "$CAP"
  $PY "$ORACLE" "$CAP" >"$OUT/$name.kpis.json"
  $PY - "$OUT/$name.kpis.json" "$check" "$name" <<'EOF' || return 1
import json, sys
k = json.load(open(sys.argv[1]))
pdd, setup = k["pdd_ms"]["max"], k["setup_ms"]["max"]
rt = sum(r["retransmitted"] for r in k["retransmissions"])
ok = k["calls_attempted"] == 1 and k["calls_answered"] == 1 and k["acd_calls"] == 1 and eval(sys.argv[2])
print("%s: post-dial delay %s ms, setup %s ms, %d retransmitted; %s: %s"
      % (sys.argv[3], pdd, setup, rt, sys.argv[2], "ok" if ok else "NOT AS INTENDED"), file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}

# frames FILTER CAPTURE: frame numbers tshark selects, comma-separated
frames() { tshark -r "$2" -Y "$1" -T fields -e frame.number 2>/dev/null | paste -sd, -; }

# EXPECTED.kpi.tsv and every *.kpis.json, from the captures
manifest() {
  local m="$OUT/EXPECTED.kpi.tsv" c f r i cid
  for c in kpi-mix slow-setup-retrans slow-setup-pdd slow-setup-ok-ringing slow-setup-ok; do
    [ -f "$OUT/$c.pcap" ] || { echo "missing $OUT/$c.pcap: run kpi.sh all" >&2; return 1; }
    $PY "$ORACLE" "$OUT/$c.pcap" >"$OUT/$c.kpis.json"
  done
  : >"$m"
  # (2) the first retransmission of the INVITE, then the INVITE
  c="$OUT/slow-setup-retrans.pcap"
  f=$(frames 'sip.Method == "INVITE" && sip.resend == 1' "$c" | cut -d, -f1)
  i=$(frames 'sip.Method == "INVITE" && sip.resend == 0' "$c")
  [ -n "$f" ] && [ -n "$i" ] || { echo "slow-setup-retrans: no INVITE retransmission" >&2; return 1; }
  printf 'slow-setup-retrans.pcap\tslow-setup\twarning\t%s,%s\t%s\n' "$f" "$i" \
    "INVITE from 192.0.2.10:5070 to 192.0.2.20:5060; the callee sends nothing for 1.2 s (no 100 Trying), so the caller retransmits the INVITE at 0.5 s (timer A); then 180 at 1.2 s, 200 after 0.8 s of ringing, ACK, BYE, 200. RFC 3261 17.2.1: a stateful element should send 100 within 200 ms; the retransmission proves the caller waited past T1 (500 ms) with no response. Frames: the INVITE retransmission, then the INVITE." >>"$m"
  # (3) the 180, then the INVITE
  c="$OUT/slow-setup-pdd.pcap"
  printf 'slow-setup-pdd.pcap\tslow-setup\twarning\t%s,%s\t%s\n' \
    "$(frames 'sip.Status-Code == 180' "$c")" "$(frames 'sip.Method == "INVITE"' "$c")" \
    "INVITE answered 100 Trying at once, but the first 180 Ringing comes only 6 s later (post-dial delay 6 s, over the default 5 s threshold); then 200 after 1 s of ringing, ACK, BYE, 200. Frames: the 180, then the INVITE." >>"$m"
  printf 'slow-setup-ok-ringing.pcap\t-\t-\t-\t%s\n' \
    "clean: 100 Trying and 180 Ringing at once, the callee rings 12 s before answering 200, ACK, BYE, 200. Post-dial delay is a few ms; ringing for a long time is the called party not picking up, not setup delay: no slow-setup." >>"$m"
  printf 'slow-setup-ok.pcap\t-\t-\t-\t%s\n' \
    "clean: an ordinary quick call: INVITE, 100, 180, 200 after 0.5 s of ringing, ACK, BYE after 1.5 s, 200." >>"$m"
  # kpi-mix: the 3 slow calls (their 180, then their INVITE) ...
  c="$OUT/kpi-mix.pcap"
  for r in 6000 6500 7000; do
    cid=$(tshark -r "$c" -Y "sip.Method == \"INVITE\" && sip.r-uri.user matches \"^ans-$r-\"" -T fields -e sip.Call-ID 2>/dev/null | head -1)
    [ -n "$cid" ] || { echo "kpi-mix: no slow call ans-$r" >&2; return 1; }
    printf 'kpi-mix.pcap\tslow-setup\twarning\t%s,%s\t%s\n' \
      "$(frames "sip.Call-ID == \"$cid\" && sip.Status-Code == 180" "$c")" \
      "$(frames "sip.Call-ID == \"$cid\" && sip.Method == \"INVITE\" && sip.resend == 0" "$c")" \
      "One of the 3 slow calls of the mix (Request-URI user ans-$r-...): 100 Trying at once, the first 180 Ringing only $((r / 1000)).$((r % 1000 / 100)) s after the INVITE (post-dial delay over 5 s), 200 after 1 s of ringing, answered and ended normally. Frames: the 180, then the INVITE." >>"$m"
  done
  # ... and the findings of the other rules that the mix must produce
  for r in silent-1 silent-2; do
    printf 'kpi-mix.pcap\tno-response\terror\t%s\t%s\n' \
      "$(frames "sip.Method == \"INVITE\" && sip.r-uri.user == \"$r\"" "$c")" \
      "INVITE to $r (the callee ignores it): sent 7 times (timer A: 0.5, 1, 2, 4, 8, 16 s, same branch) over 31.5 s, no response at all, not even 100; the caller gives up at timer B (32 s). Not slow-setup: no-response owns an INVITE that got nothing. Frames: every copy of the INVITE." >>"$m"
  done
  printf 'kpi-mix.pcap\tregistration-failed\terror\t%s\t%s\n' \
    "$(frames 'sip.CSeq.method == "REGISTER" && sip.from.user == "carol"' "$c")" \
    "REGISTER of carol -> 401 -> REGISTER with credentials (wrong password) -> 403 Forbidden. The two other REGISTERs (alice, bob) are challenged 401 and accepted 200: no finding for them." >>"$m"
  echo "wrote $m" >&2
}

one() {
  case "$1" in
    mix) run_mix ;;
    retrans) run_one slow-setup-retrans "ans-1200-800-a2000-n;$IP_B;$UA1;bye;2000" \
               '1100 < pdd < 1450 and rt == 1' ;;
    pdd) run_one slow-setup-pdd "ans-6000-1000-a2000;$IP_B;$UA1;bye;2000" \
           '5900 < pdd < 6500 and rt == 0' ;;
    ok-ringing) run_one slow-setup-ok-ringing "ans-0-12000-a2000;$IP_B;$UA1;bye;2000" \
                  'pdd < 200 and setup > 11900 and rt == 0' ;;
    ok) run_one slow-setup-ok "ans-0-500-a1500;$IP_B;$UA1;bye;1500" \
          'pdd < 200 and setup < 1000 and rt == 0' ;;
    *) echo "usage: $0 mix|retrans|pdd|ok-ringing|ok|oracle|all (see the header)" >&2; exit 2 ;;
  esac
}

case "${1:-all}" in
  oracle) manifest ;;
  all) for c in mix retrans pdd ok-ringing ok; do KPI_ALL=1 "$0" "$c"; done; manifest ;;
  *) start_common; trap kpi_cleanup EXIT INT TERM; one "$1"
     [ -n "${KPI_ALL:-}" ] || manifest 2>/dev/null || echo "EXPECTED.kpi.tsv not rewritten (captures missing): run kpi.sh all" >&2 ;;
esac
