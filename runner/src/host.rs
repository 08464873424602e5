//! The wasmtime host: a stock engine with WASI 0.2 and 0.3 and `rr:log`, configured so
//! that the same inputs give the same run on any machine.

pub mod p3;

use crate::cache;
use crate::cli::{GuestOptions, WasiKey};
use crate::rr_log::{RecordError, RecordingEnded, ReplayError, StoppedAt};
use anyhow::{bail, Context, Result};
use wasm_rr_trace::file::TraceError;
use wasm_rr_trace::Outcome;
use wasmtime::component::{Component, HasSelf, Instance, InstancePre, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, Trap};
use wasmtime_wasi::p2::bindings::sync::{Command, CommandPre};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_config::{WasiConfig, WasiConfigVariables};
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::sync::{Proxy, ProxyPre};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};
use wasmtime_wasi_keyvalue::{WasiKeyValue, WasiKeyValueCtx, WasiKeyValueCtxBuilder};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "rr:log/host",
    imports: { default: trappable },
});

/// The host side of `rr:log`: [`crate::rr_log`]'s passthrough, recorder or replayer.
pub trait Log: rr::log::log::Host + Send + 'static {}

impl<L: rr::log::log::Host + Send + 'static> Log for L {}

/// Everything a running guest reaches on the host.
pub struct State<L> {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    config: WasiConfigVariables,
    keyvalue: WasiKeyValueCtx,
    log: L,
}

/// The interfaces beyond WASI 0.2 that the host provides, as `wasmtime run` does: `-S
/// config` and `-S keyvalue` (in memory). An import that nothing provides is refused
/// with a message naming it, but in replay, where it traps: the generic interposer
/// answers from the trace and never calls it.
#[derive(Clone, Debug, Default)]
pub struct Providers {
    /// `wasi:config`, with these variables.
    pub config: Option<Vec<(String, String)>>,
    /// `wasi:keyvalue`, in memory, each run's store starting with these pairs.
    pub keyvalue: Option<Vec<(String, String)>>,
    /// Whether what nothing provides traps when called (replay) rather than being refused.
    pub the_rest_trap: bool,
    /// WASI 0.3 (`-S p3`, on by default).
    pub wasi_p3: bool,
}

impl Providers {
    /// What `-S config` and `-S keyvalue` in `options` ask for.
    pub fn from_options(options: &GuestOptions) -> Providers {
        Providers {
            config: options
                .enabled(WasiKey::Config)
                .then(|| options.pairs(WasiKey::ConfigVar)),
            keyvalue: options
                .enabled(WasiKey::Keyvalue)
                .then(|| options.pairs(WasiKey::KeyvalueInMemoryData)),
            the_rest_trap: false,
            wasi_p3: options.wasi_p3(),
        }
    }

    /// For a replay: what `options` ask for (a replay may go on live), the rest trapping.
    pub fn for_replay(options: &GuestOptions) -> Providers {
        Providers {
            the_rest_trap: true,
            ..Providers::from_options(options)
        }
    }

    /// Whether the import `name` is one of these.
    fn provides(&self, name: &str) -> bool {
        let interface = |prefix: &str| name.starts_with(prefix);
        (self.config.is_some() && interface("wasi:config/"))
            || (self.keyvalue.is_some() && interface("wasi:keyvalue/"))
            || (self.wasi_p3 && p3::is_wasi_p3(name))
    }

    fn add_to_linker<L: Log>(&self, linker: &mut Linker<State<L>>) -> Result<()> {
        if self.config.is_some() {
            wasmtime_wasi_config::add_to_linker(linker, |state| WasiConfig::from(&state.config))?;
        }
        if self.keyvalue.is_some() {
            wasmtime_wasi_keyvalue::add_to_linker(linker, |state| {
                WasiKeyValue::new(&state.keyvalue, &mut state.table)
            })?;
        }
        Ok(())
    }
}

