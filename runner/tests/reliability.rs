//! Regression tests of a hostile review (issue #19): outputs written as `cp` writes them,
//! traces that prove they are intact, readers bounded on any input, a damaged cache, and
//! messages that say what and where. Serving's share is in `serve_reliability.rs`.

mod common;

use common::*;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use wasm_rr_trace::file::{Creation, Format, TraceReader, TraceWriter};
use wasm_rr_trace::{stream, Bytes, Event, OutputStreamWrite, StreamResult};

fn assert_one_line_error(out: &Output) -> String {
    let message = stderr(out);
    assert_eq!(out.status.code(), Some(125), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.starts_with("wasm-rr: error: "), "{message}");
    message
}

/// xorshift64*: the same cases on every machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1) as u64) as usize
    }
}

/// Where a trace's events start: after its first line (JSON) or first two (binary).
fn events_start(bytes: &[u8], lines: usize) -> usize {
    let mut at = 0;
    for _ in 0..lines {
        at += bytes[at..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
    }
    at
}

fn make_fifo(path: &Path) {
    let path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
}

#[test]
fn outputs_are_written_through_devices_fifos_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let trace = dir.path().join("t.json");
    record(&app, &trace, &[]);

    // A device node like /dev/null (made here: the real one must never be at stake).
    let device = dir.path().join("null");
    let path = std::ffi::CString::new(device.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid path; makedev(1, 3) is /dev/null's device number.
    let made = unsafe { libc::mknod(path.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if made == 0 {
        for index in 0..COMMANDS_THAT_WRITE {
            let (command, out) = write_one(&app, &trace, &device, index);
            assert!(out.status.success(), "{command}: {}", stderr(&out));
            let kind = std::fs::symlink_metadata(&device).unwrap().file_type();
            assert!(kind.is_char_device(), "{command} replaced the device");
        }
    } else {
        println!("skipped the device node: mknod needs privileges here");
    }

    // A FIFO: what is written goes to its reader.
    let fifo = dir.path().join("fifo");
    make_fifo(&fifo);
    for index in 0..COMMANDS_THAT_WRITE {
        let reader_path = fifo.clone();
        let reader = std::thread::spawn(move || std::fs::read(reader_path).unwrap());
        let (command, out) = write_one(&app, &trace, &fifo, index);
        assert!(out.status.success(), "{command}: {}", stderr(&out));
        let read = reader.join().unwrap();
        assert!(!read.is_empty(), "{command} wrote nothing into the FIFO");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }

    // A symbolic link: written through, the link stays.
    let target = dir.path().join("target.out");
    let link = dir.path().join("link.out");
    std::os::unix::fs::symlink("target.out", &link).unwrap();
    for index in 0..COMMANDS_THAT_WRITE {
        std::fs::write(&target, "old").unwrap();
        let (command, out) = write_one(&app, &trace, &link, index);
        assert!(out.status.success(), "{command}: {}", stderr(&out));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{command} replaced the link"
        );
        assert_ne!(std::fs::read(&target).unwrap(), b"old", "{command}");
    }
}

/// How many commands write a file: `compose -o`, `bundle -o`, `convert`, `record -t`.
const COMMANDS_THAT_WRITE: usize = 4;

/// The command that writes a file numbered `index`, writing to `output`.
fn write_one(app: &Path, trace: &Path, output: &Path, index: usize) -> (String, Output) {
    let arg = output.as_os_str();
    let (name, args): (&str, Vec<&std::ffi::OsStr>) = match index {
        0 => (
            "compose",
            vec!["compose".as_ref(), app.as_os_str(), "-o".as_ref(), arg],
        ),
        1 => (
            "bundle",
            vec![
                "bundle".as_ref(),
                app.as_os_str(),
                trace.as_os_str(),
                "-o".as_ref(),
                arg,
            ],
        ),
        2 => ("convert", vec!["convert".as_ref(), trace.as_os_str(), arg]),
        _ => (
            "record",
            vec!["record".as_ref(), app.as_os_str(), "-t".as_ref(), arg],
        ),
    };
    (name.to_string(), run(wasm_rr().args(args)))
}

/// print_time's trace in `format`, rewritten with `edit` applied to every event's wire
/// bytes (the trace stays intact: its checksums are the writer's).
fn rewritten_trace(
    dir: &Path,
    name: &str,
    format: Format,
    edit: impl Fn(usize, Vec<u8>, usize) -> Vec<u8>,
) -> PathBuf {
    let recorded = dir.join(format!("recorded-{name}"));
    record(&example("print_time"), &recorded, &[]);
    let (mut reader, header) = TraceReader::open(&recorded).unwrap();
    let mut events = Vec::new();
    while let Some(event) = reader.next_event_bytes().unwrap() {
        events.push(event);
    }
    let outcome = reader.outcome().cloned().unwrap();
    let path = dir.join(name);
    let mut writer = TraceWriter::create(&path, &header, format, Creation::Replace).unwrap();
    let count = events.len();
    for (index, event) in events.into_iter().enumerate() {
        writer.event_bytes(&edit(index, event, count)).unwrap();
    }
    writer.finish(outcome).unwrap();
    path
}

#[test]
fn an_undecodable_event_is_an_error_everywhere_outputs_included() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    for (name, format) in [("t.bin", Format::Binary), ("t.bin.zst", Format::Zstd)] {
        // The last event is print_time's write to stdout: its id made unknown (999).
        let trace = rewritten_trace(dir.path(), name, format, |index, mut bytes, count| {
            if index + 1 == count {
                assert_eq!(Event::optional_output_of(&bytes), Some(stream::STDOUT));
                bytes.splice(0..1, [0xe7, 0x07]);
            }
            bytes
        });
        let message = assert_one_line_error(&replay(&app, &trace));
        assert!(message.contains("unknown event id 999"), "{message}");
        let message = assert_one_line_error(&run(wasm_rr().arg("inspect").arg(&trace)));
        assert!(message.contains("unknown event id 999"), "{message}");
        assert!(!message.contains(": event 3: event"), "nested: {message}");
        let out = run(wasm_rr()
            .arg("bundle")
            .arg(&app)
            .arg(&trace)
            .arg("-o")
            .arg(dir.path().join("b.wasm")));
        let message = assert_one_line_error(&out);
        assert!(message.contains("unknown event id 999"), "{message}");
        assert!(!dir.path().join("b.wasm").exists());
    }
}

#[test]
fn every_flipped_bit_of_a_stdin_trace_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("read_stdin");
    let input: String = (0..2000)
        .map(|i| format!("line {i} of the input\n"))
        .collect();
    let mut rng = Rng(0x5eed_0019);
    for (name, header_lines, flips) in [("t.bin", 2, 100), ("t.bin.zst", 0, 40), ("t.json", 1, 40)]
    {
        let trace = dir.path().join(name);
        let out = run(wasm_rr()
            .arg("record")
            .arg(&app)
            .arg("-t")
            .arg(&trace)
            .stdin(stdin_file(dir.path(), input.as_bytes())));
        assert!(out.status.success(), "{}", stderr(&out));
        let good = std::fs::read(&trace).unwrap();
        let start = events_start(&good, header_lines);
        let flipped = dir.path().join(format!("flipped-{name}"));
        for _ in 0..flips {
            let mut bytes = good.clone();
            let at = start + rng.below(good.len() - start);
            bytes[at] ^= 1 << rng.below(8);
            std::fs::write(&flipped, &bytes).unwrap();
            let out = replay(&app, &flipped);
            assert_ne!(
                out.status.code(),
                Some(0),
                "{name}: a flip at byte {at} replayed: {}",
                stderr(&out)
            );
            assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        }
    }
}

