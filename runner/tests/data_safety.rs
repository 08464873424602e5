//! Never lose a trace, never trust one blindly: the regression tests of what wasm-rr does
//! with bad options, signals, edited, cut and hostile traces.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn assert_one_line_error(out: &std::process::Output) -> String {
    let message = stderr(out);
    assert_eq!(out.status.code(), Some(125), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.starts_with("wasm-rr: error: "), "{message}");
    message
}

/// A trace of print_time, with its lines.
fn print_time_trace(dir: &Path) -> (std::path::PathBuf, Vec<Value>) {
    let trace = dir.join("time.json");
    record(&example("print_time"), &trace, &[]);
    let lines = trace_lines(&trace);
    (trace, lines)
}

#[test]
fn record_touches_no_trace_until_the_run_starts() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("existing.json");
    std::fs::write(&trace, "precious\n").unwrap();
    let app = example("print_time");
    let not_a_command = example("http_handler");
    for args in [vec!["-S", "bogus"], vec!["--dir", "/nonexistent/wasm-rr"]] {
        let out = run(wasm_rr()
            .arg("record")
            .arg(&app)
            .arg("-t")
            .arg(&trace)
            .args(&args));
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(std::fs::read_to_string(&trace).unwrap(), "precious\n");
    }
    let out = run(wasm_rr()
        .arg("record")
        .arg(&not_a_command)
        .arg("-t")
        .arg(&trace));
    let message = assert_one_line_error(&out);
    assert!(
        message.contains("is an HTTP handler, not a command"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&trace).unwrap(), "precious\n");

    // The app itself, as the trace.
    let copy = dir.path().join("app.wasm");
    std::fs::copy(&app, &copy).unwrap();
    let out = run(wasm_rr().arg("record").arg(&copy).arg("-t").arg(&copy));
    let message = assert_one_line_error(&out);
    assert!(message.contains("is the app itself"), "{message}");
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&app).unwrap());
}

/// Records read_stdin with stdin kept open after `input`, stops wasm-rr with `signal`, and
/// gives its exit status and stderr.
fn record_interrupted(trace: &Path, input: &[u8], signal: &str) -> (Option<i32>, String) {
    let mut child = wasm_rr()
        .arg("record")
        .arg(example("read_stdin"))
        .arg("-t")
        .arg(trace)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    stdin.flush().unwrap();
    // The guest reads the input and blocks for more: wait until its read is in the file
    // (the writer takes events that wait 0.1 s there itself).
    let text = String::from_utf8_lossy(input).escape_debug().to_string();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let written = std::fs::read(trace).unwrap_or_default();
        if written.windows(input.len()).any(|w| w == input)
            || String::from_utf8_lossy(&written).contains(&text)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    (out.status.code(), stderr(&out))
}

