#!/usr/bin/env python3
"""Independent call-KPI oracle for the kpi captures (not sipaudit's code).

    oracle.py CAPTURE > CAPTURE-stem.kpis.json

Reads the capture with tshark (its SIP dissector decides what a message is
and, with sip.resend, which ones are retransmissions) and computes:

- call attempt: a Call-ID whose first INVITE has no To tag. Its initial
  INVITE is that CSeq number; its INVITE time is the first copy of it.
- answered: the initial INVITE got a 2xx. in progress: no final response by
  the end of the capture, unless it had no response at all and its last
  copy (last retransmission) is more than 32 s before the capture's last
  packet: then it is completed, ineffective, and counted in no_response.
  completed = attempts - in progress.
- asr = answered / completed; ner = effective / completed, effective =
  answered, or final 486, 600, 603, 480, or final 487 or 408 after an 18x
  (180-189). Fractions rounded to 4 decimals (null when nothing completed).
- acd_s: mean of (first BYE - first 2xx) over answered calls with a BYE,
  seconds, 3 decimals; acd_calls how many.
- pdd_ms: INVITE time -> first 18x to the initial INVITE; setup_ms: INVITE
  time -> first 2xx. {n, p50, p95, max}, nearest rank (sorted v[1..n],
  p-th = v[ceil(p/100 n)]), ms with 3 decimals (null when n = 0).
- codes: first final status of each completed attempt's initial INVITE;
  no_response: the completed attempts without any response; cancelled:
  attempts (completed or not) in whose Call-ID a CANCEL was sent.
- registrations: attempted = REGISTER transactions (distinct CSeq number in
  a Call-ID, first copies) other than the credentialed retry (Authorization
  or Proxy-Authorization present) of a transaction of the same Call-ID
  answered 401/407; successful = attempts whose last transaction (following
  the retries) ended with a 2xx.
- retransmissions: per host pair src -> dst, SIP messages and how many of
  them tshark marks as resent.
- by_peer: the call KPIs per IP that sent or received a call's initial
  INVITE (a call counts for both hosts); by_pair: per INVITE src -> dst.
- by_agent (an addition): the call KPIs per agent string: role "caller" =
  the initial INVITE's User-Agent, role "callee" = the Server (else
  User-Agent) of the first response to the initial INVITE that has one;
  a call with no such header is not counted for that role.
"""
import collections, decimal, json, math, subprocess, sys

D = decimal.Decimal
FIELDS = ['frame.number', 'frame.time_epoch', 'ip.src', 'ip.dst', 'sip.Method',
          'sip.Status-Code', 'sip.Call-ID', 'sip.CSeq.method', 'sip.CSeq.seq',
          'sip.to.tag', 'sip.User-Agent', 'sip.Server', 'sip.resend',
          'sip.Authorization', 'sip.Proxy-Authorization']
TIMER_B = D(32)


def tshark(cap, args):
    out = subprocess.run(['tshark', '-r', cap] + args, capture_output=True, text=True,
                         errors='replace', check=True)
    return out.stdout.splitlines()


def load(cap):
    args = ['-Y', 'sip', '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=/t']
    for f in FIELDS:
        args += ['-e', f]
    msgs = []
    for line in tshark(cap, args):
        c = line.split('\t')
        c += [''] * (len(FIELDS) - len(c))
        m = dict(zip(FIELDS, c))
        msgs.append({
            'frame': int(m['frame.number']), 't': D(m['frame.time_epoch']),
            'src': m['ip.src'], 'dst': m['ip.dst'],
            'method': m['sip.Method'] or None,
            'status': int(m['sip.Status-Code']) if m['sip.Status-Code'] else None,
            'callid': m['sip.Call-ID'], 'cmethod': m['sip.CSeq.method'],
            'cseq': int(m['sip.CSeq.seq']) if m['sip.CSeq.seq'] else None,
            'totag': m['sip.to.tag'], 'ua': m['sip.User-Agent'], 'server': m['sip.Server'],
            'resend': m['sip.resend'] in ('1', 'True'),
            'cred': bool(m['sip.Authorization'] or m['sip.Proxy-Authorization']),
        })
    # the capture's last packet, SIP or not
    last = max(D(x) for x in tshark(cap, ['-T', 'fields', '-e', 'frame.time_epoch']) if x)
    return msgs, last


def ms(x):
    return float(round(x * 1000, 3))


