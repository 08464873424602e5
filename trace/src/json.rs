//! Trace files in JSON Lines: the [`Header`] on line 1, then one [`Event`] per line, then
//! `{"end": <outcome>}`. Written and read as streams, so a trace of any length costs
//! bounded memory.

use crate::{Event, Header, Outcome, FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The last line of a complete trace.
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

/// Writes a trace file line by line.
pub struct TraceWriter {
    out: BufWriter<File>,
    path: PathBuf,
    line: String,
}

impl TraceWriter {
    /// Creates (or truncates) `path` and writes `header` to it.
    pub fn create(path: &Path, header: &Header) -> Result<Self, TraceError> {
        let file = File::create(path).map_err(|e| error(path, None, e))?;
        let mut writer = TraceWriter {
            out: BufWriter::with_capacity(1 << 16, file),
            path: path.into(),
            line: String::new(),
        };
        writer.write_line(header)?;
        Ok(writer)
    }

    pub fn event(&mut self, event: &Event) -> Result<(), TraceError> {
        self.write_line(event)
    }

    /// Writes the end line and flushes: the trace is then complete.
    pub fn finish(mut self, outcome: Outcome) -> Result<(), TraceError> {
        self.write_line(&EndLine { end: outcome })?;
        self.out.flush().map_err(|e| error(&self.path, None, e))
    }

    fn write_line(&mut self, value: &impl Serialize) -> Result<(), TraceError> {
        self.line.clear();
        // Serializing these types to a String cannot fail.
        if let Ok(json) = serde_json::to_string(value) {
            self.line = json;
        }
        self.line.push('\n');
        self.out
            .write_all(self.line.as_bytes())
            .map_err(|e| error(&self.path, None, e))
    }
}

/// Reads a trace file event by event.
pub struct TraceReader {
    lines: io::Lines<BufReader<File>>,
    path: PathBuf,
    line_number: u64,
    events_read: u64,
    outcome: Option<Outcome>,
}

impl TraceReader {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<(Self, Header), TraceError> {
        let file = File::open(path).map_err(|e| error(path, None, e))?;
        let mut reader = TraceReader {
            lines: BufReader::with_capacity(1 << 16, file).lines(),
            path: path.into(),
            line_number: 0,
            events_read: 0,
            outcome: None,
        };
        let Some(line) = reader.next_line()? else {
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

    /// The next event, or `None` at the end of the trace.
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
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

    /// How many events have been read so far; the last one read has this 1-based number.
    pub fn events_read(&self) -> u64 {
        self.events_read
    }

    /// The line the last event was read from.
    pub fn line_number(&self) -> u64 {
        self.line_number
    }

    /// How the recorded run ended, once the end line has been read.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An error about the current line.
    pub fn error(&self, message: impl Into<String>) -> TraceError {
        TraceError {
            path: self.path.clone(),
            line: Some(self.line_number),
            message: message.into(),
        }
    }

    fn next_line(&mut self) -> Result<Option<String>, TraceError> {
        loop {
            let Some(line) = self.lines.next() else {
                return Ok(None);
            };
            self.line_number += 1;
            let line = line.map_err(|e| self.error(e.to_string()))?;
            if !line.trim().is_empty() {
                return Ok(Some(line));
            }
        }
    }
}

fn error(path: &Path, line: Option<u64>, e: io::Error) -> TraceError {
    TraceError {
        path: path.into(),
        line,
        message: e.to_string(),
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
        let dir = std::env::temp_dir().join(format!("wasm-rr-trace-test-{}", std::process::id()));
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
        let mut writer = TraceWriter::create(&path, &header())?;
        for event in &events {
            writer.event(event)?;
        }
        writer.finish(Outcome::Exit(3))?;

        let text = std::fs::read_to_string(&path)?;
        assert!(text.contains(r#"{"wall-clock.now":{"result":{"seconds":5,"nanoseconds":6}}}"#));
        assert!(text.contains(r#"{"base64":"/wAB"}"#));
        assert!(text.ends_with("{\"end\":{\"exit\":3}}\n"));

        let (mut reader, read_header) = TraceReader::open(&path)?;
        assert_eq!(read_header, header());
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
