#!/usr/bin/env python3
"""tests/bound_cli.py BINARY - the memory bound (--max-memory): floods of
calls in progress are finalised early, marked and counted; one call alone
holds a sixteenth of the bound (a long subscription comes out in parts, each
continuing the one before); a later message of a call finalised early starts
a call that continues it; rules do not judge what had not happened yet; no
message is lost. The captures are small versions of the benchmark's floods,
built here (no SIP stack keeps 10^4 requests unanswered on purpose). One
ok/not ok line per check."""
import json, os, shutil, struct, subprocess, sys, tempfile

BIN = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix='sipaudit-bound-')
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'testdata', 'gen', 'prod'))
from wire import csum  # noqa: E402  (the capture generators' IP checksum)
A, B = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 20])


class Pcap:
    def __init__(self, name):
        self.path = os.path.join(TMP, name)
        self.f = open(self.path, 'wb')
        self.f.write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.n = 0

    def sip(self, ts, src, dst, text):
        p = text.replace('\n', '\r\n').encode()
        udp = struct.pack('!HHHH', 5060, 5060, 8 + len(p), 0) + p
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), self.n & 0xFFFF, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        fr = b'\x02\0\0\0\0\x0b\x02\0\0\0\0\x0a\x08\x00' + ip + udp
        self.f.write(struct.pack('<IIII', int(ts), int(round((ts % 1) * 1e6)) % 1000000, len(fr), len(fr)) + fr)
        self.n += 1

    def close(self):
        self.f.close()
        return self.path


def req(method, uri, cid, branch, cseq, ftag, ttag='', extra=''):
    return ('%s %s SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK%s\nFrom: <sip:alice@192.0.2.10>;tag=%s\n'
            'To: <%s>%s\nCall-ID: %s\nCSeq: %d %s\nMax-Forwards: 70\n%sContent-Length: 0\n\n'
            % (method, uri, branch, ftag, uri, ';tag=' + ttag if ttag else '', cid, cseq, method, extra))


def resp(status, reason, method, uri, cid, branch, cseq, ftag, ttag='', extra=''):
    return ('SIP/2.0 %d %s\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK%s\nFrom: <sip:alice@192.0.2.10>;tag=%s\n'
            'To: <%s>%s\nCall-ID: %s\nCSeq: %d %s\n%sContent-Length: 0\n\n'
            % (status, reason, branch, ftag, uri, ';tag=' + ttag if ttag else '', cid, cseq, method, extra))


def run(args):
    p = subprocess.run([BIN, '--no-config'] + args, capture_output=True,
                       env={k: v for k, v in os.environ.items() if k != 'SSLKEYLOGFILE'})
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def check(name, cond, detail=''):
    print(('ok - ' if cond else 'not ok - ') + 'bound ' + name + ('' if cond else ': ' + str(detail)[:700]))


def jsonl(args):
    rc, out, err = run(['--format', 'jsonl'] + args)
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    return rc, [l['call'] for l in lines if l['type'] == 'call'], lines[-1] if lines else {}, err


# 1. 4,000 REGISTERs never answered, unique Call-IDs, within 4 s
cap = Pcap('reg-flood.pcap')
for i in range(4000):
    uri = 'sip:%d@192.0.2.20' % i
    cap.sip(1700000000 + i * 0.001, A, B, req('REGISTER', uri, 'reg-%d@h' % i, 'r%d' % i, 1, 'f%d' % i,
                                              extra='Contact: <sip:%d@192.0.2.10>\nExpires: 3600\n' % i))
regflood = cap.close()

rc, out, err = run(['--max-memory', '512K', regflood])
check('flood: the summary line counts the calls finalised early',
      '4000 calls' in out and 'finalised early under the memory bound' in out, out[:600])
early = int(out.split(' finalised early under')[0].rsplit(' ', 1)[1]) if 'finalised early under' in out else 0
check('flood: most calls finalised early under 512K', 3000 < early < 4000, early)
check('flood: the calls table marks them', out.count('finalised early under the memory bound') == early + 1,
      out.count('finalised early under the memory bound'))
rc0, out0, _ = run([regflood])
check('flood: with the default bound none is', 'finalised early' not in out0, out0[:400])
check('flood: the same findings either way (none: nothing was judged on calls cut early)',
      'triage: no findings' in out and 'triage: no findings' in out0, out[:300])
