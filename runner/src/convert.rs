//! `wasm-rr convert`: rewrite a trace in another format.

use crate::{cli, same_file};
use anyhow::{bail, Result};
use std::process::ExitCode;
use wasm_rr_trace::file::{Creation, Format, TraceReader, TraceWriter};

/// Rewrites a trace event by event (in the current format: converting upgrades a trace of
/// an older one), into a temporary file that replaces the output only when the whole
/// trace is written: a bad input leaves the output as it was.
pub fn convert(args: &cli::ConvertArgs) -> Result<ExitCode> {
    if same_file(&args.input, &args.output) {
        bail!(
            "{} is both the input and the output: convert into another file",
            args.output.display()
        );
    }
    let (mut reader, header) = TraceReader::open(&args.input)?;
    let format = args
        .format
        .map_or_else(|| Format::for_path(&args.output), Format::from);
    let mut writer =
        TraceWriter::create(&args.output, &header, format, Creation::ReplaceWhenComplete)?;
    while let Some(event) = reader.next_event()? {
        writer.event(&event)?;
    }
    let Some(outcome) = reader.outcome().cloned() else {
        bail!("{}, and is not converted", reader.cut_short_message());
    };
    writer.finish(outcome)?;
    Ok(ExitCode::SUCCESS)
}
