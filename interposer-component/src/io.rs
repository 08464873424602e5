//! `wasi:io`: the interposer's own `error`, `pollable`, `input-stream` and `output-stream`
//! resources, each wrapping the host's (or nothing, in replay).
//!
//! Owning these resources is what lets the interposer see stdin reads, output results and
//! readiness; it is also why every interface that mentions them is wrapped too.

use crate::bindings::exports::wasi::io::{error as e_error, poll as e_poll, streams as e_streams};
use crate::bindings::wasi::io::{error as i_error, poll as i_poll, streams as i_streams};
use crate::log::{made_in_replay, recorded, replayed_output, replaying};
use crate::Interposer;
use std::cell::Cell;
use wasm_rr_trace::{
    self as trace, stream, Bytes, PollableId, StreamFailure, StreamId, StreamResult,
};

thread_local! {
    static NEXT_POLLABLE: Cell<PollableId> = const { Cell::new(0) };
    static NEXT_STREAM: Cell<StreamId> = const { Cell::new(stream::FIRST_OTHER) };
}

/// The most `blocking-write-and-flush` takes at once (WASI's documented limit).
const BLOCKING_WRITE_MAX: usize = 4096;

/// Budget that replay grants `check-write` on an output whose recording does not say.
const REPLAY_WRITE_BUDGET: u64 = BLOCKING_WRITE_MAX as u64;

/// A pollable that is always ready, for the virtual pollables of a replay that went on
/// live: a zero-length timer.
fn always_ready() -> &'static i_poll::Pollable {
    thread_local! {
        static READY: &'static i_poll::Pollable = Box::leak(Box::new(
            crate::bindings::wasi::clocks::monotonic_clock::subscribe_duration(0),
        ));
    }
    READY.with(|ready| *ready)
}

/// The host's stdin, for a replay that went on live.
fn live_stdin() -> &'static i_streams::InputStream {
    thread_local! {
        static STDIN: &'static i_streams::InputStream =
            Box::leak(Box::new(crate::bindings::wasi::cli::stdin::get_stdin()));
    }
    STDIN.with(|stdin| *stdin)
}

// ---- wasi:io/error ----

/// What the guest can learn of an error, in every mode the same: recorded, it is what
/// the host's error said; replayed, what the trace holds.
pub struct Error(StreamFailure);

impl Error {
    pub fn filesystem_code(&self) -> Option<trace::ErrorCode> {
        self.0.filesystem
    }

    pub fn http_code(&self) -> Option<trace::HttpErrorCode> {
        self.0.http.clone()
    }
}

impl e_error::GuestError for Error {
    fn to_debug_string(&self) -> String {
        self.0.debug.clone()
    }
}

impl e_error::Guest for Interposer {
    type Error = Error;
}

// ---- wasi:io/poll ----

/// A pollable with a number for the trace; `host` is `None` for a virtual one (replay),
/// whose readiness comes from the trace and whose `block` returns at once.
pub struct Pollable {
    id: PollableId,
    host: Option<i_poll::Pollable>,
}

impl Pollable {
    pub fn wrap(host: Option<i_poll::Pollable>) -> e_poll::Pollable {
        let id = NEXT_POLLABLE.with(|next| next.replace(next.get() + 1));
        e_poll::Pollable::new(Pollable { id, host })
    }

    /// A pollable on the host in record and passthrough, a virtual one in replay.
    pub fn unless_replaying(host: impl FnOnce() -> i_poll::Pollable) -> e_poll::Pollable {
        Pollable::wrap(if replaying() { None } else { Some(host()) })
    }

    /// The host's pollable. A virtual one (made during a replay that then went on live)
    /// is always ready, as it was in the replay.
    fn host(&self) -> &i_poll::Pollable {
        match &self.host {
            Some(host) => host,
            None => always_ready(),
        }
    }
}

impl e_poll::GuestPollable for Pollable {
    fn ready(&self) -> bool {
        recorded::<trace::PollableReady>((self.id,), || self.host().ready())
    }

    fn block(&self) {
        if !replaying() {
            self.host().block();
        }
    }
}

impl e_poll::Guest for Interposer {
    type Pollable = Pollable;

