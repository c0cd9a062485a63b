#!/usr/bin/env python3
"""tests/hostile/gen.py OUTDIR [--scale small|large] [--only CASE,...] [--set PARAM=N]

Writes one capture per hostile input of issue 15 into OUTDIR, and
OUTDIR/MANIFEST.json describing them for tests/hostile/check.py.

Every capture also holds one ordinary SIP call between 192.0.2.10:5060 and
192.0.2.20:5060 over UDP (INVITE with SDP, 100, 180 before the hostile part;
200 with SDP, ACK, BYE, 200 after it; Call-ID ordinary-CASE@192.0.2.10), so
the checker can tell that everything else was still analysed. TCP cases also
send a follow-up OPTIONS on the same connection after the hostile message
(Call-ID after-CASE@198.51.100.1) where the stream can still carry one.

Small scale runs in seconds (the test suite); large scale has the issue's
figures (10^5 headers, a 10 MB header, 10^4 m= lines, multipart 1,000 deep,
10^6 Via values, ...) for the benchmark. Packets are built by hand (as
bench/onecallid.py does): Ethernet, IPv4 with the generators' checksum
(testdata/gen/prod/wire.py), UDP, TCP with real checksums, pcap or pcapng.
python3 standard library only.
"""
import argparse
import array
import gzip
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "gen", "prod"))
from wire import csum  # noqa: E402  (the capture generators' IP checksum)

T0 = 1714557600.0  # 2024-05-01 10:00:00 UTC
ALICE, BOB = "192.0.2.10", "192.0.2.20"
SCALES = {
    # case parameter: (small, large)
    "calls": (10000, 200000),          # callid-flood: unanswered INVITEs, unique Call-ID/tag/branch
    "tags": (32000, 100000),           # tag-flood: 2xx with unique To tags to one INVITE
    "branches": (16000, 100000),
    "reinvites": (32000, 300000),     # dialog-flood: re-INVITE/200/ACK in one dialog       # branch-flood: requests with unique branches/From tags, one Call-ID
    "headers": (10000, 100000),       # many-headers: header fields in one TCP message
    "header_bytes": (1 << 20, 10000000),  # huge-header: one header value
    "mlines": (1000, 10000),          # many-mlines: m= lines in one SDP
    "depth": (100, 1000),             # multipart-nested: nesting depth
    "vias": (20000, 1000000),         # many-vias: Via values in one TCP message
    "frags": (6000, 1000000),         # ipfrag: fragments that never complete (half near 64 KiB)
    "overlaps": (2000, 100000),       # ipfrag: overlapping fragments of one datagram
    "endless_bytes": (2 << 20, 100 << 20),  # tcp-endless: bytes of the head / body that never end
    "ws_frames": (20, 10000),         # ws-huge: frames announcing 2^63 bytes
    "hep_big": (20, 10000),           # hep-inflate: payloads inflating 1,000x to ~1 MB (refused)
    "hep_bomb": (5, 1000),            # hep-inflate: payloads inflating 1,000x to 60 MiB (refused)
    "gzip_bytes": (200 << 20, 10 << 30),  # gzip-bomb: decompressed bytes of zero frames
    "lies": (4, 10000),               # pcapng-lying: groups of lying blocks
    "jumps": (10, 10000),             # time-travel: packets dated years away
}


def fast_sum16(data):
    if len(data) % 2:
        data += b"\0"
    a = array.array("H", data)
    if sys.byteorder == "little":
        a.byteswap()
    s = sum(a)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip4(a):
    return bytes(int(x) for x in a.split("."))


ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
_ident = [0]


def ipv4(src, dst, proto, payload, ident=None, frag=0):
    """frag: the 16-bit flags+offset field."""
    if ident is None:
        _ident[0] = (_ident[0] + 1) & 0xFFFF
        ident = _ident[0]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return ETH + h + payload


