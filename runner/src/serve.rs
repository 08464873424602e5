//! `wasm-rr serve`: an HTTP handler served as `wasmtime serve` serves it, each request on
//! an instance of its own, and (with `--trace-dir`) recorded into a trace of its own.

use crate::cli::{self, GuestOptions};
use crate::host::{self, Handler, Log};
use crate::rr_log::{Interrupter, Passthrough, Recorder};
use crate::{app_identity, composed_component, read_app, sha256_hex};
use anyhow::{bail, Context, Result};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use wasm_rr_trace::file::{Format, TraceWriter};
use wasm_rr_trace::{Header, Outcome, FORMAT_VERSION};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

pub fn serve(args: &cli::ServeArgs) -> Result<ExitCode> {
    host::serving_many_instances();
    let app = read_app(&args.app)?;
    let compilation = host::Compilation::from_flag(args.debug_info);
    let argv = vec![app_name(&args.app)];
    // The options are tried before the server listens.
    host::record_wasi(&argv, &args.guest, None)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    match &args.trace_dir {
        None => {
            let component = crate::plain_component(&app, compilation)?;
            let handler = handler(&component, &args.app)?;
            let server = Server {
                handler,
                guest: args.guest.clone(),
                argv,
                logs: Plain,
                next: AtomicU64::new(0),
            };
            runtime.block_on(listen(Arc::new(server), args.addr))
        }
        Some(dir) => {
            let component = composed_component(&app, &sha256_hex(&app), compilation)?;
            let handler = handler(&component, &args.app)?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("making the trace directory {}", dir.display()))?;
            let traces = Arc::new(Traces {
                dir: dir.clone(),
                app_sha256: app_identity(&app),
                format: args.format.into(),
                redacted_headers: args.redacted_headers(),
                in_flight: Mutex::new(HashMap::new()),
            });
            let signals = Arc::clone(&traces).on_signal()?;
            let server = Server {
                handler,
                guest: args.guest.clone(),
                argv,
                logs: traces,
                next: AtomicU64::new(0),
            };
            let served = runtime.block_on(listen(Arc::new(server), args.addr));
            signals.close();
            served
        }
    }
}

/// The app's file name: the handler's argv[0], as `record` gives it.
fn app_name(app: &Path) -> String {
    let name = app.file_name().map(|name| name.to_string_lossy());
    name.unwrap_or_default().into_owned()
}

fn handler<L: Log>(component: &wasmtime::component::Component, app: &Path) -> Result<Handler<L>> {
    if !host::serves_http(component) {
        bail!(
            "{} is not an HTTP handler: it exports no `wasi:http/incoming-handler` (run a command with `wasm-rr record`)",
            app.display()
        );
    }
    Handler::new(component)
}

/// How a served request is logged: not at all, or into a trace of its own.
trait RequestLogs: Send + Sync + 'static {
    type Log: Log;

    /// The most random bytes a guest gets in one call (see [`host::record_wasi`]).
    const MAX_RANDOM: Option<u64>;

    /// The log of request number `number`.
    fn start(&self, number: u64, request: &hyper::Request<Incoming>) -> Result<Self::Log>;

    /// Ends the log of request `number` with how its handler ended.
    fn finish(&self, number: u64, log: Self::Log, outcome: Outcome) -> Result<()>;
}

/// `serve` without `--trace-dir`: the handler alone, the baseline.
struct Plain;

impl RequestLogs for Plain {
    type Log = Passthrough;
    const MAX_RANDOM: Option<u64> = None;

    fn start(&self, _: u64, _: &hyper::Request<Incoming>) -> Result<Passthrough> {
        Ok(Passthrough)
    }

    fn finish(&self, _: u64, _: Passthrough, _: Outcome) -> Result<()> {
        Ok(())
    }
}

/// `serve --trace-dir`: a trace per request, named for people (see [`trace_name`]).
struct Traces {
    dir: PathBuf,
    app_sha256: String,
    format: Format,
    redacted_headers: Vec<String>,
    /// The recordings of the requests in flight, which an interruption ends.
    in_flight: Mutex<HashMap<u64, Interrupter>>,
}

