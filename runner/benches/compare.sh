#!/usr/bin/env bash
# Two builds of wasm-rr side by side, in one run, on clock_loop: plain, record and replay
# (JSON and binary), RUNS times each, alternating, and the median seconds of each.
#
#   bash runner/benches/compare.sh OLD/wasm-rr NEW/wasm-rr [READS] [RUNS]
#
# For "is this change neutral for WASI-only apps?": build the base commit into another
# target directory (`git worktree add /tmp/base REV && CARGO_TARGET_DIR=/tmp/base-target
# cargo build --release -p wasm-rr`) and compare. The full figures are `cargo bench -p
# wasm-rr --bench overhead`'s.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash runner/benches/compare.sh OLD_WASM_RR NEW_WASM_RR [READS] [RUNS]" >&2
  exit 2
fi
old=$1 new=$2 reads=${3:-1000000} runs=${4:-7}
app=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/examples/clock_loop/clock_loop.wasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() { # seconds of the command "$@", its output dropped
  /usr/bin/time -o "$work/time" -f %e "$@" >/dev/null 2>&1
  tail -1 "$work/time"
}
for _ in $(seq "$runs"); do
  for who in old new; do
    wasm_rr=${!who}
    echo "$who plain $(seconds "$wasm_rr" run "$app" -- "$reads")"
    for format in json bin; do
      trace=$work/trace.$format
      echo "$who record-$format $(seconds "$wasm_rr" record "$app" -t "$trace" -- "$reads")"
      echo "$who replay-$format $(seconds "$wasm_rr" replay "$app" "$trace")"
    done
  done
done >"$work/times"
echo "clock_loop, $reads reads, median of $runs runs (seconds):"
printf '%-14s %8s %8s\n' mode old new
for mode in plain record-json replay-json record-bin replay-bin; do
  median() { awk -v who="$1" -v mode="$mode" '$1 == who && $2 == mode { print $3 }' "$work/times" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  printf '%-14s %8s %8s\n' "$mode" "$(median old)" "$(median new)"
done
