//! Fuzzing replay, on stable Rust: golden traces, mutated by a seeded generator (values
//! changed to other numbers, strings, lists or nothing; events removed, repeated and
//! swapped; bytes of the binary form flipped and cut), replayed against their examples.
//! Every replay must end as the guest does or with a one-line wasm-rr error: no panic of
//! wasm-rr's, no abort, and memory at most the good replay's plus 64 MiB.
//!
//! `WASM_RR_FUZZ_CASES=N` runs N cases per fixture instead of the default (CI's bounded
//! run).

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::Path;

const DEFAULT_CASES: usize = 60;
const FIXTURES: [&str; 7] = [
    "print_time",
    "print_random",
    "read_stdin",
    "fs_tool",
    "print_args_panic",
    "http_fetch",
    // Generic calls: every kind of WIT value, resources included.
    "plugin_app",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A value to put where another was.
fn replacement(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => json!(0),
        1 => json!(u64::MAX),
        2 => json!(-1),
        3 => json!(rng.next() % 100_000),
        4 => json!("x".repeat(rng.below(200))),
        5 => json!({"base64": "AAECAwQ="}),
        6 => json!([]),
        7 => json!(null),
        _ => json!({"ok": null}),
    }
}

/// Changes one leaf (or drops one key) somewhere in `value`.
fn mutate_value(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map
                .keys()
                .nth(rng.below(map.len()))
                .cloned()
                .unwrap_or_default();
            if rng.below(8) == 0 {
                map.remove(&key);
            } else if let Some(inner) = map.get_mut(&key) {
                mutate_value(rng, inner);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let at = rng.below(items.len());
            mutate_value(rng, &mut items[at]);
        }
        leaf => *leaf = replacement(rng),
    }
}

fn mutate_lines(rng: &mut Rng, lines: &mut Vec<Value>) {
    // Line 0 is the header: it stays, or replay refuses the trace before running it.
    let events = lines.len() - 1;
    for _ in 0..=rng.below(2) {
        let at = 1 + rng.below(events);
        match rng.below(6) {
            0 if lines.len() > 2 => {
                lines.remove(at.min(lines.len() - 1));
            }
            1 => {
                let line = lines[at.min(lines.len() - 1)].clone();
                lines.insert(at.min(lines.len()), line);
            }
            2 if lines.len() > 3 => {
                let other = 1 + rng.below(lines.len() - 1);
                let at = at.min(lines.len() - 1);
                lines.swap(at, other);
            }
            _ => {
                let at = at.min(lines.len() - 1);
                mutate_value(rng, &mut lines[at]);
            }
        }
    }
}

fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, keep: usize) {
    for _ in 0..=rng.below(3) {
        let at = keep + rng.below(bytes.len().saturating_sub(keep));
        match rng.below(4) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.insert(at.min(bytes.len()), rng.next() as u8),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at.max(keep)),
        }
    }
}

/// Replays `trace` and checks it ended as a replay may: the guest's way, or one line of
/// wasm-rr's. Gives the peak memory in KiB.
fn replay_checked(app: &Path, trace: &Path, stderr_file: &Path, what: &str) -> u64 {
    let (code, peak_kib) = peak_memory(
        &["replay".as_ref(), app.as_os_str(), trace.as_os_str()],
        std::fs::File::create(stderr_file).unwrap(),
    );
    let stderr = std::fs::read_to_string(stderr_file).unwrap_or_default();
    let trace_text = String::from_utf8_lossy(&std::fs::read(trace).unwrap_or_default())
        .chars()
        .take(2000)
        .collect::<String>();
    let keep = || {
        let kept = std::env::temp_dir().join(format!(
            "wasm-rr-fuzz-replay-{}-{}",
            std::process::id(),
            trace.file_name().unwrap().to_string_lossy()
        ));
        let _ = std::fs::copy(trace, &kept);
        kept.display().to_string()
    };
    let Some(code) = code else {
        panic!(
            "{what}: wasm-rr was killed by a signal; trace kept as {}\n{stderr}",
            keep()
        );
    };
    assert_ne!(
        code,
        101,
        "{what}: wasm-rr panicked; trace kept as {}\n{stderr}\n{trace_text}",
        keep()
    );
    if code == 125 {
        // One error, last, on one line (the guest's own stderr may end without a newline).
        assert_eq!(
            stderr.matches("wasm-rr: error").count(),
            1,
            "{what}: {stderr}"
        );
        let error = &stderr[stderr.find("wasm-rr: error").unwrap_or(0)..];
        assert_eq!(error.trim_end().lines().count(), 1, "{what}: {stderr}");
    }
    peak_kib
}

#[test]
fn mutated_traces_replay_without_panic_in_bounded_memory() {
    let cases: usize = std::env::var("WASM_RR_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let work = tempfile::tempdir().unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for fixture in FIXTURES {
        let dir = golden.join(fixture);
        let meta = std::fs::read_to_string(dir.join("metadata.toml")).unwrap();
        let component = meta
            .lines()
            .find_map(|line| line.strip_prefix("component = "))
            .map(|value| value.trim_matches('"'))
            .unwrap();
        let app = golden.join("..").join(component);
        let lines = trace_lines(&dir.join("trace.json"));
        let stderr_file = work.path().join("stderr.txt");

        let good = work.path().join(format!("{fixture}.json"));
        write_trace_lines(&good, &lines);
        let limit_kib = replay_checked(&app, &good, &stderr_file, fixture) + (64 << 10);
        let binary = work.path().join(format!("{fixture}.bin"));
        let converted = run(wasm_rr().arg("convert").arg(&good).arg(&binary));
        assert!(converted.status.success(), "{}", stderr(&converted));
        let binary_bytes = std::fs::read(&binary).unwrap();
        let header_end = binary_bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(1)
            .map_or(0, |(i, _)| i + 1);

        for case in 0..cases {
            let (trace, what) = if case % 3 == 2 {
                let mut bytes = binary_bytes.clone();
                mutate_bytes(&mut rng, &mut bytes, header_end);
                let trace = work.path().join(format!("{fixture}-{case}.bin"));
                std::fs::write(&trace, bytes).unwrap();
                (trace, format!("{fixture} binary case {case}"))
            } else {
                let mut mutated = lines.clone();
                mutate_lines(&mut rng, &mut mutated);
                let trace = work.path().join(format!("{fixture}-{case}.json"));
                write_trace_lines(&trace, &mutated);
                (trace, format!("{fixture} case {case}"))
            };
            let peak_kib = replay_checked(&app, &trace, &stderr_file, &what);
            assert!(
                peak_kib <= limit_kib,
                "{what}: peak {peak_kib} KiB, more than the good replay's plus 64 MiB"
            );
            std::fs::remove_file(&trace).unwrap();
        }
    }
}
