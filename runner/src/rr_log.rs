//! `rr:log` over a trace file: the host side of recording and replaying, one type per mode
//! ([`Passthrough`], [`Recorder`], [`Replayer`]).
//!
//! The interposer sends each event as its wire bytes; record writes them to the trace (as
//! a JSON line, or as they are in a binary trace), replay reads them back. Both stream, so
//! memory stays bounded whatever the trace's length.
//!
//! Recording, the guest's thread only queues each event's bytes (moved, not copied): a
//! writer thread turns them into the trace, on the machine's other core. Replaying, a
//! reader thread reads and encodes the events ahead of the guest, the same way round.

use crate::host::rr::log::log::{Host, Mode, Redaction};
use crate::progress::Progress;
use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;
use wasm_rr_trace::file::{TraceError, TraceReader, TraceWriter};
pub use wasm_rr_trace::replay::ReplayError;
use wasm_rr_trace::{replay, Event, Outcome, MAX_EVENT_BYTES};
use wasmtime::Result;

/// Bytes of queued events handed to the writer thread at once.
const BATCH_BYTES: usize = 1 << 16;
/// Batches in flight: what bounds the memory of a recording whose disk is slow.
const QUEUED_BATCHES: usize = 8;

/// Events larger than this are handed to the writer as they came; smaller ones are packed.
const LARGE_EVENT: usize = 4096;

/// The most events, and about the most bytes, handed to the interposer in one batch.
const HANDED_EVENTS: usize = 256;
const HANDED_BYTES: usize = 1 << 16;

/// A fresh random key for this run's HTTP header redaction.
fn redaction(headers: Vec<String>) -> Result<Redaction> {
    let mut key = vec![0; 32];
    getrandom::fill(&mut key).map_err(|error| RecordError(format!("no random key: {error}")))?;
    Ok(Redaction { headers, key })
}

/// `rr:log` for a type whose `host(&mut self) -> &mut dyn Host` picks, call by call, the
/// log that serves it (a request's recorder or passthrough, an embedder's session).
macro_rules! delegate_to_host {
    ($ty:ty) => {
        impl $crate::host::rr::log::log::Host for $ty {
            fn get_mode(&mut self) -> wasmtime::Result<$crate::host::rr::log::log::Mode> {
                self.host().get_mode()
            }

            fn append(&mut self, event: Vec<u8>) -> wasmtime::Result<()> {
                self.host().append(event)
            }

            fn http_redaction(
                &mut self,
            ) -> wasmtime::Result<$crate::host::rr::log::log::Redaction> {
                self.host().http_redaction()
            }

            fn next_batch(&mut self) -> wasmtime::Result<Vec<u8>> {
                self.host().next_batch()
            }

            fn give_back(&mut self, events: u32) -> wasmtime::Result<()> {
                self.host().give_back(events)
            }

            fn diverged(&mut self, message: String) -> wasmtime::Result<()> {
                self.host().diverged(message)
            }

            fn output_differs(&mut self, message: String) -> wasmtime::Result<()> {
                self.host().output_differs(message)
            }
        }
    };
}
pub(crate) use delegate_to_host;

fn outside(mode: &str, call: &str) -> wasmtime::Error {
    RecordError(format!("the interposer called {call} in {mode} mode")).into()
}

/// Outside replay, `diverged` is how an interposer says it cannot go on (a state it never
/// expects, such as glue that breaks its ABI).
fn failed(message: String) -> wasmtime::Error {
    RecordError(format!("the interposer failed: {message}")).into()
}

// ---- passthrough ----

/// The plain run: the interposer calls the real imports and records nothing.
pub struct Passthrough;

impl Host for Passthrough {
    fn get_mode(&mut self) -> Result<Mode> {
        Ok(Mode::Passthrough)
    }

    fn append(&mut self, _: Vec<u8>) -> Result<()> {
        Err(outside("passthrough", "append"))
    }

    fn http_redaction(&mut self) -> Result<Redaction> {
        redaction(Vec::new())
    }

