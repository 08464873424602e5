//! The wasm-rr interposer.
//!
//! A component that imports the real WASI 0.2 interfaces and exports identical ones, so
//! that the composer can put it in front of an app. Each exported function calls its
//! import and records what the app observed through `rr:log` (record), or answers from
//! the log and touches no host resource (replay). See [`log::recorded`] for the one path
//! every recorded call takes; there is a module per WASI package.

mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "rr:log/interposer",
        generate_all,
    });
}

/// Conversions of a WIT enum between the host binding (`$host::$ty`), the trace and the
/// guest binding (`$guest::$ty`), both ways. The trace crate lists the variants.
macro_rules! enum_conversions {
    ($host:ident, $guest:ident, $ty:ident; $trace:ident; $($variant:ident),*) => {
        impl From<$host::$ty> for wasm_rr_trace::$trace {
            fn from(value: $host::$ty) -> Self {
                match value { $($host::$ty::$variant => Self::$variant,)* }
            }
        }
        impl From<wasm_rr_trace::$trace> for $guest::$ty {
            fn from(value: wasm_rr_trace::$trace) -> Self {
                match value { $(wasm_rr_trace::$trace::$variant => Self::$variant,)* }
            }
        }
        impl From<$guest::$ty> for wasm_rr_trace::$trace {
            fn from(value: $guest::$ty) -> Self {
                match value { $($guest::$ty::$variant => Self::$variant,)* }
            }
        }
        impl From<wasm_rr_trace::$trace> for $host::$ty {
            fn from(value: wasm_rr_trace::$trace) -> Self {
                match value { $(wasm_rr_trace::$trace::$variant => Self::$variant,)* }
            }
        }
    };
}

mod cli;
mod clocks;
mod filesystem;
mod io;
mod log;
mod random;
mod results;
mod sockets;

/// The type that implements every exported interface.
struct Interposer;

bindings::export!(Interposer with_types_in bindings);
