#!/usr/bin/env bash
# Builds the kv_python component: `bash examples/kv_python/build.sh OUT`.
#
# componentize-py (pinned below) is installed from PyPI, when missing, into
# ${WASM_RR_TOOLCHAINS:-<repo root>/target/toolchains}/componentize-py-<version>/. Its
# wheel carries CPython 3.14, its standard library and the WASI adapter: nothing else is
# downloaded. The WIT is this example's world, the keyvalue and config packages of
# examples/wit/deps (as examples/kv_app uses) and the project's wit/deps (WASI 0.2.12, the
# version componentize-py 0.25 itself imports). Needs python3 (3.9 or newer) and a C
# compiler (cc) for reproducible.c, which makes the output byte-reproducible.
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1

if [ $# -ne 1 ]; then
  echo "usage: bash examples/kv_python/build.sh OUT" >&2
  exit 2
fi
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
toolchains=${WASM_RR_TOOLCHAINS:-$root/target/toolchains}
tool=$toolchains/componentize-py-$COMPONENTIZE_PY_VERSION

python=${PYTHON:-python3}
if ! [ -f "$tool/.installed" ]; then
  rm -rf "$tool"
  mkdir -p "$toolchains"
  "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
    --target "$tool" "componentize-py==$COMPONENTIZE_PY_VERSION"
  touch "$tool/.installed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The WIT: the world, and the WASI packages it depends on.
mkdir -p "$work/wit/deps" "$work/app"
cp "$here/wit/world.wit" "$work/wit/"
for package in cli clocks filesystem io random sockets; do
  mkdir -p "$work/wit/deps/$package"
  cp "$root/wit/deps/$package/"*.wit "$work/wit/deps/$package/"
done
for package in keyvalue config; do
  mkdir -p "$work/wit/deps/$package"
  cp "$root/examples/wit/deps/$package/"*.wit "$work/wit/deps/$package/"
done
# Only the app goes on the Python path: componentize-py snapshots the listing of every
# directory there. Without VIRTUAL_ENV it would add the host Python's site-packages (and
# its listing would end up in the component), so it gets an empty one.
cp "$here/app.py" "$work/app/"
mkdir -p "$work/venv/lib/site-packages"

# componentize-py snapshots the guest after running the app's top level; the shim gives
# that run the same random bytes, clocks, file times, inode numbers and directory order on
# every build (see examples/shared/reproducible.c). It is preloaded into the Python process alone: its
# seccomp filter would stop any program that process started (componentize-py starts
# none when VIRTUAL_ENV is set).
"${CC:-cc}" -O2 -shared -fPIC -o "$work/reproducible.so" "$here/../shared/reproducible.c"
interpreter=$("$python" -c 'import sys; print(sys.executable)')

case $out in /*) ;; *) out=$PWD/$out ;; esac
(
  cd "$work"
  env SOURCE_DATE_EPOCH=0 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV="$work/venv" PYTHONPATH="$tool" LD_PRELOAD="$work/reproducible.so" \
    "$interpreter" -c 'import sys; from componentize_py import script; sys.argv[0] = "componentize-py"; sys.exit(script())' \
    -q -d wit -w kv-python componentize -p app app -o "$out.tmp"
)
mv "$out.tmp" "$out"
