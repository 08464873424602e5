//! The command line, in clap's derive form; `docs/src/cli-reference.md` is generated
//! from it (see [`reference`]).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The trace file that `record` writes and `replay` reads when none is named.
pub const DEFAULT_TRACE: &str = "wasm-rr-trace.json";

/// Record and replay WebAssembly components.
///
/// wasm-rr records every non-deterministic input of a WASI 0.2 program (clocks, random
/// numbers, environment, stdin, files) into a trace file, and replays the run from the trace
/// exactly: a bug found once is reproduced forever.
#[derive(Parser, Debug)]
#[command(name = "wasm-rr", version = version())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Record(RecordArgs),
    Replay(ReplayArgs),
    Serve(ServeArgs),
    Compose(ComposeArgs),
    Bundle(BundleArgs),
    Run(RunArgs),
    Convert(ConvertArgs),
    Inspect(InspectArgs),
    Diff(DiffArgs),
    Completions(CompletionsArgs),
}

impl Command {
    /// What the guest may see, for the commands that run one.
    pub fn guest_options(&self) -> Option<&GuestOptions> {
        match self {
            Command::Record(args) => Some(&args.run.guest),
            Command::Replay(args) => Some(&args.guest),
            Command::Serve(args) => Some(&args.guest),
            Command::Run(args) => Some(&args.guest),
            _ => None,
        }
    }
}

/// `0.1.0 (wasmtime 48.0.8, trace format 5)`: what `--version` says, so that a bug report
/// names the engine that ran the guest and the traces this wasm-rr writes.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (wasmtime {}, trace format {})",
            env!("CARGO_PKG_VERSION"),
            wasmtime_environ::VERSION,
            wasm_rr_trace::FORMAT_VERSION
        )
    })
}

/// Print a shell's completions for wasm-rr.
///
/// For bash: `wasm-rr completions bash > ~/.local/share/bash-completion/completions/wasm-rr`;
/// zsh: into a directory of `$fpath` as `_wasm-rr`; fish: into
/// `~/.config/fish/completions/wasm-rr.fish`; PowerShell: add the output to `$PROFILE`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes `shell`'s completions for the whole command line to `out`.
pub fn completions(
    shell: clap_complete::Shell,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wasm-rr", &mut script);
    if shell == clap_complete::Shell::Bash {
        // clap_complete 4.6 names a subcommand's case `wasm__subcmd__rr__subcmd__X` where
        // it dispatches to `wasm__rr__subcmd__X` (the `-` in the name): without this, bash
        // completes no subcommand's flags.
        let text = String::from_utf8_lossy(&script).replace("wasm__subcmd__rr__", "wasm__rr__");
        script = text.into_bytes();
    }
    out.write_all(&script)
}

/// A trace file format.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum TraceFormat {
    /// JSON Lines: for people and jq
    Json,
    /// Compact binary: for speed and size
    Binary,
    /// Compact binary, compressed with zstd: for input that compresses (text, logs, JSON)
    Zstd,
}

impl From<TraceFormat> for wasm_rr_trace::file::Format {
    fn from(format: TraceFormat) -> Self {
        match format {
            TraceFormat::Json => wasm_rr_trace::file::Format::Json,
            TraceFormat::Binary => wasm_rr_trace::file::Format::Binary,
            TraceFormat::Zstd => wasm_rr_trace::file::Format::Zstd,
        }
    }
}

/// Rewrite a trace in another format.
///
/// Replay reads either format; convert a binary trace to JSON to read or edit it, and back.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The trace to read (either format)
    pub input: PathBuf,
    /// The trace to write
    pub output: PathBuf,
    /// The format to write; by default binary for a `.bin` output, zstd for `.zst` (`.bin.zst`), else JSON
    #[arg(short, long, value_enum)]
    pub format: Option<TraceFormat>,
}