def udp(src, sport, dst, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ipv4(src, dst, 17, u)


def tcp_frame(src, sport, dst, dport, seq, ack, flags, payload=b""):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = ~fast_sum16(pseudo + hdr + payload) & 0xFFFF
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    return ipv4(src, dst, 6, hdr + payload)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Tcp:
    """One connection; yields Ethernet frames."""

    def __init__(self, cli, cport, srv, sport, mss=1460):
        self.ep = [(cli, cport), (srv, sport)]
        self.seq = [1000, 500000]
        self.mss = mss

    def _f(self, d, flags, payload=b""):
        (s, sp), (t, tp) = self.ep[d], self.ep[1 - d]
        f = tcp_frame(s, sp, t, tp, self.seq[d], self.seq[1 - d], flags, payload)
        self.seq[d] += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return f

    def handshake(self):
        yield self._f(0, SYN)
        yield self._f(1, SYN | ACK)
        yield self._f(0, ACK)

    def send(self, d, data):
        for i in range(0, len(data), self.mss):
            yield self._f(d, PSH | ACK, data[i:i + self.mss])

    def close(self):
        yield self._f(0, FIN | ACK)
        yield self._f(1, FIN | ACK)
        yield self._f(0, ACK)


class Pcap:
    def __init__(self, path, gz=False):
        self.f = gzip.open(path, "wb", compresslevel=6) if gz else open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.n = 0

    def rec(self, ts, frame, orig=None):
        sec = int(ts)
        us = int(round((ts - sec) * 1e6))
        if us >= 1000000:
            sec, us = sec + 1, us - 1000000
        self.f.write(struct.pack("<IIII", sec & 0xFFFFFFFF, us, len(frame), orig or len(frame)))
        self.f.write(frame)
        self.n += 1
        return self.n

    def close(self):
        self.f.close()


# ---------------------------------------------------------------- SIP text

def crlf(lines):
    return ("\r\n".join(lines) + "\r\n").encode()


def sdp(addr, port, sess="4711"):
    return crlf(["v=0", "o=- %s 1 IN IP4 %s" % (sess, addr), "s=-", "c=IN IP4 %s" % addr, "t=0 0",
                 "m=audio %d RTP/AVP 0 8" % port, "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=sendrecv"])


def request(method, ruri, src, cid, ftag, branch, cseq, ttag=None, extra=(), body=b"", ctype="application/sdp",
            transport="UDP", to_uri=None):
    to = "<%s>" % (to_uri or ruri) + (";tag=%s" % ttag if ttag else "")
    lines = ["%s %s SIP/2.0" % (method, ruri), "Via: SIP/2.0/%s %s;branch=%s" % (transport, src, branch),
             "Max-Forwards: 70", "From: <sip:alice@%s>;tag=%s" % (src.split(":")[0], ftag), "To: %s" % to,
             "Call-ID: %s" % cid, "CSeq: %d %s" % (cseq, method), "Contact: <sip:alice@%s>" % src]
    lines += list(extra)
    if body:
        lines.append("Content-Type: %s" % ctype)
    lines += ["Content-Length: %d" % len(body), ""]
    return crlf(lines) + body


def response(code, reason, req_via, frm, to, cid, cseq, body=b"", contact=None):
    lines = ["SIP/2.0 %d %s" % (code, reason), "Via: %s" % req_via, "From: %s" % frm, "To: %s" % to,
             "Call-ID: %s" % cid, "CSeq: %s" % cseq]
    if contact:
        lines.append("Contact: %s" % contact)
    if body:
        lines.append("Content-Type: application/sdp")
    lines += ["Content-Length: %d" % len(body), ""]
    return crlf(lines) + body


class Ordinary:
    """The well-formed call every capture holds: 3 messages before the hostile
    part, 4 after (UDP, 192.0.2.10:5060 <-> 192.0.2.20:5060)."""

    def __init__(self, case, t0=T0):
        self.cid = "ordinary-%s@%s" % (case, ALICE)
        self.t0 = t0
        a, b, cid = ALICE + ":5060", BOB + ":5060", self.cid
        via = "SIP/2.0/UDP %s;branch=z9hG4bK-ord-1" % a
        frm, to = "<sip:alice@%s>;tag=ord-a" % ALICE, "<sip:bob@%s>" % BOB
        tot = to + ";tag=ord-b"
        inv = request("INVITE", "sip:bob@%s" % BOB, a, cid, "ord-a", "z9hG4bK-ord-1", 1, body=sdp(ALICE, 40000))
        self.first = [
            (0.000, 0, inv),
            (0.010, 1, response(100, "Trying", via, frm, to, cid, "1 INVITE")),
            (0.100, 1, response(180, "Ringing", via, frm, tot, cid, "1 INVITE", contact="<sip:bob@%s>" % b)),
        ]
        ack = request("ACK", "sip:bob@%s" % b, a, cid, "ord-a", "z9hG4bK-ord-2", 1, ttag="ord-b",
                      to_uri="sip:bob@%s" % BOB)
        bye = request("BYE", "sip:bob@%s" % b, a, cid, "ord-a", "z9hG4bK-ord-3", 2, ttag="ord-b",
                      to_uri="sip:bob@%s" % BOB)
        via3 = "SIP/2.0/UDP %s;branch=z9hG4bK-ord-3" % a
        self.second = [
            (1.000, 1, response(200, "OK", via, frm, tot, cid, "1 INVITE", body=sdp(BOB, 50000, "4712"),
                                contact="<sip:bob@%s>" % b)),
            (1.010, 0, ack),
            (3.000, 0, bye),
            (3.010, 1, response(200, "OK", via3, frm, tot, cid, "2 BYE")),
        ]
        self.frames = []

    def _emit(self, w, items, base=None):
        for dt, d, msg in items:
            src, dst = (ALICE, BOB) if d == 0 else (BOB, ALICE)
            self.frames.append(w.rec((base if base is not None else self.t0) + dt, udp(src, 5060, dst, 5060, msg)))

    def before(self, w):
        self._emit(w, self.first)

    def after(self, w):
        self._emit(w, self.second)

    def manifest(self):
        return {"call_id": self.cid, "messages": 7, "state": "completed", "frames": self.frames}


def spread(i, n, lo=0.2, hi=0.8):
    """Capture time of the i-th of n hostile packets: between the halves."""
    return T0 + lo + (hi - lo) * (i / max(n, 1))


def after_options(case, src, transport="TCP"):
    cid = "after-%s@%s" % (case, src.split(":")[0])
    return cid, request("OPTIONS", "sip:probe@198.51.100.2", src, cid, "aft", "z9hG4bK-after-1", 1,
                        transport=transport, to_uri="sip:probe@198.51.100.2")


# ---------------------------------------------------------------- the cases

CASES = {}


def case(fn):
    CASES[fn.__name__.replace("_", "-")] = fn
    return fn


@case
def callid_flood(out, n, name):
    """N INVITEs, each a new Call-ID, From tag and branch, never answered."""
    N = n["calls"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    for i in range(N):
        cid = "flood-%d@198.51.100.1" % i
        msg = request("INVITE", "sip:victim@198.51.100.2", "198.51.100.1:5060", cid, "t%d" % i,
                      "z9hG4bK-f%d" % i, 1)
        w.rec(spread(i, N), udp("198.51.100.1", 5060, "198.51.100.2", 5060, msg))
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"calls": N},
            "expect_calls_at_least": N + 1, "errors": []}


