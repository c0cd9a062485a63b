#!/usr/bin/env python3
"""End-to-end check of the audio exporter on the captures of
testdata/captures/audio (made by testdata/gen/audio/audio.sh with real SIPp
and baresip calls playing known tones, listed in TONES.tsv).

For every capture the exporter writes DIR/<n>-<direction>-<ssrc>.wav and
<n>-mix.wav; this script reads the capture itself (its own pcap/RTP reader,
no tshark) and checks, printing ok / not ok lines with the figures:
  - each stream's WAV lasts the stream's RTP timestamp span plus one packet
    time, within one packet time;
  - G.711: the WAV holds exactly the samples the RTP payloads decode to
    (this script's own G.711 decoder), each at its timestamp's place, and
    zeros exactly where sequence numbers are missing; the log's lost count
    is the number of missing sequence numbers;
  - the content is the tone played: frequency (zero crossings), RMS, and
    correlation with a sine of that frequency fitted to the samples;
  - the mix: stereo, caller left and callee right, each channel's tone, and
    (G.711) each channel equal to its stream's file at the offset of its
    first packet's capture time;
  - codecs not decoded (GSM) and SRTP: one log line per stream, no file;
  - the rules' findings on these captures (EXPECTED.audio.tsv, through
    tests/rules_expected.py).

Then, with PUBLIC_DIR (../shared/captures/public), two captures made by
someone else with other software (DrawMyCall: one call with G.722, one with
Opus, the same recording): each decodes to 8.5 s, and the two decodings have
the same loudness envelope (correlation of 10 ms RMS frames); the G.729
call of the same set is skipped with one line.

    audio_check.py BUILD_DIR [CAPTURE_DIR [PUBLIC_DIR]]
"""
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

N = 0
FAILED = 0


def ok(cond, msg):
    global N, FAILED
    N += 1
    if not cond:
        FAILED += 1
    print(("ok %d " if cond else "not ok %d ") % N + msg)
    return cond


