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

/// Known limit (see docs/src/core-modules.md): a module whose allocator takes all of memory
/// at its first allocation, after its first WASI call (AssemblyScript's), overwrites the
/// adapter's state. Exporting `cabi_realloc` gives the adapter its memory from the module's
/// own allocator instead: this module's realloc hands out memory below its heap.
#[test]
fn a_module_that_owns_all_its_memory_runs_when_it_exports_cabi_realloc() {
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
        (if (call $sizes (i32.const 0) (i32.const 4)) (then unreachable))
        ;; The heap takes all of memory, as AssemblyScript's does, and marks its end.
        (local.set $end (i32.shl (memory.size) (i32.const 16)))
        (i32.store (i32.sub (local.get $end) (i32.const 4)) (i32.const 2))
        (if (call $get (i32.const 458752) (i32.const 459776)) (then unreachable))))"#;
    let app = module(
        dir.path(),
        "owns_memory",
        &source.replace("EXPORT", r#"(export "cabi_realloc")"#),
    );
    let (codes, _) = statuses(dir.path(), &app);
    assert_eq!(codes, [Some(0); 3]);
    // Without it, the adapter's state is in the heap, and the run traps: the known limit.
    let app = module(
        dir.path(),
        "owns_memory_alone",
        &source.replace("EXPORT", ""),
    );
    let out = run(wasm_rr().arg("run").arg(&app));
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
}
