//! End-to-end tests of outgoing HTTP: the `http_fetch` example against a real HTTP server
//! on 127.0.0.1, recorded, then replayed with the server stopped.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn fetch_app() -> std::path::PathBuf {
    example("http_fetch")
}

/// Records `http_fetch` with `args` (which may fail: its exit status is the guest's).
fn record_fetch(trace: &Path, options: &[&str], args: &[&str]) -> Output {
    run(wasm_rr()
        .arg("record")
        .arg(fetch_app())
        .arg("-t")
        .arg(trace)
        .args(options)
        .arg("--")
        .args(args))
}

/// Records with the server up, stops it, replays, and checks that the replay printed the
/// same; gives the recorded stdout.
fn record_then_replay_without_server(server: HttpServer, args: &[&str]) -> String {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("http.json");
    let recorded = record_fetch(&trace, &[], args);
    assert!(recorded.status.success(), "record: {}", stderr(&recorded));
    server.stop();
    let replayed = replay(&fetch_app(), &trace);
    assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));
    assert_eq!(stderr(&replayed), stderr(&recorded));
    stdout(&recorded)
}

#[test]
fn get_and_post_replay_with_the_server_stopped() {
    let server = HttpServer::start();
    let hello = server.url("/hello");
    let out = record_then_replay_without_server(server, &[&hello]);
    assert!(out.contains(": status 200\n"), "{out}");
    assert!(out.contains("  x-served-by: wasm-rr tests\n"), "{out}");
    assert!(out.contains("  body: 12 bytes, digest "), "{out}");

    let server = HttpServer::start();
    let echo = server.url("/echo");
    let body = "a request body\n".repeat(1000);
    let out = record_then_replay_without_server(server, &["--post", &body, &echo]);
    assert!(
        out.contains(&format!("  body: {} bytes", body.len())),
        "{out}"
    );
}

#[test]
fn a_chunked_response_and_its_trailers_replay() {
    let server = HttpServer::start();
    let chunked = server.url("/chunked");
    let out = record_then_replay_without_server(server, &[&chunked]);
    let body = "first chunk\nsecond, longer chunk\nthird\n";
    assert!(
        out.contains(&format!("  body: {} bytes", body.len())),
        "{out}"
    );
    assert!(out.contains("  trailer x-checksum: 3-chunks\n"), "{out}");
}

#[test]
fn redirects_followed_by_the_guest_replay() {
    let server = HttpServer::start();
    let start = server.url("/redirect/2");
    let out = record_then_replay_without_server(server, &["--follow", &start]);
    assert_eq!(out.matches(": 302 redirect to ").count(), 3, "{out}");
    assert!(out.contains("/hello: status 200\n"), "{out}");
}

#[test]
fn requests_in_flight_together_replay_in_the_recorded_order() {
    let server = HttpServer::start();
    let (slow, hello) = (server.url("/slow/500"), server.url("/hello"));
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("parallel.json");
    let recorded = record_fetch(&trace, &[], &["--parallel", &slow, &hello]);
    assert!(recorded.status.success(), "record: {}", stderr(&recorded));
    server.stop();
    let out = stdout(&recorded);
    let (hello_at, slow_at) = (out.find(&hello).unwrap(), out.find(&slow).unwrap());
    assert!(hello_at < slow_at, "the fast response comes first:\n{out}");
    // Both requests were sent before the guest waited for either.
    let lines = trace_lines(&trace);
    let handles: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].get("outgoing-handler.handle").is_some())
        .collect();
    assert_eq!(handles.len(), 2);
    assert!(handles[1] < find_event(&lines, "poll.poll"));

    let replayed = replay(&fetch_app(), &trace);
    assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
    assert_eq!(stdout(&replayed), out);
}

#[test]
fn a_refused_connection_is_recorded() {
    let url = format!("http://{}/hello", closed_port());
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("refused.json");
    let recorded = record_fetch(&trace, &[], &[&url]);
    assert_eq!(recorded.status.code(), Some(1), "{}", stderr(&recorded));
    assert!(
        stdout(&recorded).contains("ConnectionRefused"),
        "{}",
        stdout(&recorded)
    );
    let replayed = replay(&fetch_app(), &trace);
    assert_eq!(replayed.status.code(), Some(1), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));
}

#[test]
fn a_name_that_does_not_resolve_is_recorded() {
    // `.invalid` never resolves (RFC 6761): the error is the host's, whichever it gives.
    let url = "http://wasm-rr-test.invalid/";
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("dns.json");
    let recorded = record_fetch(&trace, &[], &[url]);
    assert_eq!(recorded.status.code(), Some(1), "{}", stderr(&recorded));
    let out = stdout(&recorded);
    assert!(out.starts_with(&format!("{url}: error ")), "{out}");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.contains(r#""Err":"#), "{text}");
    let replayed = replay(&fetch_app(), &trace);
    assert_eq!(replayed.status.code(), Some(1), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), out);
}