/// Show what a trace holds.
///
/// A summary by default: the header, the number of events and bytes by interface and
/// function, the wall-clock span of the recording, the bytes of stdin, stdout and stderr,
/// the files and hosts the guest touched, and how the run ended. `--events` lists the
/// events, numbered as replay's messages number them. Reads either format, and traces cut
/// short.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The trace
    pub trace: PathBuf,
    /// List the events, one per line, instead of the summary
    #[arg(long)]
    pub events: bool,
    /// With --events: only events of interfaces starting with this (e.g. `wasi:clocks`);
    /// repeatable
    #[arg(long, value_name = "PREFIX")]
    pub interface: Vec<String>,
    /// With --events: only events in this range of numbers: `N`, `START..END`, `START..`
    #[arg(long, value_name = "RANGE")]
    pub range: Option<String>,
    /// Write JSON for programs: the summary as one object, or each event as one line
    #[arg(long)]
    pub json: bool,
}

/// Show where two traces of one app part ways.
///
/// Prints the first event where they differ, numbered, with the events around it from both
/// traces, then how many events of each interface follow it in each. Exits 0 when the
/// traces hold the same events and ending, 1 when they differ, as `diff` does.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The first trace (A)
    pub a: PathBuf,
    /// The second trace (B)
    pub b: PathBuf,
}

