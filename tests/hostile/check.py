#!/usr/bin/env python3
"""tests/hostile/check.py BUILD_DIR [--scale small|large] [--dir DIR] [--only CASE,...] [--figures FILE]

The hostile inputs of issue 15 (tests/hostile/gen.py writes them): for each
capture, sipaudit --format json runs under a time limit and a memory limit,
with /usr/bin/time for its peak RSS, and this checks
  - no crash: exit status 0, 1 or 2 (man page, EXIT STATUS), never a signal,
    and nothing from the sanitizers when BUILD_DIR is an ASan+UBSan build;
  - time and peak RSS within the case's bound (BOUNDS below: a few times
    what it takes, tight enough to catch quadratic or unbounded work);
  - the ordinary call is in the JSON with its 7 messages and its state, and
    the other calls the manifest names (a follow-up message on the same TCP
    connection, ...), with their malformed reason where one is expected;
  - where the memory bound must act (MAX_MEMORY: the callid-flood), that it
    did, and not on the ordinary call (the flood's unanswered requests go
    first);
  - the problem is reported clearly: a line "sipaudit: warning|error: FILE:
    frame N: REASON" on standard error, the same "frame N: REASON" in the
    JSON inputs[].errors; and no warning at all for inputs that are valid SIP
    however absurd (floods, 10^4 m= lines, deep multipart, a gzip bomb).
One "ok"/"not ok" line per assertion and a final count (tests/run.sh adds
them). With --figures FILE the time and RSS of every case go to FILE (TSV).
The captures are made in DIR (default BUILD_DIR/hostile-SCALE), kept and
remade only when gen.py is newer than them.
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20

# Per case and scale: (seconds, peak RSS in MiB) for the normal build.
# Measured on a 2-core machine also running fuzzers: bounds are 3-5x that,
# at least 2 s / 40 MiB (a loaded CI machine), and below what quadratic time
# or unbounded memory would take at the scale (branch-flood is 16,000 in
# one call at small scale for that, tag-flood 32,000: 0.9 s, 5.8 s with the
# quadratic search for copies of before mark_copy's index). Large scale,
# measured (s, MiB): callid-flood 11.3/197, tag-flood 1.1/78 (17-19 s
# before mark_copy's index, 34 s on the benchmark machine; over 245 s
# before 3beaaef), branch-flood 5.5/44, dialog-flood 4.5/44 (56 s before 8595a9a),
# many-headers 0.17/9, huge-header 0.18/9, many-mlines 0.27/13,
# multipart-nested 0.17/8, many-vias 0.24/9, ipfrag 5.9/60, tcp-endless
# 0.72/9, ws-huge 1.25/25, hep-inflate 23.5/9, gzip-bomb 129/9 (10 GiB
# inflated), pcapng-lying 1.85/50, time-travel 0.72/20.
BOUNDS = {
    "callid-flood":     {"small": (3, 80),   "large": (60, 400)},
    "tag-flood":        {"small": (3, 150),  "large": (10, 250)},
    "branch-flood":     {"small": (5, 150),  "large": (40, 200)},
    "dialog-flood":     {"small": (2, 150),  "large": (20, 200)},
    "many-headers":     {"small": (2, 40),   "large": (5, 40)},
    "huge-header":      {"small": (2, 40),   "large": (5, 40)},
    "many-mlines":      {"small": (2, 40),   "large": (5, 40)},
    "multipart-nested": {"small": (2, 40),   "large": (5, 40)},
    "many-vias":        {"small": (2, 40),   "large": (5, 40)},
    "ipfrag":           {"small": (4, 80),   "large": (30, 150)},
    "tcp-endless":      {"small": (2, 40),   "large": (10, 40)},
    "ws-huge":          {"small": (2, 40),   "large": (10, 80)},
    "hep-inflate":      {"small": (3, 40),   "large": (120, 40)},
    "gzip-bomb":        {"small": (10, 40),  "large": (600, 40)},
    "pcapng-lying":     {"small": (2, 40),   "large": (10, 120)},
    "time-travel":      {"small": (2, 40),   "large": (10, 80)},
}
# --max-memory per case and scale where the memory bound must act (then
# checked: calls finalised early, and not the ordinary call): the 10,000
# INVITEs of the small callid-flood hold about 12 MB, under the default
# 128M; the 200,000 of the large one about 240 MB. The bound acts 0.4 s
# into the small flood: its requests have gone unanswered for the 200 ms
# after which they are given up first (analyzer/model/calls.c, LONE_AGE_NS).
MAX_MEMORY = {"callid-flood": {"small": "8M", "large": None}}
# An ASan+UBSan debug build is slower and keeps freed memory in quarantine.
ASAN_TIME, ASAN_RSS_MUL, ASAN_RSS_ADD = 15, 3, 600

npass = nfail = 0


def check(name, cond, detail=""):
    global npass, nfail
    if cond:
        npass += 1
        print("ok - hostile " + name)
    else:
        nfail += 1
        print("not ok - hostile " + name + (": " + str(detail)[:900] if detail != "" else ""))
    sys.stdout.flush()
    return cond


def is_asan(build):
    try:
        with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
            for o in json.load(f):
                if o["name"] == "b_sanitize":
                    return o["value"] not in ("none", "")
    except OSError:
        pass
    return False


def generate(outdir, scale, only):
    gen = os.path.join(HERE, "gen.py")
    man = os.path.join(outdir, "MANIFEST.json")
    if os.path.exists(man) and os.path.getmtime(man) >= os.path.getmtime(gen):
        with open(man) as f:
            m = json.load(f)
        if m.get("scale") == scale and all(c in m["cases"] for c in (only or BOUNDS)):
            return m
    cmd = [sys.executable, gen, outdir, "--scale", scale] + (["--only", ",".join(only)] if only else [])
    subprocess.run(cmd, check=True)
    with open(man) as f:
        return json.load(f)


def run_case(binary, path, out_json, tlimit, rss_limit, asan, extra=()):
    """Runs sipaudit; returns (status, signal, seconds, rss_kib, stderr, timed_out)."""
    tfile = out_json + ".time"
    env = {k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"}
    if asan:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"

    def limits():
        if not asan:  # ASan reserves terabytes of address space: no RLIMIT_AS there
            lim = (rss_limit * 4 + 256) * MIB
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    # CPU time (user + system), not wall time: the bound is about the work
    # (quadratic or not), and a machine busy with other jobs must not fail it
    cmd = ["/usr/bin/time", "-f", "%U %S %M %x", "-o", tfile, binary, "--no-config", "--progress", "never",
           "--format", "json", "-o", out_json] + list(extra) + [path]
    t0 = time.monotonic()
    timed_out = False
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, preexec_fn=limits,
                           timeout=tlimit * 2 + 5)
        err = p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        timed_out = True
        err = (e.stderr or b"").decode("utf-8", "replace")
    wall = time.monotonic() - t0
    status, sig, secs, rss = None, None, wall, 0
    try:
        with open(tfile) as f:
            lines = f.read().strip().splitlines()
        for ln in lines:
            m = re.match(r"Command terminated by signal (\d+)", ln)
            if m:
                sig = int(m.group(1))
        m = re.match(r"([\d.]+) ([\d.]+) (\d+) (-?\d+)$", lines[-1])
        if m:
            secs = float(m.group(1)) + float(m.group(2))
            rss, status = int(m.group(3)), int(m.group(4))
    except (OSError, IndexError):
        pass
    if sig is not None:
        status = None
    return status, sig, secs, rss, err, timed_out


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def calls_by_id(doc):
    out = {}
    for c in (doc or {}).get("calls", []):
        out.setdefault(c["call_id"], []).append(c)
    return out


def check_case(binary, name, spec, outdir, scale, asan, figures):
    path = os.path.join(outdir, spec["file"])
    tb, rb = BOUNDS[name][scale]
    if asan:
        tb, rb = tb * ASAN_TIME, rb * ASAN_RSS_MUL + ASAN_RSS_ADD
    out_json = os.path.join(outdir, name + ".json")
    if os.path.exists(out_json):
        os.unlink(out_json)
    mm = MAX_MEMORY.get(name)
    extra = ["--max-memory", mm[scale]] if mm and mm[scale] else []
    status, sig, secs, rss, err, timed_out = run_case(binary, path, out_json, tb, rb, asan, extra)
    rss_mib = rss / 1024.0
    if figures is not None:
        figures.append((name, scale, os.path.getsize(path), secs, rss_mib, status, sig))
    print("# %s: %.2f s, %.1f MiB peak RSS, exit %s%s (%s)" % (name, secs, rss_mib, status,
          " signal %s" % sig if sig else "", spec.get("params")))
    check("%s: exit status 0, 1 or 2, no signal%s" % (name, ", no sanitizer report" if asan else ""),
          not timed_out and sig is None and status in (0, 1, 2) and
          not re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", err),
          "timed out" if timed_out else "status %s signal %s; %s" % (status, sig, err[-600:]))
    check("%s: %.2f s within %g s" % (name, secs, tb), not timed_out and secs <= tb, "timed out" if timed_out else "")
    check("%s: peak RSS %.1f MiB within %g MiB" % (name, rss_mib, rb), 0 < rss_mib <= rb)

    doc = load_json(out_json)
    byid = calls_by_id(doc)
    o = spec["ordinary"]
    calls = byid.get(o["call_id"], [])
    got = [(len(c["messages"]), c["state"]) for c in calls]
    check("%s: the ordinary call is analysed: one call, %d messages, %s" % (name, o["messages"], o["state"]),
          got == [(o["messages"], o["state"])], got if doc else "no JSON report")
    if calls and len(calls) == 1:
        frames = sorted(m["frame"] for m in calls[0]["messages"])
        check("%s: the ordinary call's frames are %s" % (name, o["frames"]), frames == o["frames"], frames)
    if mm:
        # the flood's calls, single requests never answered, are given up
        # first: not the ordinary call, ringing and quiet the longest of all
        early = ((doc or {}).get("inputs") or [{}])[0].get("calls_finalised_early", 0)
        check("%s: the memory bound (%s) acted: %d calls finalised early" % (name, " ".join(extra) or "default",
              early), early > 0)
        check("%s: the ordinary call is not finalised early nor continued" % name,
              len(calls) == 1 and not calls[0].get("finalised_early") and "continues_call" not in calls[0],
              [(c["number"], c["state"], len(c["messages"]), c.get("finalised_early"), c.get("continues_call"))
               for c in calls])
    for a in spec.get("also", []):
        cs = byid.get(a["call_id"], [])
        msgs = [m for c in cs for m in c["messages"]]
        what = "%s: call %s analysed: %d message%s" % (name, a["call_id"], a["messages"],
                                                       "" if a["messages"] == 1 else "s")
        cond = len(msgs) == a["messages"]
        if "malformed" in a:
            what += ", malformed: " + a["malformed"]
            cond = cond and all(m.get("malformed_reason") == a["malformed"] for m in msgs[:1])
        if "size" in a:
            what += ", %d bytes" % a["size"]
            cond = cond and all(m.get("size") == a["size"] for m in msgs[:1])
        check(what, cond, [{k: m.get(k) for k in ("frame", "method", "status", "size", "malformed_reason")} for m in msgs][:4])

    errs = (doc or {}).get("inputs", [{}])[0].get("errors", []) if doc else []
    given = spec["file"]
    lines = [ln for ln in err.splitlines() if ln.startswith("sipaudit: ")]
    if not spec.get("errors"):
        noisy = [ln for ln in lines if ln.startswith(("sipaudit: warning:", "sipaudit: error:"))]
        check("%s: valid input, however absurd: no warning" % name, not noisy and not errs, noisy[:3] or errs[:3])
    for e in spec.get("errors", []):
        fr = e.get("frame")
        rx = re.compile(e["re"])
        # "frame N: why", or for a block of the file "block at offset X (after frame N) why"
        frx = re.compile(r"\bframe %s\b" % (fr if fr and not e.get("any_frame") else r"\d+"))
        prefix = re.compile(r"sipaudit: (warning|error): %s: " % re.escape(path))
        hit = [ln for ln in lines if prefix.match(ln) and rx.search(ln) and frx.search(ln)]
        desc = "frame %s" % fr if fr and not e.get("any_frame") else "a frame"
        check("%s: stderr names the file, %s and why (/%s/)" % (name, desc, e["re"]), hit,
              [ln for ln in lines][:4])
        check("%s: the JSON input's errors say the same" % name, any(rx.search(x) and frx.search(x) for x in errs),
              errs[:4])
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--scale", choices=("small", "large"), default="small")
    ap.add_argument("--dir")
    ap.add_argument("--only")
    ap.add_argument("--figures")
    a = ap.parse_args()
    binary = os.path.join(os.path.abspath(a.build), "sipaudit")
    asan = is_asan(a.build)
    outdir = os.path.abspath(a.dir or os.path.join(a.build, "hostile-" + a.scale))
    only = a.only.split(",") if a.only else None
    man = generate(outdir, a.scale, only)
    figures = [] if a.figures else None
    for name in BOUNDS:
        if only and name not in only:
            continue
        spec = man["cases"].get(name)
        if not check("%s: capture generated" % name, spec is not None):
            continue
        check_case(binary, name, spec, outdir, a.scale, asan, figures)
    if figures is not None:
        with open(a.figures, "w") as f:
            f.write("case\tscale\tbytes\tseconds\trss_mib\tstatus\tsignal\n")
            for r in figures:
                f.write("%s\t%s\t%d\t%.2f\t%.1f\t%s\t%s\n" % r)
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
