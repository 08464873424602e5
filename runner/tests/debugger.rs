//! `replay -g` under a real debugger: gdb, in batch mode, breaks in the guest's source and
//! prints an argument, which holds the value the trace gives.

mod common;

use common::*;
use std::process::Command;

#[test]
fn gdb_breaks_in_the_guest_and_shows_the_recorded_value() {
    let gdb = Command::new("gdb").arg("--version").output();
    assert!(
        gdb.is_ok_and(|out| out.status.success()),
        "gdb is not installed: .ci/run installs it (apt-get install gdb)"
    );
    let dir = tempfile::tempdir().unwrap();
    let app = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/time_bomb/time_bomb.debug.wasm");
    let trace = dir.path().join("bomb.json");
    record(&app, &trace, &[]);
    // An edited time, so that the value seen cannot be today's: 2026-11-21 13:33:20 UTC.
    let mut lines = trace_lines(&trace);
    let clock = find_event(&lines, "wall-clock.now");
    lines[clock]["wall-clock.now"]["result"]["seconds"] = 1_795_268_000u64.into();
    write_trace_lines(&trace, &lines);

    let out = Command::new("gdb")
        .args(["-batch", "-nx"])
        .args(["-ex", "set breakpoint pending on"])
        .args(["-ex", "break time_bomb::clock_face"])
        .args(["-ex", "run"])
        .args(["-ex", "print secs"])
        .args(["-ex", "bt 2"])
        .args(["-ex", "continue"])
        .arg("--args")
        .arg(env!("CARGO_BIN_EXE_wasm-rr"))
        .args(["replay", "-g"])
        .arg(&app)
        .arg(&trace)
        .env("WASM_RR_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("hit Breakpoint 1, time_bomb::clock_face (secs=1795268000)"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("$1 = 1795268000"), "{text}");
    assert!(
        text.contains("in time_bomb::main () at time_bomb/src/main.rs:10"),
        "{text}"
    );
    // The replay goes on to its end, printing the edited time.
    assert!(text.contains("it is 13:33 UTC, all is well"), "{text}");
    assert!(text.contains("exited normally"), "{text}");
}

#[test]
fn stop_at_ends_the_replay_after_an_event_and_shows_where_the_guest_was() {
    let dir = tempfile::tempdir().unwrap();
    let app = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/time_bomb/time_bomb.debug.wasm");
    let trace = dir.path().join("bomb.json");
    record(&app, &trace, &[]);
    let events = trace_lines(&trace).len() - 2;

    // After event 1 (the clock), the guest asks for the next while it prints the time.
    let out = run(wasm_rr()
        .args(["replay", "-g", "--stop-at", "1"])
        .arg(&app)
        .arg(&trace));
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.starts_with(&format!(
            "wasm-rr: stopped after event 1 ({}:2), as --stop-at asked; the guest was in:\n",
            trace.display()
        )),
        "{said}"
    );
    assert!(said.contains("]::main\n"), "{said}");
    assert!(said.contains("examples/time_bomb/src/main.rs:"), "{said}");
    assert!(stdout(&out).is_empty(), "the guest printed past the stop");

    // Past the end, without a debugger, and with --then-live: one line each.
    let past = events + 1;
    let out = run(wasm_rr()
        .args(["replay", "--stop-at", &past.to_string()])
        .arg(&app)
        .arg(&trace));
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).ends_with(&format!(
            "before it asked for event {}; the trace holds {events} events\n",
            past + 1
        )),
        "{}",
        stderr(&out)
    );
    for args in [&["--stop-at", "0"][..], &["--stop-at", "1", "--then-live"]] {
        let out = run(wasm_rr().arg("replay").args(args).arg(&app).arg(&trace));
        assert_eq!(out.status.code(), Some(125), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}
