//! `wasm-rr bundle`: the app, the interposer and a trace in one component that replays the
//! recorded run under any host (docs/src/other-hosts.md, "Bundles").

use crate::{check_trace_app, cli, read_app, same_file, with_identity_of, write_replacing};
use crate::{BUNDLE_LOG, INTERPOSERS};
use anyhow::{bail, Context, Result};
use std::process::ExitCode;
use wasm_rr_composer::Bundled;
use wasm_rr_trace::bundle::{BundleHead, BundleWriter, BundledEnd, MAX_BUNDLED_TRACE_BYTES};
use wasm_rr_trace::file::{Format, TraceReader};

pub fn bundle(args: &cli::BundleArgs) -> Result<ExitCode> {
    for input in [&args.app, &args.trace] {
        if same_file(input, &args.output) {
            bail!(
                "{} is both an input and the output: bundle into another file",
                args.output.display()
            );
        }
    }
    let app = read_app(&args.app)?;
    let (mut reader, header) = TraceReader::open(&args.trace)?;
    check_trace_app(&header, &args.trace, &app, &args.app, args.force)?;
    if let Some(request) = &header.request {
        bail!(
            "{} is the trace of an HTTP request ({request}): only a command's run can be bundled; replay it with `wasm-rr replay`",
            args.trace.display()
        );
    }
    let component = wasm_rr_composer::app_component(&app)?;
    if wasm_rr_composer::is_composed(&component)? {
        bail!(
            "{} was composed already: bundle the app itself",
            args.app.display()
        );
    }

    let mut events = BundleWriter::new();
    while let Some(event) = reader.next_event_bytes()? {
        events.event(&event);
        if events.len() > MAX_BUNDLED_TRACE_BYTES {
            bail!(
                "{}: event {}: the trace's events pass {} MiB, more than a bundle holds (a bundle carries its whole trace into memory); replay it with `wasm-rr replay`",
                args.trace.display(),
                reader.events_read(),
                MAX_BUNDLED_TRACE_BYTES >> 20
            );
        }
    }
    let end = match reader.outcome() {
        Some(outcome) => BundledEnd::Complete(outcome.clone()),
        None => BundledEnd::CutShort(reader.cut_short_message()),
    };
    let trace = events.finish(&BundleHead {
        trace: args.trace.display().to_string(),
        json_lines: reader.format() == Format::Json,
        end,
    });
    let bundled = wasm_rr_composer::bundle(
        &component,
        INTERPOSERS,
        Bundled {
            log: BUNDLE_LOG,
            trace: &trace,
        },
    )
    .with_context(|| format!("bundling {}", args.app.display()))?;
    write_replacing(&args.output, &with_identity_of(&app, bundled))?;
    Ok(ExitCode::SUCCESS)
}
