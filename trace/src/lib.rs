//! The wasm-rr trace schema, defined once.
//!
//! A trace is a header, the events a guest observed, and how the run ended. The
//! interposer (inside the guest) and the runner (the host) both use these types:
//!
//! - on the wire between them, each [`Event`] travels as compact postcard bytes
//!   ([`Event::encode`], [`Event::decode`]), so the guest does no JSON work per call;
//! - on disk, the runner writes JSON Lines, one event per line, readable by a person and
//!   by `jq`, or a compact binary form of the wire bytes ([`file`]).
//!
//! Every recorded WASI call is a struct holding the arguments that matter for
//! divergence detection plus the `result` the guest saw; [`Call`] lets the interposer
//! record and replay all of them through one generic path.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Defines a WIT enum's mirror, written in JSON as in WIT (`"no-entry"`).
macro_rules! wit_enum {
    ($(#[$meta:meta])* $name:ident; $($variant:ident),*) => {
        $(#[$meta])*
        #[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant),* }
    };
}

mod bytes;
mod clocks;
#[cfg(feature = "file")]
pub mod file;
mod filesystem;
mod http;
mod io;
mod sockets;

pub use bytes::Bytes;
pub use clocks::Datetime;
pub use filesystem::*;
pub use http::*;
pub use io::*;
pub use sockets::*;

/// Version of the trace format; bumped on any incompatible change to these types.
pub const FORMAT_VERSION: u32 = 3;

/// First line of a trace file: what was recorded, and by what.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Always [`FORMAT_VERSION`] for traces this crate writes.
    pub wasm_rr_trace: u32,
    /// Version of the wasm-rr that recorded the trace.
    pub wasm_rr_version: String,
    /// Hex SHA-256 of the app (the user's file, before composition).
    pub app_sha256: String,
}

/// Last line of a complete trace: how the recorded run ended.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The guest returned or called `exit` with this status code.
    Exit(i32),
    /// The guest trapped (a Rust panic is a trap); the trap's message.
    Trap(String),
}

/// A recorded WASI call: the arguments that must match in replay and the result.
///
/// The interposer builds one with [`Call::new`] when recording and takes the result back
/// with [`Call::into_result`]; in replay it gets one from [`decode_call`] and checks
/// [`Call::args_match`] before returning the recorded result.
pub trait Call: Sized + Into<Event> + serde::de::DeserializeOwned {
    /// The index of this call's variant in [`Event`], which starts its wire form.
    const VARIANT: u32;
    /// The WASI interface, e.g. `wasi:random/random`.
    const INTERFACE: &'static str;
    /// The function within [`Call::INTERFACE`], e.g. `get-random-bytes`.
    const FUNCTION: &'static str;
    /// The arguments that matter, as a tuple.
    type Args;
    /// What the guest observed.
    type Result;

    fn new(args: Self::Args, result: Self::Result) -> Self;
    fn args_match(&self, args: &Self::Args) -> bool;
    fn into_result(self) -> Self::Result;
    /// `interface.function(arg: value, ...)`, for divergence messages.
    fn describe(args: &Self::Args) -> String;
    /// Appends the wire form of this call, the same as its [`Event`]'s, to `buf`.
    fn encode(&self, buf: &mut Vec<u8>);
}

