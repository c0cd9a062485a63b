#!/usr/bin/env python3
"""tests/ladder_export.py SIPAUDIT [CAPTURE...] - the exported ladders
(--ladder N --format svg, --format mermaid) of every call of the captures
against the capture's --format json (the oracle), where the goldens check
only a few calls.

SVG, per call:
  - exit status 0 or 1, 1 exactly when the call has an error finding;
  - well-formed XML (xmllint --noout on every file, and Python's parser),
    an <svg> root with a <title> naming the call, text as <text> only;
  - exactly one arrow (<g data-kind="msg">) per SIP message of the call, at
    its frame, dimmed with class retrans/dup exactly when the JSON says
    retransmission/duplicate_of, and one (<g data-kind="rtp">) per RTP
    stream at its first frame; each arrow has a <title> tooltip;
  - the findings list holds the call's findings (rule, severity, key frame);
  - each arrow carries the markers of exactly the findings that cite it
    (a message: its frame is one of the finding's frames; a stream: its
    first, last or longest-gap frame is, or is the key frame), in the
    finding's severity colour, "key" on the key frame;
  - the same bytes twice.
Mermaid, per call:
  - the same exit status; "sequenceDiagram" first; participants H1..Hn, each
    declared once, every arrow between declared ones;
  - one arrow line per message (->> request, -->> response) at its frame,
    "(retrans)"/"(dup)" on copies, one -) line per stream at its first
    frame; one note per finding with its severity and rule; arrow markers
    as for the SVG;
  - nothing that ends or breaks a Mermaid statement in the texts: no raw
    ; # : < > & " %, no control characters, valid UTF-8; only <br/> as markup;
  - every diagram rendered by Mermaid (the library of mermaid-cli, in
    Debian's chromium: tests/mermaid/render.mjs, installed by ./dev setup)
    with one drawn message line per arrow line; and one diagram through the
    mmdc command itself. A renderer that cannot run is a failure.
Also the command line: --format svg/mermaid without --ladder, --ladder with
another format (exit 2), -o FILE, several calls matching one Call-ID.
One TAP-style line per capture and check; exits 0."""
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
MERMAID_DIR = os.path.join(ROOT, 'tests', 'mermaid')
SVGNS = '{http://www.w3.org/2000/svg}'

bin_ = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else sys.exit('usage: tests/ladder_export.py SIPAUDIT [CAPTURE...]')
os.chdir(ROOT)
caps = sys.argv[2:]
if not caps:
    shared = os.path.join(os.environ.get('SIPAUDIT_SHARED', '../shared'), 'captures/public')
    caps = sorted(glob.glob('testdata/captures/rules/*.pcap') + glob.glob('testdata/captures/media/*.pcap') +
                  glob.glob('testdata/captures/public/*.pcap*') + glob.glob('testdata/captures/prod/*.pcap') +
                  glob.glob('testdata/captures/ladder/*.pcap') + glob.glob('testdata/captures/tcp-sameport/*.pcap'))
    caps += [os.path.join(shared, f) for f in ('nDPI__fuzz-2006-06-26-2594.pcap', 'master_thesis_files__tc-02.29a.pcap',
                                               'snort3_demo__SIP_Eyebeam2Eyebeam_Video_Audio.pcap')]

tmp = tempfile.mkdtemp(prefix='ladder_export.')


