// Binary trace files, as the Rust host writes and reads them (docs/src/trace-formats.md):
// the line `wasm-rr binary trace`, the header's JSON line, then records, each a tag byte
// (0 an event, 1 the end), its length in unsigned LEB128 and that many bytes. An event's
// bytes are the interposer's wire form, never decoded here; the end's are the outcome's JSON.
//
// Both directions stream through a 64 KiB buffer, so a trace of any length costs bounded
// memory. JSON and zstd traces are refused with a message saying how to convert them.

import fs from "node:fs";

export const FORMAT_VERSION = 4;
const MAGIC = "wasm-rr binary trace\n";
const EVENT_TAG = 0;
const END_TAG = 1;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** The largest event's wire bytes, and the largest header line or end record. */
export const MAX_EVENT_BYTES = 2 << 20;
const MAX_HEADER_BYTES = 64 << 10;
const MAX_TRAP_MESSAGE = 4096;
const CHUNK = 1 << 16;

/** A problem with a trace file: `PATH: message` or `PATH:LINE: message`, as in Rust. */
export class TraceError extends Error {
  constructor(path, line, message) {
    super(line == null ? `${path}: ${message}` : `${path}:${line}: ${message}`);
    this.name = "TraceError";
  }
}

/** How a run ended: `{exit: n}`, `{trap: message}` or `{interrupted: "SIGINT"}`. */
export function describeOutcome(outcome) {
  if ("exit" in outcome) return `exit ${outcome.exit}`;
  if ("trap" in outcome) return `a trap (${outcome.trap})`;
  return `an interruption by ${outcome.interrupted}`;
}

