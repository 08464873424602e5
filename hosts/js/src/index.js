// @wasm-rr/host: `rr:log` for components composed by wasm-rr, under Node.
export { Passthrough, Recorder, Replayer, ReplayError, RecordingEnded, RecordError, REDACTED_HEADERS, logImports } from "./rr-log.js";
export { TraceReader, TraceWriter, TraceError, FORMAT_VERSION } from "./trace.js";
export { identity } from "./identity.js";
export { customImports, importNames, loadImports } from "./imports.js";
export { main, runGuest, openLog, transpile, EXIT_ERROR } from "./run.js";
