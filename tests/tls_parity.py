#!/usr/bin/env python3
"""tls_parity.py SIPAUDIT CAPDIR - SIP over TLS decrypted by sipaudit against
tshark -o tls.keylog_file (Wireshark's own TLS decryption).

CAPDIR/EXPECTED.tshark.tsv holds, per capture, its key log ('-': none, or the
keys are inside the pcapng), the number of SIP messages and the Call-IDs
tshark decoded when the capture was made (testdata/gen/tls/derive.py). For
each capture: sipaudit, given the same key log, must find as many messages
with the same Call-IDs; when tshark is installed it is also run now, and the
frames that carry SIP must be the same in both (sipaudit dates a message by
the frame that completed its last record, as tshark shows it).

Known, explained differences are listed in DIFFERENCES. One ok/not ok line
per check."""
import json, os, shutil, subprocess, sys

# capture -> (sipaudit's count, why it differs from tshark's)
DIFFERENCES = {
    "tls13-badrecord.pcap": (10, "one record fails its tag check; sipaudit skips it and keeps the sequence "
                                 "number in step (the next records authenticate), tshark stops decrypting "
                                 "that direction"),
}


def sipaudit(sa, path, keys):
    args = [sa, "-q", "--no-config", "--format", "json"]
    if keys:
        args += ["--keylog", keys]
    r = subprocess.run(args + [path], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise RuntimeError("exit %d: %s" % (r.returncode, r.stderr[-300:]))
    doc = json.loads(r.stdout)
    frames, cids = [], set()
    for c in doc["calls"]:
        cids.add(c["call_id"])
        for m in c["messages"]:
            frames.append(m["frame"])
    return doc["inputs"][0]["sip_messages"], cids, sorted(set(frames))


def tshark(path, keys):
    args = ["tshark", "-n", "-r", path]
    if keys:
        args += ["-o", "tls.keylog_file:" + keys]
    args += ["-Y", "sip", "-T", "fields", "-e", "frame.number", "-e", "sip.Call-ID", "-E", "occurrence=a",
             "-E", "separator=|"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr[-300:])
    frames, cids, n = set(), set(), 0
    for line in r.stdout.splitlines():
        fr, c = (line.split("|") + [""])[:2]
        frames.add(int(fr))
        for x in c.split(","):
            if x:
                cids.add(x)
                n += 1
    return n, cids, sorted(frames)


def main():
    sa, capdir = sys.argv[1], sys.argv[2]
    have_tshark = shutil.which("tshark") is not None
    if not have_tshark:
        print("# tshark not installed: compared with the recorded counts only (./dev setup installs it)")
    bad = 0
    for line in open(os.path.join(capdir, "EXPECTED.tshark.tsv"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        cap, keys, count, ids = line.rstrip("\n").split("\t")[:4]
        path = os.path.join(capdir, cap)
        kp = os.path.join(capdir, keys) if keys != "-" else None
        want_n = int(count)
        want_ids = set() if ids == "-" else set(ids.split(","))
        try:
            n, cids, frames = sipaudit(sa, path, kp)
        except (RuntimeError, ValueError) as e:
            print("not ok tls parity %s: sipaudit: %s" % (cap, e))
            bad += 1
            continue
        expect_n, why = DIFFERENCES.get(cap, (want_n, None))
        ok = n == expect_n and cids == want_ids
        print("%s tls parity %s: %d messages, Call-IDs %s (tshark %d%s)" % (
            "ok" if ok else "not ok", cap, n, ",".join(sorted(cids)) or "-", want_n,
            "; differs by design: " + why if why else ""))
        bad += not ok
        if not have_tshark:
            continue
        try:
            tn, tcids, tframes = tshark(path, kp)
        except RuntimeError as e:
            print("not ok tls parity %s: tshark: %s" % (cap, e))
            bad += 1
            continue
        # the recorded oracle is still what tshark says
        ok = tn == want_n and tcids == want_ids
        print("%s tls parity %s: tshark now agrees with EXPECTED.tshark.tsv (%d messages)" % (
            "ok" if ok else "not ok", cap, tn))
        bad += not ok
        if why:
            extra = sorted(set(frames) - set(tframes))
            ok = set(tframes) <= set(frames) and len(extra) >= 1
            print("%s tls parity %s: tshark's SIP frames all in sipaudit's, plus frames %s" % (
                "ok" if ok else "not ok", cap, extra))
        else:
            ok = frames == tframes
            print("%s tls parity %s: the same %d frames carry SIP%s" % (
                "ok" if ok else "not ok", cap, len(frames),
                "" if ok else " (sipaudit %s, tshark %s)" % (frames, tframes)))
        bad += not ok
    return 0


if __name__ == "__main__":
    sys.exit(main())
