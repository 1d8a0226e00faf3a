# bash completion for rtkdump(8); installed as /usr/share/bash-completion/completions/rtkdump

_rtkdump()
{
    local cur prev words cword
    _init_completion || return

    local commands="validate facts plan apply status history"
    local common="--root --timeout --help"

    # The subcommand is the first word that is not an option.
    local i cmd=""
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} != -* ]]; then
            cmd=${words[i]}
            break
        fi
    done

    case $prev in
        --root | --textfile-dir)
            _filedir -d
            return
            ;;
        --state)
            _filedir '@(yaml|yml)'
            return
            ;;
        -o | --out)
            _filedir json
            return
            ;;
        --timeout | --lock-timeout)
            # a number of seconds: nothing to offer
            return
            ;;
    esac

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands --version --help" -- "$cur"))
        return
    fi

    local opts=""
    case $cmd in
        validate) opts="--help" ;;
        facts) opts="$common --json --state" ;;
        plan) opts="$common --json -o --out" ;;
        apply) opts="$common --json --textfile-dir --lock-timeout --crash-test --yes-crash-this-host" ;;
        status) opts="$common --json --textfile-dir" ;;
        history) opts="$common --json" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    case $cmd in
        validate | plan) _filedir '@(yaml|yml)' ;;
        apply) _filedir '@(yaml|yml|json)' ;;
    esac
} &&
    complete -F _rtkdump rtkdump