    fn poll(pollables: Vec<e_poll::PollableBorrow<'_>>) -> Vec<u32> {
        let pollables: Vec<&Pollable> = pollables.iter().map(|p| p.get::<Pollable>()).collect();
        let ids = pollables.iter().map(|p| p.id).collect();
        recorded::<trace::Poll>((ids,), || {
            let hosts: Vec<&i_poll::Pollable> = pollables.iter().map(|p| p.host()).collect();
            i_poll::poll(&hosts)
        })
    }
}

// ---- wasi:io/streams ----

/// Describes a host stream error for the trace: its debug string, and the error code that
/// the stream's origin (a file, a socket) gives it.
pub type DescribeError = fn(&i_error::Error) -> StreamFailure;

/// [`DescribeError`] for a stream with no origin-specific codes (stdio).
pub fn plain_failure(error: &i_error::Error) -> StreamFailure {
    StreamFailure {
        debug: error.to_debug_string(),
        filesystem: None,
        http: None,
    }
}

fn to_trace<T>(
    result: Result<T, i_streams::StreamError>,
    describe: DescribeError,
) -> StreamResult<T> {
    match result {
        Ok(value) => StreamResult::Ok(value),
        Err(i_streams::StreamError::Closed) => StreamResult::Closed,
        Err(i_streams::StreamError::LastOperationFailed(error)) => {
            StreamResult::Failed(describe(&error))
        }
    }
}

fn from_trace<T>(result: StreamResult<T>) -> Result<T, e_streams::StreamError> {
    match result {
        StreamResult::Ok(value) => Ok(value),
        StreamResult::Closed => Err(e_streams::StreamError::Closed),
        StreamResult::Failed(failure) => Err(e_streams::StreamError::LastOperationFailed(
            e_error::Error::new(Error(failure)),
        )),
    }
}

fn next_stream_id() -> StreamId {
    NEXT_STREAM.with(|next| next.replace(next.get() + 1))
}

/// An input stream whose reads are recorded: stdin or a file's.
pub struct InputStream {
    id: StreamId,
    /// `None` in replay.
    host: Option<i_streams::InputStream>,
    describe: DescribeError,
}

impl InputStream {
    pub fn stdin(host: impl FnOnce() -> i_streams::InputStream) -> e_streams::InputStream {
        let host = if replaying() { None } else { Some(host()) };
        e_streams::InputStream::new(InputStream {
            id: stream::STDIN,
            host,
            describe: plain_failure,
        })
    }

    /// A file's or a socket's stream: the host's in record, none in replay.
    pub fn recorded(
        host: Option<i_streams::InputStream>,
        describe: DescribeError,
    ) -> e_streams::InputStream {
        let id = next_stream_id();
        e_streams::InputStream::new(InputStream { id, host, describe })
    }

    /// One read-like operation, recorded as call `C`.
    fn op<C, T>(
        &self,
        len: u64,
        host_op: impl FnOnce(&i_streams::InputStream) -> Result<T, i_streams::StreamError>,
    ) -> Result<T, e_streams::StreamError>
    where
        C: trace::Call<Args = (StreamId, u64), Result = StreamResult<T>>,
    {
        from_trace(recorded::<C>((self.id, len), || {
            let host = match (&self.host, self.id) {
                (Some(host), _) => host,
                // Made during a replay that then went on live: stdin is the host's.
                (None, stream::STDIN) => live_stdin(),
                (None, _) => made_in_replay("a file's or a socket's stream"),
            };
            to_trace(host_op(host), self.describe)
        }))
    }
}

impl e_streams::GuestInputStream for InputStream {
    fn read(&self, len: u64) -> Result<Vec<u8>, e_streams::StreamError> {
        self.op::<trace::InputStreamRead, _>(len, |s| s.read(len).map(Bytes))
            .map(Vec::from)
    }

    fn blocking_read(&self, len: u64) -> Result<Vec<u8>, e_streams::StreamError> {
        self.op::<trace::InputStreamBlockingRead, _>(len, |s| s.blocking_read(len).map(Bytes))
            .map(Vec::from)
    }

