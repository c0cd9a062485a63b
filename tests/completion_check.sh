#!/usr/bin/env bash
# tests/completion_check.sh BUILD_DIR - the bash completion (completions/
# sipaudit.bash) run the way bash runs it: COMP_WORDS/COMP_CWORD set, the
# function called, COMPREPLY checked. Its option list must be --help's,
# its rule ids those of --list-rules. One ok/not ok line per check.
set -u
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
PATH=$build:$PATH
# shellcheck source=../completions/sipaudit.bash
source completions/sipaudit.bash

ok() { if [ "$1" = 0 ]; then echo "ok - completion $2"; else echo "not ok - completion $2: ${3:-}"; fi; }

comp() { # words... (the last is the word being completed)
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_sipaudit sipaudit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	printf '%s\n' "${COMPREPLY[@]}"
}
has() { grep -qx -- "$2" <<<"$1"; }

r=$(comp sipaudit --for)
has "$r" --format; ok $? "--for completes to --format" "$r"

# every option of --help is offered, and nothing --help does not have
help_opts=$(sipaudit --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
comp_opts=$(comp sipaudit -- | grep -- '^--' | sort -u)
[ "$help_opts" = "$comp_opts" ]; ok $? "the options are exactly --help's" "$(diff <(echo "$help_opts") <(echo "$comp_opts") | tr '\n' ' ')"

r=$(comp sipaudit --format j)
[ "$(echo "$r" | sort | tr '\n' ' ')" = "json jsonl junit " ]; ok $? "--format j: json jsonl junit" "$r"

r=$(comp sipaudit --fail-on w)
has "$r" warning; ok $? "--fail-on w: warning" "$r"

rules=$(sipaudit --no-config --list-rules | awk '{ print $1 }' | sort)
r=$(comp sipaudit --disable "" | sort)
[ "$r" = "$(printf '%s\n' all $rules | sort)" ]; ok $? "--disable: every rule id of --list-rules, and all" "$r"

r=$(comp sipaudit --rule bye,ack-m)
has "$r" bye,ack-missing; ok $? "--rule a,b: the last item of a comma list" "$r"

r=$(comp sipaudit --severity sdp-)
has "$r" sdp-nat=; ok $? "--severity RULE=: rule ids with =" "$r"
r=$(comp sipaudit --severity sdp-nat=e)
has "$r" sdp-nat=error; ok $? "--severity RULE=LEVEL: the level" "$r"

r=$(comp sipaudit --only reg)
has "$r" registrations; ok $? "--only: call kinds" "$r"

r=$(comp sipaudit vi)
has "$r" view; ok $? "the view subcommand" "$r"

r=$(comp sipaudit testdata/captures/tls/tls13-dsb)
has "$r" testdata/captures/tls/tls13-dsb.pcapng; ok $? "captures by file name" "$r"

r=$(comp sipaudit --split testdata/captures/t)
has "$r" testdata/captures/tls && ! has "$r" testdata/captures/tcp-call.pcap; ok $? "--split: directories only" "$r"

r=$(comp sipaudit --keylog testdata/captures/tls/tls13-aes128gcm.k)
has "$r" testdata/captures/tls/tls13-aes128gcm.keys; ok $? "--keylog: files" "$r"

if command -v zsh >/dev/null 2>&1; then
	zsh -n completions/_sipaudit; ok $? "zsh completion parses (zsh -n)"
fi
