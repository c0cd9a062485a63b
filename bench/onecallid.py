#!/usr/bin/env python3
"""bench/onecallid.py N OUT.pcap - one Call-ID carrying N OPTIONS -> 200 OK
pairs over UDP, 10 ms apart, each OPTIONS a new transaction (new branch,
CSeq + 1), as a presence or keep-alive dialog does for hours: the shape
that made a per-call linear transaction search quadratic (issue 14).
Hand-built (SIPp cannot keep one Call-ID across 10^6 transactions of its
built-in scenarios); the bytes are what SIPp's OPTIONS would be."""
import os, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "gen", "prod"))
from wire import csum  # noqa: E402  (the capture generators' IP checksum)

n, out = int(sys.argv[1]), sys.argv[2]
A, B = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 20])


def frame(src, dst, sport, dport, payload, ident):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x0b\x02\x00\x00\x00\x00\x0a\x08\x00"
    return eth + ip + udp


with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t = 1700000000.0
    for i in range(1, n + 1):
        br = "z9hG4bK-%d" % i
        req = ("OPTIONS sip:presence@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=%s\r\n"
               "From: <sip:watcher@192.0.2.10>;tag=w1\r\nTo: <sip:presence@192.0.2.20>\r\n"
               "Call-ID: one-call-id@192.0.2.10\r\nCSeq: %d OPTIONS\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n" % (br, i)).encode()
        resp = ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=%s\r\n"
                "From: <sip:watcher@192.0.2.10>;tag=w1\r\nTo: <sip:presence@192.0.2.20>;tag=p1\r\n"
                "Call-ID: one-call-id@192.0.2.10\r\nCSeq: %d OPTIONS\r\nContent-Length: 0\r\n\r\n" % (br, i)).encode()
        for k, (src, dst, p) in enumerate(((A, B, req), (B, A, resp))):
            fr = frame(src, dst, 5060, 5060, p, 2 * i + k)
            ts = t + i * 0.01 + k * 0.001
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)