#[test]
fn a_timeout_from_request_options_is_recorded() {
    let server = HttpServer::start();
    let slow = server.url("/slow/3000");
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("timeout.json");
    let recorded = record_fetch(&trace, &[], &["--timeout", "200", &slow]);
    assert_eq!(recorded.status.code(), Some(1), "{}", stderr(&recorded));
    assert!(
        stdout(&recorded).contains("Timeout"),
        "{}",
        stdout(&recorded)
    );
    let lines = trace_lines(&trace);
    let handle = &lines[find_event(&lines, "outgoing-handler.handle")];
    assert_eq!(
        handle.pointer("/outgoing-handler.handle/options/first_byte_timeout"),
        Some(&Value::from(200_000_000u64)),
        "{handle}"
    );
    drop(server);
    let replayed = replay(&fetch_app(), &trace);
    assert_eq!(replayed.status.code(), Some(1), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));
}

#[test]
fn a_10_mb_response_streams_in_bounded_memory() {
    const SIZE: usize = 10 << 20;
    let server = HttpServer::start();
    let work = tempfile::tempdir().unwrap();
    // Compiling the composed app (once, then cached) takes memory of its own: not measured.
    let warm = record_fetch(
        &work.path().join("warm.json"),
        &[],
        &[&server.url("/hello")],
    );
    assert!(warm.status.success(), "{}", stderr(&warm));
    // 10 MB, then 20: were the body held, or the trace, the second would peak at least 10
    // MB higher. (A tiny body's run is over before its memory can be sampled.)
    let mut peaks = Vec::new();
    for size in [SIZE, 2 * SIZE] {
        let url = server.url(&format!("/big/{size}"));
        let trace = work.path().join(format!("{size}.json"));
        let recorded_out = work.path().join(format!("{size}-recorded.txt"));
        let (code, record_kib) = run_measured(
            wasm_rr()
                .arg("record")
                .arg(fetch_app())
                .arg("-t")
                .arg(&trace)
                .args(["--", &url]),
            &recorded_out,
        );
        assert_eq!(code, Some(0));
        let replayed_out = work.path().join(format!("{size}-replayed.txt"));
        let (code, replay_kib) = run_measured(
            wasm_rr().arg("replay").arg(fetch_app()).arg(&trace),
            &replayed_out,
        );
        assert_eq!(code, Some(0));
        let recorded = std::fs::read_to_string(&recorded_out).unwrap();
        assert!(
            recorded.contains(&format!("  body: {size} bytes")),
            "{recorded}"
        );
        assert_eq!(std::fs::read_to_string(&replayed_out).unwrap(), recorded);
        peaks.push((record_kib, replay_kib));
    }
    let [(record_10, replay_10), (record_20, replay_20)] = peaks[..] else {
        unreachable!()
    };
    println!(
        "peak memory, 10 MB / 20 MB body: record {record_10} / {record_20} KiB, \
         replay {replay_10} / {replay_20} KiB"
    );
    // Less than half of the 10 MB more: bounded, whatever the body's size.
    let limit_kib = (SIZE / 2 / 1024) as u64;
    let record_growth = record_20.saturating_sub(record_10);
    let replay_growth = replay_20.saturating_sub(replay_10);
    assert!(
        record_growth < limit_kib,
        "record grew by {record_growth} KiB"
    );
    assert!(
        replay_growth < limit_kib,
        "replay grew by {replay_growth} KiB"
    );
}

/// Rewrites the recorded arguments of the guest in `trace` with `edit` (every time the
/// guest asked for them).
fn edit_arguments(trace: &Path, edit: impl Fn(&mut Vec<Value>)) {
    let mut lines = trace_lines(trace);
    for line in &mut lines {
        if let Some(arguments) = line.pointer_mut("/environment.get-arguments/result") {
            edit(arguments.as_array_mut().unwrap());
        }
    }
    write_trace_lines(trace, &lines);
}

#[test]
fn a_request_that_changes_in_replay_diverges_showing_both() {
    let server = HttpServer::start();
    let hello = server.url("/hello");
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("changed.json");
    let recorded = record_fetch(&trace, &[], &[&hello]);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    server.stop();
    let other = hello.replace("/hello", "/other");
    edit_arguments(&trace, |arguments| {
        arguments[1] = Value::String(other.clone());
    });
    let replayed = replay(&fetch_app(), &trace);
    assert_eq!(replayed.status.code(), Some(125));
    let message = stderr(&replayed);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("replay diverged"), "{message}");
    assert!(
        message.contains("wasi:http/outgoing-handler.handle"),
        "{message}"
    );
    let path = |url: &str| url.split_once("//").unwrap().1.to_string();
    assert!(
        message.contains(&format!("GET http://{}", path(&other))),
        "{message}"
    );
    assert!(
        message.contains(&format!("GET http://{}", path(&hello))),
        "{message}"
    );
}

