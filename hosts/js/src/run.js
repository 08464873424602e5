// Runs a component that `wasm-rr compose` composed, transpiled with jco, under Node: its
// `rr:log` from this host, the rest of WASI from jco's preview2-shim.

import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { identity } from "./identity.js";
import { customImports } from "./imports.js";
import { logImports, Passthrough, Recorder, RecordingEnded, RecordError, Replayer, ReplayError } from "./rr-log.js";
import { exitStatus, TraceError, TraceReader, TraceWriter } from "./trace.js";

/** wasm-rr's exit status when it fails itself (a divergence, a bad trace). */
export const EXIT_ERROR = 125;

/** `wasi:cli/exit` called: unwinds the guest with its status. */
class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/**
 * Where a package is: found from here (when it is installed beside this one), else in the
 * toolchains wasm-rr installs (`$WASM_RR_TOOLCHAINS`, default `$XDG_CACHE_HOME/wasm-rr-toolchains`, else `~/.cache/wasm-rr-toolchains`, as `cargo xtask` uses).
 */
export function locate(name, file) {
  try {
    return new URL(import.meta.resolve(`${name}/package.json`)).pathname.replace(/package\.json$/, file);
  } catch {}
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const toolchains = process.env.WASM_RR_TOOLCHAINS || path.join(cache, "wasm-rr-toolchains");
  const candidates = fs.existsSync(toolchains) ? fs.readdirSync(toolchains).sort().reverse() : [];
  for (const dir of candidates) {
    const found = path.join(toolchains, dir, "node_modules", name, file);
    if (fs.existsSync(found)) return found;
  }
  throw new Error(`${name} not found: install it beside @wasm-rr/host, or set WASM_RR_TOOLCHAINS`);
}

/** jco's command line script. */
export function jcoPath() {
  return process.env.WASM_RR_JCO || locate("@bytecodealliance/jco", "dist/jco.js");
}

async function preview2Shim() {
  return import(pathToFileURL(locate("@bytecodealliance/preview2-shim", "dist/common/instantiation.js")).href);
}

/**
 * Transpiles `wasmPath` with jco into `outDir` (by default a cache directory keyed by the
 * component's SHA-256), for instantiation with imports given at run time; returns the dir.
 */
export function transpile(wasmPath, outDir) {
  if (!outDir) {
    const digest = createHash("sha256").update(fs.readFileSync(wasmPath)).digest("hex");
    const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    outDir = path.join(cache, "wasm-rr-node", digest);
    if (fs.existsSync(path.join(outDir, "app.js"))) return outDir;
  }
  const args = [jcoPath(), "transpile", wasmPath, "-o", outDir, "--name", "app", "-I", "async", "-q", "--no-typescript"];
  const done = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (done.status !== 0) throw new Error(`jco transpile ${wasmPath} failed (status ${done.status})`);
  return outDir;
}

/** The `rr:log` of a run: its mode's log over the trace, and the header it writes. */
export function openLog({ mode, wasm, trace, force = false }) {
  if (mode === "run") return new Passthrough();
  const id = identity(fs.readFileSync(wasm));
  if (id === null) throw new Error(`${wasm} has no wasm-rr identity: compose it with \`wasm-rr compose\` first`);
  if (mode === "record") {
    return new Recorder(new TraceWriter(trace, { wasm_rr_version: id.wasm_rr_version, app_sha256: id.app_sha256 }));
  }
  const reader = new TraceReader(trace);
  if (reader.header.app_sha256 !== id.app_sha256 && !force) {
    throw new Error(
      `${trace} was recorded from another app (SHA-256 ${reader.header.app_sha256}), not ${wasm} (SHA-256 ${id.app_sha256}); pass --force to replay it anyway`,
    );
  }
  if (reader.header.request != null) {
    throw new Error(`${trace} is the trace of an HTTP request: this host runs commands only`);
  }
  return new Replayer(reader);
}

/** Errors of this host's own, reported as `wasm-rr: error: …` rather than as a trap. */
function isHostError(error) {
  return error instanceof ReplayError || error instanceof TraceError || error instanceof RecordError;
}

/**
 * Runs the composed component in `transpiled` (a jco output dir) with `log`, and returns
 * the guest's outcome, `{exit}` or `{trap}`; throws this host's own errors (a divergence).
 * `custom` is its imports beyond WASI and `rr:log`, as {@link customImports} gives them.
 */
export async function runGuest({ transpiled, log, custom = {}, args = [], env = {}, dirs = {} }) {
  const { WASIShim } = await preview2Shim();
  const replaying = log.getMode() === "replay";
  // As `wasm-rr replay`: a replay reaches no host resource; stdout and stderr are real.
  const sandbox = replaying ? { args: [], env: {}, preopens: {} } : { args, env, preopens: dirs };
  const imports = new WASIShim({ sandbox }).getImportObject();
  imports["wasi:cli/exit"] = {
    exit: (status) => {
      throw new Exit(status.tag === "err" ? 1 : 0);
    },
    exitWithCode: (code) => {
      throw new Exit(code);
    },
  };
  imports["rr:log/log"] = logImports(log);
  Object.assign(imports, custom);
  const { instantiate } = await import(pathToFileURL(path.join(transpiled, "app.js")).href);
  const instance = await instantiate(undefined, imports);
  const run = instance.run ?? instance["wasi:cli/run@0.2.12"];
  try {
    run.run();
    return { exit: 0 };
  } catch (error) {
    // A host error may reach here wrapped, or the guest may trap after swallowing it.
    const stopped = log.stopped;
    if (stopped instanceof RecordingEnded) return stopped.outcome;
    if (stopped) throw stopped;
    if (error instanceof Exit) return { exit: error.code };
    if (error instanceof RecordingEnded) return error.outcome;
    if (isHostError(error)) throw error;
    if (error && Object.hasOwn(error, "payload")) return { exit: 1 };
    const message = String(error?.message ?? error).split("\n")[0] || "unknown error";
    return { trap: message };
  }
}

/**
 * `record`, `replay` or `run` (passthrough) the composed component `wasm` as the
 * `wasm-rr` command does; writes errors as it does and returns the exit status. `imports`
 * provides the app's imports beyond WASI when recording or passing through (see
 * {@link customImports}); a replay needs none.
 */
export async function main({ mode, wasm, trace, args = [], argv0, env = {}, dirs = {}, imports = {}, transpiled, force }) {
  let log;
  let custom;
  try {
    // Before the trace is opened: a recording that lacks an import writes none.
    custom = customImports(fs.readFileSync(wasm), imports, mode);
    log = openLog({ mode, wasm, trace, force });
    transpiled ??= transpile(wasm);
  } catch (error) {
    return fail(error);
  }
  const argv = [argv0 ?? path.basename(wasm), ...args];
  let outcome;
  try {
    outcome = await runGuest({ transpiled, log, custom, args: argv, env, dirs });
  } catch (error) {
    if (mode === "record") {
      // The trace still ends, with what stopped the run.
      try {
        log.finish({ trap: error.message });
      } catch {}
    }
    return fail(error);
  }
  try {
    log.finish(outcome);
  } catch (error) {
    return fail(error);
  }
  if ("trap" in outcome) process.stderr.write(`wasm-rr: the guest trapped: ${outcome.trap}\n`);
  if ("interrupted" in outcome) {
    process.stderr.write(`wasm-rr: the recording was interrupted by ${outcome.interrupted} here; so is the replay\n`);
  }
  return exitStatus(outcome);
}

function fail(error) {
  process.stderr.write(`wasm-rr: error: ${error?.message ?? error}\n`);
  return EXIT_ERROR;
}
