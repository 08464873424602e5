#!/usr/bin/env node
// Serves a bundle (`wasm-rr bundle`) to a browser on 127.0.0.1: the page (index.html,
// replay.js), jco's browser WASI shim, and the bundle transpiled by jco (or a directory
// transpiled already). Prints the page's address; open it, and the replay runs.
//
//   node hosts/browser/serve.js repro.wasm [--port N]
//   node hosts/browser/serve.js TRANSPILED_DIR --module NAME.js [--port N]

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { jcoPath, locate } from "../js/src/run.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

/** Transpiles `wasm` with jco for the browser into a fresh directory: `{dir, module}`. */
function transpile(wasm) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wasm-rr-browser-"));
  const name = path.basename(wasm, ".wasm");
  const done = spawnSync(process.execPath, [jcoPath(), "transpile", wasm, "-o", dir, "--name", name, "-q", "--no-typescript"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (done.status !== 0) throw new Error(`jco transpile ${wasm} failed (status ${done.status})`);
  return { dir, module: `${name}.js` };
}

/** The file a request path names, inside one of the served roots; none for any other. */
function resolve(roots, url) {
  const pathname = decodeURIComponent(new URL(url, "http://localhost").pathname);
  for (const [prefix, root] of roots) {
    if (!pathname.startsWith(prefix)) continue;
    const file = path.join(root, pathname.slice(prefix.length) || "index.html");
    if (file.startsWith(root + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  }
  return undefined;
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { port: { type: "string", default: "0" }, module: { type: "string" } },
  });
  const [input] = positionals;
  if (!input || positionals.length > 1) {
    process.stderr.write("usage: serve.js BUNDLE.wasm | TRANSPILED_DIR --module NAME.js [--port N]\n");
    return 125;
  }
  const bundle = fs.statSync(input, { throwIfNoEntry: false })?.isDirectory()
    ? { dir: path.resolve(input), module: values.module ?? "bundle.js" }
    : transpile(input);
  const shim = path.dirname(locate("@bytecodealliance/preview2-shim", "dist/browser/cli.js"));
  const roots = [
    ["/shim/", shim],
    ["/bundle/", bundle.dir],
    ["/", HERE],
  ];
  const server = http.createServer((request, response) => {
    const file = resolve(roots, request.url);
    if (!file) {
      response.writeHead(404).end("not found\n");
      return;
    }
    response.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(response);
  });
  server.listen(Number(values.port), "127.0.0.1", () => {
    const { port } = server.address();
    process.stdout.write(`http://127.0.0.1:${port}/?module=bundle/${bundle.module}\n`);
  });
  return undefined;
}

const status = main();
if (status !== undefined) process.exitCode = status;
