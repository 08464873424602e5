// Binary trace files, as the Rust host writes and reads them (docs/src/trace-formats.md):
// the line `wasm-rr binary trace`, the header's JSON line, then blocks, each a tag byte (2),
// the length of its records in unsigned LEB128, a CRC-32C (little-endian) and the records.
// Each record is a tag byte (0 an event, 1 the end), its length and that many bytes. An
// event's bytes are the interposer's wire form, of which only the id is checked here; the
// end's are the outcome's JSON. A block's CRC-32C runs over the whole trace up to its end
// (the two lines and every block's records, not the blocks' heads), so no event is handed
// out before its block is known intact. Format 4 traces (records without blocks) are read
// too; this host writes format 5.
//
// Both directions stream through a buffer of a block, so a trace of any length costs
// bounded memory. JSON and zstd traces are refused with a message saying how to convert them.

import fs from "node:fs";
import { eventProblem } from "./events.js";

export const FORMAT_VERSION = 5;
/** The oldest format read: 4, records without blocks or checksums. */
const OLDEST_READABLE = 4;
const MAGIC = "wasm-rr binary trace\n";
const EVENT_TAG = 0;
const END_TAG = 1;
const BLOCK_TAG = 2;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** The largest event's wire bytes, and the largest header line or end record. */
export const MAX_EVENT_BYTES = 2 << 20;
const MAX_HEADER_BYTES = 64 << 10;
const MAX_TRAP_MESSAGE = 4096;
/** Records gathered before a block is written; a block holds more only for one large event. */
const BLOCK_BYTES = 64 << 10;
/** The largest block read: a full block and the largest event after it (as in Rust). */
const MAX_BLOCK_BYTES = BLOCK_BYTES + MAX_EVENT_BYTES + MAX_HEADER_BYTES + 16;
/** Room for a block's head (tag, length, CRC) before its records, to write both at once. */
const HEAD_ROOM = 10;
/** The writer's buffer: a block's head and records, up to an event of 64 KiB past a full block. */
const PENDING_BYTES = HEAD_ROOM + 2 * BLOCK_BYTES + 16;
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

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), a byte at a time. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[n] = crc;
  }
  return table;
})();

/**
 * The CRC-32C of what `crc` covered followed by `bytes`, as the `crc32c` crate's
 * `crc32c_append`: `crc32cAppend(0, bytes)` is the CRC-32C of `bytes`, so a trace's running
 * CRC is carried block by block.
 */
