#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A release build must run on any x86-64 processor: baseline x86-64 (SSE2) code everywhere,
# except the two kernel files that are compiled for x86-64-v3 and x86-64-v4 and only called
# after a CPU check (core/src/kernels/dispatch.cpp).
#   isa_baseline_test.sh BUILD_DIR NATIVE_ARCH BINARY...
# 1. compile_commands.json: no -m flag (no -march=native, no -mavx2, ...) on any file but
#    kernels_avx2.cpp (-mavx2 -mfma -mf16c -mbmi2) and kernels_avx512.cpp (those and
#    -mavx512f -mavx512bw -mavx512dq -mavx512vl).
# 2. The compiler's own default target is baseline x86-64 (no __AVX__, no __SSE3__).
# 3. The binaries: no instruction beyond SSE2 (no VEX/EVEX, no ymm/zmm, no SSE3/SSSE3/SSE4,
#    no BMI/POPCNT/LZCNT/MOVBE) outside functions of the avx2 and avx512 kernel namespaces
#    (TZCNT is allowed: GCC emits `rep bsf` for __builtin_ctz, which older processors run as
#    BSF with the same result for the non-zero inputs it is used on);
#    this also catches an inline function compiled with AVX2 in a kernel file that the linker
#    picked for the whole program.
# Exit 77 (skipped) for -DVAECF_NATIVE_ARCH=ON builds and on other processors.
set -uo pipefail

build="$1" native="$2"
shift 2
if [[ "$native" =~ ^(1|ON|On|on|TRUE|True|true|YES|Yes|yes)$ ]]; then
    echo "skipped: VAECF_NATIVE_ARCH=ON builds for this machine on purpose"
    exit 77
fi
case "$(uname -m)" in x86_64 | amd64) ;; *) echo "skipped: not an x86-64 machine"; exit 77 ;; esac
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# ---- 1. compile flags ------------------------------------------------------------------
db="$build/compile_commands.json"
[[ -r "$db" ]] || { echo "FAIL: $db is missing (CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 1; }
v3="-mavx2 -mfma -mf16c -mbmi2"
v4="$v3 -mavx512f -mavx512bw -mavx512dq -mavx512vl"
files=0
cxx=""
while IFS=$'\t' read -r file command; do
    files=$((files + 1))
    [[ -z "$cxx" ]] && cxx="$command"
    allowed=""
    case "$file" in
        */core/src/kernels/kernels_avx2.cpp) allowed="$v3" ;;
        */core/src/kernels/kernels_avx512.cpp) allowed="$v4" ;;
    esac
    for flag in $(grep -Eo -- '(^| )-m[^ ]+' <<<"$command"); do
        [[ " $allowed " == *" $flag "* ]] || fail "$flag in the compile command of $file"
    done
    [[ -z "$allowed" ]] || for flag in $allowed; do
        [[ " $command " == *" $flag "* ]] || fail "$file is compiled without $flag: its kernels are not built"
    done
done < <(awk '
    /^  "command": / { c = $0; sub(/^  "command": "/, "", c); sub(/",?$/, "", c) }
    /^  "file": / { f = $0; sub(/^  "file": "/, "", f); sub(/",?$/, "", f); print f "\t" c }' "$db")
((files > 0)) || fail "no compile commands found in $db"
echo "compile flags: $files compile commands checked"

# ---- 2. the compiler's default target --------------------------------------------------
# The compiler of the first command (after a launcher such as ccache).
compiler=""
for word in $cxx; do
    case "$word" in *ccache | *sccache | *distcc) continue ;; esac
    compiler="$word"
    break
done
if [[ -n "$compiler" ]] && command -v "$compiler" >/dev/null; then
    macros="$(echo | "$compiler" -dM -E -x c++ - 2>/dev/null)"
    grep -q '__SSE2__' <<<"$macros" || fail "$compiler does not target SSE2 by default"
    for m in __SSE3__ __SSSE3__ __SSE4_1__ __AVX__ __AVX2__ __AVX512F__; do
        grep -q "define $m " <<<"$macros" && fail "$compiler targets $m by default (not baseline x86-64)"
    done
    echo "default target of $compiler: baseline x86-64 (SSE2)"
fi

# ---- 3. the instructions in the binaries -----------------------------------------------
if ! command -v objdump >/dev/null; then
    echo "skipped the binary scan: objdump (binutils) is not installed"
else
    beyond='^(v[a-z0-9]+|popcnt|lzcnt|andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx|movbe|crc32[bwlq]?|pshufb|palignr|phadd[a-z]*|phsub[a-z]*|pabs[bwd]|psign[bwd]|pmaddubsw|pmulhrsw|ptest|round[sp][sd]|pmulld|dpp[sd]|insertps|extractps|pextr[bdq]|pinsr[bdq]|blendv?p[sd]|pblend[a-z]*|pmaxs[bd]|pmins[bd]|pmaxu[wd]|pminu[wd]|pcmpeqq|pcmpgtq|packusdw|pmov[sz]x[a-z]*|pminposuw|mpsadbw|movntdqa|lddqu|movddup|movs[hl]dup|hadd[sp][sd]|hsub[sp][sd]|addsubp[sd])$'
    for bin in "$@"; do
        [[ -x "$bin" ]] || { fail "$bin is not built"; continue; }
        bad="$(objdump -d -C --no-show-raw-insn "$bin" | awk -v beyond="$beyond" '
            /^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn)
                                  exempt = (fn ~ /kernels::avx(2|512)::/); next }
            exempt { next }
            /^ +[0-9a-f]+:\t/ {
                split($0, f, "\t"); insn = f[2]; op = insn; sub(/ .*/, "", op)
                if (op ~ beyond || insn ~ /%[yz]mm|%k[0-7]/) { n[fn]++; if (!(fn in ex)) ex[fn] = insn }
            }
            END { for (fn in n) printf "  %s: %d instruction(s), e.g. %s\n", fn, n[fn], ex[fn] }')"
        if [[ -n "$bad" ]]; then
            fail "$(basename "$bin") has code beyond baseline x86-64 outside the dispatched kernels:"
            head -20 <<<"$bad"
        else
            echo "$(basename "$bin"): baseline x86-64 outside the avx2/avx512 kernels"
        fi
    done
fi

if ((failures)); then
    echo "$failures problem(s): the release build would not run on every x86-64 processor"
    exit 1
fi
echo "baseline: x86-64 (SSE2); AVX2+FMA and AVX-512 kernels are chosen at start-up"