impl RequestLogs for Arc<Traces> {
    type Log = Recorder;
    const MAX_RANDOM: Option<u64> = Some(host::MAX_RANDOM_BYTES);

    fn start(&self, number: u64, request: &hyper::Request<Incoming>) -> Result<Recorder> {
        let path = self
            .dir
            .join(trace_name(SystemTime::now(), number, request, self.format));
        let line = request
            .uri()
            .path_and_query()
            .map_or("/", |path| path.as_str());
        let header = Header {
            wasm_rr_trace: FORMAT_VERSION,
            wasm_rr_version: env!("CARGO_PKG_VERSION").into(),
            app_sha256: self.app_sha256.clone(),
            request: Some(format!("{} {line}", request.method())),
        };
        let writer = TraceWriter::create(&path, &header, self.format)?;
        let recorder = Recorder::new(writer, self.redacted_headers.clone());
        lock(&self.in_flight).insert(number, recorder.interrupter());
        Ok(recorder)
    }

    fn finish(&self, number: u64, recorder: Recorder, outcome: Outcome) -> Result<()> {
        let finished = recorder.finish(outcome);
        lock(&self.in_flight).remove(&number);
        finished
    }
}

impl Traces {
    /// On SIGINT or SIGTERM, ends the traces of the requests in flight, says so, and exits
    /// as `wasmtime` would (128 + the signal).
    fn on_signal(self: Arc<Self>) -> Result<signal_hook::iterator::Handle> {
        crate::rr_log::on_interruption(move |name| {
            let in_flight = std::mem::take(&mut *lock(&self.in_flight));
            for interrupter in in_flight.values() {
                if let Some(Err(error)) = interrupter.interrupt(name) {
                    eprintln!("wasm-rr: interrupted by {name}: {error:#}");
                }
            }
            eprintln!(
                "wasm-rr: interrupted by {name}: the traces of the {} requests in flight end there",
                in_flight.len()
            );
            Some(())
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `20261122T075012.345Z-000001-POST-echo.json`: the time the request came (UTC), its
/// number in this server's life, its method and path (without the query; `/` as `_`, any
/// byte but letters, digits, `-` and `.` as `-`, at most 64). Names sort in time order.
fn trace_name(
    time: SystemTime,
    number: u64,
    request: &hyper::Request<Incoming>,
    format: Format,
) -> String {
    let path = request.uri().path().trim_start_matches('/');
    let mut slug: String = path
        .chars()
        .map(|c| match c {
            '/' => '_',
            c if c.is_ascii_alphanumeric() || c == '-' || c == '.' => c,
            _ => '-',
        })
        .take(64)
        .collect();
    if slug.is_empty() {
        slug.push('_');
    }
    let method: String = request
        .method()
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let extension = match format {
        Format::Json => "json",
        Format::Binary => "bin",
        Format::Zstd => "bin.zst",
    };
    format!(
        "{}-{number:06}-{method}-{slug}.{extension}",
        utc_stamp(time)
    )
}

/// `20261122T075012.345Z`.
fn utc_stamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let t = crate::inspect::Utc::at(since.as_nanos() as i128);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

/// The server: the handler, what each instance's WASI gets, and how requests are logged.
struct Server<R: RequestLogs> {
    handler: Handler<R::Log>,
    guest: GuestOptions,
    argv: Vec<String>,
    logs: R,
    next: AtomicU64,
}

/// Listens on `addr` and serves each connection (HTTP/1.1) in a task of its own, until
/// the process ends.
async fn listen<R: RequestLogs>(
    server: Arc<Server<R>>,
    addr: std::net::SocketAddr,
) -> Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    eprintln!("Serving HTTP on http://{local}/");
    loop {
        let (client, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("wasm-rr: accepting a connection: {error}");
                continue;
            }
        };
        let server = Arc::clone(&server);
        tokio::task::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let server = Arc::clone(&server);
                async move { Ok::<_, Infallible>(server.respond(request).await) }
            });
            // A client that goes away is its own business, as under `wasmtime serve`.
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(client), service)
                .await;
        });
    }
}

