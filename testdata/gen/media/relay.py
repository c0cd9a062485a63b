#!/usr/bin/env python3
"""A SIP proxy with a media relay, the way Kamailio + rtpproxy/rtpengine
anchor media (used by media.sh's rtp-relay capture; written here because
rtpproxy is not in Debian 12 and rtpengine needs its kernel module or a
control daemon this sandbox cannot run). Clearly a test tool, not a real
SBC: one call at a time, UDP only.

    relay.py IP CALLER_IP:SIP_PORT CALLEE_IP:SIP_PORT PORT_A PORT_B [rewrite]

SIP on IP:5060. Requests from the caller are forwarded to the callee with a
Via and (INVITE) a Record-Route of the proxy's own; responses go back to the
next Via. The media relay listens on IP:PORT_A (towards the caller) and
IP:PORT_B (towards the callee) and forwards every RTP/RTCP packet, headers
and payload untouched (same SSRC, sequence, timestamps), from the other port
to the SDP address of the other party, as rtpproxy does. With "rewrite" the
SDP is rewritten to name the relay (c= and m=, as rtpproxy/rtpengine do);
without it the SDP passes untouched (then the parties send to each other
directly and the relay carries nothing: a control for the tests).
"""
import re
import select
import socket
import sys

ip = sys.argv[1]
caller = sys.argv[2].rsplit(":", 1)
callee = sys.argv[3].rsplit(":", 1)
caller = (caller[0], int(caller[1]))
callee = (callee[0], int(callee[1]))
port_a, port_b = int(sys.argv[4]), int(sys.argv[5])
rewrite = len(sys.argv) > 6 and sys.argv[6] == "rewrite"

sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sip.bind((ip, 5060))
ra = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ra.bind((ip, port_a))
rb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rb.bind((ip, port_b))
media = {"a": None, "b": None}  # SDP media address of caller / callee
n = 0


def sdp_addr(body):
    c = re.search(rb"^c=IN IP4 (\S+)", body, re.M)
    m = re.search(rb"^m=audio (\d+)", body, re.M)
    return (c.group(1).decode(), int(m.group(1))) if c and m else None


def fix_sdp(msg, side, port):
    head, sep, body = msg.partition(b"\r\n\r\n")
    if not body:
        return msg
    a = sdp_addr(body)
    if a:
        media[side] = a
    if rewrite:
        body = re.sub(rb"^c=IN IP4 \S+", b"c=IN IP4 " + ip.encode(), body, flags=re.M)
        body = re.sub(rb"^m=audio \d+", b"m=audio %d" % port, body, flags=re.M)
    head = re.sub(rb"(?im)^Content-Length:.*$", b"Content-Length: %d" % len(body), head)
    return head + sep + body


while True:
    r, _, _ = select.select([sip, ra, rb], [], [])
    for s in r:
        data, src = s.recvfrom(65535)
        if s is ra:      # from the caller's side: on to the callee's SDP address
            if media["b"]:
                rb.sendto(data, media["b"])
            continue
        if s is rb:      # from the callee's side: back to the caller's
            if media["a"]:
                ra.sendto(data, media["a"])
            continue
        if not data.strip():
            continue
        if data.startswith(b"SIP/2.0"):
            # a response: drop our Via, send to the next one (the caller)
            lines = data.split(b"\r\n")
            vias = [i for i, l in enumerate(lines) if l.lower().startswith(b"via:")]
            if vias and ip.encode() in lines[vias[0]]:
                # SIPp's [last_Via:] may put every Via value on one line
                name, _, values = lines[vias[0]].partition(b":")
                rest = values.split(b",", 1)
                if len(rest) == 2:
                    lines[vias[0]] = name + b":" + rest[1]
                else:
                    del lines[vias[0]]
            data = fix_sdp(b"\r\n".join(lines), "b", port_a)
            sip.sendto(data, caller)
        else:
            n += 1
            first, rest = data.split(b"\r\n", 1)
            rest = re.sub(rb"(?im)^Route:[^\r\n]*" + re.escape(ip.encode()) + rb"[^\r\n]*\r\n", b"", rest)
            hdr = b"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-relay%d\r\n" % (ip.encode(), n)
            if first.startswith(b"INVITE"):
                hdr += b"Record-Route: <sip:%s;lr>\r\n" % ip.encode()
            data = fix_sdp(first + b"\r\n" + hdr + rest, "a", port_b)
            sip.sendto(data, callee)
