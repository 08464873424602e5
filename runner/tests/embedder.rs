//! The example embedder (examples/embedder.rs), an application with its own WIT world
//! that runs plugins on its own wasmtime `Linker`: it records a plugin's run through the
//! `wasm-rr` crate, and replays it without calling the application, as the CLI does too.

mod common;
#[allow(dead_code)]
#[path = "../examples/embedder.rs"]
mod embedder;

use common::{edit_trace_text, example, replay, stdout};
use embedder::Run;
use wasm_rr::embed::Session;
use wasm_rr_trace::Outcome;

fn call_loop() -> Vec<u8> {
    std::fs::read(example("call_loop")).expect("reading call_loop")
}

fn args(kind: &str, count: &str) -> Vec<String> {
    ["call_loop", kind, count].map(String::from).to_vec()
}

fn record(trace: &std::path::Path, kind: &str, count: &str) -> Run {
    let session = Session::record(&call_loop(), trace).expect("starting the recording");
    embedder::run(&call_loop(), session, &args(kind, count)).expect("recording")
}

fn replay_embedded(trace: &std::path::Path) -> anyhow::Result<Run> {
    let session = Session::replay(&call_loop(), trace)?;
    // No arguments: the replay takes them from the trace.
    embedder::run(&call_loop(), session, &[])
}

#[test]
fn a_plugin_is_recorded_and_replayed_without_the_application() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, count, calls) in [("shift", "3", 3), ("bytes", "2", 2)] {
        let trace = dir.path().join(format!("{kind}.json"));
        let recorded = record(&trace, kind, count);
        assert_eq!(recorded.outcome, Outcome::Exit(0));
        assert_eq!(
            recorded.source_calls, calls,
            "{kind}: the application is called"
        );
        let shown = String::from_utf8_lossy(&recorded.stdout).into_owned();
        assert!(
            shown.starts_with(&format!("{count} {kind} calls, checksum ")),
            "{shown}"
        );

        let replayed = replay_embedded(&trace).expect("replaying");
        assert_eq!(replayed.outcome, Outcome::Exit(0));
        assert_eq!(
            replayed.stdout, recorded.stdout,
            "{kind}: the replay's stdout"
        );
        assert_eq!(
            replayed.source_calls, 0,
            "{kind}: a replay calls the application"
        );

        // The CLI replays the embedder's trace, with no provider of acme:calls.
        let out = replay(&example("call_loop"), &trace);
        assert!(out.status.success(), "{kind}: {}", common::stderr(&out));
        assert_eq!(stdout(&out), shown);
    }
}

#[test]
fn a_replay_that_diverges_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.json");
    record(&trace, "shift", "2");
    // The first call's argument, as if the plugin had passed another.
    edit_trace_text(&trace, |text| {
        text.replacen(
            r#""args":[{"nanoseconds":2,"seconds":1}]"#,
            r#""args":[{"nanoseconds":2,"seconds":9}]"#,
            1,
        )
    });
    let error = match replay_embedded(&trace) {
        Ok(run) => panic!("the replay went on: {:?}", run.outcome),
        Err(error) => format!("{error:#}"),
    };
    assert!(
        error.contains("acme:calls/source@0.1.0#shift({seconds: 1, nanoseconds: 2})")
            && error.contains("seconds: 9"),
        "{error}"
    );
}

#[test]
fn a_trace_of_another_app_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.json");
    record(&trace, "shift", "1");
    let other = std::fs::read(example("plugin_app")).unwrap();
    let error = match Session::replay(&other, &trace) {
        Ok(_) => panic!("a trace of call_loop replays plugin_app"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("was recorded from another app"), "{error}");
}
