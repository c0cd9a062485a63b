#!/usr/bin/env python3
"""Write a G.711 WAV file (8 kHz mono, mu-law or A-law) holding a sine tone,
for SIPp's rtp_stream action.  python3 standard library only (the wave module
writes PCM only, so the RIFF header is written by hand: WAVE_FORMAT_MULAW 7 /
WAVE_FORMAT_ALAW 6, 8 bits per sample).

    mkwav.py OUT.wav ulaw|alaw FREQ_HZ SECONDS [AMPLITUDE 0..1]
"""
import math
import struct
import sys


def lin2ulaw(x):
    """16-bit linear sample -> G.711 mu-law byte (ITU-T G.711, bias 0x84)."""
    bias, clip = 0x84, 32635
    sign = 0x80 if x < 0 else 0
    x = min(abs(x), clip) + bias
    exp = 7
    mask = 0x4000
    while exp > 0 and not (x & mask):
        exp -= 1
        mask >>= 1
    mant = (x >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def lin2alaw(x):
    """16-bit linear sample -> G.711 A-law byte."""
    sign = 0x80 if x >= 0 else 0
    x = min(abs(x), 32767) >> 3          # 13-bit magnitude
    if x < 32:
        code = x >> 1
    else:
        exp = x.bit_length() - 5         # 1..7
        code = (exp << 4) | ((x >> exp) & 0x0F)
    return (sign | code) ^ 0x55


def main():
    out, law, freq, secs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    amp = float(sys.argv[5]) if len(sys.argv) > 5 else 0.3
    enc, fmt = {"ulaw": (lin2ulaw, 7), "alaw": (lin2alaw, 6)}[law]
    rate = 8000
    n = int(rate * secs)
    data = bytes(enc(int(round(amp * 32767 * math.sin(2 * math.pi * freq * i / rate))))
                 for i in range(n))
    fmt_chunk = struct.pack("<HHIIHH", fmt, 1, rate, rate, 1, 8) + struct.pack("<H", 0)
    fact = struct.pack("<I", n)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
            + b"fact" + struct.pack("<I", len(fact)) + fact
            + b"data" + struct.pack("<I", len(data)) + data)
    with open(out, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


if __name__ == "__main__":
    main()