@case
def tag_flood(out, n, name):
    """One INVITE answered by N 2xx, each with a new To tag (a forking flood:
    N dialogs in one call), then N 180s with new To tags on a second call."""
    N = n["tags"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    a = "198.51.100.1:5060"
    cid = "tags@198.51.100.1"
    via = "SIP/2.0/UDP %s;branch=z9hG4bK-tags" % a
    inv = request("INVITE", "sip:victim@198.51.100.2", a, cid, "tagA", "z9hG4bK-tags", 1,
                  body=sdp("198.51.100.1", 30000))
    w.rec(spread(0, N + 1), udp("198.51.100.1", 5060, "198.51.100.2", 5060, inv))
    for i in range(N):
        r = response(200 if i % 2 == 0 else 180, "OK" if i % 2 == 0 else "Ringing", via,
                     "<sip:alice@198.51.100.1>;tag=tagA", "<sip:victim@198.51.100.2>;tag=fork%d" % i, cid,
                     "1 INVITE", contact="<sip:v%d@198.51.100.2>" % i)
        w.rec(spread(i + 1, N + 1), udp("198.51.100.2", 5060, "198.51.100.1", 5060, r))
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"tags": N}, "errors": []}


@case
def branch_flood(out, n, name):
    """One Call-ID carrying N requests, each a new branch and From tag
    (N transactions and N would-be dialogs), answered every other time."""
    N = n["branches"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    a = "198.51.100.1:5060"
    cid = "branches@198.51.100.1"
    k = 0
    for i in range(N):
        br = "z9hG4bK-b%d" % i
        method = ("OPTIONS", "SUBSCRIBE", "INVITE", "MESSAGE")[i % 4]
        extra = ("Event: presence", "Expires: 60") if method == "SUBSCRIBE" else ()
        req = request(method, "sip:victim@198.51.100.2", a, cid, "f%d" % i, br, i + 1, extra=extra)
        w.rec(spread(k, 2 * N), udp("198.51.100.1", 5060, "198.51.100.2", 5060, req))
        k += 1
        if i % 2:
            r = response(200, "OK", "SIP/2.0/UDP %s;branch=%s" % (a, br), "<sip:alice@198.51.100.1>;tag=f%d" % i,
                         "<sip:victim@198.51.100.2>;tag=u%d" % i, cid, "%d %s" % (i + 1, method))
            w.rec(spread(k, 2 * N), udp("198.51.100.2", 5060, "198.51.100.1", 5060, r))
            k += 1
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"branches": N}, "errors": []}


@case
def dialog_flood(out, n, name):
    """One dialog carrying N re-INVITEs, each a new branch and CSeq, answered
    200 and ACKed (the first INVITE with SDP, the others without)."""
    N = n["reinvites"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    a = "198.51.100.1:5060"
    cid = "dialog@198.51.100.1"
    frm, to = "<sip:alice@198.51.100.1>;tag=dA", "<sip:victim@198.51.100.2>;tag=dB"
    k = 0
    for i in range(N):
        br = "z9hG4bK-d%d" % i
        body = sdp("198.51.100.1", 34000) if i == 0 else b""
        inv = request("INVITE", "sip:victim@198.51.100.2", a, cid, "dA", br, i + 1, ttag="dB" if i else None,
                      body=body, to_uri="sip:victim@198.51.100.2")
        ok = response(200, "OK", "SIP/2.0/UDP %s;branch=%s" % (a, br), frm, to, cid, "%d INVITE" % (i + 1),
                      body=sdp("198.51.100.2", 34002) if i == 0 else b"", contact="<sip:victim@198.51.100.2>")
        ack = request("ACK", "sip:victim@198.51.100.2", a, cid, "dA", br + "a", i + 1, ttag="dB",
                      to_uri="sip:victim@198.51.100.2")
        for d, m in ((0, inv), (1, ok), (0, ack)):
            s_, t_ = ("198.51.100.1", "198.51.100.2") if d == 0 else ("198.51.100.2", "198.51.100.1")
            w.rec(spread(k, 3 * N), udp(s_, 5060, t_, 5060, m))
            k += 1
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"reinvites": N}, "errors": []}


def tcp_case(out, name, hostile_msg, follow=True, extra_udp=None):
    """The ordinary call around one TCP connection carrying hostile_msg,
    then (follow) an OPTIONS on the same connection."""
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    c = Tcp("198.51.100.1", 40000, "198.51.100.2", 5060)
    frames = list(c.handshake()) + list(c.send(0, hostile_msg))
    acid = None
    if follow:
        acid, opt = after_options(name, "198.51.100.1:40000")
        frames += list(c.send(0, opt))
    frames += list(c.close())
    extra = extra_udp or []
    total = len(frames) + len(extra)
    first_hostile = None
    for i, f in enumerate(extra + frames):
        k = w.rec(spread(i, total), f)
        if i == len(extra) + 3 and first_hostile is None:
            first_hostile = k
    o.after(w)
    w.close()
    return w, o, acid, first_hostile


@case
def many_headers(out, n, name):
    """A TCP INVITE with N header fields (10^5 at large scale: a head of
    megabytes), then an OPTIONS on the same connection; and a UDP MESSAGE
    with 1,000 header fields (over the 256 the parser keeps)."""
    N = n["headers"]
    cid = "headers@198.51.100.1"
    extra = ["X-Hostile-%d: v" % i for i in range(N)]
    msg = request("INVITE", "sip:victim@198.51.100.2", "198.51.100.1:40000", cid, "h1", "z9hG4bK-h1", 1,
                  transport="TCP", extra=extra)
    ucid = "headers-udp@198.51.100.1"
    umsg = request("MESSAGE", "sip:victim@198.51.100.2", "198.51.100.1:5060", ucid, "h2", "z9hG4bK-h2", 1,
                   extra=["X-H%d: v" % i for i in range(1000)], body=b"hi", ctype="text/plain")
    u = udp("198.51.100.1", 5060, "198.51.100.2", 5060, umsg)
    w, o, acid, fh = tcp_case(out, name, msg, extra_udp=[u])
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"headers": N, "head_bytes": len(msg)},
            "also": [{"call_id": acid, "messages": 1},
                     {"call_id": ucid, "messages": 1, "malformed": "more than 256 header fields"},
                     {"call_id": cid, "messages": 1, "malformed": "header section longer than 64 KiB"}],
            "errors": [{"frame": fh, "re": r"TCP 198\.51\.100\.1:40000 -> 198\.51\.100\.2:5060: SIP message whose header section runs past 64 KiB"}]}