impl<L: Send> WasiView for State<L> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Outgoing HTTP, as `wasmtime run -S http` gives it. In replay the interposer answers
/// from the trace and never calls it.
impl<L: Send> WasiHttpView for State<L> {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// How a component is compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compilation {
    #[default]
    Optimized,
    /// With debug info for gdb and lldb, and without optimizations (`-g`).
    Debuggable,
}

impl Compilation {
    pub fn from_flag(debug_info: bool) -> Compilation {
        if debug_info {
            Compilation::Debuggable
        } else {
            Compilation::Optimized
        }
    }
}

/// Whether engines validate the component model's async features (see
/// [`component_model_async`]).
static ASYNC_FEATURES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Turns the component model's async features (`-W component-model-async`, which WASI 0.3
/// needs) on or off in the engines this process creates from now on: on by default, as in
/// wasmtime 47 and later; off, a component that uses them is refused as wasmtime refuses it.
pub fn component_model_async(enabled: bool) {
    ASYNC_FEATURES.store(enabled, std::sync::atomic::Ordering::Relaxed);
}

/// Whether a component that `uses_async` (the component model's async features) gets a
/// concurrent engine: unless `-W component-model-async=n` turned them off, and then
/// compiling it fails as under wasmtime.
pub fn concurrent(uses_async: bool) -> bool {
    uses_async && ASYNC_FEATURES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether engines pre-allocate instances in a pool (see [`serving_many_instances`]).
static MANY_INSTANCES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes the engines this process creates from now on keep a pool of instance slots, as
/// `wasmtime serve` does: a server instantiates per request, and the pool makes that
/// cheap. Compiled code is the same either way.
pub fn serving_many_instances() {
    MANY_INSTANCES.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// An engine whose results do not depend on the machine: NaNs are canonical and relaxed
/// SIMD takes its deterministic semantics. A debuggable one gives native debuggers the
/// guest's DWARF, as `wasmtime run -g` does.
///
/// A `concurrent` one runs components that use the component model's async features
/// (WASI 0.3; see [`concurrent`]); the others do without its runtime, which would cost
/// every call time.
pub fn engine(compilation: Compilation, concurrent: bool) -> Result<Engine> {
    let mut config = Config::new();
    if MANY_INSTANCES.load(std::sync::atomic::Ordering::Relaxed) {
        config.allocation_strategy(wasmtime::PoolingAllocationConfig::default());
    }
    config.wasm_component_model(true);
    config.concurrency_support(concurrent);
    config.wasm_component_model_async(concurrent);
    config.cranelift_nan_canonicalization(true);
    config.relaxed_simd_deterministic(true);
    if compilation == Compilation::Debuggable {
        config.debug_info(true);
        // Source lines in backtraces (`replay --stop-at`), from the guest's DWARF.
        config.wasm_backtrace_details(wasmtime::WasmBacktraceDetails::Enable);
        config.cranelift_opt_level(wasmtime::OptLevel::None);
    }
    if let Some(functions) = cache::FunctionCache::open() {
        config.enable_incremental_compilation(std::sync::Arc::new(functions))?;
    }
    Ok(Engine::new(&config)?)
}

/// The guest's view of the real host (recording, a plain run, a replay gone live): real
/// stdio, the given arguments, environment and preopens, as `wasmtime run` gives them;
/// random bytes per call limited to `max_random` when given.
pub fn record_wasi(
    argv: &[String],
    options: &GuestOptions,
    max_random: Option<u64>,
) -> Result<WasiCtx> {
    let mut builder = WasiCtx::builder();
    builder.inherit_stdio().args(argv);
    for spec in &options.env {
        match spec.split_once('=') {
            Some((name, value)) => {
                builder.env(name, value);
            }
            None => {
                if let Ok(value) = std::env::var(spec) {
                    builder.env(spec, value);
                }
            }
        }
    }
    for spec in &options.dirs {
        let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
        builder
            .preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("--dir {spec}"))?;
    }
    // As `wasmtime run`: TCP and UDP sockets, but no address to reach, and no name lookup.
    builder.allow_tcp(true).allow_udp(true);
    for option in &options.wasi {
        let crate::cli::OptionValue::Switch(enabled) = option.value else {
            continue;
        };
        match (option.key, enabled) {
            (WasiKey::InheritNetwork, true) => {
                builder.inherit_network();
            }
            (WasiKey::InheritNetwork, false) => {}
            (WasiKey::AllowIpNameLookup, enabled) => {
                builder.allow_ip_name_lookup(enabled);
            }
            (WasiKey::Tcp, enabled) => {
                builder.allow_tcp(enabled);
            }
            (WasiKey::Udp, enabled) => {
                builder.allow_udp(enabled);
            }
            // Not WASI 0.2's own: see `Providers`.
            (
                WasiKey::Cli
                | WasiKey::Http
                | WasiKey::P3
                | WasiKey::Config
                | WasiKey::ConfigVar
                | WasiKey::Keyvalue
                | WasiKey::KeyvalueInMemoryData,
                _,
            ) => {}
        }
    }
    if let Some(max_random) = max_random {
        builder.max_random_size(max_random);
    }
    Ok(builder.build())
}

/// The guest's view of the host when replaying: only stdout and stderr. Everything else
/// comes from the trace.
pub fn replay_wasi() -> WasiCtx {
    let mut builder = WasiCtx::builder();
    builder.inherit_stdout().inherit_stderr();
    builder.build()
}

/// The most random bytes a guest gets in one call while recording: a larger result would
/// not fit in one trace event (wasmtime's own limit, for unrecorded runs, is 64 MiB).
pub const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// A compiled component linked with WASI and `rr:log` over a log of type `L`, checked to be
/// a command: everything that can fail before the guest runs has been tried.
pub struct Program<L: 'static> {
    entry: Entry<L>,
    providers: Providers,
}

