#!/usr/bin/env python3
"""html_check.py SIPAUDIT OUTDIR: opens sipaudit's HTML pages in real headless
Chromium (Debian's chromium, driven over the DevTools protocol with
python3-websocket) and checks what a user sees, against the JSON report of
the same capture:

- the ladder (--ladder N --format html) of calls with findings,
  retransmissions, RTP and B2BUA legs: every message of the call is one
  arrow (frames as in the JSON), retransmissions are dimmed, each finding is
  marked on the arrows of the frames it cites (and nowhere else), a click
  on each arrow shows that message's raw text, each RTP stream has its
  arrow, figures and chart (with the call's events on it);
- the report (--format html) of many captures: the calls table is paged,
  the findings are grouped as the JSON groups them, a click on a row opens
  that call's ladder;
- hostile bytes (</script> in headers, invalid UTF-8) stay text;
- no request leaves the page (only the file itself is loaded).

Screenshots go to OUTDIR. Prints TAP-style ok / not ok lines; a browser
that cannot be started is a failure, never a skip."""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

try:
    import websocket  # python3-websocket
except ImportError:
    # Debian's package, when python3 is another interpreter (pyenv, venv)
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import websocket
    except ImportError:
        websocket = None

SIPAUDIT = os.path.abspath(sys.argv[1])
OUT = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "html-check")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = os.path.join(ROOT, "testdata/captures/rules")
MEDIA = os.path.join(ROOT, "testdata/captures/media")
failures = 0


def ok(cond, what):
    global failures
    if not cond:
        failures += 1
    print(("ok " if cond else "not ok ") + "html: " + what, flush=True)
    return cond


