#!/usr/bin/env node
// wasm-rr-node: record, replay or run a component composed by `wasm-rr compose` under Node.

import { parseArgs } from "node:util";
import { loadImports } from "./imports.js";
import { EXIT_ERROR, main } from "./run.js";

const USAGE = `usage: wasm-rr-node record COMPOSED.wasm TRACE.bin [options] [-- ARGS...]
       wasm-rr-node replay COMPOSED.wasm TRACE.bin [--force] [--transpiled DIR]
       wasm-rr-node run COMPOSED.wasm [options] [-- ARGS...]

options:
  --dir HOST[::GUEST]  preopen a host directory (record, run)
  --env NAME[=VALUE]   set an environment variable, or pass on the host's (record, run)
  --imports FILE.js    an ES module whose default export (or \`imports\`) provides the app's
                       imports beyond WASI, keyed by interface (record, run)
  --argv0 NAME         the guest's argv[0] (default: the file name of COMPOSED.wasm)
  --transpiled DIR     the jco output of COMPOSED.wasm (\`jco transpile -I async --name app\`),
                       instead of transpiling it into ~/.cache/wasm-rr-node
  --force              replay a trace recorded from another app
`;

function usage(message) {
  process.stderr.write(`wasm-rr-node: ${message}\n${USAGE}`);
  return EXIT_ERROR;
}

async function cli(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: "string", multiple: true, default: [] },
        env: { type: "string", multiple: true, default: [] },
        imports: { type: "string" },
        argv0: { type: "string" },
        transpiled: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    return usage(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // `--` ends the options: what follows goes to the guest.
  const dashes = argv.indexOf("--");
  const guestArgs = dashes === -1 ? [] : argv.slice(dashes + 1);
  const ours = dashes === -1 ? positionals : positionals.slice(0, positionals.length - guestArgs.length);
  const [mode, wasm, trace, ...extra] = ours;
  if (!["record", "replay", "run"].includes(mode)) return usage(`unknown command ${mode ?? "(none)"}`);
  if (!wasm) return usage("the composed component is missing");
  if (mode !== "run" && !trace) return usage("the trace is missing");
  if (mode === "run" && trace) extra.unshift(trace);
  if (extra.length) return usage(`unexpected ${extra[0]}: guest arguments go after --`);
  const env = {};
  for (const spec of values.env) {
    const at = spec.indexOf("=");
    if (at !== -1) env[spec.slice(0, at)] = spec.slice(at + 1);
    else if (process.env[spec] !== undefined) env[spec] = process.env[spec];
  }
  const dirs = {};
  for (const spec of values.dir) {
    const [host, guest = host] = spec.split("::");
    dirs[guest] = host;
  }
  // A replay calls none of the imports beyond WASI: it does not load them.
  let imports = {};
  if (values.imports !== undefined && mode !== "replay") {
    try {
      imports = await loadImports(values.imports);
    } catch (error) {
      process.stderr.write(`wasm-rr: error: ${values.imports}: ${error.message.split("\n")[0]}\n`);
      return EXIT_ERROR;
    }
  }
  return main({
    mode,
    wasm,
    trace: mode === "run" ? undefined : trace,
    args: guestArgs,
    argv0: values.argv0,
    env,
    dirs,
    imports,
    transpiled: values.transpiled,
    force: values.force,
  });
}

const status = await cli(process.argv.slice(2));
// Let stdout and stderr drain before exiting with the guest's status.
process.exitCode = status;
