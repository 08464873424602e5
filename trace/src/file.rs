//! Trace files, in one of two formats, written and read as streams so that a trace of any
//! length costs bounded memory:
//!
//! - [`Format::Json`]: JSON Lines. The [`Header`] on line 1, then one [`Event`] per line,
//!   then `{"end": <outcome>}`. For people and `jq`.
//! - [`Format::Binary`]: the line `wasm-rr binary trace`, the header's JSON line, then
//!   records, each a tag byte, a length (unsigned LEB128) and that many bytes, so that any
//!   language splits records without knowing the events: an event's record (tag 0) holds the
//!   very bytes the interposer sends (a wall-clock reading takes 13 bytes); the end's (tag 1)
//!   the outcome's JSON. For speed and size.
//! - [`Format::Zstd`]: a binary trace compressed as one zstd stream (`.bin.zst`), flushed
//!   block by block as the binary one is. For recorded input that compresses: text, logs.
//!
//! Readers tell the formats apart by the first bytes: zstd's magic number, else the first
//! line. Every read is bounded: a line, a
//! record and an event have maximum sizes, so a hostile file costs no more memory than a
//! good one. A trace whose recording was killed has no end: it reads up to its last whole
//! event, and then says it was cut short.

use crate::length::{self, LengthReader, TooLong};
use crate::{Event, Header, Outcome, FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The first line of a binary trace.
const BINARY_MAGIC: &[u8] = b"wasm-rr binary trace\n";

pub use crate::MAX_EVENT_BYTES;
/// The longest JSON line: an event of [`MAX_EVENT_BYTES`] written as escaped text.
const MAX_LINE_BYTES: usize = 8 * MAX_EVENT_BYTES;
/// The longest header line, and the largest end record.
const MAX_HEADER_BYTES: usize = 64 << 10;
/// The longest trap message an end keeps.
const MAX_TRAP_MESSAGE: usize = 4096;

/// A binary record's tag: an event's, or the end's.
const EVENT_TAG: u8 = 0;
const END_TAG: u8 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Binary,
    /// A binary trace, compressed with zstd.
    Zstd,
}

/// The first bytes of a zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// zstd's level for traces: the fastest, to keep up with a recording on one core; on
/// log-like text it also compresses better than level 3.
const ZSTD_LEVEL: i32 = 1;

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

/// Where a trace is written: the file, or a zstd stream into it.
enum Output {
    File(File),
    Zstd(zstd::Encoder<'static, File>),
    /// After the end: nothing more goes in.
    Closed,
}

impl Output {
    fn new(file: File, format: Format) -> std::io::Result<Output> {
        Ok(match format {
            Format::Zstd => Output::Zstd(zstd::Encoder::new(file, ZSTD_LEVEL)?),
            _ => Output::File(file),
        })
    }

    /// Ends the zstd stream, if any.
    fn finish(self) -> std::io::Result<()> {
        match self {
            Output::File(mut file) => file.flush(),
            Output::Zstd(encoder) => encoder.finish()?.flush(),
            Output::Closed => Ok(()),
        }
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::File(file) => file.write(bytes),
            Output::Zstd(encoder) => encoder.write(bytes),
            Output::Closed => Err(std::io::Error::other("the trace has ended")),
        }
    }

    /// For zstd, ends the current block: what is written so far is then readable.
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::File(file) => file.flush(),
            Output::Zstd(encoder) => encoder.flush(),
            Output::Closed => Ok(()),
        }
    }
}

/// Where a trace is read from: the file, or the zstd stream in it.
enum Input {
    File(File),
    Zstd(zstd::Decoder<'static, BufReader<File>>),
}

impl Input {
    /// The file's input, decompressed when it starts with zstd's magic number.
    fn open(mut file: File) -> std::io::Result<(Input, bool)> {
        use std::io::Seek;
        let mut magic = [0u8; 4];
        let compressed = file.read_exact(&mut magic).is_ok() && magic == ZSTD_MAGIC;
        file.rewind()?;
        Ok(if compressed {
            (Input::Zstd(zstd::Decoder::new(file)?), true)
        } else {
            (Input::File(file), false)
        })
    }