/// Run an app and record its inputs into a trace.
///
/// Exits with the guest's exit status, or 134 when the guest traps or panics; the trace
/// is complete either way.
#[derive(Args, Debug)]
pub struct RecordArgs {
    /// Where to write the trace
    #[arg(short, long, value_name = "TRACE", default_value = DEFAULT_TRACE)]
    pub trace: PathBuf,
    /// The trace's format; by default binary for a `.bin` trace, zstd for `.zst` (`.bin.zst`), else JSON
    #[arg(short, long, value_enum)]
    pub format: Option<TraceFormat>,
    /// An HTTP request header whose values the trace keeps only as a keyed hash, besides
    /// authorization, cookie and proxy-authorization (and response set-cookie); repeatable
    #[arg(long, value_name = "NAME")]
    pub redact_header: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Request headers always redacted in a trace.
pub const REDACTED_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

impl RecordArgs {
    /// Lowercase names of the request headers to redact: the defaults and the user's.
    pub fn redacted_headers(&self) -> Vec<String> {
        redacted_headers(&self.redact_header)
    }
}

/// The defaults of [`REDACTED_HEADERS`] and the user's `names`, in lowercase.
fn redacted_headers(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = REDACTED_HEADERS
        .iter()
        .map(|name| name.to_string())
        .collect();
    for name in extra {
        let name = name.to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Serve an HTTP handler, as `wasmtime serve` does, recording each request.
///
/// Every request gets an instance of the handler of its own; requests are handled
/// concurrently. With `--trace-dir`, every request is recorded into a trace of its own,
/// named `TIME-NUMBER-METHOD-PATH.json` (see docs/src/serving.md), which `wasm-rr replay`
/// replays with no network. A handler that traps gets its client a 500, and the server
/// goes on. Stops on Ctrl-C or SIGTERM, ending the traces of the requests in flight.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The handler: a component that exports `wasi:http/incoming-handler`
    pub app: PathBuf,
    /// The address to listen on
    #[arg(long, value_name = "SOCKADDR", default_value = "0.0.0.0:8080")]
    pub addr: std::net::SocketAddr,
    /// Record every request into its own trace in this directory (made if missing);
    /// without it, nothing is recorded and the handler runs alone
    #[arg(long, value_name = "DIR")]
    pub trace_dir: Option<PathBuf>,
    /// The traces' format
    #[arg(short, long, value_enum, default_value = "json")]
    pub format: TraceFormat,
    /// An HTTP request header whose values the traces keep only as a keyed hash, besides
    /// authorization, cookie and proxy-authorization (and response set-cookie); repeatable
    #[arg(long, value_name = "NAME")]
    pub redact_header: Vec<String>,
    /// Fail a request whose trace cannot be written (a full disk): its client gets a 500,
    /// or a response cut off before its end. By default the request is served, and the
    /// lost trace is said on stderr and counted
    #[arg(long, requires = "trace_dir")]
    pub fail_on_lost_trace: bool,
    #[command(flatten)]
    pub guest: GuestOptions,
    #[command(flatten)]
    pub link: LinkOptions,
    /// Compile with debug info and without optimizations, as `wasmtime serve -g` does
    #[arg(short = 'g', long = "debug-info")]
    pub debug_info: bool,
}

impl ServeArgs {
    /// Lowercase names of the request headers to redact: the defaults and the user's.
    pub fn redacted_headers(&self) -> Vec<String> {
        redacted_headers(&self.redact_header)
    }
}

/// Run an app without recording, as `wasmtime run` would: the baseline of the benchmarks.
///
/// Exits with the guest's exit status, or 134 when the guest traps or panics.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The app: a WASI 0.2 component, or a wasm32-wasip1 core module (adapted automatically)
    pub app: PathBuf,
    /// The app's first argument (argv[0]); by default the app's file name, so that the
    /// trace does not depend on where the app was
    #[arg(long, value_name = "NAME")]
    pub argv0: Option<String>,
    #[command(flatten)]
    pub guest: GuestOptions,
    #[command(flatten)]
    pub link: LinkOptions,
    /// Compile with debug info and without optimizations, as `wasmtime run -g` does, so that
    /// gdb and lldb can break in the guest's source and show its locals
    #[arg(short = 'g', long = "debug-info")]
    pub debug_info: bool,
    /// Arguments for the app (after `--`)
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

impl RunArgs {
    /// The guest's arguments: argv[0], then the app's arguments.
    pub fn argv(&self) -> Vec<String> {
        let argv0 = match &self.argv0 {
            Some(argv0) => argv0.clone(),
            None => {
                let name = self.app.file_name().map(|name| name.to_string_lossy());
                name.unwrap_or_default().into_owned()
            }
        };
        std::iter::once(argv0)
            .chain(self.args.iter().cloned())
            .collect()
    }
}

/// Replay an app from a trace.
///
/// Arguments, environment, time, random numbers, stdin and files come from the trace; the
/// app's stdout and stderr are written for real. Exits with the guest's exit status, 134 when it
/// traps, or 125 when the replay diverges from the trace.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The app the trace was recorded from
    pub app: PathBuf,
    /// The trace to replay
    #[arg(default_value = DEFAULT_TRACE)]
    pub trace: PathBuf,
    /// Replay even if the trace was recorded from another app
    #[arg(long)]
    pub force: bool,
    /// Compile with debug info and without optimizations, as `wasmtime run -g` does, so that
    /// gdb and lldb can break in the guest's source and show its locals (the recorded values)
    #[arg(short = 'g', long = "debug-info")]
    pub debug_info: bool,
    /// Where the guest asks for what the trace does not hold (it ran out, or an edit took
    /// the guest another way), warn and go on with the real host from there, as `record`
    /// would, instead of stopping; `--env`, `--dir` and `-S` then say what the guest may see
    #[arg(long)]
    pub then_live: bool,
    /// End the replay once event N has been delivered, when the guest asks for the next
    /// one, and print where the guest was (its frames; with -g, its source lines): for
    /// scripts and CI. Exits 0; how the run would have ended is not checked
    #[arg(long, value_name = "N", conflicts_with = "then_live", value_parser = clap::value_parser!(u64).range(1..))]
    pub stop_at: Option<u64>,
    #[command(flatten)]
    pub guest: GuestOptions,
}

/// Bundle an app and a trace into one component that replays the recorded run anywhere.
///
/// The bundle holds the app, the interposer, the trace (any format, stored in its compact
/// binary form) and an `rr:log` that replays it, so any WASI 0.2 host runs it, the stock
/// `wasmtime run repro.wasm` and `jco run repro.wasm` included, with no wasm-rr. It imports
/// nothing but stdout, stderr and exit: a replay touches no host resource. It reproduces
/// the recorded run as `wasm-rr replay` does: the same output and exit status, and the same
/// one-line error, with exit status 125, when the run diverges from the trace. Commands
/// only: replay a handler's request traces with `wasm-rr replay`.
#[derive(Args, Debug)]
pub struct BundleArgs {
    /// The app: a WASI 0.2 component or a wasm32-wasip1 core module
    pub app: PathBuf,
    /// The trace of one of its runs (any format)
    pub trace: PathBuf,
    /// Where to write the bundle
    #[arg(short, long)]
    pub output: PathBuf,
    /// Bundle a trace recorded from another app
    #[arg(long)]
    pub force: bool,
}

/// Compose an app with the wasm-rr interposer into one component.
///
/// The result imports the WASI interfaces the app uses plus `rr:log`, so it records or
/// replays under any host that provides `rr:log`; with `--log passthrough`, only the WASI
/// interfaces, so it runs under any WASI 0.2 host (recording nothing).
#[derive(Args, Debug)]
pub struct ComposeArgs {
    /// The app: a WASI 0.2 component or a wasm32-wasip1 core module
    pub app: PathBuf,
    /// Where to write the composed component
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Where the composed component's `rr:log` comes from
    #[arg(long, value_enum, default_value = "host")]
    pub log: LogSource,
    #[command(flatten)]
    pub link: LinkOptions,
}

/// Components that provide the app's imports beyond WASI.
#[derive(Args, Debug, Default, Clone)]
pub struct LinkOptions {
    /// A component that exports some of the app's imports (beyond WASI 0.2), plugged into
    /// them as `wac plug` does; the app's calls into it are what is recorded, and a replay
    /// needs it not. Repeatable
    #[arg(long = "link", value_name = "PROVIDER.wasm")]
    pub providers: Vec<PathBuf>,
}

impl LinkOptions {
    /// The providers' bytes.
    pub fn read(&self) -> anyhow::Result<Vec<Vec<u8>>> {
        use anyhow::Context;
        self.providers
            .iter()
            .map(|path| {
                std::fs::read(path).with_context(|| format!("reading {} (--link)", path.display()))
            })
            .collect()
    }
}

/// Where a composed component's `rr:log` comes from.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LogSource {
    /// Imported: a host that provides rr:log records or replays it (wasm-rr, hosts/)
    Host,
    /// Composed in, in passthrough mode: any WASI 0.2 host runs it, recording nothing
    Passthrough,
}

