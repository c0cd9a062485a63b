#!/usr/bin/env python3
"""audio-g711-reorder.pcap from audio-g711.pcap: the callee's RTP (UDP from
192.0.2.20:6000) reordered and duplicated as a network might, within a few
packets: pairs swapped at the 10th/11th and 30th/31st packets, the 50th
held back behind the 55th, and the 70th captured twice (again after the
72nd). Every record keeps the capture time of the position it lands in, so
time still runs forward. The exporter must write the same WAV files as for
audio-g711.pcap and count one duplicate.

    reorder.py IN.pcap OUT.pcap
"""
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4, "little-endian microsecond pcap expected"
    head, off, recs = data[:24], 24, []
    while off + 16 <= len(data):
        ts_s, ts_u, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        recs.append([(ts_s, ts_u), data[off + 16:off + 16 + incl], orig])
        off += 16 + incl

    def callee_rtp(b):  # Ethernet, IPv4, UDP 192.0.2.20:6000 ->
        return len(b) > 42 and b[12:14] == b"\x08\x00" and b[23] == 17 and b[26:30] == bytes([192, 0, 2, 20]) \
            and b[34:36] == struct.pack("!H", 6000)

    idx = [i for i, r in enumerate(recs) if callee_rtp(r[1])]
    assert len(idx) >= 80, "the callee's stream is too short"
    order = list(range(len(recs)))

    def at(k):
        return order.index(idx[k])

    for a in (10, 30):  # swap neighbours
        x, y = at(a), at(a + 1)
        order[x], order[y] = order[y], order[x]
    r50 = order.pop(at(50))  # held back behind the 55th
    order.insert(at(55) + 1, r50)
    order.insert(at(72) + 1, idx[70])  # captured twice
    times = [r[0] for r in recs]
    times.insert(at(72), times[at(72)])  # one more record: repeat a time
    out = [head]
    for k, i in enumerate(order):
        (s, u), b, orig = times[k], recs[i][1], recs[i][2]
        out.append(struct.pack("<IIII", s, u, len(b), orig) + b)
    open(dst, "wb").write(b"".join(out))


if __name__ == "__main__":
    main()
