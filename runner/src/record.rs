//! `wasm-rr record`: run the app on the real host and write every input into a trace.

use crate::host::{self, Program};
use crate::rr_log::{OnWriteFailure, Recorder};
use crate::{
    app_identity, cli, composed_component, header, read_app, report, same_file, sha256_hex,
};
use anyhow::{bail, Result};
use std::process::ExitCode;
use wasm_rr_trace::file::{Creation, Format, TraceWriter};

pub fn record(args: &cli::RecordArgs) -> Result<ExitCode> {
    if same_file(&args.trace, &args.run.app) {
        bail!(
            "the trace {} is the app itself: name another trace file with -t",
            args.trace.display()
        );
    }
    // Everything that can fail before the run is tried before the trace file is touched.
    let app = read_app(&args.run.app)?;
    let header = header(app_identity(&app), None);
    let component = composed_component(
        &app,
        &sha256_hex(&app),
        &args.run.link.read()?,
        host::Compilation::from_flag(args.run.debug_info),
    )?;
    let program =
        Program::<Recorder>::new(&component, &host::Providers::from_options(&args.run.guest))?;
    let wasi = host::record_wasi(
        &args.run.argv(),
        &args.run.guest,
        Some(host::MAX_RANDOM_BYTES),
    )?;
    let format = args
        .format
        .map_or_else(|| Format::for_path(&args.trace), Format::from);

    let writer = TraceWriter::create(&args.trace, &header, format, Creation::Replace)?;
    let recorder = Recorder::new(writer, args.redacted_headers(), OnWriteFailure::StopTheRun);
    let signals = recorder.on_signal(&args.trace)?;
    let (outcome, recorder) = program.run(wasi, recorder)?;
    // The trace ends either way: with how the run ended, or with what stopped it.
    let finished = recorder.finish_run(outcome).map(|outcome| report(&outcome));
    signals.close();
    finished
}
