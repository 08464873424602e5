//! `wasm-rr serve`: an HTTP handler served as `wasmtime serve` serves it, each request on
//! an instance of its own, and (with `--trace-dir`) recorded into a trace of its own.

use crate::cli::{self, GuestOptions};
use crate::host::rr::log::log::Host;
use crate::host::{self, Handler, Log, Refused};
use crate::rr_log::{Interrupter, OnWriteFailure, Passthrough, Recorder};
use crate::{app_identity, composed_component, read_app, sha256_hex};
use anyhow::{bail, Context, Result};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wasm_rr_trace::file::{Creation, Format, TraceWriter};
use wasm_rr_trace::Outcome;
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
            let component = crate::plain_component(&app, &args.link.read()?, compilation)?;
            let server = Server::new(handler(&component, args)?, args, argv, Plain);
            runtime.block_on(listen(Arc::new(server), args.addr))
        }
        Some(dir) => {
            let component =
                composed_component(&app, &sha256_hex(&app), &args.link.read()?, compilation)?;
            let handler = handler(&component, args)?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("making the trace directory {}", dir.display()))?;
            let traces = Traces {
                dir: dir.clone(),
                server: server_id()?,
                app_sha256: app_identity(&app),
                format: args.format.into(),
                redacted_headers: args.redacted_headers(),
                on_write_failure: match args.fail_on_lost_trace {
                    true => OnWriteFailure::StopTheRun,
                    false => OnWriteFailure::GoOn,
                },
                in_flight: Mutex::new(HashMap::new()),
                kept: AtomicU64::new(0),
                lost: LostTraces::default(),
            };
            let server = Server::new(handler, args, argv, traces);
            runtime.block_on(listen(Arc::new(server), args.addr))
        }
    }
}

/// The app's file name: the handler's argv[0], as `record` gives it.
fn app_name(app: &Path) -> String {
    let name = app.file_name().map(|name| name.to_string_lossy());
    name.unwrap_or_default().into_owned()
}

fn handler<L: Log>(
    component: &wasmtime::component::Component,
    args: &cli::ServeArgs,
) -> Result<Handler<L>> {
    let app = &args.app;
    if !host::serves_http(component) {
        bail!(
            "{} is not an HTTP handler: it exports no `wasi:http/incoming-handler` (run a command with `wasm-rr record`)",
            app.display()
        );
    }
    Handler::new(component, &host::Providers::from_options(&args.guest))
}

/// Eight hex digits, random, that name this server's traces apart from those of any other
/// server writing into the same directory (another process, another machine).
fn server_id() -> Result<String> {
    let mut id = [0u8; 4];
    getrandom::fill(&mut id).map_err(|error| anyhow::anyhow!("no random server id: {error}"))?;
    Ok(crate::hex(&id))
}

/// How a served request is logged: not at all, or into a trace of its own.
trait RequestLogs: Send + Sync + 'static {
    type Log: Log;

    /// The most random bytes a guest gets in one call (see [`host::record_wasi`]).
    const MAX_RANDOM: Option<u64>;

    /// The log of request number `number`.
    fn start(&self, number: u64, request: &hyper::Request<Incoming>) -> Self::Log;

    /// Ends the log of request `number` with how its handler ended: whether its trace is
    /// kept (a lost one is said and counted here).
    fn finish(&self, number: u64, log: Self::Log, outcome: Outcome) -> bool;

    /// Drops the log of a request that the handler never saw: it says nothing.
    fn discard(&self, number: u64, log: Self::Log);

    /// Whether a request whose trace is lost fails (`--fail-on-lost-trace`).
    fn lost_trace_fails(&self) -> bool;

    /// Ends the logs of the requests in flight, at a second interruption.
    fn interrupt(&self, signal: &str);

    /// What the logs came to, for the line said at shutdown.
    fn summary(&self) -> String;
}

/// `serve` without `--trace-dir`: the handler alone, the baseline.
struct Plain;

impl RequestLogs for Plain {
    type Log = Passthrough;
    const MAX_RANDOM: Option<u64> = None;

    fn start(&self, _: u64, _: &hyper::Request<Incoming>) -> Passthrough {
        Passthrough
    }

    fn finish(&self, _: u64, _: Passthrough, _: Outcome) -> bool {
        true
    }

    fn discard(&self, _: u64, _: Passthrough) {}

    fn lost_trace_fails(&self) -> bool {
        false
    }