/// A file holding `input`, in `dir`, to give a command as its stdin.
fn stdin_file(dir: &Path, input: &[u8]) -> std::fs::File {
    let path = dir.join("stdin");
    std::fs::write(&path, input).unwrap();
    std::fs::File::open(path).unwrap()
}

#[test]
fn a_trace_of_only_outputs_is_reported_at_the_guest_s_first_call() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let recorded = dir.path().join("r.json");
    record(&app, &recorded, &[]);
    let (_, header) = TraceReader::open(&recorded).unwrap();
    // 200,000 writes to stdout, which print_time never makes before reading the clock.
    let hostile = dir.path().join("outputs.bin.zst");
    let mut writer =
        TraceWriter::create(&hostile, &header, Format::Zstd, Creation::Replace).unwrap();
    let write: Event = OutputStreamWrite {
        stream: stream::STDOUT,
        len: 2,
        digest: wasm_rr_trace::digest(b"x\n"),
        result: StreamResult::Ok(()),
    }
    .into();
    for _ in 0..200_000 {
        writer.event(&write).unwrap();
    }
    writer.finish(wasm_rr_trace::Outcome::Exit(0)).unwrap();
    let message = assert_one_line_error(&replay(&app, &hostile));
    assert!(
        message.contains("at event 65537 (")
            && message.contains(
                "more than 65536 outputs in a row that the replay did not make, the first of them 65536 events before this one: wasi:io/streams.output-stream.write("
            ),
        "{message}"
    );
    assert!(
        message.contains("the guest called wasi:clocks/wall-clock.now()"),
        "{message}"
    );
}

