// Imports beyond WASI from a JS object: examples/call_loop imports `acme:calls/source`
// (examples/wit/calls.wit), which test/fixtures/call-provider.js provides. Recorded under
// Node with it, a run replays under Node with nothing provided and under `wasm-rr replay`;
// recorded under `wasm-rr` with the Rust provider, it replays under Node.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { customImports } from "../src/imports.js";
import { app, node, ourLines, readRecords, REPO, run, WASM_RR, work, writeRecords } from "../test-helpers.js";

const PROVIDER = fileURLToPath(new URL("fixtures/call-provider.js", import.meta.url));
const RUST_PROVIDER = path.join(REPO, "examples/call_provider/call_provider.wasm");
/** A generic call in a binary trace (trace/tests/wire-schema.txt: `call`). */
const CALL_EVENT = 125;

let traces = 0;
const traceName = (what) => path.join(work, `call_loop-${what}-${traces++}.bin`);

/** Records `call_loop ARGS` under Node with the JS provider: `{trace, stdout}`. */
function recordWithNode(args) {
  const trace = traceName("node");
  const { stdout } = node("record", app("call_loop"), [trace, "--imports", PROVIDER, "--", ...args]);
  return { trace, stdout };
}

for (const args of [["shift", "5"], ["bytes", "2"]]) {
  describe(`call_loop ${args.join(" ")}`, () => {
    test("recorded under Node with a JS provider, replays under Node with none and under wasm-rr", () => {
      const a = app("call_loop");
      const { trace, stdout } = recordWithNode(args);
      assert.match(stdout.toString(), new RegExp(`^${args[1]} ${args[0]} calls, checksum \\d+\n$`));
      const json = path.join(work, `${path.basename(trace)}.json`);
      run(WASM_RR, ["convert", trace, json]);
      const calls = fs.readFileSync(json, "utf8").match(new RegExp(`"call":"acme:calls/source@0.1.0#${args[0]}"`, "g"));
      assert.equal(calls?.length, Number(args[1]));
      const replayed = node("replay", a, [trace]);
      assert.deepEqual(replayed.stdout, stdout);
      assert.deepEqual(ourLines(replayed.stderr, trace), []);
      for (const target of [a.wasm, a.original]) {
        const rust = run(WASM_RR, ["replay", target, trace]);
        assert.deepEqual(rust.stdout, stdout);
        assert.deepEqual(ourLines(rust.stderr, trace), []);
      }
    });

    test("recorded under wasm-rr with the Rust provider, replays under Node with none", () => {
      const a = app("call_loop");
      const trace = traceName("rust");
      const { stdout } = run(WASM_RR, ["record", "-t", trace, "--link", RUST_PROVIDER, a.original, "--", ...args]);
      const replayed = node("replay", a, [trace]);
      assert.deepEqual(replayed.stdout, stdout);
      assert.deepEqual(ourLines(replayed.stderr, trace), []);
    });
  });
}

describe("call_loop, more", () => {
  test("a recorded argument changed diverges with the same message under both", () => {
    const a = app("call_loop");
    const { trace } = recordWithNode(["shift", "3"]);
    const { head, records } = readRecords(trace);
    // The first shift: function 0, 2 bytes of arguments, `at.seconds` 1 then `at.nanoseconds` 2.
    const call = records.find(({ bytes }) => bytes[0] === CALL_EVENT);
    assert.deepEqual([...call.bytes.subarray(1, 5)], [0, 2, 1, 2]);
    call.bytes = Buffer.from(call.bytes);
    call.bytes[3] = 7;
    const edited = traceName("changed");
    writeRecords(edited, { head, records });
    const rust = run(WASM_RR, ["replay", a.wasm, edited], { check: false });
    const js = node("replay", a, [edited], { check: false });
    assert.equal(rust.status, 125, rust.stderr);
    assert.equal(js.status, 125, js.stderr);
    const message = ourLines(js.stderr, edited);
    assert.deepEqual(message, ourLines(rust.stderr, edited));
    assert.match(message.at(-1), /^wasm-rr: error: replay diverged from the trace at event \d+ \(TRACE\): the guest called acme:calls\/source@0\.1\.0#shift\(/);
  });

  test("a recording without the import is refused in one line, before any trace", () => {
    const trace = traceName("refused");
    const js = node("record", app("call_loop"), [trace, "--", "shift", "1"], { check: false });
    assert.equal(js.status, 125);
    assert.equal(
      js.stderr,
      'wasm-rr: error: the app imports `acme:calls/source@0.1.0`, which nothing provides: give it as "acme:calls/source" in the imports object (--imports PROVIDER.js, an ES module exporting it)\n',
    );
    assert.equal(fs.existsSync(trace), false);
  });

  test("run: passthrough, with the JS provider", () => {
    const js = node("run", app("call_loop"), ["--imports", PROVIDER, "--", "bytes", "1"]);
    assert.match(js.stdout.toString(), /^1 bytes calls, checksum \d+\n$/);
  });

  test("a replay's imports beyond WASI throw, and a provider may name them with their version", () => {
    const component = fs.readFileSync(app("call_loop").wasm);
    const stubs = customImports(component, {}, "replay");
    assert.deepEqual(Object.keys(stubs), ["acme:calls/source"]);
    assert.throws(() => stubs["acme:calls/source"].shift({ seconds: 1n, nanoseconds: 2 }), {
      message: "`acme:calls/source@0.1.0#shift` was called in replay, where nothing provides it",
    });
    const source = { shift: (at) => at, bytes: (len) => new Uint8Array(Number(len)) };
    assert.equal(customImports(component, { "acme:calls/source@0.1.0": source }, "record")["acme:calls/source"], source);
  });
});

describe("WASI 0.3", () => {
  test("an app that imports it is refused in one line, before any trace is written", () => {
    const dir = fs.mkdtempSync(path.join(work, "p3-"));
    const member = "tests/rust/testsuite/wasm32-wasip3/cli-exit.wasm";
    run("tar", ["-xJf", path.join(REPO, "runner/tests/wasi-testsuite/tests-prebuilt.tar.xz"), "-C", dir, member]);
    const composed = path.join(dir, "cli-exit.rr.wasm");
    run(WASM_RR, ["compose", path.join(dir, member), "-o", composed]);
    const cli = path.join(REPO, "hosts/js/src/cli.js");
    for (const mode of ["record", "replay"]) {
      const trace = path.join(dir, `${mode}.bin`);
      const refused = run(process.execPath, [cli, mode, composed, trace], { check: false });
      assert.equal(refused.status, 125);
      assert.match(
        refused.stderr,
        /^wasm-rr: error: the app imports `wasi:cli\/[a-z]+@0\.3\.0`, of WASI 0\.3, which this host does not run yet \(jco's support for the component model's async is incomplete\): record and replay it with `wasm-rr`\n$/,
      );
      assert.equal(fs.existsSync(trace), false);
    }
  });
});
