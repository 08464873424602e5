//! The wasm-rr generic interposer: records or replays the calls of any interface, as the
//! WASI interposer does for WASI (see docs/src/any-interface.md).
//!
//! It is the code behind the glue that `wit-dylib` generates, at compose time, for the
//! interfaces an app imports: the glue exports each of them and imports the same from
//! the host. A call into an export arrives here ([`dylib`]) as a stack of values; the
//! interposer calls the matching import and records its result (record), or answers from
//! the trace without calling it (replay).

mod abi;
mod dylib;
mod handles;
mod log;
mod schema;

mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "rr:log/host",
    });
}

use std::sync::OnceLock;
use wasm_rr_trace::any::{codec, text, Function, Schema, Value, WitType};
use wasm_rr_trace::{Bytes, GenericCall};

/// The schema of the interposed functions, made once from the glue's tables.
fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| schema::of(dylib::world()))
}

/// Export `which` was called: its arguments are on `cx`'s stack, last on top.
fn interpose(cx: &mut dylib::Call, which: usize) {
    let world = dylib::world();
    let function = &schema().functions[which];
    let mut args = cx.take_args(world.exports[which].nparams);
    let handles = function.params.iter().any(WitType::has_handles);
    if handles {
        handles::app_to_ids(&function.params, &mut args);
    }
    let mode = log::mode();
    let mut encoded_args = Vec::new();
    if mode != log::Mode::Passthrough {
        codec::encode_all(&function.params, &args, &mut encoded_args);
    }
    if mode == log::Mode::Replay {
        let describe = || format!("{}({})", function.name, text::show_all(&function.params, &args));
        match replayed_result(function, which, &encoded_args, describe) {
            Ok(result) => {
                if let Some(mut result) = result {
                    if let Some(ty) = &function.result {
                        handles::ids_to_app(ty, &mut result);
                    }
                    cx.give_result(result);
                }
                return;
            }
            // `replay --then-live`: this call, and every later one, is real.
            Err(message) => log::diverge_or_go_live(&message),
        }
    }
    if handles {
        if let Err(e) = handles::ids_to_host(&function.params, &mut args) {
            log::diverge(format!("{}: {e}", function.name));
        }
    }
    cx.give_args(args);
    dylib::call_import(cx, world.import_of_export[which]);
    let mut encoded_result = Vec::new();
    if let Some(ty) = &function.result {
        let mut result = cx.take_result();
        handles::host_to_ids(ty, &mut result);
        if mode == log::Mode::Record {
            codec::encode(ty, &result, &mut encoded_result);
        }
        handles::ids_to_app(ty, &mut result);
        cx.give_result(result);
    }
    if mode == log::Mode::Record {
        log::append(&GenericCall {
            function: which as u32,
            args: Bytes(encoded_args),
            result: Bytes(encoded_result),
        });
    }
}

/// The result the trace holds for a call of `function` (export `which`) with
/// `encoded_args`, its handles as ids; `Err` says where the trace cannot answer.
fn replayed_result(
    function: &Function,
    which: usize,
    encoded_args: &[u8],
    describe: impl Fn() -> String,
) -> Result<Option<Value>, String> {
    let result = log::replayed(which as u32, encoded_args, &describe)?;
    match &function.result {
        Some(ty) => {
            let mut value = codec::decode(ty, &result).map_err(|e| {
                format!(
                    "the trace holds {} with a result that is not a {}: {e}",
                    describe(),
                    text::type_name(ty)
                )
            })?;
            handles::replayed_ids(ty, &mut value)
                .map_err(|e| format!("the trace holds {}: {e}", describe()))?;
            Ok(Some(value))
        }
        None if result.is_empty() => Ok(None),
        None => Err(format!(
            "the trace holds {} with a result, which it has none of",
            describe()
        )),
    }
}

/// A recorded generic call, for messages: by this interposer's schema, which the trace's
/// was checked to be.
fn describe_recorded(call: &GenericCall) -> String {
    let calls = wasm_rr_trace::any::Calls {
        schema: Some(schema().clone()),
    };
    calls
        .describe(&wasm_rr_trace::Event::GenericCall(call.clone()))
        .unwrap_or_default()
}
