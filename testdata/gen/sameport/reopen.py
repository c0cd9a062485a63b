#!/usr/bin/python3
"""reopen.py FIRST SECOND OUT - one capture of two incarnations of the same
TCP connection (same addresses, both ends on port 5060), derived from two
real captures made by tcp-sameport.sh (Ethernet, IPv4, little-endian pcap):

  FIRST is kept up to the trunk's segment carrying its INFO, and that segment
  is cut to the first half of its payload; nothing of FIRST after it: the
  trunk died while sending the INFO (its second half never reached the wire,
  no FIN, no RST).
  SECOND follows 2 s later, whole: the trunk came back and connected again
  from port 5060 to the SBC's port 5060, with a new initial sequence number.
"""
import struct
import sys


def records(path):
    b = open(path, "rb").read()
    assert b[:4] == b"\xd4\xc3\xb2\xa1", "little-endian microsecond pcap"
    off = 24
    out = []
    while off + 16 <= len(b):
        sec, usec, cap, ln = struct.unpack("<IIII", b[off:off + 16])
        out.append([sec, usec, bytearray(b[off + 16:off + 16 + cap]), ln])
        off += 16 + cap
    return b[:24], out


def tcp_payload(frame):
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00" or frame[14 + 9] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    t = 14 + ihl
    doff = (frame[t + 12] >> 4) * 4
    return t + doff


def main():
    first, second, out = sys.argv[1:4]
    hdr, a = records(first)
    _, b = records(second)
    kept = []
    for r in a:
        p = tcp_payload(r[2])
        if p is not None and r[2][p:p + 5] == b"INFO ":
            n = (len(r[2]) - p) // 2
            cut = len(r[2]) - p - n
            del r[2][p + n:]
            struct.pack_into(">H", r[2], 16, struct.unpack(">H", r[2][16:18])[0] - cut)  # IPv4 total length
            r[3] = len(r[2])
            kept.append(r)
            break
        kept.append(r)
    else:
        sys.exit("no INFO in " + first)
    last = kept[-1][0] * 1000000 + kept[-1][1]
    start = b[0][0] * 1000000 + b[0][1]
    shift = last + 2000000 - start
    for r in b:
        t = r[0] * 1000000 + r[1] + shift
        kept.append([t // 1000000, t % 1000000, r[2], r[3]])
    with open(out, "wb") as f:
        f.write(hdr)
        for sec, usec, data, ln in kept:
            f.write(struct.pack("<IIII", sec, usec, len(data), ln) + bytes(data))


if __name__ == "__main__":
    main()