    /// How far into the file reading is, in bytes.
    fn position(&mut self) -> u64 {
        use std::io::Seek;
        match self {
            Input::File(file) => file.stream_position().unwrap_or(0),
            Input::Zstd(decoder) => decoder.get_mut().stream_position().unwrap_or(0),
        }
    }
}

impl Read for Input {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(file) => file.read(buffer),
            // A recording that was killed leaves its stream without an end: what it holds
            // is read, then the trace is cut short, as a binary one would be.
            Input::Zstd(decoder) => match decoder.read(buffer) {
                Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
        }
    }
}

/// The last line of a complete JSON trace.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndLine {
    end: Outcome,
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

/// Writes a trace file event by event.
pub struct TraceWriter {
    out: BufWriter<Output>,
    /// The trace's path.
    path: PathBuf,
    /// Where the trace is written until it is complete, when it replaces a file only then.
    temporary: Option<PathBuf>,
    format: Format,
    line: String,
}

impl TraceWriter {
    /// Creates (or truncates) `path` and writes `header` to it. Every event is in the file
    /// as soon as it is written out, so a recording that is killed leaves them readable.
    pub fn create(path: &Path, header: &Header, format: Format) -> Result<Self, TraceError> {
        let file = File::create(path).map_err(|e| error(path, None, e))?;
        TraceWriter::start(file, path, None, header, format)
    }

    /// Writes the trace to a temporary file beside `path`, which replaces `path` only when
    /// the trace is complete ([`TraceWriter::finish`]); dropped before, it leaves `path` as
    /// it was.
    pub fn create_replacing(
        path: &Path,
        header: &Header,
        format: Format,
    ) -> Result<Self, TraceError> {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let file = File::create(&temporary).map_err(|e| error(&temporary, None, e))?;
        TraceWriter::start(file, path, Some(temporary), header, format)
    }

    fn start(
        file: File,
        path: &Path,
        temporary: Option<PathBuf>,
        header: &Header,
        format: Format,
    ) -> Result<Self, TraceError> {
        let output = Output::new(file, format).map_err(|e| error(path, None, e))?;
        let mut writer = TraceWriter {
            out: BufWriter::with_capacity(1 << 16, output),
            path: path.into(),
            temporary,
            format,
            line: String::new(),
        };
        if format.is_binary() {
            writer.write(BINARY_MAGIC)?;
        }
        writer.write_line(header)?;
        writer.flush()?;
        Ok(writer)
    }

    pub fn event(&mut self, event: &Event) -> Result<(), TraceError> {
        match self.format {
            Format::Json => self.write_line(event),
            Format::Binary | Format::Zstd => {
                let mut bytes = Vec::new();
                event.encode(&mut bytes);
                self.event_bytes(&bytes)
            }
        }
    }

    /// Writes an event given in its wire form, as the interposer sends it.
    pub fn event_bytes(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
        if bytes.len() > MAX_EVENT_BYTES {
            return Err(error(&self.path, None, too_large(bytes.len())));
        }
        match self.format {
            Format::Json => {
                let event = Event::decode(bytes).map_err(|e| {
                    error(
                        &self.path,
                        None,
                        format!("an event this wasm-rr cannot read: {e}"),
                    )
                })?;
                self.write_line(&event)
            }
            Format::Binary | Format::Zstd => self.record(EVENT_TAG, bytes),
        }
    }

    /// Puts what is written so far in the file.
    pub fn flush(&mut self) -> Result<(), TraceError> {
        self.out.flush().map_err(|e| error(&self.path, None, e))
    }

