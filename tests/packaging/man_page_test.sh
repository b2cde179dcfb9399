#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keeps the man pages true as the command line grows: fails when a subcommand, positional
# argument or option that the programs' --help shows is missing from the page.
#   man_page_test.sh VAECF VAECF_1 [VAECF_STUDIO VAECF_STUDIO_1]
# vaecf.1: every subcommand of `vaecf --help` needs a section `.SS "vaecf <sub> ..."` under
# COMMANDS. An option of `vaecf <sub> --help` must be in that section, or in DATA OPTIONS (the
# option groups shared by the data-reading subcommands) or GENERAL OPTIONS. Options the page
# documents but --help does not show are reported as warnings (the page may run ahead of the
# code for a moment), not failures.
set -uo pipefail

vaecf="$1" page="$2" studio="${3:-}" studio_page="${4:-}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
warn() { echo "warning: $*"; }

# Man source as plain text: \- becomes -, font escapes go, quotes stay.
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/--/g' -e 's/\\&//g' "$1"; }
# Lines from the .SH/.SS heading matching $2 (an awk regex) to the next heading of the same
# or a higher level.
section() {
    awk -v re="$2" '
        /^\.SH/ { if (on && level <= 2) on = 0 }
        /^\.SS/ { if (on && level == 2) on = 0 }
        !on && $0 ~ re { on = 1; level = ($0 ~ /^\.SH/) ? 1 : 2; print; next }
        on { print }' "$1"
}
# Does text $1 name option $2 as a whole word (not as the prefix of a longer option)?
names() { grep -Eq -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" <<<"$1"; }
# The options named in a piece of man text.
options_in() { grep -Eo -- '(^|[^A-Za-z0-9-])--?[A-Za-z][A-Za-z0-9-]*' <<<"$1" | sed -E 's/^[^-]//' | sort -u; }

# CLI11 help: prints "own NAME", "group NAME" and "pos NAME" lines.
parse_cli11() {
    awk '
        /^Positionals:/ { mode = "pos"; next }
        /^Options:/ { mode = "own"; next }
        /^Subcommands:/ { mode = "sub"; next }
        /^\[Option Group:/ { mode = "group"; next }
        mode == "pos" && /^  [A-Za-z]/ { print "pos " $1; next }
        mode == "sub" && /^  [A-Za-z]/ { print "sub " $1; next }
        (mode == "own" || mode == "group") && /^ +-/ {
            n = split($1, parts, ",")
            for (i = 1; i <= n; ++i) if (parts[i] ~ /^--?[A-Za-z]/) print mode " " parts[i]
        }'
}

[[ -x "$vaecf" ]] || { echo "FAIL: $vaecf is not built"; exit 1; }
[[ -r "$page" ]] || { echo "FAIL: no man page $page"; exit 1; }
text="$(plain "$page")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$text" >"$tmp/page"
shared="$(section "$tmp/page" '^\.SH "?DATA OPTIONS')
$(section "$tmp/page" '^\.SH "?GENERAL OPTIONS')"
synopsis="$(section "$tmp/page" '^\.SH "?SYNOPSIS')"
[[ -n "$(section "$tmp/page" '^\.SH "?GENERAL OPTIONS')" ]] || fail "vaecf.1 has no GENERAL OPTIONS section"

top="$("$vaecf" --help 2>&1)" || { echo "FAIL: vaecf --help failed"; exit 1; }
mapfile -t subs < <(parse_cli11 <<<"$top" | awk '$1 == "sub" { print $2 }')
((${#subs[@]} > 0)) || fail "vaecf --help lists no subcommands"
while read -r kind opt; do
    names "$shared" "$opt" || fail "vaecf $opt (vaecf --help) is not in GENERAL OPTIONS of vaecf.1"
done < <(parse_cli11 <<<"$top" | awk '$1 == "own"')

checked=0
for sub in "${subs[@]}"; do
    sect="$(section "$tmp/page" "^\\.SS \"?vaecf $sub( |\"|\$)")"
    if [[ -z "$sect" ]]; then
        fail "subcommand '$sub' has no section '.SS \"vaecf $sub ...\"' in vaecf.1"
        continue
    fi
    names "$synopsis" "$sub" || fail "subcommand '$sub' is not in the SYNOPSIS of vaecf.1"
    help="$("$vaecf" "$sub" --help 2>&1)" || { fail "vaecf $sub --help failed"; continue; }
    shown=()
    while read -r kind name; do
        case "$kind" in
            pos)
                names "$sect" "$name" || fail "vaecf $sub: argument '$name' is not in its section of vaecf.1" ;;
            own | group)
                shown+=("$name")
                checked=$((checked + 1))
                names "$sect" "$name" || names "$shared" "$name" ||
                    fail "vaecf $sub: option $name (shown by 'vaecf $sub --help') is not in vaecf.1" ;;
        esac
    done < <(parse_cli11 <<<"$help")
    # The other way round: options the section documents that --help does not show.
    while read -r opt; do
        [[ -z "$opt" ]] && continue
        grep -qxF -- "$opt" <<<"$(printf '%s\n' "${shown[@]}")" ||
            warn "vaecf.1 documents $opt for 'vaecf $sub', but 'vaecf $sub --help' does not show it"
    done < <(options_in "$(sed 1d <<<"$sect")")
done
echo "vaecf.1: ${#subs[@]} subcommands, $checked subcommand options checked"

# vaecf-studio.1 against Qt's help ("  -h, --help  ...", "Arguments:" then "  data  ...").
if [[ -n "$studio" ]]; then
    if [[ ! -x "$studio" ]]; then
        fail "$studio is not built"
    elif [[ ! -r "$studio_page" ]]; then
        fail "no man page $studio_page"
    else
        stext="$(plain "$studio_page")"
        shelp="$(QT_QPA_PLATFORM=offscreen "$studio" --help 2>&1)" || fail "vaecf-studio --help failed"
        n=0
        while read -r opt; do
            n=$((n + 1))
            names "$stext" "$opt" || fail "vaecf-studio $opt (vaecf-studio --help) is not in vaecf-studio.1"
        done < <(awk '/^Options:/ { on = 1; next } /^[A-Za-z]/ { on = 0 }
                     on && /^ +-/ { for (i = 1; i <= NF; ++i) { t = $i; sub(/,$/, "", t)
                                     if (t ~ /^--?[A-Za-z]/) print t; if ($i !~ /,$/) break } }' <<<"$shelp")
        while read -r arg; do
            names "$stext" "$arg" || fail "vaecf-studio argument '$arg' is not in vaecf-studio.1"
        done < <(awk '/^Arguments:/ { on = 1; next } /^[A-Za-z]/ { on = 0 } on && /^  [A-Za-z]/ { print $1 }' <<<"$shelp")
        ((n > 0)) || fail "found no options in vaecf-studio --help"
        echo "vaecf-studio.1: $n options checked"
    fi
fi

if ((failures)); then
    echo "$failures problem(s): document them in packaging/man/*.1.in"
    exit 1
fi
echo "man pages cover the command lines"