    fn skip(&self, len: u64) -> Result<u64, e_streams::StreamError> {
        self.op::<trace::InputStreamSkip, _>(len, |s| s.skip(len))
    }

    fn blocking_skip(&self, len: u64) -> Result<u64, e_streams::StreamError> {
        self.op::<trace::InputStreamBlockingSkip, _>(len, |s| s.blocking_skip(len))
    }

    fn subscribe(&self) -> e_poll::Pollable {
        Pollable::wrap(self.host.as_ref().map(|host| host.subscribe()))
    }
}

/// What replay does with an output stream's operations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replayed {
    /// Checks them against the recording (writes by digest) and performs none: a file's
    /// or a socket's stream, virtual in replay.
    Checked,
    /// Performs them, and their recording is optional (see [`replayed_output`]): stdout
    /// and stderr.
    Shown,
    /// Checks them, then performs them: a handler's response body, which replay shows.
    CheckedAndShown,
}

/// An output stream; every operation's result is recorded.
pub struct OutputStream {
    id: StreamId,
    /// `None` in replay, but for the streams that replay shows.
    host: Option<i_streams::OutputStream>,
    replayed: Replayed,
    describe: DescribeError,
}

impl OutputStream {
    pub fn std(id: StreamId, host: i_streams::OutputStream) -> e_streams::OutputStream {
        e_streams::OutputStream::new(OutputStream {
            id,
            host: Some(host),
            replayed: Replayed::Shown,
            describe: plain_failure,
        })
    }

    /// A file's or a socket's stream: the host's in record, none in replay.
    pub fn recorded(
        host: Option<i_streams::OutputStream>,
        describe: DescribeError,
    ) -> e_streams::OutputStream {
        OutputStream::numbered(host, Replayed::Checked, describe)
    }

    /// A handler's response body: the host's in every mode, since replay shows the
    /// response (checked against the recording first).
    pub fn response_body(
        host: Option<i_streams::OutputStream>,
        describe: DescribeError,
    ) -> e_streams::OutputStream {
        OutputStream::numbered(host, Replayed::CheckedAndShown, describe)
    }

    fn numbered(
        host: Option<i_streams::OutputStream>,
        replayed: Replayed,
        describe: DescribeError,
    ) -> e_streams::OutputStream {
        e_streams::OutputStream::new(OutputStream {
            id: next_stream_id(),
            host,
            replayed,
            describe,
        })
    }

    /// Runs `host_op`, recording its result as call `C`. In replay, a shown stream runs
    /// `replay_op` instead and answers with the recorded result, or with `replay_op`'s when
    /// the recording holds none (the output changed); a checked and shown one runs
    /// `replay_op` once the recording holds the same operation, with success.
    fn op<C, T>(
        &self,
        args: C::Args,
        host_op: impl FnOnce(&i_streams::OutputStream) -> Result<T, i_streams::StreamError>,
        replay_op: impl FnOnce(&i_streams::OutputStream) -> T,
    ) -> Result<T, e_streams::StreamError>
    where
        C: trace::Call<Result = StreamResult<T>>,
    {
        let replayed = replaying().then_some(self.replayed);
        match (&self.host, replayed) {
            (Some(host), Some(Replayed::Shown)) => {
                let fallback = replay_op(host);
                let recorded = replayed_output::<C>(self.id, &args);
                from_trace(recorded.unwrap_or(StreamResult::Ok(fallback)))
            }
            (Some(host), Some(Replayed::CheckedAndShown)) => {
                let recorded = recorded::<C>(args, || to_trace(host_op(host), self.describe));
                if let StreamResult::Ok(_) = recorded {
                    replay_op(host);
                }
                from_trace(recorded)
            }
            _ => from_trace(recorded::<C>(args, || {
                let host = self
                    .host
                    .as_ref()
                    .unwrap_or_else(|| made_in_replay("a file's stream"));
                to_trace(host_op(host), self.describe)
            })),
        }
    }

