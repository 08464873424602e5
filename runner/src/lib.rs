//! wasm-rr: record and replay WebAssembly components.
//!
//! The runner composes the app with the embedded interposer ([`wasm_rr_composer`]), runs
//! the result on a stock wasmtime with WASI ([`host`]), and provides `rr:log` over a trace
//! file ([`rr_log`]).

pub mod cli;
pub mod host;
pub mod rr_log;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::ExitCode;
use wasm_rr_trace::file::{Format, TraceReader, TraceWriter};
use wasm_rr_trace::{Header, Outcome, FORMAT_VERSION};

/// The interposer component, built from `interposer-component/` by `cargo xtask build-wasm`.
pub const INTERPOSER: &[u8] = include_bytes!("../../interposer-component/wasm_rr_interposer.wasm");

/// Exit status when the guest traps (a Rust panic is a trap), as `wasmtime run` uses.
pub const EXIT_TRAP: u8 = 134;
/// Exit status when wasm-rr itself fails: bad input, a bad trace, a replay divergence.
pub const EXIT_ERROR: u8 = 125;

/// Runs one `wasm-rr` command; `Err` is a wasm-rr error, printed as one line.
pub fn run(cli: cli::Cli) -> Result<ExitCode> {
    match cli.command {
        cli::Command::Record(args) => record(&args),
        cli::Command::Replay(args) => replay(&args),
        cli::Command::Run(args) => run_plain(&args),
        cli::Command::Convert(args) => convert(&args),
        cli::Command::Compose(args) => {
            let app = read_app(&args.app)?;
            let composed = compose(&app)?;
            std::fs::write(&args.output, composed)
                .with_context(|| format!("writing {}", args.output.display()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn record(args: &cli::RecordArgs) -> Result<ExitCode> {
    let app = read_app(&args.run.app)?;
    let header = Header {
        wasm_rr_trace: FORMAT_VERSION,
        wasm_rr_version: env!("CARGO_PKG_VERSION").into(),
        app_sha256: sha256_hex(&app),
    };
    let component = composed_component(&app, &header.app_sha256)?;
    let format = args
        .format
        .map_or_else(|| Format::for_path(&args.trace), Format::from);
    let writer = TraceWriter::create(&args.trace, &header, format)?;
    let wasi = host::record_wasi(&args.run.argv(), &args.run.guest)?;
    let (outcome, log) = host::run(
        &component,
        wasi,
        rr_log::RrLog::record(writer, args.redacted_headers()),
    )?;
    let rr_log::RrLog::Record(recorder) = log else {
        bail!("internal: the log changed mode")
    };
    match outcome {
        Ok(outcome) => {
            recorder.finish(outcome.clone())?;
            Ok(report(&outcome))
        }
        // The trace still ends: with what stopped the run, or with why it could not.
        Err(error) => {
            recorder.finish(Outcome::Trap(format!("{error:#}")))?;
            Err(error)
        }
    }
}

/// Rewrites a trace in another format, event by event.
fn convert(args: &cli::ConvertArgs) -> Result<ExitCode> {
    let (mut reader, header) = TraceReader::open(&args.input)?;
    let format = args
        .format
        .map_or_else(|| Format::for_path(&args.output), Format::from);
    let mut writer = TraceWriter::create(&args.output, &header, format)?;
    while let Some(event) = reader.next_event()? {
        writer.event(&event)?;
    }
    let Some(outcome) = reader.outcome().cloned() else {
        bail!(
            "{} has no end: it was cut short, and is not converted",
            args.input.display()
        );
    };
    writer.finish(outcome)?;
    Ok(ExitCode::SUCCESS)
}

fn run_plain(args: &cli::RunArgs) -> Result<ExitCode> {
    let app = read_app(&args.app)?;
    let component = host::cached_component(&[sha256_hex(&app).as_bytes()], || {
        Ok(wasm_rr_composer::app_component(&app)?.into_owned())
    })?;
    let wasi = host::record_wasi(&args.argv(), &args.guest)?;
    let (outcome, _) = host::run(&component, wasi, rr_log::RrLog::Passthrough)?;
    Ok(report(&outcome?))
}

fn replay(args: &cli::ReplayArgs) -> Result<ExitCode> {
    let app = read_app(&args.app)?;
    let (reader, header) = TraceReader::open(&args.trace)?;
    let app_sha256 = sha256_hex(&app);
    if header.app_sha256 != app_sha256 && !args.force {
        bail!(
            "{} was recorded from another app (SHA-256 {}), not {} (SHA-256 {}); pass --force to replay it anyway",
            args.trace.display(),
            header.app_sha256,
            args.app.display(),
            app_sha256
        );
    }
    let component = composed_component(&app, &app_sha256)?;
    let wasi = host::replay_wasi();
    let (outcome, log) = host::run(&component, wasi, rr_log::RrLog::replay(reader))?;
    let rr_log::RrLog::Replay(mut replayer) = log else {
        bail!("internal: the log changed mode")
    };
    let outcome = outcome?;
    if let Outcome::Exit(_) = outcome {
        replayer.check_fully_used()?;
    }
    Ok(report(&outcome))
}

/// Tells the user how the guest ended (a trap, on stderr) and gives the matching status.
fn report(outcome: &Outcome) -> ExitCode {
    match outcome {
        Outcome::Exit(code) => ExitCode::from(*code as u8),
        Outcome::Trap(message) => {
            eprintln!("wasm-rr: the guest trapped: {message}");
            ExitCode::from(EXIT_TRAP)
        }
    }
}

fn read_app(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    wasm_rr_composer::wasm_kind(&bytes).with_context(|| path.display().to_string())?;
    Ok(bytes)
}

/// The app with the interposer in front, compiled (or from the cache).
fn composed_component(app: &[u8], app_sha256: &str) -> Result<wasmtime::component::Component> {
    let interposer_sha256 = env!("WASM_RR_INTERPOSER_SHA256");
    let inputs = [app_sha256.as_bytes(), interposer_sha256.as_bytes()];
    host::cached_component(&inputs, || compose(app))
}

/// The app with the interposer in front, unless it already has one.
pub fn compose(app: &[u8]) -> Result<Vec<u8>> {
    let component = wasm_rr_composer::app_component(app)?;
    if wasm_rr_composer::is_composed(&component)? {
        return Ok(component.into_owned());
    }
    wasm_rr_composer::compose(&component, INTERPOSER)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hex, as digests are shown.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