    fn next_batch(&mut self) -> Result<Vec<u8>> {
        Err(outside("passthrough", "next-batch"))
    }

    fn give_back(&mut self, _: u32) -> Result<()> {
        Err(outside("passthrough", "give-back"))
    }

    fn diverged(&mut self, message: String) -> Result<()> {
        Err(failed(message))
    }

    fn output_differs(&mut self, _: String) -> Result<()> {
        Err(outside("passthrough", "output-differs"))
    }
}

// ---- record ----

/// What the guest's thread hands the writer thread, in trace order.
enum Queued {
    /// Small events, each a little-endian `u32` length and its bytes.
    Packed(Vec<u8>),
    /// One large event (a chunk of input), moved rather than copied.
    Large(Vec<u8>),
    /// How the run ended: the writer ends the trace and stops.
    End(Outcome),
    /// The run never began: the writer removes the trace and stops.
    Discard,
}

/// Records into a trace. The events not yet handed to the writer thread are shared with
/// [`Recorder::on_signal`], which ends the trace itself when wasm-rr is interrupted, even
/// while the guest is blocked in a host call.
pub struct Recorder {
    state: Arc<Mutex<RecordState>>,
    redacted_headers: Vec<String>,
}

/// What a recording does when its trace cannot be written (a full disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnWriteFailure {
    /// The guest's next call fails, which stops the run (`record`, and `serve
    /// --fail-on-lost-trace`).
    StopTheRun,
    /// The run goes on, unrecorded, and [`Recorder::finish`] says why the trace is lost
    /// (`serve`: a trace is observability, which a user's request should not fail for).
    GoOn,
}

struct RecordState {
    /// Small events not yet handed to the writer.
    batch: Vec<u8>,
    batches: SyncSender<Queued>,
    on_write_failure: OnWriteFailure,
    /// The writer thread, until somebody ends the trace.
    writer: Option<JoinHandle<Result<(), String>>>,
}

impl Recorder {
    /// Records into `writer`, redacting the values of the HTTP request headers named by
    /// `redacted_headers`.
    pub fn new(
        writer: TraceWriter,
        redacted_headers: Vec<String>,
        on_write_failure: OnWriteFailure,
    ) -> Self {
        let (batches, queue) = sync_channel::<Queued>(QUEUED_BATCHES);
        let state = Arc::new(Mutex::new(RecordState {
            batch: Vec::with_capacity(BATCH_BYTES),
            batches,
            on_write_failure,
            writer: None,
        }));
        let shared = Arc::clone(&state);
        lock(&state).writer = Some(std::thread::spawn(move || {
            write_queued(writer, queue, &shared)
        }));
        Recorder {
            state,
            redacted_headers,
        }
    }

    fn state(&self) -> MutexGuard<'_, RecordState> {
        lock(&self.state)
    }

    /// [`Recorder::finish`] with how the run ended, or with the wasm-rr error that stopped
    /// it, which is then returned: the trace ends either way.
    pub fn finish_run(self, outcome: anyhow::Result<Outcome>) -> anyhow::Result<Outcome> {
        match outcome {
            Ok(outcome) => self.finish(outcome.clone()).map(|()| outcome),
            Err(error) => self
                .finish(Outcome::Trap(format!("{error:#}")))
                .and(Err(error)),
        }
    }

    /// Writes what is queued and ends the trace with how the run ended. If a signal ended
    /// the trace first, this waits for [`Recorder::on_signal`] to end the process.
    pub fn finish(self, outcome: Outcome) -> anyhow::Result<()> {
        match end(&self.state, outcome) {
            Some(writer) => writer,
            None => loop {
                std::thread::park();
            },
        }
    }

    /// Removes the trace of a run that never began (a request refused before its
    /// handler ran): nothing in it says anything.
    pub fn discard(self) {
        let writer = {
            let mut state = self.state();
            let writer = state.writer.take();
            let _ = state.batches.send(Queued::Discard);
            writer
        };
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }

    /// What ends this recording's trace from another thread (see [`Interrupter`]).
    pub fn interrupter(&self) -> Interrupter {
        Interrupter(Arc::clone(&self.state))
    }

    /// Ends the trace with [`Outcome::Interrupted`] when wasm-rr gets SIGINT or SIGTERM,
    /// says so, and exits as `wasmtime` would (128 + the signal). The guest is stopped
    /// wherever it is: its events until then are in the trace.
    pub fn on_signal(&self, trace: &Path) -> anyhow::Result<signal_hook::iterator::Handle> {
        let interrupter = self.interrupter();
        let trace = trace.to_path_buf();
        on_interruption(move |name| {
            // None: the run has ended, and its own end is being written.
            match interrupter.interrupt(name)? {
                Ok(()) => eprintln!(
                    "wasm-rr: interrupted by {name}: {} holds the run until then",
                    trace.display()
                ),
                Err(error) => eprintln!("wasm-rr: interrupted by {name}: {error:#}"),
            }
            Some(())
        })
    }
}

