// The binary framing alone (blocks, records, CRC-32C; formats 5 and 4), and the event names
// against the wire schema.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { EVENT_NAMES, eventProblem } from "../src/events.js";
import { crc32cAppend, leb128, TraceReader, TraceWriter } from "../src/trace.js";
import { readRecords, REPO } from "../test-helpers.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wasm-rr-trace-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

const HEADER = { wasm_rr_version: "0.1.0", app_sha256: "ab".repeat(32) };
let files = 0;
const fresh = () => path.join(dir, `t${files++}.bin`);

/** An event of id `id` (wall-clock.now is 0) with `fields` after it. */
const event = (id, fields = []) => Uint8Array.from([...leb128(id), ...fields]);

/** Every event of the trace at `file`, and how it ended: `{events, outcome, cutShort}`. */
function readAll(file) {
  const reader = new TraceReader(file);
  const events = [];
  let bytes;
  while ((bytes = reader.next()) !== null) events.push(bytes);
  return { events, outcome: reader.outcome, cutShort: reader.cutShort, reader };
}

/** Writes `events` with a flush (a block) after each of `flushAfter`, then the end unless `end` is null. */
function write(file, events, { flushAfter = [], end = { exit: 0 } } = {}) {
  const writer = new TraceWriter(file, HEADER);
  events.forEach((bytes, i) => {
    writer.event(bytes);
    if (flushAfter.includes(i + 1)) writer.flush();
  });
  if (end === null) writer.flush();
  else writer.finish(end);
  return file;
}

/** `file` with the bits of `mask` flipped in the byte at `at`, as a new file. */
function flipped(file, at, mask = 1) {
  const bytes = fs.readFileSync(file);
  bytes[at] ^= mask;
  const damaged = fresh();
  fs.writeFileSync(damaged, bytes);
  return damaged;
}

test("CRC-32C is the Castagnoli one, and appends", () => {
  const digits = Buffer.from("123456789");
  assert.equal(crc32cAppend(0, digits), 0xe3069283);
  assert.equal(crc32cAppend(crc32cAppend(0, digits.subarray(0, 4)), digits.subarray(4)), 0xe3069283);
  assert.equal(crc32cAppend(0, new Uint8Array(0)), 0);
  assert.equal(crc32cAppend(0, new Uint8Array(32)), 0x8a9136aa);
});

test("events round-trip in format 5, small and large, and the end", () => {
  const file = fresh();
  const events = [event(0, [1, 2]), event(22, new Array(200).fill(7)), event(17, new Array(300_000).fill(9)), event(11)];
  write(file, events, { end: { exit: 3 } });
  const { events: read, outcome, reader } = readAll(file);
  assert.deepEqual(reader.header, { wasm_rr_trace: 5, ...HEADER });
  assert.deepEqual(read, events);
  assert.deepEqual(outcome, { exit: 3 });
  assert.equal(reader.eventsRead, 4);
  const { head, blocks } = readRecords(file);
  assert.equal(head.toString(), `wasm-rr binary trace\n{"wasm_rr_trace":5,"wasm_rr_version":"0.1.0","app_sha256":"${"ab".repeat(32)}"}\n`);
  // The large event ends the block it joins; the rest and the end go in one more.
  assert.deepEqual(
    blocks.map((block) => block.records.length),
    [3, 2],
  );
});