export function sameOutcome(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The exit status `wasmtime run` gives for an outcome. */
export function exitStatus(outcome) {
  if ("exit" in outcome) return outcome.exit & 0xff;
  if ("trap" in outcome) return 134;
  return outcome.interrupted === "SIGINT" ? 130 : 143;
}

/** The header line, its fields in the order of trace/src/lib.rs `Header`. */
export function headerLine({ wasm_rr_version, app_sha256, request }) {
  const header = { wasm_rr_trace: FORMAT_VERSION, wasm_rr_version, app_sha256 };
  if (request != null) header.request = request;
  return JSON.stringify(header);
}

/** `value` as unsigned LEB128 bytes, as binary traces and `rr:log/next-batch` frame lengths. */
export function leb128(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Writes a binary trace record by record; {@link TraceWriter#finish} ends it. */
export class TraceWriter {
  #fd;
  #path;
  #buffer = Buffer.allocUnsafe(CHUNK);
  #used = 0;

  /** Creates (or truncates) `path` and writes the magic line and `header` to it. */
  constructor(path, header) {
    this.#path = path;
    this.#fd = fs.openSync(path, "w");
    this.#write(Buffer.from(MAGIC + headerLine(header) + "\n"));
    this.flush();
  }

  /** Appends one event, given in its wire form. */
  event(bytes) {
    if (bytes.length > MAX_EVENT_BYTES) {
      throw new TraceError(
        this.#path,
        null,
        `an event of ${bytes.length} bytes, more than a trace event may hold (${MAX_EVENT_BYTES} bytes)`,
      );
    }
    this.#record(EVENT_TAG, bytes);
  }

  /** Writes the end, `{"exit":0}` and the like, and closes the file. */
  finish(outcome) {
    if ("trap" in outcome && outcome.trap.length > MAX_TRAP_MESSAGE) {
      outcome = { trap: outcome.trap.slice(0, 200) + "…" };
    }
    this.#record(END_TAG, Buffer.from(JSON.stringify(outcome)));
    this.flush();
    fs.closeSync(this.#fd);
    this.#fd = null;
  }

  get finished() {
    return this.#fd === null;
  }

  /** Puts what is buffered in the file. */
  flush() {
    let written = 0;
    while (written < this.#used) {
      written += fs.writeSync(this.#fd, this.#buffer, written, this.#used - written);
    }
    this.#used = 0;
  }

  #record(tag, bytes) {
    this.#write(Uint8Array.from([tag, ...leb128(bytes.length)]));
    this.#write(bytes);
  }

  #write(bytes) {
    if (this.#used + bytes.length > this.#buffer.length) this.flush();
    if (bytes.length > this.#buffer.length) {
      let written = 0;
      while (written < bytes.length) {
        written += fs.writeSync(this.#fd, bytes, written, bytes.length - written);
      }
      return;
    }
    this.#buffer.set(bytes, this.#used);
    this.#used += bytes.length;
  }
}

/** Reads a binary trace event by event. */
export class TraceReader {
  #fd;
  #buffer = Buffer.allocUnsafe(CHUNK);
  #start = 0;
  #end = 0;
  #eof = false;
  /** The trace's path, as given. */
  path;
  /** The header: `{wasm_rr_trace, wasm_rr_version, app_sha256}`. */
  header;
  /** Events read so far. */
  eventsRead = 0;
  /** Once the end is read: how the recorded run ended. */
  outcome = null;
  /** Whether the file ended without an end record (the recording was killed). */
  cutShort = false;

  /** Opens `path` and reads its header. */
  constructor(path) {
    this.path = path;
    this.#fd = fs.openSync(path, "r");
    this.#fill(MAGIC.length);
    const start = this.#buffer.subarray(0, Math.min(this.#end, MAGIC.length));
    if (ZSTD_MAGIC.every((byte, i) => start[i] === byte)) {
      throw new TraceError(
        path,
        null,
        `a compressed (zstd) trace; decompress it with \`zstd -d\` or \`wasm-rr convert ${path} OUT.bin\``,
      );
    }
    if (start.toString("latin1") !== MAGIC) {
      const first = this.#line();
      if (first === null) throw new TraceError(path, null, "empty file: not a wasm-rr trace");
      let json = null;
      try {
        json = JSON.parse(first);
      } catch {}
      if (json && typeof json === "object" && "wasm_rr_trace" in json) {
        throw new TraceError(path, null, `a JSON trace; convert it with \`wasm-rr convert ${path} OUT.bin\``);
      }
      throw new TraceError(path, 1, "not a wasm-rr binary trace");
    }
    this.#start += MAGIC.length;
    const line = this.#line();
    if (line === null) throw new TraceError(path, null, "empty file: not a wasm-rr trace");
    let header;
    try {
      header = JSON.parse(line);
    } catch (error) {
      throw new TraceError(path, 2, `not a wasm-rr trace header: ${error.message}`);
    }
    if (header?.wasm_rr_trace !== FORMAT_VERSION) {
      throw new TraceError(
        path,
        2,
        `trace format ${header?.wasm_rr_trace} is not supported: this host reads format ${FORMAT_VERSION}`,
      );
    }
    if (typeof header.app_sha256 !== "string" || typeof header.wasm_rr_version !== "string") {
      throw new TraceError(path, 2, "not a wasm-rr trace header: app_sha256 or wasm_rr_version missing");
    }
    this.header = header;
  }

  /** The next event's wire bytes, or `null` at the end (then `outcome` or `cutShort` is set). */
  next() {
    if (this.outcome !== null || this.cutShort) return null;
    const record = this.#record();
    if (record === null) {
      this.cutShort = true;
      this.close();
      return null;
    }
    const [tag, bytes] = record;
    if (tag === EVENT_TAG) {
      this.eventsRead += 1;
      return bytes;
    }
    let outcome;
    try {
      outcome = JSON.parse(Buffer.from(bytes).toString("utf8"));
    } catch (error) {
      throw this.#eventError(`an end that does not decode: ${error.message}`);
    }
    this.#fill(1);
    if (this.#end > this.#start) throw new TraceError(this.path, null, "bytes after the end of the trace");
    this.outcome = outcome;
    this.close();
    return null;
  }

  /** Where a trace without an end was cut, for messages. */
  cutShortMessage() {
    return `${this.path} was cut short after event ${this.eventsRead}: it has no end (the recording was killed or crashed)`;
  }

  close() {
    if (this.#fd !== null) fs.closeSync(this.#fd);
    this.#fd = null;
  }

  #eventError(message) {
    return new TraceError(this.path, null, `event ${this.eventsRead + 1}: ${message}`);
  }

  /** One record as `[tag, bytes]`, or `null` where the file ends (between or in records). */
  #record() {
    if (!this.#fill(1)) return null;
    const tag = this.#buffer[this.#start];
    if (tag !== EVENT_TAG && tag !== END_TAG) throw this.#eventError(`unknown record tag ${tag}`);
    const limit = tag === EVENT_TAG ? MAX_EVENT_BYTES : MAX_HEADER_BYTES;
    let length = 0;
    let used = 1;
    for (let shift = 0; ; shift += 7) {
      if (!this.#fill(used + 1)) return null;
      const byte = this.#buffer[this.#start + used];
      used += 1;
      length += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      if (shift === 28) throw this.#eventError("a record length longer than 5 bytes");
    }
    if (length > limit) {
      throw this.#eventError(`a record of ${length} bytes, more than a trace record may hold (${limit} bytes)`);
    }
    if (!this.#fill(used + length)) return null;
    const bytes = new Uint8Array(length);
    bytes.set(this.#buffer.subarray(this.#start + used, this.#start + used + length));
    this.#start += used + length;
    return [tag, bytes];
  }

  /** A line (without its newline), at most the header's size, or `null` at the end. */
  #line() {
    for (;;) {
      const newline = this.#buffer.indexOf(10, this.#start);
      if (newline !== -1 && newline < this.#end) {
        const line = this.#buffer.toString("utf8", this.#start, newline);
        this.#start = newline + 1;
        if (line.trim() === "") continue;
        return line;
      }
      const have = this.#end - this.#start;
      if (have > MAX_HEADER_BYTES) throw new TraceError(this.path, null, "a header line longer than 64 KiB");
      if (!this.#fill(have + 1)) {
        if (have === 0) return null;
        const line = this.#buffer.toString("utf8", this.#start, this.#end);
        this.#start = this.#end;
        return line;
      }
    }
  }

  /** Makes `count` bytes available from `#start`; false when the file has fewer. */
  #fill(count) {
    while (this.#end - this.#start < count) {
      if (this.#eof || this.#fd === null) return false;
      if (this.#start + count > this.#buffer.length) {
        if (count > this.#buffer.length) {
          const grown = Buffer.allocUnsafe(count);
          this.#buffer.copy(grown, 0, this.#start, this.#end);
          this.#buffer = grown;
        } else {
          this.#buffer.copyWithin(0, this.#start, this.#end);
        }
        this.#end -= this.#start;
        this.#start = 0;
      }
      const read = fs.readSync(this.#fd, this.#buffer, this.#end, this.#buffer.length - this.#end, null);
      if (read === 0) this.#eof = true;
      this.#end += read;
    }
    return true;
  }
}
