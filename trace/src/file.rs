//! Trace files, in one of two formats, written and read as streams so that a trace of any
//! length costs bounded memory:
//!
//! - [`Format::Json`]: JSON Lines. The [`Header`] on line 1, then one [`Event`] per line,
//!   then `{"end": <outcome>}`. For people and `jq`.
//! - [`Format::Binary`]: the line `wasm-rr binary trace`, the header's JSON line, then
//!   records: each the postcard encoding of [`Record`], so an event is stored as the very
//!   bytes the interposer sends (a wall-clock reading takes 12 bytes). For speed and size.
//!
//! Readers tell the formats apart by the first line.

use crate::{Event, Header, Outcome, FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The first line of a binary trace.
const BINARY_MAGIC: &[u8] = b"wasm-rr binary trace\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Binary,
}

impl Format {
    /// The format a trace file's name asks for: binary for `.bin`, else JSON.
    pub fn for_path(path: &Path) -> Format {
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("bin") => Format::Binary,
            _ => Format::Json,
        }
    }
}

/// One record of a binary trace. An event's record is a zero byte and the event's wire
/// bytes; the end's, a one byte and the outcome.
#[derive(Serialize, Deserialize)]
enum Record {
    Event(Event),
    End(Outcome),
}

/// The first byte of an event's record: [`Record::Event`]'s variant index.
const EVENT_RECORD: u8 = 0;

/// The last line of a complete JSON trace.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndLine {
    end: Outcome,
}

/// A problem with a trace file, located by path and line.
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
    out: BufWriter<File>,
    path: PathBuf,
    format: Format,
    line: String,
}

impl TraceWriter {
    /// Creates (or truncates) `path` and writes `header` to it.
    pub fn create(path: &Path, header: &Header, format: Format) -> Result<Self, TraceError> {
        let file = File::create(path).map_err(|e| error(path, None, e))?;
        let mut writer = TraceWriter {
            out: BufWriter::with_capacity(1 << 16, file),
            path: path.into(),
            format,
            line: String::new(),
        };
        if format == Format::Binary {
            writer.write(BINARY_MAGIC)?;
        }
        writer.write_line(header)?;
        Ok(writer)
    }

    pub fn event(&mut self, event: &Event) -> Result<(), TraceError> {
        match self.format {
            Format::Json => self.write_line(event),
            Format::Binary => {
                let mut bytes = Vec::new();
                event.encode(&mut bytes);
                self.event_bytes(&bytes)
            }
        }
    }