@case
def huge_header(out, n, name):
    """A TCP INVITE with one header value of S bytes (10 MB at large scale),
    then an OPTIONS on the same connection."""
    S = n["header_bytes"]
    cid = "huge-header@198.51.100.1"
    msg = request("INVITE", "sip:victim@198.51.100.2", "198.51.100.1:40000", cid, "hh", "z9hG4bK-hh", 1,
                  transport="TCP", extra=["X-Huge: " + "a" * S])
    w, o, acid, fh = tcp_case(out, name, msg)
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"header_bytes": S},
            "also": [{"call_id": acid, "messages": 1},
                     {"call_id": cid, "messages": 1, "malformed": "header section longer than 64 KiB"}],
            "errors": [{"frame": fh, "re": r"TCP 198\.51\.100\.1:40000 -> 198\.51\.100\.2:5060: SIP message whose header section runs past 64 KiB"}]}


def many_m_sdp(M):
    lines = ["v=0", "o=- 1 1 IN IP4 198.51.100.1", "s=-", "c=IN IP4 198.51.100.1", "t=0 0"]
    for i in range(M):
        lines += ["m=audio %d RTP/AVP 0 8 96" % (10000 + 2 * (i % 25000)), "a=rtpmap:96 opus/48000/2",
                  "a=candidate:%d 1 UDP 2122260223 198.51.100.1 %d typ host" % (i, 10000 + 2 * (i % 25000))]
    return crlf(lines)


@case
def many_mlines(out, n, name):
    """An INVITE over TCP whose SDP has M m= lines (10^4 at large scale),
    answered by a 200 with the same SDP, ACK and BYE."""
    M = n["mlines"]
    cid = "mlines@198.51.100.1"
    body = many_m_sdp(M)
    a = "198.51.100.1:40000"
    inv = request("INVITE", "sip:victim@198.51.100.2", a, cid, "m1", "z9hG4bK-m1", 1, transport="TCP", body=body)
    via = "SIP/2.0/TCP %s;branch=z9hG4bK-m1" % a
    ok = response(200, "OK", via, "<sip:alice@198.51.100.1>;tag=m1", "<sip:victim@198.51.100.2>;tag=m2", cid,
                  "1 INVITE", body=body, contact="<sip:victim@198.51.100.2:5060;transport=tcp>")
    ack = request("ACK", "sip:victim@198.51.100.2:5060", a, cid, "m1", "z9hG4bK-m2", 1, ttag="m2", transport="TCP",
                  to_uri="sip:victim@198.51.100.2")
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    c = Tcp("198.51.100.1", 40000, "198.51.100.2", 5060)
    frames = list(c.handshake()) + list(c.send(0, inv)) + list(c.send(1, ok)) + list(c.send(0, ack)) + list(c.close())
    for i, f in enumerate(frames):
        w.rec(spread(i, len(frames)), f)
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"mlines": M, "sdp_bytes": len(body)},
            "also": [{"call_id": cid, "messages": 3}], "errors": []}


def nested_multipart(depth):
    inner = b"Content-Type: application/sdp\r\n\r\n" + sdp("198.51.100.1", 31000)
    for d in range(depth - 1, -1, -1):
        b = "b%d" % d
        inner = ("Content-Type: multipart/mixed;boundary=%s\r\n\r\n--%s\r\n" % (b, b)).encode() + inner + \
            ("\r\n--%s\r\nContent-Type: text/plain\r\n\r\nlevel %d\r\n--%s--\r\n" % (b, d, b)).encode()
    # the outermost part's headers are the message's own
    head, _, body = inner.partition(b"\r\n\r\n")
    return head.split(b": ", 1)[1].decode(), body


@case
def multipart_nested(out, n, name):
    """A MESSAGE and an INVITE whose multipart bodies nest D levels deep
    (1,000 at large scale) around an SDP, over TCP."""
    D = n["depth"]
    ctype, body = nested_multipart(D)
    cid = "multipart@198.51.100.1"
    inv = request("INVITE", "sip:victim@198.51.100.2", "198.51.100.1:40000", cid, "mp", "z9hG4bK-mp", 1,
                  transport="TCP", body=body, ctype=ctype)
    w, o, acid, fh = tcp_case(out, name, inv)
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"depth": D, "body_bytes": len(body)},
            "also": [{"call_id": acid, "messages": 1}, {"call_id": cid, "messages": 1}], "errors": []}


@case
def many_vias(out, n, name):
    """A TCP INVITE with V Via values (10^6 at large scale) in one header
    (comma-separated), then an OPTIONS on the same connection; and a UDP
    INVITE with 1,300 Via values (a head just under 64 KiB)."""
    V = n["vias"]
    cid = "vias@198.51.100.1"
    vias = "Via: SIP/2.0/TCP 198.51.100.1:40000;branch=z9hG4bK-v0" + "".join(
        ",SIP/2.0/UDP h%d;branch=z9hG4bK%d" % (i % 1000, i) for i in range(1, V))
    msg = request("INVITE", "sip:victim@198.51.100.2", "198.51.100.1:40000", cid, "v1", "z9hG4bK-v0", 1,
                  transport="TCP", extra=[])
    msg = msg.replace(b"Via: SIP/2.0/TCP 198.51.100.1:40000;branch=z9hG4bK-v0", vias.encode(), 1)
    ucid = "vias-udp@198.51.100.1"
    uv = ",".join("SIP/2.0/UDP 10.%d.%d.1:5060;branch=z9hG4bK%d" % (i // 250, i % 250, i) for i in range(1, 1300))
    umsg = request("INVITE", "sip:victim@198.51.100.2", "198.51.100.1:5060", ucid, "v2", "z9hG4bK-u0", 1,
                   extra=["Via: " + uv])
    u = udp("198.51.100.1", 5060, "198.51.100.2", 5060, umsg)
    w, o, acid, fh = tcp_case(out, name, msg, extra_udp=[u])
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"vias": V, "message_bytes": len(msg)},
            # the kept first 64 KiB end inside the Via header, before the Call-ID
            "also": [{"call_id": acid, "messages": 1}, {"call_id": ucid, "messages": 1},
                     {"call_id": "", "messages": 1, "malformed": "header section longer than 64 KiB"}],
            "errors": [{"frame": fh, "re": r"TCP 198\.51\.100\.1:40000 -> 198\.51\.100\.2:5060: SIP message whose header section runs past 64 KiB"}]}


