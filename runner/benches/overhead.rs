//! The overhead benchmark: each case run plain (`wasm-rr run`, the same wasmtime without
//! recording), recorded and replayed, interleaved, several times; prints medians and
//! ratios to the plain run and writes them, with a chart, into `docs/src/`.
//!
//! ```text
//! cargo bench -p wasm-rr --bench overhead              # the full run (a few minutes)
//! cargo bench -p wasm-rr --bench overhead -- --quick   # smaller inputs, fewer runs
//! ```
//!
//! `runner/tests/bench_harness.rs` runs it tiny, so that the harness keeps working; it
//! asserts no timing.

// The harness test includes this file and uses only part of it.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How big and how often.
pub struct Config {
    /// Inputs are scaled by this: 1.0 is the size the issue names.
    pub scale: f64,
    /// Timed runs of each mode of each case.
    pub runs: usize,
    /// Where to write `benchmarks.md` and `benchmarks.svg`; none to write nothing.
    pub out_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Plain,
    Record,
    Replay,
}

const MODES: [Mode; 3] = [Mode::Plain, Mode::Record, Mode::Replay];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Record => "record",
            Mode::Replay => "replay",
        }
    }
}

/// One benchmark case: an example app, its arguments and stdin.
struct Case {
    name: &'static str,
    what: String,
    app: &'static str,
    args: Vec<String>,
    /// A file to give the app as stdin.
    stdin: Option<PathBuf>,
    /// Start with an empty compilation cache every run.
    cold: bool,
}

/// What one case measured.
pub struct CaseResult {
    pub name: &'static str,
    pub what: String,
    /// Median seconds per mode, in [`MODES`] order.
    pub medians: [f64; 3],
    /// Highest peak resident memory per mode, in KiB.
    pub peak_kib: [u64; 3],
    pub trace_bytes: u64,
    pub trace_events: u64,
}

impl CaseResult {
    pub fn ratio(&self, mode: Mode) -> f64 {
        self.medians[mode as usize] / self.medians[0]
    }
}

pub struct Report {
    pub cases: Vec<CaseResult>,
    pub cores: usize,
    pub date: String,
    pub runs: usize,
}