#[test]
fn an_interrupted_recording_ends_its_trace_and_replays_up_to_there() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, name, status) in [("-INT", "SIGINT", 130), ("-TERM", "SIGTERM", 143)] {
        let trace = dir.path().join(format!("{name}.json"));
        let (code, message) = record_interrupted(&trace, b"first line\nsecond\n", signal);
        assert_eq!(code, Some(status), "{message}");
        assert!(
            message.contains(&format!("interrupted by {name}")),
            "{message}"
        );
        let lines = trace_lines(&trace);
        let end = lines.last().map(|end| &end["end"]);
        assert_eq!(end, Some(&json!({"interrupted": name})));
        let text = std::fs::read_to_string(&trace).unwrap();
        assert!(text.contains("first line\\nsecond\\n"), "{text}");

        let out = replay(&example("read_stdin"), &trace);
        assert_eq!(out.status.code(), Some(status), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("interrupted by {name}")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_recording_killed_with_sigkill_leaves_what_it_had_read() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["killed.json", "killed.bin", "killed.bin.zst"] {
        let trace = dir.path().join(name);
        let (code, _) = record_interrupted(&trace, b"first line\nsecond\n", "-KILL");
        assert_eq!(code, None, "killed by a signal");
        // The writer puts events in the file within a tenth of a second (a zstd trace's
        // in a block of its own).
        let events = stdout(&run(wasm_rr().arg("inspect").arg("--events").arg(&trace)));
        assert!(
            events.contains("first line\\nsecond\\n"),
            "{name}: {events}"
        );
        let out = replay(&example("read_stdin"), &trace);
        let message = assert_one_line_error(&out);
        assert!(message.contains("was cut short after event"), "{message}");
    }
}

#[test]
fn a_trace_cut_short_reads_up_to_its_last_whole_event() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    for name in ["time.json", "time.bin"] {
        let trace = dir.path().join(name);
        record(&app, &trace, &[]);
        // As SIGKILL leaves it: no end, and the last event half written.
        let bytes = std::fs::read(&trace).unwrap();
        let end = if name.ends_with(".json") {
            bytes[..bytes.len() - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .unwrap()
        } else {
            bytes.len() - 12
        };
        let cut = dir.path().join(format!("cut-{name}"));
        std::fs::write(&cut, &bytes[..end - 3]).unwrap();

        let out = replay(&app, &cut);
        let message = assert_one_line_error(&out);
        assert!(message.contains("was cut short after event"), "{message}");
        let out = run(wasm_rr()
            .arg("convert")
            .arg(&cut)
            .arg(dir.path().join("converted.json")));
        let message = assert_one_line_error(&out);
        assert!(message.contains("was cut short after event"), "{message}");
        assert!(!dir.path().join("converted.json").exists());
    }
}

#[test]
fn convert_never_destroys_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, _) = print_time_trace(dir.path());
    let before = std::fs::read(&trace).unwrap();
    let out = run(wasm_rr().arg("convert").arg(&trace).arg(&trace));
    let message = assert_one_line_error(&out);
    assert!(
        message.contains("both the input and the output"),
        "{message}"
    );
    assert_eq!(std::fs::read(&trace).unwrap(), before);

    // A bad input leaves an existing output as it was, and no temporary file.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, &before[..before.len() / 2]).unwrap();
    let existing = dir.path().join("existing.bin");
    std::fs::write(&existing, "precious").unwrap();
    let out = run(wasm_rr().arg("convert").arg(&bad).arg(&existing));
    assert_one_line_error(&out);
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "precious");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn replay_checks_how_the_run_ended_and_refuses_what_follows_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let (trace, lines) = print_time_trace(dir.path());
    let last = lines.len() - 1;
    for (end, expected) in [
        (
            json!({"end": {"exit": 7}}),
            "the guest ended with exit 0, but the recording ended with exit 7",
        ),
        (
            json!({"end": {"trap": "wasm trap: wasm `unreachable` instruction executed"}}),
            "the guest ended with exit 0, but the recording ended with a trap",
        ),
    ] {
        let mut edited = lines.clone();
        edited[last] = end;
        write_trace_lines(&trace, &edited);
        let out = replay(&app, &trace);
        let message = assert_one_line_error(&out);
        assert!(message.contains(expected), "{message}");
    }
    write_trace_lines(&trace, &lines);
    let text = std::fs::read_to_string(&trace).unwrap();
    std::fs::write(&trace, format!("{text}garbage\n")).unwrap();
    let message = assert_one_line_error(&replay(&app, &trace));
    assert!(
        message.contains("a line after the end of the trace"),
        "{message}"
    );

    // Binary: a byte after the end.
    let binary = dir.path().join("time.bin");
    record(&app, &binary, &[]);
    let mut bytes = std::fs::read(&binary).unwrap();
    bytes.push(0);
    std::fs::write(&binary, bytes).unwrap();
    let message = assert_one_line_error(&replay(&app, &binary));
    assert!(
        message.contains("bytes after the end of the trace"),
        "{message}"
    );
}