test("a block is written at 64 KiB and at each flush; its CRC-32C runs over the whole trace but the blocks' heads", () => {
  const file = fresh();
  // 13 bytes each, as a wall-clock reading: 15 with the record's head.
  const events = Array.from({ length: 10_000 }, (_, i) => event(0, [...leb128(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].slice(0, 12)));
  write(file, events, { flushAfter: [3] });
  assert.deepEqual(readAll(file).events, events);
  const { head, blocks } = readRecords(file);
  assert.equal(blocks[0].records.length, 3);
  assert.ok(blocks.length >= 4, `${blocks.length} blocks`);
  for (const block of blocks.slice(1, -1)) {
    assert.ok(block.length >= 64 << 10 && block.length < (64 << 10) + 16, `${block.length}`);
  }
  const data = fs.readFileSync(file);
  let crc = crc32cAppend(0, head);
  for (const block of blocks) {
    const headLength = 1 + leb128(block.length).length + 4;
    crc = crc32cAppend(crc, data.subarray(block.at + headLength, block.at + headLength + block.length));
    assert.equal(block.crc, crc);
  }
});

test("a flipped bit in a block: the block is damaged, and none of its events is handed out", () => {
  const file = write(fresh(), [event(0, [5]), event(0, [6]), event(0, [7])], { flushAfter: [1] });
  const { blocks } = readRecords(file);
  const second = blocks[1];
  for (const at of [second.at + 6, second.at + 6 + second.length - 1, second.at + 2]) {
    const damaged = flipped(file, at, 0x10);
    const reader = new TraceReader(damaged);
    assert.deepEqual(reader.next(), event(0, [5]));
    assert.throws(() => reader.next(), {
      name: "TraceError",
      message: `${damaged}: event 2: the trace is damaged: the block of ${second.length} bytes at byte ${second.at} does not match its checksum (CRC-32C)`,
    });
    assert.equal(reader.eventsRead, 1);
  }
});

test("a flipped bit in the header damages the first block", () => {
  const file = write(fresh(), [event(0, [5])]);
  const { head, blocks } = readRecords(file);
  // In the app's SHA-256: the header still reads, as another app's.
  const at = head.indexOf("abab");
  const damaged = flipped(file, at, 0x02);
  const reader = new TraceReader(damaged);
  assert.equal(reader.header.app_sha256.slice(0, 2), "cb");
  assert.throws(() => reader.next(), {
    message: `${damaged}: event 1: the trace is damaged: the block of ${blocks[0].length} bytes at byte ${blocks[0].at} does not match its checksum (CRC-32C)`,
  });
});

test("a block tag or length that cannot be right is damage", () => {
  const file = write(fresh(), [event(0, [5]), event(0, [6])], { flushAfter: [1] });
  const { blocks } = readRecords(file);
  const tag = flipped(file, blocks[1].at, 0x01);
  const reader = new TraceReader(tag);
  reader.next();
  assert.throws(() => reader.next(), {
    message: `${tag}: event 2: the trace is damaged at byte ${blocks[1].at}: a block starts with tag 3`,
  });
  const data = fs.readFileSync(file);
  const huge = fresh();
  fs.writeFileSync(huge, Buffer.concat([data.subarray(0, blocks[0].at), Buffer.from([2, ...leb128(3 << 20), 0, 0, 0, 0])]));
  assert.throws(() => readAll(huge), {
    message: `${huge}: event 1: the trace is damaged at byte ${blocks[0].at}: a block of ${3 << 20} bytes, more than a trace block may hold (2228240 bytes)`,
  });
});

test("a trace cut inside a block is cut short at the block before", () => {
  const file = write(fresh(), [event(0, [5]), event(0, [6]), event(0, [7])], { flushAfter: [1] });
  const data = fs.readFileSync(file);
  const { blocks } = readRecords(file);
  // Anywhere in the second block: its tag, its length, its CRC, its records.
  for (let end = blocks[1].at + 1; end < data.length; end++) {
    const cut = fresh();
    fs.writeFileSync(cut, data.subarray(0, end));
    const { events, cutShort, reader } = readAll(cut);
    assert.deepEqual(events, [event(0, [5])], `cut at ${end}`);
    assert.equal(cutShort, true);
    assert.equal(reader.cutShortMessage(), `${cut} was cut short after event 1: it has no end (its recording was killed, crashed or could not write the rest)`);
  }
});

test("a trace whose writer was flushed but not finished is cut short after its last event", () => {
  const file = write(fresh(), [event(0, [5]), event(0, [6])], { end: null });
  const { events, cutShort, reader } = readAll(file);
  assert.equal(events.length, 2);
  assert.equal(cutShort, true);
  assert.match(reader.cutShortMessage(), /was cut short after event 2:/);
});

test("a trace of format 4 is read: records without blocks", () => {
  const file = fresh();
  const header = `wasm-rr binary trace\n{"wasm_rr_trace":4,"wasm_rr_version":"0.1.0","app_sha256":"00"}\n`;
  const records = [
    [0, event(0, [5, 6])],
    [0, event(17, new Array(70_000).fill(1))],
    [1, Buffer.from('{"exit":0}')],
  ];
  const parts = records.map(([tag, bytes]) => Buffer.concat([Buffer.from([tag, ...leb128(bytes.length)]), bytes]));
  fs.writeFileSync(file, Buffer.concat([Buffer.from(header), ...parts]));
  const { events, outcome, reader } = readAll(file);
  assert.equal(reader.header.wasm_rr_trace, 4);
  assert.deepEqual(events, [records[0][1], records[1][1]]);
  assert.deepEqual(outcome, { exit: 0 });
  // Cut in a record: the events before it.
  const cut = fresh();
  fs.writeFileSync(cut, Buffer.concat([Buffer.from(header), parts[0], parts[1].subarray(0, 100)]));
  const short = readAll(cut);
  assert.equal(short.events.length, 1);
  assert.equal(short.cutShort, true);
});

test("format 4 traces from wasm-rr's corpus read as the Rust reader reads them", () => {
  const corpus = path.join(REPO, "trace/tests/corpus");
  const cut = readAll(path.join(corpus, "binary-cut.bin"));
  assert.equal(cut.cutShort, true);
  assert.throws(() => readAll(path.join(corpus, "binary-unknown-event-id.bin")), { message: /: event \d+: unknown event id \d+$/ });
  assert.throws(() => readAll(path.join(corpus, "binary-unknown-tag.bin")), { message: /: event \d+: unknown record tag \d+$/ });
  assert.throws(() => readAll(path.join(corpus, "binary-after-end.bin")), { message: /: bytes after the end of the trace$/ });
});

test("every event has a known id", () => {
  assert.equal(eventProblem(event(0, [1])), null);
  assert.equal(eventProblem(event(125)), null);
  assert.equal(eventProblem(event(126)), "unknown event id 126");
  assert.equal(eventProblem(event(300)), "unknown event id 300");
  assert.equal(eventProblem(Uint8Array.of()), "an event without an id");
  assert.equal(eventProblem(Uint8Array.of(0x80)), "an event without an id");
  assert.equal(eventProblem(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f)), "an event without an id");
  assert.equal(eventProblem(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x00)), null);
  const file = write(fresh(), [event(0, [5]), event(200, [1])]);
  const reader = new TraceReader(file);
  reader.next();
  assert.throws(() => reader.next(), { message: `${file}: event 2: unknown event id 200` });
});

