//! Imports beyond WASI 0.2, through the generic interposer: recorded under a provider
//! (`--link`, `-S keyvalue`, `-S config`), replayed with none, bundled, and refused or
//! diverged from with one line that says where.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::Path;

fn plugin_app() -> std::path::PathBuf {
    example("plugin_app")
}

fn plugin_host() -> std::path::PathBuf {
    example("plugin_host")
}

/// Records the plugin app with its provider into `trace`; gives its stdout.
fn record_plugin(trace: &Path) -> String {
    let out = run(wasm_rr()
        .arg("record")
        .arg(plugin_app())
        .arg("--link")
        .arg(plugin_host())
        .arg("-t")
        .arg(trace));
    assert!(out.status.success(), "record: {}", stderr(&out));
    stdout(&out)
}

/// Every function of the type zoo, the tally's resources and the host: each value the
/// provider gave (random ones) comes back in the replay, with no provider, in JSON and in
/// binary.
#[test]
fn every_kind_of_value_and_resource_replays_without_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("plugin.json");
    let recorded = record_plugin(&trace);
    let replayed = replay(&plugin_app(), &trace);
    assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
    assert_eq!(stdout(&replayed), recorded);
    assert_eq!(stderr(&replayed), "");

    // Each function of the schema was called, every drop included.
    let lines = trace_lines(&trace);
    let schema = &lines[find_event(&lines, "wasm-rr.schema")]["wasm-rr.schema"]["result"];
    let called: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.get("call").and_then(Value::as_str))
        .collect();
    for function in schema["functions"].as_array().unwrap() {
        let name = function["name"].as_str().unwrap();
        assert!(called.contains(&name), "{name} was not called");
    }
    // A function imported at the world's root is named alone.
    assert!(called.contains(&"distance"), "{called:?}");

    let binary = dir.path().join("plugin.bin");
    let converted = run(wasm_rr().arg("convert").arg(&trace).arg(&binary));
    assert!(converted.status.success(), "{}", stderr(&converted));
    let replayed = replay(&plugin_app(), &binary);
    assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
    assert_eq!(stdout(&replayed), recorded);
    // And back: the JSON the binary trace converts to is the recording's.
    let back = dir.path().join("back.json");
    let converted = run(wasm_rr().arg("convert").arg(&binary).arg(&back));
    assert!(converted.status.success(), "{}", stderr(&converted));
    assert_eq!(trace_lines(&back), lines);
}

/// The JSON of a generic call names everything: the function, record fields, cases,
/// handles by their stable ids, bytes as text when they are.
#[test]
fn generic_calls_read_as_wit_values_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("plugin.json");
    record_plugin(&trace);
    let lines = trace_lines(&trace);
    let call = |name: &str| -> &Value {
        lines
            .iter()
            .find(|line| line["call"] == json!(format!("acme:plugin/{name}")))
            .unwrap_or_else(|| panic!("no call of {name}"))
    };
    assert_eq!(call("host@0.1.0#roll")["args"], json!([6]));
    assert!(call("host@0.1.0#roll")["result"].is_u64());
    assert_eq!(
        call("zoo@0.1.0#jitter")["args"][0]["at"],
        json!({"x": -3, "y": 4})
    );
    assert_eq!(call("zoo@0.1.0#maybe")["args"], json!([{"some": 7}]));
    assert_eq!(call("zoo@0.1.0#flip")["args"], json!([["read", "exec"]]));
    assert_eq!(call("zoo@0.1.0#repaint")["args"], json!(["green"]));
    assert_eq!(call("zoo@0.1.0#upper")["result"], json!("ok"));
    assert_eq!(
        call("tally@0.1.0#[constructor]counter")["result"],
        json!({"own": 0})
    );
    assert_eq!(
        call("tally@0.1.0#[method]counter.add")["args"],
        json!([{"borrow": 0}, 1])
    );
    let floats = &call("zoo@0.1.0#floats")["result"];
    assert_eq!(
        floats.as_array().unwrap()[2..],
        json!(["nan", "inf", "-inf", -0.0]).as_array().unwrap()[..]
    );
}

#[test]
fn keyvalue_and_config_are_recorded_and_replayed_with_neither() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("kv.bin");
    let app = example("kv_app");
    let out = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .args(["-S", "keyvalue", "-S", "keyvalue-in-memory-data=count=41"])
        .args(["-S", "config", "-S", "config-var=greeting=hello"])
        .arg("-t")
        .arg(&trace));
    assert!(out.status.success(), "record: {}", stderr(&out));
    assert!(
        stdout(&out).ends_with("hello, visitor 42!\n"),
        "{}",
        stdout(&out)
    );
    let replayed = replay(&app, &trace);
    assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&out));
}

