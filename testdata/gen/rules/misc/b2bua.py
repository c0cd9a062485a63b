#!/usr/bin/python3
"""Minimal signalling-only SIP B2BUA over UDP (python3 stdlib), used by
misc.sh b2bua-481 because SIPp cannot bridge two Call-IDs in one scenario.

  leg 1: A -> B2BUA (Call-ID X)       leg 2: B2BUA -> C (Call-ID Y, new tags)

The leg-2 INVITE carries A's SDP body byte for byte and an "X-Call-ID: X"
header; C's answer is relayed to A.  Both 2xx are ACKed.  TEARDOWN seconds
after A's ACK the B2BUA ends leg 2 on its own (BYE -> 200) and, as the bug
being reproduced, forgets leg 1 without telling A: A's later BYE on leg 1
gets "481 Call/Transaction Does Not Exist".

usage: b2bua.py LOCAL_IP LOCAL_PORT CALLEE_URI CALLEE_IP CALLEE_PORT TEARDOWN

TEARDOWN "relay" makes it a well-behaved B2BUA instead (links.sh): A's BYE
is answered and relayed to leg 2, and no X-Call-ID is added; then
  --anchor      the B2BUA anchors the media: each leg gets an SDP of its own
                (own o= line, c= and port) instead of the body passed through
  --pass HDR    copy header HDR from A's INVITE to leg 2's INVITE and from
                C's responses to A's (e.g. Session-ID, RFC 7989)
  --pcv         pass P-Charging-Vector (RFC 7315) to leg 2 as an IMS AS does:
                same icid-value (written as a token), own orig-ioi
  --corr        rewrite "X-Corr: id=HEX" from A as "X-Corr: HEX;leg=2"
"""
import random
import select
import socket
import sys
import time

T1, T2 = 0.5, 4.0


def rnd(n=10):
    return "".join(random.choice("0123456789abcdef") for _ in range(n))


class Msg:
    def __init__(self, data):
        text = data.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start = lines[0]
        self.hdrs = []
        for l in lines[1:]:
            if l[:1] in (" ", "\t") and self.hdrs:
                self.hdrs[-1] = (self.hdrs[-1][0], self.hdrs[-1][1] + " " + l.strip())
            elif ":" in l:
                k, v = l.split(":", 1)
                self.hdrs.append((k.strip(), v.strip()))
        p = self.start.split(" ", 2)
        self.is_req = not self.start.startswith("SIP/2.0")
        self.method = p[0] if self.is_req else None
        self.code = None if self.is_req else int(p[1])

    def get(self, name):
        for k, v in self.hdrs:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.hdrs if k.lower() == name.lower()]

    def cseq(self):
        n, m = self.get("CSeq").split()
        return int(n), m


def uri_of(v):
    """URI inside <...> (or the bare value without parameters)."""
    if "<" in v:
        return v[v.index("<") + 1:v.index(">")]
    return v.split(";")[0].strip()


def tag_of(v):
    for p in v.split(">")[-1].split(";"):
        if p.strip().startswith("tag="):
            return p.strip()[4:]
    return None


def build(start, hdrs, body=""):
    out = [start] + ["%s: %s" % kv for kv in hdrs]
    out.append("Content-Length: %d" % len(body.encode()))
    return ("\r\n".join(out) + "\r\n\r\n" + body).encode()


def anchored(body, lip, port, sess):
    """The B2BUA's own SDP for a leg: A's or C's media lines, its address."""
    out = []
    for l in body.split("\r\n"):
        if l.startswith("o="):
            l = "o=b2bua %d %d IN IP4 %s" % (sess, sess, lip)
        elif l.startswith("c="):
            l = "c=IN IP4 %s" % lip
        elif l.startswith("m="):
            p = l.split(" ")
            p[1] = str(port)
            l = " ".join(p)
        out.append(l)
    return "\r\n".join(out)