/// Formats a value for a one-line message, cutting long ones short.
pub(crate) fn short_debug(value: &dyn fmt::Debug) -> String {
    const MAX: usize = 200;
    let mut text = format!("{value:?}");
    if text.len() > MAX {
        let cut = (0..=MAX)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// Defines the [`Event`] enum and one [`Call`] struct per recorded WASI function.
macro_rules! calls {
    ($(
        $(#[$doc:meta])*
        $name:ident = $tag:literal ($interface:literal, $function:literal)
            { $($arg:ident: $arg_ty:ty),* } -> $result:ty;
    )*) => {
        /// One recorded call. Serialized externally tagged by `interface.function`, as in
        /// `{"wall-clock.now":{"result":{"seconds":1,"nanoseconds":2}}}`.
        #[derive(::serde::Serialize, ::serde::Deserialize, Debug, Clone, PartialEq)]
        pub enum Event {
            $( #[serde(rename = $tag)] $name($name), )*
        }

        /// The variants of [`Event`], for their indexes.
        #[repr(u32)]
        enum Variant { $($name,)* }

        /// [`Event`] by reference, serialized identically, so that a call is encoded
        /// without moving its result.
        #[derive(::serde::Serialize)]
        enum EventRef<'a> {
            $( #[serde(rename = $tag)] $name(&'a $name), )*
        }

        impl Event {
            /// `interface.function(arg: value, ...)` without the result.
            #[allow(unused_variables)]
            pub fn describe(&self) -> String {
                match self { $( Event::$name(call) => {
                    <$name as $crate::Call>::describe(&($(call.$arg.clone(),)*))
                } )* }
            }
        }

        $(
            $(#[$doc])*
            #[derive(::serde::Serialize, ::serde::Deserialize, Debug, Clone, PartialEq)]
            pub struct $name { $(pub $arg: $arg_ty,)* pub result: $result }

            impl From<$name> for Event {
                fn from(call: $name) -> Event { Event::$name(call) }
            }

            impl $crate::Call for $name {
                const VARIANT: u32 = Variant::$name as u32;
                const INTERFACE: &'static str = $interface;
                const FUNCTION: &'static str = $function;
                type Args = ($($arg_ty,)*);
                type Result = $result;

                fn new(args: Self::Args, result: $result) -> Self {
                    let ($($arg,)*) = args;
                    $name { $($arg,)* result }
                }
                #[allow(unused_variables)]
                fn args_match(&self, args: &Self::Args) -> bool {
                    let ($($arg,)*) = args;
                    true $(&& self.$arg == *$arg)*
                }
                fn into_result(self) -> $result { self.result }
                #[allow(unused_variables)]
                fn describe(args: &Self::Args) -> String {
                    let ($($arg,)*) = args;
                    let args: &[String] =
                        &[$(format!("{}: {}", stringify!($arg), $crate::short_debug($arg)),)*];
                    format!("{}.{}({})", $interface, $function, args.join(", "))
                }
                fn encode(&self, buf: &mut Vec<u8>) {
                    $crate::encode_into(&EventRef::$name(self), buf)
                }
            }
        )*
    };
}

mod events;
pub use events::*;

impl Event {
    /// The stream of an output to stdout or stderr. The guest's output is not an input:
    /// replay shows it for real, and a replay whose output differs from the recording (of
    /// an edited trace) goes on, so these events are optional in replay.
    pub fn optional_output(&self) -> Option<StreamId> {
        let stream = match self {
            Event::OutputStreamWrite(call) => call.stream,
            Event::OutputStreamCheckWrite(call) => call.stream,
            Event::OutputStreamFlush(call) => call.stream,
            _ => return None,
        };
        [stream::STDOUT, stream::STDERR]
            .contains(&stream)
            .then_some(stream)
    }

    /// The stream of an output to stdout or stderr, read from an event's wire form
    /// (see [`Event::optional_output`]).
    pub fn optional_output_of(bytes: &[u8]) -> Option<StreamId> {
        let outputs = [
            OutputStreamWrite::VARIANT,
            OutputStreamCheckWrite::VARIANT,
            OutputStreamFlush::VARIANT,
        ];
        if !outputs.contains(&variant_of(bytes)?) {
            return None;
        }
        Event::decode(bytes).ok()?.optional_output()
    }

    /// Appends the wire form (postcard) of this event to `buf`.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        encode_into(self, buf)
    }

    /// Reads an event from its wire form.
    pub fn decode(bytes: &[u8]) -> Result<Event, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// The [`Event`] variant index that starts a wire form.
fn variant_of(bytes: &[u8]) -> Option<u32> {
    postcard::take_from_bytes::<u32>(bytes)
        .ok()
        .map(|(variant, _)| variant)
}

/// Reads call `C` from an event's wire form without building the [`Event`] (which is
/// large): `None` when the event records another call.
pub fn decode_call<C: Call>(bytes: &[u8]) -> Option<Result<C, postcard::Error>> {
    let (variant, rest) = postcard::take_from_bytes::<u32>(bytes).ok()?;
    (variant == C::VARIANT).then(|| postcard::from_bytes(rest))
}

pub(crate) fn encode_into(value: &impl Serialize, buf: &mut Vec<u8>) {
    // Serializing into a Vec cannot fail for these types.
    if let Ok(bytes) = postcard::to_extend(value, std::mem::take(buf)) {
        *buf = bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip() {
        let event: Event = InputStreamRead {
            stream: stream::STDIN,
            len: 4096,
            result: StreamResult::Ok(Bytes::from(b"hi\xff".to_vec())),
        }
        .into();
        let mut buf = Vec::new();
        event.encode(&mut buf);
        assert_eq!(Event::decode(&buf).ok(), Some(event));
    }

    #[test]
    fn a_call_decodes_from_its_event_s_wire_form_alone() {
        let call = WallClockNow {
            result: Datetime {
                seconds: 7,
                nanoseconds: 8,
            },
        };
        let mut buf = Vec::new();
        call.encode(&mut buf);
        assert_eq!(
            decode_call::<WallClockNow>(&buf).map(Result::ok),
            Some(Some(call))
        );
        assert!(decode_call::<MonotonicClockNow>(&buf).is_none());
        let output: Event = OutputStreamFlush {
            stream: stream::STDOUT,
            result: StreamResult::Ok(()),
        }
        .into();
        buf.clear();
        output.encode(&mut buf);
        assert_eq!(Event::optional_output_of(&buf), Some(stream::STDOUT));
    }

    #[test]
    fn clock_event_is_small_on_the_wire() {
        let event: Event = WallClockNow {
            result: Datetime {
                seconds: 1_763_700_000,
                nanoseconds: 123_456_789,
            },
        }
        .into();
        let mut buf = Vec::new();
        event.encode(&mut buf);
        assert!(buf.len() <= 11, "{} bytes", buf.len());
    }

    #[test]
    fn describe_names_interface_function_and_args() {
        assert_eq!(
            GetRandomBytes::describe(&(16,)),
            "wasi:random/random.get-random-bytes(len: 16)"
        );
        let event: Event = GetRandomBytes {
            len: 8,
            result: Bytes::from(vec![1; 8]),
        }
        .into();
        assert_eq!(
            event.describe(),
            "wasi:random/random.get-random-bytes(len: 8)"
        );
        assert!(GetRandomBytes {
            len: 8,
            result: Bytes::default()
        }
        .args_match(&(8,)));
        assert!(!GetRandomBytes {
            len: 8,
            result: Bytes::default()
        }
        .args_match(&(9,)));
    }
}
