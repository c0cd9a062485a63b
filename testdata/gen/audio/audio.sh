#!/bin/bash
# Captures for `sipaudit --audio DIR`: testdata/captures/audio/*.pcap, real
# calls between two network namespaces (caller 192.0.2.10, callee
# 192.0.2.20; tcpdump on the caller's veth) whose media is a known tone, so
# tests/audio_check.py can compare the WAV files with what was played.
#
#  - audio-g711: SIPp on both sides (uac-tone.xml / uas-tone.xml). The
#    offer and answer list PCMU and PCMA; the caller plays caller.wav once
#    as PCMU (1000 Hz, 3 s, amplitude 0.3, mu-law), the callee plays
#    callee.wav once as PCMA (440 Hz, 2 s, amplitude 0.5, A-law) - SIPp's
#    rtp_stream action, 20 ms packets, written by ../media/mkwav.py.
#    audio-g711-reorder.pcap is derived from it by reorder.py: the callee's
#    packets swapped, held back and duplicated within a few packets.
#  - audio-g711-loss: the same call across a bridge namespace that drops
#    ~8 % of the RTP in each direction at random (nftables "numgen random"
#    on the bridge, as ../media/media.sh rtp-loss); tones 5 s / 4 s.
#  - audio-g722: two baresip (Debian baresip-core 1.0) with only G.722
#    (module g722, spandsp's codec): each plays a 16 kHz WAV through
#    aufile (caller 1000 Hz, callee 440 Hz), ALSA "null" player.
#  - audio-opus: the same with Opus only (module opus), 48 kHz stereo
#    source (left 440 Hz, right 1000 Hz) with opus_stereo / sprop-stereo,
#    played by the caller; the callee plays a mono 48 kHz 1000 Hz tone.
#  - audio-gsm: baresip with GSM only (module gsm): a codec --audio skips.
#  - audio-srtp: baresip with PCMU over SDES-SRTP (module srtp, mediaenc
#    srtp-mand: RTP/SAVP with a=crypto): encrypted, --audio skips it.
#  - audio-dtmf: baresip with PCMU and telephone-event (RFC 4733, PT 101);
#    the caller sends the digits 1, 5 and # (ctrl_tcp "sndcode") during the
#    call, so its stream holds event packets among the audio (same SSRC).
#  - audio-g722-pcmu: SIPp again, one dialog with two rates: the offer and
#    answer list G.722 and PCMU; the caller replays the caller's G.722 RTP of
#    audio-g722.pcap (play_pcap_audio, uac-g722.xml), the callee plays a
#    440 Hz mu-law tone as PCMU (uas-g722.xml): the mix is at 16 kHz with
#    the callee's 8 kHz upsampled. Needs audio-g722.pcap first.
# The tones (frequency, amplitude, length, codec, side) are written to
# testdata/captures/audio/TONES.tsv, which the check reads.
#
#   audio.sh NAME | all | list
# Needs root, iproute2, nft, tcpdump, tshark, sip-tester, baresip-core,
# python3.
source "$(dirname "$0")/../lib.sh"

SF="$GEN_DIR/audio"
MEDIA="$GEN_DIR/media"
OUT="$OUT_DIR/audio"
TONES="$OUT/TONES.tsv"
NS_R="${NSP}r"
IP_A=192.0.2.10 IP_B=192.0.2.20

CAPTURES=(audio-g711 audio-g711-loss audio-g722 audio-opus audio-gsm audio-srtp audio-dtmf audio-g722-pcmu)

audio_cleanup() {
  cleanup
  ip netns del "$NS_R" 2>/dev/null || true
}

CAP_FILE=
cap() { rm -f "$1"; CAP_FILE=$1; start_cap "$NS_A" vA "$1"; }

