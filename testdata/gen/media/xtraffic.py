#!/usr/bin/env python3
"""Bursty cross traffic for rtp-jitter: bursts of 1200-byte UDP datagrams to
DST:9 (discard), each burst BYTES long on average (+-50 %), the next one
after a random gap of GAP_MIN..GAP_MAX seconds, for SECONDS seconds.
Fixed random seed, so every run sends the same pattern.

    xtraffic.py DST SECONDS BYTES GAP_MIN GAP_MAX
"""
import random
import socket
import sys
import time

dst, secs, size = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
gmin, gmax = float(sys.argv[4]), float(sys.argv[5])
rnd = random.Random(20240607)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
payload = bytes(1200)
end = time.monotonic() + secs
sent = 0
while time.monotonic() < end:
    n = max(1, int(rnd.uniform(0.5, 1.5) * size / len(payload)))
    for _ in range(n):
        try:
            s.sendto(payload, (dst, 9))
            sent += 1
        except OSError:
            pass
    time.sleep(rnd.uniform(gmin, gmax))
print(f"xtraffic: {sent} datagrams", file=sys.stderr)
