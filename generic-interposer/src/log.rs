//! The generic interposer's side of `rr:log`: record a call, or answer it from the trace.
//!
//! In replay it takes the trace's events from the WASI interposer (`rr:log/replay-events`),
//! which fetches them from the host for both: one stream, in trace order.

use crate::bindings::rr::log::log as host;
use crate::bindings::rr::log::replay_events;
use std::cell::{Cell, RefCell};
use wasm_rr_trace::{any, decode_call, Call, Event, GenericCall, GenericSchema};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Passthrough,
    Record,
    Replay,
}

thread_local! {
    static MODE: Cell<Option<Mode>> = const { Cell::new(None) };
    /// Record: whether the schema is in the trace yet. Replay: whether it was checked.
    static SCHEMA_DONE: Cell<bool> = const { Cell::new(false) };
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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

/// The key under which this recording hashes secrets (see `policy`): the host's, asked
/// once. It is not in the trace: a replay gives the guest the hashes the trace holds.
pub fn secrets_key() -> Vec<u8> {
    thread_local! {
        static KEY: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    }
    KEY.with(|key| {
        key.borrow_mut()
            .get_or_insert_with(|| host::http_redaction().key)
            .clone()
    })
}

/// Appends a call of function `function` (encoded arguments and result), after the
/// schema if it is the first.
pub fn append(function: u32, args: &[u8], result: &[u8]) {
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        if !SCHEMA_DONE.with(|done| done.replace(true)) {
            buffer.clear();
            GenericSchema {
                result: crate::schema().clone(),
            }
            .encode(&mut buffer);
            host::append(&buffer);
        }
        buffer.clear();
        GenericCall::encode_parts(function, args, result, &mut buffer);
        host::append(&buffer);
    })
}

/// The event the trace holds for a call of function `function` with arguments `args`
/// (encoded), and where its result (encoded) starts in it; or, where the replay cannot
/// go on from the trace, the message saying why.
pub fn replayed(
    function: u32,
    args: &[u8],
    describe: impl Fn() -> String,
) -> Result<(Vec<u8>, usize), String> {
    if !SCHEMA_DONE.with(|done| done.get()) {
        check_schema(&describe)?;
        SCHEMA_DONE.with(|done| done.set(true));
    }
    let event = next_input()
        .map_err(|held| format!("the guest called {} but the trace holds {held}", describe()))?;
    match GenericCall::parts_of(&event) {
        // The result is the event's last part.
        Some((recorded, recorded_args, result))
            if recorded == function && recorded_args == args =>
        {
            let start = event.len() - result.len();
            Ok((event, start))
        }
        _ => Err(format!(
            "the guest called {} but the trace holds {}",
            describe(),
            describe_event(&event)
        )),
    }
}

/// The app dropped its handle of resource `id`, of resource type `ty`: the drop is
/// recorded, or checked in replay.
pub fn dropped(ty: usize, id: u32) {
    let Some(function) = crate::drop_function(ty) else {
        crate::dylib::fail("a drop of a resource whose drop is not in the schema");
    };
    let mut args = Vec::new();
    // A handle is encoded as its id.
    any::codec::leb(u64::from(id), &mut args);
    match mode() {
        Mode::Passthrough => {}
        Mode::Record => append(function, &args, &[]),
        Mode::Replay => {
            let which = function as usize;
            let drop = &crate::schema().functions[which];
            let describe = || format!("{}(own({id}))", drop.name);
            let replayed = replayed(function, &args, describe).and_then(|(event, result)| {
                crate::check_result(drop, &event[result..], which, describe)
            });
            if let Err(message) = replayed {
                diverge_or_go_live(&message);
            }
        }
    }
}

/// Checks that the trace's schema is this interposer's: the app's WIT is the recording's.
fn check_schema(describe: &impl Fn() -> String) -> Result<(), String> {
    let event = next_input()
        .map_err(|held| format!("the guest called {} but the trace holds {held}", describe()))?;
    match decode_call::<GenericSchema>(&event) {
        Some(Ok(schema)) if schema.result == *crate::schema() => Ok(()),
        Some(Ok(schema)) => Err(format!(
            "the app's imports changed since the recording: {}",
            any::text::schema_difference(&schema.result, crate::schema())
        )),
        _ => Err(format!(
            "the guest called {} but the trace holds {}",
            describe(),
            describe_event(&event)
        )),
    }
}

/// An event the trace holds, for messages: a generic call by this interposer's schema,
/// which the trace's was checked to be.
fn describe_event(event: &[u8]) -> String {
    match Event::decode(event) {
        Ok(event) => crate::schema()
            .describe(&event)
            .unwrap_or_else(|| event.describe()),
        Err(e) => format!("an event this interposer cannot read ({e})"),
    }
}

/// The next event that is an input, from the WASI interposer's batch of the trace's
/// events (see `rr:log/replay-events`); `Err` says what the trace holds instead.
fn next_input() -> Result<Vec<u8>, String> {
    replay_events::next()
}

/// Where the replay cannot go on from the trace: the host stops the run with `message`,
/// or (`replay --then-live`) returns, and every call from here is real.
pub fn diverge_or_go_live(message: &str) {
    replay_events::give_back();
    host::diverged(message);
    MODE.with(|mode| mode.set(Some(Mode::Passthrough)));
}

/// Stops the run with `message`.
pub fn diverge(message: String) -> ! {
    replay_events::give_back();
    host::diverged(&message);
    host::diverged(&format!("{message} (the run cannot go on live from here)"));
    std::process::abort()
}
