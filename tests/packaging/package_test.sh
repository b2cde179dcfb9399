#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian package of the current build and checks it from the outside:
#   package_test.sh BUILD_DIR VERSION APP_ID WITH_UI
# 1. cpack -G DEB (into a scratch folder; the build folder is not touched);
# 2. dpkg-deb --info / --contents: name, version, section, a Depends line from dpkg-shlibdeps,
#    the expected files at their standard paths and nothing outside /usr, stripped binaries;
# 3. lintian (errors fail, warnings are listed), desktop-file-validate, appstreamcli validate
#    and man: each when installed, reported as skipped when not;
# 4. dpkg-deb -x into a scratch root, then from the installed files: `vaecf --version`,
#    `vaecf prepare demo`, `vaecf-studio --version` and the GUI smoke test on Qt's offscreen
#    platform (`vaecf-studio --smoke-test`: the demo, one epoch, every view).
# Exit 77 (skipped) where dpkg-deb is missing (not a Debian system).
set -uo pipefail

build="$1" version="$2" app_id="$3" with_ui="$4"
[[ "$with_ui" =~ ^(1|ON|On|on|TRUE|True|true|YES|Yes|yes)$ ]] && with_ui=1 || with_ui=0
if ! command -v dpkg-deb >/dev/null; then
    echo "skipped: dpkg-deb not found (the package is a Debian package)"
    exit 77
fi
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
skipped=()
skip() { echo "skipped: $*"; skipped+=("$*"); }
step() { echo "== $*"; }
start=$SECONDS

cpack="${CPACK:-cpack}"  # ctest passes the cpack of the cmake that configured the build
for tool in "$cpack" dpkg-shlibdeps file strip; do
    command -v "$tool" >/dev/null ||
        { echo "FAIL: $tool is missing (packaging/setup.sh installs cmake, dpkg-dev, file, binutils)"; exit 1; }
done

scratch="$(mktemp -d "${TMPDIR:-/tmp}/vaecf-package-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# ---- 1. build the package --------------------------------------------------------------
step "cpack -G DEB"
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1; then
    cat "$scratch/cpack.log"
    echo "FAIL: cpack could not build the package"
    exit 1
