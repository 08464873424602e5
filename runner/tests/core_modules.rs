//! wasm32-wasip1 core modules run as under `wasmtime run`, which runs preview1 natively:
//! the same exit status and the same errors, in `run`, `record` and `replay`.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// Writes the module `wat` as `name.wasm` in `dir`.
fn module(dir: &Path, name: &str, wat: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, wat::parse_str(wat).unwrap()).unwrap();
    path
}

/// Runs, records and replays `app`: the exit status of each, and the trace's lines.
fn statuses(dir: &Path, app: &Path) -> ([Option<i32>; 3], Vec<serde_json::Value>) {
    let plain = run(wasm_rr().arg("run").arg(app));
    let trace = dir.join("trace.json");
    let recorded = run(wasm_rr().arg("record").arg(app).arg("-t").arg(&trace));
    let replayed = replay(app, &trace);
    for out in [&plain, &recorded, &replayed] {
        assert!(!stderr(out).contains("wasm-rr: error"), "{}", stderr(out));
    }
    let codes = [plain, recorded, replayed].map(|out| out.status.code());
    (codes, trace_lines(&trace))
}

const PROC_EXIT: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $proc_exit (i32.const STATUS)) unreachable))"#;

#[test]
fn proc_exit_ends_the_run_with_its_status() {
    let dir = tempfile::tempdir().unwrap();
    // As `wasmtime run`: 1 to 125 as they are, a larger status is an error (1).
    for (status, expected) in [(0, 0), (33, 33), (125, 125), (200, 1)] {
        let source = PROC_EXIT.replace("STATUS", &status.to_string());
        let app = module(dir.path(), &format!("exit{status}"), &source);
        let (codes, lines) = statuses(dir.path(), &app);
        assert_eq!(codes, [Some(expected); 3], "proc_exit({status})");
        assert_eq!(lines.last().unwrap()["end"]["exit"], expected);
    }
}

/// `FUNCTION` with no buffers at all: `badf` for a descriptor that does not exist, and
/// success, moving nothing, for stdin or stdout.
const EMPTY_TRANSFER: &str = r#"(module
  (import "wasi_snapshot_preview1" "FUNCTION" (func $transfer (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.ne (call $transfer (i32.const -31337) (i32.const 0) (i32.const 0) (i32.const 16))
                (i32.const 8))
      (then unreachable))
    (i32.store (i32.const 16) (i32.const 99))
    (if (i32.ne (call $transfer (i32.const FD) (i32.const 0) (i32.const 0) (i32.const 16))
                (i32.const 0))
      (then unreachable))
    (if (i32.ne (i32.load (i32.const 16)) (i32.const 0)) (then unreachable))))"#;

#[test]
fn a_transfer_to_a_bad_descriptor_is_badf_even_with_no_buffers() {
    let dir = tempfile::tempdir().unwrap();
    for (function, fd) in [("fd_write", 1), ("fd_read", 0)] {
        let source = EMPTY_TRANSFER
            .replace("FUNCTION", function)
            .replace("FD", &fd.to_string());
        let app = module(dir.path(), function, &source);
        let (codes, _) = statuses(dir.path(), &app);
        assert_eq!(codes, [Some(0); 3], "{function}");
    }
}

/// A module whose allocator takes all of memory at its first allocation, after its first
/// WASI call, and marks the end in its last bytes (as AssemblyScript's does) leaves the
/// adapter's state alone (see docs/src/core-modules.md). With `cabi_realloc`, the adapter
/// takes its pages from the module's own allocator, here below the heap; without, from
/// pages at the top of the 1 GiB gap, below the last. The adapter grows no memory either
/// way: the memory's size is the same from `_start` on.
#[test]
fn a_module_that_owns_all_its_memory_runs() {
    let dir = tempfile::tempdir().unwrap();
    let source = r#"(module
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "args_get" (func $get (param i32 i32) (result i32)))
      (memory (export "memory") 8)
      (global $bump (mut i32) (i32.const 4096))
      ;; The module's own allocator, for the adapter: below the heap, which starts at 448 KiB.
      (func EXPORT (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                                (i32.sub (i32.const 0) (local.get 2))))
        (global.set $bump (i32.add (local.get $at) (local.get 3)))
        (if (i32.gt_u (global.get $bump) (i32.const 458752)) (then unreachable))
        (local.get $at))
      (func (export "_start")
        (local $end i32)
        (if (i32.ne (memory.size) (i32.const PAGES)) (then unreachable))
        (if (call $sizes (i32.const 0) (i32.const 4)) (then unreachable))
        ;; The heap takes all of memory, as AssemblyScript's does, and marks its end.
        (local.set $end (i32.shl (memory.size) (i32.const 16)))
        (i32.store (i32.sub (local.get $end) (i32.const 4)) (i32.const 2))
        (i32.store (i32.sub (local.get $end) (i32.const 8)) (i32.const 458752))
        (if (call $get (i32.const 458752) (i32.const 459776)) (then unreachable))
        (if (i32.ne (memory.size) (i32.const PAGES)) (then unreachable))))"#;
    // The module's 8 pages, and the gap's 16384 for the module that lends no memory.
    for (name, export, pages) in [
        ("lends_memory", r#"(export "cabi_realloc")"#, 8),
        ("owns_memory", "", 8 + 16_384),
    ] {
        let source = source
            .replace("EXPORT", export)
            .replace("PAGES", &pages.to_string());
        let app = module(dir.path(), name, &source);
        let (codes, _) = statuses(dir.path(), &app);
        assert_eq!(codes, [Some(0); 3], "{name}");
    }
}

/// Two tests of WebAssembly/wasi-testsuite (see `wasi-testsuite/README.md`): the
/// AssemblyScript ones that call WASI before their first allocation. They exit and write as
/// their `.json` says, in `run`, `record` and `replay`, as under `wasmtime run`.
#[test]
fn the_wasi_testsuite_assemblyscript_tests_that_call_wasi_before_allocating_pass() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasi-testsuite");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "args_get-multiple-arguments",
        "environ_get-multiple-variables",
    ] {
        let app = suite.join(format!("{name}.wasm"));
        let spec = std::fs::read_to_string(suite.join(format!("{name}.json"))).unwrap();
        let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
        let mut options = Vec::new();
        for (key, value) in spec["env"].as_object().into_iter().flatten() {
            options.push("--env".to_string());
            options.push(format!("{key}={}", value.as_str().unwrap()));
        }
        let args: Vec<&str> = spec["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|arg| arg.as_str().unwrap())
            .collect();
        let trace = dir.path().join(format!("{name}.trace"));
        let plain = run(wasm_rr()
            .arg("run")
            .args(&options)
            .arg(&app)
            .arg("--")
            .args(&args));
        let recorded = run(wasm_rr()
            .arg("record")
            .args(&options)
            .arg(&app)
            .arg("-t")
            .arg(&trace)
            .arg("--")
            .args(&args));
        let replayed = replay(&app, &trace);
        let exit_code = spec["exit_code"].as_i64().unwrap_or(0) as i32;
        for (how, out) in [("run", plain), ("record", recorded), ("replay", replayed)] {
            let context = format!("{name} under {how}: {}", stderr(&out));
            assert_eq!(out.status.code(), Some(exit_code), "{context}");
            assert_eq!(
                stdout(&out),
                spec["stdout"].as_str().unwrap_or(""),
                "{context}"
            );
            if let Some(expected) = spec["stderr"].as_str() {
                assert_eq!(stderr(&out), expected, "{context}");
            }
        }
    }
}
