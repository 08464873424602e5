//! A crash-consistency campaign (issue #19): `record` and `serve` (under load) killed with
//! SIGKILL at seeded random moments. Every trace left must read, and replay either whole
//! (the kill came after its end) or to its cut, saying "cut short after event N"; nothing
//! else on disk may be damaged.
//!
//! CI runs a bounded campaign; `WASM_RR_CRASH_CASES=N` runs N cases of each.

mod common;

use common::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const DEFAULT_CASES: u64 = 8;

fn cases() -> u64 {
    std::env::var("WASM_RR_CRASH_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// xorshift64*: the same moments on every machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// Checks that a trace left by a kill reads to its end: whether it was cut short.
fn reads_whole(trace: &Path, case: u64) -> bool {
    let inspected = run(wasm_rr().arg("inspect").arg(trace));
    assert!(
        inspected.status.success(),
        "case {case}: {} does not read: {}",
        trace.display(),
        stderr(&inspected)
    );
    !stdout(&inspected).contains("cut short after event")
}

/// Checks that a trace left by a kill replays: whole, as its run ended, or to its cut,
/// saying so.
fn check_left_trace(app: &Path, trace: &Path, whole: bool, case: u64) {
    let out = replay(app, trace);
    let message = stderr(&out);
    if whole {
        assert_ne!(out.status.code(), Some(125), "case {case}: {message}");
    } else {
        assert_eq!(out.status.code(), Some(125), "case {case}: {message}");
        assert!(
            message.contains("was cut short after event "),
            "case {case}: {}: {message}",
            trace.display()
        );
        assert_eq!(message.lines().count(), 1, "{message}");
    }
}

/// What is in `dir` besides the traces: hidden temporary files of traces being started
/// (a kill may leave one) are the only thing allowed.
fn traces_left(dir: &Path) -> Vec<PathBuf> {
    let mut traces = Vec::new();
    for path in files_in(dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            assert!(name.ends_with(".tmp"), "an unexpected file: {name}");
            continue;
        }
        traces.push(path);
    }
    traces
}

#[test]
fn record_killed_at_random_moments_leaves_traces_that_read_and_replay_to_their_cut() {
    let app = example("read_stdin");
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let input: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
    let mut rng = Rng(0xc4a5_0013);
    // A first run warms the cache: kills then land in the recording, not the compiler.
    let warm = run(wasm_rr()
        .env("WASM_RR_CACHE_DIR", &cache)
        .arg("run")
        .arg(&app)
        .stdin(Stdio::null()));
    assert!(warm.status.success(), "{}", stderr(&warm));
    for case in 0..cases() {
        let traces = dir.path().join(format!("case-{case}"));
        std::fs::create_dir_all(&traces).unwrap();
        let name = ["t.json", "t.bin", "t.bin.zst"][case as usize % 3];
        let trace = traces.join(name);
        let mut child = wasm_rr()
            .env("WASM_RR_CACHE_DIR", &cache)
            .arg("record")
            .arg(&app)
            .arg("-t")
            .arg(&trace)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feed = input.clone();
        // The input comes slowly, so that the kill finds the guest mid-run.
        let feeder = std::thread::spawn(move || {
            for chunk in feed.as_bytes().chunks(64 << 10) {
                if stdin.write_all(chunk).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        let _ = child.kill();
        let _ = child.wait();
        let _ = feeder.join();
        for left in traces_left(&traces) {
            let whole = reads_whole(&left, case);
            check_left_trace(&app, &left, whole, case);
        }
    }
}

#[test]
fn serve_killed_under_load_leaves_traces_that_read_and_replay_to_their_cut() {
    let app = example("http_handler");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5e7e_0013);
    let body: Vec<u8> = (0..256 << 10).map(|i| (i % 251) as u8).collect();
    for case in 0..cases().div_ceil(2) {
        let traces = dir.path().join(format!("case-{case}"));
        let format = ["json", "binary", "zstd"][case as usize % 3];
        let served = Served::start(
            &app,
            &["--trace-dir", traces.to_str().unwrap(), "-f", format],
        );
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for client in 0..4 {
                let (stop, served, body) = (&stop, &served, &body);
                scope.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(mut stream) = std::net::TcpStream::connect(served.address) else {
                            return;
                        };
                        let request: &[u8] = match client % 2 {
                            0 => b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
                            _ => b"",
                        };
                        let sent = if request.is_empty() {
                            write!(
                                stream,
                                "POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
                                body.len()
                            )
                            .and_then(|()| stream.write_all(body))
                        } else {
                            stream.write_all(request)
                        };
                        if sent.is_err() {
                            return;
                        }
                        let _ = stream.read_to_end(&mut Vec::new());
                    }
                });
            }
            std::thread::sleep(Duration::from_millis(200 + rng.below(800)));
            // SAFETY: a signal to our own child.
            unsafe { libc::kill(served.child.id() as i32, libc::SIGKILL) };
            stop.store(true, Ordering::Relaxed);
        });
        let left = traces_left(&traces);
        assert!(!left.is_empty(), "case {case}: no trace was written");
        // Every trace reads; every cut one replays to its cut, and a few whole ones whole.
        let mut replayed_whole = 0;
        for trace in &left {
            let whole = reads_whole(trace, case);
            if !whole || replayed_whole < 3 {
                replayed_whole += usize::from(whole);
                check_left_trace(&app, trace, whole, case);
            }
        }
    }
}
