//! `inspect` and `diff`: reading and comparing traces, in both formats, whole or cut short.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn inspect_summarizes_a_trace_in_either_format() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("read_stdin");
    let json = dir.path().join("stdin.json");
    let out = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&json)
        .stdin(
            std::fs::File::open(env!("CARGO_MANIFEST_DIR").to_string() + "/Cargo.toml").unwrap(),
        ));
    assert!(out.status.success(), "{}", stderr(&out));
    let binary = dir.path().join("stdin.bin");
    assert!(run(wasm_rr().arg("convert").arg(&json).arg(&binary))
        .status
        .success());
    let size = std::fs::metadata(env!("CARGO_MANIFEST_DIR").to_string() + "/Cargo.toml")
        .unwrap()
        .len();
    let mut summaries = Vec::new();
    for trace in [&json, &binary] {
        let out = run(wasm_rr().arg("inspect").arg(trace));
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stderr(&out),
            "",
            "no progress when stderr is not a terminal"
        );
        let text = stdout(&out);
        assert!(
            text.contains(&format!("stdio:    {size} bytes read from stdin")),
            "{text}"
        );
        assert!(text.contains("ending:   exit 0"), "{text}");
        assert!(
            text.contains("wasi:io/streams.input-stream.blocking-read"),
            "{text}"
        );
        // The same but for the trace's own line and the bytes of its events.
        summaries.push(
            text.lines()
                .skip(1)
                .filter(|l| !l.starts_with("events:"))
                .map(String::from)
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        summaries[0]
            .iter()
            .filter(|l| !l.contains(" bytes"))
            .collect::<Vec<_>>(),
        summaries[1]
            .iter()
            .filter(|l| !l.contains(" bytes"))
            .collect::<Vec<_>>()
    );

    // --json: one object a program reads.
    let out = run(wasm_rr().arg("inspect").arg(&binary).arg("--json"));
    let summary: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["stdin_bytes"], size);
    assert_eq!(summary["ending"], "exit 0");
    assert_eq!(summary["format"], "binary");

    // Cut short: what is there, and says so.
    let bytes = std::fs::read(&binary).unwrap();
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let out = run(wasm_rr().arg("inspect").arg(&cut));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("ending:   cut short after event"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn inspect_lists_events_numbered_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("time.json");
    record(&example("print_time"), &trace, &[]);
    let lines = trace_lines(&trace);
    let out = run(wasm_rr().arg("inspect").arg(&trace).arg("--events"));
    let listed = stdout(&out);
    assert_eq!(listed.lines().count(), lines.len() - 2, "{listed}");
    let clock = find_event(&lines, "wall-clock.now");
    let seconds = &lines[clock]["wall-clock.now"]["result"]["seconds"];
    assert!(
        listed.contains(&format!(
            "{clock:>8}  wasi:clocks/wall-clock.now() -> {{\"nanoseconds\":"
        )),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("\"seconds\":{seconds}")),
        "{listed}"
    );

    let out = run(wasm_rr().arg("inspect").arg(&trace).args([
        "--events",
        "--interface",
        "wasi:io",
        "--range",
        "2..",
    ]));
    let filtered = stdout(&out);
    assert!(filtered.lines().count() >= 1, "{filtered}");
    assert!(
        filtered.lines().all(|line| line.contains("wasi:io/")),
        "{filtered}"
    );

    let out = run(wasm_rr()
        .arg("inspect")
        .arg(&trace)
        .args(["--events", "--json", "--range", "1"]));
    let event: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(event["event"], 1);
}

#[test]
fn diff_shows_where_two_runs_part_ways() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_args");
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    record(&app, &a, &["one", "two"]);
    record(&app, &b, &["one", "three"]);

    let same = run(wasm_rr().arg("diff").arg(&a).arg(&a));
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(stdout(&same), "");

    let out = run(wasm_rr().arg("diff").arg(&a).arg(&b));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines = trace_lines(&a);
    let first = find_event(&lines, "environment.get-arguments");
    assert!(
        text.contains(&format!("the traces part ways at event {first}:")),
        "{text}"
    );
    assert!(
        text.contains("\"two\"") && text.contains("\"three\""),
        "{text}"
    );
    assert!(text.contains("events by interface from there"), "{text}");

    // Same events, another ending.
    let mut ended = lines.clone();
    let last = ended.len() - 1;
    ended[last]["end"]["exit"] = 3.into();
    let c = dir.path().join("c.json");
    write_trace_lines(&c, &ended);
    let out = run(wasm_rr().arg("diff").arg(&a).arg(&c));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("end differently:\n  A exit 0\n  B exit 3"),
        "{}",
        stdout(&out)
    );
}