/// Runs `interrupted` with the signal's name (`SIGINT`, `SIGTERM`) on the first of these
/// signals, on a thread of its own; then exits as `wasmtime` would (128 + the signal),
/// unless `interrupted` gives `None` (there was nothing to end).
pub fn on_interruption(
    interrupted: impl FnOnce(&'static str) -> Option<()> + Send + 'static,
) -> anyhow::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let name = if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            if interrupted(name).is_some() {
                std::process::exit(128 + signal);
            }
        }
    });
    Ok(handle)
}

/// Ends a recording's trace from another thread, where the guest is (`wasm-rr serve`
/// ends the traces of the requests in flight when it is interrupted).
pub struct Interrupter(Arc<Mutex<RecordState>>);

impl Interrupter {
    /// Ends the trace with [`Outcome::Interrupted`] by `signal`; `None` when it had ended.
    pub fn interrupt(&self, signal: &str) -> Option<anyhow::Result<()>> {
        end(&self.0, Outcome::Interrupted(signal.into()))
    }
}

fn lock(state: &Mutex<RecordState>) -> MutexGuard<'_, RecordState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl RecordState {
    fn append(&mut self, event: Vec<u8>) -> Result<(), RecordError> {
        if self.writer.is_none() {
            return Err(RecordError("the recording was interrupted".into()));
        }
        if event.len() > MAX_EVENT_BYTES {
            return Err(RecordError(format!(
                "the guest observed {} bytes in one call, more than a trace event may hold ({MAX_EVENT_BYTES} bytes)",
                event.len()
            )));
        }
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
        // A closed queue means the writer stopped on an error, which the end reports.
        match (self.batches.send(queued), self.on_write_failure) {
            (Err(_), OnWriteFailure::StopTheRun) => {
                Err(RecordError("the trace writer stopped".into()))
            }
            _ => Ok(()),
        }
    }
}

/// Hands the writer what is left and the end, and waits for it to write them: `None` when
/// the trace was ended already.
fn end(state: &Mutex<RecordState>, outcome: Outcome) -> Option<anyhow::Result<()>> {
    let writer = {
        let mut state = lock(state);
        let writer = state.writer.take()?;
        let _ = state.send_packed();
        let _ = state.send(Queued::End(outcome));
        writer
    };
    Some(match writer.join() {
        Ok(written) => written.map_err(|error| RecordError(error).into()),
        Err(_) => Err(RecordError("the trace writer panicked".into()).into()),
    })
}

/// How long events may wait in memory before the writer thread takes them to the file
/// itself: what a recording killed with SIGKILL can lose.
const IDLE_FLUSH: Duration = Duration::from_millis(100);

