#!/usr/bin/env python3
"""export_check.py SIPAUDIT - --write, --split and --with-linked read back.

For each call of a set of captures (UDP, TCP segmented and reordered, IP
fragments v4/v6, WebSocket, RTP with RTCP and rtcp-mux, a media relay,
B2BUA legs, mixed link types in pcapng), the call is written with
`--ladder N --write OUT` and OUT is read back twice:
  - by sipaudit: the call is there with the same messages (method/status,
    CSeq, addresses, transport, in order) and the same RTP streams (SSRC,
    addresses, packet counts), and no other call unless a frame carried
    messages of both;
  - by tshark: as many SIP messages with that Call-ID as tshark finds in the
    original capture, as many RTP packets as the streams hold (tshark's RTP
    heuristic), RTCP when the streams had it;
and every written frame is a frame of the original (time and bytes).
--split writes one file per call, each holding exactly that call.
Prints ok/not ok lines.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

SA = sys.argv[1]
CAP = "testdata/captures"
CAPTURES = [
    # (capture, what it exercises)
    ("udp-call.pcap", "udp"),
    ("tcp-sipp-3calls.pcap", "tcp"),
    ("tcp-split.pcap", "tcp segmented"),
    ("tcp-split-ooo.pcap", "tcp segmented out of order"),
    ("tcp-straddle.pcap", "tcp message straddling segments"),
    ("tcp-multi.pcap", "tcp several messages per segment"),
    ("tcp-sameport/sameport.pcap", "tcp 5060<->5060, calls both ways"),
    ("ipfrag4.pcap", "ipv4 fragments"),
    ("ipfrag6-reordered.pcap", "ipv6 fragments reordered"),
    ("websocket.pcap", "websocket"),
    ("media/rtcp.pcap", "rtp+rtcp"),
    ("media/rtcp-mux.pcap", "rtcp-mux"),
    ("media/rtp-relay.pcap", "media relay"),
    ("media/rtp-reinvite-port.pcap", "re-INVITE moving media"),
    ("rules/link-session-id.pcap", "b2bua legs"),
    ("mixed-linktypes.pcapng", "mixed link types"),
    # other people's captures
    ("public/hep-wireshark__hep.pcap", "hep3"),
    ("public/hep-wireshark__hep3_compressed.pcap.pcapng", "hep3 compressed"),
    ("public/heplify__sip_sctp.pcap", "sctp fragmented"),
    ("public/heplify__sip_tcp_websocket.pcap", "websocket (heplify)"),
    ("public/heplify__sip_ipv4_tcp_retrans.pcap", "tcp retransmissions"),
    ("public/heplify__rtp_rtcp_sip.pcap", "rtp+rtcp (heplify)"),
    # TLS: written with the whole connection up to the call's last message and
    # its key log lines in a Decryption Secrets Block, so the file decrypts alone
    ("tls/tls13-aes128gcm.pcap", "tls 1.3"),
    ("tls/tls12-ecdhe-aes128sha-etm.pcap", "tls 1.2 cbc etm"),
    ("tls/tls12-resume-ticket.pcap", "tls 1.2 resumed"),
    ("tls/tls13-keyupdate.pcap", "tls 1.3 key update"),
    ("tls/tls13-wss.pcap", "wss"),
    ("tls/tls13-dsb.pcapng", "tls keys from the capture"),
]
MAX_CALLS = 6
failures = 0


def ok(cond, label, detail=""):
    global failures
    if cond:
        print("ok export %s" % label)
    else:
        failures += 1
        print("not ok export %s%s" % (label, (": " + detail) if detail else ""))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, **kw)


def keys_of(path):
    """--keylog NAME.keys for a TLS test capture (none for the written files:
    their keys travel inside them)."""
    k = os.path.splitext(path)[0] + ".keys"
    return ["--keylog", k] if os.path.exists(k) else []


def report(path):
    r = run([SA, "-q", "--no-config", "-f", "json"] + keys_of(path) + [path])
    if r.returncode not in (0, 1):
        raise RuntimeError("%s: exit %d %s" % (path, r.returncode, r.stderr.decode(errors="replace")))
    return json.loads(r.stdout)


def msig(m):
    return (m["method"], m["status"], m["cseq"], m["cseq_method"], m["src"], m["dst"], m["transport"],
            m["retransmission"])


def ssig(s):
    return (s["ssrc"], s["src"], s["dst"])


def tshark_fields(path, *fields, extra=()):
    args = ["tshark", "-n", "-r", path, *extra, "-T", "fields", "-E", "occurrence=a", "-E", "separator=|"]
    for f in fields:
        args += ["-e", f]
    r = run(args)
    if r.returncode != 0:
        raise RuntimeError("tshark %s: %s" % (path, r.stderr.decode(errors="replace")[-300:]))
    return [l.split("|") for l in r.stdout.decode(errors="replace").splitlines()]


def sip_counts(path):
    """Call-ID -> number of SIP messages tshark decodes."""
    n = {}
    k = keys_of(path)
    tls = ["-o", "tls.keylog_file:" + k[1]] if k else []
    for (cids,) in tshark_fields(path, "sip.Call-ID", extra=tls + ["-Y", "sip"]):
        for c in cids.split(","):
            if c:
                n[c] = n.get(c, 0) + 1
    return n


def rtp_counts(path):
    rows = tshark_fields(path, "rtp.ssrc", "rtcp.pt",
                         extra=["-o", "rtp.heuristic_rtp:TRUE", "-o", "rtcp.heuristic_rtcp:TRUE",
                                "-Y", "rtp || rtcp"])
    rtp = sum(1 for r in rows if r[0])
    rtcp = sum(1 for r in rows if r[1])
    return rtp, rtcp


def frames(path):
    """Multiset of (time, bytes hash) of every frame."""
    rows = tshark_fields(path, "frame.time_epoch", "frame.len", "frame.cap_len")
    out = {}
    for r in rows:
        k = tuple(r)
        out[k] = out.get(k, 0) + 1
    return out


def check_call(cap, label, orig, call, tsh_orig, tmp, orig_frames):
    n = call["number"]
    out = os.path.join(tmp, "call-%d.pcap" % n)
    r = run([SA, "-q", "--no-config", "--ladder", str(n), "--write", out] + keys_of(cap) + [cap])
    if r.returncode not in (0, 1) or not os.path.exists(out):
        ok(False, "%s call %d written" % (label, n), r.stderr.decode(errors="replace")[-300:])
        return
    got = report(out)
    mine = [c for c in got["calls"] if c["call_id"] == call["call_id"]]
    ok(len(mine) == 1, "%s call %d read back by sipaudit" % (label, n), "%d calls with its Call-ID" % len(mine))
    if len(mine) != 1:
        return
    g = mine[0]
    ok([msig(m) for m in g["messages"]] == [msig(m) for m in call["messages"]],
       "%s call %d same %d messages" % (label, n, len(call["messages"])),
       "%d read back" % len(g["messages"]))
    want_streams = sorted((ssig(s), s["packets"], s["other_payload_packets"]) for s in call["media"])
    got_streams = sorted((ssig(s), s["packets"], s["other_payload_packets"]) for s in g["media"])
    ok(want_streams == got_streams, "%s call %d same %d RTP streams" % (label, n, len(call["media"])),
       "want %s got %s" % (want_streams, got_streams))
    # other calls only when they shared a frame with this one
    my_frames = set()
    for m in call["messages"]:
        my_frames.add(m["frame"])
    others = [c["call_id"] for c in got["calls"] if c["call_id"] != call["call_id"]]
    shared = set()
    # a TLS connection goes out whole up to the call's last message: the
    # calls before it on that connection come along
    conns = {frozenset((m["src"], m["dst"])) for m in call["messages"] if m["transport"] in ("tls", "wss")}
    last = max(m["frame"] for m in call["messages"])
    for c in orig["calls"]:
        if c["call_id"] == call["call_id"]:
            continue
        if any(m["frame"] in my_frames for m in c["messages"]):
            shared.add(c["call_id"])
        if any(frozenset((m["src"], m["dst"])) in conns and m["frame"] <= last for m in c["messages"]):
            shared.add(c["call_id"])
    ok(set(others) <= shared, "%s call %d no other call" % (label, n), "also %s" % sorted(set(others) - shared))
    # tshark: the same SIP messages for the Call-ID, RTP and RTCP
    if tsh_orig.get(call["call_id"]):
        # tshark's count in the original, unless sipaudit made two calls of one
        # Call-ID (reused after the first ended): then this call's own messages
        same = [c for c in orig["calls"] if c["call_id"] == call["call_id"]]
        want = tsh_orig[call["call_id"]] if len(same) == 1 else len(call["messages"])
        tsh = sip_counts(out)
        ok(tsh.get(call["call_id"], 0) == want, "%s call %d tshark finds its %d SIP messages" % (label, n, want),
           "tshark finds %d" % tsh.get(call["call_id"], 0))
    if call["media"]:
        rtp, rtcp = rtp_counts(out)
        want = sum(s["packets"] + s["other_payload_packets"] for s in call["media"])
        ok(rtp == want, "%s call %d tshark finds its %d RTP packets" % (label, n, want), "tshark finds %d" % rtp)
        if any(s["rtcp"] for s in call["media"]):
            ok(rtcp > 0, "%s call %d RTCP written" % (label, n))
    wf = frames(out)
    extra = {k: v for k, v in wf.items() if orig_frames.get(k, 0) < v}
    ok(not extra, "%s call %d every frame from the original" % (label, n), "%d not" % len(extra))


def main():
    if not os.path.exists(SA):
        print("not ok export: %s missing" % SA)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for rel, label in CAPTURES:
            cap = os.path.join(CAP, rel)
            if not os.path.exists(cap):
                ok(False, "%s: %s missing" % (label, cap))
                continue
            orig = report(cap)
            tsh = sip_counts(cap)
            of = frames(cap)
            calls = orig["calls"][:MAX_CALLS]
            ok(len(calls) > 0, "%s has calls" % label)
            for c in calls:
                check_call(cap, label, orig, c, tsh, tmp, of)

        # --split: one file per call, each exactly that call
        cap = os.path.join(CAP, "tcp-sipp-3calls.pcap")
        orig = report(cap)
        d = os.path.join(tmp, "split")
        r = run([SA, "-q", "--no-config", "--split", d, cap])
        files = sorted(os.listdir(d)) if os.path.isdir(d) else []
        ok(r.returncode in (0, 1) and len(files) == len(orig["calls"]),
           "split: one file per call (%d)" % len(orig["calls"]), "%s" % files)
        for c in orig["calls"]:
            name = [f for f in files if f.startswith("%d-" % c["number"])]
            if len(name) != 1:
                ok(False, "split call %d file" % c["number"], str(files))
                continue
            got = report(os.path.join(d, name[0]))
            ok([x["call_id"] for x in got["calls"]] == [c["call_id"]] and
               len(got["calls"][0]["messages"]) == len(c["messages"]),
               "split call %d holds exactly that call" % c["number"])

        # --with-linked: the legs go together
        cap = os.path.join(CAP, "rules/link-session-id.pcap")
        orig = report(cap)
        linked = [c for c in orig["calls"] if c["linked_calls"]]
        ok(bool(linked), "with-linked: the capture has linked legs")
        if linked:
            c = linked[0]
            legs = {c["call_id"]} | {l["call_id"] for l in c["linked_calls"]}
            out = os.path.join(tmp, "legs.pcap")
            run([SA, "-q", "--no-config", "--ladder", str(c["number"]), "--with-linked", "--write", out, cap])
            got = report(out)
            ok({x["call_id"] for x in got["calls"]} == legs, "with-linked: every leg written",
               "%s vs %s" % (sorted(x["call_id"] for x in got["calls"]), sorted(legs)))
            d = os.path.join(tmp, "split-legs")
            run([SA, "-q", "--no-config", "--split", d, "--with-linked", cap])
            per = [{x["call_id"] for x in report(os.path.join(d, f))["calls"]} for f in sorted(os.listdir(d))]
            ok(legs in per, "with-linked split: the legs share one file", str(per))

        # standard output and standard input give the same bytes as files
        cap = os.path.join(CAP, "media/rtcp.pcap")
        a = os.path.join(tmp, "a.pcap")
        run([SA, "-q", "--no-config", "--write", a, cap])
        r = run([SA, "-q", "--no-config", "--write", "-", cap])
        ok(r.returncode in (0, 1) and r.stdout == open(a, "rb").read() and len(r.stdout) > 24,
           "write - gives the file's bytes on standard output")
        ok(b"calls" in r.stderr or b"call" in r.stderr, "write -: the report goes to standard error")
        b = os.path.join(tmp, "b.pcap")
        with open(cap, "rb") as f:
            r = run([SA, "-q", "--no-config", "--write", b, "-"], stdin=f)
        ok(r.returncode in (0, 1) and open(b, "rb").read() == open(a, "rb").read(),
           "standard input as the input: the same file")

        # the filters select; what they leave out is not written
        cap = os.path.join(CAP, "tcp-sipp-3calls.pcap")
        orig = report(cap)
        first = orig["calls"][0]
        out = os.path.join(tmp, "f.pcap")
        run([SA, "-q", "--no-config", "--call-id", first["call_id"].replace("[", "[[]").replace("*", "[*]")
             .replace("?", "[?]"), "--write", out, cap])
        got = report(out)
        ok([c["call_id"] for c in got["calls"]] == [first["call_id"]], "--call-id selects what --write writes")

        # pcapng when the inputs mix link types, pcap (nanoseconds) otherwise
        out = os.path.join(tmp, "mixed.out")
        run([SA, "-q", "--no-config", "--write", out, os.path.join(CAP, "mixed-linktypes.pcapng")])
        with open(out, "rb") as f:
            magic = f.read(4)
        ok(magic == b"\x0a\x0d\x0d\x0a", "mixed link types are written as pcapng", magic.hex())
        with open(a, "rb") as f:
            magic = f.read(4)
        ok(magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"), "one link type is written as nanosecond pcap",
           magic.hex())

        # an unwritable output: exit 3 and a message
        r = run([SA, "-q", "--no-config", "--write", "/nonexistent/dir/x.pcap", cap])
        ok(r.returncode == 3 and b"/nonexistent/dir/x.pcap" in r.stderr, "unwritable --write: exit 3 with the path",
           "exit %d %s" % (r.returncode, r.stderr[-200:]))
        r = run([SA, "-q", "--no-config", "--split", a, cap])
        ok(r.returncode == 3 and r.stderr.count(b"Not a directory") == 1,
           "--split onto a file: exit 3, one message", "exit %d %s" % (r.returncode, r.stderr[-200:]))
        r = run([SA, "-q", "--no-config", "--write", a, "--split", tmp, cap])
        ok(r.returncode == 2, "--write with --split is a usage error")
        r = run([SA, "-q", "--no-config", "--write", cap, cap])
        ok(r.returncode == 2 and os.path.getsize(cap) > 0, "--write onto an input is refused")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash of the checker is a failure, not a skip
        print("not ok export checker: %s" % e)
        failures += 1
    sys.exit(1 if failures else 0)
