//! `wasm-rr serve` against a real HTTP client on 127.0.0.1, and the replay of each
//! request's trace with the server (and any upstream) gone.

mod common;

use common::{example, files_in, replay, run, stderr, stdout, wasm_rr, HttpServer, Served};
use std::path::{Path, PathBuf};

fn handler() -> PathBuf {
    example("http_handler")
}

/// The replay's stdout: the response as `curl -i` shows it.
fn shown(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut shown = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for (name, value) in headers {
        shown.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    shown.extend_from_slice(b"\r\n");
    shown.extend_from_slice(body);
    shown
}

fn trace_names(dir: &Path) -> Vec<String> {
    let files = files_in(dir);
    let names = files
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned());
    names.collect()
}

#[test]
fn each_request_gets_a_trace_that_replays_with_no_network() {
    let traces = tempfile::tempdir().unwrap();
    let dir = traces.path().to_str().unwrap();
    let served = Served::start(&handler(), &["--trace-dir", dir]);
    let echo = served.request("POST", "/echo", &[("content-type", "text/plain")], b"hello");
    assert_eq!((echo.status, echo.body.as_slice()), (200, &b"hello"[..]));
    let hello = served.request("GET", "/hello?x=1", &[], b"");
    assert_eq!(hello.status, 200);
    assert!(String::from_utf8_lossy(&hello.body).contains("\"id\": \""));
    let missing = served.request("GET", "/nothing", &[], b"");
    assert_eq!(missing.status, 404);
    drop(served);

    let names = trace_names(traces.path());
    assert_eq!(names.len(), 3, "{names:?}");
    for (name, suffix) in names.iter().zip([
        "-000001-POST-echo.json",
        "-000002-GET-hello.json",
        "-000003-GET-nothing.json",
    ]) {
        assert!(name.ends_with(suffix), "{name} should end with {suffix}");
        // 20261122T070546.423Z: the time, to the millisecond.
        assert_eq!(name.find('Z'), Some(19), "{name}");
    }
    let header: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(traces.path().join(&names[1]))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["request"], "GET /hello?x=1");

    let expected = [
        shown("200 OK", &[("content-type", "text/plain")], b"hello"),
        shown(
            "200 OK",
            &[("content-type", "application/json")],
            &hello.body,
        ),
        shown(
            "404 Not Found",
            &[("content-type", "text/plain")],
            b"not found\n",
        ),
    ];
    for (name, expected) in names.iter().zip(expected) {
        let out = replay(&handler(), &traces.path().join(name));
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(stdout(&out), String::from_utf8_lossy(&expected), "{name}");
        assert_eq!(stderr(&out), "", "{name}");
    }
}

