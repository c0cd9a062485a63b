#!/usr/bin/env python3
"""tests/cli.py BINARY - the command line as a CI job and a user meet it:
exit statuses and --fail-on, rule selection (--disable/--enable/--severity,
.sipaudit.conf), --list-rules, filters, the jsonl stream against the JSON
document, JUnit XML, -o, colour, write errors (full disk, closed pipe), and
--help against the man page. Prints one 'ok'/'not ok' line per check."""
import json, os, pty, re, select, shutil, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = os.path.join(ROOT, 'testdata/captures/rules')
FAULTS_IDS = ['malformed', 'cseq-order', 'ack-cseq', 'ack-missing', 'bye-481', 'no-response',
              'registration-failed', 'auth-failed', 'invite-overlap', 'forked-2xx', 'sdp-nat',
              'codec-mismatch', 'udp-too-large', 'call-failed', 'call-not-ended', 'one-way-rtp', 'rtp-quality',
              'slow-setup', 'sip-scan', 'prack', 'session-timer',
              'dtmf-mismatch', 'route-set']


def cap(name):
    return os.path.join(RULES, name + '.pcap')


# a capture with many calls of several kinds, for the filters
MULTI = os.path.join(ROOT, 'testdata/captures/public/ipfixprobe__sip.pcap')
if not os.path.exists(MULTI):
    cands = sorted(f for f in os.listdir(os.path.join(ROOT, 'testdata/captures/public')) if f.endswith('cap'))
    MULTI = os.path.join(ROOT, 'testdata/captures/public', cands[0])

EMPTY_CONF = tempfile.mkdtemp(prefix='sipaudit-cli-')  # a cwd without .sipaudit.conf


def run(args, cwd=EMPTY_CONF, env=None, stdout=subprocess.PIPE, **kw):
    e = dict(os.environ)
    e.pop('NO_COLOR', None)
    if env:
        e.update(env)
    p = subprocess.run([BIN] + args, cwd=cwd, env=e, stdout=stdout, stderr=subprocess.PIPE, **kw)
    out = p.stdout.decode('utf-8', 'replace') if isinstance(p.stdout, bytes) else ''
    return p.returncode, out, p.stderr.decode('utf-8', 'replace')


def check(name, cond, detail=''):
    print(('ok - ' if cond else 'not ok - ') + name + ('' if cond else ': ' + detail))


# --- exit statuses and the gate ---------------------------------------------
rc, out, err = run(['-q', cap('call-ok')])
check('clean capture exits 0', rc == 0, f'exit {rc}')
rc, out, err = run(['-q', cap('ack-cseq-update')])
check('error finding exits 1 (default --fail-on error)', rc == 1, f'exit {rc}')
check('text report names the finding at its key frame (the ACK, frame 12)',
      re.search(r'ack-cseq-update\.pcap:12: error\[ack-cseq\]', out) is not None, out[:400])
rc, _, _ = run(['-q', '--fail-on', 'never', cap('ack-cseq-update')])
check('--fail-on never exits 0', rc == 0, f'exit {rc}')
rc, _, _ = run(['-q', cap('sdp-nat')])
check('warning only: exit 0 at --fail-on error', rc == 0, f'exit {rc}')
rc, _, _ = run(['-q', '--fail-on', 'warning', cap('sdp-nat')])
check('warning only: exit 1 at --fail-on warning', rc == 1, f'exit {rc}')
rc, _, _ = run(['-q', '--fail-on', 'warning', cap('call-failed-busy')])
check('info only: exit 0 at --fail-on warning', rc == 0, f'exit {rc}')
rc, _, _ = run(['-q', '--fail-on', 'info', cap('call-failed-busy')])
check('info only: exit 1 at --fail-on info', rc == 1, f'exit {rc}')
rc, _, err = run(['--fail-on', 'sometimes', cap('call-ok')])
check('bad --fail-on is a usage error (2)', rc == 2 and 'fail-on' in err, f'exit {rc} {err}')
rc, _, err = run([cap('call-ok'), '/nonexistent.pcap'])
check('unreadable input exits 2 even when the rest is clean', rc == 2 and '/nonexistent.pcap' in err, f'exit {rc}')
rc, _, err = run(['-q', cap('ack-cseq-update'), '/nonexistent.pcap'])
check('unreadable input (2) outranks findings (1)', rc == 2, f'exit {rc}')
rc, _, err = run([])
check('no input file is a usage error', rc == 2 and 'no input' in err, f'exit {rc} {err}')
rc, _, err = run(['--bogus', cap('call-ok')])
check('unknown option is a usage error', rc == 2, f'exit {rc}')