@case
def ipfrag(out, n, name):
    """First fragments of datagrams that never complete (unique ids), a
    datagram with many overlapping fragments that never completes, one whose
    fragments overlap with different bytes and complete, and a datagram cut
    into more pieces than are tracked."""
    F, OV = n["frags"], n["overlaps"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    total = F + OV + 200
    k = 0
    first = {}
    src, dst = "198.51.100.1", "198.51.100.2"
    for i in range(F):  # never-completing, unique (source, id): 8 bytes at offset 0, or at 64,992
        # (a datagram said to end near 64 KiB: its buffer is that big)
        f = ipv4("198.51.100.%d" % (1 + (i >> 16)), dst, 17, b"\x13\xc4\x13\xc4\x05\xdc\x00\x00",
                 ident=i & 0xFFFF, frag=0x2000 | (0 if i % 2 == 0 else 64992 // 8))
        n_ = w.rec(spread(k, total), f)
        first.setdefault("flood", n_)
        k += 1
    # overlapping: 1480-byte pieces at offsets advancing by 8 bytes, id 0x7777, never the last one
    piece = bytes(range(256)) * 6
    for i in range(OV):
        off = (i * 8) % 60000
        f = ipv4("203.0.113.1", "203.0.113.2", 17, piece[:1480], ident=0x7777, frag=0x2000 | (off // 8))
        n_ = w.rec(spread(k, total), f)
        first.setdefault("overlap", n_)
        k += 1
    # a SIP datagram in 3 fragments plus a 4th that overlaps the 2nd with other bytes
    cid = "frag-conflict@203.0.113.3"
    msg = request("OPTIONS", "sip:victim@203.0.113.4", "203.0.113.3:5060", cid, "fc", "z9hG4bK-fc", 1,
                  extra=["X-Pad: " + "p" * 3000])
    dg = struct.pack("!HHHH", 5060, 5060, 8 + len(msg), 0) + msg
    parts = [(0, dg[:1480], True), (1480, dg[1480:2960], True), (2960, dg[2960:], False)]
    bad = (1480, b"X" * 1480, True)
    for j, (off, data, more) in enumerate(parts[:2] + [bad] + parts[2:]):
        f = ipv4("203.0.113.3", "203.0.113.4", 17, data, ident=0x5555, frag=(0x2000 if more else 0) | (off // 8))
        n_ = w.rec(spread(k, total), f)
        first.setdefault("conflict", n_)
        k += 1
    # 100 disjoint 8-byte pieces of one datagram: more ranges than tracked
    for j in range(100):
        f = ipv4("203.0.113.5", "203.0.113.6", 17, b"\0" * 8, ident=0x6666, frag=0x2000 | (j * 2))
        n_ = w.rec(spread(k, total), f)
        first.setdefault("many", n_)
        k += 1
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"frags": F, "overlaps": OV},
            "also": [{"call_id": cid, "messages": 1}],
            "errors": [
                {"frame": first["flood"], "re": r"never completed \((evicted by the reassembly memory cap|capture ended)\)",
                 "any_frame": True},
                # the overlapping datagram is flushed at the end with the flood's last ones: one kind
                {"re": r"never completed \(capture ended\)", "any_frame": True},
                {"re": r"fragments overlap with different data"},
                {"frame": first["many"], "re": r"never completed \(too many fragments\)"},
            ]}


@case
def tcp_endless(out, n, name):
    """Two TCP connections whose message never ends: a head that never
    reaches its blank line, and a body that never reaches its
    Content-Length (4294967295)."""
    S = n["endless_bytes"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    c1 = Tcp("198.51.100.1", 40001, "198.51.100.2", 5060)
    c2 = Tcp("198.51.100.3", 40002, "198.51.100.2", 5060)
    head = request("INVITE", "sip:victim@198.51.100.2", "198.51.100.1:40001", "endless-head@198.51.100.1", "e1",
                   "z9hG4bK-e1", 1, transport="TCP")
    head = head[:-len(b"Content-Length: 0\r\n\r\n")]
    body = request("MESSAGE", "sip:victim@198.51.100.2", "198.51.100.3:40002", "endless-body@198.51.100.3", "e2",
                   "z9hG4bK-e2", 1, transport="TCP", body=b"x", ctype="text/plain")
    body = body.replace(b"Content-Length: 1", b"Content-Length: 4294967295")[:-1]
    line = b"X-More: " + b"m" * 64 + b"\r\n"
    frames1 = list(c1.handshake()) + list(c1.send(0, head))
    frames2 = list(c2.handshake()) + list(c2.send(0, body))
    t = 0
    est = 2 * S // 1460 + 20
    f1 = f2 = None
    for j, f in enumerate(frames1 + frames2):
        fr = w.rec(spread(t, est), f)
        if j == 3:
            f1 = fr
        if j == len(frames1) + 3:
            f2 = fr
        t += 1
    sent = 0
    chunk_h = line * (1400 // len(line))
    chunk_b = b"y" * 1400
    while sent < S:
        for f in c1.send(0, chunk_h):
            w.rec(spread(t, est), f)
            t += 1
        for f in c2.send(0, chunk_b):
            w.rec(spread(t, est), f)
            t += 1
        sent += 1400
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"bytes": S},
            "also": [{"call_id": "endless-head@198.51.100.1", "messages": 1,
                      "malformed": "header section longer than 64 KiB"},
                     {"call_id": "endless-body@198.51.100.3", "messages": 1,
                      "malformed": "body longer than 4 MiB (not kept)"}],
            "errors": [{"frame": f1, "re": r"TCP 198\.51\.100\.1:40001 -> 198\.51\.100\.2:5060: SIP message whose header section runs past 64 KiB"},
                       {"frame": f1, "re": r"TCP 198\.51\.100\.1:40001 -> 198\.51\.100\.2:5060: capture ended inside the oversized SIP message .*its header section never ended"},
                       {"frame": f2, "re": r"TCP 198\.51\.100\.3:40002 -> 198\.51\.100\.2:5060: SIP message of 4294967\d+ bytes .*over the 4 MiB"},
                       {"frame": f2, "re": r"TCP 198\.51\.100\.3:40002 -> 198\.51\.100\.2:5060: capture ended inside the oversized SIP message .*more announced"}]}


def ws_frame(payload, mask=None, opcode=1, fin=True, length=None):
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | opcode
    mb = 0x80 if mask else 0
    if n < 126:
        h = struct.pack("!BB", b0, mb | n)
    elif n < 65536:
        h = struct.pack("!BBH", b0, mb | 126, n)
    else:
        h = struct.pack("!BBQ", b0, mb | 127, n)
    if mask:
        h += mask
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return h + payload


@case
def ws_huge(out, n, name):
    """SIP over WebSocket whose frames announce 2^63 - 1 and 2^63 bytes
    (each followed by a real frame carrying SIP), both directions."""
    K = n["ws_frames"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    c = Tcp("198.51.100.1", 40000, "198.51.100.2", 80)
    up = crlf(["GET / HTTP/1.1", "Host: 198.51.100.2", "Upgrade: websocket", "Connection: Upgrade",
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol: sip",
               "Sec-WebSocket-Version: 13", ""])
    acc = crlf(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Protocol: sip", ""])
    frames = list(c.handshake()) + list(c.send(0, up)) + list(c.send(1, acc))
    mask = b"\x11\x22\x33\x44"
    cids = []
    for i in range(K):
        cid = "ws-%d@198.51.100.1" % i
        cids.append(cid)
        big = (1 << 63) - 1 if i % 2 == 0 else (1 << 63)
        req = request("OPTIONS", "sip:victim@198.51.100.2", "abc.invalid", cid, "w%d" % i, "z9hG4bK-w%d" % i, 1,
                      transport="WS")
        frames += list(c.send(0, ws_frame(b"", mask=mask, length=big) + b"garbage!" + ws_frame(req, mask=mask)))
        resp = response(200, "OK", "SIP/2.0/WS abc.invalid;branch=z9hG4bK-w%d" % i,
                        "<sip:alice@198.51.100.1>;tag=w%d" % i, "<sip:victim@198.51.100.2>;tag=s%d" % i, cid,
                        "1 OPTIONS")
        frames += list(c.send(1, ws_frame(b"", length=big) + ws_frame(resp)))
    frames += list(c.close())
    for i, f in enumerate(frames):
        w.rec(spread(i, len(frames)), f)
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"frames": K},
            "also": [{"call_id": cids[0], "messages": 2}, {"call_id": cids[-1], "messages": 2}],
            "errors": [{"re": r"WebSocket 198\.51\.100\.1:40000 -> 198\.51\.100\.2:80: frame longer than 4 MiB"},
                       {"re": r"WebSocket 198\.51\.100\.2:80 -> 198\.51\.100\.1:40000: frame longer than 4 MiB"}]}


def hep3(src, sport, dst, dport, payload, compressed, ts):
    def chunk(t, v):
        return struct.pack("!HHH", 0, t, 6 + len(v)) + v
    body = (chunk(1, b"\x02") + chunk(2, b"\x11") + chunk(3, ip4(src)) + chunk(4, ip4(dst)) +
            chunk(7, struct.pack("!H", sport)) + chunk(8, struct.pack("!H", dport)) +
            chunk(9, struct.pack("!I", int(ts))) + chunk(10, struct.pack("!I", int(ts % 1 * 1e6))) +
            chunk(11, b"\x01") + chunk(12, struct.pack("!I", 2001)) + chunk(16 if compressed else 15, payload))
    assert 6 + len(body) <= 65507, len(body)  # one IPv4 UDP datagram
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


@case
def hep_inflate(out, n, name):
    """HEP3 (UDP 9060) with compressed payload chunks (type 16) that inflate
    1,000x: ~1 KB to a 1,000,000-byte SIP MESSAGE (refused: past 64 times its
    size), ~61 KB to 60 MiB (refused at the 1 MiB cap); between them a SIP
    message compressed as an agent would (analysed), and a plain one."""
    B, Z = n["hep_big"], n["hep_bomb"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    total = B + Z + 2
    k = 0
    frames = {}
    z64 = None
    big = None
    for i in range(B + Z):
        ts = spread(k, total)
        if i < B:
            if big is None:
                head = request("MESSAGE", "sip:victim@198.51.100.6", "198.51.100.5:5060", "hep-big@198.51.100.5",
                               "hb", "z9hG4bK-hb", 1, body=b"x", ctype="application/octet-stream")[:-1]
                msg = head.replace(b"Content-Length: 1\r\n", b"Content-Length: %d\r\n" % (1000000 - len(head)))
                msg += b"\0" * (1000000 - len(msg))
                assert len(msg) == 1000000
                big = zlib.compress(msg, 9)
            payload = big
        else:
            if z64 is None:
                hd = request("MESSAGE", "sip:victim@198.51.100.6", "198.51.100.5:5060", "hep-bomb@198.51.100.5",
                             "hz", "z9hG4bK-hz", 1)
                co = zlib.compressobj(9)
                parts = [co.compress(hd)]
                zero = b"\0" * (1 << 20)
                for _ in range(60):
                    parts.append(co.compress(zero))
                parts.append(co.flush())
                z64 = b"".join(parts)
            payload = z64
        pk = hep3("198.51.100.5", 5060, "198.51.100.6", 5060, payload, True, ts)
        f = udp("198.51.100.7", 9060, "198.51.100.8", 9060, pk)
        fr = w.rec(ts, f)
        frames.setdefault("big" if i < B else "bomb", fr)
        k += 1
        if i == B // 2:  # an ordinary compressed message among them
            zcid = "hep-zip@198.51.100.5"
            zmsg = request("INVITE", "sip:victim@198.51.100.6", "198.51.100.5:5060", zcid, "hzip", "z9hG4bK-hzip", 1,
                           body=sdp("198.51.100.5", 32000))
            w.rec(spread(k, total), udp("198.51.100.7", 9060, "198.51.100.8", 9060,
                                        hep3("198.51.100.5", 5060, "198.51.100.6", 5060, zlib.compress(zmsg, 6), True,
                                             T0)))
            k += 1
    pcid = "hep-plain@198.51.100.5"
    plain = request("OPTIONS", "sip:victim@198.51.100.6", "198.51.100.5:5060", pcid, "hp", "z9hG4bK-hp", 1)
    w.rec(spread(k, total), udp("198.51.100.7", 9060, "198.51.100.8", 9060,
                                hep3("198.51.100.5", 5060, "198.51.100.6", 5060, plain, False, T0)))
    o.after(w)
    w.close()
    lim = len(big or b"") * 64 + 8192
    return {"file": name + ".pcap", "ordinary": o.manifest(),
            "params": {"big": B, "big_compressed_bytes": len(big or b""), "bomb": Z,
                       "bomb_compressed_bytes": len(z64 or b"")},
            "also": [{"call_id": pcid, "messages": 1}, {"call_id": "hep-zip@198.51.100.5", "messages": 1}],
            "errors": [{"frame": frames.get("big"), "re": r"HEP3 compressed payload of %d bytes inflates past %d bytes, over 64 times its size" % (len(big or b""), lim)},
                       {"frame": frames.get("bomb"), "re": r"HEP3 compressed payload of %d bytes inflates past 1 MiB" % len(z64 or b"")}]}


@case
def gzip_bomb(out, n, name):
    """A .pcap.gz whose pcap is mostly frames of zeros (64 KiB each):
    ~1,000x compression, Z bytes once decompressed (10 GiB at large scale).
    Written as gzip members each holding the same 64 MiB, so it is quick to make."""
    Z = n["gzip_bytes"]
    path = os.path.join(out, name + ".pcap.gz")
    o = Ordinary(name)

    class Mem:
        def __init__(self):
            self.parts, self.n = [], 0

        def rec(self, ts, frame):
            sec, us = int(ts), int(round((ts % 1) * 1e6))
            self.parts.append(struct.pack("<IIII", sec, us, len(frame), len(frame)) + frame)
            self.n += 1
            return self.n

    m = Mem()
    m.parts.append(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    o.before(m)
    zero = b"\0" * 65536
    rec = struct.pack("<IIII", int(T0), 500000, len(zero), len(zero)) + zero
    per = 1024  # records per member: 64 MiB
    members = max(1, Z // (per * len(rec)))
    nzero = members * per
    # frame numbers after the zeros
    o2 = Mem()
    o2.n = m.n + nzero
    o.after(o2)
    with open(path, "wb") as f:
        f.write(gzip.compress(b"".join(m.parts), 6))
        co = zlib.compressobj(9, zlib.DEFLATED, 31)
        blob = co.compress(rec * per) + co.flush()
        for _ in range(members):
            f.write(blob)
        f.write(gzip.compress(b"".join(o2.parts), 6))
    return {"file": name + ".pcap.gz", "ordinary": o.manifest(),
            "params": {"decompressed_bytes": members * per * len(rec), "compressed_bytes": os.path.getsize(path),
                       "zero_frames": nzero},
            "errors": [{"any_frame": True, "frame": 0,
                        "re": r"gzip: the file inflates \d+ times \([\d.]+ MiB to [\d.]+ MiB\), where captures grow 5 to 30 times: a compression bomb, read to its end"}]}


class Ng:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.n = 0
        self.off = 0
        self.block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        self.block(1, struct.pack("<HHI", 1, 0, 262144) + struct.pack("<HHB3x", 9, 1, 6) + struct.pack("<HH", 0, 0))

    def raw(self, b):
        self.f.write(b)
        self.off += len(b)

    def block(self, typ, body, lead=None, trail=None):
        body += b"\0" * (-len(body) % 4)
        L = 12 + len(body)
        at = self.off
        self.raw(struct.pack("<II", typ, L if lead is None else lead) + body +
                 struct.pack("<I", L if trail is None else trail))
        return at

    def epb(self, ts, frame, caplen=None, origlen=None, lead=None, trail=None, iface=0):
        """A packet: a frame, also when its block's length lies (sipaudit
        skips it but keeps its number)."""
        us = int(round(ts * 1e6))
        body = struct.pack("<IIIII", iface, us >> 32, us & 0xFFFFFFFF, len(frame) if caplen is None else caplen,
                           len(frame) if origlen is None else origlen) + frame
        self.n += 1
        at = self.block(6, body, lead, trail)
        return self.n, at

    def rec(self, ts, frame):
        return self.epb(ts, frame)[0]

    def close(self):
        self.f.close()


@case
def pcapng_lying(out, n, name):
    """pcapng blocks whose lengths lie, each group followed by a real packet
    carrying SIP: a packet's captured length beyond its block; a block length
    longer than the block (trailing length differs); a block claiming
    256 MiB - 16 in a small file; a block length that is not a multiple of 4;
    an interface option running past its block; a packet naming an interface
    that does not exist."""
    L = n["lies"]
    path = os.path.join(out, name + ".pcapng")
    w = Ng(path)
    o = Ordinary(name)
    o.before(w)
    junk = udp("198.51.100.1", 5060, "198.51.100.2", 5060, b"\0" * 200)
    first = {}
    cids = []
    for i in range(L):
        ts = spread(i, L)
        # each lie followed by a packet that holds together, where reading resumes
        fr, at = w.epb(ts, junk, caplen=0x7FFFFFF0)  # captured length beyond its block (the block holds together)
        first.setdefault("caplen", fr)
        w.epb(ts, junk)
        size = 32 + len(junk) + (-len(junk) % 4)  # the junk packet's block length
        fr, at = w.epb(ts, junk, lead=size + 4096)  # leading length lies: longer (would swallow what follows)
        first.setdefault("long", (fr, at))
        w.epb(ts, junk)
        fr, at = w.epb(ts, junk, lead=36)  # leading length lies: shorter
        w.epb(ts, junk)
        fr, at = w.epb(ts, junk, lead=size + 2)  # not a multiple of 4
        first.setdefault("odd", (fr, at))
        w.epb(ts, junk)
        at = w.block(0x80000001, b"\xff" * 40, lead=0x0FFFFFF0)  # a custom block claiming 256 MiB - 16
        first.setdefault("huge", (w.n, at))
        w.epb(ts, junk, origlen=0xFFFFFFFF)  # original length absurd: harmless
        fr, at = w.epb(ts, junk, iface=7)  # names an interface that does not exist
        first.setdefault("iface", fr)
        cid = "ng-%d@198.51.100.1" % i
        cids.append(cid)
        msg = request("OPTIONS", "sip:victim@198.51.100.2", "198.51.100.1:5060", cid, "n%d" % i, "z9hG4bK-n%d" % i, 1)
        w.rec(ts, udp("198.51.100.1", 5060, "198.51.100.2", 5060, msg))
    o.after(w)
    # at the very end: a block claiming more than the file holds (nothing follows it)
    last = w.n
    w.raw(struct.pack("<II", 6, 0x00FFFFF0) + b"\0" * 64)
    w.close()
    return {"file": name + ".pcapng", "ordinary": o.manifest(), "params": {"groups": L},
            "also": [{"call_id": cids[0], "messages": 1}, {"call_id": cids[-1], "messages": 1}],
            "errors": [{"frame": first["caplen"], "re": r"captured length \d+ exceeds its block; the packet is skipped"},
                       {"frame": first["long"][0], "re": r"frame %d: packet block at offset %d trailing length differs from leading length: \d+ bytes skipped to the next block that holds together" % (first["long"][0], first["long"][1])},
                       {"frame": first["odd"][0], "re": r"frame %d: packet block at offset %d has bogus length \d+: \d+ bytes skipped" % (first["odd"][0], first["odd"][1])},
                       {"frame": first["huge"][0], "re": r"block at offset %d \(after frame %d\) has length 268435440, more than the rest of the file holds: \d+ bytes skipped" % (first["huge"][1], first["huge"][0])},
                       {"frame": first["iface"], "re": r"packet names interface 7"},
                       {"frame": last, "re": r"stopped reading after %d packets" % last}]}


@case
def time_travel(out, n, name):
    """Timestamps going backwards and forwards by years: between the call's
    halves, SIP packets dated 10 years later and 10 years earlier (and RTP
    dated 30 years earlier), the call itself in 2024."""
    J = n["jumps"]
    w = Pcap(os.path.join(out, name + ".pcap"))
    o = Ordinary(name)
    o.before(w)
    year = 365.25 * 86400
    first = None
    for i in range(J):
        dt = (10 * year) if i % 2 == 0 else (-10 * year)
        cid = "tt-%d@198.51.100.1" % i
        msg = request("OPTIONS", "sip:victim@198.51.100.2", "198.51.100.1:5060", cid, "tt%d" % i, "z9hG4bK-tt%d" % i, 1)
        w.rec(spread(i, J) + dt, udp("198.51.100.1", 5060, "198.51.100.2", 5060, msg))
        rtp = struct.pack("!BBHII", 0x80, 0, i & 0xFFFF, i * 160, 0x1234) + b"\xff" * 160
        fr = w.rec(spread(i, J) - 30 * year, udp("198.51.100.3", 20000, "198.51.100.4", 20002, rtp))
        if first is None:
            first = fr  # 40 years back from the packet before it
    o.after(w)
    w.close()
    return {"file": name + ".pcap", "ordinary": o.manifest(), "params": {"jumps": J},
            "also": [{"call_id": "tt-0@198.51.100.1", "messages": 1}, {"call_id": "tt-1@198.51.100.1", "messages": 1}],
            "errors": [{"frame": first, "re": r"time goes back 14610 days \(40\.0 years\), to 1994-.* from 2034-.* at frame %d" % (first - 1)}]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--scale", choices=("small", "large"), default="small")
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--set", action="append", default=[], metavar="PARAM=N",
                    help="override a size parameter (see SCALES), e.g. --set tags=4000")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    idx = 0 if a.scale == "small" else 1
    params = {k: v[idx] for k, v in SCALES.items()}
    for kv in a.set:
        k, v = kv.split("=", 1)
        if k not in params:
            ap.error("--set: no parameter %r" % k)
        params[k] = int(v)
    only = set(a.only.split(",")) if a.only else None
    man_path = os.path.join(a.outdir, "MANIFEST.json")
    man = {"scale": a.scale, "cases": {}}
    if only and os.path.exists(man_path):
        with open(man_path) as f:
            old = json.load(f)
        if old.get("scale") == a.scale:
            man = old
    for name, fn in CASES.items():
        if only and name not in only:
            continue
        _ident[0] = 0
        print("gen.py: %s (%s)" % (name, a.scale), file=sys.stderr, flush=True)
        m = fn(a.outdir, params, name)
        m["doc"] = " ".join(fn.__doc__.split())
        man["cases"][name] = m
    with open(man_path, "w") as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