/// How a command is entered: synchronously (WASI 0.2), or on the concurrent runtime
/// (a component that uses WASI 0.3).
enum Entry<L: 'static> {
    Sync(CommandPre<State<L>>),
    Concurrent(InstancePre<State<L>>),
}

/// `component` linked with WASI (HTTP included), `rr:log` over a log of type `L`, and
/// `providers`; WASI asynchronously when `concurrent` (see [`p3::uses_wasi_p3`]).
fn link<L: Log>(
    component: &Component,
    providers: &Providers,
    concurrent: bool,
) -> Result<InstancePre<State<L>>> {
    let mut linker = Linker::<State<L>>::new(component.engine());
    if concurrent {
        p3::add_wasi_to_linker(&mut linker, providers.wasi_p3)?;
    } else {
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
    }
    rr::log::log::add_to_linker::<State<L>, HasSelf<L>>(&mut linker, |state| &mut state.log)?;
    providers.add_to_linker(&mut linker)?;
    if providers.the_rest_trap {
        trap_unprovided(&mut linker, component, providers)?;
    }
    linker.instantiate_pre(component).map_err(|error| {
        let error = anyhow::Error::from(error);
        // rr:log is wasm-rr's own: its absence is said below.
        if let Some(import) =
            unprovided_import(&error).filter(|import| !import.starts_with("rr:log/"))
        {
            if p3::is_wasi_p3(&import) {
                return anyhow::anyhow!(
                    "the app imports `{import}`, of WASI 0.3, which -S p3=n or -W \
                     component-model-async=n turned off"
                );
            }
            return anyhow::anyhow!(
                "the app imports `{import}`, which nothing provides: give it with -S config \
                 (wasi:config), -S keyvalue (wasi:keyvalue) or --link PROVIDER.wasm (a component \
                 that exports it)"
            );
        }
        // rr:log is wasm-rr's own: a component that imports another shape of it was
        // composed by another version.
        if error.to_string().contains("rr:log/") {
            error.context(
                "linking the app: it was composed by another version of wasm-rr; compose the app again, or give wasm-rr the app itself",
            )
        } else {
            error.context("linking the app")
        }
    })
}