# --- rule selection ---------------------------------------------------------
rc, out, _ = run(['-q', '--disable', 'ack-cseq', cap('ack-cseq-update')])
check('--disable RULE silences it', rc == 0 and '[ack-cseq]' not in out, f'exit {rc}')
rc, out, _ = run(['-q', '--disable', 'all', '--enable', 'call-failed', '--fail-on', 'info', cap('call-failed-busy')])
check('--disable all --enable RULE runs only that rule', rc == 1 and '[call-failed]' in out, f'exit {rc}')
rc, out, _ = run(['-q', '--disable', 'all', '--enable', 'ack-cseq', '-f', 'json', cap('invite-overlap')])
doc = json.loads(out)
check('--disable all --enable RULE: no other rule reports', all(f['rule'] == 'ack-cseq' for f in doc['findings']),
      str([f['rule'] for f in doc['findings']]))
rc, out, _ = run(['-q', '--severity', 'ack-cseq=warning', cap('ack-cseq-update')])
check('--severity RULE=warning downgrades: exit 0, reported as warning',
      rc == 0 and 'warning[ack-cseq]' in out, f'exit {rc}')
rc, out, _ = run(['-q', '--severity', 'sdp-nat=error', cap('sdp-nat')])
check('--severity RULE=error upgrades: exit 1', rc == 1 and 'error[sdp-nat]' in out, f'exit {rc}')
rc, _, err = run(['--disable', 'no-such-rule', cap('call-ok')])
check('unknown rule id is a usage error', rc == 2 and 'no-such-rule' in err, f'exit {rc} {err}')

# --- KPIs and the slow-setup threshold (issue 16) ----------------------------
KPI = os.path.join(ROOT, 'testdata/captures/kpi')
rc, out, _ = run(['--kpis', '--fail-on', 'never', cap('busy-trunk'), os.path.join(KPI, 'kpi-mix.pcap')])
check('--kpis: a block per input, over all inputs, then the group tables',
      rc == 0 and 'calls: 300 attempted, 0 answered: ASR 0.0 %, NER 50.0 %' in out
      and 'calls: 43 attempted, 23 answered: ASR 53.5 %, NER 81.4 %' in out and 'all 2 inputs:' in out
      and 'calls: 343 attempted, 23 answered' in out and 'registrations: 3 attempted, 2 successful' in out
      and '\nby peer host:' in out and '\nby host pair' in out and 'Server: PBX-North/4.2' in out
      and 'triage' not in out and 'frames:' not in out, out[:2000])
rc, out, _ = run(['--fail-on', 'never', os.path.join(KPI, 'kpi-mix.pcap')])
check('text report: the KPI block under the summary line',
      re.search(r'kpi-mix.pcap: .*\n  calls: 43 attempted, 23 answered: ASR 53\.5 %, NER 81\.4 %, ACD 2\.0 s '
                r'\(23 ended by BYE\), 4 cancelled \(9\.3 %\)\n    post-dial delay p50 [0-9.]+ ms, p95 6\.5 s, '
                r'max 7\.0 s \(29\); setup p50 [0-9]+ ms, p95 7\.5 s, max 8\.0 s \(23\)\n    final responses: '
                r'200 \(23\), 404 \(3\), 480 \(1\), 486 \(5\), 487 \(4\), 503 \(3\), 603 \(2\), no response \(2\)\n'
                r'  registrations: 3 attempted, 2 successful\n  retransmissions: 12 of 267 messages \(4\.5 %\)\n', out)
      is not None, out[:1500])
