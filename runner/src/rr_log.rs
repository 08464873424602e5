//! `rr:log` over a trace file: the host side of recording and replaying.
//!
//! The interposer sends each event as postcard bytes; record writes them to the trace (as
//! a JSON line, or as they are in a binary trace), replay reads them back. Both stream, so
//! memory stays bounded whatever the trace's length.
//!
//! Recording, the guest's thread only queues each event's bytes (moved, not copied): a
//! writer thread turns them into the trace, on the machine's other core. Replaying, a
//! reader thread reads and encodes the events ahead of the guest, the same way round.

use crate::host::rr::log::log::{Host, Mode, Redaction};
use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;
use wasm_rr_trace::file::{TraceError, TraceReader, TraceWriter};
use wasm_rr_trace::{Event, Outcome};
use wasmtime::Result;

/// The trace side of a run.
pub enum RrLog {
    Passthrough,
    Record(Recorder),
    Replay(Replayer),
}

impl RrLog {
    /// Records into `writer`, redacting the values of the HTTP request headers named by
    /// `redacted_headers`.
    pub fn record(writer: TraceWriter, redacted_headers: Vec<String>) -> Self {
        let (batches, queue) = sync_channel::<Queued>(QUEUED_BATCHES);
        let writer = std::thread::spawn(move || -> Result<TraceWriter, String> {
            let mut writer = writer;
            for queued in queue {
                match queued {
                    Queued::Packed(batch) => write_packed(&mut writer, &batch)?,
                    Queued::Large(event) => {
                        writer.event_bytes(&event).map_err(|e| e.to_string())?
                    }
                }
            }
            Ok(writer)
        });
        let batch = Vec::with_capacity(BATCH_BYTES);
        RrLog::Record(Recorder {
            batch,
            batches,
            writer,
            redacted_headers,
        })
    }

    pub fn replay(reader: TraceReader) -> Self {
        let path = reader.path().to_path_buf();
        let (batches, queue) = sync_channel::<AheadBatch>(QUEUED_BATCHES);
        std::thread::spawn(move || read_ahead(reader, batches));
        RrLog::Replay(Replayer {
            path,
            current: AheadBatch::default(),
            next_in_batch: 0,
            packed_start: 0,
            queue,
            events_read: 0,
            line: None,
            exhausted: false,
        })
    }
}

/// Bytes of queued events handed to the writer thread at once.
const BATCH_BYTES: usize = 1 << 16;
/// Batches in flight: what bounds the memory of a recording whose disk is slow.
const QUEUED_BATCHES: usize = 8;

/// Events larger than this are handed to the writer as they came; smaller ones are packed.
const LARGE_EVENT: usize = 4096;

/// What the guest's thread hands the writer thread, in trace order.
enum Queued {
    /// Small events, each a little-endian `u32` length and its bytes.
    Packed(Vec<u8>),
    /// One large event (a chunk of input), moved rather than copied.
    Large(Vec<u8>),
}

pub struct Recorder {
    /// Small events not yet handed to the writer.
    batch: Vec<u8>,
    batches: SyncSender<Queued>,
    writer: JoinHandle<Result<TraceWriter, String>>,
    redacted_headers: Vec<String>,
}

impl Recorder {
    fn append(&mut self, event: Vec<u8>) -> Result<(), RecordError> {
        if event.len() >= LARGE_EVENT {
            self.send_packed()?;
            return self.send(Queued::Large(event));
        }
        self.batch
            .extend_from_slice(&(event.len() as u32).to_le_bytes());
        self.batch.extend_from_slice(&event);
        if self.batch.len() >= BATCH_BYTES {
            self.send_packed()?;
        }
        Ok(())
    }

    fn send_packed(&mut self) -> Result<(), RecordError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_BYTES));
        self.send(Queued::Packed(batch))
    }

    fn send(&self, queued: Queued) -> Result<(), RecordError> {
        // A closed queue means the writer stopped on an error, which `finish` reports.
        let stopped = |_| RecordError("the trace writer stopped".into());
        self.batches.send(queued).map_err(stopped)
    }

    /// Writes what is queued and ends the trace with how the run ended.
    pub fn finish(mut self, outcome: Outcome) -> anyhow::Result<()> {
        let _ = self.send_packed();
        let Recorder {
            batches, writer, ..
        } = self;
        drop(batches);
        let writer = writer
            .join()
            .map_err(|_| RecordError("the trace writer panicked".into()))?
            .map_err(RecordError)?;
        Ok(writer.finish(outcome)?)
    }
}

/// Writes a batch of packed events to the trace.
fn write_packed(writer: &mut TraceWriter, mut batch: &[u8]) -> Result<(), String> {
    while let Some((length, rest)) = batch.split_first_chunk::<4>() {
        let length = u32::from_le_bytes(*length) as usize;
        let (event, rest) = rest
            .split_at_checked(length)
            .ok_or("a queued event was cut short")?;
        writer.event_bytes(event).map_err(|e| e.to_string())?;
        batch = rest;
    }
    Ok(())
}

/// An event read ahead: its wire bytes and the line it is on (in a JSON trace).
#[derive(Default)]
struct ReadEvent {
    line: Option<u64>,
    bytes: Vec<u8>,
}