#[test]
fn a_result_beyond_what_the_guest_asked_is_a_divergence_naming_the_event() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_random");
    let trace = dir.path().join("random.json");
    record(&app, &trace, &[]);
    let lines = trace_lines(&trace);
    let index = find_event(&lines, "random.get-random-bytes");
    for (bytes, expected) in [
        (3, "3 random bytes where the guest asked for exactly 16"),
        (32, "32 random bytes where the guest asked for exactly 16"),
    ] {
        let mut edited = lines.clone();
        edited[index]["random.get-random-bytes"]["result"] =
            json!({"base64": base64_of(&vec![7u8; bytes])});
        write_trace_lines(&trace, &edited);
        let message = assert_one_line_error(&replay(&app, &trace));
        assert!(
            message.contains(&format!("at event {index} (")),
            "{message}"
        );
        assert!(message.contains(expected), "{message}");
        assert!(
            message.contains("wasi:random/random.get-random-bytes"),
            "{message}"
        );
    }

    // A read of more bytes than asked for.
    let app = example("read_stdin");
    let trace = dir.path().join("stdin.json");
    let out = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .stdin(
            std::fs::File::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap(),
        ));
    assert!(out.status.success(), "{}", stderr(&out));
    let mut lines = trace_lines(&trace);
    let index = lines
        .iter()
        .position(|line| {
            line.get("input-stream.blocking-read").is_some()
                || line.get("input-stream.read").is_some()
        })
        .unwrap();
    let (name, call) = lines[index].as_object().unwrap().iter().next().unwrap();
    let name = name.clone();
    let asked = call["len"].as_u64().unwrap() as usize;
    lines[index][&name]["result"] = json!({"ok": "x".repeat(asked + 100)});
    write_trace_lines(&trace, &lines);
    let message = assert_one_line_error(&replay(&app, &trace));
    assert!(
        message.contains(&format!(
            "{} bytes read where the guest asked for at most {asked}",
            asked + 100
        )),
        "{message}"
    );
}

fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn output_is_not_input_but_a_difference_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let (trace, lines) = print_time_trace(dir.path());
    let write = find_event(&lines, "output-stream.write");

    // The recording printed less than the replay: the replay goes on, and says where.
    let mut fewer = lines.clone();
    fewer.remove(write);
    write_trace_lines(&trace, &fewer);
    let out = replay(&app, &trace);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains(&format!(
            "output differs from the recording's, first at event {write} ("
        )) && message.contains("the replay made wasi:io/streams.output-stream.write(stream: 1"),
        "{message}"
    );

    // The recording printed more.
    let mut more = lines.clone();
    more.insert(lines.len() - 1, lines[write].clone());
    write_trace_lines(&trace, &more);
    let out = replay(&app, &trace);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the recording wrote more output than the replay"),
        "{}",
        stderr(&out)
    );

    // The same output: nothing said.
    write_trace_lines(&trace, &lines);
    let out = replay(&app, &trace);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
}