/// The writer thread: writes what the guest's thread queues, until the end. When nothing
/// came for [`IDLE_FLUSH`] (the guest is waiting, or makes few calls), it takes the events
/// not yet queued and puts everything in the file.
fn write_queued(
    mut writer: TraceWriter,
    queue: Receiver<Queued>,
    state: &Mutex<RecordState>,
) -> Result<(), String> {
    let text = |e: TraceError| e.to_string();
    loop {
        let queued = match queue.recv_timeout(IDLE_FLUSH) {
            Ok(queued) => queued,
            Err(RecvTimeoutError::Timeout) => {
                // Never waits for the lock: its holder may be waiting for this thread.
                let Ok(mut state) = state.try_lock() else {
                    continue;
                };
                // Under the lock nothing more is queued: what is queued goes first.
                while let Ok(queued) = queue.try_recv() {
                    match queued {
                        Queued::End(outcome) => return writer.finish(outcome).map_err(text),
                        Queued::Discard => {
                            writer.discard();
                            return Ok(());
                        }
                        events => write_events(&mut writer, events)?,
                    }
                }
                let batch = std::mem::take(&mut state.batch);
                write_packed(&mut writer, &batch)?;
                writer.flush().map_err(text)?;
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err("the recording stopped without an end".into())
            }
        };
        match queued {
            Queued::End(outcome) => return writer.finish(outcome).map_err(text),
            Queued::Discard => {
                writer.discard();
                return Ok(());
            }
            events => write_events(&mut writer, events)?,
        }
    }
}

/// Writes queued events.
fn write_events(writer: &mut TraceWriter, queued: Queued) -> Result<(), String> {
    match queued {
        Queued::Packed(batch) => write_packed(writer, &batch),
        Queued::Large(event) => writer.event_bytes(&event).map_err(|e| e.to_string()),
        Queued::End(_) | Queued::Discard => Err("internal: an end among the events".into()),
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

impl Host for Recorder {
    fn get_mode(&mut self) -> Result<Mode> {
        Ok(Mode::Record)
    }

    fn append(&mut self, event: Vec<u8>) -> Result<()> {
        Ok(self.state().append(event)?)
    }

    fn http_redaction(&mut self) -> Result<Redaction> {
        redaction(self.redacted_headers.clone())
    }

    fn next_batch(&mut self) -> Result<Vec<u8>> {
        Err(outside("record", "next-batch"))
    }

    fn give_back(&mut self, _: u32) -> Result<()> {
        Err(outside("record", "give-back"))
    }

    fn diverged(&mut self, message: String) -> Result<()> {
        Err(failed(message))
    }

    fn output_differs(&mut self, _: String) -> Result<()> {
        Err(outside("record", "output-differs"))
    }
}

// ---- replay ----

/// An event read ahead: its wire bytes and the line it is on (in a JSON trace).
#[derive(Default)]
struct ReadEvent {
    line: Option<u64>,
    bytes: Vec<u8>,
}

/// How the trace ends, as the reader thread found it after the last event.
enum TraceEnd {
    /// Its end: how the recorded run ended.
    Complete(Outcome),
    /// No end: the recording was killed. Says where.
    CutShort(String),
    /// Something that is not an event: the replay stops there.
    Bad(TraceError),
}

/// Events read ahead. Small ones are packed, their wire forms back to back in one
/// buffer, so that the guest's thread allocates each one's bytes itself (a same-thread
/// allocation is much cheaper than freeing one made on the reader thread); large ones (a
/// chunk of input) are moved as they came, not copied.
#[derive(Default)]
struct AheadBatch {
    packed: Vec<u8>,
    events: Vec<AheadEvent>,
    /// In the last batch: how the trace ends.
    end: Option<TraceEnd>,
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
fn read_ahead(mut reader: TraceReader, batches: SyncSender<AheadBatch>, read: Arc<AtomicU64>) {
    let mut batch = AheadBatch::default();
    let mut batch_bytes = 0;
    loop {
        match reader.next_event_bytes() {
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
            }
            Ok(None) => {
                batch.end = Some(match reader.outcome() {
                    Some(outcome) => TraceEnd::Complete(outcome.clone()),
                    None => TraceEnd::CutShort(reader.cut_short_message()),
                });
            }
            Err(error) => batch.end = Some(TraceEnd::Bad(error)),
        }
        if batch.end.is_some() {
            // Nobody may listen any more: then nobody needs it.
            let _ = batches.send(batch);
            return;
        }
        if batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            read.store(reader.bytes_read(), Ordering::Relaxed);
            if batches.send(std::mem::take(&mut batch)).is_err() {
                return;
            }
        }
    }
}

/// Replays a trace: hands the interposer its events in order, then checks that the guest
/// ended as the recording did.
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
    /// How the trace ends, once the reader has got there.
    end: Option<TraceEnd>,
    /// The first place where the guest's output differs from the recording's.
    output_difference: Option<String>,
    /// How far the reader thread is into the trace, in bytes, for `progress`.
    read: Arc<AtomicU64>,
    progress: Progress,
    /// The events of the last batch handed to the interposer, which it may give back.
    handed: Vec<ReadEvent>,
    /// The line of the event read before that batch.
    line_before_handed: Option<u64>,
    /// Events read, then given back or held back from a batch: read again first.
    given_back: VecDeque<ReadEvent>,
    /// The last batch was empty: the interposer found no more events.
    asked_past_end: bool,
    /// `--then-live`: where the trace cannot answer, the run goes on with the real host.
    then_live: bool,
    /// The event after which the run went on live.
    live_after: Option<u64>,
    /// `--stop-at`: the last event handed out; the run stops when the guest asks past it.
    stop_at: Option<u64>,
}

