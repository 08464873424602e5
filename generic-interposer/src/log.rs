//! The generic interposer's side of `rr:log`: record a call, or answer it from the trace.
//!
//! The host hands generic events out one at a time (a batch ends before one), so this
//! side never holds events that the WASI interposer needs.

use crate::bindings::rr::log::log as host;
use std::cell::{Cell, RefCell};
use wasm_rr_trace::length::framed_at;
use wasm_rr_trace::{any, decode_call, replay, Call, Event, GenericCall, GenericSchema};

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

/// Appends `call`, after the schema if it is the first.
pub fn append(call: &GenericCall) {
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
        call.encode(&mut buffer);
        host::append(&buffer);
    })
}

/// What the trace holds for a call of function `function` with arguments `args`
/// (encoded): its result (encoded), or, where the replay cannot go on from the trace, the
/// message saying why.
pub fn replayed(
    function: u32,
    args: &[u8],
    describe: impl Fn() -> String,
) -> Result<Vec<u8>, String> {
    if !SCHEMA_DONE.with(|done| done.get()) {
        check_schema(&describe)?;
        SCHEMA_DONE.with(|done| done.set(true));
    }
    let event = next_input()
        .map_err(|held| format!("the guest called {} but the trace holds {held}", describe()))?;
    match decode_call::<GenericCall>(&event) {
        Some(Ok(call)) if call.function == function && call.args.0 == args => Ok(call.result.0),
        Some(Ok(call)) => Err(format!(
            "the guest called {} but the trace holds {}",
            describe(),
            crate::describe_recorded(&call)
        )),
        _ => Err(format!(
            "the guest called {} but the trace holds {}",
            describe(),
            describe_event(&event)
        )),
    }
}

/// The app dropped its handle of resource `id` (`interface#name`): the drop is recorded,
/// or checked in replay.
pub fn dropped(resource: &str, id: u32) {
    let (interface, name) = resource.rsplit_once('#').unwrap_or(("", resource));
    let drop = crate::schema::drop_name(interface, name);
    let Some(function) = crate::schema().index_of(&drop) else {
        crate::dylib::fail(&format!("{drop} is not in the schema"));
    };
    let mut args = Vec::new();
    any::codec::encode(
        &any::WitType::Own(resource.to_string()),
        &any::Value::Own(id),
        &mut args,
    );
    match mode() {
        Mode::Passthrough => {}
        Mode::Record => append(&GenericCall {
            function,
            args: wasm_rr_trace::Bytes(args),
            result: wasm_rr_trace::Bytes(Vec::new()),
        }),
        Mode::Replay => {
            if let Err(message) = replayed(function, &args, || format!("{drop}(own({id}))")) {
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

fn describe_event(event: &[u8]) -> String {
    match Event::decode(event) {
        Ok(event) => event.describe(),
        Err(e) => format!("an event this interposer cannot read ({e})"),
    }
}

/// The next event that is an input, past the outputs that the replay did not make again
/// (at most [`replay::MAX_UNMADE_OUTPUTS`]); `Err` says what the trace holds instead.
fn next_input() -> Result<Vec<u8>, String> {
    let mut skipped = 0;
    let mut first = None;
    loop {
        let Some(event) = fetch() else {
            return Err(match first {
                Some(first) => format!(
                    "no more events but outputs that the replay did not make, starting with {first}"
                ),
                None => "no more events".into(),
            });
        };
        if Event::optional_output_of(&event).is_none() {
            return Ok(event);
        }
        let made = describe_event(&event);
        if skipped == 0 {
            host::output_differs(&format!(
                "the recording made {made}, which the replay did not"
            ));
        }
        let first = first.get_or_insert(made);
        skipped += 1;
        if skipped > replay::MAX_UNMADE_OUTPUTS {
            return Err(replay::too_much_output(first));
        }
    }
}

/// One event from the host; any more it hands out at once go back to it.
fn fetch() -> Option<Vec<u8>> {
    let batch = host::next_batch();
    let first = match framed_at(&batch, 0) {
        Ok(Some(range)) => range,
        Ok(None) => return None,
        Err(_) => diverge("the host sent a batch of events this interposer cannot read".into()),
    };
    let mut more = 0;
    let mut at = first.end;
    while let Ok(Some(range)) = framed_at(&batch, at) {
        at = range.end;
        more += 1;
    }
    if more > 0 {
        host::give_back(more);
    }
    Some(batch[first].to_vec())
}

/// Where the replay cannot go on from the trace: the host stops the run with `message`,
/// or (`replay --then-live`) returns, and every call from here is real.
pub fn diverge_or_go_live(message: &str) {
    host::diverged(message);
    MODE.with(|mode| mode.set(Some(Mode::Passthrough)));
}

/// Stops the run with `message`.
pub fn diverge(message: String) -> ! {
    host::diverged(&message);
    host::diverged(&format!("{message} (the run cannot go on live from here)"));
    std::process::abort()
}