impl Report {
    pub fn case(&self, name: &str) -> Option<&CaseResult> {
        self.cases.iter().find(|case| case.name == name)
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn example(name: &str) -> PathBuf {
    repo().join(format!("examples/{name}/{name}.wasm"))
}

fn cases(config: &Config, work: &Path) -> std::io::Result<Vec<Case>> {
    let scaled = |n: f64| ((n * config.scale).round() as u64).max(1);
    let stdin_bytes = scaled(100.0 * 1024.0 * 1024.0);
    let stdin = work.join("stdin.bin");
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n";
    let input: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(stdin_bytes as usize)
        .collect();
    std::fs::write(&stdin, input)?;
    let clock_reads = scaled(1_000_000.0);
    let random_reads = scaled(100_000.0);
    let rounds = scaled(4.0);
    Ok(vec![
        Case {
            name: "clock_loop",
            what: format!("{clock_reads} wall-clock reads"),
            app: "clock_loop",
            args: vec![clock_reads.to_string()],
            stdin: None,
            cold: false,
        },
        Case {
            name: "random_loop",
            what: format!("{random_reads} reads of 32 random bytes"),
            app: "random_loop",
            args: vec![random_reads.to_string()],
            stdin: None,
            cold: false,
        },
        Case {
            name: "stdin_copy",
            what: format!("{} MiB through stdin into a checksum", stdin_bytes >> 20),
            app: "checksum",
            args: vec![],
            stdin: Some(stdin),
            cold: false,
        },
        Case {
            name: "compute",
            what: format!("{rounds} big-number powers of two"),
            app: "compute",
            args: vec![rounds.to_string()],
            stdin: None,
            cold: false,
        },
        Case {
            name: "startup_cold",
            what: "hello world, empty compilation cache".into(),
            app: "hello",
            args: vec![],
            stdin: None,
            cold: true,
        },
        Case {
            name: "startup_warm",
            what: "hello world, warm compilation cache".into(),
            app: "hello",
            args: vec![],
            stdin: None,
            cold: false,
        },
    ])
}

/// Runs the whole suite and, if asked, writes the report.
pub fn run(config: &Config) -> Result<Report, String> {
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cases = cases(config, work.path()).map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    for case in &cases {
        println!("{}: {}", case.name, case.what);
        results.push(run_case(case, config.runs, work.path())?);
    }
    let report = Report {
        cases: results,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        date: today(),
        runs: config.runs,
    };
    print!("{}", table(&report));
    if let Some(dir) = &config.out_dir {
        std::fs::write(dir.join("benchmarks.md"), markdown(&report)).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("benchmarks.svg"), chart(&report)).map_err(|e| e.to_string())?;
        println!(
            "wrote {0}/benchmarks.md and {0}/benchmarks.svg",
            dir.display()
        );
    }
    Ok(report)
}

fn run_case(case: &Case, runs: usize, work: &Path) -> Result<CaseResult, String> {
    let trace = work.join(format!("{}.json", case.name));
    let warm_cache = work.join("cache");
    // One untimed round: fills the cache and makes the trace that replay reads.
    for mode in MODES {
        run_once(case, mode, &trace, &warm_cache)?;
    }
    let mut times: [Vec<f64>; 3] = Default::default();
    let mut peak_kib = [0u64; 3];
    for run in 0..runs {
        for mode in MODES {
            let cache = if case.cold {
                work.join(format!("cold-{}-{run}", mode.name()))
            } else {
                warm_cache.clone()
            };
            let (elapsed, kib) = run_once(case, mode, &trace, &cache)?;
            times[mode as usize].push(elapsed.as_secs_f64());
            peak_kib[mode as usize] = peak_kib[mode as usize].max(kib);
        }
    }
    let text = std::fs::read_to_string(&trace).map_err(|e| e.to_string())?;
    Ok(CaseResult {
        name: case.name,
        what: case.what.clone(),
        medians: times.map(|mut t| median(&mut t)),
        peak_kib,
        trace_bytes: text.len() as u64,
        // Every line but the header and the end line is an event.
        trace_events: text.lines().count().saturating_sub(2) as u64,
    })
}

/// Runs one mode of a case: its wall time and peak resident memory in KiB, sampled from
/// `/proc` (rusage would count this harness's memory, which the child is forked from).
fn run_once(
    case: &Case,
    mode: Mode,
    trace: &Path,
    cache: &Path,
) -> Result<(Duration, u64), String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasm-rr"));
    command
        .env("WASM_RR_CACHE_DIR", cache)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match mode {
        Mode::Plain => command.arg("run").arg(example(case.app)),
        Mode::Record => command
            .arg("record")
            .arg(example(case.app))
            .arg("-t")
            .arg(trace),
        Mode::Replay => command.arg("replay").arg(example(case.app)).arg(trace),
    };
    if mode != Mode::Replay {
        command.arg("--").args(&case.args);
    }
    match (&case.stdin, mode) {
        (Some(path), Mode::Plain | Mode::Record) => {
            command.stdin(std::fs::File::open(path).map_err(|e| e.to_string())?)
        }
        _ => command.stdin(Stdio::null()),
    };
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("starting wasm-rr: {e}"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        let status = std::fs::read_to_string(&status_path).unwrap_or_default();
        if let Some(line) = status.lines().find(|line| line.starts_with("VmHWM:")) {
            let kib = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        return Err(format!(
            "{} {} failed ({status}): {stderr}",
            case.name,
            mode.name()
        ));
    }
    Ok((elapsed, peak_kib))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn today() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "unknown date".into(), |date| date.trim().to_string())
}

/// The table printed and written: medians, ratios and memory.
fn table(report: &Report) -> String {
    let mut out = String::from(
        "| case | plain | record | replay | record / plain | replay / plain | peak memory plain / record / replay (MiB) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for case in &report.cases {
        let [plain, record, replay] = case.medians;
        let [mp, mr, my] = case.peak_kib.map(|kib| kib as f64 / 1024.0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} | {:.2} | {mp:.0} / {mr:.0} / {my:.0} |",
            case.name,
            seconds(plain),
            seconds(record),
            seconds(replay),
            case.ratio(Mode::Record),
            case.ratio(Mode::Replay),
        );
    }
    out
}

fn seconds(value: f64) -> String {
    if value < 1.0 {
        format!("{:.1} ms", value * 1000.0)
    } else {
        format!("{value:.2} s")
    }
}

/// One figure of the issue, its target and whether it is met.
struct Target {
    figure: String,
    target: String,
    measured: String,
    met: bool,
}