#[test]
fn hostile_traces_cost_bounded_memory_and_get_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let (trace, lines) = print_time_trace(dir.path());
    let header = lines[0].to_string();

    // 2 GB of zeros (sparse), and /dev/zero.
    let zeros = dir.path().join("zeros.json");
    std::fs::File::create(&zeros)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let dev_zero = Path::new("/dev/zero");
    // A binary trace whose first block claims 4 GB, and one of format 4 whose first
    // record does.
    let huge_block = dir.path().join("huge.bin");
    let mut bytes = b"wasm-rr binary trace\n".to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(&[2, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    bytes.extend_from_slice(&[0; 1 << 16]);
    std::fs::write(&huge_block, bytes).unwrap();
    let huge_length = dir.path().join("huge-4.bin");
    let mut bytes = b"wasm-rr binary trace\n".to_vec();
    let mut header_4 = lines[0].clone();
    header_4["wasm_rr_trace"] = json!(4);
    bytes.extend_from_slice(header_4.to_string().as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    bytes.extend_from_slice(&[0; 1 << 16]);
    std::fs::write(&huge_length, bytes).unwrap();
    // A JSON event of 40 MB.
    let huge_line = dir.path().join("line.json");
    let mut file = std::fs::File::create(&huge_line).unwrap();
    write!(
        file,
        "{header}\n{{\"random.get-random-bytes\":{{\"len\":16,\"result\":\""
    )
    .unwrap();
    for _ in 0..40 {
        file.write_all(&[b'a'; 1 << 20]).unwrap();
    }
    file.write_all(b"\"}}\n").unwrap();
    drop(file);
    drop(trace);

    for (path, expected) in [
        (zeros.as_path(), "a line longer than"),
        (dev_zero, "a line longer than"),
        (huge_block.as_path(), "more than a trace block may hold"),
        (huge_length.as_path(), "more than a trace record may hold"),
        (huge_line.as_path(), "a line longer than"),
    ] {
        let (code, peak_kib) = peak_memory(
            &["replay".as_ref(), app.as_os_str(), path.as_os_str()],
            std::fs::File::create(dir.path().join("err.txt")).unwrap(),
        );
        let message = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
        println!("{}: peak {peak_kib} KiB", path.display());
        assert_eq!(code, Some(125), "{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains(expected), "{}: {message}", path.display());
        assert!(
            peak_kib < 64 << 10,
            "{}: peak {peak_kib} KiB",
            path.display()
        );
    }
}

#[test]
fn messages_say_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let (trace, lines) = print_time_trace(dir.path());

    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "").unwrap();
    let message = assert_one_line_error(&replay(&app, &empty));
    assert!(
        message.ends_with(&format!(
            "{}: empty file: not a wasm-rr trace\n",
            empty.display()
        )),
        "{message}"
    );

    // A binary header fault is on the header's line, not at an event.
    let binary = dir.path().join("bad-header.bin");
    std::fs::write(&binary, "wasm-rr binary trace\n{\"wasm_rr_trace\":4}\n").unwrap();
    let message = assert_one_line_error(&replay(&app, &binary));
    assert!(
        message.contains(&format!(
            "{}:2: not a wasm-rr trace header",
            binary.display()
        )),
        "{message}"
    );
    assert!(!message.contains("event"), "{message}");

    // An older format is named, with this wasm-rr's.
    let mut old = lines.clone();
    old[0]["wasm_rr_trace"] = json!(3);
    write_trace_lines(&trace, &old);
    let message = assert_one_line_error(&replay(&app, &trace));
    assert!(
        message
            .contains("trace format 3 is not supported: this wasm-rr (0.1.0) reads formats 4 to 5"),
        "{message}"
    );

    // Invalid UTF-8 is on its line.
    let mut bytes = format!("{}\n{}\n", lines[0], lines[1]).into_bytes();
    bytes.extend_from_slice(b"{\"wall-clock.now\xff\"}\n");
    std::fs::write(&trace, bytes).unwrap();
    let message = assert_one_line_error(&replay(&app, &trace));
    assert!(
        message.contains(&format!(
            "{}:3: a line that is not UTF-8 text",
            trace.display()
        )),
        "{message}"
    );

    // An unknown event is named, and the known ones are not all listed.
    let mut unknown = lines.clone();
    unknown[1] = json!({"wall-clock.later": {"result": 1}});
    write_trace_lines(&trace, &unknown);
    let message = assert_one_line_error(&replay(&app, &trace));
    assert!(
        message.ends_with(":2: unknown event `wall-clock.later`\n"),
        "{message}"
    );
}

#[test]
fn every_documented_wasi_option_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&run(wasm_rr().args(["record", "--help"])));
    for key in [
        "inherit-network",
        "allow-ip-name-lookup",
        "tcp",
        "udp",
        "cli",
        "http",
        "config",
        "keyvalue",
    ] {
        assert!(help.contains(&format!("- {key}: ")), "{help}");
        for value in ["", "=y", "=n"] {
            let out = run(wasm_rr()
                .arg("record")
                .arg(example("print_time"))
                .arg("-t")
                .arg(dir.path().join("t.json"))
                .arg(format!("-S{key}{value}")));
            assert!(out.status.success(), "-S {key}{value}: {}", stderr(&out));
        }
    }
    let out = run(wasm_rr()
        .arg("run")
        .arg(example("print_time"))
        .arg("-Sbogus"));
    assert!(
        stderr(&out).contains(
            "unknown WASI option `bogus` (known: inherit-network, allow-ip-name-lookup, tcp, udp, cli, http, p3, config, config-var, keyvalue, keyvalue-in-memory-data)"
        ),
        "{}",
        stderr(&out)
    );

    // The keys that take a NAME=VALUE take only that.
    for key in ["config-var", "keyvalue-in-memory-data"] {
        assert!(help.contains(&format!("- {key}: ")), "{help}");
        let out = run(wasm_rr()
            .arg("run")
            .arg(example("print_time"))
            .arg(format!("-S{key}=name=value")));
        assert!(
            out.status.success(),
            "-S {key}=name=value: {}",
            stderr(&out)
        );
        for bad in ["", "=y", "=novalue"] {
            let out = run(wasm_rr()
                .arg("run")
                .arg(example("print_time"))
                .arg(format!("-S{key}{bad}")));
            assert_eq!(
                out.status.code(),
                Some(125),
                "-S {key}{bad}: {}",
                stderr(&out)
            );
            assert!(stderr(&out).contains("NAME=VALUE"), "{}", stderr(&out));
        }
    }

    // -S tcp=n takes TCP away, as under wasmtime.
    let trace = dir.path().join("tcp.json");
    let out = run(wasm_rr()
        .arg("record")
        .arg(example("tcp_echo_client"))
        .arg("-t")
        .arg(&trace)
        .args([
            "-S",
            "inherit-network",
            "-S",
            "tcp=n",
            "--",
            "127.0.0.1:9",
            "hello",
        ]));
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(
        std::fs::read_to_string(&trace)
            .unwrap()
            .contains("access-denied"),
        "{}",
        std::fs::read_to_string(&trace).unwrap()
    );
}