#[test]
fn a_trapping_handler_gets_its_client_a_500_and_the_replay_traps_the_same() {
    let traces = tempfile::tempdir().unwrap();
    let served = Served::start(
        &handler(),
        &["--trace-dir", traces.path().to_str().unwrap()],
    );
    let panicked = served.request("GET", "/panic", &[], b"");
    assert_eq!(panicked.status, 500);
    let after = served.request("GET", "/hello", &[], b"");
    assert_eq!(after.status, 200, "the server goes on after a trap");
    assert!(
        served.stderr().contains("request 1: the handler trapped"),
        "{}",
        served.stderr()
    );
    drop(served);

    let trace = &files_in(traces.path())[0];
    let text = std::fs::read_to_string(trace).unwrap();
    assert!(
        text.trim_end().lines().last().unwrap().contains("\"trap\""),
        "{text}"
    );
    let out = replay(&handler(), trace);
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the guest trapped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_handler_calling_an_upstream_replays_with_the_upstream_stopped() {
    let upstream = HttpServer::start();
    let traces = tempfile::tempdir().unwrap();
    let served = Served::start(
        &handler(),
        &["--trace-dir", traces.path().to_str().unwrap()],
    );
    let url = upstream
        .url("/hello")
        .replace(':', "%3A")
        .replace('/', "%2F");
    let response = served.request("GET", &format!("/upstream?url={url}"), &[], b"");
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(
        response.body.starts_with(b"200 "),
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    drop(served);
    upstream.stop();

    let out = replay(&handler(), &files_in(traces.path())[0]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        String::from_utf8_lossy(&shown(
            "200 OK",
            &[("content-type", "text/plain")],
            &response.body
        ))
    );
}

#[test]
fn secrets_in_request_headers_stay_out_of_the_traces() {
    let traces = tempfile::tempdir().unwrap();
    let dir = traces.path().to_str().unwrap();
    let served = Served::start(
        &handler(),
        &["--trace-dir", dir, "--redact-header", "X-Api-Key"],
    );
    let headers = [
        ("authorization", "Bearer s3cret-token"),
        ("x-api-key", "k3y-value"),
        ("x-visible", "plain-value"),
    ];
    let response = served.request("POST", "/echo", &headers, b"body");
    assert_eq!(response.status, 200);
    drop(served);

    let trace = &files_in(traces.path())[0];
    let text = std::fs::read_to_string(trace).unwrap();
    assert!(
        !text.contains("s3cret-token") && !text.contains("k3y-value"),
        "{text}"
    );
    assert!(text.contains("plain-value"), "{text}");
    let out = replay(&handler(), trace);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn fifty_concurrent_requests_each_replay_alone() {
    let traces = tempfile::tempdir().unwrap();
    let served = Served::start(
        &handler(),
        &["--trace-dir", traces.path().to_str().unwrap()],
    );
    let address = served.address;
    let clients: Vec<_> = (0..50)
        .map(|n| {
            std::thread::spawn(move || {
                common::http_request(address, "GET", &format!("/hello?client={n}"), &[], b"")
            })
        })
        .collect();
    let mut bodies = std::collections::HashMap::new();
    for (n, client) in clients.into_iter().enumerate() {
        let response = client.join().unwrap();
        assert_eq!(response.status, 200);
        bodies.insert(format!("GET /hello?client={n}"), response.body);
    }
    drop(served);

    let files = files_in(traces.path());
    assert_eq!(files.len(), 50);
    for trace in &files {
        let text = std::fs::read_to_string(trace).unwrap();
        let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let body = &bodies[header["request"].as_str().unwrap()];
        let out = replay(&handler(), trace);
        assert!(out.status.success(), "{}", stderr(&out));
        let expected = shown("200 OK", &[("content-type", "application/json")], body);
        assert_eq!(out.stdout, expected);
    }
}

/// The server's peak resident memory so far, in KiB.
fn peak_kib(served: &Served) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", served.child.id())).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Streams `len` bytes of a pattern to `/echo` and reads the echo back without keeping it:
/// its length and SHA-256.
fn echo_streamed(address: std::net::SocketAddr, len: usize) -> (u16, usize, String) {
    use sha2::Digest;
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {len}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let block = pattern(1 << 16);
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len());
            writer.write_all(&block[..n]).unwrap();
            left -= n;
        }
    });
    let mut digest = sha2::Sha256::new();
    let mut received = 0;
    let response = common::read_response(std::io::BufReader::new(stream), |chunk, _| {
        received += chunk.len();
        digest.update(chunk);
    });
    sender.join().unwrap();
    (response.status, received, hex(&digest.finalize()))
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn fifty_megabyte_bodies_stream_through_in_bounded_memory() {
    use sha2::Digest;
    const BIG: usize = 50 << 20;
    let traces = tempfile::tempdir().unwrap();
    let dir = traces.path().to_str().unwrap();
    let served = Served::start(&handler(), &["--trace-dir", dir, "-f", "binary"]);
    let (status, received, _) = echo_streamed(served.address, 1 << 20);
    assert_eq!((status, received), (200, 1 << 20));
    let before = peak_kib(&served);
    let (status, received, digest) = echo_streamed(served.address, BIG);
    assert_eq!((status, received), (200, BIG));
    let expected = {
        let mut all = sha2::Sha256::new();
        let block = pattern(1 << 16);
        for _ in 0..BIG / block.len() {
            all.update(&block);
        }
        hex(&all.finalize())
    };
    assert_eq!(digest, expected);
    let big = served.request("GET", &format!("/big?bytes={BIG}"), &[], b"");
    assert_eq!(big.body.len(), BIG);
    let after = peak_kib(&served);
    println!(
        "serve's peak memory: {before} KiB after a 1 MiB echo, {after} KiB after 50 MiB each way"
    );
    assert!(
        after < before + 32 * 1024,
        "memory grew with the body: {before} KiB, then {after} KiB"
    );
    drop(served);

    // The 50 MiB echo's trace replays, showing the same body.
    let trace = &files_in(traces.path())[1];
    let shown_file = traces.path().join("shown");
    let out = run(wasm_rr()
        .arg("replay")
        .arg(handler())
        .arg(trace)
        .stdout(std::fs::File::create(&shown_file).unwrap()));
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = std::fs::read(&shown_file).unwrap();
    let body_at = shown.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(hex(&sha2::Sha256::digest(&shown[body_at..])), expected);
}

