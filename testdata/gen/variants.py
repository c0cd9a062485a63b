#!/usr/bin/python3
"""Capture-file variants for the format tests (python3 stdlib only).

usage: variants.py swap HSIZE IN OUT   rewrite a classic pcap (any magic) in
                                       the other byte order; HSIZE = record
                                       header size (16 standard, 20 Nokia,
                                       24 modified / Red Hat 6.1, 28 SuSE 6.3)
       variants.py erf IN OUT          Ethernet classic pcap -> Endace ERF
                                       (type 2, ERF_TYPE_ETH), as a DAG card
                                       writes it: 16-byte record header, 2-byte
                                       Ethernet pad, record padded to 8 bytes
       variants.py btsnoop OUT         an empty btsnoop file (header only,
                                       datalink 1002 = HCI UART H4)
"""
import struct
import sys


def swap(hsize, src, dst):
    b = open(src, "rb").read()
    le = b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\x34\xcd\xb2\xa1")
    i, o = ("<", ">") if le else (">", "<")
    magic, vmaj, vmin, zone, sig, snap, lt = struct.unpack(i + "IHHiIII", b[:24])
    out = [struct.pack(o + "IHHiIII", magic, vmaj, vmin, zone, sig, snap, lt)]
    off = 24
    while off + hsize <= len(b):
        sec, frac, cap, ln = struct.unpack(i + "IIII", b[off:off + 16])
        out.append(struct.pack(o + "IIII", sec, frac, cap, ln))
        extra = b[off + 16:off + hsize]
        if hsize >= 24:  # ifindex (4), protocol (2), pkt_type, pad/cpu...
            ifindex, proto = struct.unpack(i + "IH", extra[:6])
            extra = struct.pack(o + "IH", ifindex, proto) + extra[6:]
        out.append(extra)
        out.append(b[off + hsize:off + hsize + cap])
        off += hsize + cap
    open(dst, "wb").write(b"".join(out))


def erf(src, dst):
    b = open(src, "rb").read()
    assert b[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack("<I", b[20:24])[0] == 1, "little-endian Ethernet pcap"
    out = []
    off = 24
    while off + 16 <= len(b):
        sec, usec, cap, ln = struct.unpack("<IIII", b[off:off + 16])
        frame = b[off + 16:off + 16 + cap]
        off += 16 + cap
        ts = (sec << 32) | ((usec << 32) // 1000000)
        body = b"\x00\x00" + frame  # offset, pad
        rlen = 16 + len(body)
        rlen += -rlen % 8
        rec = struct.pack("<Q", ts) + struct.pack(">BBHHH", 2, 0x04, rlen, 0, ln + 4) + body
        out.append(rec + b"\x00" * (rlen - len(rec)))
    open(dst, "wb").write(b"".join(out))


def btsnoop(dst):
    open(dst, "wb").write(b"btsnoop\x00" + struct.pack(">II", 1, 1002))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "swap":
        swap(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == "erf":
        erf(sys.argv[2], sys.argv[3])
    elif cmd == "btsnoop":
        btsnoop(sys.argv[2])
    else:
        sys.exit(__doc__)
