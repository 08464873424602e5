// The app's identity that `wasm-rr compose` embeds in a composed component: the custom
// section `wasm-rr` (composer/src/lib.rs `IDENTITY_SECTION`), holding
// `{"app_sha256": …, "wasm_rr_version": …, "wasm_rr_trace": 5}`. A trace's header names the
// app by that SHA-256 (of the app before composition), so the host needs it to record. The
// header's `wasm_rr_trace` is the format this host writes (trace.js `FORMAT_VERSION`), not
// the section's.

const SECTION = "wasm-rr";

function leb128(bytes, at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= bytes.length) throw new Error("a section that is cut short");
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    if (shift > 28) throw new Error("a LEB128 number longer than 5 bytes");
  }
}

/**
 * The identity in a composed component's `wasm-rr` section, parsed, or `null` when it
 * has none. Only the top level is read: `compose` appends the section there.
 */
export function identity(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("not a WebAssembly file");
  }
  let found = null;
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    let size;
    [size, at] = leb128(bytes, at + 1);
    const end = at + size;
    if (end > bytes.length) throw new Error("a section that is cut short");
    if (id === 0) {
      const [nameLength, nameAt] = leb128(bytes, at);
      const name = Buffer.from(bytes.subarray(nameAt, nameAt + nameLength)).toString("utf8");
      if (name === SECTION) {
        found = Buffer.from(bytes.subarray(nameAt + nameLength, end)).toString("utf8");
      }
    }
    at = end;
  }
  return found === null ? null : JSON.parse(found);
}
