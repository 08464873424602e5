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

/// Conversions of a WIT variant, listed by one of the trace crate's `*_variants!` macros,
/// between the host binding (`$host::$ty`), the trace and the guest binding
/// (`$guest::$ty`), both ways.
macro_rules! variant_conversions {
    ($host:ident, $guest:ident, $ty:ident; $trace:ident;
     units: $($unit:ident),*; data: $($data:ident($payload:ty) by $how:ident),*) => {
        variant_conversions!(@one $host::$ty => trace::$trace;
            units: $($unit),*; data: $($data by $how),*);
        variant_conversions!(@one trace::$trace => $guest::$ty;
            units: $($unit),*; data: $($data by $how),*);
        variant_conversions!(@one $guest::$ty => trace::$trace;
            units: $($unit),*; data: $($data by $how),*);
        variant_conversions!(@one trace::$trace => $host::$ty;
            units: $($unit),*; data: $($data by $how),*);
    };
    (@one $from:ident::$from_ty:ident => $to:ident::$to_ty:ident;
     units: $($unit:ident),*; data: $($data:ident by $how:ident),*) => {
        impl From<$from::$from_ty> for $to::$to_ty {
            fn from(value: $from::$from_ty) -> Self {
                match value {
                    $($from::$from_ty::$unit => Self::$unit,)*
                    $($from::$from_ty::$data(payload) => {
                        Self::$data(variant_conversions!(@convert $how payload))
                    })*
                }
            }
        }
    };
    (@convert same $payload:ident) => { $payload };
    (@convert into $payload:ident) => { $payload.into() };
    (@convert map_into $payload:ident) => { $payload.map(Into::into) };
}

/// Conversions of a WIT record whose fields need none, between the host binding, the
/// trace and the guest binding, both ways.
macro_rules! record_conversions {
    ($host:ident, $guest:ident; $($ty:ident { $($field:ident),* })*) => {$(
        record_conversions!(@one $host => trace; $ty { $($field),* });
        record_conversions!(@one trace => $guest; $ty { $($field),* });
        record_conversions!(@one $guest => trace; $ty { $($field),* });
        record_conversions!(@one trace => $host; $ty { $($field),* });
    )*};
    (@one $from:ident => $to:ident; $ty:ident { $($field:ident),* }) => {
        impl From<$from::$ty> for $to::$ty {
            fn from(value: $from::$ty) -> Self {
                Self { $($field: value.$field),* }
            }
        }
    };
}

mod cli;
mod clocks;
mod filesystem;
mod http;
mod io;
mod log;
mod random;
mod results;
mod sockets;

/// The type that implements every exported interface.
struct Interposer;

bindings::export!(Interposer with_types_in bindings);

impl bindings::exports::rr::log::replay_state::Guest for Interposer {
    fn unused_events() -> u32 {
        log::unused_events()
    }
}

impl bindings::exports::rr::log::replay_events::Guest for Interposer {
    fn next() -> Result<Vec<u8>, String> {
        log::next_input()
    }

    fn give_back() {
        log::give_back()
    }
}