test("nothing may follow the end", () => {
  const file = write(fresh(), [event(0, [5])]);
  const after = fresh();
  fs.writeFileSync(after, Buffer.concat([fs.readFileSync(file), Buffer.from([2])]));
  assert.throws(() => readAll(after), { message: `${after}: bytes after the end of the trace` });
  // Nor a record after the end in its block.
  const { head, records } = readRecords(file);
  const inBlock = fresh();
  const block = Buffer.concat(
    [...records, records[0]].map(({ tag, bytes }) => Buffer.concat([Buffer.from([tag, ...leb128(bytes.length)]), bytes])),
  );
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32cAppend(crc32cAppend(0, head), block));
  fs.writeFileSync(inBlock, Buffer.concat([head, Buffer.from([2, ...leb128(block.length)]), crc, block]));
  assert.throws(() => readAll(inBlock), { message: `${inBlock}: bytes after the end of the trace` });
});

test("a header cut short, and another format version, are named", () => {
  const cut = fresh();
  fs.writeFileSync(cut, 'wasm-rr binary trace\n{"wasm_rr_trace":5,"wasm_rr_version":"0.1.0","app_sha256":"00"}');
  assert.throws(() => new TraceReader(cut), { message: `${cut}:2: cut short in its header: its recording was killed as it began` });
  const magic = fresh();
  fs.writeFileSync(magic, "wasm-rr binary trace\n");
  assert.throws(() => new TraceReader(magic), { message: `${magic}: cut short before its header was written: its recording was killed as it began` });
  for (const version of [3, 6]) {
    const file = fresh();
    fs.writeFileSync(file, `wasm-rr binary trace\n{"wasm_rr_trace":${version},"wasm_rr_version":"0.0.1","app_sha256":"00"}\n`);
    assert.throws(() => new TraceReader(file), {
      message: `${file}:2: trace format ${version} is not supported: this host reads formats 4 to 5`,
    });
  }
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