impl From<LogSource> for wasm_rr_composer::LogSource {
    fn from(source: LogSource) -> Self {
        match source {
            LogSource::Host => wasm_rr_composer::LogSource::Host,
            LogSource::Passthrough => wasm_rr_composer::LogSource::Passthrough,
        }
    }
}

/// What the guest may see of the host, as `wasmtime run` takes it.
#[derive(Args, Debug, Default, Clone)]
pub struct GuestOptions {
    /// Give the guest an environment variable: NAME=VAL, or NAME for the host's value
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    pub env: Vec<String>,
    /// Preopen a host directory for the guest, at GUEST_DIR or at the same path
    #[arg(long = "dir", value_name = "HOST_DIR[::GUEST_DIR]")]
    pub dirs: Vec<String>,
    /// A WASI option, as `wasmtime run -S` takes it: KEY or KEY=y turns it on, KEY=n off;
    /// KEY=NAME=VALUE gives a value
    #[arg(
        short = 'S',
        value_name = "KEY[=y|n|NAME=VALUE][,...]",
        value_delimiter = ',',
        value_parser = KeyOption::<WasiKey>::parse,
        long_help = KeyOption::<WasiKey>::help()
    )]
    pub wasi: Vec<WasiOption>,
    /// A WebAssembly option, as `wasmtime run -W` takes it: KEY or KEY=y turns it on,
    /// KEY=n off
    #[arg(
        short = 'W',
        value_name = "KEY[=y|n][,...]",
        value_delimiter = ',',
        value_parser = KeyOption::<WasmKey>::parse,
        long_help = KeyOption::<WasmKey>::help()
    )]
    pub wasm: Vec<WasmOption>,
}

impl GuestOptions {
    /// Whether `-S key` turns `key` on (the last one given wins; off if none is given).
    pub fn enabled(&self, key: WasiKey) -> bool {
        switch(&self.wasi, key).unwrap_or(false)
    }

