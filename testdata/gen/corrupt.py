#!/usr/bin/env python3
"""corrupt.py - derive damaged captures from real ones, for the bad-input tests.

Writes into testdata/captures/corrupt/:
  empty.pcap            0 bytes
  not-a-capture.pcap    a text file
  short.pcap            3 bytes
  truncated.pcap        a classic pcap cut inside its last record
  bogus-length.pcap     record 4 claims a 4 GB captured length
  truncated.pcapng      a pcapng cut inside its last block
  bogus-block.pcapng    block 5's length field is not a multiple of 4
  header-only.pcap      a valid pcap header and no packets
"""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.join(here, "..", "captures", "public")
out = os.path.join(here, "..", "captures", "corrupt")
os.makedirs(out, exist_ok=True)

def w(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

pcap = open(os.path.join(src, "sip_captures__SIP-SDP-Example.pcap"), "rb").read()
ng = open(os.path.join(src, "sip_captures__sip-direct.pcapng"), "rb").read()

w("empty.pcap", b"")
w("not-a-capture.pcap", b"This is a README, not a capture.\n")
w("short.pcap", pcap[:3])
w("truncated.pcap", pcap[:-100])
w("header-only.pcap", pcap[:24])

# classic pcap: walk records (little-endian file) and damage record 4's incl_len
assert pcap[:4] == b"\xd4\xc3\xb2\xa1", "expected a little-endian pcap"
off, n, b = 24, 0, bytearray(pcap)
while off < len(b):
    n += 1
    incl = struct.unpack_from("<I", b, off + 8)[0]
    if n == 4:
        struct.pack_into("<I", b, off + 8, 0xFFFFFF00)
        break
    off += 16 + incl
w("bogus-length.pcap", bytes(b))

# pcapng: cut inside the last block; damage the 5th block's length
w("truncated.pcapng", ng[:-40])
off, n, b = 0, 0, bytearray(ng)
while off < len(b):
    n += 1
    blen = struct.unpack_from("<I", b, off + 4)[0]
    if n == 5:
        struct.pack_into("<I", b, off + 4, blen + 2)
        break
    off += blen
w("bogus-block.pcapng", bytes(b))
print("wrote", sorted(os.listdir(out)))
