//! `wasm-rr replay`: run the app from a trace alone, and check it does what the trace holds.

use crate::host::Stopped;
use crate::host::{self, Handler, Program};
use crate::rr_log::Replayer;
use crate::{check_trace_app, cli, composed_component, read_app, report, sha256_hex};
use anyhow::{bail, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use std::io::Write;
use std::process::ExitCode;
use wasm_rr_trace::file::TraceReader;
use wasm_rr_trace::Outcome;
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

pub fn replay(args: &cli::ReplayArgs) -> Result<ExitCode> {
    let app = read_app(&args.app)?;
    let (reader, header) = TraceReader::open(&args.trace)?;
    check_trace_app(&header, &args.trace, &app, &args.app, args.force)?;
    let component = composed_component(
        &app,
        &sha256_hex(&app),
        &[],
        host::Compilation::from_flag(args.debug_info),
    )?;
    let serves_http = host::serves_http(&component);
    match (&header.request, serves_http) {
        (None, true) => bail!(
            "{} is the trace of a command's run, but {} is an HTTP handler: replay the trace of one of its requests (`wasm-rr serve --trace-dir`)",
            args.trace.display(),
            args.app.display()
        ),
        (Some(request), false) => bail!(
            "{} is the trace of an HTTP request ({request}), but {} is not an HTTP handler (it exports no `wasi:http/incoming-handler`)",
            args.trace.display(),
            args.app.display()
        ),
        _ => {}
    }
    let wasi = if args.then_live {
        let argv0 = args.app.file_name().unwrap_or_default().to_string_lossy();
        host::record_wasi(&[argv0.into_owned()], &args.guest, None)?
    } else {
        host::replay_wasi()
    };
    let replayer = Replayer::new(reader, args.then_live).stop_at(args.stop_at);
    let providers = host::Providers::for_replay(&args.guest);
    let (outcome, replayer) = if serves_http {
        replay_request(Handler::new(&component, &providers)?, wasi, replayer)?
    } else {
        Program::<Replayer>::new(&component, &providers)?.run(wasi, replayer)?
    };
    if let Some(stopped) = outcome
        .as_ref()
        .err()
        .and_then(|e| e.downcast_ref::<Stopped>())
    {
        eprint!("{}", stopped.0);
        return Ok(ExitCode::SUCCESS);
    }
    let outcome = replayer.finish(outcome)?;
    Ok(report(&outcome))
}

/// Hands the handler a request (which the interposer replaces with the trace's), and
/// prints the response it sets on stdout, as `curl -i` shows one.
fn replay_request(
    handler: Handler<Replayer>,
    wasi: WasiCtx,
    replayer: Replayer,
) -> Result<(Result<Outcome>, Replayer)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // The interposer reads none of it: the request is the trace's.
        let request = hyper::Request::builder()
            .uri("http://localhost/")
            .body(Empty::<Bytes>::new())?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let guest =
            tokio::task::spawn_blocking(move || handler.handle(wasi, replayer, request, sender));
        let shown = match receiver.await {
            Ok(Ok(response)) => show(response).await,
            Ok(Err(code)) => {
                eprintln!("wasm-rr: the handler answered with the error {code:?}");
                Ok(())
            }
            Err(_) => Ok(()),
        };
        let ran = guest.await?.map_err(|refused| refused.error)?;
        shown?;
        Ok(ran)
    })
}

/// Writes `response` to stdout as `curl -i` shows it: the status line and headers, a blank
/// line, the body as it comes.
async fn show(response: hyper::Response<HyperOutgoingBody>) -> Result<()> {
    let (parts, mut body) = response.into_parts();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &parts.headers {
        head.extend_from_slice(format!("{name}: ").as_bytes());
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&head)?;
    while let Some(frame) = body.frame().await {
        // A body the handler broke off is the handler's to explain; the replay says
        // whether it did so in the recording too.
        let Ok(frame) = frame else { break };
        if let Some(data) = frame.data_ref() {
            stdout.write_all(data)?;
        }
    }
    stdout.flush()?;
    Ok(())
}
