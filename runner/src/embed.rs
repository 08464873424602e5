//! wasm-rr in an application that runs components itself, on its own wasmtime `Linker`
//! and with its own WIT world (a plugin host): its plugin's every import, the
//! application's own interfaces included, is recorded into a trace, and replayed from it
//! with nothing of the host called. Four steps, shown whole in `examples/embedder.rs`:
//!
//! 1. [`crate::compose`] the component: its imports go through the interposers;
//! 2. [`Session::record`] or [`Session::replay`], kept in the store's data;
//! 3. [`add_to_linker`]: `rr:log`, beside WASI and the application's own interfaces (which
//!    a replay never calls, but which the component still imports); in replay, give the
//!    guest [`crate::host::replay_wasi`]: stdout and stderr alone;
//! 4. call the component's export, then [`outcome`] and [`Session::finish`].

use crate::host::rr::log::log::{self as rr_log, Host};
use crate::rr_log::{OnWriteFailure, Recorder, Replayer};
use anyhow::Result;
use std::path::Path;
use wasm_rr_trace::file::{Creation, Format, TraceReader, TraceWriter};
use wasm_rr_trace::Outcome;
use wasmtime::component::{HasData, Instance, Linker};
use wasmtime::Store;

/// A recording or a replay of one run of a component: the host side of its `rr:log`.
pub struct Session {
    log: Log,
}

enum Log {
    Record(Recorder),
    Replay(Box<Replayer>),
}

impl Session {
    /// Records into a new trace at `trace` (JSON if its name ends in `.json`, else
    /// binary; a file there is replaced) the run of `app`, the component as the
    /// application has it, before [`crate::compose`]: the trace names it, and a replay
    /// checks it is given the same.
    pub fn record(app: &[u8], trace: &Path) -> Result<Session> {
        let header = crate::header(crate::app_identity(app), None);
        let writer =
            TraceWriter::create(trace, &header, Format::for_path(trace), Creation::Replace)?;
        let recorder = Recorder::new(writer, Vec::new(), OnWriteFailure::StopTheRun);
        Ok(Session {
            log: Log::Record(recorder),
        })
    }

    /// Replays `trace`, a recording of `app` (the component before [`crate::compose`]).
    pub fn replay(app: &[u8], trace: &Path) -> Result<Session> {
        let (reader, header) = TraceReader::open(trace)?;
        let app_sha256 = crate::app_identity(app);
        if header.app_sha256 != app_sha256 {
            anyhow::bail!(
                "{} was recorded from another app (SHA-256 {}), not this one (SHA-256 {app_sha256})",
                trace.display(),
                header.app_sha256,
            );
        }
        Ok(Session {
            log: Log::Replay(Box::new(Replayer::new(reader, false))),
        })
    }

    /// Whether this is a replay: the guest is then given no host resource but stdout and
    /// stderr.
    pub fn is_replay(&self) -> bool {
        matches!(self.log, Log::Replay(_))
    }

    /// Ends the session with how the run ended ([`outcome`]): a recording's trace is
    /// ended with it; a replay is checked to have ended as the recording did, with no
    /// input left. `Err` for a replay that diverged, or a trace that could not be
    /// written.
    pub fn finish(self, outcome: Result<Outcome>) -> Result<Outcome> {
        match self.log {
            Log::Record(recorder) => recorder.finish_run(outcome),
            Log::Replay(replayer) => replayer.finish(outcome),
        }
    }

    fn host(&mut self) -> &mut dyn Host {
        match &mut self.log {
            Log::Record(recorder) => recorder,
            Log::Replay(replayer) => replayer.as_mut(),
        }
    }
}

/// Puts `rr:log` on `linker`, served by the [`Session`] that `session` finds in the
/// store's data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    session: fn(&mut T) -> &mut Session,
) -> Result<()> {
    rr_log::add_to_linker::<T, HasSession>(linker, session).map_err(anyhow::Error::from)
}

/// How [`add_to_linker`] reaches a [`Session`] in the store's data.
struct HasSession;

impl HasData for HasSession {
    type Data<'a> = &'a mut Session;
}

/// How the component's run ended, given what the call of its export `returned`: the
/// exit code its result means (`wasi:cli/run`'s `ok` is 0), or the error that stopped it.
/// `session` finds the [`Session`] in the store's data.
pub fn outcome<T>(
    store: &mut Store<T>,
    instance: &Instance,
    returned: wasmtime::Result<i32>,
    session: fn(&mut T) -> &mut Session,
) -> Result<Outcome> {
    crate::host::outcome(store, instance, returned, |data| session(data).host())
}

crate::rr_log::delegate_to_host!(&mut Session);
