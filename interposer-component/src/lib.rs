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

mod cli;
mod clocks;
mod filesystem;
mod io;
mod log;
mod random;

/// The type that implements every exported interface.
struct Interposer;

bindings::export!(Interposer with_types_in bindings);