    /// Writes an event given in its wire form, as the interposer sends it.
    pub fn event_bytes(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
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
            Format::Binary => {
                self.write(&[EVENT_RECORD])?;
                self.write(bytes)
            }
        }
    }

    /// Writes the end and flushes: the trace is then complete.
    pub fn finish(mut self, outcome: Outcome) -> Result<(), TraceError> {
        match self.format {
            Format::Json => self.write_line(&EndLine { end: outcome })?,
            Format::Binary => {
                let bytes = postcard::to_stdvec(&Record::End(outcome))
                    .map_err(|e| error(&self.path, None, e))?;
                self.write(&bytes)?;
            }
        }
        self.out.flush().map_err(|e| error(&self.path, None, e))
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

/// Reads a trace file event by event, in either format.
pub struct TraceReader {
    input: BufReader<File>,
    path: PathBuf,
    format: Format,
    /// JSON: the line the last event was read from.
    line_number: u64,
    events_read: u64,
    outcome: Option<Outcome>,
    /// Binary: bytes read but not yet decoded, from `start`.
    buffer: Vec<u8>,
    start: usize,
    line: String,
}

impl TraceReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<(Self, Header), TraceError> {
        let file = File::open(path).map_err(|e| error(path, None, e))?;
        let mut reader = TraceReader {
            input: BufReader::with_capacity(1 << 16, file),
            path: path.into(),
            format: Format::Json,
            line_number: 0,
            events_read: 0,
            outcome: None,
            buffer: Vec::new(),
            start: 0,
            line: String::new(),
        };
        let mut first = reader.next_line()?;
        if first.as_deref().map(str::as_bytes) == Some(&BINARY_MAGIC[..BINARY_MAGIC.len() - 1]) {
            reader.format = Format::Binary;
            first = reader.next_line()?;
        }
        let Some(line) = first else {
            return Err(reader.error("empty file: not a wasm-rr trace"));
        };
        let header: Header = serde_json::from_str(&line)
            .map_err(|e| reader.error(format!("not a wasm-rr trace header: {e}")))?;
        if header.wasm_rr_trace != FORMAT_VERSION {
            return Err(reader.error(format!(
                "trace format {} is not supported (this wasm-rr reads format {FORMAT_VERSION})",
                header.wasm_rr_trace
            )));
        }
        Ok((reader, header))
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The next event, or `None` at the end of the trace.
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
        match self.format {
            Format::Json => self.next_json_event(),
            Format::Binary => {
                let Some(bytes) = self.next_event_bytes()? else {
                    return Ok(None);
                };
                Event::decode(&bytes)
                    .map(Some)
                    .map_err(|e| self.error(e.to_string()))
            }
        }
    }

    /// The next event in its wire form, or `None` at the end of the trace. A binary trace
    /// holds that form already: nothing is decoded but to find where the event ends.
    pub fn next_event_bytes(&mut self) -> Result<Option<Vec<u8>>, TraceError> {
        if self.format == Format::Json {
            let Some(event) = self.next_json_event()? else {
                return Ok(None);
            };
            let mut bytes = Vec::new();
            event.encode(&mut bytes);
            return Ok(Some(bytes));
        }
        if self.outcome.is_some() {
            return Ok(None);
        }
        loop {
            let available = &self.buffer[self.start..];
            match postcard::take_from_bytes::<Record>(available) {
                Ok((record, rest)) => {
                    let used = available.len() - rest.len();
                    let record_bytes = &available[..used];
                    self.start += used;
                    return match record {
                        Record::Event(_) => {
                            self.events_read += 1;
                            Ok(Some(record_bytes[1..].to_vec()))
                        }
                        Record::End(outcome) => {
                            self.outcome = Some(outcome);
                            Ok(None)
                        }
                    };
                }
                Err(postcard::Error::DeserializeUnexpectedEnd) => {
                    if !self.fill()? {
                        if self.start == self.buffer.len() {
                            return Ok(None);
                        }
                        return Err(self.error("the trace ends in the middle of an event"));
                    }
                }
                Err(e) => return Err(self.error(format!("invalid event: {e}"))),
            }
        }
    }

    /// Reads more of a binary trace; false at the end of the file.
    fn fill(&mut self) -> Result<bool, TraceError> {
        self.buffer.drain(..self.start);
        self.start = 0;
        let mut chunk = [0u8; 1 << 16];
        let read = self
            .input
            .read(&mut chunk)
            .map_err(|e| error(&self.path, None, e))?;
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(read > 0)
    }

    fn next_json_event(&mut self) -> Result<Option<Event>, TraceError> {
        if self.outcome.is_some() {
            return Ok(None);
        }
        let Some(line) = self.next_line()? else {
            return Ok(None);
        };
        match serde_json::from_str::<Event>(&line) {
            Ok(event) => {
                self.events_read += 1;
                Ok(Some(event))
            }
            Err(event_error) => match serde_json::from_str::<EndLine>(&line) {
                Ok(end) => {
                    self.outcome = Some(end.end);
                    Ok(None)
                }
                Err(_) => Err(self.error(format!("invalid event: {event_error}"))),
            },
        }
    }

    /// The line the last event was read from, in a JSON trace.
    pub fn line_number(&self) -> Option<u64> {
        (self.format == Format::Json).then_some(self.line_number)
    }

    /// How the recorded run ended, once the end has been read.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An error about where the reader is.
    pub fn error(&self, message: impl Into<String>) -> TraceError {
        let line = match self.format {
            Format::Json => Some(self.line_number),
            Format::Binary => None,
        };
        let message = match self.format {
            Format::Json => message.into(),
            Format::Binary => format!("event {}: {}", self.events_read + 1, message.into()),
        };
        TraceError {
            path: self.path.clone(),
            line,
            message,
        }
    }

    fn next_line(&mut self) -> Result<Option<String>, TraceError> {
        loop {
            self.line.clear();
            let read = self
                .input
                .read_line(&mut self.line)
                .map_err(|e| error(&self.path, None, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.line_number += 1;
            let line = self.line.trim_end_matches(['\n', '\r']);
            if !line.trim().is_empty() {
                return Ok(Some(line.to_string()));
            }
        }
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
    fn a_clock_reading_takes_12_bytes_in_binary() -> Result<(), Box<dyn std::error::Error>> {
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
        // The header, 100 events, and the end (3 bytes: record, outcome, status).
        assert_eq!(size - header_bytes - 3, 100 * 12);
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
