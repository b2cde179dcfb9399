#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One-command set-up for a fresh Debian 12 (bookworm) machine:
#   packaging/setup.sh run    install what is missing, build, start on the built-in demo dataset
#   packaging/setup.sh test   install what is missing, build, run the whole test suite (ctest)
#   packaging/setup.sh build  install what is missing and build
# Installs with apt-get when run as root; otherwise prints the exact apt-get line to run.
# Environment: BUILD_DIR (default: build), JOBS (default: all cores), CMAKE_ARGS (extra).
set -euo pipefail

mode="${1:-build}"
case "$mode" in run|test|build) ;; *) echo "usage: $0 run|test|build" >&2; exit 2 ;; esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
jobs="${JOBS:-$(nproc)}"

# Debian packages the build and the tests need (see README, "Dependencies").
packages=(cmake ninja-build g++ pkg-config
          qt6-base-dev qt6-charts-dev qt6-svg-dev libgl-dev libqt6opengl6-dev
          libeigen3-dev libtbb-dev libcli11-dev nlohmann-json3-dev
          libarchive-dev zlib1g-dev libfast-float-dev
          xvfb xauth
          dpkg-dev file)  # cpack -G DEB: dpkg-shlibdeps for Depends, file to find the binaries

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "== installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "Missing Debian packages. Run this, then run $0 $mode again:" >&2
        echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
fi

echo "== configuring in $build"
# shellcheck disable=SC2086
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >/dev/null
echo "== building with $jobs jobs"
cmake --build "$build" -j "$jobs"

case "$mode" in
    build) ;;
    test)
        ctest --test-dir "$build" --output-on-failure -j "$jobs"
        ;;
    run)
        if [[ -x "$build/app/vaecf-studio" ]]; then
            if [[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
                echo "No display: starting under xvfb-run (nothing will be visible)." >&2
                exec xvfb-run -a "$build/app/vaecf-studio" --demo
            fi
            exec "$build/app/vaecf-studio" --demo
        fi
        # Until the desktop app lands: train Mult-VAE on the demo dataset from the command line.
        exec "$build/app/vaecf" train demo --model mult-vae --epochs 30 \
            --set hidden_dims=200 --set latent_dim=32 --set batch_size=100 \
            --out "$build/demo-mult-vae.vaecf"
        ;;
esac
