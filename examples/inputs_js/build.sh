#!/usr/bin/env bash
# Builds the inputs_js component: `bash examples/inputs_js/build.sh OUT`.
#
# componentize-js (pinned, with every package it depends on, by toolchain/package.json and
# toolchain/package-lock.json) is installed from npm, when missing, into
# ${WASM_RR_TOOLCHAINS:-<repo root>/target/toolchains}/componentize-js-<version>/. It
# carries the SpiderMonkey engine (StarlingMonkey), Wizer and the preview1 adapter; it
# downloads nothing at build time (only its --aot mode would fetch weval, unused here).
# The WIT is this example's world plus the project's wit/deps (WASI 0.2.12). Needs node
# (18 or newer), npm, flock and a C compiler (cc) for reproducible.c, which makes the output
# byte-reproducible.
set -euo pipefail

COMPONENTIZE_JS_VERSION=0.23.0

if [ $# -ne 1 ]; then
  echo "usage: bash examples/inputs_js/build.sh OUT" >&2
  exit 2
fi
out=$1
case $out in /*) ;; *) out=$PWD/$out ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
toolchains=${WASM_RR_TOOLCHAINS:-$root/target/toolchains}
tool=$toolchains/componentize-js-$COMPONENTIZE_JS_VERSION

if ! [ -f "$tool/.installed" ] || ! cmp -s "$here/toolchain/package-lock.json" "$tool/package-lock.json"; then
  rm -rf "$tool"
  mkdir -p "$tool"
  cp "$here/toolchain/package.json" "$here/toolchain/package-lock.json" "$tool/"
  # `npm install` with the lock file installs exactly the locked versions (`npm ci` would
  # too, but npm 11 refuses this lock file for the platform packages it leaves out).
  npm install --prefix "$tool" --no-save --ignore-scripts --no-audit --no-fund \
    --loglevel=error >/dev/null
  touch "$tool/.installed"
fi

# componentize-js keeps the path of its work directory and of the source's directory in
# the snapshot, so both are fixed paths, shared by every build on the machine (one at a
# time). Everything else the build reads is copied there.
base=/tmp/wasm-rr-inputs-js
exec 9>"$base.lock"
flock 9
rm -rf "$base"
mkdir -p "$base/src/wit/deps" "$base/tmp"
trap 'rm -rf "$base"' EXIT
cp "$here/app.js" "$here/build.mjs" "$base/src/"
cp "$here/wit/world.wit" "$base/src/wit/"
for package in cli clocks filesystem io random sockets; do
  mkdir -p "$base/src/wit/deps/$package"
  cp "$root/wit/deps/$package/"*.wit "$base/src/wit/deps/$package/"
done

# Wizer runs the app's top level; the shim gives that run the same random bytes, clocks,
# file times, inode numbers and directory order on every build (see examples/shared/reproducible.c).
"${CC:-cc}" -O2 -shared -fPIC -o "$base/reproducible.so" "$here/../shared/reproducible.c"
wizer=$(cd "$tool" && node --input-type=module \
  -e 'import wizer from "@bytecodealliance/wizer"; console.log(wizer)')
cat >"$base/wizer" <<EOF
#!/bin/sh
LD_PRELOAD=$base/reproducible.so SOURCE_DATE_EPOCH=0 exec $wizer "\$@"
EOF
chmod +x "$base/wizer"

(
  cd "$base/src"
  TMPDIR=$base/tmp node build.mjs "$tool" "$base/wizer" "$out.tmp"
)
mv "$out.tmp" "$out"
