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

pub mod any;
mod bounds;
pub mod bundle;
mod bytes;
mod clocks;
#[cfg(feature = "file")]
pub mod destination;
#[cfg(feature = "file")]
pub mod file;
mod filesystem;
mod http;
mod io;
pub mod length;
pub mod replay;
mod sockets;

pub use bytes::Bytes;
pub use clocks::Datetime;
pub use filesystem::*;
pub use http::*;
pub use io::*;
pub use sockets::*;

/// The largest event a trace holds, in its wire form. Reads of files and streams are at
/// most 64 KiB on wasmtime; recording refuses a larger event.
pub const MAX_EVENT_BYTES: usize = 2 << 20;

/// Version of the trace format; bumped on any incompatible change to these types or to
/// the files' framing (5: checksums).
pub const FORMAT_VERSION: u32 = 5;

/// First line of a trace file: what was recorded, and by what.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Always [`FORMAT_VERSION`] for traces this crate writes.
    pub wasm_rr_trace: u32,
    /// Version of the wasm-rr that recorded the trace.
    pub wasm_rr_version: String,
    /// Hex SHA-256 of the app (the user's file, before composition).
    pub app_sha256: String,
    /// For the trace of one request to an HTTP handler (`wasm-rr serve`): the request in
    /// one line, `POST /echo`. None for a command's run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// Last line of a complete trace: how the recorded run ended.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The guest returned or called `exit` with this status code.
    Exit(i32),
    /// The guest trapped (a Rust panic is a trap); the trap's message.
    Trap(String),
    /// wasm-rr was stopped by this signal (`SIGINT`, `SIGTERM`) while recording; the
    /// trace holds every event until then.
    Interrupted(String),
}

impl Outcome {
    /// The exit status `wasmtime run` gives for this outcome: the guest's own, 134 for a
    /// trap, 128 + the signal's number for an interrupted run.
    pub fn exit_status(&self) -> u8 {
        match self {
            Outcome::Exit(code) => *code as u8,
            Outcome::Trap(_) => 134,
            Outcome::Interrupted(signal) if signal == "SIGINT" => 130,
            Outcome::Interrupted(_) => 143,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exit(code) => write!(f, "exit {code}"),
            Outcome::Trap(message) => write!(f, "a trap ({message})"),
            Outcome::Interrupted(signal) => write!(f, "an interruption by {signal}"),
        }
    }
}