def dist(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return {'n': 0, 'p50': None, 'p95': None, 'max': None}
    rank = lambda p: v[max(1, math.ceil(D(p) / 100 * n)) - 1]
    return {'n': n, 'p50': ms(rank(50)), 'p95': ms(rank(95)), 'max': ms(v[-1])}


def calls_of(msgs, last):
    by_cid = collections.defaultdict(list)
    for m in msgs:
        by_cid[m['callid']].append(m)
    calls = []
    for cid, ms_ in by_cid.items():
        invites = [m for m in ms_ if m['method'] == 'INVITE']
        if not invites or invites[0]['totag']:
            continue
        inv = invites[0]
        seq = inv['cseq']
        copies = [m for m in invites if m['cseq'] == seq]
        resp = [m for m in ms_ if m['status'] is not None and m['cmethod'] == 'INVITE' and m['cseq'] == seq]
        final = next((m for m in resp if m['status'] >= 200), None)
        ring = next((m for m in resp if 180 <= m['status'] <= 189), None)
        ok = next((m for m in resp if 200 <= m['status'] <= 299), None)
        bye = next((m for m in ms_ if m['method'] == 'BYE'), None)
        c = {'callid': cid, 'src': inv['src'], 'dst': inv['dst'], 't': inv['t'],
             'final': final['status'] if final else None,
             'answered': ok is not None,
             'cancelled': any(m['method'] == 'CANCEL' for m in ms_),
             'pdd': ring['t'] - inv['t'] if ring else None,
             'setup': ok['t'] - inv['t'] if ok else None,
             'dur': bye['t'] - ok['t'] if ok and bye else None,
             'caller_agent': inv['ua'] or None,
             'callee_agent': next((m['server'] or m['ua'] for m in resp if m['server'] or m['ua']), None)}
        c['no_response'] = not resp and copies[-1]['t'] < last - TIMER_B
        c['in_progress'] = final is None and not c['no_response']
        c['effective'] = c['answered'] or c['final'] in (486, 600, 603, 480) or (
            c['final'] in (487, 408) and ring is not None and ring['frame'] < final['frame'])
        calls.append(c)
    calls.sort(key=lambda c: c['t'])
    return calls


def kpis(calls):
    att = len(calls)
    ans = sum(c['answered'] for c in calls)
    prog = sum(c['in_progress'] for c in calls)
    done = [c for c in calls if not c['in_progress']]
    eff = sum(c['effective'] for c in done)
    durs = [c['dur'] for c in calls if c['dur'] is not None]
    codes = collections.Counter(str(c['final']) for c in done if c['final'] is not None)
    return {
        'calls_attempted': att, 'calls_answered': ans, 'calls_in_progress': prog,
        'asr': round(ans / len(done), 4) if done else None,
        'ner': round(eff / len(done), 4) if done else None,
        'acd_s': float(round(sum(durs) / len(durs), 3)) if durs else None,
        'acd_calls': len(durs),
        'pdd_ms': dist([c['pdd'] for c in calls if c['pdd'] is not None]),
        'setup_ms': dist([c['setup'] for c in calls if c['setup'] is not None]),
        'codes': dict(sorted(codes.items(), key=lambda kv: int(kv[0]))),
        'no_response': sum(c['no_response'] for c in calls),
        'cancelled': sum(c['cancelled'] for c in calls),
    }


def registrations(msgs):
    by_cid = collections.defaultdict(list)
    for m in msgs:
        if m['cmethod'] == 'REGISTER':
            by_cid[m['callid']].append(m)
    attempted = successful = 0
    for cid, ms_ in by_cid.items():
        txns = []  # (first copy, final status) per CSeq number, in order of the first copy
        seen = set()
        for m in ms_:
            if m['method'] == 'REGISTER' and m['cseq'] not in seen:
                seen.add(m['cseq'])
                fin = next((r['status'] for r in ms_ if r['status'] is not None and r['status'] >= 200
                            and r['cseq'] == m['cseq']), None)
                txns.append((m, fin))
        outcome = []  # final status of each attempt's latest transaction
        prev = None
        for m, fin in txns:
            if prev in (401, 407) and m['cred'] and outcome:
                outcome[-1] = fin
            else:
                outcome.append(fin)
            prev = fin
        attempted += len(outcome)
        successful += sum(1 for f in outcome if f is not None and 200 <= f <= 299)
    return {'attempted': attempted, 'successful': successful}


def ipkey(ip):
    try:
        return (0, tuple(int(x) for x in ip.split('.')))
    except ValueError:
        return (1, ip)


def main():
    msgs, last = load(sys.argv[1])
    calls = calls_of(msgs, last)
    out = kpis(calls)
    out['registrations'] = registrations(msgs)
    hosts = sorted({c['src'] for c in calls} | {c['dst'] for c in calls}, key=ipkey)
    out['by_peer'] = [dict({'host': h}, **kpis([c for c in calls if h in (c['src'], c['dst'])]))
                      for h in hosts]
    pairs = sorted({(c['src'], c['dst']) for c in calls}, key=lambda p: (ipkey(p[0]), ipkey(p[1])))
    out['by_pair'] = [dict({'src': s, 'dst': d}, **kpis([c for c in calls if (c['src'], c['dst']) == (s, d)]))
                      for s, d in pairs]
    agents = []
    for role in ('caller', 'callee'):
        for a in sorted({c[role + '_agent'] for c in calls if c[role + '_agent']}):
            agents.append(dict({'agent': a, 'role': role}, **kpis([c for c in calls if c[role + '_agent'] == a])))
    out['by_agent'] = agents
    rt = collections.OrderedDict()
    for m in msgs:
        k = (m['src'], m['dst'])
        rt.setdefault(k, [0, 0])
        rt[k][0] += 1
        rt[k][1] += m['resend']
    out['retransmissions'] = [{'src': s, 'dst': d, 'messages': n, 'retransmitted': r}
                              for (s, d), (n, r) in sorted(rt.items(), key=lambda kv: (ipkey(kv[0][0]), ipkey(kv[0][1])))]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