    /// Whether WASI 0.3 is given to the guest: on unless `-S p3=n` or `-W
    /// component-model-async=n` turn it off, as in wasmtime 47 and later.
    pub fn wasi_p3(&self) -> bool {
        switch(&self.wasi, WasiKey::P3).unwrap_or(true) && self.component_model_async()
    }

    /// Whether the component model's async features are on (`-W component-model-async`,
    /// on by default as in wasmtime 47 and later).
    pub fn component_model_async(&self) -> bool {
        switch(&self.wasm, WasmKey::ComponentModelAsync).unwrap_or(true)
    }

    /// The NAME=VALUE pairs given with `-S key=NAME=VALUE`, in order.
    pub fn pairs(&self, key: WasiKey) -> Vec<(String, String)> {
        self.wasi
            .iter()
            .filter(|option| option.key == key)
            .filter_map(|option| match &option.value {
                OptionValue::Pair(name, value) => Some((name.clone(), value.clone())),
                OptionValue::Switch(_) => None,
            })
            .collect()
    }
}

/// What the last of `options` that switches `key` says, if one does.
fn switch<K: PartialEq>(options: &[KeyOption<K>], key: K) -> Option<bool> {
    options
        .iter()
        .rev()
        .find_map(|option| match (&option.value, option.key == key) {
            (OptionValue::Switch(on), true) => Some(*on),
            _ => None,
        })
}

/// A `-S` or `-W` option: which, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOption<K> {
    pub key: K,
    pub value: OptionValue,
}

/// A `-S` option.
pub type WasiOption = KeyOption<WasiKey>;
/// A `-W` option.
pub type WasmOption = KeyOption<WasmKey>;

/// What an option says: on or off, or (for the keys that take one) a NAME=VALUE pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    Switch(bool),
    Pair(String, String),
}

/// The keys of an option such as `-S`: the help lists them, so it cannot disagree with the
/// parser.
pub trait OptionKey: clap::ValueEnum + Copy + Send + Sync + 'static {
    /// What the option is, for its help: "A WASI option, as `wasmtime run -S` takes it".
    const WHAT: &'static str;
    /// Its name in an error: "WASI option".
    const NOUN: &'static str;

    /// Whether the key takes a NAME=VALUE pair rather than y or n.
    fn takes_pair(self) -> bool {
        false
    }
}

/// The WASI options `-S` knows.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasiKey {
    /// Lets the guest reach any address (by default it may create sockets but reach none)
    InheritNetwork,
    /// Lets the guest resolve names (off by default)
    AllowIpNameLookup,
    /// TCP sockets (on by default)
    Tcp,
    /// UDP sockets (on by default)
    Udp,
    /// `wasi:cli` (always given; taken as `wasmtime serve -S cli` takes it)
    Cli,
    /// `wasi:http` (always given; taken as `wasmtime run -S http` takes it)
    Http,
    /// WASI 0.3, the asynchronous one (on by default, as in wasmtime 47 and later)
    P3,
    /// `wasi:config`, holding the variables given with config-var (off by default)
    Config,
    /// config-var=NAME=VALUE: a variable of `wasi:config` (repeatable)
    ConfigVar,
    /// `wasi:keyvalue`, in memory, holding the pairs given with keyvalue-in-memory-data
    /// (off by default)
    Keyvalue,
    /// keyvalue-in-memory-data=KEY=VALUE: a pair the store starts with (repeatable)
    KeyvalueInMemoryData,
}

impl OptionKey for WasiKey {
    const WHAT: &'static str = "A WASI option, as `wasmtime run -S` takes it";
    const NOUN: &'static str = "WASI option";

    fn takes_pair(self) -> bool {
        matches!(self, WasiKey::ConfigVar | WasiKey::KeyvalueInMemoryData)
    }
}

/// The WebAssembly options `-W` knows.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmKey {
    /// The component model's async features, which WASI 0.3 needs (on by default, as in
    /// wasmtime 47 and later)
    ComponentModelAsync,
}

