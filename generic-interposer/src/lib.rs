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
        world: "rr:log/generic-interposer",
    });
}

use std::cell::RefCell;
use std::sync::OnceLock;
use wasm_rr_trace::any::{codec, text, Function, Schema, Value, WitType};

/// The interposed functions, made once from the glue's tables.
struct Interposed {
    schema: Schema,
    /// For each function: whether its parameters, and its result, may hold handles.
    handles: Vec<(bool, bool)>,
}

fn interposed() -> &'static Interposed {
    static INTERPOSED: OnceLock<Interposed> = OnceLock::new();
    INTERPOSED.get_or_init(|| {
        let schema = schema::of(dylib::world());
        let handles = schema
            .functions
            .iter()
            .map(|function| {
                (
                    function.params.iter().any(WitType::has_handles),
                    function.result.as_ref().is_some_and(WitType::has_handles),
                )
            })
            .collect();
        Interposed { schema, handles }
    })
}

/// The schema of the interposed functions.
fn schema() -> &'static Schema {
    &interposed().schema
}

thread_local! {
    /// Reused buffers for a call's encoded arguments and result.
    static ENCODED: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Export `which` was called: its arguments are on `cx`'s stack, last on top.
fn interpose(cx: &mut dylib::Call, which: usize) {
    let (mut args_bytes, mut result_bytes) = ENCODED.with(|encoded| encoded.take());
    args_bytes.clear();
    result_bytes.clear();
    interpose_with(cx, which, &mut args_bytes, &mut result_bytes);
    ENCODED.with(|encoded| *encoded.borrow_mut() = (args_bytes, result_bytes));
}

fn interpose_with(
    cx: &mut dylib::Call,
    which: usize,
    encoded_args: &mut Vec<u8>,
    encoded_result: &mut Vec<u8>,
) {
    let world = dylib::world();
    let function = &schema().functions[which];
    let (params_handles, result_handles) = interposed().handles[which];
    let mut args = cx.take_args(world.exports[which].nparams);
    if params_handles {
        handles::app_to_ids(&function.params, &mut args);
    }
    let mode = log::mode();
    if mode != log::Mode::Passthrough {
        codec::encode_all(&function.params, &args, encoded_args);
    }
    if mode == log::Mode::Replay {
        let describe = || {
            format!(
                "{}({})",
                function.name,
                text::show_all(&function.params, &args)
            )
        };
        let replayed = log::replayed(which as u32, encoded_args, describe, |result| {
            replayed_result(function, result, result_handles, describe)
        });
        match replayed {
            Ok(result) => {
                if let Some(mut result) = result {
                    if let (Some(ty), true) = (&function.result, result_handles) {
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
    if params_handles {
        if let Err(e) = handles::ids_to_host(&function.params, &mut args) {
            log::diverge(format!("{}: {e}", function.name));
        }
    }
    cx.give_args(args);
    dylib::call_import(cx, world.import_of_export[which]);
    if let Some(ty) = &function.result {
        let mut result = cx.take_result();
        if result_handles {
            handles::host_to_ids(ty, &mut result);
        }
        if mode == log::Mode::Record {
            codec::encode(ty, &result, encoded_result);
        }
        if result_handles {
            handles::ids_to_app(ty, &mut result);
        }
        cx.give_result(result);
    }
    if mode == log::Mode::Record {
        log::append(which as u32, encoded_args, encoded_result);
    }
}

/// The result the trace holds (`result`, encoded) for a call of `function`, its handles as
/// ids; `Err` says why the trace cannot answer with it.
fn replayed_result(
    function: &Function,
    result: &[u8],
    handles: bool,
    describe: impl Fn() -> String,
) -> Result<Option<Value>, String> {
    match &function.result {
        Some(ty) => {
            let mut value = codec::decode(ty, result).map_err(|e| {
                format!(
                    "the trace holds {} with a result that is not a {}: {e}",
                    describe(),
                    text::type_name(ty)
                )
            })?;
            if handles {
                handles::replayed_ids(ty, &mut value)
                    .map_err(|e| format!("the trace holds {}: {e}", describe()))?;
            }
            Ok(Some(value))
        }
        None if result.is_empty() => Ok(None),
        None => Err(format!(
            "the trace holds {} with a result, which it has none of",
            describe()
        )),
    }
}
