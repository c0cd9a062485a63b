#!/usr/bin/env python3
"""tests/dirs_cli.py BINARY - directories as inputs, the way a CI job uses
them: every capture below a directory (recursively, by content: pcap,
pcapng, gzip holding one, and the formats sipaudit names and refuses), the
rest skipped and counted; --include/--exclude; a per-file summary and one
combined exit status; empty directories, unreadable entries, a link loop.
The trees are built here from testdata. One ok/not ok line per check."""
import gzip, json, os, shutil, subprocess, sys, tempfile

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAP = os.path.join(ROOT, 'testdata/captures')
TMP = tempfile.mkdtemp(prefix='sipaudit-dirs-')


def run(args):
    p = subprocess.run([BIN, '--no-config'] + args, cwd=TMP, capture_output=True,
                       env={k: v for k, v in os.environ.items() if k != 'SSLKEYLOGFILE'})
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def check(name, cond, detail=''):
    print(('ok - ' if cond else 'not ok - ') + 'dirs ' + name + ('' if cond else ': ' + str(detail)[:700]))


def put(rel, src=None, data=None, gz=False):
    p = os.path.join(TMP, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    b = open(os.path.join(CAP, src), 'rb').read() if src else data
    with open(p, 'wb') as f:
        f.write(gzip.compress(b) if gz else b)
    return p


# lab/  run1/ok.pcap  run1/deep/more/reg.pcapng  run2/bye481.cap (no telling name)
#       run2/call.gz (gzip by magic)  notes.txt  keys.log  old.tar.gz (gzip, not a capture)
put('lab/run1/ok.pcap', 'rules/call-ok.pcap')
put('lab/run1/deep/more/reg.pcapng', 'udp-call.pcapng')
put('lab/run2/bye481.cap', 'rules/bye-481-live.pcap')
put('lab/run2/call.gz', 'tcp-call.pcap', gz=True)
put('lab/notes.txt', data=b'capture notes\n')
put('lab/keys.log', 'tls/tls13-aes128gcm.keys')
put('lab/old.tar.gz', data=b'not a capture at all\n' * 10, gz=True)
os.symlink(os.path.join(TMP, 'lab'), os.path.join(TMP, 'lab/run1/loop'))  # a link back up

lab = os.path.join(TMP, 'lab')
rc, out, err = run(['-f', 'json', lab])
doc = json.loads(out) if out.startswith('{') else None
paths = [os.path.relpath(i['path'], lab) for i in doc['inputs']] if doc else []
check('a directory: every capture below it, by content, in path order',
      paths == ['run1/deep/more/reg.pcapng', 'run1/ok.pcap', 'run2/bye481.cap', 'run2/call.gz'], (paths, err))
check('the rest is skipped and said once: 3 files (notes, key log, a gzip of something else)',
      '3 files skipped, not captures' in err, err)
check('a link back up the tree is not followed again (no loop, no duplicate)', len(paths) == 4, paths)
check('the exit status combines the files: the bye-481 error in one makes it 1', rc == 1, (rc, err))

rc, out, err = run([lab])
lines = [l for l in out.splitlines() if ': ' in l and ' packets, ' in l]
check('text: one summary line per file', len(lines) == 4 and all(l.startswith(lab) for l in lines), out[-1500:])
check('text: the total names the files', 'from 4 files' in out, out[-300:])

rc, out, err = run(['-f', 'json', '--include', '*.pcap*', lab])
doc = json.loads(out)
check('--include *.pcap*: the pcap and pcapng files only',
      [os.path.basename(i['path']) for i in doc['inputs']] == ['reg.pcapng', 'ok.pcap'] and rc == 0, (rc, out[:300]))

rc, out, err = run(['-f', 'json', '--exclude', 'run2', '--exclude', 'deep', lab])
doc = json.loads(out)
check('--exclude a directory name: nothing below it',
      [os.path.basename(i['path']) for i in doc['inputs']] == ['ok.pcap'] and rc == 0, (rc, out[:300]))

rc, out, err = run(['-f', 'json', '--exclude', 'run2/*.gz', lab])
doc = json.loads(out)
check('--exclude a path below the directory',
      [os.path.basename(i['path']) for i in doc['inputs']] == ['reg.pcapng', 'ok.pcap', 'bye481.cap'], out[:300])

rc, out, err = run(['-f', 'json', '--include', '*.nothing', lab])
check('nothing left after --include: exit 2, said', rc == 2 and 'no capture in this directory (after --include/--exclude)' in err,
      (rc, err))

os.makedirs(os.path.join(TMP, 'empty'))
rc, out, err = run(['-f', 'json', os.path.join(TMP, 'empty'), os.path.join(CAP, 'rules/call-ok.pcap')])
doc = json.loads(out) if out.startswith('{') else None
check('an empty directory beside a capture: exit 2, the capture still analysed',
      rc == 2 and 'no capture in this directory' in err and doc and len(doc['inputs']) == 1 and doc['inputs'][0]['sip_messages'] == 7,
      (rc, err, out[:200]))

# damaged and foreign captures inside a directory
put('bad/truncated.pcap', 'corrupt/truncated.pcap')
put('bad/good.pcap', 'rules/call-ok.pcap')
rc, out, err = run(['-f', 'json', os.path.join(TMP, 'bad')])
doc = json.loads(out)
check('a truncated capture in a directory: said with its file and frame, read as far as it goes, the others analysed',
      'truncated.pcap: frame 7: truncated' in err and [i['complete'] for i in doc['inputs']] == [True, False]
      and doc['inputs'][1]['sip_messages'] == 6, (rc, err))

variants = os.path.join(CAP, 'variants')
foreign = sorted(f for f in os.listdir(variants) if not f.endswith(('.pcap', '.pcapng', '.md', '.sh', '.tsv')))
if foreign:
    put('foreign/' + foreign[0], 'variants/' + foreign[0])
    rc, out, err = run([os.path.join(TMP, 'foreign')])
    check('a capture format sipaudit refuses, found in a directory, is refused by name (exit 2), not skipped',
          rc == 2 and 'convert with' in err, (foreign[0], rc, err))

os.makedirs(os.path.join(TMP, 'locked/inner'))
put('locked/inner/x.pcap', 'rules/call-ok.pcap')
put('locked/y.pcap', 'rules/call-ok.pcap')
if os.geteuid() != 0:
    os.chmod(os.path.join(TMP, 'locked/inner'), 0)
    rc, out, err = run([os.path.join(TMP, 'locked')])
    check('an unreadable subdirectory: said, exit 2, the rest analysed', rc == 2 and 'Permission denied' in err
          and 'y.pcap' in out, (rc, err))
    os.chmod(os.path.join(TMP, 'locked/inner'), 0o755)
else:
    print('# running as root: directory permissions do not apply, the unreadable case is not checked')

rc, out, err = run(['--help'])
check('--help documents --include and --exclude', '--include GLOB' in out and '--exclude GLOB' in out)
shutil.rmtree(TMP, ignore_errors=True)
