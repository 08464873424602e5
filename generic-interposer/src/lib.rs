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

use std::borrow::Cow;
use std::sync::OnceLock;
use wasm_rr_trace::any::{codec, policy, text, Function, Schema, WitType};
use wasm_rr_trace::Redaction;

/// The interposed functions, made once from the glue's tables.
struct Interposed {
    schema: Schema,
    /// For each function: whether its result may hold handles.
    result_handles: Vec<bool>,
    /// For each function: where its secrets are, if it has any (see `policy`).
    secrets: Vec<Option<&'static policy::Secrets>>,
    /// For each function: whether it ends the run instead of returning (see `policy`).
    ends_the_run: Vec<bool>,
    /// For each resource type of the glue whose handles the app holds: its drop's index
    /// in the schema.
    drops: Vec<Option<u32>>,
}

fn interposed() -> &'static Interposed {
    static INTERPOSED: OnceLock<Interposed> = OnceLock::new();
    INTERPOSED.get_or_init(|| {
        let schema = schema::of(dylib::world());
        let result_handles = schema
            .functions
            .iter()
            .map(|function| function.result.as_ref().is_some_and(WitType::has_handles))
            .collect();
        let secrets = schema
            .functions
            .iter()
            .map(|function| policy::secrets_of(&function.name))
            .collect();
        let ends_the_run = schema
            .functions
            .iter()
            .map(|function| policy::ends_the_run(&function.name))
            .collect();
        let drops = dylib::world()
            .resources
            .iter()
            .map(|resource| {
                let (interface, name) = (abi::name(resource.interface), abi::name(resource.name));
                let drop = schema::drop_name(interface, name);
                // Only the exported side, which has `new`, is the app's.
                resource
                    .new
                    .is_some()
                    .then(|| schema.index_of(&drop))
                    .flatten()
            })
            .collect();
        Interposed {
            schema,
            result_handles,
            secrets,
            ends_the_run,
            drops,
        }
    })
}

/// The schema of the interposed functions.
fn schema() -> &'static Schema {
    &interposed().schema
}

/// The index in the schema of the drop of resource type `ty`, whose handles the app holds.
fn drop_function(ty: usize) -> Option<u32> {
    interposed().drops.get(ty).copied().flatten()
}

/// Export `which` was called: its arguments are pushed on `cx`, encoded.
fn interpose(cx: &mut dylib::Call, which: usize) {
    let function = &schema().functions[which];
    let mode = log::mode();
    if interposed().ends_the_run[which] {
        cx.pop_what_was_pushed();
        dylib::call_import(cx, dylib::world().import_of_export[which]);
        return cx.pop_what_was_pushed();
    }
    if mode == log::Mode::Replay {
        let describe = || call_text(function, cx.pushed());
        let replayed = log::replayed(which as u32, cx.pushed(), describe).and_then(|event| {
            check_result(function, &event.0[event.1..], which, describe)?;
            Ok(event)
        });
        match replayed {
            Ok((event, result)) => return cx.pop_from(event, result),
            // `replay --then-live`: this call, and every later one, is real.
            Err(message) => log::diverge_or_go_live(&message),
        }
    }
    cx.pop_what_was_pushed();
    dylib::call_import(cx, dylib::world().import_of_export[which]);
    if mode == log::Mode::Record {
        let result = match interposed().secrets[which] {
            Some(rule) => without_secrets(function, rule, cx.popped(), cx.pushed()),
            None => Cow::Borrowed(cx.pushed()),
        };
        log::append(which as u32, cx.popped(), &result);
    }
    cx.pop_what_was_pushed();
}

/// `result` (encoded) of a call of `function` with `args` (encoded), as the trace keeps it:
/// with the secrets that `rule` finds in it hashed.
fn without_secrets<'r>(
    function: &Function,
    rule: &policy::Secrets,
    args: &[u8],
    result: &'r [u8],
) -> Cow<'r, [u8]> {
    let (Some(ty), Ok(mut args)) = (&function.result, codec::decode_all(&function.params, args))
    else {
        return Cow::Borrowed(result);
    };
    let Ok(mut value) = codec::decode(ty, result) else {
        return Cow::Borrowed(result);
    };
    let key = log::secrets_key();
    let hash = |name: &[u8], value: &[u8]| Redaction::hash(&key, name, value);
    if !policy::hide_secrets(rule, function, &mut args, &mut value, hash) {
        return Cow::Borrowed(result);
    }
    let mut hidden = Vec::new();
    codec::encode(ty, &value, &mut hidden);
    Cow::Owned(hidden)
}

/// `function(args)` in WIT value syntax, its arguments encoded.
fn call_text(function: &Function, args: &[u8]) -> String {
    let args = match codec::decode_all(&function.params, args) {
        Ok(args) => text::show_all(&function.params, &args),
        Err(e) => format!("arguments it cannot read: {e}"),
    };
    format!("{}({args})", function.name)
}

/// Checks that `result` (encoded), which the trace holds for a call of export `which`,
/// is one of `function`'s: of its type, with the handles the run makes next. `Err` says
/// why the trace cannot answer with it.
fn check_result(
    function: &Function,
    result: &[u8],
    which: usize,
    describe: impl Fn() -> String,
) -> Result<(), String> {
    let Some(ty) = &function.result else {
        if result.is_empty() {
            return Ok(());
        }
        return Err(format!(
            "the trace holds {} with a result, which it has none of",
            describe()
        ));
    };
    let not_of_type = |e: String| {
        format!(
            "the trace holds {} with a result that is not a {}: {e}",
            describe(),
            text::type_name(ty)
        )
    };
    if !interposed().result_handles[which] {
        return codec::check(ty, result).map_err(not_of_type);
    }
    let mut value = codec::decode(ty, result).map_err(not_of_type)?;
    handles::replayed_ids(ty, &mut value)
        .map_err(|e| format!("the trace holds {}: {e}", describe()))
}
