#!/usr/bin/env python3
"""tests/jobs_check.py SIPAUDIT [SHARED] - -j N gives the report -j 1 gives.

With -j 1 everything runs on one thread; with more, inputs are read on
reader threads (cmd/pipeline.c) and the calls judged and reported on the
main thread in the order one thread would. The report, standard error and
the exit status must not change: each capture of testdata/captures and of
the public corpus alone (-j 1 against -j 2: the two-stage pipeline), and
directories of many captures in every report format (-j 1 against -j 2, 3
and 8: several readers at once, each ahead of the report). Prints TAP-style
"ok"/"not ok" lines."""
import os
import subprocess
import sys

EXTS = (".pcap", ".pcapng", ".cap", ".gz", ".libpcap")


def run(sa, args):
    env = dict(os.environ)
    env.pop("SSLKEYLOGFILE", None)
    p = subprocess.run([sa] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=600)
    return p.returncode, p.stdout, p.stderr


def main():
    sa = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else "../shared"
    roots = ["testdata/captures", os.path.join(shared, "captures/public")]
    files = []
    for root in roots:
        for d, _, names in os.walk(root):
            files += [os.path.join(d, n) for n in names if n.endswith(EXTS)]
    files.sort()
    n_ok = n_bad = 0
    bad = []
    for f in files:
        ref = run(sa, ["-j", "1", "-f", "json", "--fail-on", "warning", f])
        got = run(sa, ["-j", "2", "-f", "json", "--fail-on", "warning", f])
        if ref == got:
            n_ok += 1
        else:
            n_bad += 1
            bad.append(f)
    if files:
        print(("ok" if not n_bad else "not ok") +
              f" - jobs: {n_ok} of {len(files)} captures give the same JSON, stderr and status with -j 2 as -j 1"
              + ("" if not n_bad else ": " + ", ".join(bad[:10])))
    else:
        print("not ok - jobs: no captures found")
    dirs = ["testdata/captures/rules", "testdata/captures/prod", "testdata/captures"]
    if os.path.isdir(roots[1]):
        dirs.append(roots[1])
    for d in dirs:
        for fmt in ("text", "json", "jsonl", "junit", "html"):
            ref = run(sa, ["-j", "1", "-f", fmt, "--fail-on", "warning", d])
            for j in ("2", "3", "8"):
                got = run(sa, ["-j", j, "-f", fmt, "--fail-on", "warning", d])
                same = got == ref
                print(("ok" if same else "not ok") + f" - jobs: {d} -f {fmt} -j {j} as -j 1"
                      + ("" if same else f" (status {got[0]} vs {ref[0]}, {len(got[1])} vs {len(ref[1])} bytes)"))
    # the memory bound acting everywhere: calls cut in parts, readers held
    # back by the bound on what waits for the report (a reader waiting on it
    # must see the report move on to its input)
    for mm in ("64K", "1M"):
        for d in dirs[-2:]:
            ref = run(sa, ["-j", "1", "-f", "json", "--max-memory", mm, "--fail-on", "warning", d])
            for j in ("2", "8"):
                got = run(sa, ["-j", j, "-f", "json", "--max-memory", mm, "--fail-on", "warning", d])
                same = got == ref
                print(("ok" if same else "not ok") + f" - jobs: {d} --max-memory {mm} -j {j} as -j 1")
    # standard input named twice: read once, then empty (one reader)
    cap = os.path.join(roots[0], "rules")
    caps = sorted(os.path.join(cap, n) for n in os.listdir(cap) if n.endswith(".pcap"))
    if caps:
        data = open(caps[0], "rb").read()
        outs = []
        for j in ("1", "2"):
            p = subprocess.run([sa, "-j", j, "-f", "json", "--fail-on", "never", "-", "-"], input=data,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            outs.append((p.returncode, p.stdout, p.stderr))
        same = outs[0] == outs[1]
        print(("ok" if same else "not ok") + " - jobs: '- -' (standard input twice) with -j 2 as -j 1")
    # the option itself
    for bad_n in ("0", "-1", "x", "257"):
        rc, _, err = run(sa, ["-j", bad_n, "testdata/captures/rules"])
        ok = rc == 2 and b"--jobs" in err
        print(("ok" if ok else "not ok") + f" - jobs: -j {bad_n} is a usage error naming --jobs (status {rc})")


if __name__ == "__main__":
    main()