# ---------------------------------------------------------------- pcap / RTP
def read_pcap(path):
    """(ts_seconds, frame bytes, linktype) for each record of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
    nano = struct.unpack(e + "I", data[:4])[0] == 0xA1B23C4D
    link = struct.unpack(e + "I", data[20:24])[0]
    off = 24
    out = []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        out.append((sec + frac / (1e9 if nano else 1e6), data[off:off + incl], link))
        off += incl
    return out


def rtp_packets(path):
    """RTP packets of a capture (IPv4/UDP over Ethernet or Linux cooked):
    dicts with time, src, dst, ssrc, pt, seq, ts, payload."""
    out = []
    for frame_no, (t, b, link) in enumerate(read_pcap(path), 1):
        if link == 1:
            if len(b) < 14:
                continue
            et, p = struct.unpack("!H", b[12:14])[0], 14
            if et == 0x8100:
                et, p = struct.unpack("!H", b[16:18])[0], 18
        elif link == 113:
            et, p = struct.unpack("!H", b[14:16])[0], 16
        else:
            continue
        if et != 0x0800 or len(b) < p + 20:
            continue
        ihl = (b[p] & 15) * 4
        if b[p + 9] != 17:
            continue
        src, dst = b[p + 12:p + 16], b[p + 16:p + 20]
        u = p + ihl
        sport, dport, ulen = struct.unpack("!HHH", b[u:u + 6])
        d = b[u + 8:u + ulen]
        if len(d) < 12 or d[0] >> 6 != 2 or 192 <= d[1] <= 223:
            continue
        if sport == 5060 or dport == 5060 or sport == 5070 or dport == 5070:
            continue
        cc, x, pad = d[0] & 15, d[0] & 0x10, d[0] & 0x20
        h = 12 + 4 * cc
        if x:
            h += 4 + 4 * struct.unpack("!H", d[h + 2:h + 4])[0]
        end = len(d) - (d[-1] if pad else 0)
        seq, ts, ssrc = struct.unpack("!HII", d[2:12])
        out.append(dict(frame=frame_no, time=t, src="%s:%d" % (".".join(map(str, src)), sport),
                        dst="%s:%d" % (".".join(map(str, dst)), dport), ssrc=ssrc, pt=d[1] & 0x7F,
                        seq=seq, ts=ts, payload=d[h:end]))
    return out


def streams_of(pkts):
    s = {}
    for p in pkts:
        s.setdefault((p["src"], p["dst"], p["ssrc"]), []).append(p)
    return s


def extend(values, bits):
    """Unwraps sequence numbers / timestamps (in arrival order)."""
    out, last, base = [], None, 0
    m = 1 << bits
    for v in values:
        if last is not None:
            d = (v - last) % m
            if d >= m // 2:
                d -= m
            base += d
        last = v
        out.append(base)
    return out


# ---------------------------------------------------------------- G.711
def ulaw(u):
    u = ~u & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return 0x84 - t if u & 0x80 else t - 0x84


def alaw(a):
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = t + 8 if seg == 0 else (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


ULAW = [ulaw(i) for i in range(256)]
ALAW = [alaw(i) for i in range(256)]


# ---------------------------------------------------------------- signals
def read_wav(path):
    with wave.open(path, "rb") as w:
        ch, rate, n = w.getnchannels(), w.getframerate(), w.getnframes()
        assert w.getsampwidth() == 2
        raw = w.readframes(n)
    s = struct.unpack("<%dh" % (len(raw) // 2), raw)
    chans = [list(s[c::ch]) for c in range(ch)]
    # the header must say what the file holds
    size = os.path.getsize(path)
    assert size == 44 + 2 * ch * n, "data size in the header disagrees with the file"
    return rate, chans


def loud(x, rate):
    """The longest part of x without silence: first to last sample above a
    floor, split where 8 or more samples in a row are exactly zero (the
    silence written for lost packets)."""
    idx = [i for i, v in enumerate(x) if abs(v) > 300]
    if not idx:
        return (0, 0)
    best, start, zeros = (0, 0), idx[0], 0
    for i in range(idx[0], idx[-1] + 1):
        if x[i] == 0:
            zeros += 1
            if zeros == 8 and i - 7 - start > best[1] - best[0]:
                best = (start, i - 7)
        else:
            if zeros >= 8:
                start = i
            zeros = 0
    if idx[-1] + 1 - start > best[1] - best[0]:
        best = (start, idx[-1] + 1)
    return best


def tone_figures(x, rate, freq):
    """(measured frequency, RMS, correlation with a fitted sine) over the
    loud part of x, leaving out 50 ms at each end."""
    a, b = loud(x, rate)
    a += rate // 20
    b -= rate // 20
    seg = x[a:b]
    if len(seg) < rate // 10:
        return 0, 0, 0
    zc = sum(1 for i in range(1, len(seg)) if (seg[i - 1] < 0) != (seg[i] < 0))
    f = zc * rate / (2 * len(seg))
    rms = math.sqrt(sum(v * v for v in seg) / len(seg))
    w = 2 * math.pi * freq / rate
    sn = [math.sin(w * i) for i in range(len(seg))]
    cs = [math.cos(w * i) for i in range(len(seg))]
    ss = sum(v * v for v in sn)
    cc = sum(v * v for v in cs)
    sc = sum(s * c for s, c in zip(sn, cs))
    xs = sum(v * s for v, s in zip(seg, sn))
    xc = sum(v * c for v, c in zip(seg, cs))
    det = ss * cc - sc * sc
    p = (xs * cc - xc * sc) / det
    q = (xc * ss - xs * sc) / det
    fit = [p * s + q * c for s, c in zip(sn, cs)]
    num = sum(v * g for v, g in zip(seg, fit))
    den = math.sqrt(sum(v * v for v in seg) * sum(g * g for g in fit))
    return f, rms, (num / den if den else 0)


# ---------------------------------------------------------------- running
def exporter(build):
    """The command that writes the WAV files: sipaudit --audio DIR (its
    notes go to stderr; the report is not needed)."""
    sa = os.path.join(build, "sipaudit")
    return lambda d, f: [sa, "--audio", d, "-o", os.devnull, f]


CODEC = {0: ("PCMU", 8000, 8000), 8: ("PCMA", 8000, 8000), 9: ("G722", 8000, 16000)}


def main():
    build = sys.argv[1]
    capdir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "testdata",
                                                                 "captures", "audio")
    tones = {}
    with open(os.path.join(capdir, "TONES.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cap, side, codec, fl, fr, amp, secs = line.rstrip("\n").split("\t")
            tones[(cap, side)] = (codec, float(fl), None if fr == "-" else float(fr), float(amp))
    cmd = exporter(build)
    tmp = tempfile.mkdtemp(prefix="audio_check.")
    try:
        # derived captures after the ones they come from
        for cap in sorted((f for f in os.listdir(capdir) if f.endswith(".pcap")), key=lambda f: ("-reorder" in f, f)):
            path = os.path.join(capdir, cap)
            out = os.path.join(tmp, cap[:-5])
            r = subprocess.run(cmd(out, path), capture_output=True, text=True)
            log = r.stderr
            files = sorted(os.listdir(out)) if os.path.isdir(out) else []
            check_capture(cap, path, out, log, files, tones, r.returncode)
        if len(sys.argv) > 3:
            check_public(cmd, sys.argv[3], tmp)
        # only the selected calls: a Call-ID filter over two inputs
        sel = os.path.join(tmp, "selected")
        r = subprocess.run([os.path.join(build, "sipaudit"), "--audio", sel, "--call-id", "audio-g711-*", "-o", os.devnull,
                            os.path.join(capdir, "audio-g711.pcap"), os.path.join(capdir, "audio-g722.pcap")],
                           capture_output=True, text=True)
        got = sorted(os.listdir(sel)) if os.path.isdir(sel) else []
        ok(r.returncode == 0 and got == ["1-callee-ca110000.wav", "1-caller-ca110000.wav", "1-mix.wav"],
           "--call-id audio-g711-* over audio-g711.pcap and audio-g722.pcap: only call 1's files (%s)" % ", ".join(got))
        # and the rules on these captures, as EXPECTED.audio.tsv says
        r = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules_expected.py"),
                            os.path.join(build, "sipaudit"), capdir], capture_output=True, text=True)
        lines = [l for l in r.stdout.splitlines() if l.startswith(("ok ", "not ok "))]
        ok(bool(lines), "rules_expected.py ran on %s (exit %d)" % (capdir, r.returncode))
        for l in lines:
            ok(l.startswith("ok "), l.split(" ", 1)[1] if l.startswith("ok ") else l.split(" ", 2)[2])
    finally:
        shutil.rmtree(tmp)
    print("# %d tests, %d failed" % (N, FAILED))
    return 1 if FAILED else 0


def check_capture(cap, path, out, log, files, tones, rc):
    pk = rtp_packets(path)
    streams = streams_of(pk)
    if cap in ("audio-gsm.pcap", "audio-srtp.pcap"):
        want = "codec not decoded" if "gsm" in cap else "SRTP"
        lines = [l for l in log.splitlines() if "skipped" in l]
        ok(len(streams) == 2 and len(lines) == 2 and all(want in l for l in lines),
           "%s: %d RTP streams, one 'skipped: %s' line each: %s" % (cap, len(streams), want, " | ".join(lines)))
        ok(not [f for f in files if f.endswith(".wav")], "%s: no WAV file written (%s)" % (cap, files))
        return
    ok(rc == 0, "%s: exporter exit status %d" % (cap, rc))
    if cap.endswith("-reorder.pcap"):
        # the same packets in another order: the same files as the original
        base = os.path.join(os.path.dirname(out), cap.replace("-reorder", "")[:-5])
        same = [f for f in files if os.path.isfile(os.path.join(base, f)) and
                open(os.path.join(base, f), "rb").read() == open(os.path.join(out, f), "rb").read()]
        ok(files and same == files, "%s: the same WAV files, byte for byte, as in order (%s)" % (cap, ", ".join(same)))
    t_first = {}
    for (src, dst, ssrc), ps in sorted(streams.items()):
        side = "caller" if src.startswith("192.0.2.10:") else "callee"
        name = "1-%s-%08x.wav" % (side, ssrc)
        if not ok(name in files, "%s: %s written for %s -> %s" % (cap, name, src, dst)):
            continue
        rate, chans = read_wav(os.path.join(out, name))
        tone = tones.get((cap, side), tones.get((cap.replace("-reorder", ""), side)))
        pts = [p["pt"] for p in ps]
        pt = max(set(pts), key=pts.count)  # the stream's codec: most of its packets
        events = sum(1 for p in ps if p["pt"] == 101)  # telephone-event in these captures' SDP
        codec, clock, want_rate = CODEC.get(pt, ("opus", 48000, 48000))
        # order by sequence number (the exporter reorders too)
        seqs = extend([p["seq"] for p in ps], 16)
        tss = extend([p["ts"] for p in ps], 32)
        order = sorted(range(len(ps)), key=lambda i: seqs[i])
        audio = [i for i in order if ps[i]["pt"] == pt]  # events, comfort noise aside
        step = min((tss[b] - tss[a]) for a, b in zip(audio, audio[1:]) if seqs[b] == seqs[a] + 1)
        span = (max(tss[i] for i in audio) - min(tss[i] for i in audio) + step) / clock
        ptime = step / clock
        n = len(chans[0])
        ok(rate == want_rate, "%s %s: %s at %d Hz" % (cap, name, codec, rate))
        ok(abs(n / rate - span) <= ptime,
           "%s %s: lasts %.3f s, the stream's timestamps span %.3f s (+- %.0f ms)" % (cap, name, n / rate, span,
                                                                                        ptime * 1000))
        t_first[side] = (ps[audio[0]]["time"], name, rate)
        missing = sorted(set(range(min(seqs), max(seqs) + 1)) - set(seqs))
        m = re.search(re.escape(name) + r": .*?[;,] (\d+) lost", log)
        ok(m is not None and int(m.group(1)) == len(missing),
           "%s %s: log says %s lost, the capture misses %d sequence numbers" % (cap, name, m.group(1) if m else "?",
                                                                              len(missing)))
        dups = len(seqs) - len(set(seqs))
        if dups:
            m = re.search(re.escape(name) + r": .*?, (\d+) duplicates dropped", log)
            ok(m is not None and int(m.group(1)) == dups, "%s %s: log says %s duplicates dropped, the capture has %d" %
               (cap, name, m.group(1) if m else "no", dups))
        if events:
            m = re.search(re.escape(name) + r": .*?, (\d+) telephone-event packets skipped", log)
            ok(m is not None and int(m.group(1)) == events,
               "%s %s: log says %s telephone-event packets skipped, the capture has %d (PT 101)" %
               (cap, name, m.group(1) if m else "no", events))
        ratio = want_rate // clock
        if codec in ("PCMU", "PCMA"):
            table = ULAW if codec == "PCMU" else ALAW
            exp = [0] * n
            ts0 = tss[audio[0]]
            for i in order:
                if ps[i]["pt"] != pt:
                    continue
                at = (tss[i] - ts0) * ratio
                for k, byte in enumerate(ps[i]["payload"]):
                    if at + k < n:
                        exp[at + k] = table[byte]
            diff = sum(1 for a, b in zip(exp, chans[0]) if a != b)
            ok(diff == 0, "%s %s: every sample is the RTP payload decoded at its timestamp (%d differ)" %
               (cap, name, diff))
            if missing:
                seq0 = seqs[audio[0]]
                holes = [(int((s - seq0) * step), int((s - seq0 + 1) * step)) for s in missing]
                silent = all(not any(chans[0][a:b]) for a, b in holes)
                ok(silent, "%s %s: silence exactly where the %d lost packets were (frames %s...)" %
                   (cap, name, len(missing), ", ".join("%d-%d" % h for h in holes[:4])))
        if tone:
            _, fl, fr, amp = tone
            want = [fl] if len(chans) == 1 else [fl, fr if fr else fl]
            for c, freq in enumerate(want):
                f, rms, corr = tone_figures(chans[c], rate, freq)
                rms_want = amp * 32767 / math.sqrt(2)
                lossy = codec in ("PCMU", "PCMA")
                ok(abs(f - freq) <= freq * 0.01 and abs(rms - rms_want) <= rms_want * (0.05 if lossy else 0.3)
                   and corr >= (0.99 if lossy and not missing else 0.9),
                   "%s %s%s: tone %.1f Hz (played %.0f), RMS %.0f (played %.0f), correlation with a sine %.4f" %
                   (cap, name, " channel %d" % c if len(chans) > 1 else "", f, freq, rms, rms_want, corr))
    # the mix
    mix = "1-mix.wav"
    if not ok(mix in files, "%s: %s written" % (cap, mix)):
        return
    rate, chans = read_wav(os.path.join(out, mix))
    ok(len(chans) == 2, "%s: the mix is stereo at %d Hz" % (cap, rate))
    t0 = min(v[0] for v in t_first.values())
    for c, side in enumerate(("caller", "callee")):
        if side not in t_first:
            continue
        t, name, srate = t_first[side]
        tone = tones.get((cap, side), tones.get((cap.replace("-reorder", ""), side)))
        if tone and tone[2] in (None, tone[1]):  # a stereo source is folded to mono: no single tone
            freq = tone[1]
            f, rms, corr = tone_figures(chans[c], rate, freq)
            ok(abs(f - freq) <= freq * 0.015, "%s mix: %s channel is the %s (%.1f Hz, played %.0f)" %
               (cap, "left" if c == 0 else "right", side, f, freq))
        if rate % srate == 0:
            _, sch = read_wav(os.path.join(out, name))
            mono = sch[0] if len(sch) == 1 else [int((a + b) / 2) for a, b in zip(sch[0], sch[1])]  # C division truncates
            up = rate // srate
            if up > 1:
                # linear interpolation: sample i lands on output i*up+up-1,
                # the up-1 outputs before it lean from sample i-1 towards it
                mono = [a + int((x - a) * (m + 1) / up) for i, x in enumerate(mono)
                        for a in [mono[i - 1] if i else x] for m in range(up)]
            off = round((t - t0) * rate)
            hit = [d for d in (-1, 0, 1) if off + d >= 0 and chans[c][off + d:off + d + len(mono)] == mono]
            ok(bool(hit), "%s mix: %s channel holds %s%s from %.3f s (its first packet's capture time)" %
               (cap, "left" if c == 0 else "right", name, " upsampled %d to %d Hz" % (srate, rate) if up > 1 else "",
                t - t0))


def envelope(x, rate, ms=10):
    m = rate * ms // 1000
    return [math.sqrt(sum(v * v for v in x[i:i + m]) / m) for i in range(0, len(x) - m + 1, m)]


def pearson(x, y):
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    mx, my = sum(x) / n, sum(y) / n
    num = sum((u - mx) * (v - my) for u, v in zip(x, y))
    den = math.sqrt(sum((u - mx) ** 2 for u in x) * sum((v - my) ** 2 for v in y))
    return num / den if den else 0


def check_public(cmd, pub, tmp):
    env = {}
    for codec, ssrc in (("g722", "043daaba"), ("opus", "043eee04")):
        cap = os.path.join(pub, "DrawMyCall__sip-rtp-%s.pcap" % codec)
        out = os.path.join(tmp, "public-" + codec)
        r = subprocess.run(cmd(out, cap), capture_output=True, text=True)
        name = "1-callee-%s.wav" % ssrc
        if not ok(r.returncode == 0 and os.path.isfile(os.path.join(out, name)),
                  "public %s: %s written (exit %d)" % (os.path.basename(cap), name, r.returncode)):
            continue
        rate, ch = read_wav(os.path.join(out, name))
        ok(abs(len(ch[0]) / rate - 8.5) <= 0.02, "public %s: %s lasts %.3f s (425 packets of 20 ms)" %
           (codec, name, len(ch[0]) / rate))
        env[codec] = envelope(ch[0], rate)
    if len(env) == 2:
        best = max((pearson(env["g722"][l:], env["opus"]) if l >= 0 else pearson(env["g722"], env["opus"][-l:]), l)
                   for l in range(-20, 21))
        ok(best[0] >= 0.9, "public: the G.722 and the Opus call decode to the same recording (envelope correlation "
           "%.3f at %d ms)" % (best[0], best[1] * 10))
    cap = os.path.join(pub, "DrawMyCall__sip-rtp-g729a.pcap")
    r = subprocess.run(cmd(os.path.join(tmp, "public-g729"), cap), capture_output=True, text=True)
    lines = [l for l in r.stderr.splitlines() if "skipped" in l]
    ok(len(lines) == 1 and "G729" in lines[0], "public g729a: one skip line: %s" % " | ".join(lines))


if __name__ == "__main__":
    sys.exit(main())