rc, _, err = run(['--kpis', '--format', 'json', cap('call-ok')])
check('--kpis with --format json is a usage error', rc == 2 and 'summary.kpis' in err, f'exit {rc} {err}')
PDD = os.path.join(KPI, 'slow-setup-pdd.pcap')
rc, out, _ = run(['--fail-on', 'warning', PDD])
check('slow-setup: a 6 s post-dial delay is over the default 5 s', rc == 1 and 'warning[slow-setup]: post-dial delay 6.0 s' in out, out[:600])
rc, out, _ = run(['--fail-on', 'warning', '--pdd-threshold', '6.5', PDD])
check('--pdd-threshold 6.5: no slow-setup', rc == 0 and '[slow-setup]' not in out, out[:600])
conf = os.path.join(EMPTY_CONF, 'pdd.conf')
with open(conf, 'w') as fh:
    fh.write('pdd-threshold = 7s   # a slow network\n')
rc, out, _ = run(['--fail-on', 'warning', '--config', conf, PDD])
check('config pdd-threshold = 7s: no slow-setup', rc == 0 and '[slow-setup]' not in out, out[:600])
rc, out, _ = run(['--fail-on', 'warning', '--config', conf, '--pdd-threshold', '3', PDD])
check('the command line wins over the config file', rc == 1 and 'more than the 3.0 s' in out, out[:900])
for bad in ('0', 'abc', '5 min', '99999'):
    rc, _, err = run(['--pdd-threshold', bad, PDD])
    check(f'--pdd-threshold {bad!r} is a usage error', rc == 2 and 'pdd-threshold' in err, f'exit {rc} {err}')
with open(conf, 'w') as fh:
    fh.write('pdd-threshold = soon\n')
rc, _, err = run(['--config', conf, PDD])
check('config pdd-threshold = soon: FILE:LINE error', rc == 2 and 'pdd.conf:1' in err, f'exit {rc} {err}')

rc, out, _ = run(['--list-rules'])
ids = [l.split()[0] for l in out.splitlines() if l.strip()]
check('--list-rules lists every FAULTS.md rule', rc == 0 and set(FAULTS_IDS) <= set(ids), str(ids))
line = [l for l in out.splitlines() if l.startswith('ack-cseq ')]
check('--list-rules shows id, severity, summary', line and re.match(r'ack-cseq\s+error\s+\S', line[0]) is not None,
      str(line))
rc, out, _ = run(['--list-rules', '--severity', 'sdp-nat=error', '--disable', 'call-failed'])
check('--list-rules reflects overrides', re.search(r'^sdp-nat\s+error', out, re.M) is not None and
      re.search(r'^call-failed\s.*\(disabled\)', out, re.M) is not None, out)