class Browser:
    def __init__(self):
        exe = shutil.which("chromium") or "/usr/bin/chromium"
        self.profile = tempfile.mkdtemp(prefix="sipaudit-chromium-")
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--metrics-recording-only",
             "--remote-debugging-port=0", "--user-data-dir=" + self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(port_file) and len(open(port_file).read().split("\n")) >= 2:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("chromium exited with %d" % self.proc.returncode)
            time.sleep(0.1)
        port, path = open(port_file).read().split("\n")[:2]
        self.ws = websocket.create_connection("ws://127.0.0.1:%s%s" % (port, path), timeout=60)
        self.id = 0
        self.events = []
        tid = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=tid, flatten=True)["sessionId"]

    def call(self, method, session=None, **params):
        self.id += 1
        msg = {"id": self.id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            r = json.loads(self.ws.recv())
            if r.get("id") == self.id:
                if "error" in r:
                    raise RuntimeError("%s: %s" % (method, r["error"]))
                return r.get("result", {})
            if "method" in r:
                self.events.append(r)

    def page(self, method, **params):
        return self.call(method, session=self.session, **params)

    def drain(self, seconds):
        self.ws.settimeout(seconds)
        try:
            while True:
                r = json.loads(self.ws.recv())
                if "method" in r:
                    self.events.append(r)
        except Exception:
            pass
        self.ws.settimeout(60)

    def js(self, expr):
        r = self.page("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("script error: %s" % json.dumps(r["exceptionDetails"])[:400])
        return r["result"].get("value")

    def open(self, path, width=1400, height=1000):
        self.events = []
        self.page("Network.enable")
        self.page("Page.enable")
        self.page("Runtime.enable")
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.page("Page.navigate", url="file://" + path)
        for _ in range(200):
            if self.js("document.readyState === 'complete' && document.body && document.body.getAttribute('data-ready') === '1'"):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the page never became ready")
        self.drain(0.3)

    def requests(self, path):
        """URLs the page asked for other than itself (and inline data)."""
        out = []
        for e in self.events:
            if e["method"] == "Network.requestWillBeSent":
                u = e["params"]["request"]["url"]
                if u != "file://" + path and not u.startswith("data:") and u != "about:blank":
                    out.append(u)
        return out

    def errors(self):
        return [e["params"] for e in self.events
                if e["method"] == "Runtime.exceptionThrown" or
                (e["method"] == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")]

    def click(self, selector):
        """A real mouse click in the middle of the element (scrolled into view)."""
        box = self.js("""(function(){var e=document.querySelector(%s); if(!e) return null;
            e.scrollIntoView({block:'center'}); var r=e.getBoundingClientRect();
            return [r.left + r.width/2, r.top + r.height/2];})()""" % json.dumps(selector))
        if not box:
            return False
        for t in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=t, x=box[0], y=box[1], button="left", clickCount=1)
        return True

    def screenshot(self, file, full=True):
        r = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=full)
        with open(file, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def run(*args):
    return subprocess.run([SIPAUDIT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def report_json(*caps):
    return json.loads(run("--fail-on", "never", "-f", "json", *caps).stdout)


def raw_start(m):
    if m["method"]:
        return m["method"] + " "
    return "SIP/2.0 %d" % m["status"]


def check_ladder(b, name, cap, number, want):
    """want: features this call must show (findings, retrans, rtp, b2bua)."""
    rep = report_json(cap)
    call = next(c for c in rep["calls"] if c["number"] == number)
    findings = [f for f in rep["findings"] if f["call"] == number]
    page = os.path.join(OUT, "ladder-%s.html" % name)
    r = run("--fail-on", "never", "--ladder", str(number), "--format", "html", "-o", page, cap)
    if not ok(r.returncode == 0 and os.path.getsize(page) > 0, "%s: --ladder %d --format html writes a page" % (name, number)):
        return
    b.open(page)
    msgs = call["messages"]
    arrows = b.js("""Array.from(document.querySelectorAll('svg.ladder g.arrow')).map(function(g){
        return {f:+g.getAttribute('data-frame'), re:g.classList.contains('retrans')||g.classList.contains('dup'),
                rules:(g.querySelector('.marker')||{getAttribute:function(){return ''}}).getAttribute('data-rules')||'',
                label:g.querySelector('text.label').textContent, opacity:getComputedStyle(g).opacity};})""")
    ok(len(arrows) == len(msgs), "%s: %d arrows for the %d messages of call #%d" % (name, len(arrows), len(msgs), number))
    ok([a["f"] for a in arrows] == [m["frame"] for m in msgs], "%s: the arrows are the messages' frames in order" % name)
    labels_ok = all(a["label"].startswith(m["method"] if m["method"] else str(m["status"])) and
                    (m["cseq"] is None or ("CSeq %d" % m["cseq"]) in a["label"]) for a, m in zip(arrows, msgs))
    ok(labels_ok, "%s: each arrow says its method or status and CSeq" % name)
    retrans = [m["retransmission"] or "duplicate_of" in m for m in msgs]
    ok([a["re"] for a in arrows] == retrans, "%s: retransmissions and duplicates (%d) are the dimmed arrows" % (name, sum(retrans)))
    ok(all(float(a["opacity"]) < 0.8 for a in arrows if a["re"]) and all(float(a["opacity"]) == 1 for a in arrows if not a["re"]),
       "%s: dimmed arrows are drawn fainter" % name)
    if "retrans" in want:
        ok(sum(retrans) > 0, "%s: the call has retransmissions to show" % name)
    # findings: on the arrows of the frames they cite, and nowhere else
    frames = {m["frame"] for m in msgs}
    good = True
    for f in findings:
        for fr in f["frames"]:
            if fr in frames:
                a = next(a for a in arrows if a["f"] == fr)
                if f["rule"] not in a["rules"].split():
                    good = False
                    print("# %s: finding %s cites frame %d but its arrow has no marker" % (name, f["rule"], fr))
    for a in arrows:
        for rule in a["rules"].split():
            if not any(f["rule"] == rule and a["f"] in f["frames"] for f in findings):
                good = False
                print("# %s: arrow of frame %d marked %s without such a finding" % (name, a["f"], rule))
    ok(good, "%s: the %d findings are marked on the arrows they cite" % (name, len(findings)))
    listed = b.js("Array.from(document.querySelectorAll('li.finding')).map(function(l){return [l.getAttribute('data-rule'), l.querySelector('.summary').textContent, !!l.querySelector('.why'), !!l.querySelector('.hint')]})")
    ok(sorted([l[0] for l in listed]) == sorted(f["rule"] for f in findings) and
       all(any(l[1] == f["summary"] and l[2] == bool(f["explanation"]) and l[3] == bool(f["hint"]) for l in listed) for f in findings),
       "%s: the findings are listed with summary, why and hint" % name)
    if "findings" in want:
        ok(len(findings) > 0, "%s: the call has findings to show" % name)
    # a click on each arrow shows its raw message
    shown = []
    for i, m in enumerate(msgs):
        if i < 3:
            b.click("svg.ladder g.arrow[data-msg='%d'] .hit" % i)  # a real mouse click
        else:
            b.js("document.querySelector(\"svg.ladder g.arrow[data-msg='%d']\").dispatchEvent(new MouseEvent('click', {bubbles:true}))" % i)
        t = b.js("[document.querySelector('.raw .rawhead').textContent, document.querySelector('.raw .rawtext').textContent]")
        shown.append(t[0].startswith("Frame #%d " % m["frame"]) and t[1].startswith(raw_start(m)) and
                     call["call_id"] in t[1] and (m["cseq"] is None or ("%d %s" % (m["cseq"], m["cseq_method"])) in t[1]) and
                     abs(len(t[1].encode()) - m["size"]) <= 3 * m["size"])
        if not shown[-1]:
            print("# %s: click on frame %d showed %r" % (name, m["frame"], t[0] + " | " + t[1][:80]))
    ok(all(shown), "%s: a click on each of the %d arrows shows its raw message" % (name, len(msgs)))
    sel = b.js("document.querySelectorAll('svg.ladder .selected').length")
    ok(sel == 1, "%s: the clicked arrow is highlighted" % name)
    # RTP streams: arrows, figures, charts with the call's events
    media = call["media"]
    st = b.js("""[document.querySelectorAll('svg.ladder g.stream').length, document.querySelectorAll('figure.streambox').length,
        Array.from(document.querySelectorAll('svg.chart')).map(function(c){return [c.querySelectorAll('polyline.rate').length,
        Array.from(c.querySelectorAll('line.event')).map(function(l){return l.getAttribute('data-event')})]}),
        Array.from(document.querySelectorAll('figure.streambox table.figures td:first-child')).map(function(t){return +t.textContent})]""")
    ok(st[0] == len(media) and st[1] == len(media) and len(st[2]) == len(media),
       "%s: %d RTP streams have an arrow, figures and a chart" % (name, len(media)))
    ok(st[3] == [s["packets"] for s in media], "%s: the streams' packet counts are the JSON's" % name)
    if media:
        answered = any(d["answer_frame"] for d in call["dialogs"])
        ok(all(c[0] == 1 and (not answered or "answer" in c[1]) for c in st[2]),
           "%s: each chart draws the packet rate with the call's events (%s)" % (name, ", ".join(st[2][0][1])))
    if "rtp" in want:
        ok(len(media) > 0, "%s: the call has RTP to show" % name)
    if "b2bua" in want:
        legs = b.js("Array.from(document.querySelectorAll('.facts dt')).some(function(d){return d.textContent==='B2BUA legs'})")
        ok(legs and call["linked_calls"], "%s: the B2BUA legs are named" % name)
    if "hold" in want:
        ev = st[2][0][1] if st[2] else []
        ok("hold" in ev and "re-INVITE" in ev, "%s: hold and re-INVITE are marked on the charts (%s)" % (name, ", ".join(ev)))
    ok(not b.errors(), "%s: no script errors" % name)
    ok(not b.requests(page), "%s: no request leaves the page (%s)" % (name, ", ".join(b.requests(page))[:200]))
    b.screenshot(os.path.join(OUT, "ladder-%s.png" % name))
    if name == "rtp-loss":
        check_dark_print(b, name, page)


def check_dark_print(b, name, page):
    """Dark mode follows the system; printing gives A4 pages without controls."""
    b.page("Emulation.setEmulatedMedia", media="", features=[{"name": "prefers-color-scheme", "value": "dark"}])
    bg, fg, label = b.js("""[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color,
        getComputedStyle(document.querySelector('g.arrow.r2xx text.label')).fill]""")
    def lum(c):
        v = [int(x) for x in c[c.index("(") + 1:c.index(")")].split(",")[:3]]
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]
    ok(lum(bg) < 60 and lum(fg) > 180 and lum(label) > 100, "%s: dark mode: dark page, light text and arrows (%s on %s, %s)" % (name, fg, bg, label))
    b.screenshot(os.path.join(OUT, "ladder-%s-dark.png" % name), full=False)
    b.page("Emulation.setEmulatedMedia", media="print", features=[{"name": "prefers-color-scheme", "value": "light"}])
    pdf = base64.b64decode(b.page("Page.printToPDF", preferCSSPageSize=True, printBackground=True)["data"])
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    box = pdf[pdf.find(b"/MediaBox"):pdf.find(b"/MediaBox") + 60]
    dims = [float(x) for x in box.split(b"[")[1].split(b"]")[0].split()] if b"[" in box else []
    a4 = len(dims) == 4 and abs(dims[2] - 595.3) < 2 and abs(dims[3] - 841.9) < 2  # 210 x 297 mm in points
    ok(pdf.startswith(b"%PDF") and 1 <= pages <= 4 and a4,
       "%s: prints on %d A4 page(s) (%s)" % (name, pages, box.split(b"]")[0].decode("latin-1")))
    b.page("Emulation.setEmulatedMedia", media="", features=[])


def check_report(b):
    caps = sorted(os.path.join(RULES, f) for f in os.listdir(RULES) if f.endswith(".pcap"))
    caps += [os.path.join(MEDIA, "rtp-loss.pcap"), os.path.join(MEDIA, "rtp-hold.pcap")]
    rep = report_json(*caps)
    page = os.path.join(OUT, "report.html")
    r = run("--fail-on", "never", "--format", "html", "-o", page, *caps)
    if not ok(r.returncode == 0, "report: --format html writes a page"):
        return
    b.open(page)
    b.screenshot(os.path.join(OUT, "report-top.png"), full=False)
    calls = rep["calls"]
    rows = b.js("window.sipaudit.rows.length")
    ok(rows == len(calls), "report: the calls table holds the %d calls" % len(calls))
    n1 = b.js("document.querySelectorAll('table.calls tbody tr').length")
    ok(n1 == min(50, len(calls)), "report: the table shows one page (%d rows)" % n1)
    first = b.js("Array.from(document.querySelectorAll('table.calls tbody tr')).map(function(r){return +r.getAttribute('data-call')})")
    b.click("button.next")
    second = b.js("Array.from(document.querySelectorAll('table.calls tbody tr')).map(function(r){return [+r.getAttribute('data-input'), +r.getAttribute('data-call')]})")
    info = b.js("document.querySelector('.pageinfo').textContent")
    want2 = sorted((c["input"], c["number"]) for c in calls)[50:100]
    ok([tuple(x) for x in second] == want2 and first != [x[1] for x in second],
       "report: 'next' pages the table (%s)" % info)
    # findings grouped as the JSON groups them (per input)
    groups = {(f["input"], f["group"]) for f in rep["findings"]}
    shown = b.js("document.querySelectorAll('details.group').length")
    ok(shown == len(groups), "report: %d finding groups, one per rule and cause (%d in the JSON)" % (shown, len(groups)))
    counts = b.js("Array.from(document.querySelectorAll('details.group .count')).reduce(function(a,c){return a + +c.textContent.replace(/\\D/g,'')},0)")
    ok(counts == len(rep["findings"]), "report: the groups count the %d findings" % len(rep["findings"]))
    # open a call with findings and RTP from the table
    target = next(c for c in sorted(calls, key=lambda c: (c["input"], c["number"])) if c["findings"] and c["media"])
    idx = sorted((c["input"], c["number"]) for c in calls).index((target["input"], target["number"]))
    for _ in range(idx // 50 - 1):
        b.click("button.next")
    if idx // 50 == 0:
        while b.js("!document.querySelector('button.prev').disabled"):
            b.click("button.prev")
    b.click("table.calls tbody tr[data-call='%d'][data-input='%d'] td:nth-child(4)" % (target["number"], target["input"]))
    got = b.js("""(function(){var s=document.querySelector('#ladderview section.call'); if(!s) return null;
        return [+s.getAttribute('data-call'), s.querySelectorAll('g.arrow').length, s.querySelectorAll('g.stream').length,
                s.querySelectorAll('.marker').length]})()""")
    ok(got and got[0] == target["number"] and got[1] == len(target["messages"]) and got[2] == len(target["media"]) and got[3] > 0,
       "report: a click on call #%d (input %d) opens its ladder: %s" % (target["number"], target["input"], got))
    b.click("#ladderview g.arrow[data-msg='0'] .hit")
    raw = b.js("document.querySelector('#ladderview .rawtext').textContent")
    ok(raw.startswith(raw_start(target["messages"][0])) and target["call_id"] in raw, "report: the opened ladder shows raw messages")
    # a B2BUA leg opens the other leg
    leg = next(c for c in calls if c["linked_calls"])
    b.js("window.sipaudit.openCall(%d, %d)" % (leg["number"], leg["input"]))
    b.click("#ladderview a.leglink")
    other = b.js("+document.querySelector('#ladderview section.call').getAttribute('data-call')")
    peers = [c["number"] for c in calls if c["input"] == leg["input"] and c["number"] != leg["number"] and
             any(l["call_id"] == c["call_id"] for l in leg["linked_calls"])]
    ok(other in peers, "report: a click on a B2BUA leg in call #%d opens call #%d" % (leg["number"], other))
    # the KPIs: the table's totals are the JSON's, the PDD histogram holds every measured call
    k = rep["summary"]["kpis"]
    row = b.js("Array.from(document.querySelectorAll('#kpis table.kpi tbody tr')[0].querySelectorAll('td')).map(function(t){return t.textContent})")
    ok(row and row[0] == str(k["calls_attempted"]) and row[1] == str(k["calls_answered"])
       and row[2] == "%.1f %%" % (100 * k["asr"]) and row[3] == "%.1f %%" % (100 * k["ner"]),
       "report: the KPI table's totals are summary.kpis (%s)" % (row[:4] if row else row))
    peers = b.js("document.querySelectorAll('#kpis tbody.peers tr').length - 1")
    want_peers = len([g for g in rep["summary"]["kpis_by_peer"] if g["calls_attempted"] or g["registrations"]["attempted"]])
    ok(peers == min(50, want_peers), "report: the KPI table lists the %d peers with attempts" % want_peers)
    bars = b.js("Array.from(document.querySelectorAll('#kpis svg.pdd rect')).reduce(function(a,r){return a + +r.getAttribute('data-n')},0)")
    ok(bars == k["pdd_ms"]["n"], "report: the post-dial delay histogram holds the %d calls that rang (%s)" % (k["pdd_ms"]["n"], bars))
    ok(not b.errors(), "report: no script errors")
    ok(not b.requests(page), "report: no request leaves the page")
    b.js("document.getElementById('ladderview').scrollIntoView()")
    b.screenshot(os.path.join(OUT, "report-call.png"), full=False)


def pcap_udp(path, payloads):
    """A capture of UDP datagrams between two hosts (for hostile bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (src, dst, p) in enumerate(payloads):
            udp = struct.pack("!HHHH", 5060, 5060, 8 + len(p), 0) + p
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                             socket.inet_aton(src), socket.inet_aton(dst))
            s = sum(struct.unpack("!10H", ip))
            s = (s & 0xFFFF) + (s >> 16)
            ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
            eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(eth), len(eth)) + eth)


def check_hostile(b):
    evil = "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)>"
    cid = "evil-1@192.0.2.1"
    inv = ("INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-e1\r\n"
           "From: \"%s\" <sip:alice@192.0.2.1>;tag=a1\r\nTo: <sip:bob@192.0.2.2>\r\nCall-ID: %s\r\n"
           "CSeq: 1 INVITE\r\nSubject: caf\xe9 \xff\xfe <!-- x\r\nContent-Length: 0\r\n\r\n" % (evil, cid)).encode("latin-1")
    resp = ("SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-e1\r\n"
            "From: \"%s\" <sip:alice@192.0.2.1>;tag=a1\r\nTo: <sip:bob@192.0.2.2>;tag=b1\r\nCall-ID: %s\r\n"
            "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" % (evil, cid)).encode()
    cap = os.path.join(OUT, "hostile.pcap")
    pcap_udp(cap, [("192.0.2.1", "192.0.2.2", inv), ("192.0.2.2", "192.0.2.1", resp)])
    for kind, args in (("ladder", ["--ladder", "1"]), ("report", [])):
        page = os.path.join(OUT, "hostile-%s.html" % kind)
        r = run("--fail-on", "never", "--format", "html", "-o", page, *args, cap)
        text = open(page, "rb").read()
        ok(r.returncode == 0 and text.count(b"</script") == text.count(b"<script"),
           "hostile %s: the data cannot close its <script> block" % kind)
        b.open(page)
        if kind == "report":
            b.click("table.calls tbody tr td:nth-child(4)")
        b.click("g.arrow[data-msg='0'] .hit")
        t = b.js("[document.title, document.querySelectorAll('img').length, document.querySelector('.rawtext').textContent]")
        ok(t[0].startswith("sipaudit") and t[1] == 0 and evil in t[2] and "caf\ufffd \ufffd\ufffd <!-- x" in t[2],
           "hostile %s: markup in SIP stays text, invalid UTF-8 shows as U+FFFD" % kind)
        ok(not b.errors() and not b.requests(page), "hostile %s: no script error, no request" % kind)


def sip(first, headers, body=""):
    pad = "X-Padding: " + "p" * 700 + "\r\n"  # messages of about 1 kB, like real ones with SDP
    return (first + "\r\n" + headers + pad + "Content-Length: %d\r\n\r\n" % len(body) + body).encode()


def check_budget(b):
    """Many calls: every row, ladders within the budget (any call up to half
    of it, then calls with findings, then none), memory as flat as text's."""
    n = 12000
    pkts = []
    for i in range(1, n + 1):
        a, z = "192.0.2.1", "192.0.2.2"
        h = ("Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%d-%%s\r\nFrom: <sip:a%d@%s>;tag=f%d\r\nTo: <sip:b@%s>%%s\r\n"
             "Call-ID: budget-%d@%s\r\nCSeq: %%s\r\n" % (a, i, i, a, i, z, i, a))
        mf = "Max-Forwards: 70\r\n"
        pkts.append((a, z, sip("INVITE sip:b@%s SIP/2.0" % z, mf + h % ("i", "", "1 INVITE"))))
        if i % 3 == 0:
            pkts.append((z, a, sip("SIP/2.0 486 Busy Here", h % ("i", ";tag=t%d" % i, "1 INVITE"))))
            pkts.append((a, z, sip("ACK sip:b@%s SIP/2.0" % z, mf + h % ("i", ";tag=t%d" % i, "1 ACK"))))
        else:
            pkts.append((z, a, sip("SIP/2.0 200 OK", h % ("i", ";tag=t%d" % i, "1 INVITE"))))
            pkts.append((a, z, sip("ACK sip:b@%s SIP/2.0" % z, mf + h % ("a", ";tag=t%d" % i, "1 ACK"))))
            pkts.append((a, z, sip("BYE sip:b@%s SIP/2.0" % z, mf + h % ("b", ";tag=t%d" % i, "2 BYE"))))
            pkts.append((z, a, sip("SIP/2.0 200 OK", h % ("b", ";tag=t%d" % i, "2 BYE"))))
    cap = os.path.join(OUT, "budget.pcap")
    pcap_udp(cap, pkts)
    page = os.path.join(OUT, "budget.html")

    def rss(args):
        p = subprocess.Popen([SIPAUDIT] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        return os.waitstatus_to_exitcode(status), ru.ru_maxrss
    rc, kb_html = rss(["-q", "--fail-on", "never", "--format", "html", "-o", page, cap])
    _, kb_text = rss(["-q", "--fail-on", "never", "-o", os.devnull, cap])
    ok(rc == 0 and kb_html < kb_text + 8192, "budget: memory stays flat (%d kB for html, %d kB for text)" % (kb_html, kb_text))
    text = open(page, "rb").read()
    blocks = {}
    pos = 0
    while True:
        i = text.find(b'<script type="application/json" id="sa-c', pos)
        if i < 0:
            break
        j = text.find(b"</script>\n", i) + 10
        blocks[int(text[i + 40:text.index(b'"', i + 40)])] = j - i
        pos = j
    total = sum(blocks.values())
    ok(16 << 20 >= total > 15 << 20, "budget: %d ladders, %.1f MiB of the 16 MiB budget" % (len(blocks), total / 1048576))
    plain = [k for k in blocks if k % 3]
    failed = [k for k in blocks if k % 3 == 0]
    edge = max(plain)
    ok(all(k in blocks for k in range(1, edge + 1)) and sum(blocks[k] for k in blocks if k <= edge) <= 8 << 20 and
       edge + 1000 < max(failed) < n - 1000 and all(k % 3 == 0 for k in blocks if k > edge),
       "budget: every call's ladder up to call #%d (half of it), then only calls with findings up to #%d, then none" % (edge, max(failed)))
    b.open(page)
    ok(b.js("window.sipaudit.rows.length") == n, "budget: all %d calls have their row" % n)
    gap = min(k for k in range(1, n + 1) if k not in blocks)
    b.js("window.sipaudit.openCall(%d, 0)" % gap)
    msg = b.js("document.querySelector('#ladderview').textContent")
    ok("sipaudit --ladder %d --format html" % gap in msg and not b.js("document.querySelector('#ladderview section.call')"),
       "budget: a call without its ladder says how to draw it")
    k = max(failed)
    b.js("window.sipaudit.openCall(%d, 0)" % k)
    ok(b.js("document.querySelectorAll('#ladderview g.arrow').length") == 3 and
       b.js("document.querySelectorAll('#ladderview .marker').length") > 0,
       "budget: a call with findings past the half opens with its findings")
    r = run("--fail-on", "never", "--ladder", str(gap), "--format", "html", "-o", os.path.join(OUT, "budget-one.html"), cap)
    ok(r.returncode == 0 and b"budget-%d@" % gap in open(os.path.join(OUT, "budget-one.html"), "rb").read(),
       "budget: the command it gives draws that call")
    ok(not b.errors() and not b.requests(page), "budget: no script error, no request")
    for f in (cap, page):
        os.unlink(f)  # tens of MB, made again by each run


def main():
    os.makedirs(OUT, exist_ok=True)
    if not ok(websocket is not None, "python3-websocket is installed (./dev setup)"):
        return
    try:
        b = Browser()
    except Exception as e:
        ok(False, "headless chromium starts (./dev setup installs it): %s" % e)
        return
    ok(True, "headless chromium starts")
    try:
        check_ladder(b, "rtp-loss", os.path.join(MEDIA, "rtp-loss.pcap"), 1, {"findings", "rtp"})
        check_ladder(b, "rtp-hold", os.path.join(MEDIA, "rtp-hold.pcap"), 1, {"rtp", "hold"})
        check_ladder(b, "no-response", os.path.join(RULES, "no-response-invite.pcap"), 1, {"findings", "retrans"})
        check_ladder(b, "b2bua", os.path.join(RULES, "b2bua-481.pcap"), 1, {"findings", "b2bua"})
        check_ladder(b, "dup-capture", os.path.join(RULES, "dup-capture.pcap"), 1, set())
        check_ladder(b, "reg-expired", os.path.join(RULES, "reg-expired.pcap"), 1, {"findings"})
        check_report(b)
        check_hostile(b)
        check_budget(b)
    except Exception as e:
        ok(False, "the checks ran to their end: %s" % e)
    finally:
        b.close()


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