impl<R: RequestLogs> Server<R> {
    /// The handler's response, or a 500 when it gives none (it trapped), as
    /// `wasmtime serve` answers.
    async fn respond(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
    ) -> hyper::Response<HyperOutgoingBody> {
        let number = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        match self.try_respond(number, request).await {
            Ok(response) => response,
            Err(error) => {
                eprintln!("wasm-rr: request {number}: {error:#}");
                internal_error()
            }
        }
    }

    async fn try_respond(
        self: &Arc<Self>,
        number: u64,
        request: hyper::Request<Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let wasi = host::record_wasi(&self.argv, &self.guest, R::MAX_RANDOM)?;
        let log = self.logs.start(number, &request)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (logged, log_ended) = tokio::sync::oneshot::channel();
        let server = Arc::clone(self);
        let guest = tokio::task::spawn_blocking(move || -> Result<Outcome> {
            let (outcome, log) = server.handler.handle(wasi, log, request, sender)?;
            let ended = match outcome {
                Ok(outcome) => server
                    .logs
                    .finish(number, log, outcome.clone())
                    .map(|()| outcome),
                // The trace still ends: with why the run could not go on.
                Err(error) => {
                    let outcome = Outcome::Trap(format!("{error:#}"));
                    server.logs.finish(number, log, outcome).and(Err(error))
                }
            };
            let _ = logged.send(());
            ended
        });
        match receiver.await {
            // The client has all of the response only once its trace is complete.
            Ok(Ok(response)) => Ok(EndsAfter::wrap(response, log_ended)),
            Ok(Err(code)) => bail!("the handler answered with the error {code:?}"),
            Err(_) => match guest.await? {
                Ok(Outcome::Trap(message)) => bail!("the handler trapped: {message}"),
                Ok(_) => bail!("the handler returned without setting a response"),
                Err(error) => Err(error),
            },
        }
    }
}

fn internal_error() -> hyper::Response<HyperOutgoingBody> {
    let body = http_body_util::Full::new(bytes::Bytes::from_static(b"Internal Server Error\n"))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// A response body whose end reaches the client only once `after` fires (the request's
/// trace is complete), so that a client that has the whole response can rely on its trace.
/// The end is the body's, or, for a response with a `content-length` (which hyper ends
/// itself once it has sent that much), the frame that holds its last bytes.
struct EndsAfter {
    body: HyperOutgoingBody,
    /// Bytes of a `content-length` not yet sent.
    remaining: Option<u64>,
    /// The frame, or the end (`None`), held until `after` fires.
    held: Option<Option<hyper::body::Frame<bytes::Bytes>>>,
    after: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl EndsAfter {
    /// `response`, whose end waits for `after`.
    fn wrap(
        response: hyper::Response<HyperOutgoingBody>,
        after: tokio::sync::oneshot::Receiver<()>,
    ) -> hyper::Response<HyperOutgoingBody> {
        let remaining = response
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok()?.parse().ok());
        response.map(|body| {
            EndsAfter {
                body,
                remaining,
                held: None,
                after: Some(after),
            }
            .boxed_unsync()
        })
    }
}

impl hyper::body::Body for EndsAfter {
    type Data = bytes::Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<hyper::body::Frame<Self::Data>, Self::Error>>>
    {
        use std::task::Poll;
        if self.held.is_none() {
            match std::pin::Pin::new(&mut self.body).poll_frame(context) {
                Poll::Ready(Some(Ok(frame))) => {
                    let sent = frame.data_ref().map_or(0, |data| data.len() as u64);
                    let last = match self.remaining.as_mut() {
                        Some(remaining) if *remaining > sent => {
                            *remaining -= sent;
                            false
                        }
                        Some(_) => true,
                        None => false,
                    };
                    if !last {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    self.held = Some(Some(frame));
                }
                Poll::Ready(None) => self.held = Some(None),
                other => return other,
            }
        }
        if let Some(after) = self.after.as_mut() {
            if std::pin::Pin::new(after).poll(context).is_pending() {
                return Poll::Pending;
            }
            self.after = None;
        }
        match self.held.take() {
            Some(Some(frame)) => {
                // What follows the last bytes is the body's own end.
                self.held = None;
                self.remaining = None;
                Poll::Ready(Some(Ok(frame)))
            }
            _ => Poll::Ready(None),
        }
    }
}
