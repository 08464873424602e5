# Builds a JavaScript example with componentize-js; sourced by its build.sh:
#
#   . "$here/../shared/componentize-js/componentize.sh"
#   componentize_js_prepare NAME "$@"   # checks OUT, installs the toolchain, fills $src
#   (or, alone: componentize_js_install TOOLCHAINS_DIR)
#   componentize_js WORLD [DISABLED_FEATURE...]   # builds $src into OUT
#
# Between the two, the example may add WIT packages to $src/wit/deps ($root is the
# repository). $src holds the example's app.js, its wit/world.wit and the project's
# wit/deps (WASI 0.2.12) but for wasi:http.
#
# componentize-js (pinned, with every package it depends on, by package.json and
# package-lock.json next to this file) is installed from npm, when missing, into
# ${WASM_RR_TOOLCHAINS:-<repo root>/target/toolchains}/componentize-js-<version>/. It
# carries the SpiderMonkey engine (StarlingMonkey), Wizer and the preview1 adapter; it
# downloads nothing at build time (only its --aot mode would fetch weval, unused here).
# Needs node (18 or newer), npm, flock and a C compiler (cc) for ../reproducible.c, which
# makes the output byte-reproducible.

COMPONENTIZE_JS_VERSION=0.23.0

# Installs the pinned toolchain into TOOLCHAINS/componentize-js-<version> unless it is
# there (jco and preview2-shim come with it: the JavaScript rr:log host's tests use them);
# sets $tool to that directory and $cjs_dir to this one.
componentize_js_install() {
  local toolchains=$1
  cjs_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  tool=$toolchains/componentize-js-$COMPONENTIZE_JS_VERSION
  mkdir -p "$toolchains"
  (
    flock 8
    if ! [ -f "$tool/.installed" ] || ! cmp -s "$cjs_dir/package-lock.json" "$tool/package-lock.json"; then
      rm -rf "$tool"
      mkdir -p "$tool"
      cp "$cjs_dir/package.json" "$cjs_dir/package-lock.json" "$tool/"
      # `npm install` with the lock file installs exactly the locked versions (`npm ci`
      # would too, but npm 11 refuses this lock file for the platform packages it leaves out).
      npm install --prefix "$tool" --no-save --ignore-scripts --no-audit --no-fund \
        --loglevel=error >/dev/null
      touch "$tool/.installed"
    fi
  ) 8>"$tool.lock"
}

componentize_js_prepare() {
  local name=$1
  shift
  if [ $# -ne 1 ]; then
    echo "usage: bash examples/$name/build.sh OUT" >&2
    exit 2
  fi
  out=$1
  case $out in /*) ;; *) out=$PWD/$out ;; esac
  cjs_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  root=$(cd "$cjs_dir/../../.." && pwd)
  local here=$root/examples/$name
  componentize_js_install "${WASM_RR_TOOLCHAINS:-$root/target/toolchains}"

  # componentize-js keeps the path of its work directory and of the source's directory in
  # the snapshot, so both are fixed paths, one per example, shared by every build of it on
  # the machine (one at a time). Everything else the build reads is copied there.
  base=/tmp/wasm-rr-${name//_/-}
  src=$base/src
  exec 9>"$base.lock"
  flock 9
  rm -rf "$base"
  mkdir -p "$src/wit/deps" "$base/tmp"
  trap 'rm -rf "$base"' EXIT
  cp "$here/app.js" "$src/"
  cp "$here/wit/world.wit" "$src/wit/"
  local package
  for package in cli clocks filesystem io random sockets; do
    mkdir -p "$src/wit/deps/$package"
    cp "$root/wit/deps/$package/"*.wit "$src/wit/deps/$package/"
  done

  # Wizer runs the app's top level; the shim gives that run the same random bytes, clocks,
  # file times, inode numbers and directory order on every build (see
  # examples/shared/reproducible.c).
  "${CC:-cc}" -O2 -shared -fPIC -o "$base/reproducible.so" "$cjs_dir/../reproducible.c"
  local wizer
  wizer=$(cd "$tool" && node --input-type=module \
    -e 'import wizer from "@bytecodealliance/wizer"; console.log(wizer)')
  cat >"$base/wizer" <<WIZER
#!/bin/sh
LD_PRELOAD=$base/reproducible.so SOURCE_DATE_EPOCH=0 exec $wizer "\$@"
WIZER
  chmod +x "$base/wizer"
}

componentize_js() {
  (
    cd "$src"
    TMPDIR=$base/tmp node "$cjs_dir/build.mjs" "$tool" "$base/wizer" "$out.tmp" "$@"
  )
  mv "$out.tmp" "$out"
}