def main():
    lip, lport, callee, cip, cport, teardown = sys.argv[1:7]
    opts = sys.argv[7:]
    relay = teardown == "relay"
    lport, cport = int(lport), int(cport)
    teardown = 0.0 if relay else float(teardown)
    anchor = "--anchor" in opts
    passed = [opts[i + 1] for i, o in enumerate(opts) if o == "--pass"]
    sess = random.randint(10**8, 10**9)
    me = "%s:%d" % (lip, lport)
    contact = "<sip:b2bua@%s;transport=udp>" % me
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((lip, lport))
    sys.stdout.write("b2bua listening on %s\n" % me)
    sys.stdout.flush()

    retrans = {}      # key -> [data, addr, next_time, interval, deadline]

    def send(data, addr, key=None, invite=False):
        sock.sendto(data, addr)
        if key:
            retrans[key] = [data, addr, time.time() + T1, T1, time.time() + 32, invite]

    leg1 = None       # dict while leg 1 exists
    leg2 = None
    teardown_at = None
    done_at = None

    def resp_leg1(code, reason, inv, extra=(), body=""):
        h = [("Via", v) for v in inv.all("Via")]
        to = inv.get("To")
        if tag_of(to) is None:
            to += ";tag=" + leg1["tag"]
        h += [("From", inv.get("From")), ("To", to), ("Call-ID", inv.get("Call-ID")),
              ("CSeq", inv.get("CSeq"))]
        h += list(extra)
        return build("SIP/2.0 %d %s" % (code, reason), h, body)

    while True:
        now = time.time()
        if done_at and now > done_at:
            break
        for k, r in list(retrans.items()):
            if now >= r[4]:
                del retrans[k]
            elif now >= r[2]:
                sock.sendto(r[0], r[1])
                r[3] = r[3] * 2 if r[5] else min(r[3] * 2, T2)
                r[2] = now + r[3]
        if teardown_at and now >= teardown_at:
            teardown_at = None
            leg2["cseq"] += 1
            h = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK%s;rport" % (me, rnd())),
                 ("Max-Forwards", "70"), ("From", leg2["from"]), ("To", leg2["to"]),
                 ("Call-ID", leg2["cid"]), ("CSeq", "%d BYE" % leg2["cseq"]),
                 ("User-Agent", "sipaudit-gen b2bua.py")]
            send(build("BYE %s SIP/2.0" % leg2["target"], h), (cip, cport), key="bye2")
            sys.stdout.write("leg 2 BYE sent\n")
        r, _, _ = select.select([sock], [], [], 0.05)
        if not r:
            continue
        data, addr = sock.recvfrom(65535)
        m = Msg(data)
        cid = m.get("Call-ID")
        if m.is_req and m.method == "INVITE" and leg1 is None and leg2 is None:
            # new call from A: 100 Trying, then INVITE C with the same SDP
            leg1 = {"cid": cid, "tag": "b2b1-" + rnd(8), "inv": m, "addr": addr}
            send(resp_leg1(100, "Trying", m), addr)
            leg2 = {"cid": "%s-leg2@%s" % (rnd(16), lip), "cseq": 101,
                    "from": "%s;tag=b2b2-%s" % (m.get("From").split(";tag=")[0], rnd(8)),
                    "to": "<%s>" % callee, "target": callee}
            h = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK%s;rport" % (me, rnd())),
                 ("Max-Forwards", "70"), ("From", leg2["from"]), ("To", leg2["to"]),
                 ("Call-ID", leg2["cid"]), ("CSeq", "101 INVITE"), ("Contact", contact)]
            if not relay:
                h.append(("X-Call-ID", cid))
            for name in passed:
                if m.get(name):
                    h.append((name, m.get(name)))
            if "--pcv" in opts and m.get("P-Charging-Vector"):
                icid = [p.strip() for p in m.get("P-Charging-Vector").split(";")
                        if p.strip().lower().startswith("icid-value=")][0].split("=", 1)[1].strip('"')
                h.append(("P-Charging-Vector", "icid-value=%s;orig-ioi=as.home1.example.net"
                          % icid))
            if "--corr" in opts and m.get("X-Corr"):
                h.append(("X-Corr", "%s;leg=2" % m.get("X-Corr").split("=", 1)[1].strip()))
            h.append(("User-Agent", "sipaudit-gen b2bua.py"))
            if m.get("Content-Type"):
                h.append(("Content-Type", m.get("Content-Type")))
            body = anchored(m.body, lip, 40000, sess) if anchor else m.body
            leg2["invite"] = build("INVITE %s SIP/2.0" % callee, h, body)
            send(leg2["invite"], (cip, cport), key="inv2", invite=True)
        elif m.is_req and leg1 and cid == leg1["cid"] and m.method == "ACK":
            retrans.pop("ok1", None)
            if not relay:
                teardown_at = time.time() + teardown
        elif relay and m.is_req and m.method == "BYE" and leg1 and cid == leg1["cid"]:
            # A hangs up: answer it and end leg 2
            h = [("Via", v) for v in m.all("Via")]
            h += [("From", m.get("From")), ("To", m.get("To")), ("Call-ID", cid),
                  ("CSeq", m.get("CSeq")), ("User-Agent", "sipaudit-gen b2bua.py")]
            send(build("SIP/2.0 200 OK", h), addr)
            leg2["cseq"] += 1
            h = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK%s;rport" % (me, rnd())),
                 ("Max-Forwards", "70"), ("From", leg2["from"]), ("To", leg2["to"]),
                 ("Call-ID", leg2["cid"]), ("CSeq", "%d BYE" % leg2["cseq"])]
            h += [(n, m.get(n)) for n in passed if m.get(n)]
            h.append(("User-Agent", "sipaudit-gen b2bua.py"))
            send(build("BYE %s SIP/2.0" % leg2["target"], h), (cip, cport), key="bye2")

        elif m.is_req and m.method == "BYE" and (leg1 is None or cid != leg1["cid"]):
            # the bug: leg 1 was forgotten when leg 2 ended
            h = [("Via", v) for v in m.all("Via")]
            h += [("From", m.get("From")), ("To", m.get("To")), ("Call-ID", cid),
                  ("CSeq", m.get("CSeq")), ("User-Agent", "sipaudit-gen b2bua.py")]
            send(build("SIP/2.0 481 Call/Transaction Does Not Exist", h), addr)
            done_at = time.time() + 2
        elif m.is_req and m.method == "INVITE" and leg1 and cid == leg1["cid"]:
            pass  # retransmission: the leg-2 answer will be relayed
        elif not m.is_req and leg2 and cid == leg2["cid"]:
            n, meth = m.cseq()
            if meth == "INVITE":
                retrans.pop("inv2", None)
                if 180 <= m.code < 200 and leg1:
                    ex = [("Contact", contact)] + [(n, m.get(n)) for n in passed if m.get(n)]
                    send(resp_leg1(m.code, m.start.split(" ", 2)[2], leg1["inv"], ex), leg1["addr"])
                elif m.code == 200:
                    leg2["to"] = m.get("To")
                    leg2["target"] = uri_of(m.get("Contact"))
                    h = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK%s;rport" % (me, rnd())),
                         ("Max-Forwards", "70"), ("From", leg2["from"]), ("To", leg2["to"]),
                         ("Call-ID", leg2["cid"]), ("CSeq", "%d ACK" % n)]
                    sock.sendto(build("ACK %s SIP/2.0" % leg2["target"], h), (cip, cport))
                    if leg1 and "ok1" not in retrans and teardown_at is None:
                        ex = [("Contact", contact)] + [(n, m.get(n)) for n in passed if m.get(n)]
                        ex.append(("User-Agent", "sipaudit-gen b2bua.py"))
                        if m.get("Content-Type"):
                            ex.append(("Content-Type", m.get("Content-Type")))
                        body = anchored(m.body, lip, 40002, sess + 1) if anchor else m.body
                        send(resp_leg1(200, "OK", leg1["inv"], ex, body), leg1["addr"],
                             key="ok1", invite=False)
            elif meth == "BYE" and m.code >= 200 and relay:
                retrans.pop("bye2", None)
                done_at = time.time() + 1
                sys.stdout.write("call ended\n")
            elif meth == "BYE" and m.code >= 200:
                retrans.pop("bye2", None)
                leg2 = None
                leg1 = None       # <- lost leg 1 state, no BYE sent to A
                sys.stdout.write("leg 2 ended, leg 1 forgotten\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
