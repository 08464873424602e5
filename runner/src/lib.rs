//! wasm-rr: record and replay WebAssembly components.
//!
//! The runner composes the app with the embedded interposer ([`wasm_rr_composer`]), runs
//! the result on a stock wasmtime with WASI ([`host`]), and provides `rr:log` over a trace
//! file ([`rr_log`]).

pub mod bundle;
mod cache;
pub mod cli;
mod convert;
mod diff;
pub mod embed;
pub mod host;
mod inspect;
mod progress;
mod record;
mod replay;
pub mod rr_log;
mod serve;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::ExitCode;
use wasm_rr_trace::Outcome;

/// The interposer component, built from `interposer-component/` by `cargo xtask build-wasm`.
pub const INTERPOSER: &[u8] = include_bytes!("../../interposer-component/wasm_rr_interposer.wasm");
/// The generic interposer's library, built from `generic-interposer/` by `cargo xtask
/// build-wasm`: the composer links it with glue made from the app's own WIT.
pub const GENERIC_INTERPOSER: &[u8] =
    include_bytes!("../../generic-interposer/wasm_rr_generic_interposer.so");
/// Both interposers, as the composer takes them.
pub const INTERPOSERS: wasm_rr_composer::Interposers<'static> = wasm_rr_composer::Interposers {
    wasi: INTERPOSER,
    generic: GENERIC_INTERPOSER,
};
/// The `rr:log` inside a bundle, built from `hosts/bundle/` by `cargo xtask build-wasm`.
pub const BUNDLE_LOG: &[u8] = include_bytes!("../../hosts/bundle/wasm_rr_bundle_log.wasm");

/// Exit status when the guest traps (a Rust panic is a trap), as `wasmtime run` uses.
pub const EXIT_TRAP: u8 = 134;
/// Exit status when wasm-rr itself fails: bad input, a bad trace, a replay divergence.
pub const EXIT_ERROR: u8 = 125;

