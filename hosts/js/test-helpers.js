// Shared by the tests (test/*.test.js): the wasm-rr binary, composing and transpiling the example apps once,
// running either host, and reading and editing binary traces.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { transpile } from "./src/run.js";
import { crc32cAppend, leb128 } from "./src/trace.js";

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

/** A LEB128 number at `at` in `data`: `[value, where it ends]`. */
function readLeb128(data, at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = data[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [value, at];
  }
}

/**
 * The parts of a binary trace of format 5: `{head, blocks: [{at, length, crc, records}],
 * records: [{tag, bytes}]}`, `head` the first two lines and `at` where a block's tag is.
 */
export function readRecords(file) {
  const data = fs.readFileSync(file);
  const headEnd = data.indexOf(10, data.indexOf(10) + 1) + 1;
  const blocks = [];
  const records = [];
  let at = headEnd;
  while (at < data.length) {
    if (data[at] !== 2) throw new Error(`${file}: a block starts with tag ${data[at]} at byte ${at}`);
    const [length, crcAt] = readLeb128(data, at + 1);
    const block = { at, length, crc: data.readUInt32LE(crcAt), records: [] };
    const end = crcAt + 4 + length;
    for (let record = crcAt + 4; record < end; ) {
      const tag = data[record];
      const [size, start] = readLeb128(data, record + 1);
      block.records.push({ tag, bytes: data.subarray(start, start + size) });
      record = start + size;
    }
    blocks.push(block);
    records.push(...block.records);
    at = end;
  }
  return { head: data.subarray(0, headEnd), blocks, records };
}

/** Writes a binary trace of format 5 from `readRecords`' parts: the records in one block, its CRC-32C right. */
export function writeRecords(file, { head, records }) {
  const parts = [];
  for (const { tag, bytes } of records) {
    parts.push(Buffer.from([tag, ...leb128(bytes.length)]), bytes);
  }
  const block = Buffer.concat(parts);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32cAppend(crc32cAppend(0, head), block));
  const blocks = block.length === 0 ? [] : [Buffer.from([2, ...leb128(block.length)]), crc, block];
  fs.writeFileSync(file, Buffer.concat([head, ...blocks]));
}

/** The message lines of stderr that come from wasm-rr (not from the guest). */
export function ourLines(stderr, trace) {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("wasm-rr:"))
    .map((line) => line.replaceAll(trace, "TRACE"));
}