    /// A write of `bytes`; replay shows them with blocking writes.
    fn write_op(
        &self,
        bytes: &[u8],
        host_op: impl FnOnce(&i_streams::OutputStream) -> Result<(), i_streams::StreamError>,
    ) -> Result<(), e_streams::StreamError> {
        let args = (self.id, bytes.len() as u64, trace::digest(bytes));
        self.op::<trace::OutputStreamWrite, ()>(args, host_op, |host| {
            // Replay shows the output; failing to show it is not the guest's concern.
            for chunk in bytes.chunks(BLOCKING_WRITE_MAX) {
                if host.blocking_write_and_flush(chunk).is_err() {
                    break;
                }
            }
        })
    }

    /// A write of `len` zeroes.
    fn write_zeroes_op(
        &self,
        len: u64,
        host_op: impl FnOnce(&i_streams::OutputStream) -> Result<(), i_streams::StreamError>,
    ) -> Result<(), e_streams::StreamError> {
        let digest = zeroes_digest(len);
        self.op::<trace::OutputStreamWrite, ()>((self.id, len, digest), host_op, |host| {
            let _ = host.blocking_write_zeroes_and_flush(len);
        })
    }
}

/// The digest of `len` zero bytes, computed without allocating them.
fn zeroes_digest(len: u64) -> u64 {
    let block = [0u8; BLOCKING_WRITE_MAX];
    let mut digest = trace::digest(&[]);
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        digest = trace::digest_more(digest, &block[..n]);
        left -= n as u64;
    }
    digest
}

impl e_streams::GuestOutputStream for OutputStream {
    fn check_write(&self) -> Result<u64, e_streams::StreamError> {
        self.op::<trace::OutputStreamCheckWrite, u64>(
            (self.id,),
            |s| s.check_write(),
            |_| REPLAY_WRITE_BUDGET,
        )
    }

    fn write(&self, contents: Vec<u8>) -> Result<(), e_streams::StreamError> {
        self.write_op(&contents, |s| s.write(&contents))
    }

    fn blocking_write_and_flush(&self, contents: Vec<u8>) -> Result<(), e_streams::StreamError> {
        self.write_op(&contents, |s| s.blocking_write_and_flush(&contents))
    }

    fn flush(&self) -> Result<(), e_streams::StreamError> {
        self.op::<trace::OutputStreamFlush, ()>((self.id,), |s| s.flush(), |_| ())
    }

    fn blocking_flush(&self) -> Result<(), e_streams::StreamError> {
        self.op::<trace::OutputStreamFlush, ()>((self.id,), |s| s.blocking_flush(), |_| ())
    }

    fn subscribe(&self) -> e_poll::Pollable {
        Pollable::unless_replaying(|| {
            let host = self
                .host
                .as_ref()
                .unwrap_or_else(|| made_in_replay("a stream"));
            host.subscribe()
        })
    }

    fn write_zeroes(&self, len: u64) -> Result<(), e_streams::StreamError> {
        self.write_zeroes_op(len, |s| s.write_zeroes(len))
    }

    fn blocking_write_zeroes_and_flush(&self, len: u64) -> Result<(), e_streams::StreamError> {
        self.write_zeroes_op(len, |s| s.blocking_write_zeroes_and_flush(len))
    }

    /// A read from `src` then a write of what it gave, so that both sides are recorded
    /// as the streams they are.
    fn splice(
        &self,
        src: e_streams::InputStreamBorrow<'_>,
        len: u64,
    ) -> Result<u64, e_streams::StreamError> {
        use e_streams::GuestInputStream as _;
        let budget = self.check_write()?.min(len);
        let bytes = src.get::<InputStream>().read(budget)?;
        let moved = bytes.len() as u64;
        self.write(bytes)?;
        Ok(moved)
    }

    fn blocking_splice(
        &self,
        src: e_streams::InputStreamBorrow<'_>,
        len: u64,
    ) -> Result<u64, e_streams::StreamError> {
        use e_streams::GuestInputStream as _;
        let bytes = src
            .get::<InputStream>()
            .blocking_read(len.min(REPLAY_WRITE_BUDGET))?;
        let moved = bytes.len() as u64;
        self.blocking_write_and_flush(bytes)?;
        Ok(moved)
    }
}

impl e_streams::Guest for Interposer {
    type InputStream = InputStream;
    type OutputStream = OutputStream;
}
