#!/usr/bin/env bash
# Builds the inputs_js component: `bash examples/inputs_js/build.sh OUT`.
#
# With componentize-js, by examples/shared/componentize-js/componentize.sh (which says what
# it installs and needs). The WIT is this example's world plus the project's wit/deps
# (WASI 0.2.12).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../shared/componentize-js/componentize.sh"
componentize_js_prepare inputs_js "$@"
# A command: no fetch() and no wasi:http/incoming-handler, so no wasi:http imports.
componentize_js inputs http fetch-event