rc, calls, summary, err = jsonl(['--max-memory', '512K', regflood])
check('flood: jsonl marks each call finalised early',
      sum(1 for c in calls if c.get('finalised_early')) == early and len(calls) == 4000,
      (len(calls), sum(1 for c in calls if c.get('finalised_early'))))
check('flood: jsonl counts them per input',
      summary.get('inputs', [{}])[0].get('calls_finalised_early') == early, summary.get('inputs'))
check('flood: no message lost', sum(len(c['messages']) for c in calls) == 4000)

# 2. one Call-ID, 20,000 OPTIONS -> 200 (a keep-alive of hours): in parts
cap = Pcap('one-callid.pcap')
for i in range(1, 20001):
    t = 1700000000 + i * 0.01
    cid, uri = 'one@192.0.2.10', 'sip:presence@192.0.2.20'
    cap.sip(t, A, B, req('OPTIONS', uri, cid, 'o%d' % i, i, 'w1'))
    cap.sip(t + 0.001, B, A, resp(200, 'OK', 'OPTIONS', uri, cid, 'o%d' % i, i, 'w1', 'p1'))
one = cap.close()
rc, calls, summary, err = jsonl(['--max-memory', '2M', one])
parts = len(calls)
# a part at rest past a sixteenth of 2M (about 180 OPTIONS and their 200s as
# the bound counts them): some 220 parts; an eighth would make half as many
check('one Call-ID: split in parts of a sixteenth of the bound', 150 <= parts <= 400, parts)
check('one Call-ID: every part but the last finalised early',
      all(c.get('finalised_early') for c in calls[:-1]) and not calls[-1].get('finalised_early'),
      [c.get('finalised_early') for c in calls][:10])
check('one Call-ID: each part continues the one before',
      all(calls[k].get('continues_call') == calls[k - 1]['number'] for k in range(1, parts))
      and 'continues_call' not in calls[0], [c.get('continues_call') for c in calls][:10])
check('one Call-ID: all 40,000 messages, in order', sum(len(c['messages']) for c in calls) == 40000 and
      [m['frame'] for c in calls for m in c['messages']] == list(range(1, 40001)))
rc, out, err = run(['--max-memory', '2M', one])
check('one Call-ID: the calls table says which call a part continues',
      'continues #1; finalised early under the memory bound' in out, out[:800])

# 3. a call answered, then quiet while 3,000 calls are set up and never
#    answered past 100 Trying (calls in progress, not calls merely waiting out
#    T4, nor single requests without any response: those would go first), then
#    its BYE: the bound finalises it early (least recently active); the BYE continues it
cap = Pcap('late-bye.pcap')
t0 = 1700000000.0
uri, cid = 'sip:bob@192.0.2.20', 'long-call@192.0.2.10'
cap.sip(t0, A, B, req('INVITE', uri, cid, 'i1', 1, 'a1', extra='Contact: <sip:alice@192.0.2.10>\n'))
cap.sip(t0 + 0.1, B, A, resp(200, 'OK', 'INVITE', uri, cid, 'i1', 1, 'a1', 'b1', 'Contact: <sip:bob@192.0.2.20>\n'))
cap.sip(t0 + 0.2, A, B, req('ACK', uri, cid, 'k1', 1, 'a1', 'b1'))
for i in range(3000):  # INVITEs answered 100 Trying, then nothing
    cap.sip(t0 + 1 + i * 0.002, A, B, req('INVITE', 'sip:gw@192.0.2.20', 'try-%d' % i, 'p%d' % i, 1, 'q%d' % i))
    cap.sip(t0 + 1.001 + i * 0.002, B, A, resp(100, 'Trying', 'INVITE', 'sip:gw@192.0.2.20', 'try-%d' % i, 'p%d' % i, 1, 'q%d' % i))
cap.sip(t0 + 20, A, B, req('BYE', uri, cid, 'b2', 2, 'a1', 'b1'))
cap.sip(t0 + 20.1, B, A, resp(200, 'OK', 'BYE', uri, cid, 'b2', 2, 'a1', 'b1'))
late = cap.close()
rc, calls, summary, err = jsonl(['--max-memory', '256K', late])
longs = [c for c in calls if c['call_id'] == cid]
check('late BYE: the answered call is finalised early, its BYE continues it',
      len(longs) == 2 and longs[0].get('finalised_early') and longs[1].get('continues_call') == longs[0]['number'],
      [(c['number'], c.get('finalised_early'), c.get('continues_call'), len(c['messages'])) for c in longs])