/// Configuration variables whose names say they are secrets are kept in the trace as a
/// keyed hash, in JSON and binary alike (the policy table, `trace::any::policy`); the
/// others as they are.
#[test]
fn secrets_in_configuration_stay_out_of_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("kv_app");
    for name in ["kv.json", "kv.bin"] {
        let trace = dir.path().join(name);
        let out = run(wasm_rr()
            .arg("record")
            .arg(&app)
            .args(["-S", "keyvalue", "-S", "config"])
            .args(["-S", "config-var=greeting=hello"])
            .args(["-S", "config-var=DB_PASSWORD=hunter2-s3cr3t"])
            .arg("-t")
            .arg(&trace));
        assert!(out.status.success(), "record: {}", stderr(&out));
        assert!(stdout(&out).starts_with("config: 2 variables, greeting \"hello\"\n"));
        let held = std::fs::read(&trace).unwrap();
        let holds = |text: &str| {
            held.windows(text.len())
                .any(|window| window == text.as_bytes())
        };
        assert!(!holds("hunter2-s3cr3t"), "{name} holds the secret");
        assert!(holds("wasm-rr-redacted:") && holds("hello"), "{name}");

        let replayed = replay(&app, &trace);
        assert!(replayed.status.success(), "replay: {}", stderr(&replayed));
        assert_eq!(stdout(&replayed), stdout(&out));
    }
}

/// An import that nothing provides is one line naming it and the ways to provide it; so
/// is a provider that provides nothing the app imports.
#[test]
fn an_import_nothing_provides_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.json");
    let out = run(wasm_rr()
        .arg("record")
        .arg(plugin_app())
        .arg("-t")
        .arg(&trace));
    assert_eq!(out.status.code(), Some(125));
    let error = stderr(&out);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.contains("`acme:plugin/"), "{error}");
    assert!(error.contains("--link PROVIDER.wasm"), "{error}");
    assert!(!trace.exists(), "a trace of a run that never began");

    let out = run(wasm_rr()
        .arg("run")
        .arg(example("kv_app"))
        .arg("-S")
        .arg("config"));
    let error = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{error}");
    assert!(error.contains("`wasi:keyvalue/"), "{error}");
    assert!(error.contains("-S keyvalue"), "{error}");

    let out = run(wasm_rr()
        .arg("run")
        .arg(plugin_app())
        .arg("--link")
        .arg(example("kv_app")));
    let error = stderr(&out);
    assert_eq!(out.status.code(), Some(125), "{error}");
    assert!(error.contains("exports none of the interfaces"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");
}

/// A plain run with the provider plugged in prints what a recording does (the provider's
/// answers are random: the shape, not the values).
#[test]
fn run_plugs_the_provider_in() {
    let out = run(wasm_rr()
        .arg("run")
        .arg(plugin_app())
        .arg("--link")
        .arg(plugin_host()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("labeled empty: true"),
        "{}",
        stdout(&out)
    );
}

/// An edit of a trace's lines.
type Edit<'a> = Box<dyn Fn(&mut Vec<Value>) + 'a>;

/// Edited traces: each replay stops with one line that names the function, the event and
/// what was expected against what the guest passed, in WIT value syntax.
#[test]
fn bad_generic_events_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    record_plugin(&good);
    let lines = trace_lines(&good);
    let first = |suffix: &str| {
        lines
            .iter()
            .position(|line| {
                line["call"]
                    .as_str()
                    .is_some_and(|call| call.ends_with(suffix))
            })
            .unwrap()
    };
    let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
        (
            "another argument",
            Box::new(|lines| lines[first("#roll")]["args"] = json!([7])),
            vec![
                "replay diverged from the trace at event",
                "the guest called acme:plugin/host@0.1.0#roll(6) but the trace holds acme:plugin/host@0.1.0#roll(7)",
            ],
        ),
        (
            "a result of another type",
            Box::new(|lines| lines[first("#roll")]["result"] = json!("six")),
            vec!["acme:plugin/host@0.1.0#roll: result: \"six\" is not a u32"],
        ),
        (
            "an unknown case",
            Box::new(|lines| lines[first("#repaint")]["result"] = json!("purple")),
            vec!["#repaint: result: \"purple\" is not a enum {red, green, blue}"],
        ),
        (
            "a resource never made",
            Box::new(|lines| lines[first("counter.fork")]["result"] = json!({"own": 7})),
            vec!["own(7)", "where the run makes its resource 1"],
        ),
        (
            "a borrow of another resource",
            Box::new(|lines| {
                lines[first("counter.add")]["args"] = json!([{"borrow": 3}, 1])
            }),
            vec!["counter.add(borrow(0), 1) but the trace holds", "counter.add(borrow(3), 1)"],
        ),
        (
            "a function not in the schema",
            Box::new(|lines| lines[first("#tick")]["call"] = json!("acme:plugin/zoo@0.1.0#tock")),
            vec!["acme:plugin/zoo@0.1.0#tock is not in the trace's schema"],
        ),
        (
            "the app's WIT changed",
            Box::new(|lines| {
                let schema = find_event(lines, "wasm-rr.schema");
                let functions = &mut lines[schema]["wasm-rr.schema"]["result"]["functions"];
                let roll = functions
                    .as_array()
                    .and_then(|functions| {
                        functions.iter().position(|function| {
                            function["name"] == json!("acme:plugin/host@0.1.0#roll")
                        })
                    })
                    .unwrap();
                functions[roll]["params"] = json!(["u64"]);
            }),
            vec![
                "the app's imports changed since the recording",
                "was acme:plugin/host@0.1.0#roll(u64) -> u32 and is acme:plugin/host@0.1.0#roll(u32) -> u32",
            ],
        ),
        (
            "a missing drop",
            Box::new(|lines| {
                let drop = first("[resource-drop]counter");
                lines.remove(drop);
            }),
            vec!["[resource-drop]counter(own("],
        ),
    ];
    for (what, edit, expected) in cases {
        let mut edited = lines.clone();
        edit(&mut edited);
        let trace = dir.path().join("edited.json");
        write_trace_lines(&trace, &edited);
        let out = replay(&plugin_app(), &trace);
        let error = stderr(&out);
        assert_eq!(out.status.code(), Some(125), "{what}: {error}");
        let message = error.lines().last().unwrap_or_default();
        assert!(message.starts_with("wasm-rr: error: "), "{what}: {error}");
        for part in expected {
            assert!(message.contains(part), "{what}: {message}");
        }
    }
}

