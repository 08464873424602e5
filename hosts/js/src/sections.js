// The top level of a WebAssembly binary, read section by section without decoding more: what
// identity.js and imports.js need of a composed component.

/** The unsigned LEB128 number at `at` in `bytes`: `[value, where it ends]`. */
export function leb128(bytes, at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= bytes.length) throw new Error("a section that is cut short");
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    if (shift > 28) throw new Error("a LEB128 number longer than 5 bytes");
  }
}

/** The UTF-8 string at `at` in `bytes`, its length first: `[string, where it ends]`. */
export function string(bytes, at) {
  const [length, start] = leb128(bytes, at);
  if (start + length > bytes.length) throw new Error("a section that is cut short");
  return [Buffer.from(bytes.subarray(start, start + length)).toString("utf8"), start + length];
}

/** Throws unless `bytes` starts as WebAssembly does: `\0asm`, then its version and layer. */
function checkPreamble(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("not a WebAssembly file");
  }
}

/** Whether `bytes` is a component (layer 1), not a core module; throws if it is no wasm. */
export function isComponent(bytes) {
  checkPreamble(bytes);
  return bytes[6] === 1 && bytes[7] === 0;
}

/**
 * The top-level sections of `bytes`, in order, as `{id, start, end}` (the section's
 * contents are `bytes[start..end]`). Nested modules and components are inside theirs.
 */
export function* sections(bytes) {
  checkPreamble(bytes);
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    let size;
    [size, at] = leb128(bytes, at + 1);
    const end = at + size;
    if (end > bytes.length) throw new Error("a section that is cut short");
    yield { id, start: at, end };
    at = end;
  }
}
