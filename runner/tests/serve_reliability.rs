//! `wasm-rr serve` under what operators meet (issue #19): a full trace disk, servers that
//! share a trace directory, handlers that fail once their response has begun, requests
//! refused before the handler runs, and a stop from a script that ignores SIGINT.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn handler() -> PathBuf {
    example("http_handler")
}

/// The traces in `dir`, without the hidden temporary files of traces being started.
fn traces_in(dir: &Path) -> Vec<PathBuf> {
    files_in(dir)
        .into_iter()
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

/// Sends `signal` to the server and waits for it: its exit code.
fn stop(served: &mut Served, signal: i32) -> Option<i32> {
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(served.child.id() as i32, signal) };
    for _ in 0..200 {
        if let Some(status) = served.child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("serve did not stop: {}", served.stderr());
}

/// Waits until the server's stderr says `text`.
fn wait_for_said(served: &Served, text: &str) -> String {
    for _ in 0..200 {
        let said = served.stderr();
        if said.contains(text) {
            return said;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("serve never said {text:?}: {}", served.stderr());
}

/// In the child, before it runs: files of at most 256 KiB, and SIGXFSZ ignored, so that
/// a write past that fails (EFBIG) as a write to a full disk does (ENOSPC).
fn small_files() -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: 256 << 10,
        rlim_max: 256 << 10,
    };
    // SAFETY: plain system calls between fork and exec.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[test]
fn a_trace_that_cannot_be_written_is_said_counted_and_removed() {
    // 1 MiB that does not compress (a zstd trace of it is as large).
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let body: Vec<u8> = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for format in ["json", "binary", "zstd"] {
        let dir = tempfile::tempdir().unwrap();
        let traces = dir.path().join("traces");
        let cache = dir.path().join("cache");
        let mut served = Served::start_with(
            &handler(),
            &["--trace-dir", traces.to_str().unwrap(), "-f", format],
            &[("WASM_RR_CACHE_DIR", cache.as_os_str())],
            small_files,
        );
        let hello = served.request("GET", "/hello", &[], b"");
        assert_eq!(hello.status, 200);
        // The echo's trace holds 1 MiB twice: past what a file may hold here.
        let echo = served.request("POST", "/echo", &[], &body);
        assert_eq!(echo.status, 200, "{format}");
        assert_eq!(
            echo.body, body,
            "{format}: the request is served all the same"
        );
        let said = wait_for_said(&served, "its trace is lost");
        assert!(said.contains("File too large"), "{said}");
        // The lost trace is gone: no file claims that its recording was killed.
        let kept = traces_in(&traces);
        assert_eq!(kept.len(), 1, "{format}: {kept:?}");
        assert!(
            kept[0].to_string_lossy().contains("-GET-hello."),
            "{kept:?}"
        );
        assert!(replay(&handler(), &kept[0]).status.success());
        assert_eq!(
            stop(&mut served, libc::SIGINT),
            Some(0),
            "{}",
            served.stderr()
        );
        let said = served.stderr();
        assert!(
            said.contains("served 2 requests; 1 traces kept in ")
                && said.contains("1 lost (1: File too large (os error 27))"),
            "{said}"
        );
    }

    // --fail-on-lost-trace: the client never gets the whole response.
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    let cache = dir.path().join("cache");
    let served = Served::start_with(
        &handler(),
        &[
            "--trace-dir",
            traces.to_str().unwrap(),
            "--fail-on-lost-trace",
        ],
        &[("WASM_RR_CACHE_DIR", cache.as_os_str())],
        small_files,
    );
    let mut stream = TcpStream::connect(served.address).unwrap();
    write!(
        stream,
        "POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let _ = stream.write_all(&body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response[..response.len().min(200)]).into_owned();
    let whole = text.starts_with("HTTP/1.1 200") && response.ends_with(&body[body.len() - 64..]);
    assert!(!whole, "the client got a whole response: {text}");
    assert!(traces_in(&traces).is_empty());
}

#[test]
fn two_servers_sharing_a_trace_directory_keep_every_trace() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    let args = ["--trace-dir", traces.to_str().unwrap(), "-f", "binary"];
    let servers = [
        Served::start(&handler(), &args),
        Served::start(&handler(), &args),
    ];
    let per_client = 50;
    std::thread::scope(|scope| {
        for client in 0..8 {
            let server = &servers[client % 2];
            scope.spawn(move || {
                for _ in 0..per_client {
                    assert_eq!(server.request("GET", "/hello", &[], b"").status, 200);
                }
            });
        }
    });
    let kept = traces_in(&traces);
    assert_eq!(kept.len(), 8 * per_client, "every trace is kept");
    for trace in kept.iter().step_by(37) {
        let out = replay(&handler(), trace);
        assert!(
            out.status.success(),
            "{}: {}",
            trace.display(),
            stderr(&out)
        );
    }
    for trace in &kept {
        let out = run(wasm_rr().arg("inspect").arg(trace));
        assert!(
            out.status.success(),
            "{}: {}",
            trace.display(),
            stderr(&out)
        );
    }
}

#[test]
fn a_handler_failing_after_its_response_began_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    let served = Served::start(&handler(), &["--trace-dir", traces.to_str().unwrap()]);
    // A chunked body with a bad chunk size, once the echo has begun its response.
    let mut stream = TcpStream::connect(served.address).unwrap();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = stream.write_all(b"zz\r\n");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let said = wait_for_said(&served, "worker failed");
    assert!(said.contains("request 1: worker failed:"), "{said}");
}

#[test]
fn a_request_refused_before_the_handler_runs_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    let served = Served::start(&handler(), &["--trace-dir", traces.to_str().unwrap()]);
    // No Host header: refused before the handler sees it.
    let mut stream = TcpStream::connect(served.address).unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    assert!(response.starts_with(b"HTTP/1.1 500"), "{response:?}");
    wait_for_said(&served, "request 1:");
    assert_eq!(files_in(&traces), Vec::<PathBuf>::new());
    // The next request is recorded as ever.
    assert_eq!(served.request("GET", "/hello", &[], b"").status, 200);
    assert_eq!(traces_in(&traces).len(), 1);
}

#[test]
fn serve_stops_cleanly_on_sigint_and_sigterm_even_when_started_ignoring_sigint() {
    fn ignore_sigint() -> std::io::Result<()> {
        // SAFETY: a plain system call between fork and exec, as a shell's `&` does.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
        Ok(())
    }
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    for (args, signal) in [
        (vec![], libc::SIGINT),
        (vec!["--trace-dir", traces.to_str().unwrap()], libc::SIGINT),
        (vec!["--trace-dir", traces.to_str().unwrap()], libc::SIGTERM),
    ] {
        let mut served = Served::start_with(&handler(), &args, &[], ignore_sigint);
        assert_eq!(served.request("GET", "/hello", &[], b"").status, 200);
        assert_eq!(stop(&mut served, signal), Some(0), "{}", served.stderr());
        assert!(
            served.stderr().contains("served 1 requests"),
            "{}",
            served.stderr()
        );
    }
}
