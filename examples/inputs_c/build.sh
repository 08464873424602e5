#!/usr/bin/env bash
# Builds inputs_c into the file OUT, a wasm32-wasip1 core module:
#   bash examples/inputs_c/build.sh OUT
# The toolchain is Debian's: clang-19, lld-19 (wasm-ld), wasi-libc and compiler-rt's wasm32
# builtins (libclang-rt-19-dev-wasm32), installed with apt-get when missing, at the versions
# pinned below when Debian still has them. Another version may build other bytes: it is
# used, with a warning.
set -euo pipefail

LLVM_VERSION=1:19.1.7-3~deb12u1
WASI_LIBC_VERSION=0.0~git20220510.9886d3d-2
packages=(clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc)
versions=("$LLVM_VERSION" "$LLVM_VERSION" "$LLVM_VERSION" "$WASI_LIBC_VERSION")

if [ $# -ne 1 ]; then
    echo "usage: bash $0 OUT" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
case $out in /*) ;; *) out=$PWD/$out ;; esac

installed() {
    dpkg-query -W -f '${Status} ${Version}\n' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'
}
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
apt_install() {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
missing=() pinned=()
for i in "${!packages[@]}"; do
    if [ -z "$(installed "${packages[$i]}")" ]; then
        missing+=("${packages[$i]}")
        pinned+=("${packages[$i]}=${versions[$i]}")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${pinned[*]}" >&2
    apt_install "${pinned[@]}" 2>/dev/null ||
        { "${sudo[@]}" apt-get update -qq && apt_install "${pinned[@]}" 2>/dev/null; } ||
        { echo "inputs_c: the pinned versions are not available; installing Debian's" >&2 &&
            apt_install "${missing[@]}"; }
fi
for i in "${!packages[@]}"; do
    have=$(installed "${packages[$i]}")
    if [ "$have" != "${versions[$i]}" ]; then
        echo "inputs_c: warning: ${packages[$i]} is $have, not ${versions[$i]}: the output may differ" >&2
    fi
done

# Relative paths only, from the example's directory, so that nothing of the repository's
# place reaches the output (wasm-ld writes no build id or timestamp). --strip-all drops the
# name and producers sections; printf comes without floating point (none is printed).
cd "$here"
/usr/lib/llvm-19/bin/clang --target=wasm32-wasi -Oz -Wall -Wextra -Werror \
    -ffile-prefix-map="$here"=. \
    inputs_c.c -o "$out" \
    -Wl,--strip-all -lc-printscan-no-floating-point
