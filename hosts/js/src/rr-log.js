// `rr:log/log@0.1.0` (wit/rr-log.wit) over a binary trace: the host side of recording and
// replaying, one class per mode, as runner/src/rr_log.rs has them. Events are opaque bytes:
// recording appends them to the trace as they come, replaying hands them back in order.
//
// This host never goes on live: `diverged` throws, which stops the guest, and the run
// reports the same one-line message as `wasm-rr replay`.

import { webcrypto } from "node:crypto";
import { EVENT_NAMES } from "./events.js";
import { describeOutcome, leb128, sameOutcome } from "./trace.js";

/** The HTTP request headers whose values a recording redacts by default. */
export const REDACTED_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** The replay cannot go on: the guest diverged from the trace. */
export class ReplayError extends Error {
  constructor(at, message) {
    super(`replay diverged from the trace at ${at}: ${message}`);
    this.name = "ReplayError";
  }
}

/** The replay reached where the recorded run stopped in the middle of a call. */
export class RecordingEnded extends Error {
  constructor(outcome) {
    super(`the recording ended here with ${describeOutcome(outcome)}`);
    this.name = "RecordingEnded";
    this.outcome = outcome;
  }
}

/** The trace could not be written, or the interposer called what this mode has not. */
export class RecordError extends Error {
  constructor(message) {
    super(`recording failed: ${message}`);
    this.name = "RecordError";
  }
}

function redaction(headers) {
  return { headers, key: webcrypto.getRandomValues(new Uint8Array(32)) };
}

function outside(mode, call) {
  return new RecordError(`the interposer called ${call} in ${mode} mode`);
}

/** The functions of `rr:log/log` over `log`, as a jco import object wants them (unbound). */
export function logImports(log) {
  return {
    getMode: () => log.getMode(),
    append: (event) => log.append(event),
    httpRedaction: () => log.httpRedaction(),
    nextBatch: () => log.nextBatch(),
    giveBack: (events) => log.giveBack(events),
    diverged: (message) => log.diverged(message),
    outputDiffers: (message) => log.outputDiffers(message),
  };
}

/** The modes that do not replay: for them, the replay's functions are host errors. */
class NotReplaying {
  getMode() {
    return this.mode;
  }
  nextBatch() {
    throw outside(this.mode, "next-batch");
  }
  giveBack() {
    throw outside(this.mode, "give-back");
  }
  diverged() {
    throw outside(this.mode, "diverged");
  }
  outputDiffers() {
    throw outside(this.mode, "output-differs");
  }
}

/** The plain run: the interposer calls the real imports and records nothing. */
export class Passthrough extends NotReplaying {
  mode = "passthrough";

  append() {
    throw outside(this.mode, "append");
  }
  httpRedaction() {
    return redaction([]);
  }
  finish(outcome) {
    return outcome;
  }
}

/** Records into a {@link TraceWriter}. */
export class Recorder extends NotReplaying {
  mode = "record";
  #writer;
  #headers;

  constructor(writer, redactedHeaders = REDACTED_HEADERS) {
    super();
    this.#writer = writer;
    this.#headers = [...redactedHeaders];
  }