# --- configuration file -----------------------------------------------------
with tempfile.TemporaryDirectory() as d:
    conf = os.path.join(d, '.sipaudit.conf')
    with open(conf, 'w') as f:
        f.write('# project rules\ndisable = ack-cseq   # known PBX bug\nseverity sdp-nat = error\n')
    rc, out, _ = run(['-q', cap('ack-cseq-update')], cwd=d)
    check('.sipaudit.conf disable applies', rc == 0 and '[ack-cseq]' not in out, f'exit {rc}')
    rc, out, _ = run(['-q', cap('sdp-nat')], cwd=d)
    check('.sipaudit.conf severity override applies', rc == 1 and 'error[sdp-nat]' in out, f'exit {rc}')
    rc, out, _ = run(['-q', '--enable', 'ack-cseq', cap('ack-cseq-update')], cwd=d)
    check('command line --enable overrides the config file', rc == 1, f'exit {rc}')
    rc, out, _ = run(['-q', '--no-config', cap('ack-cseq-update')], cwd=d)
    check('--no-config ignores .sipaudit.conf', rc == 1, f'exit {rc}')
    with open(conf, 'w') as f:
        f.write('fail-on = warning\n')
    rc, _, _ = run(['-q', cap('sdp-nat')], cwd=d)
    check('.sipaudit.conf fail-on applies', rc == 1, f'exit {rc}')
    rc, _, _ = run(['-q', '--fail-on', 'error', cap('sdp-nat')], cwd=d)
    check('--fail-on overrides the config file', rc == 0, f'exit {rc}')
    with open(conf, 'w') as f:
        f.write('\n\ndisabel = ack-cseq\n')
    rc, _, err = run(['-q', cap('call-ok')], cwd=d)
    check('a config mistake is a usage error naming file and line', rc == 2 and '.sipaudit.conf:3:' in err, err)
    other = os.path.join(d, 'ci.conf')
    with open(other, 'w') as f:
        f.write('disable = ack-cseq\n')
    rc, _, _ = run(['-q', '--config', other, cap('ack-cseq-update')], cwd=EMPTY_CONF)
    check('--config FILE is read', rc == 0, f'exit {rc}')
    rc, _, err = run(['-q', '--config', os.path.join(d, 'missing.conf'), cap('call-ok')])
    check('--config of a missing file is an error', rc == 2 and 'missing.conf' in err, f'exit {rc}')
    # link-header: a REGEX may hold '=' (the value is everything after the key's '=')
    with open(conf, 'w') as f:
        f.write('link-header = X-Corr=([0-9a-f]{16})   # vendor correlation id\n')
    rc, out, err = run(['-q', cap('link-header')], cwd=d)
    check('.sipaudit.conf link-header applies', rc == 0 and 'leg of #2 by header:X-Corr' in out, out + err)
    rc, out, _ = run(['-q', '--no-config', cap('link-header')], cwd=d)
    check('without link-header the legs are not linked', rc == 0 and 'leg of' not in out, out)
    with open(conf, 'w') as f:
        f.write('\nlink-header = X-Corr=([0-9a-f]{16}\n')
    rc, _, err = run(['-q', cap('call-ok')], cwd=d)
    check('a bad link-header REGEX is a usage error naming file and line',
          rc == 2 and '.sipaudit.conf:2:' in err, err)
rc, out, err = run(['-q', '--link-header', 'X-Corr=id=([0-9a-f]+)', '--link-header', 'X-Corr=[0-9a-f]{16}',
                    cap('link-header')])
check('--link-header is repeatable; a REGEX without a group takes the whole match',
      rc == 0 and out.count('by header:X-Corr') == 2, out + err)
rc, _, err = run(['-q', '--link-header', 'X Corr', cap('call-ok')])
check('--link-header with a bad name is a usage error', rc == 2 and 'not a header name' in err, err)

# --- filters ----------------------------------------------------------------
rc, out, _ = run(['-q', '-f', 'json', '--fail-on', 'never', MULTI])
full = json.loads(out)
calls = full['calls']
check('filter base capture has several kinds of calls', len({c['kind'] for c in calls}) >= 2 and len(calls) >= 4,
      f'{len(calls)} calls, kinds {sorted({c["kind"] for c in calls})}')


def filtered(args):
    rc, out, err = run(['-q', '-f', 'json', '--fail-on', 'never'] + args + [MULTI])
    if rc != 0:
        return None
    return json.loads(out)


def user_of(uri):
    m = re.match(r'^(?:sips?|tel):([^@;]*)', uri or '')
    return m.group(1) if m else ''


for kind, opt in (('registration', 'registrations'), ('call', 'calls')):
    want = [c['number'] for c in calls if c['kind'] == kind]
    got = filtered(['--only', opt])
    check(f'--only {opt} keeps exactly the {kind}s', got is not None and [c['number'] for c in got['calls']] == want,
          f'{want} vs {got and [c["number"] for c in got["calls"]]}')