fi
shopt -s nullglob
debs=("$scratch"/out/*.deb)
if ((${#debs[@]} != 1)); then
    cat "$scratch/cpack.log"
    echo "FAIL: expected one .deb, found ${#debs[@]}"
    exit 1
fi
deb="${debs[0]}"
arch="$(dpkg --print-architecture)"
[[ "$(basename "$deb")" == "vaecf-studio_${version}_${arch}.deb" ]] ||
    fail "package file is $(basename "$deb"), expected vaecf-studio_${version}_${arch}.deb"
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1)"

# ---- 2. what is in it ------------------------------------------------------------------
step "dpkg-deb --info"
dpkg-deb --info "$deb" >/dev/null || fail "dpkg-deb --info failed"
dpkg-deb --field "$deb"
field() { dpkg-deb --field "$deb" "$1"; }
[[ "$(field Package)" == vaecf-studio ]] || fail "Package is '$(field Package)'"
[[ "$(field Version)" == "$version" ]] || fail "Version is '$(field Version)', the project is $version"
[[ "$(field Section)" == science ]] || fail "Section is '$(field Section)'"
[[ "$(field Architecture)" == "$arch" ]] || fail "Architecture is '$(field Architecture)'"
[[ -n "$(field Maintainer)" ]] || fail "no Maintainer"
[[ -n "$(field Homepage)" ]] || fail "no Homepage"
depends="$(field Depends)"
[[ -n "$depends" ]] || fail "empty Depends: dpkg-shlibdeps found no libraries"
needed=(libc6 libstdc++6 libtbb12 libarchive13 zlib1g)
((with_ui)) && needed+=(libqt6core6 libqt6gui6 libqt6widgets6 libqt6charts6 libqt6svg6 libqt6network6)
depends_names="$(tr ',|' '\n\n' <<<"$depends" | awk '{ print $1 }')"
for p in "${needed[@]}"; do
    grep -qxF -- "$p" <<<"$depends_names" || fail "Depends lacks $p"
done

step "dpkg-deb --contents"
contents="$(dpkg-deb --contents "$deb")" || fail "dpkg-deb --contents failed"
paths="$(awk '{ print $NF }' <<<"$contents")"
awk '{ print $1, $2, $NF }' <<<"$contents"
expect=(./usr/bin/vaecf
        ./usr/share/man/man1/vaecf.1.gz
        ./usr/share/doc/vaecf-studio/copyright
        ./usr/share/doc/vaecf-studio/changelog.gz)
((with_ui)) && expect+=(./usr/bin/vaecf-studio
                        "./usr/share/applications/$app_id.desktop"
                        "./usr/share/icons/hicolor/scalable/apps/$app_id.svg"
                        "./usr/share/metainfo/$app_id.metainfo.xml"
                        ./usr/share/man/man1/vaecf-studio.1.gz)
for p in "${expect[@]}"; do
    grep -qxF -- "$p" <<<"$paths" || fail "the package lacks $p"
done
outside="$(grep -vE '^\./(usr/(bin|share)/.*)?$|^\./usr/$' <<<"$paths")"
[[ -z "$outside" ]] || fail "files outside /usr/bin and /usr/share: $(tr '\n' ' ' <<<"$outside")"
grep -Eq '^\./usr/local' <<<"$paths" && fail "files under /usr/local"
bad_owner="$(awk '$2 != "root/root"' <<<"$contents")"
[[ -z "$bad_owner" ]] || fail "entries not owned by root/root: $bad_owner"

# ---- 3. extract, then check the files as installed -------------------------------------
root="$scratch/root"
dpkg-deb -x "$deb" "$root" || { echo "FAIL: dpkg-deb -x failed"; exit 1; }
progs=("$root/usr/bin/vaecf")
((with_ui)) && progs+=("$root/usr/bin/vaecf-studio")
for bin in "${progs[@]}"; do
    [[ -x "$bin" ]] || { fail "$bin is not executable"; continue; }
    grep -q 'not stripped' <<<"$(file -b "$bin")" && fail "$(basename "$bin") is not stripped"
    missing="$(ldd "$bin" 2>&1 | grep 'not found')"
    [[ -z "$missing" ]] || fail "$(basename "$bin") misses libraries: $missing"
done

step "lintian"
if command -v lintian >/dev/null; then
    lv="$(lintian --version)"
    # Errors fail the test; warnings are listed. (Running as root draws a note from lintian.)
    lintian --tag-display-limit 0 --fail-on error "$deb" >"$scratch/lintian.log" 2>&1
    rc=$?
    grep -v 'running with root privileges' "$scratch/lintian.log"
    errors=$(grep -c '^E: ' "$scratch/lintian.log")
    warnings=$(grep -c '^W: ' "$scratch/lintian.log")
    echo "$lv: $errors error(s), $warnings warning(s)"
    ((rc == 0 && errors == 0)) || fail "lintian reports errors"
else
    skip "lintian (not installed)"
fi

if ((with_ui)); then
    desktop="$root/usr/share/applications/$app_id.desktop"
    metainfo="$root/usr/share/metainfo/$app_id.metainfo.xml"
    # The id ties the desktop entry, the icon and the AppStream component together.
    grep -qx "Icon=$app_id" "$desktop" || fail "the desktop entry's Icon is not $app_id"
    grep -q '^Exec=vaecf-studio' "$desktop" || fail "the desktop entry does not start vaecf-studio"
    grep -q "<id>$app_id</id>" "$metainfo" || fail "the metainfo id is not $app_id"
    grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" ||
        fail "the metainfo does not launch $app_id.desktop"
    grep -q "<release version=\"$version\"" "$metainfo" || fail "the metainfo has no release $version"

    step "desktop-file-validate"
    if command -v desktop-file-validate >/dev/null; then
        desktop-file-validate "$desktop" || fail "desktop-file-validate reports errors"
        echo "desktop-file-validate $(dpkg-query -W -f='${Version}' desktop-file-utils 2>/dev/null): done"
    else
        skip "desktop-file-validate (package desktop-file-utils not installed)"
    fi
    step "appstreamcli validate"
    if command -v appstreamcli >/dev/null; then
        appstreamcli validate --no-net --explain "$metainfo" || fail "appstreamcli validate reports problems"
        echo "$(appstreamcli --version | head -1)"
    else
        skip "appstreamcli validate (package appstream not installed)"
    fi
fi

step "man"
pages=("$root/usr/share/man/man1/vaecf.1.gz")
((with_ui)) && pages+=("$root/usr/share/man/man1/vaecf-studio.1.gz")
if command -v man >/dev/null && man --version >/dev/null 2>&1; then
    for p in "${pages[@]}"; do
        # As lintian checks manual pages: any message from groff fails.
        out="$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)"
        [[ -z "$out" ]] || fail "man $(basename "$p"): $out"
        lines="$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$p" 2>/dev/null | wc -l)"
        ((lines > 20)) || fail "man $(basename "$p") renders only $lines lines"
        echo "$(basename "$p"): $lines lines, no warnings"
    done
else
    skip "man (man-db not installed)"
fi

# ---- 4. run the installed programs -----------------------------------------------------
step "run the installed programs"
export HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/home/.config" XDG_DATA_HOME="$scratch/home/.local/share"
export XDG_CACHE_HOME="$scratch/home/.cache" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
out="$("$root/usr/bin/vaecf" --version 2>&1)"
[[ "$out" == "vaecf $version" ]] || fail "vaecf --version prints '$out', expected 'vaecf $version'"
echo "vaecf --version: $out"
out="$("$root/usr/bin/vaecf" prepare demo --demo-users 300 --demo-items 100 2>&1)" ||
    fail "vaecf prepare demo failed: $out"
grep -q '^fingerprint:' <<<"$out" || fail "vaecf prepare demo printed no split: $out"
if ((with_ui)); then
    export QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES='qt.qpa.*=false'
    out="$("$root/usr/bin/vaecf-studio" --version 2>&1)"
    [[ "$out" == "vaecf-studio $version" ]] ||
        fail "vaecf-studio --version prints '$out', expected 'vaecf-studio $version'"
    echo "vaecf-studio --version: $out"
    if timeout 240 "$root/usr/bin/vaecf-studio" --smoke-test >"$scratch/smoke.log" 2>&1; then
        cat "$scratch/smoke.log"
    else
        rc=$?
        cat "$scratch/smoke.log"
        fail "vaecf-studio --smoke-test exited with $rc"
    fi
    [[ -z "$(ls -A "$HOME/.config" 2>/dev/null)" ]] || fail "the smoke test wrote settings into \$HOME: $(ls -A "$HOME/.config")"
fi

echo "== summary"
for s in "${skipped[@]}"; do echo "skipped: $s"; done
echo "$((SECONDS - start)) s"
if ((failures)); then
    echo "$failures problem(s)"
    exit 1
fi
echo "package $(basename "$deb") is good"
