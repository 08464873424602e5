// The JavaScript host against the Rust one, on the example apps: a trace recorded by either
// replays under the other with the same stdout, and a trace that diverges gets the same
// one-line message from both.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { app, node, ourLines, readRecords, run, WASM_RR, work, writeRecords } from "../test-helpers.js";

let dirs = 0;

/** A fresh directory for fs_tool, with its config.txt. */
function dataDir() {
  const dir = path.join(work, `data${dirs++}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "config.txt"), "name=wasm-rr\nmode=test\n# a comment\n");
  return dir;
}

/** Each app: the options and arguments a recording needs, and its stdin. */
const APPS = {
  print_time: { record: () => ({ options: [], args: [] }) },
  print_random: { record: () => ({ options: [], args: [] }) },
  read_stdin: { record: () => ({ options: [], args: [] }), input: "hello\nworld\nthird line\n" },
  fs_tool: { record: () => ({ options: ["--dir", `${dataDir()}::/data`], args: ["/data"] }) },
};

let traces = 0;
const traceName = (what) => path.join(work, `${what}-${traces++}.bin`);

/** Records `name` with wasm-rr into a binary trace; returns `{trace, stdout}`. */
function recordWithRust(name) {
  const a = app(name);
  const trace = traceName(`${name}-rust`);
  const { options, args } = APPS[name].record();
  const { stdout } = run(WASM_RR, ["record", "-t", trace, ...options, a.original, "--", ...args], {
    input: APPS[name].input,
  });
  return { trace, stdout };
}

for (const name of Object.keys(APPS)) {
  describe(name, () => {
    test("recorded under Node, replays under wasm-rr with the same stdout", () => {
      const a = app(name);
      const trace = traceName(`${name}-node`);
      const { options, args } = APPS[name].record();
      const recorded = node("record", a, [trace, ...options, "--", ...args], { input: APPS[name].input });
      assert.ok(recorded.stdout.length > 0, "the app printed something");
      for (const target of [a.wasm, a.original]) {
        const replayed = run(WASM_RR, ["replay", target, trace]);
        assert.deepEqual(replayed.stdout, recorded.stdout);
        assert.deepEqual(ourLines(replayed.stderr, trace), []);
      }
    });

    test("recorded under wasm-rr, replays under Node with the same stdout", () => {
      const a = app(name);
      const { trace, stdout } = recordWithRust(name);
      const replayed = node("replay", a, [trace]);
      assert.deepEqual(replayed.stdout, stdout);
      assert.deepEqual(ourLines(replayed.stderr, trace), []);
    });

    test("a trace cut to its first event diverges with the same message under both", () => {
      const a = app(name);
      const { trace } = recordWithRust(name);
      const { head, records } = readRecords(trace);
      const edited = traceName(`${name}-cut`);
      writeRecords(edited, { head, records: [records[0], records.at(-1)] });
      const rust = run(WASM_RR, ["replay", a.wasm, edited], { check: false });
      const js = node("replay", a, [edited], { check: false });
      assert.equal(rust.status, 125, rust.stderr);
      assert.equal(js.status, 125, js.stderr);
      const message = ourLines(rust.stderr, edited);
      assert.match(message.at(-1), /^wasm-rr: error: replay diverged from the trace at /);
      assert.deepEqual(ourLines(js.stderr, edited), message);
      assert.deepEqual(js.stdout, rust.stdout);
    });
  });
}

describe("more", () => {
  test("an event changed into another diverges with the same message under both", () => {
    const a = app("print_time");
    const { trace } = recordWithRust("print_time");
    const { head, records } = readRecords(trace);
    // Event 1 is wall-clock.now (id 0): make it wall-clock.resolution (id 1), same fields.
    assert.equal(records[0].bytes[0], 0);
    records[0].bytes = Buffer.from([1, ...records[0].bytes.subarray(1)]);
    const edited = traceName("print_time-changed");
    writeRecords(edited, { head, records });
    const rust = run(WASM_RR, ["replay", a.wasm, edited], { check: false });
    const js = node("replay", a, [edited], { check: false });
    assert.equal(js.status, 125);
    assert.equal(rust.status, 125);
    const message = ourLines(js.stderr, edited);
    assert.deepEqual(message, ourLines(rust.stderr, edited));
    assert.match(message.at(-1), /^wasm-rr: error: replay diverged from the trace at event 1 \(TRACE\): /);
  });

  test("the header is the one wasm-rr writes", () => {
    const a = app("print_time");
    const { trace: rust } = recordWithRust("print_time");
    const js = traceName("print_time-header");
    node("record", a, [js]);
    const line = (file) => readRecords(file).head.toString();
    assert.equal(line(js), line(rust));
    assert.match(line(js), /^wasm-rr binary trace\n\{"wasm_rr_trace":5,"wasm_rr_version":"[^"]+","app_sha256":"[0-9a-f]{64}"\}\n$/);
  });

  test("a trace written under Node converts to JSON and back to the same bytes", () => {
    const a = app("print_random");
    const trace = traceName("print_random-convert");
    node("record", a, [trace]);
    const json = path.join(work, "converted.json");
    const back = path.join(work, "converted.bin");
    run(WASM_RR, ["convert", trace, json]);
    run(WASM_RR, ["convert", json, back]);
    assert.deepEqual(fs.readFileSync(back), fs.readFileSync(trace));
    assert.match(fs.readFileSync(json, "utf8"), /"random.get-random-bytes"/);
  });

  test("an exit status is recorded and replayed", () => {
    const a = app("fs_tool");
    const trace = traceName("fs_tool-exit");
    // No directory: fs_tool cannot read its config and exits with 2.
    const recorded = node("record", a, [trace, "--", "/nowhere"], { check: false });
    assert.equal(recorded.status, 2, recorded.stderr);
    assert.equal(readRecords(trace).records.at(-1).bytes.toString(), '{"exit":2}');
    const rust = run(WASM_RR, ["replay", a.wasm, trace], { check: false });
    assert.equal(rust.status, 2, rust.stderr);
    const js = node("replay", a, [trace], { check: false });
    assert.equal(js.status, 2, js.stderr);
  });

  test("a different exit status is a divergence at the end", () => {
    const a = app("print_time");
    const { trace } = recordWithRust("print_time");
    const { head, records } = readRecords(trace);
    records[records.length - 1] = { tag: 1, bytes: Buffer.from('{"exit":3}') };
    const edited = traceName("print_time-exit3");
    writeRecords(edited, { head, records });
    const rust = run(WASM_RR, ["replay", a.wasm, edited], { check: false });
    const js = node("replay", a, [edited], { check: false });
    assert.equal(js.status, 125);
    assert.deepEqual(ourLines(js.stderr, edited), ourLines(rust.stderr, edited));
  });

  test("a trace cut short says so as wasm-rr does", () => {
    const a = app("print_time");
    const { trace } = recordWithRust("print_time");
    const { head, records } = readRecords(trace);
    const edited = traceName("print_time-short");
    writeRecords(edited, { head, records: records.slice(0, -1) });
    const rust = run(WASM_RR, ["replay", a.wasm, edited], { check: false });
    const js = node("replay", a, [edited], { check: false });
    assert.equal(js.status, 125);
    assert.deepEqual(ourLines(js.stderr, edited), ourLines(rust.stderr, edited));
  });

  test("a damaged block stops both hosts with the same message", () => {
    const a = app("print_random");
    const { trace } = recordWithRust("print_random");
    const { blocks } = readRecords(trace);
    const last = blocks.at(-1);
    const bytes = fs.readFileSync(trace);
    bytes[bytes.length - 2] ^= 0x40;
    const edited = traceName("print_random-damaged");
    fs.writeFileSync(edited, bytes);
    const rust = run(WASM_RR, ["replay", a.wasm, edited], { check: false });
    const js = node("replay", a, [edited], { check: false });
    assert.equal(rust.status, 125, rust.stderr);
    assert.equal(js.status, 125, js.stderr);
    const message = ourLines(js.stderr, edited);
    assert.deepEqual(message, ourLines(rust.stderr, edited));
    assert.match(message.at(-1), new RegExp(`^wasm-rr: error: TRACE: event \\d+: the trace is damaged: the block of ${last.length} bytes at byte ${last.at} does not match its checksum \\(CRC-32C\\)$`));
  });

  test("a JSON trace is refused with how to convert it", () => {
    const a = app("print_time");
    const trace = path.join(work, "print_time.json");
    run(WASM_RR, ["record", "-t", trace, a.original]);
    const js = node("replay", a, [trace], { check: false });
    assert.equal(js.status, 125);
    assert.equal(js.stderr, `wasm-rr: error: ${trace}: a JSON trace; convert it with \`wasm-rr convert ${trace} OUT.bin\`\n`);
  });

  test("a trace of another app is refused", () => {
    const { trace } = recordWithRust("print_time");
    const js = node("replay", app("print_random"), [trace], { check: false });
    assert.equal(js.status, 125);
    assert.match(js.stderr, /was recorded from another app/);
  });

  test("run: passthrough, nothing recorded", () => {
    const js = node("run", app("print_random"), []);
    assert.match(js.stdout.toString(), /random u64: \d+/);
  });
});
