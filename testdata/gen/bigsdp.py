#!/usr/bin/python3
"""Print SIPp's built-in 'uac' scenario with a ~3 KB INVITE (WebRTC-style SDP
with many ICE candidates plus a few extra headers), so that the INVITE does
not fit in one IPv4/IPv6 packet on a 576/1280-byte MTU link.
usage: sipp -sd uac | bigsdp.py > big-uac.xml"""
import sys

xml = sys.stdin.read()
hdr_anchor = "      Subject: Performance Test\n      Content-Type: application/sdp\n"
assert hdr_anchor in xml
extra_hdrs = "".join(
    "      X-Padding-%02d: %s\n" % (i, "sipaudit-fragmentation-test-" * 2) for i in range(6))
xml = xml.replace(hdr_anchor, "      Subject: Performance Test\n" + extra_hdrs +
                  "      Content-Type: application/sdp\n", 1)

sdp_anchor = "      a=rtpmap:0 PCMU/8000\n"
assert sdp_anchor in xml
lines = ["a=rtpmap:0 PCMU/8000", "a=ice-ufrag:F7gI", "a=ice-pwd:x9cml/YzichV2+XlhiMu8g",
         "a=fingerprint:sha-256 D1:2C:BE:AD:0C:87:6C:2A:4B:55:49:8F:2B:40:0B:42:"
         "1A:2D:56:A0:7E:4A:9C:13:85:33:EA:63:62:E1:01:4A",
         "a=setup:actpass", "a=mid:0", "a=sendrecv", "a=rtcp-mux"]
for i in range(24):
    lines.append("a=candidate:%d %d UDP %d [media_ip] %d typ host generation 0 network-id %d"
                 % (842163049 + i, 1 + i % 2, 2122260223 - i, 40000 + i * 2, 1 + i % 3))
lines.append("a=end-of-candidates")
xml = xml.replace(sdp_anchor, "".join("      %s\n" % l for l in lines), 1)
sys.stdout.write(xml)
