// The app's identity that `wasm-rr compose` embeds in a composed component: the custom
// section `wasm-rr` (composer/src/lib.rs `IDENTITY_SECTION`), holding
// `{"app_sha256": …, "wasm_rr_version": …, "wasm_rr_trace": 5}`. A trace's header names the
// app by that SHA-256 (of the app before composition), so the host needs it to record. The
// header's `wasm_rr_trace` is the format this host writes (trace.js `FORMAT_VERSION`), not
// the section's.

import { sections, string } from "./sections.js";

const SECTION = "wasm-rr";
const CUSTOM = 0;

/**
 * The identity in a composed component's `wasm-rr` section, parsed, or `null` when it
 * has none. Only the top level is read: `compose` appends the section there.
 */
export function identity(bytes) {
  let found = null;
  for (const { id, start, end } of sections(bytes)) {
    if (id !== CUSTOM) continue;
    const [name, contents] = string(bytes, start);
    if (name === SECTION) found = Buffer.from(bytes.subarray(contents, end)).toString("utf8");
  }
  return found === null ? null : JSON.parse(found);
}