/// Defines the imports of `component` that neither WASI 0.2 nor `providers` provide, as
/// functions that trap and resources that are nobody's: in replay the generic interposer
/// answers every call from the trace and calls none of them. (`Linker::
/// define_unknown_imports_as_traps` would redefine the type aliases inside WASI's own
/// interfaces, and so break them.)
fn trap_unprovided<L: Log>(
    linker: &mut Linker<State<L>>,
    component: &Component,
    providers: &Providers,
) -> Result<()> {
    use wasmtime::component::types::ComponentItem;
    /// The stand-in for a resource that nothing provides.
    struct Unprovided;
    let engine = component.engine();
    for (name, item) in component.component_type().imports(engine) {
        if provided_always(name) || providers.provides(name) {
            continue;
        }
        let trap = move |name: String| {
            move |_: wasmtime::StoreContextMut<'_, State<L>>,
                  _: wasmtime::component::types::ComponentFunc,
                  _: &[wasmtime::component::Val],
                  _: &mut [wasmtime::component::Val]|
                  -> wasmtime::Result<()> {
                Err(wasmtime::Error::msg(format!(
                    "`{name}` was called in replay, where nothing provides it"
                )))
            }
        };
        match item.ty {
            ComponentItem::ComponentInstance(instance) => {
                let mut defined = linker.instance(name)?;
                for (export, item) in instance.exports(engine) {
                    match item.ty {
                        ComponentItem::ComponentFunc(_) => {
                            defined.func_new(export, trap(format!("{name}#{export}")))?
                        }
                        ComponentItem::Resource(_) => defined.resource(
                            export,
                            wasmtime::component::ResourceType::host::<Unprovided>(),
                            |_, _| Ok(()),
                        )?,
                        _ => {}
                    }
                }
            }
            ComponentItem::ComponentFunc(_) => {
                linker.root().func_new(name, trap(name.to_string()))?
            }
            _ => {}
        }
    }
    Ok(())
}

/// The packages whose interfaces the host provides to every composed component: WASI 0.2
/// (what the WASI interposer imports) and `rr:log`.
const PROVIDED_PACKAGES: [&str; 8] = [
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:filesystem/",
    "wasi:http/",
    "wasi:io/",
    "wasi:random/",
    "wasi:sockets/",
    "rr:log/",
];

/// Whether the host provides the import `name` to every composed component.
fn provided_always(name: &str) -> bool {
    PROVIDED_PACKAGES
        .iter()
        .any(|package| name.starts_with(package))
        && (name.starts_with("rr:log/") || name.contains("@0.2."))
}

/// The import that wasmtime found nobody provides, named in its linking error.
fn unprovided_import(error: &anyhow::Error) -> Option<String> {
    let message = format!("{error:#}");
    let at = message.find("but a matching implementation was not found")?;
    let named = &message[..at];
    let end = named.rfind('`')?;
    let start = named[..end].rfind('`')?;
    Some(named[start + 1..end].to_string())
}

/// What the guest's store starts with.
fn state<L>(wasi: WasiCtx, log: L, providers: &Providers) -> State<L> {
    State {
        wasi,
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
        config: providers
            .config
            .iter()
            .flatten()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect(),
        keyvalue: WasiKeyValueCtxBuilder::new()
            .in_memory_data(providers.keyvalue.iter().flatten().cloned())
            .build(),
        log,
    }
}

/// Whether `component` is an HTTP handler: it exports `wasi:http/incoming-handler` (WASI
/// 0.2) or `wasi:http/handler` (0.3).
pub fn serves_http(component: &Component) -> bool {
    let engine = component.engine();
    let ty = component.component_type();
    let mut exports = ty.exports(engine);
    exports.any(|(name, _)| {
        let name = name.split_once('@').map_or(name, |(name, _)| name);
        name == wasm_rr_composer::INCOMING_HANDLER || name == p3::HANDLER
    })
}

