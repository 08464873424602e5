//! `rr:log` over a trace file: the host side of recording and replaying.
//!
//! The interposer sends each event as postcard bytes; record decodes and writes it as a
//! JSON line, replay reads a JSON line and encodes it back. Both stream, so memory stays
//! bounded whatever the trace's length.

use crate::host::rr::log::log::{Host, Mode};
use std::fmt;
use wasm_rr_trace::json::{TraceReader, TraceWriter};
use wasm_rr_trace::{Event, Outcome};
use wasmtime::Result;

/// The trace side of a run.
pub enum RrLog {
    Passthrough,
    Record(Recorder),
    Replay(Replayer),
}

impl RrLog {
    pub fn record(writer: TraceWriter) -> Self {
        RrLog::Record(Recorder { writer })
    }

    pub fn replay(reader: TraceReader) -> Self {
        RrLog::Replay(Replayer {
            reader,
            exhausted: false,
        })
    }
}

pub struct Recorder {
    writer: TraceWriter,
}

impl Recorder {
    /// Ends the trace with how the run ended.
    pub fn finish(self, outcome: Outcome) -> anyhow::Result<()> {
        Ok(self.writer.finish(outcome)?)
    }
}

pub struct Replayer {
    reader: TraceReader,
    /// The guest asked past the last event.
    exhausted: bool,
}

impl Replayer {
    /// After a run that ended normally, any event left unused is a divergence.
    pub fn check_fully_used(&mut self) -> anyhow::Result<()> {
        let used = self.reader.events_read();
        let Some(event) = self.reader.next_event()? else {
            return Ok(());
        };
        Err(ReplayError {
            at: format!(
                "event {} ({}:{})",
                used + 1,
                self.reader.path().display(),
                self.reader.line_number()
            ),
            message: format!(
                "the guest ended, but the trace holds more events, starting with {}",
                event.describe()
            ),
        }
        .into())
    }
}

/// A replay that cannot go on: the guest diverged from the trace, or the trace is bad.
/// It stops the guest (a host error traps it) and is reported instead of a trap.
#[derive(Debug)]
pub struct ReplayError {
    /// Where in the trace.
    pub at: String,
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replay diverged from the trace at {}: {}",
            self.at, self.message
        )
    }
}

impl std::error::Error for ReplayError {}

/// The trace could not be written, or the interposer sent an event this host cannot read.
#[derive(Debug)]
pub struct RecordError(pub String);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recording failed: {}", self.0)
    }
}

impl std::error::Error for RecordError {}

impl Host for RrLog {
    fn get_mode(&mut self) -> Result<Mode> {
        Ok(match self {
            RrLog::Passthrough => Mode::Passthrough,
            RrLog::Record(_) => Mode::Record,
            RrLog::Replay(_) => Mode::Replay,
        })
    }

    fn append(&mut self, event: Vec<u8>) -> Result<()> {
        let RrLog::Record(recorder) = self else {
            return Err(
                RecordError("the interposer appended an event outside record mode".into()).into(),
            );
        };
        let event = Event::decode(&event).map_err(|e| {
            RecordError(format!(
                "the interposer sent an event this host cannot read: {e}"
            ))
        })?;
        recorder
            .writer
            .event(&event)
            .map_err(|e| RecordError(e.to_string()))?;
        Ok(())
    }

    fn next(&mut self) -> Result<Option<Vec<u8>>> {
        let RrLog::Replay(replayer) = self else {
            return Err(RecordError(
                "the interposer asked for an event outside replay mode".into(),
            )
            .into());
        };
        match replayer.reader.next_event()? {
            Some(event) => {
                let mut bytes = Vec::new();
                event.encode(&mut bytes);
                Ok(Some(bytes))
            }
            None => {
                replayer.exhausted = true;
                Ok(None)
            }
        }
    }

    fn diverged(&mut self, message: String) -> Result<()> {
        let at = match self {
            RrLog::Replay(replayer) if replayer.exhausted => format!(
                "its end ({} events, {})",
                replayer.reader.events_read(),
                replayer.reader.path().display()
            ),
            RrLog::Replay(replayer) => format!(
                "event {} ({}:{})",
                replayer.reader.events_read(),
                replayer.reader.path().display(),
                replayer.reader.line_number()
            ),
            _ => "no trace".into(),
        };
        Err(ReplayError { at, message }.into())
    }
}