/// Runs one `wasm-rr` command; `Err` is a wasm-rr error, printed as one line.
pub fn run(cli: cli::Cli) -> Result<ExitCode> {
    if let Some(guest) = cli.command.guest_options() {
        host::component_model_async(guest.component_model_async());
    }
    match cli.command {
        cli::Command::Record(args) => record::record(&args),
        cli::Command::Replay(args) => replay::replay(&args),
        cli::Command::Serve(args) => serve::serve(&args),
        cli::Command::Run(args) => run_plain(&args),
        cli::Command::Convert(args) => convert::convert(&args),
        cli::Command::Inspect(args) => inspect::inspect(&args),
        cli::Command::Diff(args) => diff::diff(&args),
        cli::Command::Bundle(args) => bundle::bundle(&args),
        cli::Command::Completions(args) => {
            cli::completions(args.shell, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::Compose(args) => {
            let app = read_app(&args.app)?;
            let composed = compose_with(&app, args.log.into(), &args.link.read()?)?;
            write_replacing(&args.output, &composed)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_plain(args: &cli::RunArgs) -> Result<ExitCode> {
    let app = read_app(&args.app)?;
    let providers = args.link.read()?;
    let component = plain_component(
        &app,
        &providers,
        host::Compilation::from_flag(args.debug_info),
    )?;
    let program = host::Program::new(&component, &host::Providers::from_options(&args.guest))?;
    let wasi = host::record_wasi(&args.argv(), &args.guest, None)?;
    let (outcome, _) = program.run(wasi, rr_log::Passthrough)?;
    Ok(report(&outcome?))
}

/// The app alone (with `providers` plugged in), as a component (a core module adapted),
/// compiled (or from the cache).
fn plain_component(
    app: &[u8],
    providers: &[Vec<u8>],
    compilation: host::Compilation,
) -> Result<wasmtime::component::Component> {
    let app_sha256 = sha256_hex(app);
    let providers_sha256 = providers_sha256(providers);
    let mut inputs = vec![app_sha256.as_bytes(), providers_sha256.as_bytes()];
    inputs.extend(wasm_rr_composer::adaptation_inputs());
    cache::component(&inputs, compilation, concurrent(app, providers), || {
        let component = wasm_rr_composer::app_component(app)?;
        if providers.is_empty() {
            return Ok(component.into_owned());
        }
        wasm_rr_composer::plug(&component, providers)
    })
}

/// One digest of the providers given with `--link`, for the compile cache.
fn providers_sha256(providers: &[Vec<u8>]) -> String {
    let mut hasher = Sha256::new();
    for provider in providers {
        hasher.update(Sha256::digest(provider));
    }
    format!("providers {}", hex(&hasher.finalize()))
}

/// Tells the user how the guest ended (a trap, on stderr) and gives the matching status.
fn report(outcome: &Outcome) -> ExitCode {
    match outcome {
        Outcome::Exit(_) => {}
        Outcome::Trap(message) => eprintln!("wasm-rr: the guest trapped: {message}"),
        Outcome::Interrupted(signal) => {
            eprintln!("wasm-rr: the recording was interrupted by {signal} here; so is the replay")
        }
    }
    ExitCode::from(outcome.exit_status())
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Writes `bytes` to `path` as `cp` would (see [`wasm_rr_trace::destination`]): a
/// failure leaves what was at `path` as it was, a device or FIFO is written into, a
/// symbolic link is followed.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    wasm_rr_trace::destination::write_replacing(path, bytes)
        .with_context(|| format!("writing {}", path.display()))
}

fn read_app(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    wasm_rr_composer::wasm_kind(&bytes).with_context(|| path.display().to_string())?;
    Ok(bytes)
}

/// The app with the interposer in front, compiled (or from the cache).
fn composed_component(
    app: &[u8],
    app_sha256: &str,
    providers: &[Vec<u8>],
    compilation: host::Compilation,
) -> Result<wasmtime::component::Component> {
    let interposer_sha256 = env!("WASM_RR_INTERPOSER_SHA256");
    let providers_sha256 = providers_sha256(providers);
    let mut inputs = vec![
        app_sha256.as_bytes(),
        interposer_sha256.as_bytes(),
        providers_sha256.as_bytes(),
    ];
    inputs.extend(wasm_rr_composer::adaptation_inputs());
    cache::component(&inputs, compilation, concurrent(app, providers), || {
        compose_with(app, wasm_rr_composer::LogSource::Host, providers)
    })
}

/// Whether the app with `providers` is compiled for a concurrent engine: the app or a
/// provider uses the component model's async features (WASI 0.3).
fn concurrent(app: &[u8], providers: &[Vec<u8>]) -> bool {
    let uses_async = wasm_rr_composer::uses_async(app)
        || providers
            .iter()
            .any(|provider| wasm_rr_composer::uses_async(provider));
    host::concurrent(uses_async)
}

/// The app with the interposer in front, unless it already has one, and the app's
/// identity in the `wasm-rr` custom section (see [`app_identity`]).
pub fn compose(app: &[u8]) -> Result<Vec<u8>> {
    compose_with(app, wasm_rr_composer::LogSource::Host, &[])
}

/// [`compose`], with `rr:log` from `log`, and `providers` (components) plugged into the
/// app's imports they export, behind the generic interposer.
pub fn compose_with(
    app: &[u8],
    log: wasm_rr_composer::LogSource,
    providers: &[Vec<u8>],
) -> Result<Vec<u8>> {
    let component = wasm_rr_composer::app_component(app)?;
    if wasm_rr_composer::is_composed(&component)? {
        if !providers.is_empty() {
            anyhow::bail!("the app is composed already: --link goes with the app itself");
        }
        return Ok(component.into_owned());
    }
    let composed = wasm_rr_composer::compose(&component, INTERPOSERS, log, providers)?;
    Ok(with_identity_of(app, composed))
}

/// `component` (composed from `app`) with the app's identity in the `wasm-rr` custom
/// section, which a host other than wasm-rr reads to write a trace's header.
fn with_identity_of(app: &[u8], component: Vec<u8>) -> Vec<u8> {
    let identity = serde_json::json!({
        "app_sha256": sha256_hex(app),
        "wasm_rr_version": env!("CARGO_PKG_VERSION"),
        "wasm_rr_trace": wasm_rr_trace::FORMAT_VERSION,
    });
    wasm_rr_composer::with_identity(component, &identity.to_string())
}

/// The header of a trace of the app whose identity is `app_sha256` ([`app_identity`]),
/// recorded now by this version (of an HTTP `request`).
fn header(app_sha256: String, request: Option<String>) -> wasm_rr_trace::Header {
    wasm_rr_trace::Header {
        wasm_rr_trace: wasm_rr_trace::FORMAT_VERSION,
        wasm_rr_version: env!("CARGO_PKG_VERSION").into(),
        app_sha256,
        request,
    }
}

/// Refuses a trace recorded from another app than `app` (read from `app_path`), unless
/// `force`d.
fn check_trace_app(
    header: &wasm_rr_trace::Header,
    trace: &Path,
    app: &[u8],
    app_path: &Path,
    force: bool,
) -> Result<()> {
    let app_sha256 = app_identity(app);
    if header.app_sha256 != app_sha256 && !force {
        anyhow::bail!(
            "{} was recorded from another app (SHA-256 {}), not {} (SHA-256 {}); pass --force to replay it anyway",
            trace.display(),
            header.app_sha256,
            app_path.display(),
            app_sha256
        );
    }
    Ok(())
}

/// The SHA-256 that a trace of `app` names: the app's own, or, for a component that
/// wasm-rr composed, that of the app inside (so that a trace of either replays with
/// either).
fn app_identity(app: &[u8]) -> String {
    wasm_rr_composer::identity(app)
        .and_then(|identity| serde_json::from_str::<serde_json::Value>(&identity).ok())
        .and_then(|identity| identity["app_sha256"].as_str().map(String::from))
        .unwrap_or_else(|| sha256_hex(app))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hex, as digests are shown.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
