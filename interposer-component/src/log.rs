//! The one path every recorded call takes: call the real import and append the result
//! (record), or answer from the trace and check the guest still does what it did (replay).

use crate::bindings::rr::log::log as host;
use std::cell::{Cell, RefCell};
use wasm_rr_trace::{Call, Event};

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
    /// An event fetched from the host but not yet consumed (see [`replayed_if_next`]).
    static PEEKED: RefCell<Option<Event>> = const { RefCell::new(None) };
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
    match mode() {
        Mode::Passthrough => real(),
        Mode::Record => {
            let call = C::new(args, real());
            append(&call);
            call.into_result()
        }
        Mode::Replay => {
            let Some(event) = next_event() else {
                diverge(format!(
                    "the guest called {} but the trace has no more events",
                    C::describe(&args)
                ))
            };
            match C::from_event(event) {
                Ok(call) if call.args_match(&args) => call.into_result(),
                Ok(call) => mismatch::<C>(&args, call.into()),
                Err(other) => mismatch::<C>(&args, other),
            }
        }
    }
}

/// Replay of a call whose recording is optional: the result of call `C` when it is the
/// next event, else `None` (and the event stays for the next call).
///
/// Output to stdout and stderr is of this kind: the guest's output is not an input, so a
/// replay whose output differs (a trace edited to make the guest take another path) goes
/// on, and recorded write errors are still replayed where the output is the same.
pub fn replayed_if_next<C: Call>(args: &C::Args) -> Option<C::Result> {
    let event = next_event()?;
    match C::from_event(event) {
        Ok(call) if call.args_match(args) => Some(call.into_result()),
        Ok(call) => {
            PEEKED.with(|peeked| *peeked.borrow_mut() = Some(call.into()));
            None
        }
        Err(other) => {
            PEEKED.with(|peeked| *peeked.borrow_mut() = Some(other));
            None
        }
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

fn next_event() -> Option<Event> {
    if let Some(event) = PEEKED.with(|peeked| peeked.borrow_mut().take()) {
        return Some(event);
    }
    let bytes = host::next()?;
    match Event::decode(&bytes) {
        Ok(event) => Some(event),
        Err(error) => diverge(format!(
            "the host sent an event this interposer cannot read: {error}"
        )),
    }
}

fn mismatch<C: Call>(args: &C::Args, recorded: Event) -> ! {
    diverge(format!(
        "the guest called {} but the trace holds {}",
        C::describe(args),
        recorded.describe()
    ))
}

/// Stops the run: the host reports `message` with the event number and traps.
pub fn diverge(message: String) -> ! {
    host::diverged(&message);
    // A host that returns from `diverged` breaks the contract; trap regardless.
    std::process::abort()
}