# sipp_call CALLEE_ARGS... -- CALLER_ARGS...: one SIPp call A -> B
sipp_call() {
  local b=() a=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do b+=("$1"); shift; done
  shift; a=("$@")
  (cd "$WORK" && exec ip netns exec "$NS_B" timeout 60 sipp -sf "$SF/${UAS_XML:-uas-tone.xml}" -i $IP_B -p 5060 \
     -m 1 -nd -nostdin "${b[@]}" >"$WORK/uas.log" 2>&1) &
  UAS_PID=$!; PIDS+=("$UAS_PID")
  sleep 0.5
  (cd "$WORK" && ip netns exec "$NS_A" timeout 60 sipp -sf "$SF/${UAC_XML:-uac-tone.xml}" -i $IP_A -p 5070 \
     -m 1 -nd -nostdin -cid_str "$NAME-%u@%s" "${a[@]}" $IP_B:5060 >"$WORK/uac.log" 2>&1) \
    || { echo "$NAME: sipp caller failed" >&2; tail -20 "$WORK/uac.log" >&2; exit 1; }
  wait_callee
}

# tone FILE RATE SECONDS AMPLITUDE FREQ_LEFT [FREQ_RIGHT]: a 16-bit PCM WAV
tone() {
  "$PY" - "$@" <<'EOF'
import math, struct, sys, wave
out, rate, secs, amp, fl = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
fr = float(sys.argv[6]) if len(sys.argv) > 6 else None
w = wave.open(out, "wb"); w.setnchannels(2 if fr else 1); w.setsampwidth(2); w.setframerate(rate)
a = int(amp * 32767)
fr_ = []
for i in range(int(rate * secs)):
    fr_.append(struct.pack("<h", int(a * math.sin(2 * math.pi * fl * i / rate))))
    if fr:
        fr_.append(struct.pack("<h", int(a * math.sin(2 * math.pi * fr * i / rate))))
w.writeframes(b"".join(fr_)); w.close()
EOF
}

# bs_conf DIR IP USER RTP_PORT CODEC SRATE CHANNELS WAV [EXTRA CONFIG LINES] [ACCOUNT PARAMS]
bs_conf() {
  local d=$1 ip=$2 user=$3 port=$4 codec=$5 srate=$6 ch=$7 wav=$8 extra=${9:-} acc=${10:-}
  local mod
  case "$codec" in
    G722) mod=g722.so ;; opus) mod=opus.so ;; GSM) mod=gsm.so ;; *) mod=g711.so ;;
  esac
  mkdir -p "$d"
  cat >"$d/config" <<EOF
poll_method		epoll
sip_listen		$ip:5060
call_local_timeout	120
audio_player		alsa,null
audio_source		aufile,$wav
audio_alert		alsa,null
ausrc_srate		$srate
auplay_srate		$srate
ausrc_channels		$ch
auplay_channels		$ch
audio_buffer		20-160
rtp_ports		$port-$((port + 99))
rtp_timeout		0
jitter_buffer_delay	5-10
module_path		/usr/lib/baresip/modules
module			$mod
module			aufile.so
module			alsa.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:4444
$extra
EOF
  echo "<sip:$user@$ip>;${acc}regint=0;audio_codecs=$codec" >"$d/accounts"
}
# bs_call SECONDS: the two configured baresips, A dials B, hangs up after SECONDS
bs_call() {
  nsx "$NS_B" timeout 60 baresip -f "$WORK/bs-b" >"$WORK/bs-b.log" 2>&1 &
  local pb=$!; PIDS+=("$pb")
  nsx "$NS_A" timeout 60 baresip -f "$WORK/bs-a" >"$WORK/bs-a.log" 2>&1 &
  local pa=$!; PIDS+=("$pa")
  bs_wait "$NS_A"; bs_wait "$NS_B"
  bs_ctl "$NS_A" dial "sip:bob@$IP_B"
  if [ -n "${BS_DURING:-}" ]; then eval "$BS_DURING"; fi
  sleep "$1"
  bs_ctl "$NS_A" hangup
  sleep 1
  bs_ctl "$NS_A" quit; bs_ctl "$NS_B" quit
  wait "$pa" "$pb" 2>/dev/null || true
}

# rtp_count FILE PT: RTP packets of payload type PT (tshark, heuristic RTP)
rtp_count() {
  tshark -r "$1" -o rtp.heuristic_rtp:TRUE -Y "rtp.p_type == $2" 2>/dev/null | wc -l
}
check() { eval "$1" || { echo "$NAME: capture check failed: $2" >&2; exit 1; }; }

# tones line: capture side codec freq_left freq_right amplitude seconds
tone_line() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$NAME.pcap" "$@" >>"$WORK/tones"; }