impl Replayer {
    pub fn new(reader: TraceReader, then_live: bool) -> Self {
        let path = reader.path().to_path_buf();
        let (batches, queue) = sync_channel::<AheadBatch>(QUEUED_BATCHES);
        let read = Arc::new(AtomicU64::new(0));
        let progress = Progress::for_file(&path, "replaying:");
        let reader_read = Arc::clone(&read);
        std::thread::spawn(move || read_ahead(reader, batches, reader_read));
        Replayer {
            read,
            progress,
            then_live,
            live_after: None,
            stop_at: None,
            path,
            current: AheadBatch::default(),
            next_in_batch: 0,
            packed_start: 0,
            queue,
            events_read: 0,
            line: None,
            end: None,
            output_difference: None,
            handed: Vec::new(),
            line_before_handed: None,
            given_back: VecDeque::new(),
            asked_past_end: false,
        }
    }

    /// Stops the run when the guest asks for the event after `event` (`--stop-at`).
    pub fn stop_at(mut self, event: Option<u64>) -> Self {
        self.stop_at = event;
        self
    }

    /// `event N (FILE:LINE)`, for messages.
    fn location(&self, event: u64, line: Option<u64>) -> String {
        replay::location(&self.path.display().to_string(), event, line)
    }

    /// The end of the trace, for messages.
    fn end_location(&self) -> String {
        replay::end_location(&self.path.display().to_string(), self.events_read)
    }

    /// Whether the interposer has asked past the last event: the trace's end is next.
    fn exhausted(&self) -> bool {
        self.asked_past_end && self.given_back.is_empty()
    }

    /// The next events for the interposer, as `next-batch` hands them out. A batch that
    /// holds an input (an event that is not an optional output) is followed by another
    /// input in the trace: so a guest that traps in the middle of a batch (when the host
    /// cannot ask what it left, see `rr:log/replay-state`) certainly left an input unread,
    /// and a replay that ends in a trap, as its recording did, has read every input. The
    /// last input of the events read ahead waits for the next batch, alone if no input
    /// follows it; a batch of outputs only needs no such care: they may be left.
    fn next_batch(&mut self) -> Result<Vec<u8>> {
        if let Some(event) = self.stop_at.filter(|&event| self.events_read >= event) {
            let at = self.location(event, self.line);
            return Err(StoppedAt(at).into());
        }
        self.line_before_handed = self.line;
        let mut events = Vec::new();
        let mut bytes = 0;
        let last = self.stop_at.unwrap_or(u64::MAX);
        while events.len() < HANDED_EVENTS && bytes < HANDED_BYTES && self.events_read < last {
            let Some(event) = self.next_event()? else {
                break;
            };
            bytes += event.bytes.len();
            events.push(event);
        }
        let last_input = events
            .iter()
            .rposition(|event| Event::optional_output_of(&event.bytes).is_none());
        let handed = match last_input {
            Some(0) => 1,
            Some(last) => last,
            None => events.len(),
        };
        let held_back = events.split_off(handed.min(events.len()));
        self.asked_past_end = events.is_empty();
        self.handed = events;
        self.unread(held_back);
        let mut batch = Vec::with_capacity(bytes + 5 * self.handed.len());
        for event in &self.handed {
            wasm_rr_trace::length::push_with_length(&mut batch, &event.bytes);
        }
        Ok(batch)
    }

