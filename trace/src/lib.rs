//! The wasm-rr trace schema, defined once.
//!
//! A trace is a header, the events a guest observed, and how the run ended. The
//! interposer (inside the guest) and the runner (the host) both use these types:
//!
//! - on the wire between them, each [`Event`] travels as compact postcard bytes
//!   ([`Event::encode`], [`Event::decode`]), so the guest does no JSON work per call;
//! - on disk, the runner writes JSON Lines ([`json`]), one event per line, readable by a
//!   person and by `jq`.
//!
//! Every recorded WASI call is a struct holding the arguments that matter for
//! divergence detection plus the `result` the guest saw; [`Call`] lets the interposer
//! record and replay all of them through one generic path.

use serde::{Deserialize, Serialize};
use std::fmt;

mod bytes;
#[cfg(feature = "json")]
pub mod json;

pub use bytes::Bytes;

/// Version of the trace format; bumped on any incompatible change to these types.
pub const FORMAT_VERSION: u32 = 1;

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

/// A seconds-and-nanoseconds time, as `wasi:clocks/wall-clock` returns it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datetime {
    pub seconds: u64,
    pub nanoseconds: u32,
}

/// Outcome of a `wasi:io/streams` operation.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StreamResult<T> {
    Ok(T),
    /// `stream-error::closed`.
    Closed,
    /// `stream-error::last-operation-failed`, with the error's debug string.
    Failed(String),
}

/// Identifies a stream in events. The standard streams have fixed numbers, like file
/// descriptors; other streams are numbered from [`StreamId::FIRST_OTHER`] in creation order.
pub type StreamId = u32;

/// Stream numbers with a fixed meaning.
pub mod stream {
    use super::StreamId;
    pub const STDIN: StreamId = 0;
    pub const STDOUT: StreamId = 1;
    pub const STDERR: StreamId = 2;
    pub const FIRST_OTHER: StreamId = 3;
}

/// Identifies a pollable in events: pollables are numbered in creation order from 0.
pub type PollableId = u32;

/// A recorded WASI call: the arguments that must match in replay and the result.
///
/// The interposer builds one with [`Call::new`] when recording and takes the result back
/// with [`Call::into_result`]; in replay it gets one from [`Call::from_event`] and checks
/// [`Call::args_match`] before returning the recorded result.
pub trait Call: Sized + Into<Event> {
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
    /// `Ok` when `event` records this call, else the event back.
    fn from_event(event: Event) -> Result<Self, Event>;
    /// `interface.function(arg: value, ...)`, for divergence messages.
    fn describe(args: &Self::Args) -> String;
    /// Appends the wire form of this call, the same as its [`Event`]'s, to `buf`.
    fn encode(&self, buf: &mut Vec<u8>);
}