def run(args, out=None):
    p = subprocess.run([bin_] + args, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


def ok(cond, name, problems=()):
    if cond:
        print(f'ok - {name}')
    else:
        print(f'not ok - {name}')
        for p in list(problems)[:12]:
            print(f'#   {p}')


def stream_frames(s):
    return {s['first_frame'], s['last_frame'], s.get('max_delta_frame') or 0} - {0}


def expected_marks(call, findings):
    """{('msg'|'rtp', frame): Counter of (rule, severity, key)} from the JSON."""
    exp = collections.defaultdict(collections.Counter)
    for m in call['messages']:
        for f in findings:
            if m['frame'] in f['frames']:
                exp[('msg', m['frame'])][(f['rule'], f['severity'], f['frame'] == m['frame'])] += 1
    for s in call.get('media') or []:
        fr = stream_frames(s)
        for f in findings:
            if fr & set(f['frames']) or f['frame'] in fr:
                exp[('rtp', s['first_frame'])][(f['rule'], f['severity'], f['frame'] in fr)] += 1
    return exp


def xml_safe(s):
    """s as the SVG must carry it: characters XML does not allow (and C1
    controls, DEL) as U+FFFD, tabs and newlines as spaces."""
    return ''.join(' ' if c in '\t\n' else '\ufffd' if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or c in '\ufffe\uffff'
                   else c for c in s)


def check_svg(data, call, findings, rc):
    p = []
    errors = sum(f['severity'] == 'error' for f in findings)
    if rc not in (0, 1) or (rc == 1) != (errors > 0):
        p.append(f'exit {rc} with {errors} error findings')
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        return p + [f'not XML: {e}']
    if root.tag != SVGNS + 'svg':
        p.append(f'root is {root.tag}')
    title = root.find(SVGNS + 'title')
    if title is None or not (title.text or '').startswith(f"Call #{call['number']} "):
        p.append('no <title> naming the call')
    elif title.text != f"Call #{call['number']} {xml_safe(call['call_id'])}":
        p.append(f'<title> {title.text!r} is not the Call-ID {call["call_id"]!r}')
    if root.find(SVGNS + 'rect') is None or 'bg' not in root.find(SVGNS + 'rect').get('class', ''):
        p.append('no background rectangle first')
    if not root.findall('.//' + SVGNS + 'text'):
        p.append('no <text>')
    arrows = [g for g in root.iter(SVGNS + 'g') if g.get('data-kind')]
    msgs = [g for g in arrows if g.get('data-kind') == 'msg']
    rtps = [g for g in arrows if g.get('data-kind') == 'rtp']
    want = sorted(m['frame'] for m in call['messages'])
    got = sorted(int(g.get('data-frame')) for g in msgs)
    if got != want:
        p.append(f'{len(got)} message arrows at {got[:20]}, the call has {len(want)} at {want[:20]}')
    media = call.get('media') or []
    want = sorted(s['first_frame'] for s in media)
    got = sorted(int(g.get('data-frame')) for g in rtps)
    if got != want:
        p.append(f'{len(got)} RTP arrows at {got}, the call has {len(want)} streams at {want}')
    bymsg = {m['frame']: m for m in call['messages']}
    for g in msgs:
        m = bymsg.get(int(g.get('data-frame')))
        cls = g.get('class', '').split()
        if m and (('retrans' in cls) != bool(m['retransmission']) or ('dup' in cls) != ('duplicate_of' in m)):
            p.append(f"frame {m['frame']}: classes {cls} but retransmission={m['retransmission']} "
                     f"duplicate={'duplicate_of' in m}")
        if m and ('dim' in cls) != (bool(m['retransmission']) or 'duplicate_of' in m):
            p.append(f"frame {m['frame']}: dimmed {'dim' in cls}")
    for g in arrows:
        t = g.find(SVGNS + 'title')
        if t is None or not (t.text or '').strip():
            p.append(f"arrow at frame {g.get('data-frame')} without a <title>")
    # the findings list
    listed = {}
    for g in root.iter(SVGNS + 'g'):
        if 'finding' in g.get('class', '').split():
            listed[g.get('data-finding')] = (g.get('data-rule'), g.get('data-severity'), int(g.get('data-frame')))
            if f"sev-{g.get('data-severity')}" not in g.get('class', '').split():
                p.append(f'finding {g.get("data-finding")} not in its severity colour')
    want = collections.Counter((f['rule'], f['severity'], f['frame']) for f in findings)
    if collections.Counter(listed.values()) != want:
        p.append(f'findings listed {sorted(listed.values())}, the call has {sorted(want.elements())}')
    # markers on the arrows
    exp = expected_marks(call, findings)
    for g in arrows:
        marks = [m for m in g.iter(SVGNS + 'g') if 'mark' in m.get('class', '').split()]
        ids = [m.get('data-finding') for m in marks]
        attr = (g.get('data-findings') or '').split()
        if ids != attr:
            p.append(f"frame {g.get('data-frame')}: markers {ids}, data-findings {attr}")
        got = collections.Counter()
        for m in marks:
            rule, sev, _ = listed.get(m.get('data-finding'), (None, None, None))
            if f'sev-{sev}' not in m.get('class', '').split() or m.get('data-rule') != rule:
                p.append(f"frame {g.get('data-frame')}: marker {m.get('data-finding')} ({m.get('class')}) "
                         f"is not finding {rule} {sev}")
            got[(rule, sev, 'key' in m.get('class', '').split())] += 1
        key = (g.get('data-kind'), int(g.get('data-frame')))
        if got != exp.get(key, collections.Counter()):
            p.append(f'{key[0]} at frame {key[1]}: markers {sorted(got.elements())}, '
                     f'expected {sorted(exp.get(key, collections.Counter()).elements())}')
    if root.findall('.//' + SVGNS + 'image') or root.findall('.//' + SVGNS + 'script'):
        p.append('<image> or <script> in the SVG')
    return p


ARROW = re.compile(r'^    (H[0-9]+)(->>|-->>|-\))(H[0-9]+): (.*)$')
NOTE = re.compile(r'^    Note (?:over (H[0-9]+),(H[0-9]+)|right of (H[0-9]+)): (.*)$')
PART = re.compile(r'^    participant (H[0-9]+) as (.*)$')
ENTITY = re.compile(r'#(?:[0-9]+|[a-z]+);')


def text_problems(t, label=False):
    """What in a Mermaid text would break the statement or be read as markup."""
    s = ENTITY.sub('', t.replace('<br/>', ''))
    bad = set(ch for ch in s if ch in ';#:<>&"%{}\\' or ord(ch) < 0x20 or ord(ch) == 0x7f or 0x80 <= ord(ch) < 0xa0)
    if label and ',' in s:
        bad.add(',')
    return sorted(bad)


def check_mermaid(data, call, findings, rc):
    p = []
    errors = sum(f['severity'] == 'error' for f in findings)
    if rc not in (0, 1) or (rc == 1) != (errors > 0):
        p.append(f'exit {rc} with {errors} error findings')
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        return p + [f'not UTF-8: {e}']
    lines = text.split('\n')
    if lines[0] != 'sequenceDiagram':
        p.append(f'first line {lines[0]!r}')
    if lines[-1] != '':
        p.append('no final newline')
    parts, arrows, notes = [], [], []
    for l in lines[1:-1]:
        m = PART.match(l)
        if m:
            parts.append(m.group(1))
            if text_problems(m.group(2), True):
                p.append(f'participant label {m.group(2)!r} has {text_problems(m.group(2), True)}')
            continue
        m = ARROW.match(l)
        if m:
            arrows.append(m.groups())
            if text_problems(m.group(4)):
                p.append(f'{l.strip()!r} has {text_problems(m.group(4))}')
            continue
        m = NOTE.match(l)
        if m:
            notes.append(m.group(4))
            for h in m.groups()[:3]:
                if h and h not in parts:
                    p.append(f'note over undeclared {h}')
            if text_problems(m.group(4)):
                p.append(f'{l.strip()!r} has {text_problems(m.group(4))}')
            continue
        p.append(f'line not understood: {l!r}')
    if parts != [f'H{i + 1}' for i in range(len(parts))]:
        p.append(f'participants {parts}')
    for a, _, b, _ in arrows:
        if a not in parts or b not in parts:
            p.append(f'arrow {a} -> {b} between undeclared participants')
    frame_of = re.compile(r'^[-+][0-9]+\.[0-9]{3} #35;([0-9]+) ')
    msgs = [(int(frame_of.match(t).group(1)) if frame_of.match(t) else -1, kind, t) for _, kind, _, t in arrows
            if kind != '-)']
    rtps = [(int(frame_of.match(t).group(1)) if frame_of.match(t) else -1, t) for _, kind, _, t in arrows if kind == '-)']
    want = sorted(m['frame'] for m in call['messages'])
    if sorted(f for f, _, _ in msgs) != want:
        p.append(f'message arrows at {sorted(f for f, _, _ in msgs)[:20]}, the call has {want[:20]}')
    bymsg = {m['frame']: m for m in call['messages']}
    for f, kind, t in msgs:
        m = bymsg.get(f)
        if not m:
            continue
        if (kind == '->>') != (m['method'] is not None and m['status'] is None) and not m['malformed']:
            p.append(f'frame {f}: {kind} for a {"request" if m["method"] else "response"}')
        if ('(retrans)' in t) != bool(m['retransmission']) or ('(dup)' in t) != ('duplicate_of' in m):
            p.append(f'frame {f}: copy not marked as in the JSON: {t}')
    want = sorted(s['first_frame'] for s in call.get('media') or [])
    if sorted(f for f, _ in rtps) != want:
        p.append(f'RTP arrows at {sorted(f for f, _ in rtps)}, the call has streams at {want}')
    # notes: the header, then one per finding
    fnotes = [n for n in notes if re.match(r'^\[[0-9]+\] (error|warning|info) ', n)]
    if len(notes) != len(fnotes) + 1:
        p.append(f'{len(notes)} notes for {len(fnotes)} findings and a header')
    rule_of = {}
    for n in fnotes:
        m = re.match(r'^\[([0-9]+)\] (error|warning|info) (.*?)#58; ', n)
        if m:
            rule_of[m.group(1)] = (m.group(3), m.group(2))
    want = collections.Counter((f['rule'], f['severity']) for f in findings)
    if collections.Counter(rule_of.values()) != want or len(rule_of) != len(fnotes):
        p.append(f'finding notes {sorted(rule_of.values())}, the call has {sorted(want.elements())}')
    exp = expected_marks(call, findings)
    for kind, items in (('msg', [(f, t) for f, _, t in msgs]), ('rtp', rtps)):
        for f, t in items:
            got = collections.Counter()
            for k, bang in re.findall(r' \[([0-9]+)\](!?)', t.split('<br/>')[0]):
                rule, sev = rule_of.get(k, (None, None))
                got[(rule, sev, bang == '!')] += 1
            e = exp.get((kind, f), collections.Counter())
            if got != e:
                p.append(f'{kind} at frame {f}: markers {sorted(got.elements())}, expected {sorted(e.elements())}')
    return p, len(arrows), len(notes)


results = []  # (capture, mermaid files: [(path, arrows, notes)])
allmmd = []
for cap in caps:
    if not os.path.isfile(cap):
        continue
    rc, out, _ = run(['-q', '--format', 'json', cap])
    try:
        data = json.loads(out)
    except ValueError:
        ok(False, f'ladder export: {os.path.basename(cap)}', ['no JSON report'])
        continue
    byfind = collections.defaultdict(list)
    for f in data['findings']:
        byfind[f.get('call')].append(f)
    psvg, pmmd, files = [], [], []
    base = re.sub(r'[^A-Za-z0-9_.-]', '_', os.path.basename(cap))
    for call in data['calls']:
        n = call['number']
        rc, svg, err = run(['-q', '--ladder', str(n), '--format', 'svg', cap])
        path = os.path.join(tmp, f'{base}.{n}.svg')
        with open(path, 'wb') as fh:
            fh.write(svg)
        files.append(path)
        psvg += [f'#{n}: {x}' for x in check_svg(svg, call, byfind[n], rc)]
        if call is data['calls'][0] and run(['-q', '--ladder', str(n), '--format', 'svg', cap])[1] != svg:
            psvg.append(f'#{n}: not the same bytes twice')
        rc, mmd, err = run(['-q', '--ladder', str(n), '--format', 'mermaid', cap])
        mpath = os.path.join(tmp, f'{base}.{n}.mmd')
        with open(mpath, 'wb') as fh:
            fh.write(mmd)
        pr, narrows, nnotes = check_mermaid(mmd, call, byfind[n], rc)
        pmmd += [f'#{n}: {x}' for x in pr]
        allmmd.append((cap, mpath, narrows, nnotes))
    if files:
        x = subprocess.run(['xmllint', '--noout'] + files, capture_output=True, text=True)
        if x.returncode != 0:
            psvg.append(f'xmllint: {x.stderr.strip()[:300]}')
    ok(not psvg, f'ladder svg: {os.path.basename(cap)} ({len(data["calls"])} calls)', psvg)
    ok(not pmmd, f'ladder mermaid: {os.path.basename(cap)} ({len(data["calls"])} calls)', pmmd)

# every diagram drawn by Mermaid itself
render = os.path.join(MERMAID_DIR, 'render.mjs')
if not os.path.isdir(os.path.join(MERMAID_DIR, 'node_modules', '@mermaid-js', 'mermaid-cli')):
    ok(False, 'mermaid render: tests/mermaid/node_modules missing (./dev setup installs mermaid-cli)')
elif allmmd:
    listfile = [m for _, m, _, _ in allmmd]
    r = subprocess.run(['node', render] + listfile, capture_output=True, text=True)
    status = {}
    for l in r.stdout.split('\n'):
        m = re.match(r'^(ok|not ok) (\S+)(?:: (.*))?$', l)
        if m:
            status[m.group(2)] = (m.group(1) == 'ok', m.group(3))
    if r.returncode != 0 or not status:
        ok(False, 'mermaid render: the renderer did not run', [r.stdout.strip()[:400], r.stderr.strip()[:400]])
    bycap = collections.defaultdict(list)
    for cap, path, narrows, nnotes in allmmd:
        good, why = status.get(path, (False, 'not rendered'))
        if not good:
            bycap[cap].append(f'{os.path.basename(path)}: {why}')
            continue
        svg = open(path + '.svg', encoding='utf-8').read()
        lines = len(re.findall(r'class="messageLine[01]"', svg))
        notes = len(re.findall(r'<rect[^>]*class="note"', svg))
        if lines != narrows or notes != nnotes:
            bycap[cap].append(f'{os.path.basename(path)}: Mermaid drew {lines} message lines and {notes} notes '
                              f'for {narrows} arrows and {nnotes} notes')
    for cap in dict.fromkeys(c for c, _, _, _ in allmmd):
        n = sum(1 for c, _, _, _ in allmmd if c == cap)
        ok(not bycap[cap], f'mermaid render: {os.path.basename(cap)} ({n} diagrams)', bycap[cap])
    # and the mmdc command on one diagram with findings and RTP
    mmdc = os.path.join(MERMAID_DIR, 'node_modules', '.bin', 'mmdc')
    one = next((m for c, m, _, nn in allmmd if 'rtp-loss' in c), allmmd[0][1])
    r = subprocess.run([mmdc, '-p', os.path.join(MERMAID_DIR, 'puppeteer.json'), '-q', '-i', one, '-o',
                        one + '.mmdc.svg'], capture_output=True, text=True)
    good = r.returncode == 0 and os.path.exists(one + '.mmdc.svg') and 'messageLine' in open(one + '.mmdc.svg').read()
    ok(good, f'mmdc renders {os.path.basename(one)}', [r.stdout[-300:], r.stderr[-300:]])

# ---- the command line ----
callok = 'testdata/captures/rules/call-ok.pcap'
for fmt in ('svg', 'mermaid'):
    rc, out, err = run(['-q', '--format', fmt, callok])
    ok(rc == 2 and '--ladder' in err and not out, f'--format {fmt} without --ladder is a usage error (exit 2)',
       [f'exit {rc}: {err.strip()}'])
rc, out, err = run(['-q', '--ladder', '1', '--format', 'json', callok])
ok(rc == 2 and 'svg' in err and not out, '--ladder with --format json is a usage error naming the ladder formats',
   [f'exit {rc}: {err.strip()}'])
rc, out, err = run(['view', '--format', 'svg', callok])
ok(rc == 2, 'view --format svg is a usage error', [f'exit {rc}: {err.strip()}'])
o = os.path.join(tmp, 'o.svg')
rc, out, err = run(['-q', '--ladder', '1', '--format', 'svg', '-o', o, callok])
ok(rc == 0 and not out and os.path.exists(o) and open(o, 'rb').read() ==
   run(['-q', '--ladder', '1', '--format', 'svg', callok])[1], '-o FILE gets the SVG, standard output nothing')
# one Call-ID in two inputs: one document, the first call, the others named on stderr
for fmt, first in (('svg', b'<?xml'), ('mermaid', b'sequenceDiagram\n')):
    rc, out, err = run(['-q', '--ladder', 'call-ok-1@192.0.2.10', '--format', fmt, callok, callok])
    single = out.count(first) == 1 and (b'data-call="1"' in out if fmt == 'svg' else b'Call #35;1,' in out)
    ok(rc == 0 and single and '2 calls match' in err and '#2' in err,
       f'--format {fmt}: a Call-ID in two inputs draws call #1 and names #2 on stderr', [f'exit {rc}: {err.strip()}'])
    if fmt == 'svg':
        x = subprocess.run(['xmllint', '--noout', '-'], input=out, capture_output=True)
        ok(x.returncode == 0, 'that SVG is one well-formed document', [x.stderr.decode()[:200]])
rc, _, err = run(['-q', '--ladder', '9', '--format', 'svg', callok])
ok(rc == 2 and 'no call' in err, '--format svg of a call that is not there is exit 2', [f'exit {rc}: {err.strip()}'])
# a finding raised after its call ended (a registration that lapsed) is in the document, not after it
reg = 'testdata/captures/rules/reg-expired.pcap'
rc, out, err = run(['-q', '--ladder', '1', '--format', 'svg', reg])
x = subprocess.run(['xmllint', '--noout', '-'], input=out, capture_output=True)
ok(rc == 1 and x.returncode == 0 and out.rstrip().endswith(b'</svg>') and b'data-rule="registration-failed"' in out,
   'a late finding (registration-failed) is listed inside the SVG', [f'exit {rc}', x.stderr.decode()[:200]])
rc, out, err = run(['-q', '--ladder', '1', '--format', 'mermaid', reg])
ok(rc == 1 and b'error registration-failed#58;' in out and b'finding about' not in out,
   'a late finding (registration-failed) is a note of the Mermaid diagram', [f'exit {rc}', out.decode()[-300:]])
sys.exit(0)