/// A generic event whose encoded values lie (a list of 10^9 elements, a case that does
/// not exist, bytes to spare): the reader says so in one line, in bounded memory. (Values
/// nest no deeper than their types.)
#[test]
fn hostile_generic_events_are_refused_in_bounded_memory() {
    use wasm_rr_trace::file::{Creation, Format, TraceWriter};
    use wasm_rr_trace::{Bytes, Event, GenericCall, GenericSchema, Outcome};
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.bin");
    record_plugin(&good);
    let (mut reader, header) = wasm_rr_trace::file::TraceReader::open(&good).unwrap();
    let schema = match reader.next_event().unwrap() {
        Some(Event::GenericSchema(schema)) => schema.result,
        other => panic!("the first event is {other:?}"),
    };
    let index = |name: &str| schema.index_of(&format!("acme:plugin/{name}")).unwrap();
    let mut billion = Vec::new();
    // noise(16) -> list<u8> of 10^9 bytes, and shapes(4) -> list<shape> of 10^9.
    let leb = |mut n: u64, out: &mut Vec<u8>| loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    };
    leb(1_000_000_000, &mut billion);
    let cases = [
        (
            "zoo@0.1.0#noise",
            vec![16],
            billion.clone(),
            "a length of 1000000000",
        ),
        (
            "zoo@0.1.0#shapes",
            vec![4],
            billion.clone(),
            "a list of 1000000000 elements",
        ),
        ("zoo@0.1.0#repaint", vec![1], vec![9], "case 9 of enum"),
        (
            "host@0.1.0#roll",
            vec![6],
            vec![0xff; 11],
            "longer than 64 bits",
        ),
        (
            "zoo@0.1.0#maybe",
            vec![1, 7],
            vec![1, 1, 0xff, 0xff, 0x03],
            "a length of 65535 where 0 bytes are left",
        ),
        (
            "host@0.1.0#roll",
            vec![6],
            vec![5, 0],
            "1 bytes left after a value of type u32",
        ),
        (
            "host@0.1.0#roll",
            vec![6, 6],
            vec![5],
            "1 bytes left after the values",
        ),
    ];
    for (function, args, result, expected) in cases {
        let trace = dir.path().join("hostile.bin");
        let mut writer =
            TraceWriter::create(&trace, &header, Format::Binary, Creation::Replace).unwrap();
        writer
            .event(&Event::GenericSchema(GenericSchema {
                result: schema.clone(),
            }))
            .unwrap();
        let call = GenericCall {
            function: index(function),
            args: Bytes(args),
            result: Bytes(result),
        };
        let mut bytes = Vec::new();
        wasm_rr_trace::Call::encode(&call, &mut bytes);
        // The writer checks what it writes from the wire: write the record as a binary
        // trace holds it, past the check, as a hostile file would.
        let _ = writer.event_bytes(&bytes);
        let _ = writer.finish(Outcome::Exit(0));
        let out = run(wasm_rr().arg("inspect").arg(&trace));
        let error = stderr(&out);
        assert_eq!(out.status.code(), Some(125), "{function}: {error}");
        assert!(error.contains(expected), "{function}: {error}");
        assert_eq!(error.lines().count(), 1, "{function}: {error}");
    }
}