/// Replay hands the interposer events in batches (up to 256 at once), which must not blur
/// where a replay goes wrong: a divergence in the middle of a batch, a guest that exits or
/// returns with events of a batch unused, and extra output, all name the exact event.
#[test]
fn events_handed_out_in_batches_are_counted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("clock_loop");
    let trace = dir.path().join("loop.json");
    record(&app, &trace, &["1000"]);
    let lines = trace_lines(&trace);
    let now = find_event(&lines, "wall-clock.now");
    let event = |line: usize| line; // event N is on line N + 1, lines index from 0
    let edited = |edit: &dyn Fn(&mut Vec<Value>)| {
        let mut lines = lines.clone();
        edit(&mut lines);
        write_trace_lines(&trace, &lines);
        replay(&app, &trace)
    };

    // A divergence deep inside a batch.
    let at = now + 600;
    let out = edited(&|lines| {
        lines[at] = json!({"wall-clock.resolution": {"result": {"seconds": 0, "nanoseconds": 1}}})
    });
    let message = assert_one_line_error(&out);
    let expected = format!("at event {} (", event(at));
    assert!(message.contains(&expected), "{expected}: {message}");
    assert!(message.contains(&format!(":{}):", at + 1)), "{message}");

    // More clock reads than the guest makes: it returns with a batch half used.
    let extra = lines[now].clone();
    let end = lines.len() - 1;
    let out = edited(&|lines| {
        for _ in 0..10 {
            lines.insert(end - 1, extra.clone());
        }
    });
    let message = assert_one_line_error(&out);
    // The first extra read is event `end - 1`, which the guest's output (its println, which
    // the recording made after the reads) found in its place: the guest used none of the
    // extra reads, so the trace's events are left from the first one on, as when they are
    // handed out one at a time.
    let expected = format!("at event {} (", event(end - 1));
    assert!(message.contains(&expected), "{expected}: {message}");
    assert!(
        message.contains("the trace holds more events, starting with wasi:clocks/wall-clock.now()"),
        "{message}"
    );

    // Extra reads after the guest's output: it returns with them handed out but unused,
    // and the host asks for them back (rr:log/replay-state).
    let out = edited(&|lines| {
        for _ in 0..10 {
            lines.insert(end, extra.clone());
        }
    });
    let message = assert_one_line_error(&out);
    assert!(
        message.contains(&format!("at event {} (", event(end))),
        "{message}"
    );
    assert!(
        message.contains("starting with wasi:clocks/wall-clock.now()"),
        "{message}"
    );

    // The extra reads before the output again, in a binary trace: the same event.
    edited(&|lines| {
        for _ in 0..10 {
            lines.insert(end - 1, extra.clone());
        }
    });
    let binary = dir.path().join("loop.bin");
    let out = run(wasm_rr().arg("convert").arg(&trace).arg(&binary));
    assert!(out.status.success(), "{}", stderr(&out));
    let message = assert_one_line_error(&replay(&app, &binary));
    assert!(
        message.contains(&format!("at event {} (", event(end - 1))),
        "{message}"
    );
}

/// A component composed by another wasm-rr imports another `rr:log`: the error says so, and
/// what to do, in one line.
#[test]
fn a_component_composed_by_another_version_is_named_so() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("old.rr.wasm");
    let old = r#"(component
      (import "rr:log/log@0.1.0" (instance
        (export "next" (func (result (option (list u8)))))))
      (core module $m (func (export "run") (result i32) (i32.const 0)))
      (core instance $i (instantiate $m))
      (func $run (result (result)) (canon lift (core func $i "run")))
      (instance $r (export "run" (func $run)))
      (export "wasi:cli/run@0.2.12" (instance $r)))"#;
    std::fs::write(&app, wat::parse_str(old).unwrap()).unwrap();
    let out = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(dir.path().join("t.json")));
    let message = assert_one_line_error(&out);
    assert!(
        message.contains("composed by another version of wasm-rr; compose the app again"),
        "{message}"
    );
    assert!(!dir.path().join("t.json").exists());
}