/// Formats a value for a one-line message, cutting long ones short.
fn short_debug(value: &dyn fmt::Debug) -> String {
    const MAX: usize = 80;
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
        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
        pub enum Event {
            $( #[serde(rename = $tag)] $name($name), )*
        }

        /// [`Event`] by reference, serialized identically, so that a call is encoded
        /// without moving its result.
        #[derive(Serialize)]
        enum EventRef<'a> {
            $( #[serde(rename = $tag)] $name(&'a $name), )*
        }

        impl Event {
            /// The WASI interface and function this event records.
            pub fn interface_function(&self) -> (&'static str, &'static str) {
                match self { $( Event::$name(_) => ($interface, $function), )* }
            }

            /// `interface.function(arg: value, ...)` without the result.
            #[allow(unused_variables)]
            pub fn describe(&self) -> String {
                match self { $( Event::$name(call) => {
                    <$name as Call>::describe(&($(call.$arg.clone(),)*))
                } )* }
            }
        }

        $(
            $(#[$doc])*
            #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
            pub struct $name { $(pub $arg: $arg_ty,)* pub result: $result }

            impl From<$name> for Event {
                fn from(call: $name) -> Event { Event::$name(call) }
            }

            impl Call for $name {
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
                fn from_event(event: Event) -> Result<Self, Event> {
                    match event { Event::$name(call) => Ok(call), other => Err(other) }
                }
                #[allow(unused_variables)]
                fn describe(args: &Self::Args) -> String {
                    let ($($arg,)*) = args;
                    let args: &[String] =
                        &[$(format!("{}: {}", stringify!($arg), short_debug($arg)),)*];
                    format!("{}.{}({})", $interface, $function, args.join(", "))
                }
                fn encode(&self, buf: &mut Vec<u8>) {
                    encode_into(&EventRef::$name(self), buf)
                }
            }
        )*
    };
}

calls! {
    // wasi:clocks
    WallClockNow = "wall-clock.now" ("wasi:clocks/wall-clock", "now") {} -> Datetime;
    WallClockResolution = "wall-clock.resolution" ("wasi:clocks/wall-clock", "resolution") {} -> Datetime;
    MonotonicClockNow = "monotonic-clock.now" ("wasi:clocks/monotonic-clock", "now") {} -> u64;
    MonotonicClockResolution = "monotonic-clock.resolution"
        ("wasi:clocks/monotonic-clock", "resolution") {} -> u64;

    // wasi:random
    GetRandomBytes = "random.get-random-bytes" ("wasi:random/random", "get-random-bytes")
        { len: u64 } -> Bytes;
    GetRandomU64 = "random.get-random-u64" ("wasi:random/random", "get-random-u64") {} -> u64;
    GetInsecureRandomBytes = "insecure.get-insecure-random-bytes"
        ("wasi:random/insecure", "get-insecure-random-bytes") { len: u64 } -> Bytes;
    GetInsecureRandomU64 = "insecure.get-insecure-random-u64"
        ("wasi:random/insecure", "get-insecure-random-u64") {} -> u64;
    InsecureSeed = "insecure-seed.insecure-seed" ("wasi:random/insecure-seed", "insecure-seed")
        {} -> (u64, u64);

    // wasi:cli
    GetEnvironment = "environment.get-environment" ("wasi:cli/environment", "get-environment")
        {} -> Vec<(String, String)>;
    GetArguments = "environment.get-arguments" ("wasi:cli/environment", "get-arguments")
        {} -> Vec<String>;
    InitialCwd = "environment.initial-cwd" ("wasi:cli/environment", "initial-cwd")
        {} -> Option<String>;
    /// Whether stdin is a terminal.
    GetTerminalStdin = "terminal-stdin.get-terminal-stdin"
        ("wasi:cli/terminal-stdin", "get-terminal-stdin") {} -> bool;
    /// Whether stdout is a terminal.
    GetTerminalStdout = "terminal-stdout.get-terminal-stdout"
        ("wasi:cli/terminal-stdout", "get-terminal-stdout") {} -> bool;
    /// Whether stderr is a terminal.
    GetTerminalStderr = "terminal-stderr.get-terminal-stderr"
        ("wasi:cli/terminal-stderr", "get-terminal-stderr") {} -> bool;

    // wasi:io
    PollableReady = "pollable.ready" ("wasi:io/poll", "pollable.ready")
        { pollable: PollableId } -> bool;
    Poll = "poll.poll" ("wasi:io/poll", "poll") { pollables: Vec<PollableId> } -> Vec<u32>;
    InputStreamRead = "input-stream.read" ("wasi:io/streams", "input-stream.read")
        { stream: StreamId, len: u64 } -> StreamResult<Bytes>;
    InputStreamBlockingRead = "input-stream.blocking-read"
        ("wasi:io/streams", "input-stream.blocking-read")
        { stream: StreamId, len: u64 } -> StreamResult<Bytes>;
    InputStreamSkip = "input-stream.skip" ("wasi:io/streams", "input-stream.skip")
        { stream: StreamId, len: u64 } -> StreamResult<u64>;
    InputStreamBlockingSkip = "input-stream.blocking-skip"
        ("wasi:io/streams", "input-stream.blocking-skip")
        { stream: StreamId, len: u64 } -> StreamResult<u64>;
    OutputStreamCheckWrite = "output-stream.check-write"
        ("wasi:io/streams", "output-stream.check-write")
        { stream: StreamId } -> StreamResult<u64>;
    /// Any write (`write`, `blocking-write-and-flush`, the `*-zeroes` forms) of `len` bytes.
    OutputStreamWrite = "output-stream.write" ("wasi:io/streams", "output-stream.write")
        { stream: StreamId, len: u64 } -> StreamResult<()>;
    /// `flush` or `blocking-flush`.
    OutputStreamFlush = "output-stream.flush" ("wasi:io/streams", "output-stream.flush")
        { stream: StreamId } -> StreamResult<()>;
}

impl Event {
    /// Appends the wire form (postcard) of this event to `buf`.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        encode_into(self, buf)
    }

    /// Reads an event from its wire form.
    pub fn decode(bytes: &[u8]) -> Result<Event, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

fn encode_into(value: &impl Serialize, buf: &mut Vec<u8>) {
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