#[test]
fn a_zstd_window_past_8_mib_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let binary = dir.path().join("t.bin");
    record(&app, &binary, &[]);
    let long = dir.path().join("long.bin.zst");
    let mut encoder =
        zstd::stream::Encoder::new(std::fs::File::create(&long).unwrap(), 19).unwrap();
    encoder.window_log(27).unwrap();
    encoder.long_distance_matching(true).unwrap();
    encoder.write_all(&std::fs::read(&binary).unwrap()).unwrap();
    encoder.finish().unwrap();
    for command in ["replay", "inspect"] {
        let mut args = vec![command.as_ref(), long.as_os_str()];
        if command == "replay" {
            args.insert(1, app.as_os_str());
        }
        let (code, peak_kib) = peak_memory(
            &args,
            std::fs::File::create(dir.path().join("err.txt")).unwrap(),
        );
        let message = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
        assert_eq!(code, Some(125), "{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains("window is larger than 8 MiB"), "{message}");
        assert!(peak_kib < 64 << 10, "{command}: peak {peak_kib} KiB");
    }
}

#[test]
fn bundle_refuses_a_trace_past_its_limit_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("read_stdin");
    let recorded = dir.path().join("r.json");
    let out = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&recorded)
        .stdin(stdin_file(dir.path(), b"hello\n")));
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, header) = TraceReader::open(&recorded).unwrap();
    // 140 MiB of stdin in 64 KiB reads, compressed to almost nothing.
    let hostile = dir.path().join("big.bin.zst");
    let mut writer =
        TraceWriter::create(&hostile, &header, Format::Zstd, Creation::Replace).unwrap();
    let read: Event = wasm_rr_trace::InputStreamRead {
        stream: stream::STDIN,
        len: 65536,
        result: StreamResult::Ok(Bytes(vec![b'a'; 65536])),
    }
    .into();
    for _ in 0..(140 << 4) {
        writer.event(&read).unwrap();
    }
    writer.finish(wasm_rr_trace::Outcome::Exit(0)).unwrap();
    let output = dir.path().join("b.wasm");
    let (code, peak_kib) = peak_memory(
        &[
            "bundle".as_ref(),
            app.as_os_str(),
            hostile.as_os_str(),
            "-o".as_ref(),
            output.as_os_str(),
        ],
        std::fs::File::create(dir.path().join("err.txt")).unwrap(),
    );
    let message = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
    assert_eq!(code, Some(125), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("more than a bundle holds"), "{message}");
    assert!(peak_kib < 256 << 10, "peak {peak_kib} KiB");
    assert!(!output.exists());
}

#[test]
fn a_damaged_compile_cache_is_compiled_again() {
    let cache = tempfile::tempdir().unwrap();
    let app = example("print_args");
    let plain = || {
        run(wasm_rr()
            .env("WASM_RR_CACHE_DIR", cache.path())
            .arg("run")
            .arg(&app)
            .args(["--", "one", "two"]))
    };
    let reference = plain();
    assert!(reference.status.success(), "{}", stderr(&reference));
    let recorded = dir_record(cache.path(), &app);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let entries: Vec<PathBuf> = files_in(cache.path())
        .into_iter()
        .filter(|path| {
            let name = path.to_string_lossy();
            name.ends_with(".cwasm") || name.ends_with("functions.pack")
        })
        .collect();
    assert!(entries.len() >= 2, "{entries:?}");
    let mut rng = Rng(0xcac4e);
    for round in 0..3 {
        for entry in &entries {
            let Ok(mut bytes) = std::fs::read(entry) else {
                continue;
            };
            for _ in 0..64 {
                let at = rng.below(bytes.len());
                bytes[at] ^= 0x5a;
            }
            std::fs::write(entry, bytes).unwrap();
        }
        let again = plain();
        assert_eq!(
            again.status.code(),
            Some(0),
            "round {round}: {}",
            stderr(&again)
        );
        assert_eq!(stdout(&again), stdout(&reference));
        let again = dir_record(cache.path(), &app);
        assert_eq!(
            again.status.code(),
            Some(0),
            "round {round}: {}",
            stderr(&again)
        );
    }
}