export function crc32cAppend(crc, bytes) {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Writes a binary trace record by record, in blocks; {@link TraceWriter#finish} ends it. */
export class TraceWriter {
  #fd;
  #path;
  /** What is not yet in the file, from `HEAD_ROOM` on: the two lines, then a block's records. */
  #pending = Buffer.allocUnsafe(PENDING_BYTES);
  #used = 0;
  /** The CRC-32C of the trace before what is pending (the lines and the blocks' records). */
  #crc = 0;
  /** Whether what is pending goes out as a block: after the header. */
  #inBlocks = false;

  /** Creates (or truncates) `path` and writes the magic line and `header` to it. */
  constructor(path, header) {
    this.#path = path;
    this.#fd = fs.openSync(path, "w");
    this.#put(Buffer.from(MAGIC + headerLine(header) + "\n"));
    this.flush();
    this.#inBlocks = true;
  }

  /** Appends one event, given in its wire form; a block is written once 64 KiB are gathered. */
  event(bytes) {
    if (bytes.length > MAX_EVENT_BYTES) {
      throw new TraceError(
        this.#path,
        null,
        `an event of ${bytes.length} bytes, more than a trace event may hold (${MAX_EVENT_BYTES} bytes)`,
      );
    }
    this.#record(EVENT_TAG, bytes);
    if (this.#used >= BLOCK_BYTES) this.flush();
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

  /** Puts what is pending in the file: after the header, as a block with its CRC-32C. */
  flush() {
    if (this.#used === 0) return;
    let start = HEAD_ROOM;
    const end = HEAD_ROOM + this.#used;
    this.#crc = crc32cAppend(this.#crc, this.#pending.subarray(start, end));
    if (this.#inBlocks) {
      const head = [BLOCK_TAG, ...leb128(this.#used)];
      start -= head.length + 4;
      this.#pending.set(head, start);
      this.#pending.writeUInt32LE(this.#crc, start + head.length);
    }
    let written = 0;
    while (written < end - start) {
      written += fs.writeSync(this.#fd, this.#pending, start + written, end - start - written);
    }
    this.#used = 0;
    // A buffer grown for one large event does not keep its memory.
    if (this.#pending.length > PENDING_BYTES) this.#pending = Buffer.allocUnsafe(PENDING_BYTES);
  }

  /** A record into the block being gathered: its tag, its length, its bytes. */
  #record(tag, bytes) {
    this.#put(Uint8Array.from([tag, ...leb128(bytes.length)]));
    this.#put(bytes);
  }

  #put(bytes) {
    const needed = HEAD_ROOM + this.#used + bytes.length;
    if (needed > this.#pending.length) {
      const grown = Buffer.allocUnsafe(needed);
      this.#pending.copy(grown, 0, 0, HEAD_ROOM + this.#used);
      this.#pending = grown;
    }
    this.#pending.set(bytes, HEAD_ROOM + this.#used);
    this.#used += bytes.length;
  }
}

/** Reads a binary trace event by event, each block checked before any of its events is used. */
export class TraceReader {
  #fd;
  #buffer = Buffer.allocUnsafe(CHUNK);
  #start = 0;
  #end = 0;
  #eof = false;
  /** Bytes of the file before `#start`, for messages. */
  #offset = 0;
  /** The trace's format version: 4 (records only) or 5 (records in checked blocks). */
  #version = FORMAT_VERSION;
  /** The CRC-32C of the lines and the blocks' records read so far. */
  #crc = 0;
  /** Format 5: the records of the block being read, and where the next starts. */
  #block = new Uint8Array(0);
  #blockAt = 0;
  /** Whether the last line read ended without its newline, where the file ends. */
  #unended = false;
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
    this.#crc = crc32cAppend(0, start);
    this.#advance(MAGIC.length);
    const line = this.#line();
    if (line === null) {
      throw new TraceError(path, null, "cut short before its header was written: its recording was killed as it began");
    }
    if (this.#unended && line.startsWith("{")) {
      throw new TraceError(path, 2, "cut short in its header: its recording was killed as it began");
    }
    let header;
    try {
      header = JSON.parse(line);
    } catch (error) {
      throw new TraceError(path, 2, `not a wasm-rr trace header: ${error.message}`);
    }
    const version = header?.wasm_rr_trace;
    if (!Number.isInteger(version) || version < OLDEST_READABLE || version > FORMAT_VERSION) {
      throw new TraceError(
        path,
        2,
        `trace format ${version} is not supported: this host reads formats ${OLDEST_READABLE} to ${FORMAT_VERSION}`,
      );
    }
    if (typeof header.app_sha256 !== "string" || typeof header.wasm_rr_version !== "string") {
      throw new TraceError(path, 2, "not a wasm-rr trace header: app_sha256 or wasm_rr_version missing");
    }
    this.#version = version;
    this.header = header;
  }

  /**
   * The next event's wire bytes, or `null` at the end (then `outcome` or `cutShort` is set).
   * Every event handed out has an id this host knows, as wasm-rr checks that each decodes.
   */
  next() {
    if (this.outcome !== null || this.cutShort) return null;
    const record = this.#version >= 5 ? this.#blockRecord() : this.#record();
    if (record === null) {
      this.cutShort = true;
      this.close();
      return null;
    }
    const [tag, bytes] = record;
    if (tag === EVENT_TAG) {
      const problem = eventProblem(bytes);
      if (problem !== null) throw this.#eventError(problem);
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
    if (this.#blockAt < this.#block.length || this.#end > this.#start) {
      throw new TraceError(this.path, null, "bytes after the end of the trace");
    }
    this.outcome = outcome;
    this.close();
    return null;
  }

  /** Where a trace without an end was cut, for messages. */
  cutShortMessage() {
    return `${this.path} was cut short after event ${this.eventsRead}: it has no end (its recording was killed, crashed or could not write the rest)`;
  }

  close() {
    if (this.#fd !== null) fs.closeSync(this.#fd);
    this.#fd = null;
  }

  #eventError(message) {
    return new TraceError(this.path, null, `event ${this.eventsRead + 1}: ${message}`);
  }

  /** Format 4: a record from the file as `[tag, bytes]`; `null` where the file ends (between or in records). */
  #record() {
    if (!this.#fill(1)) return null;
    const tag = this.#buffer[this.#start];
    if (tag !== EVENT_TAG && tag !== END_TAG) throw this.#eventError(`unknown record tag ${tag}`);
    const limit = tag === EVENT_TAG ? MAX_EVENT_BYTES : MAX_HEADER_BYTES;
    const head = this.#length(1);
    if (head === null) return null;
    const [length, used] = head;
    if (length > limit) {
      throw this.#eventError(`a record of ${length} bytes, more than a trace record may hold (${limit} bytes)`);
    }
    if (!this.#fill(used + length)) return null;
    const bytes = new Uint8Array(length);
    bytes.set(this.#buffer.subarray(this.#start + used, this.#start + used + length));
    this.#advance(used + length);
    return [tag, bytes];
  }

  /** Format 5: the next record of the block being read, reading (and checking) the next block once it is used up. */
  #blockRecord() {
    if (this.#blockAt >= this.#block.length && !this.#nextBlock()) return null;
    const block = this.#block;
    const tag = block[this.#blockAt];
    let at = this.#blockAt + 1;
    let length = null;
    for (let shift = 0, sum = 0; at < block.length; shift += 7) {
      const byte = block[at++];
      sum += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        length = sum;
        break;
      }
      if (shift === 28) throw this.#eventError("a record length longer than 5 bytes");
    }
    if ((tag !== EVENT_TAG && tag !== END_TAG) || length === null || at + length > block.length) {
      throw this.#eventError("a block whose records do not fit it");
    }
    this.#blockAt = at + length;
    return [tag, block.subarray(at, at + length)];
  }

  /**
   * Reads the next block and checks it against its CRC-32C: false where the file ends (in a
   * block that was being written: the recording was killed there).
   */
  #nextBlock() {
    if (!this.#fill(1)) return false;
    const at = this.#offset;
    const tag = this.#buffer[this.#start];
    if (tag !== BLOCK_TAG) throw this.#eventError(`the trace is damaged at byte ${at}: a block starts with tag ${tag}`);
    const head = this.#length(1);
    if (head === null) return false;
    const [length, used] = head;
    if (length > MAX_BLOCK_BYTES) {
      throw this.#eventError(
        `the trace is damaged at byte ${at}: a block of ${length} bytes, more than a trace block may hold (${MAX_BLOCK_BYTES} bytes)`,
      );
    }
    // Bounded by the limit above, whatever the file says.
    if (!this.#fill(used + 4 + length)) return false;
    const stored = this.#buffer.readUInt32LE(this.#start + used);
    const records = this.#buffer.subarray(this.#start + used + 4, this.#start + used + 4 + length);
    const crc = crc32cAppend(this.#crc, records);
    if (crc !== stored || length === 0) {
      throw this.#eventError(
        `the trace is damaged: the block of ${length} bytes at byte ${at} does not match its checksum (CRC-32C)`,
      );
    }
    this.#crc = crc;
    // A copy: the buffer is refilled while the block's events are handed out.
    this.#block = new Uint8Array(records);
    this.#blockAt = 0;
    this.#advance(used + 4 + length);
    return true;
  }

  /** The LEB128 length at `#start + from` as `[length, bytes up to its end]`; `null` where the file ends. */
  #length(from) {
    let length = 0;
    let used = from;
    for (let shift = 0; ; shift += 7) {
      if (!this.#fill(used + 1)) return null;
      const byte = this.#buffer[this.#start + used];
      used += 1;
      length += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return [length, used];
      if (shift === 28) throw this.#eventError("a record length longer than 5 bytes");
    }
  }

  /** A line (without its newline), at most the header's size, or `null` at the end; its bytes go in the CRC. */
  #line() {
    for (;;) {
      const newline = this.#buffer.indexOf(10, this.#start);
      if (newline !== -1 && newline < this.#end) {
        const line = this.#buffer.toString("utf8", this.#start, newline);
        this.#crc = crc32cAppend(this.#crc, this.#buffer.subarray(this.#start, newline + 1));
        this.#advance(newline + 1 - this.#start);
        if (line.trim() === "") continue;
        return line;
      }
      const have = this.#end - this.#start;
      if (have > MAX_HEADER_BYTES) throw new TraceError(this.path, null, "a header line longer than 64 KiB");
      if (!this.#fill(have + 1)) {
        if (have === 0) return null;
        const line = this.#buffer.toString("utf8", this.#start, this.#end);
        this.#advance(have);
        this.#unended = true;
        return line;
      }
    }
  }

  /** Uses `count` bytes from `#start`. */
  #advance(count) {
    this.#start += count;
    this.#offset += count;
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
