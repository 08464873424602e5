// The imports of a composed component beyond WASI 0.2 and `rr:log`: `wasi:keyvalue`,
// `wasi:config`, an app's own WIT. The composed component's generic interposer imports
// them from the host and records what they return; in replay it answers from the trace and
// never calls them. So recording and passthrough take them from the embedder, as a jco
// import object, and replaying fills them with functions that throw, as `wasm-rr replay`
// defines them as traps (runner/src/host.rs).

import path from "node:path";
import { pathToFileURL } from "node:url";
import { isComponent, leb128, sections, string } from "./sections.js";

const IMPORT_SECTION = 10;

/**
 * The packages whose interfaces the host provides to every composed component, at WASI
 * 0.2 for `wasi:` (runner/src/host.rs `PROVIDED_PACKAGES`): jco's preview2-shim, and this
 * host's `rr:log`.
 */
const PROVIDED_PACKAGES = [
  "wasi:cli/",
  "wasi:clocks/",
  "wasi:filesystem/",
  "wasi:http/",
  "wasi:io/",
  "wasi:random/",
  "wasi:sockets/",
  "rr:log/",
];

/** Whether the host provides the import `name` (say `wasi:io/poll@0.2.12`) to every composed component. */
function providedAlways(name) {
  return PROVIDED_PACKAGES.some((p) => name.startsWith(p)) && (name.startsWith("rr:log/") || name.includes("@0.2."));
}

/** The key under which jco's `instantiate` reads the import `name`: its name without the version. */
function jcoKey(name) {
  const at = name.indexOf("@");
  return at === -1 ? name : name.slice(0, at);
}

/** Skips the extern descriptor of an import at `at` (its kind and type): where it ends. */
function skipExternDesc(bytes, at) {
  const kind = bytes[at++];
  if (kind === 0x00) return leb128(bytes, at + 1)[1]; // a core module: 0x11, its type
  if (kind === 0x02 || kind === 0x03) {
    // A value or a type: bound by an index (0x00) or a value type; or a fresh resource (0x03 0x01).
    const bound = bytes[at++];
    return kind === 0x03 && bound === 0x01 ? at : leb128(bytes, at)[1];
  }
  return leb128(bytes, at)[1]; // a function, component or instance: its type
}

/** The names of a component's own imports (`wasi:io/poll@0.2.12`, `acme:calls/source@0.1.0`), in order. */
export function importNames(bytes) {
  if (!isComponent(bytes)) throw new Error("not a component: compose the app with `wasm-rr compose` first");
  const names = [];
  for (const { id, start } of sections(bytes)) {
    if (id !== IMPORT_SECTION) continue;
    let [count, at] = leb128(bytes, start);
    for (; count > 0; count--) {
      // 0x00 before the name (0x01 in binaries before component-model#263).
      if (bytes[at] !== 0x00 && bytes[at] !== 0x01) throw new Error(`an import name of unknown form ${bytes[at]}`);
      let name;
      [name, at] = string(bytes, at + 1);
      names.push(name);
      at = skipExternDesc(bytes, at);
    }
  }
  return names;
}

/** An import that nothing provides, for a replay: it throws, as a replay must never call it. */
function unprovided(name) {
  return function () {
    throw new Error(`\`${name}\` was called in replay, where nothing provides it`);
  };
}

/**
 * The interface `name` for a replay: whatever jco's bindings read of it (functions, and
 * resources as classes) is a function that throws. Its members are not known here, hence
 * the proxy, which answers any name.
 */
function replayStub(name) {
  return new Proxy(
    {},
    {
      get: (_, member) => (typeof member === "string" ? unprovided(`${name}#${member}`) : undefined),
    },
  );
}

/**
 * The imports of the composed component `bytes` that the host does not provide, keyed as
 * jco's `instantiate` reads them (`acme:calls/source`), to add to its import object. When
 * `mode` is `"replay"` (as `rr:log`'s `getMode()` says it), stubs that throw; otherwise each
 * is taken from `provided`, keyed as jco reads it or by its full name
 * (`acme:calls/source@0.1.0`). Throws, before anything runs, for one that `provided` lacks,
 * and for a WASI 0.3 interface, which jco does not run yet.
 */
export function customImports(bytes, provided, mode) {
  const imports = {};
  for (const name of importNames(bytes)) {
    if (name.startsWith("wasi:") && name.includes("@0.3.")) {
      throw new Error(
        `the app imports \`${name}\`, of WASI 0.3, which this host does not run yet (jco's support for the component model's async is incomplete): record and replay it with \`wasm-rr\``,
      );
    }
    if (providedAlways(name)) continue;
    const key = jcoKey(name);
    if (mode === "replay") {
      imports[key] = replayStub(name);
      continue;
    }
    imports[key] = provided[key] ?? provided[name];
    if (imports[key] === undefined) {
      throw new Error(
        `the app imports \`${name}\`, which nothing provides: give it as "${key}" in the imports object (--imports PROVIDER.js, an ES module exporting it)`,
      );
    }
  }
  return imports;
}

/** The imports a provider module (`--imports PROVIDER.js`) exports: its default export, or `imports`. */
export async function loadImports(file) {
  const module = await import(pathToFileURL(path.resolve(file)).href);
  const imports = module.default ?? module.imports;
  if (imports === null || typeof imports !== "object") {
    throw new Error("no imports: its default export, or its export `imports`, must be an object keyed by interface");
  }
  return imports;
}
