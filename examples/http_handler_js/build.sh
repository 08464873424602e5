#!/usr/bin/env bash
# Builds the http_handler_js component: `bash examples/http_handler_js/build.sh OUT`.
#
# With componentize-js, by examples/shared/componentize-js/componentize.sh (which says what
# it installs and needs). The WIT is this example's world plus the project's wit/deps.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../shared/componentize-js/componentize.sh"
componentize_js_prepare http_handler_js "$@"

# The engine exports wasi:http/incoming-handler@0.2.10, and a world must name the version
# a component exports: the WIT of wasi:http@0.2.10 is the project's 0.2.12 one, relabelled.
# Its types and functions are the engine's (every one is since 0.2.0 or 0.2.1) but for the
# unstable send-informational, which the build leaves out.
mkdir -p "$src/wit/deps/http"
sed 's/^package wasi:http@0\.2\.12;$/package wasi:http@0.2.10;/' "$root/wit/deps/http/http.wit" \
  >"$src/wit/deps/http/http.wit"
if ! grep -qx 'package wasi:http@0.2.10;' "$src/wit/deps/http/http.wit"; then
  echo "wit/deps/http is no longer wasi:http@0.2.12: update this script" >&2
  exit 1
fi

# Every default feature: stdio (console and error reports), random, clocks, http (fetch)
# and fetch-event (the handler).
componentize_js handler
