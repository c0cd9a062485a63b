#!/bin/bash
# Print, for each capture made by these generators, what tshark sees:
# file format / link type(s), frames, frames matching "-Y sip", and SIP
# messages (one per CSeq header, so two messages in one frame count twice).
# usage: verify.sh [FILE...]   (default: every file listed in README.md's table)
set -euo pipefail
C=$(cd "$(dirname "$0")/../captures" && pwd)
cd "$C"
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(sed -n 's/^| `\([^`]*\)` |.*/\1/p' README.md)
printf '%-26s %-9s %-8s %-26s %6s %6s %6s\n' file format magic linktypes frames sipfr sipmsg
for f in "${files[@]}"; do
  fmt=$(capinfos -t -M "$f" 2>/dev/null | sed -n 's/^File type: *//p' | awk '{print $1}')
  lt=$(capinfos -M "$f" 2>/dev/null | sed -n 's/^ *Encapsulation *= .*([0-9]* - \(.*\))$/\1/p; s/^File encapsulation: *\([a-z].*\)$/\1/p' | grep -v per-packet | sort -u | paste -sd, -)
  magic=$(head -c4 "$f" | od -An -tx1 | tr -d ' ')
  frames=$(tshark -r "$f" 2>/dev/null | wc -l)
  sipfr=$(tshark -r "$f" -Y sip 2>/dev/null | wc -l)
  sipmsg=$(tshark -r "$f" -Y sip -T fields -e sip.CSeq -E occurrence=a -E aggregator='|' 2>/dev/null | tr '|' '\n' | grep -c . || true)
  printf '%-26s %-9s %-8s %-26s %6s %6s %6s\n' "$f" "$fmt" "$magic" "$lt" "$frames" "$sipfr" "$sipmsg"
done
