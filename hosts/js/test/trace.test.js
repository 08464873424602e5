// The binary framing alone, and the event names against the wire schema.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { EVENT_NAMES } from "../src/events.js";
import { TraceReader, TraceWriter } from "../src/trace.js";
import { REPO } from "../test-helpers.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wasm-rr-trace-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

test("events round-trip, small and large, and the end", () => {
  const file = path.join(dir, "t.bin");
  const header = { wasm_rr_version: "0.1.0", app_sha256: "ab".repeat(32) };
  const events = [Uint8Array.of(0, 1, 2), new Uint8Array(200).fill(7), new Uint8Array(300_000).fill(9), Uint8Array.of()];
  const writer = new TraceWriter(file, header);
  events.forEach((event) => writer.event(event));
  writer.finish({ exit: 3 });
  const reader = new TraceReader(file);
  assert.deepEqual(reader.header, { wasm_rr_trace: 4, ...header });
  for (const event of events) assert.deepEqual(reader.next(), event);
  assert.equal(reader.next(), null);
  assert.deepEqual(reader.outcome, { exit: 3 });
  assert.equal(reader.eventsRead, 4);
});

test("a trace without its end is cut short", () => {
  const file = path.join(dir, "cut.bin");
  const writer = new TraceWriter(file, { wasm_rr_version: "0.1.0", app_sha256: "00" });
  writer.event(Uint8Array.of(5, 5, 5));
  writer.flush();
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from([0, 10, 1])]));
  const reader = new TraceReader(file);
  assert.deepEqual(reader.next(), Uint8Array.of(5, 5, 5));
  assert.equal(reader.next(), null);
  assert.equal(reader.cutShort, true);
  assert.match(reader.cutShortMessage(), /was cut short after event 1/);
});

test("another format version is named", () => {
  const file = path.join(dir, "v3.bin");
  fs.writeFileSync(file, 'wasm-rr binary trace\n{"wasm_rr_trace":3,"wasm_rr_version":"0.0.1","app_sha256":"00"}\n');
  assert.throws(() => new TraceReader(file), { message: `${file}:2: trace format 3 is not supported: this host reads format 4` });
});

test("the event names are the wire schema's", () => {
  const schema = fs.readFileSync(path.join(REPO, "trace/tests/wire-schema.txt"), "utf8");
  const expected = new Map(
    schema
      .trim()
      .split("\n")
      .map((line) => line.split(" "))
      .map(([id, name]) => [Number(id), name]),
  );
  assert.deepEqual(EVENT_NAMES, expected);
});