/// Progress shows on a terminal (`script` gives replay one), and nowhere else.
#[test]
fn a_long_replay_shows_progress_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("clock_loop");
    let trace = dir.path().join("clock.bin");
    record(&app, &trace, &["20000"]);
    let command = format!(
        "{} replay {} {} > /dev/null",
        env!("CARGO_BIN_EXE_wasm-rr"),
        app.display(),
        trace.display()
    );
    let typescript = dir.path().join("typescript");
    let out = run(std::process::Command::new("script")
        .args(["-qec", &command])
        .arg(&typescript)
        .env("WASM_RR_PROGRESS_AFTER_MS", "0"));
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = std::fs::read_to_string(&typescript).unwrap();
    assert!(shown.contains("\rreplaying: 4096 events ("), "{shown:?}");
    // The line is cleared at the end.
    assert!(shown.contains("\r\x1b[K"), "{shown:?}");

    let plain = run(wasm_rr()
        .arg("replay")
        .arg(&app)
        .arg(&trace)
        .env("WASM_RR_PROGRESS_AFTER_MS", "0"));
    assert!(plain.status.success());
    assert_eq!(stderr(&plain), "");
}

/// `--then-live`: where the trace no longer answers, the run warns once and goes on with
/// the real host (here, with the environment `--env` gives it); without it, replay stops.
#[test]
fn then_live_goes_on_with_the_real_host_where_the_trace_ends() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_args");
    let trace = dir.path().join("args.json");
    let out = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .args(["--env", "RECORDED=1", "--", "first"]));
    assert!(out.status.success(), "{}", stderr(&out));
    // The trace, cut where the guest reads its environment.
    let lines = trace_lines(&trace);
    let environment = find_event(&lines, "environment.get-environment");
    let mut cut = lines[..environment].to_vec();
    cut.push(lines[lines.len() - 1].clone());
    write_trace_lines(&trace, &cut);

    let strict = replay(&app, &trace);
    assert_eq!(strict.status.code(), Some(125));
    assert!(stderr(&strict).contains("but the trace has no more events"));

    let live =
        run(wasm_rr()
            .arg("replay")
            .arg(&app)
            .arg(&trace)
            .args(["--then-live", "--env", "LIVE=2"]));
    assert_eq!(live.status.code(), Some(0), "{}", stderr(&live));
    let printed = stdout(&live);
    assert!(printed.contains("arg[1] = first"), "{printed}");
    assert!(
        printed.contains("env LIVE = 2") && !printed.contains("RECORDED"),
        "{printed}"
    );
    let said = stderr(&live);
    assert_eq!(said.matches("going on live from here").count(), 1, "{said}");
    assert!(
        said.contains(&format!(
            "wasm-rr: warning: at its end ({} events,",
            environment - 1
        )),
        "{said}"
    );
    assert!(said.contains("the run went on live after event"), "{said}");
}

#[test]
fn a_zstd_trace_records_replays_converts_and_is_small_for_text() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("read_stdin");
    let input: String = (0..20_000)
        .map(|n| {
            format!("{{\"line\": {n}, \"level\": \"info\", \"message\": \"request served\"}}\n")
        })
        .collect();
    let trace = dir.path().join("run.bin.zst");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .stdin(
            std::fs::File::open({
                let path = dir.path().join("input.txt");
                std::fs::write(&path, &input).unwrap();
                path
            })
            .unwrap(),
        ));
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let size = std::fs::metadata(&trace).unwrap().len();
    assert!(
        size * 10 < input.len() as u64 * 3,
        "{size} bytes of trace for {} bytes of input",
        input.len()
    );

    let replayed = replay(&app, &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));

    let summary = stdout(&run(wasm_rr().arg("inspect").arg(&trace)));
    assert!(summary.contains("(binary, zstd, format 5)"), "{summary}");

    // To JSON and back: the same bytes; `-f zstd` names the format for any file name.
    let json = dir.path().join("run.json");
    let again = dir.path().join("again.trace");
    for (from, to, format) in [(&trace, &json, None), (&json, &again, Some("zstd"))] {
        let mut convert = wasm_rr();
        convert.arg("convert").arg(from).arg(to);
        if let Some(format) = format {
            convert.args(["-f", format]);
        }
        let out = run(&mut convert);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&trace).unwrap()
    );
}