/// A recorded WASI call: the arguments that must match in replay and the result.
///
/// The interposer builds one with [`Call::new`] when recording and takes the result back
/// with [`Call::into_result`]; in replay it gets one from [`decode_call`] and checks
/// [`Call::args_match`] before returning the recorded result.
pub trait Call: Sized + Into<Event> + Serialize + serde::de::DeserializeOwned {
    /// The permanent id of this call, which starts its wire form.
    const ID: u32;
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
    /// The bounds the WASI contract sets on this call's result, given the arguments:
    /// `Err` says how a (replayed) result breaks them, e.g. more bytes than asked for.
    fn check_result(&self) -> Result<(), String> {
        Ok(())
    }
    /// Appends the wire form of this call, the same as its [`Event`]'s, to `buf`: the
    /// id, then the postcard encoding of the call.
    fn encode(&self, buf: &mut Vec<u8>) {
        encode_into(&Self::ID, buf);
        encode_into(self, buf);
    }
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
///
/// Each row names its event's permanent id, which starts the event's wire form: rows may
/// be added anywhere with a new id, but an id is never changed or reused (the
/// `wire_schema` test holds every released event's id and encoding).
macro_rules! calls {
    ($(
        $(#[$doc:meta])*
        $name:ident($id:literal) = $tag:literal ($interface:literal, $function:literal)
            { $($arg:ident: $arg_ty:ty),* } -> $result:ty $(, bounded by $bounds:path)?;
    )*) => {
        /// One recorded call. Serialized externally tagged by `interface.function`, as in
        /// `{"wall-clock.now":{"result":{"seconds":1,"nanoseconds":2}}}`.
        #[derive(::serde::Serialize, ::serde::Deserialize, Debug, Clone, PartialEq)]
        pub enum Event {
            $( #[serde(rename = $tag)] $name($name), )*
        }

        impl Event {
            /// `interface.function(arg: value, ...)` without the result.
            #[allow(unused_variables)]
            pub fn describe(&self) -> String {
                match self { $( Event::$name(call) => {
                    <$name as $crate::Call>::describe(&($(call.$arg.clone(),)*))
                } )* }
            }

            /// Appends the wire form of this event to `buf`: its id, then its call.
            pub fn encode(&self, buf: &mut Vec<u8>) {
                match self { $( Event::$name(call) => $crate::Call::encode(call, buf), )* }
            }

            /// Reads an event from its wire form, all of it.
            pub fn decode(bytes: &[u8]) -> Result<Event, $crate::DecodeError> {
                let (id, rest) = postcard::take_from_bytes::<u32>(bytes)
                    .map_err(|_| $crate::DecodeError::NoId)?;
                match id {
                    $( $id => $crate::decode_all::<$name>(rest).map(Event::$name), )*
                    _ => Err($crate::DecodeError::UnknownId(id)),
                }
            }

            /// The permanent id of this event's call.
            pub fn id(&self) -> u32 {
                match self { $( Event::$name(_) => $id, )* }
            }

            /// Every event's id, JSON name, interface and function, in table order.
            pub const TABLE: &'static [(u32, &'static str, &'static str, &'static str)] =
                &[$( ($id, $tag, $interface, $function), )*];
        }

        $(
            $(#[$doc])*
            #[derive(::serde::Serialize, ::serde::Deserialize, Debug, Clone, PartialEq)]
            pub struct $name { $(pub $arg: $arg_ty,)* pub result: $result }

            impl From<$name> for Event {
                fn from(call: $name) -> Event { Event::$name(call) }
            }

            impl $crate::Call for $name {
                const ID: u32 = $id;
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
                $(fn check_result(&self) -> Result<(), String> { $bounds(self) })?
                #[allow(unused_variables)]
                fn describe(args: &Self::Args) -> String {
                    let ($($arg,)*) = args;
                    let args: &[String] =
                        &[$(format!("{}: {}", stringify!($arg), $crate::short_debug($arg)),)*];
                    format!("{}.{}({})", $interface, $function, args.join(", "))
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
            OutputStreamWrite::ID,
            OutputStreamCheckWrite::ID,
            OutputStreamFlush::ID,
        ];
        if !outputs.contains(&id_of(bytes)?) {
            return None;
        }
        Event::decode(bytes).ok()?.optional_output()
    }
}

/// Why an event's wire form could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with an event id.
    NoId,
    /// No event has this id (a trace from a newer wasm-rr, or a damaged one).
    UnknownId(u32),
    /// The call's fields do not decode, or bytes are left after them.
    Call(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NoId => write!(f, "an event without an id"),
            DecodeError::UnknownId(id) => write!(f, "unknown event id {id}"),
            DecodeError::Call(name) => write!(f, "a {name} event whose fields do not decode"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The event id that starts a wire form.
pub fn id_of(bytes: &[u8]) -> Option<u32> {
    postcard::take_from_bytes::<u32>(bytes)
        .ok()
        .map(|(id, _)| id)
}

/// Reads call `C` from the bytes after its id, which must hold it exactly.
pub(crate) fn decode_all<C: Call>(bytes: &[u8]) -> Result<C, DecodeError> {
    match postcard::take_from_bytes::<C>(bytes) {
        Ok((call, [])) => Ok(call),
        _ => Err(DecodeError::Call(C::FUNCTION)),
    }
}

/// Reads call `C` from an event's wire form without building the [`Event`] (which is
/// large): `None` when the event records another call.
pub fn decode_call<C: Call>(bytes: &[u8]) -> Option<Result<C, DecodeError>> {
    let (id, rest) = postcard::take_from_bytes::<u32>(bytes).ok()?;
    (id == C::ID).then(|| decode_all(rest))
}

pub(crate) fn encode_into(value: &impl Serialize, buf: &mut Vec<u8>) {
    // Serializing into a Vec cannot fail for these types.
    let _ = postcard::serialize_with_flavor(value, AppendTo(buf));
}

/// A postcard output that appends to a `Vec` a slice at a time: postcard's own `Extend`
/// output goes byte by byte, which in the interposer (built for size) costs a loop per byte
/// of every chunk of input recorded.
struct AppendTo<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for AppendTo<'_> {
    type Output = ();

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
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
