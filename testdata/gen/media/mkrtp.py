#!/usr/bin/env python3
"""Write a classic pcap (Ethernet/IPv4/UDP) holding one G.711 RTP stream made
from a G.711 WAV file (see mkwav.py): 160-byte payloads every 20 ms, for
SIPp's play_pcap_audio action.  SIPp replaces the addresses and ports with
the call's own (from = [media_ip]:[media_port], to = the peer's SDP address),
so the ones written here are placeholders; the RTP header (payload type,
SSRC, sequence numbers, timestamps) and the timing are sent as written.
python3 standard library only.

    mkrtp.py IN.wav OUT.pcap PT SSRC SEQ0 TS0 PACKETS [TS_STEP]

TS_STEP is the timestamp step per 20 ms packet (default 160, 8 kHz; 960 for
a 48 kHz clock such as opus, whose payload is then just the G.711 bytes:
the RTP header is what the tests need).
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    wav, out = sys.argv[1], sys.argv[2]
    pt, ssrc, seq0, ts0, count = (int(x, 0) for x in sys.argv[3:8])
    step = int(sys.argv[8], 0) if len(sys.argv) > 8 else 160
    data = open(wav, "rb").read()
    audio = data[data.index(b"data") + 8:]
    src, dst = bytes([192, 0, 2, 20]), bytes([192, 0, 2, 10])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            off = (i * 160) % len(audio)
            payload = (audio + audio)[off:off + 160]
            rtp = struct.pack("!BBHII", 0x80, pt, (seq0 + i) & 0xFFFF,
                              (ts0 + step * i) & 0xFFFFFFFF, ssrc) + payload
            udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xB8, 20 + len(udp), i & 0xFFFF,
                             0x4000, 64, 17, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            frame = b"\x02\0\0\0\0\x0a" + b"\x02\0\0\0\0\x0b" + b"\x08\x00" + ip + udp
            t = i * 20000          # microseconds
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