  append(event) {
    if (this.#writer.finished) throw new RecordError("the recording has ended");
    try {
      this.#writer.event(event);
    } catch (error) {
      throw new RecordError(error.message);
    }
  }
  httpRedaction() {
    return redaction(this.#headers);
  }

  /** Ends the trace with how the run ended. */
  finish(outcome) {
    if (!this.#writer.finished) this.#writer.finish(outcome);
    return outcome;
  }
}

/** The stream of an output event to stdout (1) or stderr (2), else null. */
function outputStream(bytes) {
  // The id (one LEB128 byte for these), then the postcard fields: the stream comes first.
  if (![21, 22, 23].includes(bytes[0]) || bytes.length < 2) return null;
  let stream = 0;
  for (let i = 1, shift = 0; i < bytes.length && shift < 35; i++, shift += 7) {
    stream += (bytes[i] & 0x7f) * 2 ** shift;
    if ((bytes[i] & 0x80) === 0) return stream === 1 || stream === 2 ? stream : null;
  }
  return null;
}

/** The name of the event in `bytes`, for messages. */
function eventName(bytes) {
  let id = 0;
  for (let i = 0, shift = 0; i < bytes.length && shift < 35; i++, shift += 7) {
    id += (bytes[i] & 0x7f) * 2 ** shift;
    if ((bytes[i] & 0x80) === 0) {
      return EVENT_NAMES.has(id) ? `a ${EVENT_NAMES.get(id)} event` : `an event of unknown id ${id}`;
    }
  }
  return "an event without an id";
}

/** Replays a {@link TraceReader}: hands its events out in order, then checks the end. */
export class Replayer {
  #reader;
  #outputDifference = null;
  /** Where messages show the trace, as `wasm-rr replay` shows it: the path as given. */
  #path;
  /** What ended the run when `diverged` was called: the message for {@link finish}. */
  stopped = null;

  constructor(reader) {
    this.#reader = reader;
    this.#path = reader.path;
  }

  #location(event) {
    return `event ${event} (${this.#path})`;
  }

  #endLocation() {
    return `its end (${this.#reader.eventsRead} events, ${this.#path})`;
  }

  #ended() {
    return this.#reader.outcome !== null || this.#reader.cutShort;
  }

  getMode() {
    return "replay";
  }
  append() {
    throw outside("replay", "append");
  }
  httpRedaction() {
    return redaction([]);
  }
  /** One event at a time (its length, LEB128, then its bytes): empty at the end. */
  nextBatch() {
    const bytes = this.#reader.next();
    if (bytes === null) return new Uint8Array(0);
    const length = leb128(bytes.length);
    const batch = new Uint8Array(length.length + bytes.length);
    batch.set(length);
    batch.set(bytes, length.length);
    return batch;
  }
  /** The interposer takes each single event it is handed: it never gives one back. */
  giveBack(events) {
    if (events !== 0) throw new RecordError(`the interposer gave back ${events} events of a batch of 1`);
  }
  diverged(message) {
    const end = this.#reader.outcome;
    let error;
    if (end && ("trap" in end || "interrupted" in end)) {
      error = new RecordingEnded(end);
    } else if (this.#reader.cutShort) {
      error = new ReplayError(this.#endLocation(), `${this.#reader.cutShortMessage()}; ${message}`);
    } else {
      const at = this.#ended() ? this.#endLocation() : this.#location(this.#reader.eventsRead);
      error = new ReplayError(at, message);
    }
    this.stopped = error;
    throw error;
  }
  outputDiffers(message) {
    if (this.#outputDifference === null) {
      this.#outputDifference = `${this.#location(this.#reader.eventsRead)}: ${message}`;
    }
  }

  /**
   * Checks how the replayed run ended against the trace: the events left are only
   * outputs, and the recording ended the same way. Returns the outcome; throws a
   * {@link ReplayError} (or an Error) otherwise. Notes an output difference on stderr.
   */
  finish(outcome) {
    let bytes;
    while ((bytes = this.#reader.next()) !== null) {
      if (outputStream(bytes) !== null) {
        if (this.#outputDifference === null) {
          this.#outputDifference = `${this.#location(this.#reader.eventsRead)}: the recording wrote more output than the replay`;
        }
        continue;
      }
      throw new ReplayError(
        this.#location(this.#reader.eventsRead),
        `the guest ended (${describeOutcome(outcome)}), but the trace holds more events, starting with ${eventName(bytes)}`,
      );
    }
    const recorded = this.#reader.outcome;
    if (recorded === null) {
      throw new Error(
        `the guest ended (${describeOutcome(outcome)}), but ${this.#reader.cutShortMessage()}: how the recorded run ended is unknown`,
      );
    }
    if (!sameOutcome(recorded, outcome)) {
      throw new ReplayError(
        this.#endLocation(),
        `the guest ended with ${describeOutcome(outcome)}, but the recording ended with ${describeOutcome(recorded)}`,
      );
    }
    if (this.#outputDifference !== null) {
      process.stderr.write(
        `wasm-rr: note: the replay's output differs from the recording's, first at ${this.#outputDifference}\n`,
      );
    }
    return outcome;
  }
}
