// Shared by the tests (test/*.test.js): the wasm-rr binary, composing and transpiling the example apps once,
// running either host, and editing binary traces.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transpile } from "./src/run.js";
import { leb128 } from "./src/trace.js";

export const REPO = path.resolve(fileURLToPath(import.meta.url), "../../..");
export const WASM_RR = process.env.WASM_RR || path.join(REPO, "target/release/wasm-rr");
const CLI = path.join(REPO, "hosts/js/src/cli.js");

export const work = fs.mkdtempSync(path.join(os.tmpdir(), "wasm-rr-node-"));
process.on("exit", () => fs.rmSync(work, { recursive: true, force: true }));

const prepared = new Map();

/** `examples/NAME/NAME.wasm` composed, and transpiled with jco: `{wasm, transpiled}`. */
export function app(name) {
  if (!prepared.has(name)) {
    const wasm = path.join(work, `${name}.rr.wasm`);
    run(WASM_RR, ["compose", path.join(REPO, "examples", name, `${name}.wasm`), "-o", wasm]);
    const transpiled = transpile(wasm, path.join(work, `${name}.js`));
    prepared.set(name, { wasm, transpiled, original: path.join(REPO, "examples", name, `${name}.wasm`) });
  }
  return prepared.get(name);
}

/** Runs a command; returns `{status, stdout, stderr}` (stdout as a Buffer). */
export function run(command, args, { input, cwd = work, check = true, env = process.env } = {}) {
  const done = spawnSync(command, args, { input: input ?? "", cwd, env, maxBuffer: 64 << 20 });
  if (done.error) throw done.error;
  const result = { status: done.status, stdout: done.stdout, stderr: done.stderr.toString() };
  if (check && done.status !== 0) {
    throw new Error(`${command} ${args.join(" ")}: status ${done.status}\n${result.stderr}`);
  }
  return result;
}

/** `wasm-rr-node MODE ...` on the app's transpiled output. */
export function node(mode, a, args, options) {
  return run(process.execPath, [CLI, mode, a.wasm, ...args, "--transpiled", a.transpiled], options);
}

/** The records of a binary trace: `{head, records: [{tag, bytes}]}`. */
export function readRecords(file) {
  const data = fs.readFileSync(file);
  const headEnd = data.indexOf(10, data.indexOf(10) + 1) + 1;
  const records = [];
  let at = headEnd;
  while (at < data.length) {
    const tag = data[at++];
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = data[at++];
      length += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
    }
    records.push({ tag, bytes: data.subarray(at, at + length) });
    at += length;
  }
  return { head: data.subarray(0, headEnd), records };
}

/** Writes a binary trace from `readRecords`' parts. */
export function writeRecords(file, { head, records }) {
  const parts = [head];
  for (const { tag, bytes } of records) {
    parts.push(Buffer.from([tag, ...leb128(bytes.length)]), bytes);
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** The message lines of stderr that come from wasm-rr (not from the guest). */
export function ourLines(stderr, trace) {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("wasm-rr:"))
    .map((line) => line.replaceAll(trace, "TRACE"));
}
