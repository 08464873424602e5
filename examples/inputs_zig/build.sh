#!/usr/bin/env bash
# Builds inputs_zig into the file OUT, a wasm32-wasip1 core module:
#   bash examples/inputs_zig/build.sh OUT
# Installs the pinned Zig (PyPI's ziglang) into
# ${WASM_RR_TOOLCHAINS:-<repo root>/target/toolchains}/zig-$ZIG_VERSION/ when missing; Zig's
# caches live there too. Standard library only, no libc.
set -euo pipefail

ZIG_VERSION=0.17.1

if [ $# -ne 1 ]; then
    echo "usage: bash $0 OUT" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$1
case $out in /*) ;; *) out=$PWD/$out ;; esac

toolchains=${WASM_RR_TOOLCHAINS:-$root/target/toolchains}
dir=$toolchains/zig-$ZIG_VERSION
zig=$dir/ziglang/zig
if ! [ -x "$zig" ] || [ "$("$zig" version 2>/dev/null)" != "$ZIG_VERSION" ]; then
    echo "installing ziglang==$ZIG_VERSION into $dir" >&2
    mkdir -p "$toolchains"
    tmp=$(mktemp -d "$toolchains/.zig-$ZIG_VERSION.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
        --no-deps --no-compile --only-binary=:all: --target "$tmp" "ziglang==$ZIG_VERSION"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
fi

# ReleaseSmall strips debug info and names; the output holds no path and no timestamp.
export ZIG_GLOBAL_CACHE_DIR=$dir/cache ZIG_LOCAL_CACHE_DIR=$dir/cache
unset ZIG_LIB_DIR ZIG_VERBOSE_LINK ZIG_VERBOSE_CC ZIG_DEBUG_CMD
cd "$here"
nice -n 10 "$zig" build-exe -target wasm32-wasi -O ReleaseSmall -fstrip -fsingle-threaded \
    --name inputs_zig main.zig -femit-bin="$out"