    /// Writes the end and flushes: the trace is then complete (and, from
    /// [`TraceWriter::create_replacing`], in its place).
    pub fn finish(mut self, outcome: Outcome) -> Result<(), TraceError> {
        let outcome = match outcome {
            Outcome::Trap(message) if message.len() > MAX_TRAP_MESSAGE => {
                Outcome::Trap(crate::short_debug(&message))
            }
            outcome => outcome,
        };
        match self.format {
            Format::Json => self.write_line(&EndLine { end: outcome })?,
            Format::Binary | Format::Zstd => {
                let json = serde_json::to_vec(&outcome).map_err(|e| error(&self.path, None, e))?;
                self.record(END_TAG, &json)?;
            }
        }
        let out = std::mem::replace(&mut self.out, BufWriter::new(Output::Closed));
        out.into_inner()
            .map_err(|e| e.into_error())
            .and_then(Output::finish)
            .map_err(|e| error(&self.path, None, e))?;
        if let Some(temporary) = self.temporary.take() {
            std::fs::rename(&temporary, &self.path).map_err(|e| error(&self.path, None, e))?;
        }
        Ok(())
    }

    /// A binary record: its tag, its length, its bytes.
    fn record(&mut self, tag: u8, bytes: &[u8]) -> Result<(), TraceError> {
        let mut length = [0u8; 5];
        let used = length::encode(bytes.len() as u32, &mut length);
        let mut head = [tag, 0, 0, 0, 0, 0];
        head[1..=used].copy_from_slice(&length[..used]);
        self.write(&head[..=used])?;
        self.write(bytes)
    }

    fn write_line(&mut self, value: &impl Serialize) -> Result<(), TraceError> {
        self.line.clear();
        // Serializing these types to a String cannot fail.
        if let Ok(json) = serde_json::to_string(value) {
            self.line = json;
        }
        self.line.push('\n');
        let line = std::mem::take(&mut self.line);
        let written = self.write(line.as_bytes());
        self.line = line;
        written
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
        self.out
            .write_all(bytes)
            .map_err(|e| error(&self.path, None, e))
    }
}