/// Events read ahead. Small ones are packed, their wire forms back to back in one
/// buffer, so that the guest's thread allocates each one's bytes itself (a same-thread
/// allocation is much cheaper than freeing one made on the reader thread); large ones (a
/// chunk of input) are moved as they came, not copied.
#[derive(Default)]
struct AheadBatch {
    packed: Vec<u8>,
    events: Vec<AheadEvent>,
    /// A line that is not an event, after the events: the replay stops there.
    error: Option<TraceError>,
}

enum AheadEvent {
    /// Ends at this offset of the packed bytes.
    Packed {
        end: usize,
        line: Option<u64>,
    },
    Large(ReadEvent),
}

/// The reader thread: reads events ahead, in batches of about [`BATCH_BYTES`], until the
/// trace ends, a line is bad, or the guest's side stops listening.
fn read_ahead(mut reader: TraceReader, batches: SyncSender<AheadBatch>) {
    let mut batch = AheadBatch::default();
    let mut batch_bytes = 0;
    loop {
        let last = match reader.next_event_bytes() {
            Ok(Some(bytes)) => {
                batch_bytes += bytes.len() + 16;
                let line = reader.line_number();
                if bytes.len() >= LARGE_EVENT {
                    batch
                        .events
                        .push(AheadEvent::Large(ReadEvent { line, bytes }));
                } else {
                    batch.packed.extend_from_slice(&bytes);
                    let end = batch.packed.len();
                    batch.events.push(AheadEvent::Packed { end, line });
                }
                false
            }
            Ok(None) => true,
            Err(error) => {
                batch.error = Some(error);
                true
            }
        };
        if last {
            // Nobody may listen any more: then nobody needs it.
            let _ = batches.send(batch);
            return;
        }
        if batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            if batches.send(std::mem::take(&mut batch)).is_err() {
                return;
            }
        }
    }
}

pub struct Replayer {
    path: PathBuf,
    /// The batch being handed out, and its next event.
    current: AheadBatch,
    next_in_batch: usize,
    /// Where the next packed event starts.
    packed_start: usize,
    queue: Receiver<AheadBatch>,
    /// Events handed to the guest; the last one is on `line` (in a JSON trace).
    events_read: u64,
    line: Option<u64>,
    /// The guest asked past the last event.
    exhausted: bool,
}

impl Replayer {
    /// `event N (FILE:LINE)`, for messages.
    fn location(&self, event: u64, line: Option<u64>) -> String {
        match line {
            Some(line) => format!("event {event} ({}:{line})", self.path.display()),
            None => format!("event {event} ({})", self.path.display()),
        }
    }

    /// The next event's bytes and line, or `None` at the end of the trace.
    fn next_event(&mut self) -> Result<Option<ReadEvent>, TraceError> {
        loop {
            let batch = &mut self.current;
            if let Some(event) = batch.events.get_mut(self.next_in_batch) {
                self.next_in_batch += 1;
                return Ok(Some(match event {
                    AheadEvent::Packed { end, line } => {
                        let bytes = batch.packed[self.packed_start..*end].to_vec();
                        self.packed_start = *end;
                        ReadEvent { line: *line, bytes }
                    }
                    AheadEvent::Large(event) => std::mem::take(event),
                }));
            }
            if let Some(error) = batch.error.take() {
                return Err(error);
            }
            match self.queue.recv() {
                Ok(batch) => {
                    self.current = batch;
                    self.next_in_batch = 0;
                    self.packed_start = 0;
                }
                Err(_) => return Ok(None),
            }
        }
    }

    /// After a run that ended normally, any event left unused is a divergence.
    pub fn check_fully_used(&mut self) -> anyhow::Result<()> {
        let Some(ReadEvent { line, bytes }) = self.next_event()? else {
            return Ok(());
        };
        let first = Event::decode(&bytes).map_or_else(|e| e.to_string(), |event| event.describe());
        Err(ReplayError {
            at: self.location(self.events_read + 1, line),
            message: format!(
                "the guest ended, but the trace holds more events, starting with {first}"
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
        Ok(recorder.append(event)?)
    }

    fn http_redaction(&mut self) -> Result<Redaction> {
        let headers = match self {
            RrLog::Record(recorder) => recorder.redacted_headers.clone(),
            // Nothing is recorded; replay reads the recording's.
            RrLog::Passthrough | RrLog::Replay(_) => Vec::new(),
        };
        let mut key = vec![0; 32];
        getrandom::fill(&mut key)
            .map_err(|error| RecordError(format!("no random key: {error}")))?;
        Ok(Redaction { headers, key })
    }

    fn next(&mut self) -> Result<Option<Vec<u8>>> {
        let RrLog::Replay(replayer) = self else {
            return Err(RecordError(
                "the interposer asked for an event outside replay mode".into(),
            )
            .into());
        };
        match replayer.next_event()? {
            Some(ReadEvent { line, bytes }) => {
                replayer.events_read += 1;
                replayer.line = line;
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
                replayer.events_read,
                replayer.path.display()
            ),
            RrLog::Replay(replayer) => replayer.location(replayer.events_read, replayer.line),
            _ => "no trace".into(),
        };
        Err(ReplayError { at, message }.into())
    }
}
