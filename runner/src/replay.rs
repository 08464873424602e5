//! `wasm-rr replay`: run the app from a trace alone, and check it does what the trace holds.

use crate::host::{self, Program};
use crate::rr_log::Replayer;
use crate::{app_identity, cli, composed_component, read_app, report, sha256_hex};
use anyhow::{bail, Result};
use std::process::ExitCode;
use wasm_rr_trace::file::TraceReader;

pub fn replay(args: &cli::ReplayArgs) -> Result<ExitCode> {
    let app = read_app(&args.app)?;
    let (reader, header) = TraceReader::open(&args.trace)?;
    let app_sha256 = app_identity(&app);
    if header.app_sha256 != app_sha256 && !args.force {
        bail!(
            "{} was recorded from another app (SHA-256 {}), not {} (SHA-256 {}); pass --force to replay it anyway",
            args.trace.display(),
            header.app_sha256,
            args.app.display(),
            app_sha256
        );
    }
    let component = composed_component(
        &app,
        &sha256_hex(&app),
        host::Compilation::from_flag(args.debug_info),
    )?;
    let program = Program::<Replayer>::new(&component)?;
    let wasi = if args.then_live {
        let argv0 = args.app.file_name().unwrap_or_default().to_string_lossy();
        host::record_wasi(&[argv0.into_owned()], &args.guest, None)?
    } else {
        host::replay_wasi()
    };
    let (outcome, replayer) = program.run(wasi, Replayer::new(reader, args.then_live))?;
    let outcome = replayer.finish(outcome)?;
    Ok(report(&outcome))
}