one() {
  NAME=$1
  local C="$OUT/$1.pcap" n
  : >"$WORK/tones"
  case "$1" in
    audio-g711)
      "$PY" "$MEDIA/mkwav.py" "$WORK/caller.wav" ulaw 1000 3 0.3
      "$PY" "$MEDIA/mkwav.py" "$WORK/callee.wav" alaw 440 2 0.5
      topo_pair; cap "$C"
      sipp_call -- -d 4000
      stop_cap
      check "[ \$(rtp_count $C 0) -ge 149 ] && [ \$(rtp_count $C 8) -ge 99 ]" "expected ~150 PCMU and ~100 PCMA packets"
      tone_line caller PCMU 1000 - 0.3 3; tone_line callee PCMA 440 - 0.5 2
      # and the callee's stream reordered and duplicated (reorder.py)
      "$PY" "$SF/reorder.py" "$C" "$OUT/audio-g711-reorder.pcap"
      ;;
    audio-g711-loss)
      "$PY" "$MEDIA/mkwav.py" "$WORK/caller.wav" ulaw 1000 5 0.3
      "$PY" "$MEDIA/mkwav.py" "$WORK/callee.wav" alaw 440 4 0.5
      topo_bridge
      nsx "$NS_R" nft -f - <<EOF
table bridge lossy {
  chain fw {
    type filter hook forward priority 0; policy accept;
    udp sport 6000 udp dport 6000 numgen random mod 100 < 8 counter drop
  }
}
EOF
      cap "$C"
      sipp_call -- -d 6000
      stop_cap
      nsx "$NS_R" nft list table bridge lossy | grep -o 'packets [0-9]*' | sed 's/^/  bridge dropped /' >&2
      n=$(( $(rtp_count $C 0) + $(rtp_count $C 8) ))
      check "[ $n -ge 380 ] && [ $n -le 440 ]" "expected 450 RTP packets less ~8 % (got $n)"
      tone_line caller PCMU 1000 - 0.3 5; tone_line callee PCMA 440 - 0.5 4
      ;;
    audio-g722)
      need baresip
      topo_pair
      tone "$WORK/a.wav" 16000 20 0.3 1000; tone "$WORK/b.wav" 16000 20 0.3 440
      bs_conf "$WORK/bs-a" $IP_A alice 40000 G722 16000 1 "$WORK/a.wav"
      bs_conf "$WORK/bs-b" $IP_B bob 41000 G722 16000 1 "$WORK/b.wav" "" "answermode=auto;"
      cap "$C"; bs_call 4; stop_cap
      check "[ \$(rtp_count $C 9) -ge 300 ]" "expected ~2 x 200 G.722 packets (PT 9)"
      tone_line caller G722 1000 - 0.3 -; tone_line callee G722 440 - 0.3 -
      ;;
    audio-opus)
      need baresip
      topo_pair
      tone "$WORK/a.wav" 48000 20 0.3 440 1000; tone "$WORK/b.wav" 48000 20 0.3 1000 1000
      local st=$'opus_stereo\t\tyes\nopus_sprop_stereo\tyes\nopus_bitrate\t\t64000'
      bs_conf "$WORK/bs-a" $IP_A alice 40000 opus 48000 2 "$WORK/a.wav" "$st"
      bs_conf "$WORK/bs-b" $IP_B bob 41000 opus 48000 2 "$WORK/b.wav" "$st" "answermode=auto;"
      cap "$C"; bs_call 4; stop_cap
      n=$(tshark -r "$C" -o rtp.heuristic_rtp:TRUE -Y "rtp.p_type >= 96" 2>/dev/null | wc -l)
      check "[ $n -ge 300 ]" "expected ~2 x 200 Opus packets (got $n)"
      tone_line caller opus 440 1000 0.3 -; tone_line callee opus 1000 1000 0.3 -
      ;;
    audio-gsm)
      need baresip
      topo_pair
      tone "$WORK/a.wav" 8000 20 0.3 1000; tone "$WORK/b.wav" 8000 20 0.3 440
      bs_conf "$WORK/bs-a" $IP_A alice 40000 GSM 8000 1 "$WORK/a.wav"
      bs_conf "$WORK/bs-b" $IP_B bob 41000 GSM 8000 1 "$WORK/b.wav" "" "answermode=auto;"
      cap "$C"; bs_call 3; stop_cap
      check "[ \$(rtp_count $C 3) -ge 200 ]" "expected GSM packets (PT 3)"
      ;;
    audio-srtp)
      need baresip
      topo_pair
      tone "$WORK/a.wav" 8000 20 0.3 1000; tone "$WORK/b.wav" 8000 20 0.3 440
      bs_conf "$WORK/bs-a" $IP_A alice 40000 PCMU 8000 1 "$WORK/a.wav" $'module\t\t\tsrtp.so' "mediaenc=srtp-mand;"
      bs_conf "$WORK/bs-b" $IP_B bob 41000 PCMU 8000 1 "$WORK/b.wav" $'module\t\t\tsrtp.so' "mediaenc=srtp-mand;answermode=auto;"
      cap "$C"; bs_call 3; stop_cap
      check "[ \$(tshark -r $C -Y sdp -T fields -e sdp.media_attr 2>/dev/null | grep -c 'crypto:') = 2 ]" "expected a=crypto in offer and answer"
      ;;
    audio-dtmf)
      need baresip
      topo_pair
      tone "$WORK/a.wav" 8000 20 0.3 1000; tone "$WORK/b.wav" 8000 20 0.3 440
      bs_conf "$WORK/bs-a" $IP_A alice 40000 PCMU 8000 1 "$WORK/a.wav"
      bs_conf "$WORK/bs-b" $IP_B bob 41000 PCMU 8000 1 "$WORK/b.wav" "" "answermode=auto;"
      cap "$C"
      BS_DURING="sleep 1.5; bs_ctl $NS_A sndcode 1; sleep 0.5; bs_ctl $NS_A sndcode 5; sleep 0.5; bs_ctl $NS_A sndcode '#'"
      bs_call 4; stop_cap
      BS_DURING=
      n=$(rtp_count "$C" 101)
      check "[ $n -ge 6 ]" "expected telephone-event packets (PT 101), got $n"
      tone_line caller PCMU 1000 - 0.3 -; tone_line callee PCMU 440 - 0.3 -
      ;;
    audio-g722-pcmu)
      tshark -r "$OUT/audio-g722.pcap" -o rtp.heuristic_rtp:TRUE -Y "rtp && ip.src == $IP_A" \
        -w "$WORK/g722.pcap" 2>/dev/null
      "$PY" "$MEDIA/mkwav.py" "$WORK/callee.wav" ulaw 440 3 0.5
      topo_pair; cap "$C"
      UAC_XML=uac-g722.xml UAS_XML=uas-g722.xml sipp_call -- -d 5000
      stop_cap
      check "[ \$(rtp_count $C 9) -ge 150 ] && [ \$(rtp_count $C 0) -ge 149 ]" "expected G.722 one way and PCMU the other"
      tone_line caller G722 1000 - 0.3 -; tone_line callee PCMU 440 - 0.5 3
      ;;
  esac
  report "$C"
  # this capture's lines in TONES.tsv
  touch "$TONES"
  grep -v -F "$NAME.pcap	" "$TONES" >"$WORK/t.old" || true
  cat "$WORK/tones" >>"$WORK/t.old"
  { printf '# capture\tside\tcodec\tfreq_left_hz\tfreq_right_hz\tamplitude\tseconds\n'
    for c in "${CAPTURES[@]}"; do grep -F "$c.pcap	" "$WORK/t.old" || true; done; } >"$TONES"
}

case "${1:-}" in
  list) printf '%s\n' "${CAPTURES[@]}"; exit 0 ;;
  "") echo "usage: $0 NAME|all|list" >&2; exit 2 ;;
esac
start_common
trap audio_cleanup EXIT INT TERM
mkdir -p "$OUT"
if [ "$1" = all ]; then set -- "${CAPTURES[@]}"; fi
for c in "$@"; do
  one "$c"
  audio_cleanup; trap audio_cleanup EXIT INT TERM
  WORK=$(mktemp -d /tmp/sipaudit-gen.XXXXXX)
done