#[test]
fn secrets_are_kept_as_keyed_hashes() {
    let server = HttpServer::start();
    let login = server.url("/login");
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("secrets.json");
    let args = [
        "--header",
        "Authorization: Bearer tok-0123456789",
        "--header",
        "Cookie: theme=dark-and-secret",
        "--header",
        "X-Api-Key: key-9876543210",
        "--header",
        "X-Visible: plain-value",
        login.as_str(),
    ];
    let recorded = record_fetch(&trace, &["--redact-header", "x-api-key"], &args);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    server.stop();
    // The guest saw the real cookie while recording.
    assert!(stdout(&recorded).contains("set-cookie: session=s3cr3t-session-id"));

    let text = std::fs::read_to_string(&trace).unwrap();
    let handle = &trace_lines(&trace)[find_event(&trace_lines(&trace), "outgoing-handler.handle")];
    for secret in [
        "tok-0123456789",
        "dark-and-secret",
        "key-9876543210",
        "s3cr3t-session-id",
    ] {
        // The guest's arguments hold them: they are its input, not the request's.
        let outside_arguments = text
            .lines()
            .filter(|line| !line.contains("environment.get-arguments"))
            .any(|line| line.contains(secret));
        assert!(!outside_arguments, "{secret} is in the trace:\n{text}");
    }
    assert!(handle.to_string().contains("plain-value"), "{handle}");
    assert_eq!(text.matches("wasm-rr-redacted:").count(), 4, "{text}");

    // Replay hashes what the guest sends alike; it sees the hash for the cookie it got.
    let replayed = replay(&fetch_app(), &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(
        stdout(&replayed).contains("set-cookie: wasm-rr-redacted:"),
        "{}",
        stdout(&replayed)
    );

    // A different token is a divergence, though the trace does not hold the token.
    edit_arguments(&trace, |arguments| {
        arguments[2] = Value::String("Authorization: Bearer another-token".into());
    });
    let replayed = replay(&fetch_app(), &trace);
    assert_eq!(replayed.status.code(), Some(125));
    let message = stderr(&replayed);
    assert!(message.contains("outgoing-handler.handle"), "{message}");
    assert!(!message.contains("another-token"), "{message}");
}

#[test]
fn the_composed_component_imports_wasi_http_only_when_the_app_does() {
    let work = tempfile::tempdir().unwrap();
    let imports_of = |app: &str| {
        let composed = work.path().join(format!("{app}.rr.wasm"));
        let out = run(wasm_rr()
            .arg("compose")
            .arg(example(app))
            .arg("-o")
            .arg(&composed));
        assert!(out.status.success(), "{}", stderr(&out));
        wasm_rr_composer::imports(&std::fs::read(&composed).unwrap()).unwrap()
    };
    let fetch = imports_of("http_fetch");
    for interface in [
        "wasi:http/types@0.2.12",
        "wasi:http/outgoing-handler@0.2.12",
    ] {
        assert!(fetch.iter().any(|name| name == interface), "{fetch:?}");
    }
    let hello = imports_of("hello");
    assert!(
        !hello.iter().any(|name| name.starts_with("wasi:http/")),
        "{hello:?}"
    );
}

/// A response's headers handed on in a request, as a proxy does, reach the server as they
/// do under a plain run, even when the host would refuse them from the guest: 80 headers of
/// 2,000 bytes are more than wasmtime lets a guest build fields of (128 KiB), but a copy of a
/// response's fields keeps them all. The trace holds the request that was sent.
#[test]
fn response_headers_handed_on_are_sent_as_in_a_plain_run() {
    let server = HttpServer::start();
    let work = tempfile::tempdir().unwrap();
    let args = [
        "--forward",
        &server.url("/headers"),
        &server.url("/many-headers/80"),
    ];
    let plain = run(wasm_rr().arg("run").arg(fetch_app()).arg("--").args(args));
    let sent = stdout(&plain);
    assert!(plain.status.success(), "{sent}{}", stderr(&plain));
    // The echo of the forwarded request holds the 80 headers.
    let echoed = sent
        .split("/headers: status 200")
        .nth(1)
        .and_then(|echo| echo.split("  body: ").nth(1))
        .and_then(|body| body.split(' ').next())
        .and_then(|bytes| bytes.parse::<usize>().ok())
        .unwrap_or(0);
    assert!(echoed > 80 * 2000, "{sent}");
    let trace = work.path().join("forward.json");
    let recorded = record_fetch(&trace, &[], &args);
    assert_eq!(stdout(&recorded), sent);
    server.stop();
    let replayed = replay(&fetch_app(), &trace);
    assert_eq!(replayed.status.code(), Some(0), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), sent);
}