#[test]
fn a_different_response_is_a_divergence_naming_the_event() {
    let traces = tempfile::tempdir().unwrap();
    let served = Served::start(
        &handler(),
        &["--trace-dir", traces.path().to_str().unwrap()],
    );
    served.request("POST", "/echo", &[], b"hello");
    drop(served);
    let trace = &files_in(traces.path())[0];
    let mut lines = common::trace_lines(trace);
    let set = common::find_event(&lines, "response-outparam.set");
    lines[set]["response-outparam.set"]["response"]["Ok"]["status"] = 201.into();
    common::write_trace_lines(trace, &lines);
    let out = replay(&handler(), trace);
    assert_eq!(out.status.code(), Some(125));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains(&format!("event {set}")), "{message}");
    assert!(
        message.contains("response-outparam.set") && message.contains("201"),
        "{message}"
    );

    // The body, by digest.
    lines[set]["response-outparam.set"]["response"]["Ok"]["status"] = 200.into();
    let write = common::find_event(&lines, "output-stream.write");
    lines[write]["output-stream.write"]["digest"] = 1.into();
    common::write_trace_lines(trace, &lines);
    let out = replay(&handler(), trace);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).contains(&format!("event {write}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_input_is_a_one_line_error_and_destroys_nothing() {
    let work = tempfile::tempdir().unwrap();
    let one_line = |out: &std::process::Output, says: &str| {
        assert!(!out.status.success());
        let message = stderr(out);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains(says), "{message}");
    };

    // A command is not a handler.
    let out = run(wasm_rr()
        .arg("serve")
        .arg(example("print_time"))
        .args(["--addr", "127.0.0.1:0"]));
    one_line(&out, "is not an HTTP handler");

    // An address in use; the trace directory keeps what it had.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let kept = work.path().join("traces");
    std::fs::create_dir(&kept).unwrap();
    std::fs::write(kept.join("keep.json"), "mine").unwrap();
    let out = run(wasm_rr()
        .arg("serve")
        .arg(handler())
        .args(["--addr", &taken.local_addr().unwrap().to_string()])
        .arg("--trace-dir")
        .arg(&kept));
    one_line(&out, "listening on");
    assert_eq!(
        std::fs::read_to_string(kept.join("keep.json")).unwrap(),
        "mine"
    );
    assert_eq!(files_in(&kept).len(), 1);

    // A command's trace for a handler, and a request's trace for a command.
    let command_trace = work.path().join("command.json");
    common::record(&example("print_time"), &command_trace, &[]);
    let out = run(wasm_rr().arg("replay").arg(handler()).arg(&command_trace));
    one_line(&out, "was recorded from another app");
    let out = run(wasm_rr()
        .arg("replay")
        .arg(handler())
        .arg(&command_trace)
        .arg("--force"));
    one_line(&out, "is the trace of a command's run");

    let traces = work.path().join("requests");
    let served = Served::start(&handler(), &["--trace-dir", traces.to_str().unwrap()]);
    served.request("GET", "/hello", &[], b"");
    drop(served);
    let request_trace = &files_in(&traces)[0];
    let out = run(wasm_rr()
        .arg("replay")
        .arg(example("print_time"))
        .arg(request_trace)
        .arg("--force"));
    one_line(&out, "is the trace of an HTTP request (GET /hello)");
}

#[test]
fn serve_without_a_trace_dir_serves_the_handler_alone() {
    let served = Served::start(&handler(), &[]);
    let response = served.request("POST", "/echo", &[], b"plain");
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"plain"[..])
    );
    let panicked = served.request("GET", "/panic", &[], b"");
    assert_eq!(panicked.status, 500);
}

#[test]
fn a_second_interruption_ends_the_traces_of_requests_in_flight() {
    let upstream = HttpServer::start();
    let traces = tempfile::tempdir().unwrap();
    let mut served = Served::start(
        &handler(),
        &["--trace-dir", traces.path().to_str().unwrap()],
    );
    let url = upstream
        .url("/slow/20000")
        .replace(':', "%3A")
        .replace('/', "%2F");
    let address = served.address;
    let client = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        use std::io::Write;
        let request = format!("GET /upstream?url={url} HTTP/1.1\r\nhost: x\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stream, &mut rest);
    });
    // Until the handler waits for the upstream: its request is in its trace.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !files_in(traces.path()).iter().any(|trace| {
        std::fs::read_to_string(trace).is_ok_and(|text| text.contains("outgoing-handler.handle"))
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "the request never reached the upstream"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // A first SIGINT waits for the request in flight; a second stops it, and its trace
    // ends there.
    unsafe { libc::kill(served.child.id() as i32, libc::SIGINT) };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !served
        .stderr()
        .contains("waiting for the 1 requests in flight to end")
    {
        assert!(std::time::Instant::now() < deadline, "{}", served.stderr());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    unsafe { libc::kill(served.child.id() as i32, libc::SIGINT) };
    let status = served.child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let _ = client.join();
    let trace = &files_in(traces.path())[0];
    let text = std::fs::read_to_string(trace).unwrap();
    let end = text.trim_end().lines().last().unwrap_or_default();
    assert!(
        end.starts_with("{\"end\":{\"interrupted\":\"SIGINT\"}"),
        "{text}"
    );
    let out = replay(&handler(), trace);
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
}