fn dir_record(cache: &Path, app: &Path) -> Output {
    run(wasm_rr()
        .env("WASM_RR_CACHE_DIR", cache)
        .arg("record")
        .arg(app)
        .arg("-t")
        .arg(cache.join("t.json")))
}

#[test]
fn messages_say_what_and_where_for_odd_traces() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let json = dir.path().join("t.json");
    record(&app, &json, &[]);

    // A FIFO is a trace like any file.
    let fifo = dir.path().join("fifo");
    make_fifo(&fifo);
    let text = std::fs::read(&json).unwrap();
    let feeder_path = fifo.clone();
    let feeder = std::thread::spawn(move || std::fs::write(feeder_path, text).unwrap());
    let out = replay(&app, &fifo);
    feeder.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // A zstd trace cut inside its first block.
    let zstd = dir.path().join("t.bin.zst");
    record(&app, &zstd, &[]);
    let bytes = std::fs::read(&zstd).unwrap();
    let cut = dir.path().join("cut.bin.zst");
    std::fs::write(&cut, &bytes[..12]).unwrap();
    let message = assert_one_line_error(&replay(&app, &cut));
    assert!(message.contains("cut short before its header"), "{message}");
    assert!(!message.contains("empty file"), "{message}");

    // A malformed end line is named as an end.
    let text = std::fs::read_to_string(&json).unwrap();
    let end = text.rfind("{\"end\"").unwrap();
    let bad_end = dir.path().join("bad-end.json");
    std::fs::write(
        &bad_end,
        format!("{}{{\"end\":{{\"exit\":\"zero\"}}}}\n", &text[..end]),
    )
    .unwrap();
    let message = assert_one_line_error(&replay(&app, &bad_end));
    assert!(message.contains("an end that does not decode"), "{message}");
    assert!(!message.contains("unknown event `end`"), "{message}");

    // A cut trace does not claim to know why.
    let cut_json = dir.path().join("cut.json");
    std::fs::write(&cut_json, &text[..end]).unwrap();
    let out = run(wasm_rr()
        .arg("convert")
        .arg(&cut_json)
        .arg(dir.path().join("c.bin")));
    assert!(
        stderr(&out).contains("its recording was killed, crashed or could not write the rest"),
        "{}",
        stderr(&out)
    );

    // diff of two apps' traces says so and exits 1.
    let other = dir.path().join("other.json");
    record(&example("hello"), &other, &[]);
    let hello_again = dir.path().join("hello-again.json");
    record(&example("hello"), &hello_again, &[]);
    let mut header: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&json)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    header["app_sha256"] = "00".repeat(32).into();
    let lines = trace_lines(&hello_again);
    let mut relabelled = lines.clone();
    relabelled[0] = header;
    write_trace_lines(&hello_again, &relabelled);
    let out = run(wasm_rr().arg("diff").arg(&other).arg(&hello_again));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("recorded from different apps"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn convert_upgrades_a_trace_of_format_4() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_time");
    let json = dir.path().join("t.json");
    record(&app, &json, &[]);
    // Format 4: no digest at the end.
    let mut lines = trace_lines(&json);
    lines[0]["wasm_rr_trace"] = 4.into();
    write_trace_lines(&json, &lines);
    let out = replay(&app, &json);
    assert!(out.status.success(), "{}", stderr(&out));
    let upgraded = dir.path().join("u.json");
    let out = run(wasm_rr().arg("convert").arg(&json).arg(&upgraded));
    assert!(out.status.success(), "{}", stderr(&out));
    let upgraded_lines = trace_lines(&upgraded);
    assert_eq!(
        upgraded_lines[0]["wasm_rr_trace"],
        wasm_rr_trace::FORMAT_VERSION
    );
    assert!(upgraded_lines.last().unwrap()["crc32c"].is_string());
    let out = replay(&app, &upgraded);
    assert!(out.status.success(), "{}", stderr(&out));
}