impl<L: Log> Program<L> {
    pub fn new(component: &Component, providers: &Providers) -> Result<Self> {
        if serves_http(component) {
            bail!("the app is an HTTP handler, not a command: serve it with `wasm-rr serve` (with --trace-dir to record its requests)");
        }
        let concurrent = p3::uses_wasi_p3(component);
        let pre = link::<L>(component, providers, concurrent)?;
        let not_a_command = "the app is not a command (it exports no `wasi:cli/run`)";
        let entry = if concurrent {
            if !p3::is_command(&pre) {
                bail!(not_a_command);
            }
            Entry::Concurrent(pre)
        } else {
            Entry::Sync(
                CommandPre::new(pre)
                    .map_err(anyhow::Error::from)
                    .context(not_a_command)?,
            )
        };
        Ok(Program {
            entry,
            providers: providers.clone(),
        })
    }

    /// Runs the program to its end. The outer error is a failure to start; the inner one a
    /// wasm-rr error during the run (a divergence, a bad trace); otherwise how the guest
    /// ended. The log is handed back so that the caller can finish the trace.
    pub fn run(&self, wasi: WasiCtx, log: L) -> Result<(Result<Outcome>, L)> {
        let state = state(wasi, log, &self.providers);
        let pre = match &self.entry {
            Entry::Sync(pre) => pre,
            Entry::Concurrent(pre) => return p3::run_command(pre, state),
        };
        let mut store = Store::new(pre.engine(), state);
        let instance = instantiate(pre.instance_pre(), &mut store)?;
        let command = Command::new(&mut store, &instance)?;
        let returned = command.wasi_cli_run().call_run(&mut store);
        let returned = returned.map(|result| if result.is_ok() { 0 } else { 1 });
        let outcome = outcome(&mut store, &instance, returned, |state| &mut state.log);
        Ok((outcome, store.into_data().log))
    }
}

/// A compiled HTTP handler linked with WASI and `rr:log` over a log of type `L`: each
/// request gets an instance of its own, as under `wasmtime serve`.
pub struct Handler<L: 'static> {
    entry: HandlerEntry<L>,
    providers: Providers,
}

/// How a handler is entered: synchronously (WASI 0.2), or on the concurrent runtime (a
/// WASI 0.3 `wasi:http/handler`).
enum HandlerEntry<L: 'static> {
    Sync(ProxyPre<State<L>>),
    Concurrent(InstancePre<State<L>>),
}

/// A request that the handler never saw (it had no authority, say), with its log.
pub struct Refused<L> {
    pub error: anyhow::Error,
    pub log: L,
}

/// What is left to send of a response body with a `content-length`, which hyper ends
/// itself once it has sent that much, without asking the body for its end: so the frame
/// that holds its last bytes is where the body ends for the client.
#[derive(Debug, Clone, Copy)]
pub struct ContentLength {
    remaining: Option<u64>,
}

impl ContentLength {
    /// No `content-length`: the body's own end is its end.
    pub const NONE: ContentLength = ContentLength { remaining: None };

    /// `response`'s, if it has one.
    pub fn of<B>(response: &hyper::Response<B>) -> ContentLength {
        let remaining = response
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok()?.parse().ok());
        ContentLength { remaining }
    }

    /// Counts `frame` as sent: whether it holds the last bytes.
    pub fn last(&mut self, frame: &hyper::body::Frame<bytes::Bytes>) -> bool {
        let sent = frame.data_ref().map_or(0, |data| data.len() as u64);
        match self.remaining.as_mut() {
            Some(remaining) if *remaining > sent => {
                *remaining -= sent;
                false
            }
            Some(_) => true,
            None => false,
        }
    }
}

