//! Trace files, in one of three formats, written and read as streams so that a trace of any
//! length costs bounded memory:
//!
//! - [`Format::Json`]: JSON Lines. The [`Header`] on line 1, then one [`Event`] per line,
//!   then `{"end": <outcome>, "crc32c": "<digest>"}`, the digest of every byte before that
//!   line and of the outcome. For people and `jq`.
//! - [`Format::Binary`]: the line `wasm-rr binary trace`, the header's JSON line, then
//!   blocks, each a tag byte, a length (unsigned LEB128), a CRC-32C and that many bytes of
//!   records; each record is a tag byte, a length and that many bytes, so that any language
//!   splits records without knowing the events: an event's record (tag 0) holds the very
//!   bytes the interposer sends (a wall-clock reading takes 13 bytes); the end's (tag 1) the
//!   outcome's JSON. A block's CRC-32C runs over the whole trace up to the block's end (the
//!   first line, the header and every block's records), so a reader uses no event before
//!   its block is known intact. For speed and size.
//! - [`Format::Zstd`]: a binary trace compressed as one zstd stream (`.bin.zst`), flushed
//!   block by block as the binary one is. For recorded input that compresses: text, logs.
//!
//! Readers tell the formats apart by the first bytes: zstd's magic number, else the first
//! line. Every read is bounded: a line, a block, a record, an event and a zstd window have
//! maximum sizes, so a hostile file costs no more memory than a good one. A trace whose
//! recording was killed has no end: it reads up to its last whole block (JSON: line), and
//! then says it was cut short. Traces of format 4 (no digests, records without blocks)
//! are read too; `wasm-rr convert` rewrites them in the current format.

mod read;
mod stream;
mod write;

pub use read::TraceReader;
pub use write::{Creation, TraceWriter};

use crate::Outcome;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::MAX_EVENT_BYTES;

/// The first line of a binary trace.
const BINARY_MAGIC: &[u8] = b"wasm-rr binary trace\n";
/// The longest JSON line: an event of [`MAX_EVENT_BYTES`] written as escaped text.
const MAX_LINE_BYTES: usize = 8 * MAX_EVENT_BYTES;
/// The longest header line, and the largest end record.
const MAX_HEADER_BYTES: usize = 64 << 10;
/// The longest trap message an end keeps.
const MAX_TRAP_MESSAGE: usize = 4096;
/// Records gathered before a block is written out (a writer also ends a block when it
/// flushes); a block holds more only for one large event.
const BLOCK_BYTES: usize = 64 << 10;
/// The largest block a reader takes: a full block and the largest event after it.
const MAX_BLOCK_BYTES: usize = BLOCK_BYTES + MAX_EVENT_BYTES + MAX_HEADER_BYTES + 16;

/// A binary record's tag: an event's, or the end's.
const EVENT_TAG: u8 = 0;
const END_TAG: u8 = 1;
/// A block's tag (format 5).
const BLOCK_TAG: u8 = 2;

/// The oldest format this crate reads: 4, records without blocks or digests.
const OLDEST_READABLE: u32 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Binary,
    /// A binary trace, compressed with zstd.
    Zstd,
}

impl Format {
    /// The format a trace file's name asks for: binary for `.bin`, compressed binary for
    /// `.zst` (`.bin.zst`), else JSON.
    pub fn for_path(path: &Path) -> Format {
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("bin") => Format::Binary,
            Some("zst") => Format::Zstd,
            _ => Format::Json,
        }
    }

    /// Whether the records are binary (in a compressed stream or not).
    fn is_binary(self) -> bool {
        self != Format::Json
    }
}

/// The last line of a complete JSON trace: how the run ended, and the CRC-32C of every
/// byte before this line (absent in format 4, and where a person who edited the trace
/// took it out).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndLine {
    end: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crc32c: Option<String>,
}

/// Just the version of a header, read before the rest so that an older trace is named
/// as such.
#[derive(Deserialize)]
struct Version {
    wasm_rr_trace: u32,
}

/// A problem with a trace file, located by path and line (JSON) or event (binary).
#[derive(Debug)]
pub struct TraceError {
    pub path: PathBuf,
    /// 1-based line number, when the problem is on a line.
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for TraceError {}

fn error(path: &Path, line: Option<u64>, e: impl fmt::Display) -> TraceError {
    TraceError {
        path: path.into(),
        line,
        message: e.to_string(),
    }
}

fn too_large(len: usize) -> String {
    format!(
        "an event of {len} bytes, more than a trace event may hold ({} bytes)",
        MAX_EVENT_BYTES
    )
}

/// A JSON trace's digest: the CRC-32C of every line before its end, `crc`, and then of
/// the outcome (as JSON), so that the outcome is checked too.
fn end_digest(crc: u32, outcome: &Outcome) -> u32 {
    let outcome = serde_json::to_string(outcome).unwrap_or_default();
    crc32c::crc32c_append(crc, outcome.as_bytes())
}

/// A CRC-32C as the traces write it: eight hex digits.
fn digest_text(crc: u32) -> String {
    format!("{crc:08x}")
}

#[cfg(test)]
mod tests;
