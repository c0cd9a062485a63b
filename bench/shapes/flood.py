#!/usr/bin/env python3
"""bench/shapes/flood.py N SECONDS OUT.pcap - a REGISTER flood: N REGISTERs
over UDP spread evenly over SECONDS, none answered, each with its own
Call-ID, branch, From tag and user (what a registration scanner or a
brute-force/DoS source sends: one request per Call-ID, nothing comes back).
Hand-built: no SIP stack emits it (SIPp retransmits unanswered requests and
keeps each call open for 32 s). From 203.0.113.66 (source ports cycling
5060..5099, as several scanner threads would) to the registrar
192.0.2.20:5060. IPv4 checksums from testdata/gen/prod/wire.py, as
bench/onecallid.py does; UDP checksum 0 (none, allowed over IPv4)."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "gen", "prod"))
from wire import csum  # noqa: E402  (the capture generators' IP checksum)

n, seconds, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
SRC, DST = bytes([203, 0, 113, 66]), bytes([192, 0, 2, 20])
ETH = b"\x02\x00\x00\x00\x00\x0b\x02\x00\x00\x00\x00\x0a\x08\x00"
T0 = 1700000000.0
step = seconds / n if n else 0.0

with open(out, "wb", buffering=1 << 20) as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        sport = 5060 + i % 40
        user = 100000 + i % 900000
        body = ("REGISTER sip:192.0.2.20 SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 203.0.113.66:%d;branch=z9hG4bK-fl%x;rport\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:%d@192.0.2.20>;tag=f%x\r\n"
                "To: <sip:%d@192.0.2.20>\r\n"
                "Call-ID: fl%08x-%d@203.0.113.66\r\n"
                "CSeq: 1 REGISTER\r\n"
                "Contact: <sip:%d@203.0.113.66:%d>\r\n"
                "Expires: 3600\r\n"
                "User-Agent: friendly-scanner\r\n"
                "Content-Length: 0\r\n\r\n"
                % (sport, i, user, i * 7919 & 0xFFFFFFF, user, i, sport, user, sport)).encode()
        udp = struct.pack("!HHHH", sport, 5060, 8 + len(body), 0) + body
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, SRC, DST)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        fr = ETH + ip + udp
        ts = T0 + i * step
        sec = int(ts)
        f.write(struct.pack("<IIII", sec, int(round((ts - sec) * 1e6)) % 1000000, len(fr), len(fr)))
        f.write(fr)
