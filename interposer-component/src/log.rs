//! The one path every recorded call takes: call the real import and append the result
//! (record), or answer from the trace and check the guest still does what it did (replay).

use crate::bindings::rr::log::log as host;
use std::cell::{Cell, RefCell};
use wasm_rr_trace::length::framed_at;
use wasm_rr_trace::{decode_call, replay, Call, Event, StreamId};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Passthrough,
    Record,
    Replay,
}

thread_local! {
    static MODE: Cell<Option<Mode>> = const { Cell::new(None) };
    /// Reused encoding buffer: recording allocates nothing per call in the steady state.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The events of the host's last batch (`next-batch`), and where the next one starts.
    static BATCH: RefCell<Batch> = const { RefCell::new(Batch { bytes: Vec::new(), at: 0 }) };
    /// The wire form of an event fetched from the host but not yet consumed (see
    /// [`replayed_output`]).
    static PEEKED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    /// Whether the host was told that the output differs (it needs telling once).
    static OUTPUT_DIFFERS: Cell<bool> = const { Cell::new(false) };
}

/// The run's mode, asked of the host once.
pub fn mode() -> Mode {
    MODE.with(|cell| match cell.get() {
        Some(mode) => mode,
        None => {
            let mode = match host::get_mode() {
                host::Mode::Passthrough => Mode::Passthrough,
                host::Mode::Record => Mode::Record,
                host::Mode::Replay => Mode::Replay,
            };
            cell.set(Some(mode));
            mode
        }
    })
}

pub fn replaying() -> bool {
    mode() == Mode::Replay
}

/// Runs `real` and records its result as call `C`, or, in replay, returns the result that
/// the trace holds for `C` with these `args` (a divergence if it holds something else).
pub fn recorded<C: Call>(args: C::Args, real: impl FnOnce() -> C::Result) -> C::Result {
    recorded_redacted::<C>(args, real, |_| None)
}

/// [`recorded`], but for a result that holds secrets: when `redact` gives a redacted copy
/// of the real result, the trace keeps the copy while the guest sees the real result (in
/// replay, the guest sees what the trace holds).
pub fn recorded_redacted<C: Call>(
    args: C::Args,
    real: impl FnOnce() -> C::Result,
    redact: impl FnOnce(&C::Result) -> Option<C::Result>,
) -> C::Result {
    match mode() {
        Mode::Passthrough => real(),
        Mode::Record => {
            let result = real();
            match redact(&result) {
                Some(redacted) => {
                    append(&C::new(args, redacted));
                    result
                }
                None => {
                    let call = C::new(args, result);
                    append(&call);
                    call.into_result()
                }
            }
        }
        Mode::Replay => {
            let event = match next_event() {
                Next::Event(event) => event,
                Next::End { skipped } => {
                    let left = match skipped {
                        Some(first) => format!(
                            " but outputs that the replay did not make, starting with {first}"
                        ),
                        None => String::new(),
                    };
                    return diverge_or_go_live(
                        format!(
                            "the guest called {} but the trace has no more events{left}",
                            C::describe(&args)
                        ),
                        real,
                    );
                }
                Next::TooMuchOutput { first } => {
                    return diverge_or_go_live(
                        format!(
                            "the guest called {} but the trace holds {}",
                            C::describe(&args),
                            replay::too_much_output(&first)
                        ),
                        real,
                    )
                }
            };
            // Straight into `C`: building the whole `Event` would cost more than the call.
            let recorded = match decode_call::<C>(&event) {
                Some(Ok(call)) if call.args_match(&args) => {
                    if let Err(broken) = call.check_result() {
                        diverge(format!(
                            "the trace holds {} with {broken}",
                            C::describe(&args)
                        ))
                    }
                    return call.into_result();
                }
                Some(Ok(call)) => call.into(),
                _ => decode(&event),
            };
            diverge_or_go_live(
                format!(
                    "the guest called {} but the trace holds {}",
                    C::describe(&args),
                    recorded.describe()
                ),
                real,
            )
        }
    }
}

/// Replay of an output to stdout or stderr, whose recording is optional (see
/// [`Event::optional_output`]): the recorded result when the next event is this output,
/// else `None`, and the host is told that the output differs. The next event is consumed
/// if it is an output to the same stream.
pub fn replayed_output<C: Call>(stream: StreamId, args: &C::Args) -> Option<C::Result> {
    let Some(event) = PEEKED
        .with(|peeked| peeked.borrow_mut().take())
        .or_else(fetch)
    else {
        output_differs(format!(
            "the replay made {}, which the recording did not",
            C::describe(args)
        ));
        return None;
    };
    if Event::optional_output_of(&event) != Some(stream) {
        PEEKED.with(|peeked| *peeked.borrow_mut() = Some(event));
        output_differs(format!(
            "the replay made {}, which the recording did not",
            C::describe(args)
        ));
        return None;
    }
    match decode_call::<C>(&event) {
        Some(Ok(call)) if call.args_match(args) => Some(call.into_result()),
        _ => {
            output_differs(format!(
                "the replay made {} where the recording made {}",
                C::describe(args),
                decode(&event).describe()
            ));
            None
        }
    }
}

/// Tells the host, once, that the guest's output differs from the recording's here.
fn output_differs(message: String) {
    if !OUTPUT_DIFFERS.with(|said| said.replace(true)) {
        give_back();
        host::output_differs(&message);
    }
}

fn append<C: Call>(call: &C) {
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        call.encode(&mut buffer);
        host::append(&buffer);
    })
}