    fn interrupt(&self, _: &str) {}

    fn summary(&self) -> String {
        String::new()
    }
}

/// `serve --trace-dir`: a trace per request, named for people (see [`trace_name`]).
struct Traces {
    dir: PathBuf,
    /// This server's id in the traces' names.
    server: String,
    app_sha256: String,
    format: Format,
    redacted_headers: Vec<String>,
    on_write_failure: OnWriteFailure,
    /// The recordings of the requests in flight, which an interruption ends.
    in_flight: Mutex<HashMap<u64, Interrupter>>,
    kept: AtomicU64,
    lost: LostTraces,
}

/// A request's log under `--trace-dir`: its recording, or none where its trace could not
/// even be made (the request is served all the same, unrecorded).
enum RequestLog {
    Recorded(Recorder),
    Unrecorded(Passthrough),
}

impl RequestLogs for Traces {
    type Log = RequestLog;
    const MAX_RANDOM: Option<u64> = Some(host::MAX_RANDOM_BYTES);

    fn start(&self, number: u64, request: &hyper::Request<Incoming>) -> RequestLog {
        let name = trace_name(
            SystemTime::now(),
            &self.server,
            number,
            request,
            self.format,
        );
        let path = self.dir.join(name);
        let line = request
            .uri()
            .path_and_query()
            .map_or("/", |path| path.as_str());
        let request_line = format!("{} {line}", request.method());
        let header = crate::header(self.app_sha256.clone(), Some(request_line));
        let writer = match TraceWriter::create(&path, &header, self.format, Creation::New) {
            Ok(writer) => writer,
            Err(error) => {
                self.lost.say(number, &error.message);
                return RequestLog::Unrecorded(Passthrough);
            }
        };
        let recorder = Recorder::new(writer, self.redacted_headers.clone(), self.on_write_failure);
        lock(&self.in_flight).insert(number, recorder.interrupter());
        RequestLog::Recorded(recorder)
    }

    fn finish(&self, number: u64, log: RequestLog, outcome: Outcome) -> bool {
        let RequestLog::Recorded(recorder) = log else {
            return false;
        };
        let finished = recorder.finish(outcome);
        lock(&self.in_flight).remove(&number);
        match finished {
            Ok(()) => {
                self.kept.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(error) => {
                self.lost.say(number, &format!("{error:#}"));
                false
            }
        }
    }

    fn discard(&self, number: u64, log: RequestLog) {
        if let RequestLog::Recorded(recorder) = log {
            recorder.discard();
            lock(&self.in_flight).remove(&number);
        }
    }

    fn lost_trace_fails(&self) -> bool {
        self.on_write_failure == OnWriteFailure::StopTheRun
    }

    fn interrupt(&self, signal: &str) {
        let in_flight = std::mem::take(&mut *lock(&self.in_flight));
        for interrupter in in_flight.values() {
            if let Some(Err(error)) = interrupter.interrupt(signal) {
                eprintln!("wasm-rr: interrupted by {signal}: {error:#}");
            }
        }
        if !in_flight.is_empty() {
            eprintln!(
                "wasm-rr: interrupted by {signal}: the traces of the {} requests in flight end there",
                in_flight.len()
            );
        }
    }

    fn summary(&self) -> String {
        let kept = self.kept.load(Ordering::Relaxed);
        format!(
            "; {kept} traces kept in {}, {}",
            self.dir.display(),
            self.lost.summary()
        )
    }
}

/// The traces that could not be written: counted, with why, and said on stderr at most
/// once a second (with a running count), so that a full disk does not flood it.
#[derive(Default)]
struct LostTraces {
    count: AtomicU64,
    /// How many were lost for each reason.
    reasons: Mutex<BTreeMap<String, u64>>,
    /// When a loss was last said, and how many were not said since.
    said: Mutex<(Option<Instant>, u64)>,
}

/// How often a lost trace is said at most.
const LOST_TRACE_MESSAGE_EVERY: Duration = Duration::from_secs(1);

impl LostTraces {
    fn say(&self, number: u64, error: &str) {
        let count = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        // The reason without the file's name, so that losses for one reason count as one.
        let reason = error.rsplit(": ").next().unwrap_or(error).to_string();
        *lock(&self.reasons).entry(reason).or_default() += 1;
        let mut said = lock(&self.said);
        let now = Instant::now();
        if said
            .0
            .is_some_and(|last| now - last < LOST_TRACE_MESSAGE_EVERY)
        {
            said.1 += 1;
            return;
        }
        let unsaid = std::mem::take(&mut said.1);
        said.0 = Some(now);
        let more = match unsaid {
            0 => String::new(),
            n => format!(", {n} of them not said"),
        };
        eprintln!(
            "wasm-rr: request {number}: its trace is lost: {error} ({count} lost so far{more})"
        );
    }