c0 = calls[len(calls) // 2]
got = filtered(['--call-id', c0['call_id']])
check('--call-id selects the call', got is not None and {c['call_id'] for c in got['calls']} == {c0['call_id']},
      str(got and [c['call_id'] for c in got['calls']]))
pref = c0['call_id'][:3]
got = filtered(['--call-id', pref + '*'])
check('--call-id takes a glob', got is not None and
      [c['number'] for c in got['calls']] == [c['number'] for c in calls if c['call_id'].startswith(pref)], '')
u = next((user_of(c['from']) for c in calls if user_of(c['from'])), '')
got = filtered(['--user', u])
check('--user matches From or To user part', got is not None and got['calls'] and
      all(u in (user_of(c['from']), user_of(c['to'])) for c in got['calls']) and
      len(got['calls']) == sum(1 for c in calls if u in (user_of(c['from']), user_of(c['to']))), u)
got = filtered(['--method', 'register'])
check('--method (case-insensitive) keeps calls with such a request',
      got is not None and [c['number'] for c in got['calls']] ==
      [c['number'] for c in calls if any(m['method'] == 'REGISTER' for m in c['messages'])], '')
statuses = sorted({m['status'] for c in calls for m in c['messages'] if m['status']})
st = statuses[-1]
got = filtered(['--status', str(st)])
check(f'--status {st} keeps calls with that response',
      got is not None and got['calls'] and
      all(any(m['status'] == st for m in c['messages']) for c in got['calls']), '')
cls = f'{st // 100}xx'
got = filtered(['--status', cls])
check(f'--status {cls} keeps the class',
      got is not None and len(got['calls']) ==
      sum(1 for c in calls if any(m['status'] and m['status'] // 100 == st // 100 for m in c['messages'])), '')
got = filtered(['--only', 'registrations', '--method', 'INVITE'])
check('filters combine with AND', got is not None and got['calls'] == [], '')
rules_seen = sorted({f['rule'] for f in full['findings']})
if rules_seen:
    r0 = rules_seen[0]
    got = filtered(['--rule', r0])
    check('--rule keeps only that rule and the calls that have it', got is not None and
          {f['rule'] for f in got['findings']} == {r0} and
          {c['number'] for c in got['calls']} == {f['call'] for f in got['findings'] if f['call']}, r0)
rc, out, _ = run(['-q', '--only', 'registrations', '--fail-on', 'never', MULTI])
table = [l for l in out.splitlines() if re.match(r'^\s+\d+\s+\d\d:\d\d', l)]
check('text calls table honours the filters', table and all(' registration ' in l for l in table), '\n'.join(table[:3]))
rc, _, err = run(['--status', '99x', cap('call-ok')])
check('bad --status is a usage error', rc == 2, f'exit {rc}')

# --- jsonl against the document ----------------------------------------------
for name in ('ack-cseq-update', 'reg-expired', 'b2bua-481'):
    rc1, doc, _ = run(['-q', '-f', 'json', cap(name)])
    rc2, lines, _ = run(['-q', '-f', 'jsonl', cap(name)])
    d = json.loads(doc)
    ls = [json.loads(l) for l in lines.splitlines()]
    callsl = [l for l in ls if l['type'] == 'call']
    fl = [f for l in callsl for f in l['findings']] + [l['finding'] for l in ls if l['type'] == 'finding']
    key = lambda f: (f['rule'], f['frame'], f['call_id'] or '')
    check(f'jsonl {name}: same calls, findings and exit as json',
          rc1 == rc2 and ls[-1]['type'] == 'summary' and [l['call'] for l in callsl] == d['calls'] and
          sorted(map(key, fl)) == sorted(map(key, d['findings'])) and ls[-1]['summary'] == d['summary'] and
          ls[-1]['inputs'] == d['inputs'], f'{rc1} {rc2}')

# --- JUnit --------------------------------------------------------------------
rc, out, _ = run(['-q', '-f', 'junit', '--fail-on', 'warning', cap('ack-cseq-update'), cap('sdp-nat'),
                  cap('call-failed-busy')])
try:
    root = ET.fromstring(out)
    suites = root.findall('testsuite')
    ok = len(suites) == 3 and all(len(s.findall('testcase')) == len(FAULTS_IDS) for s in suites)
    fails = [(s.get('name').rsplit('/', 1)[-1], tc.get('name'), f.get('type'))
             for s in suites for tc in s.findall('testcase') for f in tc.findall('failure')]
    ok = ok and ('ack-cseq-update.pcap', 'ack-cseq', 'error') in fails and \
        ('sdp-nat.pcap', 'sdp-nat', 'warning') in fails and not any(n == 'call-failed-busy.pcap' for n, _, _ in fails)
    below = [tc for s in suites for tc in s.findall('testcase') if tc.get('name') == 'call-failed'
             and tc.find('system-out') is not None]
    ok = ok and len(below) == 1 and 'call failed' in below[0].find('system-out').text
    ok = ok and int(root.get('failures')) == len(fails) and rc == 1
    check('junit: suite per input, testcase per rule, failure per finding at --fail-on, others in system-out', ok,
          str(fails))
except ET.ParseError as e:
    check('junit output is XML', False, str(e))

# --- output file, write errors ----------------------------------------------
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, 'r.json')
    rc, out, _ = run(['-q', '-f', 'json', '-o', path, cap('ack-cseq-update')])
    check('-o FILE writes the report there, nothing on stdout', rc == 1 and out == '' and
          json.load(open(path))['summary']['findings']['error'] == 1, f'exit {rc}')
rc, _, err = run(['-q', '-f', 'json', '-o', '/dev/full', cap('call-ok')])
check('a full disk (-o /dev/full) is exit 3 with a message', rc == 3 and 'No space' in err, f'exit {rc} {err}')
with open('/dev/full', 'w') as full_dev:
    rc, _, err = run(['-q', cap('call-ok')], stdout=full_dev)
check('a full disk on stdout is exit 3', rc == 3 and 'writing the report' in err, f'exit {rc} {err}')
r, w = os.pipe()
os.close(r)
rc, _, err = run(['-q', '-f', 'json', cap('ack-cseq-update')], stdout=w)
os.close(w)
check('a closed pipe is exit 3, not a silent kill', rc == 3 and 'Broken pipe' in err, f'exit {rc} {err}')

# --- colour -----------------------------------------------------------------


def run_tty(args, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(EMPTY_CONF)
        e = {k: v for k, v in os.environ.items() if k != 'NO_COLOR'}
        e.update(env)
        os.execve(BIN, [BIN] + args, e)
    data = b''
    while True:
        try:
            rl, _, _ = select.select([fd], [], [], 10)
            if not rl:
                break
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    return data.decode('utf-8', 'replace')


out = run_tty(['-q', cap('ack-cseq-update')], {'TERM': 'xterm'})
check('colour on a terminal', '\033[' in out and 'error' in out, repr(out[:200]))
out = run_tty(['-q', cap('ack-cseq-update')], {'TERM': 'xterm', 'NO_COLOR': '1'})
check('NO_COLOR turns colour off on a terminal', '\033[' not in out and 'error[ack-cseq]' in out, repr(out[:200]))
rc, out, _ = run(['-q', cap('ack-cseq-update')])
check('no colour when not a terminal', '\033[' not in out, '')
rc, out, _ = run(['-q', '--color', 'always', cap('ack-cseq-update')])
check('--color always forces colour', '\033[' in out, '')

# --- grouping of repeated findings, --each, the triage summary -------------------
TRUNK = cap('busy-trunk')  # 300 call-failed: 150 486, 90 503, 60 404, all from 192.0.2.20
rc, grouped, _ = run(['-q', '--no-table', TRUNK])
rc2, each, _ = run(['-q', '--no-table', '--each', TRUNK])
rc3, js, _ = run(['-q', '--format', 'json', TRUNK])
heads = lambda t: re.findall(r'^\S+busy-trunk\.pcap:\d+: info\[call-failed\]: ', t, re.M)
check('grouped: one full block per cause (three)', rc == 0 and len(heads(grouped)) == 3, str(len(heads(grouped))))
check('grouped: why printed once per cause', grouped.count('    why: ') == 3, str(grouped.count('    why: ')))
check('grouped: at most 20 one-line entries per group, the rest counted',
      re.search(r'^      \.\.\. and 129 more \(--each to list all\)$', grouped, re.M) is not None
      and re.search(r'^      \.\.\. and 69 more ', grouped, re.M) is not None
      and re.search(r'^      \.\.\. and 39 more ', grouped, re.M) is not None, grouped[:600])
check('grouped: counts per cause', all(f'({c} from 192.0.2.20): {n} findings' in grouped for c, n in
      (('486 Busy Here', 150), ('503 Service Unavailable', 90), ('404 Not Found', 60))), grouped[:600])
check('--each: every finding in full (300 blocks, 300 why lines)',
      rc2 == 0 and len(heads(each)) == 300 and each.count('    why: ') == 300, str(len(heads(each))))
check('--each: no one-line entries', 'same rule and cause' not in each and '--each to list all' not in each, '')
tri = lambda t: t.split('\n\n', 1)[0].splitlines()
check('triage: the same opening lines with and without --each', tri(grouped) == tri(each), '')
check('triage: at most 8 lines, counts and hosts',
      len(tri(grouped)) <= 8 and tri(grouped)[0] == 'triage: 300 info in 3 groups'
      and 'call-failed 486 Busy Here from 192.0.2.20 (150), call-failed 503 Service Unavailable from 192.0.2.20 (90)'
      in tri(grouped)[1] and tri(grouped)[-1] == '  most affected hosts: 192.0.2.20 (300 info)', '\n'.join(tri(grouped)))
doc = json.loads(js)
groups = {}
for f in doc['findings']:
    groups[f['group']] = groups.get(f['group'], 0) + 1
check('JSON: one finding per occurrence, the group key counts the text report\'s groups',
      len(doc['findings']) == 300 and groups == {'info call-failed 486 Busy Here from 192.0.2.20': 150,
                                                 'info call-failed 503 Service Unavailable from 192.0.2.20': 90,
                                                 'info call-failed 404 Not Found from 192.0.2.20': 60}, str(groups))
check('JSON: host is the answering host', {f['host'] for f in doc['findings']} == {'192.0.2.20'}, '')
rc, none, _ = run(['-q', cap('call-ok')])
check('triage: a clean capture says so in one line', none.startswith('triage: no findings\n\n'), none[:100])

# --- ladder selection ---------------------------------------------------------
rc, _, err = run(['-q', '--ladder', '999', cap('call-ok')])
check('--ladder of a call that is not there is exit 2', rc == 2 and 'no call' in err, f'exit {rc} {err}')

# --- --help and the man page agree ------------------------------------------
rc, helptext, _ = run(['--help'])
man = open(os.path.join(ROOT, 'man/sipaudit.1'), encoding='utf-8').read()
man_opts = set(re.findall(r'\\-\\-([a-z][a-z-]+)', man))
help_opts = set(re.findall(r'--([a-z][a-z-]+)', helptext))
check('every --help option is in the man page', help_opts <= man_opts, str(sorted(help_opts - man_opts)))
check('every man page option is in --help', man_opts <= help_opts, str(sorted(man_opts - help_opts)))
for sec in ('EXIT STATUS', 'RULES', 'EXAMPLES', 'FILES'):
    check(f'man page has {sec}', re.search(r'^\.SH "?' + sec, man, re.M) is not None, '')
for rid in FAULTS_IDS:
    if rid not in man:
        check(f'man page documents rule {rid}', False, '')
shutil.rmtree(EMPTY_CONF, ignore_errors=True)