rules = {f['rule'] for l in [json.loads(x) for x in run(['--format', 'jsonl', '--max-memory', '256K', late])[1].splitlines()]
         if l['type'] == 'call' and l['call']['call_id'] == cid for f in l['findings']}
check('late BYE: no call-not-ended for the part cut early, no bye-481 for the BYE', not rules, rules)
rc, calls0, _, _ = jsonl([late])
check('late BYE: without the bound, one call of 5 messages',
      [len(c['messages']) for c in calls0 if c['call_id'] == cid] == [5])

# 4. 3,000 OPTIONS answered at once (over: only waiting out T4), then a stray
#    retransmission of the first one's 200 two seconds later
cap = Pcap('t4.pcap')
for i in range(3000):
    t = 1700000000 + i * 0.0005
    cap.sip(t, A, B, req('OPTIONS', 'sip:gw@192.0.2.20', 'ok-%d' % i, 'o%d' % i, 1, 'q%d' % i))
    cap.sip(t + 0.0001, B, A, resp(200, 'OK', 'OPTIONS', 'sip:gw@192.0.2.20', 'ok-%d' % i, 'o%d' % i, 1, 'q%d' % i, 'g'))
cap.sip(1700000003.5, B, A, resp(200, 'OK', 'OPTIONS', 'sip:gw@192.0.2.20', 'ok-0', 'o0', 1, 'q0', 'g'))
t4 = cap.close()
rc, out, err = run(['--max-memory', '1M', t4])
check('T4: calls that are over are closed before T4 ran out, and counted',
      'closed before T4 ran out (memory bound)' in out and 'finalised early' not in out.split('\n\n')[1], out[:500])
rc, calls, summary, err = jsonl(['--max-memory', '1M', t4])
strays = [c for c in calls if c['call_id'] == 'ok-0']
check('T4: none of them is marked finalised early', not any(c.get('finalised_early') for c in calls))
check('T4: the stray 200 after the close continues the call',
      len(strays) == 2 and strays[1].get('continues_call') == strays[0]['number'] and len(strays[1]['messages']) == 1,
      [(c['number'], c.get('continues_call'), len(c['messages'])) for c in strays])
check('T4: jsonl counts the calls closed per input',
      (summary.get('inputs', [{}])[0].get('calls_closed_before_t4') or 0) > 1000, summary.get('inputs', [{}])[0].get('calls'))
rc, calls0, _, _ = jsonl([t4])
check('T4: with the default bound the stray is in its call', [len(c['messages']) for c in calls0 if c['call_id'] == 'ok-0'] == [3])

# 5. the marks are in the JSON Schema: whole reports of the bounded runs validate
try:
    import jsonschema
    schema = json.load(open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                         'doc/schema/sipaudit.report-1.json')))
    for name, args in (('flood', ['--max-memory', '512K', regflood]), ('one Call-ID', ['--max-memory', '2M', one]),
                       ('late BYE', ['--max-memory', '256K', late]), ('T4', ['--max-memory', '1M', t4])):
        rc, out, err = run(['--format', 'json'] + args)
        errs = sorted(jsonschema.Draft202012Validator(schema).iter_errors(json.loads(out)), key=str)
        check('schema: %s report with the bound acting is valid' % name, not errs,
              errs[0].message if errs else '')
except ImportError:
    check('schema: python3-jsonschema installed', False)

# 6. the option itself
rc, out, err = run(['--max-memory', 'lots', regflood])
check('--max-memory lots: a usage error', rc == 2 and '--max-memory' in err and 'lots' in err, (rc, err))
for v in ('0', '1G', '512KiB', '65536'):
    rc, out, err = run(['--max-memory', v, '-q', one])
    check('--max-memory %s accepted' % v, rc in (0, 1) and 'error' not in err, (rc, err))
rc, out, err = run(['--max-memory', '0', one])
check('--max-memory 0: no bound (one call of 40,000 messages)', 'finalised early' not in out and ' 1 call ' in out, out[:300])

shutil.rmtree(TMP)
