//! An application that runs plugins on its own wasmtime `Linker`, with its own WIT world,
//! and records and replays them with the `wasm-rr` crate (see `wasm_rr::embed`).
//!
//! The application gives its plugins `acme:calls/source` (examples/wit/calls.wit). A
//! plugin's run is recorded whole: its WASI calls and its calls into the application.
//! The replay calls nothing of the application's: the trace answers.
//!
//! ```text
//! cargo run --release -p wasm-rr --example embedder -- record examples/call_loop/call_loop.wasm run.json shift 3
//! cargo run --release -p wasm-rr --example embedder -- replay examples/call_loop/call_loop.wasm run.json
//! wasm-rr replay examples/call_loop/call_loop.wasm run.json     # the same trace, by the CLI
//! ```

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use wasm_rr::embed::{self, Session};
use wasm_rr_trace::Outcome;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../examples/wit/calls.wit",
    world: "app",
});

use acme::calls::source::{self, Instant};

/// What the plugin's store holds: WASI, the application's own state, and the session.
struct Plugin {
    wasi: WasiCtx,
    table: ResourceTable,
    session: Session,
    /// Calls of the application's `source`, which a replay never makes.
    source_calls: u64,
}

impl WasiView for Plugin {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The application's interface: what its plugins read of the world.
impl source::Host for Plugin {
    fn shift(&mut self, at: Instant) -> Instant {
        self.source_calls += 1;
        let now = now_nanos();
        Instant {
            seconds: at.seconds.wrapping_add(now % 7),
            nanoseconds: (at.nanoseconds ^ now as u32) % 1_000_000_000,
        }
    }

    fn bytes(&mut self, len: u64) -> Vec<u8> {
        self.source_calls += 1;
        let mut state = now_nanos() | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

/// A plugin's run: how it ended, what it wrote to stdout, and how many calls it made
/// into the application.
pub struct Run {
    pub outcome: Outcome,
    pub stdout: Vec<u8>,
    pub source_calls: u64,
}

/// Runs the plugin `app` (a component) with `args` in `session`: recording it
/// (`Session::record`) or replaying it (`Session::replay`).
pub fn run(app: &[u8], session: Session, args: &[String]) -> Result<Run> {
    let engine = Engine::default();
    let component = Component::new(&engine, wasm_rr::compose(app)?)?;
    let mut linker = Linker::<Plugin>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    source::add_to_linker::<Plugin, HasSelf<Plugin>>(&mut linker, |plugin| plugin)?;
    embed::add_to_linker(&mut linker, |plugin| &mut plugin.session)?;

    // A replay gives the plugin nothing of the host but its stdout: the trace answers.
    let stdout = MemoryOutputPipe::new(1 << 20);
    let mut wasi = WasiCtx::builder();
    wasi.stdout(stdout.clone()).inherit_stderr();
    if !session.is_replay() {
        wasi.args(args);
    }
    let plugin = Plugin {
        wasi: wasi.build(),
        table: ResourceTable::new(),
        session,
        source_calls: 0,
    };
    let mut store = Store::new(&engine, plugin);
    let instance = linker.instantiate(&mut store, &component)?;
    let command = Command::new(&mut store, &instance)?;
    let returned = command.wasi_cli_run().call_run(&mut store);
    let returned = returned.map(|result| if result.is_ok() { 0 } else { 1 });
    let outcome = embed::outcome(&mut store, &instance, returned, |plugin| {
        &mut plugin.session
    });
    let plugin = store.into_data();
    Ok(Run {
        outcome: plugin.session.finish(outcome)?,
        stdout: stdout.contents().to_vec(),
        source_calls: plugin.source_calls,
    })
}

fn main() -> Result<std::process::ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, app_path, trace, plugin_args) = match args.as_slice() {
        [mode, app, trace, rest @ ..] => (mode.as_str(), app, Path::new(trace), rest),
        _ => bail!("usage: embedder record|replay APP.wasm TRACE [ARGS...]"),
    };
    let app = std::fs::read(app_path).with_context(|| format!("reading {app_path}"))?;
    let session = match mode {
        "record" => Session::record(&app, trace)?,
        "replay" => Session::replay(&app, trace)?,
        _ => bail!("usage: embedder record|replay APP.wasm TRACE [ARGS...]"),
    };
    let argv: Vec<String> = std::iter::once(app_path.clone())
        .chain(plugin_args.iter().cloned())
        .collect();
    let run = run(&app, session, &argv)?;
    print!("{}", String::from_utf8_lossy(&run.stdout));
    eprintln!(
        "embedder: {mode}: the plugin ended with {:?}, after {} calls into the application",
        run.outcome, run.source_calls
    );
    Ok(match run.outcome {
        Outcome::Exit(code) => std::process::ExitCode::from(code as u8),
        _ => std::process::ExitCode::from(134),
    })
}