impl Drop for TraceWriter {
    /// An unfinished replacement is thrown away, leaving the file it was to replace.
    fn drop(&mut self) {
        if let Some(temporary) = self.temporary.take() {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

fn too_large(len: usize) -> String {
    format!(
        "an event of {len} bytes, more than a trace event may hold ({} bytes)",
        MAX_EVENT_BYTES
    )
}

/// What reading a binary record found.
enum RecordRead {
    Record(u8, Vec<u8>),
    /// The file ends here, between records or in the middle of one.
    Eof,
}

/// Reads a trace file event by event, in either format.
pub struct TraceReader {
    input: BufReader<Input>,
    path: PathBuf,
    format: Format,
    /// JSON: the line the last event was read from.
    line_number: u64,
    events_read: u64,
    /// Set once the reader has reached the end of the trace.
    finished: Option<Finished>,
    line: Vec<u8>,
}

/// How the trace ended.
#[derive(Debug)]
enum Finished {
    /// With its end: how the recorded run ended.
    End(Outcome),
    /// Without one: the recording was killed.
    CutShort,
}

impl TraceReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<(Self, Header), TraceError> {
        let file = File::open(path).map_err(|e| error(path, None, e))?;
        let (input, compressed) = Input::open(file).map_err(|e| error(path, None, e))?;
        let mut reader = TraceReader {
            input: BufReader::with_capacity(1 << 16, input),
            path: path.into(),
            format: Format::Json,
            line_number: 0,
            events_read: 0,
            finished: None,
            line: Vec::new(),
        };
        let not_a_trace = |reader: &TraceReader, what: &str| {
            error(&reader.path, None, format!("{what}: not a wasm-rr trace"))
        };
        let mut first = reader.next_line(MAX_HEADER_BYTES)?;
        if first && reader.current_line() == &BINARY_MAGIC[..BINARY_MAGIC.len() - 1] {
            reader.format = if compressed {
                Format::Zstd
            } else {
                Format::Binary
            };
            first = reader.next_line(MAX_HEADER_BYTES)?;
        }
        if !first {
            return Err(not_a_trace(&reader, "empty file"));
        }
        let line = reader.current_line().to_vec();
        let header_error = |reader: &TraceReader, message: String| TraceError {
            path: reader.path.clone(),
            line: Some(reader.line_number),
            message,
        };
        let version: Version = serde_json::from_slice(&line)
            .map_err(|e| header_error(&reader, format!("not a wasm-rr trace header: {e}")))?;
        if version.wasm_rr_trace != FORMAT_VERSION {
            return Err(header_error(
                &reader,
                format!(
                    "trace format {} is not supported: this wasm-rr ({}) reads format {FORMAT_VERSION}",
                    version.wasm_rr_trace,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        let header: Header = serde_json::from_slice(&line)
            .map_err(|e| header_error(&reader, format!("not a wasm-rr trace header: {e}")))?;
        Ok((reader, header))
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The next event, or `None` at the end of the trace.
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
        match self.format {
            Format::Json => self.next_json_event(),
            Format::Binary | Format::Zstd => {
                let Some(bytes) = self.next_event_bytes()? else {
                    return Ok(None);
                };
                Event::decode(&bytes)
                    .map(Some)
                    .map_err(|e| self.event_error(e.to_string()))
            }
        }
    }

    /// The next event in its wire form, or `None` at the end of the trace. A binary trace
    /// holds that form already: nothing is decoded.
    pub fn next_event_bytes(&mut self) -> Result<Option<Vec<u8>>, TraceError> {
        if self.format == Format::Json {
            let Some(event) = self.next_json_event()? else {
                return Ok(None);
            };
            let mut bytes = Vec::new();
            event.encode(&mut bytes);
            if bytes.len() > MAX_EVENT_BYTES {
                return Err(self.event_error(too_large(bytes.len())));
            }
            return Ok(Some(bytes));
        }
        if self.finished.is_some() {
            return Ok(None);
        }
        match self.next_record()? {
            RecordRead::Record(EVENT_TAG, bytes) => {
                self.events_read += 1;
                Ok(Some(bytes))
            }
            RecordRead::Record(_, bytes) => {
                let outcome = serde_json::from_slice::<Outcome>(&bytes)
                    .map_err(|e| self.event_error(format!("an end that does not decode: {e}")))?;
                let mut more = [0u8];
                if self.input.read(&mut more).map_err(|e| self.io_error(e))? > 0 {
                    return Err(error(&self.path, None, "bytes after the end of the trace"));
                }
                self.finished = Some(Finished::End(outcome));
                Ok(None)
            }
            RecordRead::Eof => {
                self.finished = Some(Finished::CutShort);
                Ok(None)
            }
        }
    }

    /// Reads one binary record, bounded by what its tag allows.
    fn next_record(&mut self) -> Result<RecordRead, TraceError> {
        let mut tag = [0u8];
        if self.input.read(&mut tag).map_err(|e| self.io_error(e))? == 0 {
            return Ok(RecordRead::Eof);
        }
        let limit = match tag[0] {
            EVENT_TAG => MAX_EVENT_BYTES,
            END_TAG => MAX_HEADER_BYTES,
            other => return Err(self.event_error(format!("unknown record tag {other}"))),
        };
        let mut length = LengthReader::default();
        let len = loop {
            let mut byte = [0u8];
            if self.input.read(&mut byte).map_err(|e| self.io_error(e))? == 0 {
                return Ok(RecordRead::Eof);
            }
            match length.push(byte[0]) {
                Ok(Some(len)) => break len,
                Ok(None) => {}
                Err(TooLong) => return Err(self.event_error("a record length longer than 5 bytes")),
            }
        };
        if len > limit as u64 {
            return Err(self.event_error(format!(
                "a record of {len} bytes, more than a trace record may hold ({limit} bytes)"
            )));
        }
        // Bounded by the limit above, whatever the file says.
        let mut bytes = vec![0; len as usize];
        match self.input.read_exact(&mut bytes) {
            Ok(()) => Ok(RecordRead::Record(tag[0], bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(RecordRead::Eof),
            Err(e) => Err(self.io_error(e)),
        }
    }

    fn next_json_event(&mut self) -> Result<Option<Event>, TraceError> {
        if self.finished.is_some() {
            return Ok(None);
        }
        if !self.next_line(MAX_LINE_BYTES)? {
            self.finished = Some(Finished::CutShort);
            return Ok(None);
        }
        match serde_json::from_slice::<Event>(self.current_line()) {
            Ok(event) => {
                self.events_read += 1;
                Ok(Some(event))
            }
            Err(event_error) => {
                if let Ok(end) = serde_json::from_slice::<EndLine>(self.current_line()) {
                    if self.next_line(MAX_LINE_BYTES)? {
                        return Err(self.error("a line after the end of the trace"));
                    }
                    self.finished = Some(Finished::End(end.end));
                    return Ok(None);
                }
                // A last line without its newline was cut short while being written.
                if self.line.last() != Some(&b'\n') {
                    self.finished = Some(Finished::CutShort);
                    return Ok(None);
                }
                Err(self.error(json_event_error(&event_error)))
            }
        }
    }

    /// The line the last event was read from, in a JSON trace.
    pub fn line_number(&self) -> Option<u64> {
        (self.format == Format::Json).then_some(self.line_number)
    }

    /// How far into the file the reader is, in bytes (for progress: it asks the system).
    pub fn bytes_read(&mut self) -> u64 {
        self.input.get_mut().position()
    }

    /// How many events have been read.
    pub fn events_read(&self) -> u64 {
        self.events_read
    }

    /// How the recorded run ended, once the end has been read; `None` before, and for a
    /// trace that was cut short (see [`TraceReader::cut_short`]).
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.finished {
            Some(Finished::End(outcome)) => Some(outcome),
            _ => None,
        }
    }

    /// Whether the reader reached the end of a trace that has no end record.
    pub fn cut_short(&self) -> bool {
        matches!(self.finished, Some(Finished::CutShort))
    }

    /// Says where a trace that has no end was cut, for messages.
    pub fn cut_short_message(&self) -> String {
        format!(
            "{} was cut short after event {}: it has no end (the recording was killed or crashed)",
            self.path.display(),
            self.events_read
        )
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An error about the line just read (JSON) or the event being read (binary).
    pub fn error(&self, message: impl Into<String>) -> TraceError {
        match self.format {
            Format::Json => TraceError {
                path: self.path.clone(),
                line: Some(self.line_number),
                message: message.into(),
            },
            Format::Binary | Format::Zstd => self.event_error(message),
        }
    }

    /// An error about the event being read, located by number.
    fn event_error(&self, message: impl Into<String>) -> TraceError {
        let line = (self.format == Format::Json).then_some(self.line_number);
        let message = message.into();
        TraceError {
            path: self.path.clone(),
            line,
            message: match self.format {
                Format::Json => message,
                Format::Binary | Format::Zstd => {
                    format!("event {}: {message}", self.events_read + 1)
                }
            },
        }
    }

    fn io_error(&self, e: std::io::Error) -> TraceError {
        self.error(e.to_string())
    }

    /// Reads the next line that is not blank, up to `limit` bytes, into `self.line` (with
    /// its line end, if it has one): false at the end of the file.
    fn next_line(&mut self, limit: usize) -> Result<bool, TraceError> {
        loop {
            self.line.clear();
            let read = (&mut self.input)
                .take(limit as u64 + 1)
                .read_until(b'\n', &mut self.line)
                .map_err(|e| error(&self.path, Some(self.line_number + 1), e))?;
            if read == 0 {
                return Ok(false);
            }
            self.line_number += 1;
            if self.line.len() > limit && self.line.last() != Some(&b'\n') {
                return Err(self.error(format!("a line longer than {limit} bytes")));
            }
            let line = self.current_line();
            if std::str::from_utf8(line).is_err() {
                return Err(self.error("a line that is not UTF-8 text"));
            }
            if !line.is_empty() {
                return Ok(true);
            }
        }
    }

    /// The line last read, without its line end.
    fn current_line(&self) -> &[u8] {
        self.line.trim_ascii_end()
    }
}

/// A JSON line that is not an event, said in a line: an unknown event is named, without
/// serde's list of every known one.
fn json_event_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.split_once("unknown variant `") {
        Some((_, rest)) => {
            let name = rest.split('`').next().unwrap_or_default();
            format!(
                "unknown event `{}`",
                crate::short_debug(&name).trim_matches('"')
            )
        }
        None => format!("invalid event: {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{stream, Bytes, Datetime, InputStreamRead, StreamResult, WallClockNow};

    fn header() -> Header {
        Header {
            wasm_rr_trace: FORMAT_VERSION,
            wasm_rr_version: "0".into(),
            app_sha256: "ab".into(),
            request: None,
        }
    }

    #[test]
    fn round_trip_through_a_file() -> Result<(), Box<dyn std::error::Error>> {
        for format in [Format::Json, Format::Binary] {
            round_trip(format)?;
        }
        Ok(())
    }

    fn round_trip(format: Format) -> Result<(), Box<dyn std::error::Error>> {
        let dir =
            std::env::temp_dir().join(format!("wasm-rr-trace-{format:?}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("t.json");
        let events: Vec<Event> = vec![
            WallClockNow {
                result: Datetime {
                    seconds: 5,
                    nanoseconds: 6,
                },
            }
            .into(),
            InputStreamRead {
                stream: stream::STDIN,
                len: 9,
                result: StreamResult::Ok(Bytes(vec![0xff, 0, 1])),
            }
            .into(),
            InputStreamRead {
                stream: stream::STDIN,
                len: 9,
                result: StreamResult::Closed,
            }
            .into(),
        ];
        let mut writer = TraceWriter::create(&path, &header(), format)?;
        for event in &events {
            writer.event(event)?;
        }
        writer.finish(Outcome::Exit(3))?;

        if format == Format::Json {
            let text = std::fs::read_to_string(&path)?;
            assert!(text.contains(r#"{"wall-clock.now":{"result":{"seconds":5,"nanoseconds":6}}}"#));
            assert!(text.contains(r#"{"base64":"/wAB"}"#));
            assert!(text.ends_with("{\"end\":{\"exit\":3}}\n"));
        } else {
            assert!(std::fs::read(&path)?.starts_with(BINARY_MAGIC));
        }

        let (mut reader, read_header) = TraceReader::open(&path)?;
        assert_eq!(read_header, header());
        assert_eq!(reader.format(), format);
        let mut read = Vec::new();
        while let Some(event) = reader.next_event()? {
            read.push(event);
        }
        assert_eq!(read, events);
        assert_eq!(reader.outcome(), Some(&Outcome::Exit(3)));
        std::fs::remove_dir_all(dir)?;
        Ok(())
    }

    #[test]
    fn a_clock_reading_takes_13_bytes_in_binary() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("wasm-rr-trace-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("t.bin");
        let mut writer = TraceWriter::create(&path, &header(), Format::for_path(&path))?;
        let header_bytes =
            (BINARY_MAGIC.len() + serde_json::to_string(&header())?.len() + 1) as u64;
        let reading = Datetime {
            seconds: 1_795_297_085,
            nanoseconds: 999_999_999,
        };
        for _ in 0..100 {
            writer.event(&WallClockNow { result: reading }.into())?;
        }
        writer.finish(Outcome::Exit(0))?;
        let size = std::fs::metadata(&path)?.len();
        // The header, 100 events, and the end (tag, length, `{"exit":0}`).
        assert_eq!(size - header_bytes - 12, 100 * 13);
        let (mut reader, _) = TraceReader::open(&path)?;
        let mut count = 0;
        while reader.next_event_bytes()?.is_some() {
            count += 1;
        }
        assert_eq!(count, 100);
        std::fs::remove_dir_all(dir)?;
        Ok(())
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("wasm-rr-trace-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("t.json");
        let header = serde_json::to_string(&header())?;
        std::fs::write(
            &path,
            format!("{header}\n{{\"wall-clock.now\":{{\"result\":1}}}}\n"),
        )?;
        let (mut reader, _) = TraceReader::open(&path)?;
        let err = reader
            .next_event()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with(&format!("{}:2: invalid event:", path.display())),
            "{err}"
        );
        std::fs::remove_dir_all(dir)?;
        Ok(())
    }
}
