//! Golden tests: each `golden/<name>/` holds a trace, the stdout and stderr its replay must
//! print byte for byte, and `metadata.toml`:
//!
//! ```toml
//! component = "examples/print_args/print_args.wasm"  # from the repository root
//! args = ["hello", "world"]                          # for recording
//! env = ["GREETING=hi"]                              # for recording, as --env takes them
//! stdin = "text for the guest\n"                     # for recording
//! preopen = "/data"                                  # for recording: a temp dir there,
//! files = { "config.txt" = "size = 3\n" }            #   holding these files
//! wasi = ["inherit-network"]                         # for recording, as -S takes them
//! link = ["examples/plugin_host/plugin_host.wasm"]   # for recording, as --link takes them
//! echo_server = true     # for recording: a TCP echo server, at {echo_server} in args
//! http_server = true     # for recording: the tests' HTTP server, at {http_server} in args
//! request = "POST /echo"  # a handler's fixture: recorded by `wasm-rr serve` from this
//! request_body = "hello"  #   request (with this body); {http_server} as in args
//! exit_code = 0                                      # of record and replay
//! ```
//!
//! Replays run in an empty directory with a scrubbed, different environment and other
//! stdin, so a fixture passes only if its replay depends on the trace alone.
//!
//! With `WASM_RR_GOLDEN_FIXTURE=<name>` (`cargo xtask golden-fixture <name>`) this records
//! that fixture instead: a fresh trace from `metadata.toml`, then the replay's outputs.
//! `WASM_RR_GOLDEN_KEEP_TRACE=1` keeps the trace (one edited by hand) and only refreshes
//! the outputs.

mod common;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    component: PathBuf,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    stdin: String,
    /// Where the guest sees a fresh directory holding `files`, when recording.
    preopen: Option<String>,
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    wasi: Vec<String>,
    /// Components that provide the app's imports beyond WASI, for recording (`--link`,
    /// from the repository root).
    #[serde(default)]
    link: Vec<PathBuf>,
    /// Start an echo server for the recording; `{echo_server}` in `args` is its address.
    #[serde(default)]
    echo_server: bool,
    /// Start the tests' HTTP server for the recording; `{http_server}` in `args` is its
    /// address.
    #[serde(default)]
    http_server: bool,
    /// For an HTTP handler: the request (`METHOD PATH`) that `wasm-rr serve` records.
    request: Option<String>,
    #[serde(default)]
    request_body: String,
    /// Replay with `--then-live`: the trace was edited, and the replay goes on live where
    /// it no longer answers.
    #[serde(default)]
    then_live: bool,
    exit_code: i32,
    /// What the fixture shows, for people reading it.
    #[serde(default)]
    #[allow(dead_code)]
    description: String,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("golden"))
        .expect("golden/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("metadata.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn metadata(dir: &Path) -> Metadata {
    let text = std::fs::read_to_string(dir.join("metadata.toml")).expect("metadata.toml");
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}/metadata.toml: {e}", dir.display()))
}

/// Records `request` to the fixture's handler with `wasm-rr serve` into `trace`.
fn record_request(meta: &Metadata, request: &str, trace: &Path) {
    let traces = tempfile::tempdir().expect("temp dir");
    let http_server = meta.http_server.then(common::HttpServer::start);
    let http_address = http_server
        .as_ref()
        .map(|server| server.address.to_string())
        .unwrap_or_default();
    let served = common::Served::start(
        &repo_root().join(&meta.component),
        &["--trace-dir", path_str(traces.path())],
    );
    let request = request.replace("{http_server}", &http_address);
    let (method, path) = request.split_once(' ').expect("request = \"METHOD PATH\"");
    served.request(method, path, &[], meta.request_body.as_bytes());
    drop(served);
    let recorded = common::files_in(traces.path());
    assert_eq!(recorded.len(), 1, "one request, one trace");
    std::fs::copy(&recorded[0], trace).expect("keeping the trace");
}

/// Runs `wasm-rr` with `args`, feeding `stdin`; `scrub` gives it an empty environment
/// (but PATH), a foreign variable and an empty working directory.
fn wasm_rr(args: &[&str], stdin: &[u8], scrub: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasm-rr"));
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let empty_dir = tempfile::tempdir().expect("temp dir");
    if scrub {
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("WASM_RR_GOLDEN_NOISE", "replay must not see this")
            .env("TZ", "Pacific/Kiritimati")
            .current_dir(empty_dir.path());
    }
    let mut child = command.spawn().expect("starting wasm-rr");
    if let Some(mut input) = child.stdin.take() {
        // A guest that stops reading early closes the pipe; that is not an error here.
        let _ = input.write_all(stdin);
    }
    child.wait_with_output().expect("running wasm-rr")
}