impl OptionKey for WasmKey {
    const WHAT: &'static str = "A WebAssembly option, as `wasmtime run -W` takes it";
    const NOUN: &'static str = "WebAssembly option";
}

impl<K: OptionKey> KeyOption<K> {
    fn parse(spec: &str) -> Result<KeyOption<K>, String> {
        let (key, value) = match spec.split_once('=') {
            None => (spec, None),
            Some((key, value)) => (key, Some(value)),
        };
        let key = K::from_str(key, false).map_err(|_| {
            let known: Vec<String> = K::value_variants()
                .iter()
                .filter_map(|key| Some(key.to_possible_value()?.get_name().to_string()))
                .collect();
            format!("unknown {} `{key}` (known: {})", K::NOUN, known.join(", "))
        })?;
        let value = match (key.takes_pair(), value) {
            (true, Some(pair)) => match pair.split_once('=') {
                Some((name, value)) => OptionValue::Pair(name.into(), value.into()),
                None => {
                    return Err(format!(
                        "`{spec}`: give NAME=VALUE, as in {}=NAME=VALUE",
                        &spec[..spec.len() - pair.len() - 1]
                    ))
                }
            },
            (true, None) => {
                return Err(format!(
                    "`{spec}` needs a NAME=VALUE, as in {spec}=NAME=VALUE"
                ))
            }
            (false, None | Some("y" | "yes" | "true")) => OptionValue::Switch(true),
            (false, Some("n" | "no" | "false")) => OptionValue::Switch(false),
            (false, Some(value)) => return Err(format!("`{value}`: the value must be y or n")),
        };
        Ok(KeyOption { key, value })
    }

    /// The help: what the option is and how it is written, then each key with its doc
    /// comment.
    fn help() -> String {
        let mut help = format!(
            "{}: KEY or KEY=y turns it on, KEY=n off{}; several may be given at once, separated \
             by commas\n",
            K::WHAT,
            if K::value_variants().iter().any(|key| key.takes_pair()) {
                "; KEY=NAME=VALUE gives a value"
            } else {
                ""
            }
        );
        for key in K::value_variants() {
            if let Some(value) = key.to_possible_value() {
                let about = value
                    .get_help()
                    .map(|help| help.to_string())
                    .unwrap_or_default();
                help.push_str(&format!("\n- {}: {about}", value.get_name()));
            }
        }
        help
    }
}

/// The man pages, generated from the definitions above: `wasm-rr.1`, and
/// `wasm-rr-COMMAND.1` for each command (`cargo xtask man` writes them).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    use clap::CommandFactory;
    let command = Cli::command();
    let mut pages = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    pages.push(("wasm-rr.1".to_string(), page));
    for sub in command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
    {
        let name = format!("wasm-rr-{}", sub.get_name());
        let mut page = Vec::new();
        let sub = sub.clone().bin_name(format!("wasm-rr {}", sub.get_name()));
        clap_mangen::Man::new(sub)
            .title(name.to_uppercase())
            .render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

/// The command-line reference in Markdown, generated from the definitions above.
pub fn reference() -> String {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut out = String::from("# CLI reference\n\n");
    out.push_str(
        "<!-- Generated from runner/src/cli.rs by `cargo xtask docs`; do not edit. -->\n\n",
    );
    out.push_str(
        "The same, as man pages: `cargo xtask man` writes `wasm-rr.1` and a `wasm-rr-COMMAND.1` for each command into `target/man/` (`man -l target/man/wasm-rr-record.1`); shell completions: `wasm-rr completions SHELL`.\n\n",
    );
    out.push_str("```text\n");
    out.push_str(&command.render_long_help().to_string());
    out.push_str("```\n");
    for sub in command
        .get_subcommands_mut()
        .filter(|sub| sub.get_name() != "help")
    {
        let name = sub.get_name().to_string();
        out.push_str(&format!("\n## `wasm-rr {name}`\n\n```text\n"));
        let mut sub = sub.clone().bin_name(format!("wasm-rr {name}"));
        out.push_str(&sub.render_long_help().to_string());
        out.push_str("```\n");
    }
    out
}