fn targets(report: &Report) -> Vec<Target> {
    let mut targets = Vec::new();
    let mut ratio = |case: &str, mode: Mode, limit: f64| {
        if let Some(result) = report.case(case) {
            let value = result.ratio(mode);
            targets.push(Target {
                figure: format!("`{case}` {} / plain", mode.name()),
                target: format!("at most {limit}"),
                measured: format!("{value:.2}"),
                met: value <= limit,
            });
        }
    };
    ratio("clock_loop", Mode::Record, 2.0);
    ratio("clock_loop", Mode::Replay, 1.5);
    ratio("compute", Mode::Record, 1.03);
    ratio("compute", Mode::Replay, 1.03);
    ratio("stdin_copy", Mode::Record, 1.3);
    ratio("startup_warm", Mode::Record, 1.2);
    if let Some(clock) = report.case("clock_loop") {
        let per_event = clock.trace_bytes as f64 / clock.trace_events.max(1) as f64;
        targets.push(Target {
            figure: "trace size of `clock_loop`, JSON".into(),
            target: "at most 40 bytes per event".into(),
            measured: format!("{per_event:.1} bytes per event"),
            met: per_event <= 40.0,
        });
    }
    let worst = report
        .cases
        .iter()
        .map(|case| {
            let plain = case.peak_kib[0] as i64;
            let extra = case.peak_kib[1].max(case.peak_kib[2]) as i64 - plain;
            (extra, case.name)
        })
        .max();
    if let Some((extra_kib, name)) = worst {
        targets.push(Target {
            figure: "peak memory of record and replay".into(),
            target: "at most plain + 32 MiB".into(),
            measured: format!(
                "plain + {:.1} MiB at most (`{name}`)",
                extra_kib as f64 / 1024.0
            ),
            met: extra_kib <= 32 * 1024,
        });
    }
    targets
}

fn markdown(report: &Report) -> String {
    let mut out = String::from("# Benchmarks\n\n");
    out.push_str(
        "<!-- Written by `cargo bench -p wasm-rr --bench overhead`; do not edit. -->\n\n\
         Every figure is a ratio to the plain run: the same app run by the same wasmtime\n\
         without recording (`wasm-rr run`). Each case runs plain, recorded and replayed,\n\
         interleaved; the times are medians of whole processes.\n\n",
    );
    let _ = writeln!(
        out,
        "Measured on {}, on a machine with {} cores, {} runs of each mode.\n",
        report.date, report.cores, report.runs
    );
    out.push_str(&table(report));
    out.push_str("\n![ratios to the plain run](benchmarks.svg)\n\n## Targets\n\n");
    out.push_str("| figure | target | measured | met |\n| --- | --- | --- | --- |\n");
    for target in targets(report) {
        let met = if target.met { "yes" } else { "**no**" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {met} |",
            target.figure, target.target, target.measured
        );
    }
    out.push_str("\n## Cases\n\n");
    for case in &report.cases {
        let _ = writeln!(
            out,
            "- `{}`: {}; its trace has {} events in {} bytes.",
            case.name, case.what, case.trace_events, case.trace_bytes
        );
    }
    out
}

/// A bar chart of the record and replay ratios of every case, as SVG.
fn chart(report: &Report) -> String {
    let (row, left, width) = (34.0, 120.0, 420.0);
    let top = 40.0;
    let max = report
        .cases
        .iter()
        .flat_map(|case| [case.ratio(Mode::Record), case.ratio(Mode::Replay)])
        .fold(2.0_f64, f64::max);
    let height = top + row * report.cases.len() as f64 + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\">Time relative to the plain run ({}, {} cores)</text>\n",
        left + width + 60.0,
        report.date,
        report.cores
    );
    let x = |ratio: f64| left + width * ratio / max;
    let _ = writeln!(
        svg,
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#888\" stroke-dasharray=\"4\"/>\
         <text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\" fill=\"#555\">1.0 = plain</text>",
        x(1.0),
        top - 6.0,
        height - 24.0,
        height - 10.0
    );
    for (i, case) in report.cases.iter().enumerate() {
        let y = top + row * i as f64;
        let _ = writeln!(
            svg,
            "<text x=\"10\" y=\"{}\">{}</text>",
            y + 18.0,
            case.name
        );
        for (j, (mode, color)) in [(Mode::Record, "#d9534f"), (Mode::Replay, "#5b8dd9")]
            .iter()
            .enumerate()
        {
            let ratio = case.ratio(*mode);
            let bar_y = y + 4.0 + 13.0 * j as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{left}\" y=\"{bar_y}\" width=\"{:.1}\" height=\"11\" fill=\"{color}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{} {ratio:.2}</text>",
                x(ratio) - left,
                x(ratio) + 4.0,
                bar_y + 10.0,
                mode.name()
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let config = Config {
        scale: if quick { 0.1 } else { 1.0 },
        runs: if quick { 3 } else { 5 },
        out_dir: (!quick).then(|| repo().join("docs/src")),
    };
    if let Err(error) = run(&config) {
        eprintln!("overhead: {error}");
        std::process::exit(1);
    }
}