/// What the trace holds for the guest's next call.
enum Next {
    /// The wire form of the next event that is not an optional output.
    Event(Vec<u8>),
    /// The trace's end, after outputs the guest did not make again (the first one
    /// described), if any.
    End { skipped: Option<String> },
    /// More outputs the guest did not make again than a replay walks past at once.
    TooMuchOutput { first: String },
}

/// The next event that is not an optional output (which the guest did not make again),
/// past at most [`replay::MAX_UNMADE_OUTPUTS`] such outputs: a replay takes time for what
/// the guest does, not for what a (hostile) trace holds.
fn next_event() -> Next {
    let Some(mut event) = PEEKED
        .with(|peeked| peeked.borrow_mut().take())
        .or_else(fetch)
    else {
        return Next::End { skipped: None };
    };
    let mut first = None;
    let mut skipped = 0;
    while Event::optional_output_of(&event).is_some() {
        let made = decode(&event).describe();
        output_differs(format!(
            "the recording made {made}, which the replay did not"
        ));
        let first = first.get_or_insert(made);
        skipped += 1;
        if skipped > replay::MAX_UNMADE_OUTPUTS {
            return Next::TooMuchOutput {
                first: first.clone(),
            };
        }
        event = match fetch() {
            Some(event) => event,
            None => {
                return Next::End {
                    skipped: Some(first.clone()),
                }
            }
        };
    }
    Next::Event(event)
}

/// The next event that is not an optional output, for the generic interposer (see
/// `rr:log/replay-events`); `Err` says what the trace holds instead.
pub fn next_input() -> Result<Vec<u8>, String> {
    match next_event() {
        Next::Event(event) => Ok(event),
        Next::End { skipped: None } => Err("no more events".into()),
        Next::End {
            skipped: Some(first),
        } => Err(format!(
            "no more events but outputs that the replay did not make, starting with {first}"
        )),
        Next::TooMuchOutput { first } => Err(replay::too_much_output(&first)),
    }
}

/// Events handed out by the host in one call: each one's length (LEB128), then its bytes.
pub struct Batch {
    bytes: Vec<u8>,
    at: usize,
}

impl Batch {
    /// Where the event at `at` lies in the batch; `Err` if it is cut short.
    fn event_at(&self, at: usize) -> Result<std::ops::Range<usize>, ()> {
        match framed_at(&self.bytes, at) {
            Ok(Some(event)) => Ok(event),
            _ => Err(()),
        }
    }

    /// The next event's bytes; `None` at the batch's end.
    fn take(&mut self) -> Option<Result<Vec<u8>, ()>> {
        if self.at >= self.bytes.len() {
            return None;
        }
        Some(self.event_at(self.at).map(|range| {
            self.at = range.end;
            self.bytes[range].to_vec()
        }))
    }

    /// How many events are left to take.
    fn left(&self) -> u32 {
        let mut count = 0;
        let mut at = self.at;
        while let Ok(range) = self.event_at(at) {
            at = range.end;
            count += 1;
        }
        count
    }
}

/// The next event the host hands out, from its last batch or a new one; `None` when the
/// trace has no more.
fn fetch() -> Option<Vec<u8>> {
    let taken = BATCH.with(|batch| {
        let mut batch = batch.borrow_mut();
        if batch.at >= batch.bytes.len() {
            *batch = Batch {
                bytes: host::next_batch(),
                at: 0,
            };
        }
        batch.take()
    })?;
    Some(taken.unwrap_or_else(|()| {
        diverge("the host sent a batch of events this interposer cannot read".into())
    }))
}

/// How many events of the host's last batch the guest has not reached: those after where
/// the batch is, and the one peeked at, which the guest has not used either.
pub fn unused_events() -> u32 {
    let peeked = PEEKED.with(|peeked| peeked.borrow().is_some());
    BATCH.with(|batch| batch.borrow().left()) + u32::from(peeked)
}

/// Gives the host back the events of its last batch that the guest has not reached, before
/// anything that counts events (a divergence, an output that differs, the guest's exit).
/// A peeked event is always of that batch: none is fetched while one is peeked.
pub fn give_back() {
    let unused = unused_events();
    if unused > 0 {
        PEEKED.with(|peeked| peeked.borrow_mut().take());
        BATCH.with(|batch| {
            let mut batch = batch.borrow_mut();
            batch.at = batch.bytes.len();
        });
        host::give_back(unused);
    }
}

fn decode(event: &[u8]) -> Event {
    Event::decode(event).unwrap_or_else(|error| {
        diverge(format!(
            "the host sent an event this interposer cannot read: {error}"
        ))
    })
}

/// Where the replay cannot go on from the trace: the host stops the run with `message`,
/// or (`replay --then-live`) returns, and the run goes on live from here, as a recording
/// would: `real` answers this call, and the real imports every call after it.
fn diverge_or_go_live<T>(message: String, real: impl FnOnce() -> T) -> T {
    give_back();
    host::diverged(&message);
    MODE.with(|mode| mode.set(Some(Mode::Passthrough)));
    real()
}

/// Stops the run: the host reports `message` with the event number and traps.
pub fn diverge(message: String) -> ! {
    give_back();
    host::diverged(&message);
    // A host that lets the run go on live (`--then-live`) returns; this place cannot, so
    // it is told so, and stops the run then.
    host::diverged(&format!("{message} (the run cannot go on live from here)"));
    std::process::abort()
}

/// A resource made during the replay, which has no host counterpart, used after the run
/// went on live (`replay --then-live`): the run stops there.
pub fn made_in_replay(what: &str) -> ! {
    diverge(format!(
        "the run went on live, and the guest used {what} made during the replay, which has no host counterpart"
    ))
}
