# bash completion for sipaudit(1) -*- shell-script -*-
# Options, their values (formats, severities, rule ids from
# `sipaudit --list-rules`, call kinds, WHEN words), the `view` subcommand,
# and file names (captures; directories, which stand for every capture below).

_sipaudit_rules()
{
	"${1:-sipaudit}" --no-config --list-rules 2>/dev/null | awk '{ print $1 }'
}

_sipaudit()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n = || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local opts="--format --output --ladder --no-table --each --kpis --color --progress --quiet
		--fail-on --disable --enable --severity --baseline --write-baseline --list-rules --config --no-config
		--link-header --write --split --with-linked --audio --include --exclude --keylog --max-memory --jobs --pdd-threshold
		--call-id --user --method --status --rule --only --help --version
		-f -o -l -j -q -h -V"
	local list

	case $prev in
	-f | --format)
		COMPREPLY=($(compgen -W "text json jsonl junit messages html svg mermaid" -- "$cur"))
		return ;;
	--color | --progress)
		COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
		return ;;
	--fail-on)
		COMPREPLY=($(compgen -W "error warning info never" -- "$cur"))
		return ;;
	--only)
		COMPREPLY=($(compgen -W "calls registrations subscriptions messages options other" -- "$cur"))
		return ;;
	--method)
		COMPREPLY=($(compgen -W "INVITE ACK BYE CANCEL REGISTER OPTIONS SUBSCRIBE NOTIFY PUBLISH MESSAGE INFO PRACK UPDATE REFER" -- "$cur"))
		return ;;
	--disable | --enable | --rule)
		# a comma-separated list: complete the last item
		local pre=${cur%"${cur##*,}"} last=${cur##*,}
		list=$(_sipaudit_rules "${words[0]}")
		[ "$prev" != --rule ] && list="all $list"
		COMPREPLY=($(compgen -P "$pre" -W "$list" -- "$last"))
		return ;;
	--severity)
		if [[ $cur == *=* ]]; then
			COMPREPLY=($(compgen -P "${cur%%=*}=" -W "error warning info" -- "${cur#*=}"))
		else
			COMPREPLY=($(compgen -S = -W "$(_sipaudit_rules "${words[0]}")" -- "$cur"))
			compopt -o nospace 2>/dev/null
		fi
		return ;;
	--split | --audio)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	-o | --output | --write | --config | --keylog | --baseline | --write-baseline)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return ;;
	-l | --ladder | --link-header | --include | --exclude | --call-id | --user | --status | --max-memory | --pdd-threshold | -j | --jobs)
		return ;; # free text
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	if [ "$cword" -eq 1 ]; then
		COMPREPLY=($(compgen -W "view" -- "$cur"))
	fi
	# captures (any name: sipaudit reads them by content) and directories
	COMPREPLY+=($(compgen -f -- "$cur"))
	compopt -o filenames 2>/dev/null
}
complete -F _sipaudit sipaudit