#[test]
fn a_componentize_js_handler_serves_and_replays() {
    let app = example("http_handler_js");
    let traces = tempfile::tempdir().unwrap();
    let served = Served::start(&app, &["--trace-dir", traces.path().to_str().unwrap()]);
    let echo = served.request(
        "POST",
        "/echo",
        &[("content-type", "text/plain")],
        b"from js",
    );
    assert_eq!((echo.status, echo.body.as_slice()), (200, &b"from js"[..]));
    let hello = served.request("GET", "/hello", &[], b"");
    assert_eq!(hello.status, 200);
    drop(served);
    for (trace, body) in files_in(traces.path()).iter().zip([echo.body, hello.body]) {
        let out = replay(&app, trace);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(out.stdout.ends_with(&body), "{}", stdout(&out));
    }
}

#[test]
fn a_composed_handler_imports_what_the_app_needs_and_serves() {
    let work = tempfile::tempdir().unwrap();
    let composed = work.path().join("handler.rr.wasm");
    let out = run(wasm_rr()
        .arg("compose")
        .arg(handler())
        .arg("-o")
        .arg(&composed));
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&composed).unwrap();
    let mut imports = wasm_rr_composer::imports(&bytes).unwrap();
    imports.sort();
    assert_eq!(
        imports,
        [
            "rr:log/log@0.1.0",
            // wasi:http/types uses its `duration`.
            "wasi:clocks/monotonic-clock@0.2.12",
            "wasi:clocks/wall-clock@0.2.12",
            "wasi:http/outgoing-handler@0.2.12",
            "wasi:http/types@0.2.12",
            "wasi:io/error@0.2.12",
            "wasi:io/poll@0.2.12",
            "wasi:io/streams@0.2.12",
            "wasi:random/random@0.2.12",
        ]
    );

    // It serves under the wasm-rr host, and its traces replay with the app it holds.
    let traces = work.path().join("traces");
    let served = Served::start(&composed, &["--trace-dir", traces.to_str().unwrap()]);
    let echo = served.request("POST", "/echo", &[], b"composed");
    assert_eq!((echo.status, echo.body.as_slice()), (200, &b"composed"[..]));
    drop(served);
    let out = replay(&handler(), &files_in(&traces)[0]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.ends_with(b"composed"));
}

#[test]
fn a_handler_on_keyvalue_is_served_and_each_request_replays_without_it() {
    let app = example("kv_handler");
    // Nothing provides wasi:keyvalue: refused before serving, in one line.
    let out = run(wasm_rr()
        .arg("serve")
        .arg(&app)
        .args(["--addr", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("imports `wasi:keyvalue/store@0.2.0-draft`, which nothing provides"),
        "{}",
        stderr(&out)
    );

    let traces = tempfile::tempdir().unwrap();
    let dir = traces.path().to_str().unwrap();
    let args = [
        "-S",
        "keyvalue",
        "-S",
        "keyvalue-in-memory-data=visits:/a=41",
        "--trace-dir",
        dir,
    ];
    let served = Served::start(&app, &args);
    // Each request starts from the given pairs, as under `wasmtime serve`.
    let bodies = ["/a", "/b", "/a"].map(|path| {
        let response = served.request("GET", path, &[], b"");
        assert_eq!(response.status, 200, "{path}");
        String::from_utf8(response.body).unwrap()
    });
    assert_eq!(
        bodies,
        ["/a: visit 42\n", "/b: visit 1\n", "/a: visit 42\n"]
    );
    drop(served);

    let traces = files_in(traces.path());
    assert_eq!(traces.len(), 3);
    for (trace, body) in traces.iter().zip(bodies) {
        let out = replay(&app, trace);
        assert!(out.status.success(), "{}", stderr(&out));
        let expected = shown("200 OK", &[("content-type", "text/plain")], body.as_bytes());
        assert_eq!(stdout(&out), String::from_utf8_lossy(&expected));
    }
}
