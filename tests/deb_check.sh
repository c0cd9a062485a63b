#!/usr/bin/env bash
# tests/deb_check.sh - the Debian package: debian/ built with
# dpkg-buildpackage -us -uc -b from a copy of the working tree, lintian run
# on the .deb (no error tag allowed; the rest printed as comments), the
# package installed with dpkg -i, then the installed binary analyses a
# bundled capture, man shows the page, the schema and CI examples are in
# place, the bash completion completes; finally the package is removed.
# Needs root (dpkg -i). One ok/not ok line per check.
set -u
cd "$(dirname "$0")/.."
ok() { if [ "$1" = 0 ]; then echo "ok - deb $2"; else echo "not ok - deb $2: ${3:-}"; fi; }
if [ "$(id -u)" != 0 ]; then
	echo "not ok - deb: must run as root (dpkg -i)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sipaudit-deb.XXXXXX)
trap 'dpkg -r sipaudit >/dev/null 2>&1; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
# the files git knows or would take, as they are in the working tree
git ls-files -z --cached --others --exclude-standard | grep -zv '^testdata/captures/\|^tests/fuzz/corpus/' | xargs -0 tar -cf - | tar -xf - -C "$tmp/src"
(cd "$tmp/src" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1)
rc=$?
deb=$(ls "$tmp"/sipaudit_*_*.deb 2>/dev/null | head -1)
[ $rc = 0 ] && [ -n "$deb" ]; ok $? "dpkg-buildpackage -us -uc -b builds a .deb" "$(tail -15 "$tmp/build.log" | tr '\n' ' ')"
[ -n "$deb" ] || exit 0

lintian --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>&1
sed 's/^/# lintian: /' "$tmp/lintian.log"
! grep -q '^E: ' "$tmp/lintian.log"; ok $? "lintian: no error tag" "$(grep '^E: ' "$tmp/lintian.log" | tr '\n' ' ')"

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/sipaudit ./usr/share/man/man1/sipaudit.1.gz ./usr/share/doc/sipaudit/sipaudit.report-1.json \
	./usr/share/doc/sipaudit/json-report.md ./usr/share/doc/sipaudit/ci/sipaudit-ci.sh \
	./usr/share/bash-completion/completions/sipaudit ./usr/share/zsh/site-functions/_sipaudit; do
	grep -q " $f\$" <<<"$contents"; ok $? "the package holds $f"
done

dpkg -i "$deb" >"$tmp/install.log" 2>&1; ok $? "dpkg -i installs it" "$(tail -5 "$tmp/install.log" | tr '\n' ' ')"
out=$(/usr/bin/sipaudit --no-config --no-table testdata/captures/public/sip_captures__SIP-SDP-Example.pcap 2>&1)
rc=$?
{ [ $rc = 0 ] || [ $rc = 1 ]; } && grep -q 'SIP messages' <<<"$out"
ok $? "the installed binary analyses a bundled capture" "rc=$rc $out"
[ "$(/usr/bin/sipaudit --version)" = "sipaudit $(sed -n "s/^  version : '\(.*\)',/\1/p" meson.build)" ]
ok $? "the installed binary's version is the project's"
MANPAGER=cat man sipaudit 2>/dev/null | grep -q -- '--keylog FILE'; ok $? "man sipaudit shows the installed page (its --keylog entry)"
r=$(bash -c 'source /usr/share/bash-completion/completions/sipaudit
	COMP_WORDS=(sipaudit --format j); COMP_CWORD=2; _sipaudit sipaudit j --format; printf "%s " "${COMPREPLY[@]}"')
[ "$r" = "json jsonl junit " ]; ok $? "the installed bash completion completes --format j" "$r"
