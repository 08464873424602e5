//! The `coverage` example makes every call that wasm-rr records: recorded with a real
//! directory, its own sockets and a real HTTP server, it replays with all of them gone, from
//! the JSON trace and from its binary form, and its trace, with the traces of requests to
//! the `http_handler` example for what only a handler does, holds every event kind of the
//! trace schema (a new event kind fails here until a guest makes the call).

mod common;

use common::*;
use std::collections::BTreeSet;
use wasm_rr_trace::Event;

#[test]
fn the_coverage_guest_records_every_event_kind_and_replays() {
    let app = example("coverage");
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let trace = work.path().join("coverage.json");
    let server = HttpServer::start();
    let base = server.url("");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .arg("--dir")
        .arg(format!("{}::/data", data.path().display()))
        .args(["-S", "inherit-network", "-S", "allow-ip-name-lookup"])
        .arg("--")
        .arg(&base));
    server.stop();
    data.close().unwrap();
    assert!(
        recorded.status.success(),
        "record: {}{}",
        stdout(&recorded),
        stderr(&recorded)
    );
    let out = stdout(&recorded);
    assert!(out.ends_with("done\n"), "{out}");
    assert!(
        out.contains(
            "http: GET /chunked: status 200, 39 bytes, trailers [\"x-checksum: 3-chunks\"]"
        ),
        "{out}"
    );

    // Replay: no server, no directory, no socket.
    let replayed = replay(&app, &trace);
    assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
    assert_eq!(stdout(&replayed), out);
    assert_eq!(stderr(&replayed), stderr(&recorded));

    // The same from the binary form of the trace.
    let binary = work.path().join("coverage.bin");
    let converted = run(wasm_rr().arg("convert").arg(&trace).arg(&binary));
    assert!(
        converted.status.success(),
        "convert: {}",
        stderr(&converted)
    );
    let replayed = replay(&app, &binary);
    assert!(
        replayed.status.success(),
        "binary replay: {}",
        stderr(&replayed)
    );
    assert_eq!(stdout(&replayed), out);

    // What only a handler does: served requests, each replayed.
    let requests = tempfile::tempdir().unwrap();
    let handler = example("http_handler");
    let served = Served::start(
        &handler,
        &["--trace-dir", requests.path().to_str().unwrap()],
    );
    let echo = served.request("POST", "/echo", &[], b"covered");
    assert_eq!(echo.body, b"covered");
    drop(served);
    let mut traces = files_in(requests.path());
    for request in &traces {
        let replayed = replay(&handler, request);
        assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
    }

    // Generic calls: the plugin app, with its provider.
    let plugin = requests.path().join("plugin.json");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(example("plugin_app"))
        .arg("--link")
        .arg(example("plugin_host"))
        .arg("-t")
        .arg(&plugin));
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    traces.push(plugin);

    // Every event kind of the schema is in the traces.
    traces.push(trace);
    let held: BTreeSet<String> = traces
        .iter()
        .flat_map(|trace| trace_lines(trace))
        .filter_map(|line| line.as_object().cloned())
        .flat_map(|line| line.keys().cloned().collect::<Vec<_>>())
        .collect();
    let missing: Vec<String> = Event::TABLE
        .iter()
        .filter(|(_, name, _, _)| !held.contains(*name))
        .map(|(id, name, interface, function)| format!("{id} {name} ({interface} {function})"))
        .collect();
    assert!(
        missing.is_empty(),
        "the coverage guest's trace lacks {} of {} event kinds; make examples/coverage call them:\n  {}",
        missing.len(),
        Event::TABLE.len(),
        missing.join("\n  ")
    );
}