/// Replays the fixture in `dir`; its stderr names the trace `trace.json`, wherever the
/// checkout is.
fn replay(dir: &Path, meta: &Metadata) -> Output {
    let component = repo_root().join(&meta.component);
    let trace = dir.join("trace.json");
    let mut args = vec!["replay", path_str(&component), path_str(&trace)];
    if meta.then_live {
        args.push("--then-live");
    }
    let mut out = wasm_rr(&args, b"stdin that replay must ignore\n", true);
    let stderr = String::from_utf8_lossy(&out.stderr).replace(path_str(&trace), "trace.json");
    out.stderr = stderr.into_bytes();
    out
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Every fixture replays byte for byte, with its recorded exit status.
#[test]
fn golden() {
    if let Ok(name) = std::env::var("WASM_RR_GOLDEN_FIXTURE") {
        record_fixture(&repo_root().join("golden").join(name));
        return;
    }
    let mut failures = Vec::new();
    let fixtures = fixtures();
    assert!(!fixtures.is_empty(), "no golden fixtures found");
    for dir in &fixtures {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let meta = metadata(dir);
        let out = replay(dir, &meta);
        let expected_stdout = std::fs::read(dir.join("stdout.txt")).unwrap_or_default();
        let expected_stderr = std::fs::read(dir.join("stderr.txt")).unwrap_or_default();
        let mut problems = Vec::new();
        if out.status.code() != Some(meta.exit_code) {
            problems.push(format!(
                "exit status {:?}, expected {}",
                out.status.code(),
                meta.exit_code
            ));
        }
        if out.stdout != expected_stdout {
            problems.push(format!(
                "stdout differs:\n{}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        if out.stderr != expected_stderr {
            problems.push(format!(
                "stderr differs:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if problems.is_empty() {
            println!("golden {name}: ok");
        } else {
            failures.push(format!("golden {name}: {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn record_fixture(dir: &Path) {
    let meta = metadata(dir);
    let trace = dir.join("trace.json");
    if let (Some(request), None) = (&meta.request, std::env::var_os("WASM_RR_GOLDEN_KEEP_TRACE")) {
        record_request(&meta, request, &trace);
    } else if std::env::var_os("WASM_RR_GOLDEN_KEEP_TRACE").is_none() {
        let component = repo_root().join(&meta.component);
        let mut args = vec![
            "record".to_string(),
            path_str(&component).into(),
            "-t".into(),
        ];
        args.push(path_str(&trace).into());
        for env in &meta.env {
            args.extend(["--env".to_string(), env.clone()]);
        }
        // Replays run without it: they must need no host file.
        let files = tempfile::tempdir().expect("temp dir");
        if let Some(guest_dir) = &meta.preopen {
            for (name, contents) in &meta.files {
                std::fs::write(files.path().join(name), contents).expect("writing a fixture file");
            }
            args.extend([
                "--dir".to_string(),
                format!("{}::{guest_dir}", files.path().display()),
            ]);
        }
        for option in &meta.wasi {
            args.extend(["-S".to_string(), option.clone()]);
        }
        for provider in &meta.link {
            args.extend([
                "--link".to_string(),
                path_str(&repo_root().join(provider)).into(),
            ]);
        }
        // Replays run with the server stopped: they must need no network.
        let server = meta.echo_server.then(common::echo_server_once);
        let echo_address = server
            .as_ref()
            .map(|(address, _)| address.to_string())
            .unwrap_or_default();
        let http_server = meta.http_server.then(common::HttpServer::start);
        let http_address = http_server
            .as_ref()
            .map(|server| server.address.to_string())
            .unwrap_or_default();
        args.push("--".into());
        args.extend(meta.args.iter().map(|arg| {
            arg.replace("{echo_server}", &echo_address)
                .replace("{http_server}", &http_address)
        }));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = wasm_rr(&args, meta.stdin.as_bytes(), false);
        assert_eq!(
            out.status.code(),
            Some(meta.exit_code),
            "record: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = replay(dir, &meta);
    assert_eq!(
        out.status.code(),
        Some(meta.exit_code),
        "replay: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("stdout.txt"), &out.stdout).expect("writing stdout.txt");
    std::fs::write(dir.join("stderr.txt"), &out.stderr).expect("writing stderr.txt");
    println!("recorded {}", dir.display());
}
