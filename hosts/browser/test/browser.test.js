// Bundles replayed in a real browser: Debian's Chromium, headless, on the page that
// serve.js serves from 127.0.0.1. The page shows what `wasm-rr replay` prints.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { REPO, run, WASM_RR, work } from "../../js/test-helpers.js";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SERVE = path.join(REPO, "hosts/browser/serve.js");

const servers = [];
after(() => servers.forEach((server) => server.kill()));

/** Starts serve.js on `bundle`; resolves to the page's address. */
function serve(bundle) {
  const server = spawn(process.execPath, [SERVE, bundle], { stdio: ["ignore", "pipe", "inherit"] });
  servers.push(server);
  return new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (data) => {
      out += data;
      if (out.includes("\n")) resolve(out.trim());
    });
    server.on("exit", (status) => reject(new Error(`serve.js exited with ${status}`)));
  });
}

/** The page at `url` once the replay is done, as headless Chromium renders it. */
function render(url) {
  assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does)`);
  const profile = fs.mkdtempSync(path.join(work, "chromium-"));
  const { stdout } = run(CHROMIUM, [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    "--virtual-time-budget=30000",
    "--dump-dom",
    url,
  ]);
  const dom = stdout.toString();
  const text = (id) => {
    const found = dom.match(new RegExp(`id="${id}"[^>]*>([^<]*)<`));
    assert.ok(found, `no #${id} in the page:\n${dom}`);
    return found[1].replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
  };
  assert.match(dom, /data-done="true"/, "the replay finished");
  return { stdout: text("stdout"), stderr: text("stderr"), status: text("status") };
}

for (const name of ["print_time", "print_random", "read_stdin", "fs_tool", "inputs_go"]) {
  test(`golden ${name}, bundled, replays in Chromium as under wasm-rr`, async () => {
    const golden = path.join(REPO, "golden", name);
    const component = fs.readFileSync(path.join(golden, "metadata.toml"), "utf8").match(/^component = "(.*)"$/m)[1];
    const bundle = path.join(work, `${name}.wasm`);
    run(WASM_RR, ["bundle", path.join(REPO, component), path.join(golden, "trace.json"), "-o", bundle]);
    const page = render(await serve(bundle));
    assert.equal(page.stdout, fs.readFileSync(path.join(golden, "stdout.txt"), "utf8"));
    assert.equal(page.stderr, "");
    assert.equal(page.status, "0");
  });
}

test("a bundle whose run diverges shows what wasm-rr replay says, and status 125", async () => {
  const trace = path.join(work, "time.bin");
  run(WASM_RR, ["record", path.join(REPO, "examples/print_time/print_time.wasm"), "-t", trace]);
  const printRandom = path.join(REPO, "examples/print_random/print_random.wasm");
  const bundle = path.join(work, "diverges.wasm");
  run(WASM_RR, ["bundle", printRandom, trace, "-o", bundle, "--force"]);
  const replayed = run(WASM_RR, ["replay", printRandom, trace, "--force"], { check: false });
  const page = render(await serve(bundle));
  assert.match(replayed.stderr, /replay diverged from the trace at event 1/);
  assert.equal(page.stderr, replayed.stderr);
  assert.equal(page.status, "125");
});