    /// Puts `events`, the last ones read, back in front of the trace.
    fn unread(&mut self, events: Vec<ReadEvent>) {
        self.events_read -= events.len() as u64;
        for event in events.into_iter().rev() {
            self.given_back.push_front(event);
        }
        self.line = match self.handed.last() {
            Some(event) => event.line,
            None => self.line_before_handed,
        };
    }

    /// The next event, or `None` after the last one (the end is then in `self.end`).
    fn next_event(&mut self) -> Result<Option<ReadEvent>, TraceError> {
        if let Some(event) = self.given_back.pop_front() {
            self.events_read += 1;
            self.line = event.line;
            return Ok(Some(event));
        }
        loop {
            let batch = &mut self.current;
            if let Some(event) = batch.events.get_mut(self.next_in_batch) {
                self.next_in_batch += 1;
                let event = match event {
                    AheadEvent::Packed { end, line } => {
                        let bytes = batch.packed[self.packed_start..*end].to_vec();
                        self.packed_start = *end;
                        ReadEvent { line: *line, bytes }
                    }
                    AheadEvent::Large(event) => std::mem::take(event),
                };
                self.events_read += 1;
                self.line = event.line;
                let read = &self.read;
                self.progress
                    .tick(self.events_read, || read.load(Ordering::Relaxed));
                return Ok(Some(event));
            }
            match batch.end.take() {
                Some(TraceEnd::Bad(error)) => return Err(error),
                Some(end) => self.end = Some(end),
                None => {}
            }
            if self.end.is_some() {
                return Ok(None);
            }
            match self.queue.recv() {
                Ok(batch) => {
                    self.current = batch;
                    self.next_in_batch = 0;
                    self.packed_start = 0;
                }
                Err(_) => {
                    return Err(TraceError {
                        path: self.path.clone(),
                        line: None,
                        message: "the trace reader stopped".into(),
                    })
                }
            }
        }
    }

    /// Checks how the replayed run ended against the trace: the events the guest left are
    /// only outputs (output is not input), and the recording ended the same way. Tells the
    /// user, on stderr, where the output first differed, if it did.
    pub fn finish(mut self, outcome: anyhow::Result<Outcome>) -> anyhow::Result<Outcome> {
        self.progress.finish();
        let outcome = outcome?;
        if let Some(event) = self.stop_at {
            // The guest ended before it asked past the event: the trace may hold fewer.
            while self.next_event()?.is_some() {}
            anyhow::bail!(
                "--stop-at {event}: the guest ended ({outcome}) before it asked for event {}; the trace holds {} events",
                event + 1,
                self.events_read
            );
        }
        if let Some(event) = self.live_after {
            eprintln!(
                "wasm-rr: note: the run went on live after event {event}: how it ended is not checked against the trace"
            );
            return Ok(outcome);
        }
        let mut outputs_left = 0;
        while let Some(ReadEvent { line, bytes }) = self.next_event()? {
            if Event::optional_output_of(&bytes).is_some() {
                if self.output_difference.is_none() {
                    let at = self.location(self.events_read, line);
                    self.output_difference = Some(format!("{at}: {}", replay::MORE_OUTPUT));
                }
                outputs_left += 1;
                if outputs_left > replay::MAX_UNMADE_OUTPUTS {
                    return Err(ReplayError {
                        at: self.location(self.events_read, line),
                        message: replay::too_much_output_left(&outcome),
                    }
                    .into());
                }
                continue;
            }
            return Err(ReplayError {
                at: self.location(self.events_read, line),
                message: replay::events_left(&outcome, &bytes),
            }
            .into());
        }
        match self.end.take() {
            Some(TraceEnd::Complete(recorded)) if recorded == outcome => {}
            Some(TraceEnd::Complete(recorded)) => {
                return Err(ReplayError {
                    at: self.end_location(),
                    message: replay::ended_otherwise(&outcome, &recorded),
                }
                .into())
            }
            Some(TraceEnd::CutShort(cut)) => {
                anyhow::bail!(replay::end_unknown(&outcome, &cut))
            }
            Some(TraceEnd::Bad(error)) => return Err(error.into()),
            None => anyhow::bail!("internal: the trace's end was not read"),
        }
        if let Some(difference) = self.output_difference {
            eprintln!("{}", replay::output_differed(&difference));
        }
        Ok(outcome)
    }
}