    fn summary(&self) -> String {
        let reasons = lock(&self.reasons);
        if reasons.is_empty() {
            return "none lost".into();
        }
        let why: Vec<String> = reasons
            .iter()
            .map(|(reason, count)| format!("{count}: {reason}"))
            .collect();
        format!(
            "{} lost ({})",
            self.count.load(Ordering::Relaxed),
            why.join("; ")
        )
    }
}

impl RequestLog {
    /// The `rr:log` that this request's calls go to.
    fn host(&mut self) -> &mut dyn Host {
        match self {
            RequestLog::Recorded(log) => log,
            RequestLog::Unrecorded(log) => log,
        }
    }
}

crate::rr_log::delegate_to_host!(RequestLog);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `20261122T075012.345Z-3fa09c1e-000001-POST-echo.json`: the time the request came
/// (UTC), the server's id (see [`server_id`]), the request's number in this server's life,
/// its method and path (without the query; `/` as `_`, any byte but letters, digits, `-`
/// and `.` as `-`, at most 64). Names sort in time order.
fn trace_name(
    time: SystemTime,
    server: &str,
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
        "{}-{server}-{number:06}-{method}-{slug}.{extension}",
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
    /// Requests whose handler has not yet ended, which a shutdown waits for.
    in_flight: tokio::sync::watch::Sender<u64>,
}

impl<R: RequestLogs> Server<R> {
    fn new(handler: Handler<R::Log>, args: &cli::ServeArgs, argv: Vec<String>, logs: R) -> Self {
        Server {
            handler,
            guest: args.guest.clone(),
            argv,
            logs,
            next: AtomicU64::new(0),
            in_flight: tokio::sync::watch::Sender::new(0),
        }
    }
}

/// Counts a request in flight until it is dropped.
struct InFlight(tokio::sync::watch::Sender<u64>);

impl InFlight {
    fn new(in_flight: &tokio::sync::watch::Sender<u64>) -> Self {
        in_flight.send_modify(|count| *count += 1);
        InFlight(in_flight.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count -= 1);
    }
}

/// Listens on `addr` and serves each connection (HTTP/1.1) in a task of its own, until
/// SIGINT or SIGTERM; then, as `wasmtime serve` does, takes no new request, waits for the
/// requests in flight (a second signal stops them, their traces ending there), says what
/// was served, and exits 0.
async fn listen<R: RequestLogs>(
    server: Arc<Server<R>>,
    addr: std::net::SocketAddr,
) -> Result<ExitCode> {
    use tokio::signal::unix::{signal, SignalKind};
    // Installed whatever the signals' inherited disposition (a script's `&` ignores
    // SIGINT): a server started anywhere stops on either.
    let mut interrupts = signal(SignalKind::interrupt()).context("handling SIGINT")?;
    let mut terminations = signal(SignalKind::terminate()).context("handling SIGTERM")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr()?;
    eprintln!("Serving HTTP on http://{local}/");
    let signal = loop {
        let accepted = tokio::select! {
            _ = interrupts.recv() => break "SIGINT",
            _ = terminations.recv() => break "SIGTERM",
            accepted = listener.accept() => accepted,
        };
        let client = match accepted {
            Ok((client, _)) => client,
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
    };
    drop(listener);
    let mut in_flight = server.in_flight.subscribe();
    let waiting = *in_flight.borrow();
    if waiting > 0 {
        eprintln!(
            "wasm-rr: {signal}: waiting for the {waiting} requests in flight to end, {signal} again to stop them"
        );
        tokio::select! {
            _ = in_flight.wait_for(|count| *count == 0) => {}
            _ = interrupts.recv() => return Ok(server.stop("SIGINT")),
            _ = terminations.recv() => return Ok(server.stop("SIGTERM")),
        }
    }
    eprintln!("wasm-rr: {signal}: {}", server.summary());
    Ok(ExitCode::SUCCESS)
}

impl<R: RequestLogs> Server<R> {
    /// What was served, for the line said at shutdown.
    fn summary(&self) -> String {
        format!(
            "served {} requests{}",
            self.next.load(Ordering::Relaxed),
            self.logs.summary()
        )
    }

    /// Stops at a second signal: the requests in flight end there, and so do their
    /// traces; exits as `wasmtime` would (128 + the signal).
    fn stop(&self, signal: &'static str) -> ExitCode {
        self.logs.interrupt(signal);
        eprintln!("wasm-rr: {signal}: {}", self.summary());
        ExitCode::from(if signal == "SIGINT" { 130 } else { 143 })
    }

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
        let in_flight = InFlight::new(&self.in_flight);
        let log = self.logs.start(number, &request);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (logged, log_ended) = tokio::sync::oneshot::channel();
        let server = Arc::clone(self);
        let guest = tokio::task::spawn_blocking(move || -> Result<Outcome> {
            let _in_flight = in_flight;
            let (outcome, log) = match server.handler.handle(wasi, log, request, sender) {
                Ok(handled) => handled,
                Err(refused) => {
                    let Refused { error, log } = *refused;
                    server.logs.discard(number, log);
                    let _ = logged.send(true);
                    return Err(error);
                }
            };
            let (kept, ended) = match outcome {
                Ok(outcome) => (
                    server.logs.finish(number, log, outcome.clone()),
                    Ok(outcome),
                ),
                // The trace still ends: with why the run could not go on.
                Err(error) => {
                    let outcome = Outcome::Trap(format!("{error:#}"));
                    (server.logs.finish(number, log, outcome), Err(error))
                }
            };
            let _ = logged.send(kept || !server.logs.lost_trace_fails());
            ended
        });
        match receiver.await {
            // The client has all of the response only once its trace is complete.
            Ok(Ok(response)) => {
                // What goes wrong once the response has begun is said, as `wasmtime
                // serve` says it.
                tokio::spawn(async move {
                    match guest.await {
                        Ok(Ok(Outcome::Trap(message))) => eprintln!(
                            "wasm-rr: request {number}: worker failed: the handler trapped after its response began: {message}"
                        ),
                        Ok(Err(error)) => {
                            eprintln!("wasm-rr: request {number}: worker failed: {error:#}")
                        }
                        Err(error) => eprintln!("wasm-rr: request {number}: worker failed: {error}"),
                        Ok(Ok(_)) => {}
                    }
                });
                Ok(EndsAfter::wrap(response, log_ended))
            }
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
/// trace is complete), so that a client that has the whole response can rely on its trace;
/// where `after` says the trace is lost (`--fail-on-lost-trace`), the body ends in an
/// error instead, and the client never has the whole response.
/// The end is the body's, or, for a response with a `content-length` (which hyper ends
/// itself once it has sent that much), the frame that holds its last bytes.
struct EndsAfter {
    body: HyperOutgoingBody,
    length: host::ContentLength,
    /// The frame, or the end (`None`), held until `after` fires.
    held: Option<Option<hyper::body::Frame<bytes::Bytes>>>,
    after: Option<tokio::sync::oneshot::Receiver<bool>>,
}

impl EndsAfter {
    /// `response`, whose end waits for `after`.
    fn wrap(
        response: hyper::Response<HyperOutgoingBody>,
        after: tokio::sync::oneshot::Receiver<bool>,
    ) -> hyper::Response<HyperOutgoingBody> {
        let length = host::ContentLength::of(&response);
        response.map(|body| {
            EndsAfter {
                body,
                length,
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
                    if !self.length.last(&frame) {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    self.held = Some(Some(frame));
                }
                Poll::Ready(None) => self.held = Some(None),
                other => return other,
            }
        }
        if let Some(after) = self.after.as_mut() {
            let Poll::Ready(kept) = std::pin::Pin::new(after).poll(context) else {
                return Poll::Pending;
            };
            self.after = None;
            if kept == Ok(false) {
                let lost = wasmtime_wasi_http::p2::bindings::http::types::ErrorCode::InternalError(
                    Some("the request's trace is lost".into()),
                );
                return Poll::Ready(Some(Err(lost.into())));
            }
        }
        match self.held.take() {
            Some(Some(frame)) => {
                // What follows the last bytes is the body's own end.
                self.held = None;
                self.length = host::ContentLength::NONE;
                Poll::Ready(Some(Ok(frame)))
            }
            _ => Poll::Ready(None),
        }
    }
}