/// Where a handler's response goes: what `response-outparam.set` gives.
pub type ResponseSender = tokio::sync::oneshot::Sender<
    std::result::Result<hyper::Response<HyperOutgoingBody>, ErrorCode>,
>;

impl<L: Log> Clone for Handler<L> {
    fn clone(&self) -> Self {
        Handler {
            entry: match &self.entry {
                HandlerEntry::Sync(pre) => HandlerEntry::Sync(pre.clone()),
                HandlerEntry::Concurrent(pre) => HandlerEntry::Concurrent(pre.clone()),
            },
            providers: self.providers.clone(),
        }
    }
}

impl<L: Log> Handler<L> {
    pub fn new(component: &Component, providers: &Providers) -> Result<Self> {
        let concurrent = p3::uses_wasi_p3(component);
        let pre = link::<L>(component, providers, concurrent)?;
        let not_a_handler = "the app is not an HTTP handler (it exports no `wasi:http/incoming-handler` or `wasi:http/handler`)";
        let entry = if concurrent {
            wasmtime_wasi_http::p3::bindings::ServicePre::new(pre.clone())
                .map_err(anyhow::Error::from)
                .context(not_a_handler)?;
            HandlerEntry::Concurrent(pre)
        } else {
            HandlerEntry::Sync(
                ProxyPre::new(pre)
                    .map_err(anyhow::Error::from)
                    .context(not_a_handler)?,
            )
        };
        Ok(Handler {
            entry,
            providers: providers.clone(),
        })
    }

    /// Hands `request` to a new instance, whose response goes to `response`; returns when
    /// the handler does, as [`Program::run`] does. Call it where blocking is allowed: the
    /// guest runs on this thread.
    pub fn handle<B>(
        &self,
        wasi: WasiCtx,
        log: L,
        request: hyper::Request<B>,
        response: ResponseSender,
    ) -> Result<(Result<Outcome>, L), Box<Refused<L>>>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let state = state(wasi, log, &self.providers);
        let pre = match &self.entry {
            HandlerEntry::Sync(pre) => pre,
            HandlerEntry::Concurrent(pre) => {
                return p3::handle_request(pre, state, request, response)
            }
        };
        let mut store = Store::new(pre.engine(), state);
        let started = (|| -> Result<_> {
            let request = store
                .data_mut()
                .http()
                .new_incoming_request(Scheme::Http, request)?;
            let response = store.data_mut().http().new_response_outparam(response)?;
            let instance = instantiate(pre.instance_pre(), &mut store)?;
            let proxy = Proxy::new(&mut store, &instance)?;
            Ok((request, response, instance, proxy))
        })();
        let (request, response, instance, proxy) = match started {
            Ok(started) => started,
            Err(error) => {
                let log = store.into_data().log;
                return Err(Box::new(Refused { error, log }));
            }
        };
        let result = proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, request, response);
        let returned = result.map(|()| 0);
        let outcome = outcome(&mut store, &instance, returned, |state| &mut state.log);
        Ok((outcome, store.into_data().log))
    }
}

fn instantiate<L: Log>(
    pre: &InstancePre<State<L>>,
    store: &mut Store<State<L>>,
) -> Result<Instance> {
    pre.instantiate(store)
        .map_err(anyhow::Error::from)
        .context("instantiating the component")
}

/// How the guest's run ended, given what the call of its export `returned` (the exit code
/// its result means, or the error that stopped it): an exit or a trap, or the wasm-rr
/// error (a divergence, a bad trace) that stopped it. When the guest returned, the log
/// (`log` of the store's data) gets back the events the interposer was handed but did
/// not use, so that a replay's end check starts at the first event the guest did not reach.
pub fn outcome<T>(
    store: &mut Store<T>,
    instance: &Instance,
    returned: wasmtime::Result<i32>,
    log: impl Fn(&mut T) -> &mut dyn rr::log::log::Host,
) -> Result<Outcome> {
    match returned {
        Ok(code) => take_back_unused(store, instance, log).map(|()| Outcome::Exit(code)),
        // A trapped instance cannot be entered to ask (see `Replayer::next_batch`).
        Err(error) => outcome_of(error),
    }
}

