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
mod log;
mod schema;

mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "rr:log/host",
    });
}

use std::sync::OnceLock;
use wasm_rr_trace::any::{codec, text, Schema};
use wasm_rr_trace::{Bytes, GenericCall};

/// The schema of the interposed functions, made once from the glue's tables.
fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| schema::of(dylib::world()))
}

/// Export `which` was called: its arguments are on `cx`'s stack, last on top.
fn interpose(cx: &mut dylib::Call, which: usize) {
    let world = dylib::world();
    let import = world.import_of_export[which];
    let args = cx.take_args(world.exports[which].nparams);
    match log::mode() {
        log::Mode::Passthrough => {
            cx.give_args(args);
            dylib::call_import(cx, import);
        }
        log::Mode::Record => {
            let function = &schema().functions[which];
            let mut encoded_args = Vec::new();
            codec::encode_all(&function.params, &args, &mut encoded_args);
            cx.give_args(args);
            dylib::call_import(cx, import);
            let mut encoded_result = Vec::new();
            if let Some(ty) = &function.result {
                let result = cx.take_result();
                codec::encode(ty, &result, &mut encoded_result);
                cx.give_result(result);
            }
            log::append(&GenericCall {
                function: which as u32,
                args: Bytes(encoded_args),
                result: Bytes(encoded_result),
            });
        }
        log::Mode::Replay => {
            let function = &schema().functions[which];
            let mut encoded_args = Vec::new();
            codec::encode_all(&function.params, &args, &mut encoded_args);
            let describe = || {
                format!(
                    "{}({})",
                    function.name,
                    text::show_all(&function.params, &args)
                )
            };
            let replayed =
                log::replayed(which as u32, &encoded_args, describe).and_then(|result| {
                    match &function.result {
                        Some(ty) => codec::decode(ty, &result).map(Some).map_err(|e| {
                            format!(
                                "the trace holds {} with a result that is not a {}: {e}",
                                describe(),
                                text::type_name(ty)
                            )
                        }),
                        None if result.is_empty() => Ok(None),
                        None => Err(format!(
                            "the trace holds {} with a result, which it has none of",
                            describe()
                        )),
                    }
                });
            match replayed {
                Ok(Some(result)) => cx.give_result(result),
                Ok(None) => {}
                Err(message) => {
                    log::diverge_or_go_live(&message);
                    cx.give_args(args);
                    dylib::call_import(cx, import);
                }
            }
        }
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