impl Host for Replayer {
    fn get_mode(&mut self) -> Result<Mode> {
        Ok(Mode::Replay)
    }

    fn append(&mut self, _: Vec<u8>) -> Result<()> {
        Err(outside("replay", "append"))
    }

    fn http_redaction(&mut self) -> Result<Redaction> {
        // Nothing is recorded; replay reads the recording's.
        redaction(Vec::new())
    }

    fn next_batch(&mut self) -> Result<Vec<u8>> {
        Replayer::next_batch(self)
    }

    fn give_back(&mut self, events: u32) -> Result<()> {
        let events = events as usize;
        let Some(first) = self.handed.len().checked_sub(events) else {
            return Err(RecordError(format!(
                "the interposer gave back {events} events of a batch of {}",
                self.handed.len()
            ))
            .into());
        };
        let given_back = self.handed.split_off(first);
        self.unread(given_back);
        Ok(())
    }

    fn diverged(&mut self, message: String) -> Result<()> {
        if let Some(event) = self.live_after {
            let at = format!("the live run after event {event}");
            return Err(ReplayError { at, message }.into());
        }
        if self.then_live {
            let at = match self.exhausted() {
                true => self.end_location(),
                false => self.location(self.events_read, self.line),
            };
            eprintln!("wasm-rr: warning: at {at}: {message}; going on live from here");
            self.live_after = Some(self.events_read);
            return Ok(());
        }
        // Past the last event of a run that ended in the middle of a call: the replay ends
        // there too, as the recording did.
        match self.end.as_ref().filter(|_| self.exhausted()) {
            Some(TraceEnd::Complete(outcome @ (Outcome::Interrupted(_) | Outcome::Trap(_)))) => {
                return Err(RecordingEnded(outcome.clone()).into())
            }
            Some(TraceEnd::CutShort(cut)) => {
                return Err(ReplayError {
                    at: self.end_location(),
                    message: format!("{cut}; {message}"),
                }
                .into())
            }
            _ => {}
        }
        let at = match self.exhausted() {
            true => self.end_location(),
            false => self.location(self.events_read, self.line),
        };
        Err(ReplayError { at, message }.into())
    }

    fn output_differs(&mut self, message: String) -> Result<()> {
        if self.output_difference.is_none() {
            let at = self.location(self.events_read, self.line);
            self.output_difference = Some(format!("{at}: {message}"));
        }
        Ok(())
    }
}

// ---- errors ----

/// `--stop-at`: the replay ended where it was asked to, after the event this names.
#[derive(Debug)]
pub struct StoppedAt(pub String);

impl fmt::Display for StoppedAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stopped after {}, as --stop-at asked", self.0)
    }
}

impl std::error::Error for StoppedAt {}

/// The replay reached the point where the recorded run stopped in the middle of a call
/// (interrupted, or trapped in the host): it ends there the same way.
#[derive(Debug)]
pub struct RecordingEnded(pub Outcome);

impl fmt::Display for RecordingEnded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the recording ended here with {}", self.0)
    }
}

impl std::error::Error for RecordingEnded {}

/// The trace could not be written, or the interposer sent an event this host cannot read.
#[derive(Debug)]
pub struct RecordError(pub String);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recording failed: {}", self.0)
    }
}

impl std::error::Error for RecordError {}