/// Gives the log back the events the interposer was handed but did not use
/// (`rr:log/replay-state`).
fn take_back_unused<T>(
    store: &mut Store<T>,
    instance: &Instance,
    log: impl Fn(&mut T) -> &mut dyn rr::log::log::Host,
) -> Result<()> {
    let Some(unused_events) = unused_events(store, instance)? else {
        return Ok(());
    };
    let (unused,) = unused_events.call(&mut *store, ())?;
    give_back(store, unused, log)
}

/// The interposer's `rr:log/replay-state#unused-events`, if the instance has one.
fn unused_events<T>(
    store: &mut Store<T>,
    instance: &Instance,
) -> Result<Option<wasmtime::component::TypedFunc<(), (u32,)>>> {
    let Some(interface) =
        instance.get_export_index(&mut *store, None, wasm_rr_composer::REPLAY_STATE)
    else {
        return Ok(None);
    };
    let Some(unused_events) =
        instance.get_export_index(&mut *store, Some(&interface), "unused-events")
    else {
        return Ok(None);
    };
    Ok(Some(instance.get_typed_func(&mut *store, unused_events)?))
}

/// Gives the log back the `unused` events.
fn give_back<T>(
    store: &mut Store<T>,
    unused: u32,
    log: impl Fn(&mut T) -> &mut dyn rr::log::log::Host,
) -> Result<()> {
    if unused > 0 {
        log(store.data_mut()).give_back(unused)?;
    }
    Ok(())
}

/// Sorts an error out of the guest's run: an exit, a wasm-rr error, or a trap.
fn outcome_of(error: wasmtime::Error) -> Result<Outcome> {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Ok(Outcome::Exit(exit.0));
    }
    // A wasm-rr error stopped the guest: report it alone, without the guest's backtrace.
    if let Some(ended) = error.downcast_ref::<RecordingEnded>() {
        return Ok(ended.0.clone());
    }
    // Stopped where the user asked: the guest's backtrace is what they want.
    if let Some(stopped) = where_stopped(&error) {
        return Err(Stopped(stopped).into());
    }
    let error = match error.downcast::<ReplayError>() {
        Ok(replay) => return Err(replay.into()),
        Err(error) => error,
    };
    let error = match error.downcast::<TraceError>() {
        Ok(trace) => return Err(trace.into()),
        Err(error) => error,
    };
    let error = match error.downcast::<RecordError>() {
        Ok(record) => return Err(record.into()),
        Err(error) => error,
    };
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return Ok(Outcome::Trap(trap.to_string()));
    }
    let root = error.root_cause().to_string();
    Ok(Outcome::Trap(
        root.lines().next().unwrap_or("unknown error").to_string(),
    ))
}

/// `replay --stop-at` stopped the run where asked: what to say of where the guest was.
#[derive(Debug)]
pub struct Stopped(pub String);

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Stopped {}

/// Where `--stop-at` stopped the guest, for stderr: the stop, then the guest's frames
/// innermost first, as wasmtime prints a backtrace (demangled; with `-g`, source lines).
/// `None` if `error` is not that stop.
fn where_stopped(error: &wasmtime::Error) -> Option<String> {
    let stopped = error.downcast_ref::<StoppedAt>()?;
    let frames = match error.downcast_ref::<wasmtime::WasmBacktrace>() {
        // Its first line says "error while executing at wasm backtrace:".
        Some(backtrace) => backtrace
            .to_string()
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n"),
        None => "    (wasmtime kept no backtrace)".into(),
    };
    Some(format!("wasm-rr: {stopped}; the guest was in:\n{frames}\n"))
}
