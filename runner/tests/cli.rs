//! End-to-end tests of the `wasm-rr` command: real wasmtime, real WASI, real trace files.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

#[test]
fn replay_two_seconds_later_in_another_environment_prints_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("time.json");
    let recorded = record(&example("print_time"), &trace, &[]);
    std::thread::sleep(Duration::from_secs(2));
    let replayed = run(wasm_rr()
        .arg("replay")
        .arg(example("print_time"))
        .arg(&trace)
        .env("TZ", "Asia/Kolkata")
        .env("WASM_RR_TEST", "different")
        .current_dir(dir.path()));
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(
        stdout(&recorded).starts_with("unix time: "),
        "{}",
        stdout(&recorded)
    );
    assert_eq!(stdout(&replayed), stdout(&recorded));
    assert_eq!(stderr(&replayed), "");
}

#[test]
fn default_trace_is_wasm_rr_trace_json() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("print_random");
    let recorded = run(wasm_rr().arg("record").arg(&app).current_dir(dir.path()));
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert!(dir.path().join("wasm-rr-trace.json").is_file());
    let replayed = run(wasm_rr().arg("replay").arg(&app).current_dir(dir.path()));
    assert_eq!(stdout(&replayed), stdout(&recorded));
}

#[test]
fn arguments_and_environment_come_from_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("args.json");
    let app = example("print_args");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .args([
            "-t",
            trace.to_str().unwrap(),
            "--env",
            "GREETING=hello there",
            "--env",
            "WASM_RR_INHERITED",
        ])
        .args(["--", "hello", "world"])
        .env("WASM_RR_INHERITED", "from the host"));
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let text = stdout(&recorded);
    assert!(text.contains("arg[1] = hello\narg[2] = world\n"), "{text}");
    assert!(text.contains("env GREETING = hello there\n"), "{text}");
    assert!(
        text.contains("env WASM_RR_INHERITED = from the host\n"),
        "{text}"
    );
    assert!(
        !text.contains("env PATH"),
        "the host environment leaked: {text}"
    );
    let replayed = replay(&app, &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), text);
}

#[test]
fn stdin_is_recorded_and_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("stdin.json");
    let app = example("read_stdin");
    let mut child = wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &input).unwrap();
    drop(child.stdin.take());
    let recorded = child.wait_with_output().unwrap();
    assert!(recorded.status.success());
    assert!(stdout(&recorded).contains(&format!("stdin: {} bytes, 200000 lines", input.len())));
    let replayed = replay(&app, &trace);
    assert_eq!(stdout(&replayed), stdout(&recorded));
}

#[test]
fn an_edited_value_is_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("random.json");
    let app = example("print_random");
    record(&app, &trace, &[]);
    let mut lines = trace_lines(&trace);
    // getrandom takes its u64 as 8 random bytes, little-endian.
    let index = lines
        .iter()
        .position(|line| line["random.get-random-bytes"]["len"] == 8)
        .expect("an 8-byte random read");
    lines[index]["random.get-random-bytes"]["result"] =
        serde_json::json!({"base64": "KgAAAAAAAAA="});
    write_trace_lines(&trace, &lines);
    let replayed = replay(&app, &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(
        stdout(&replayed).contains("random u64: 42\n"),
        "{}",
        stdout(&replayed)
    );
}

#[test]
fn a_trace_of_another_app_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("time.json");
    record(&example("print_time"), &trace, &[]);
    let refused = replay(&example("print_random"), &trace);
    assert_eq!(refused.status.code(), Some(125));
    let message = stderr(&refused);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("was recorded from another app"),
        "{message}"
    );
    assert!(message.contains("--force"), "{message}");

    let forced = run(wasm_rr()
        .arg("replay")
        .arg(example("print_random"))
        .arg(&trace)
        .arg("--force"));
    assert_eq!(forced.status.code(), Some(125), "{}", stderr(&forced));
    assert!(
        stderr(&forced).contains("replay diverged"),
        "{}",
        stderr(&forced)
    );
}

#[test]
fn a_panicking_guest_leaves_a_complete_trace_that_replays_the_panic() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("panic.json");
    let app = example("print_args");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .args(["--", "panic"]));
    assert_eq!(recorded.status.code(), Some(134), "{}", stderr(&recorded));
    assert!(
        stderr(&recorded).contains("asked to panic"),
        "{}",
        stderr(&recorded)
    );
    assert!(
        stderr(&recorded).contains("wasm-rr: the guest trapped: "),
        "{}",
        stderr(&recorded)
    );
    let lines = trace_lines(&trace);
    let end = lines.last().expect("a last line");
    assert!(
        end["end"]["trap"].is_string(),
        "the trace has no end: {end}"
    );

    let replayed = replay(&app, &trace);
    assert_eq!(replayed.status.code(), Some(134));
    assert_eq!(stdout(&replayed), stdout(&recorded));
    assert_eq!(stderr(&replayed), stderr(&recorded));
}

/// A component, written by hand, that imports the monotonic clock of WASI 0.2.VERSION and
/// 0.2.12's `exit-with-code`, and exits with 1 + (the clock's reading mod 200).
const CLOCK_EXIT_COMPONENT: &str = r#"
(component
  (import "wasi:clocks/monotonic-clock@0.2.VERSION" (instance $clock (export "now" (func (result u64)))))
  (import "wasi:cli/exit@0.2.12" (instance $exit (export "exit-with-code" (func (param "status-code" u8)))))
  (core func $now (canon lower (func $clock "now")))
  (core func $exit (canon lower (func $exit "exit-with-code")))
  (core module $main
    (import "clock" "now" (func $now (result i64)))
    (import "exit" "exit-with-code" (func $exit (param i32)))
    (func (export "run") (result i32)
      (call $exit (i32.add (i32.wrap_i64 (i64.rem_u (call $now) (i64.const 200))) (i32.const 1)))
      (i32.const 0)))
  (core instance $main (instantiate $main
    (with "clock" (instance (export "now" (func $now))))
    (with "exit" (instance (export "exit-with-code" (func $exit))))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run (export "run" (func $run)))
  (export "wasi:cli/run@0.2.VERSION" (instance $run)))
"#;

#[test]
fn the_guest_exit_code_is_wasm_rr_s_and_every_wasi_0_2_version_composes() {
    for version in ["0", "3", "6", "12"] {
        guest_exit_code_is_wasm_rr_s(version);
    }
}

fn guest_exit_code_is_wasm_rr_s(version: &str) {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("clock_exit.wasm");
    let source = CLOCK_EXIT_COMPONENT.replace("VERSION", version);
    std::fs::write(&app, wat::parse_str(source).unwrap()).unwrap();
    let trace = dir.path().join("exit.json");
    let recorded = run(wasm_rr().arg("record").arg(&app).arg("-t").arg(&trace));
    let lines = trace_lines(&trace);
    let clock = find_event(&lines, "monotonic-clock.now");
    let now = lines[clock]["monotonic-clock.now"]["result"]
        .as_u64()
        .unwrap();
    let code = i32::try_from(now % 200 + 1).unwrap();
    assert_eq!(recorded.status.code(), Some(code), "{}", stderr(&recorded));
    assert_eq!(lines.last().unwrap()["end"]["exit"], code);
    assert_eq!(replay(&app, &trace).status.code(), Some(code));

    // Another clock reading, hence another exit status than the recorded one.
    let other = if code == 42 { 43 } else { 42 };
    let mut edited = lines.clone();
    edited[clock]["monotonic-clock.now"]["result"] = Value::from(other as u64 - 1);
    write_trace_lines(&trace, &edited);
    // The end still says how the recording ended: replay checks it.
    let diverged = replay(&app, &trace);
    assert_eq!(diverged.status.code(), Some(125));
    assert!(
        stderr(&diverged).contains(&format!(
            "the guest ended with exit {other}, but the recording ended with exit {code}"
        )),
        "{}",
        stderr(&diverged)
    );
    let last = edited.len() - 1;
    edited[last]["end"]["exit"] = Value::from(other);
    write_trace_lines(&trace, &edited);
    assert_eq!(replay(&app, &trace).status.code(), Some(other));

    // The composed component imports only what the app uses, plus rr:log.
    let composed = dir.path().join("clock_exit.rr.wasm");
    let out = run(wasm_rr().arg("compose").arg(&app).arg("-o").arg(&composed));
    assert!(out.status.success(), "{}", stderr(&out));
    let mut imports = wasm_rr_composer::imports(&std::fs::read(&composed).unwrap()).unwrap();
    imports.sort();
    assert_eq!(
        imports,
        [
            "rr:log/log@0.1.0",
            "wasi:cli/exit@0.2.12",
            "wasi:clocks/monotonic-clock@0.2.12",
            "wasi:io/poll@0.2.12"
        ]
    );
}

#[test]
fn a_wasip1_core_module_is_adapted() {
    let module = wat::parse_str(
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (call $exit (i32.const 7))))"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("exit7.wasm");
    std::fs::write(&app, module).unwrap();
    let trace = dir.path().join("exit.json");
    let recorded = run(wasm_rr().arg("record").arg(&app).arg("-t").arg(&trace));
    // `proc_exit(7)` ends the run with status 7, as under `wasmtime run`.
    assert_eq!(recorded.status.code(), Some(7), "{}", stderr(&recorded));
    assert_eq!(replay(&app, &trace).status.code(), Some(7));

    // A core module that is not a WASI command gets a one-line error.
    let library = dir.path().join("library.wasm");
    std::fs::write(
        &library,
        wat::parse_str(r#"(module (import "env" "f" (func)))"#).unwrap(),
    )
    .unwrap();
    let out = run(wasm_rr().arg("record").arg(&library).arg("-t").arg(&trace));
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a wasm32-wasip1 command"),
        "{}",
        stderr(&out)
    );
}

/// A directory with a config file, for `fs_tool`.
fn fs_tool_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("config.txt"), "color = blue\nsize = 3\n").unwrap();
    std::fs::write(dir.join("notes.md"), "hello").unwrap();
    dir
}

fn record_fs_tool(dir: &Path, trace: &Path) -> Output {
    let preopen = format!("{}::/data", dir.display());
    let app = example("fs_tool");
    run(wasm_rr()
        .arg("record")
        .arg(app)
        .arg("-t")
        .arg(trace)
        .args(["--dir", &preopen, "--", "/data"]))
}

#[test]
fn files_are_recorded_and_replay_needs_none() {
    let work = tempfile::tempdir().unwrap();
    let dir = fs_tool_dir(work.path(), "data");
    let trace = work.path().join("fs.json");
    let recorded = record_fs_tool(&dir, &trace);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert_eq!(
        stdout(&recorded),
        "config.txt: 22 bytes, 2 settings\n2 entries: config.txt, notes.md\nlog.txt is now 28 bytes\n"
    );
    // Record writes for real.
    assert_eq!(
        std::fs::read_to_string(dir.join("log.txt")).unwrap(),
        "fs_tool ran with 2 settings\n"
    );
    // The trace holds what the guest saw, not where the files were on the host.
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.contains("\"/data\""), "{text}");
    assert!(
        !text.contains(&work.path().display().to_string()),
        "a host path leaked: {text}"
    );

    std::fs::remove_dir_all(&dir).unwrap();
    let replayed = replay(&example("fs_tool"), &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));
    assert!(!dir.exists(), "replay wrote to the host");
}

#[test]
fn a_guest_that_writes_other_data_in_replay_diverges() {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("fs.json");
    assert!(record_fs_tool(&fs_tool_dir(work.path(), "data"), &trace)
        .status
        .success());
    // The config as read now has one setting: the guest logs "1 settings" instead of "2".
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.contains("size = 3"), "{text}");
    edit_trace_text(&trace, |text| text.replace("size = 3", "size : 3"));
    let out = replay(&example("fs_tool"), &trace);
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("the guest called wasi:io/streams.output-stream.write(stream: "),
        "{message}"
    );
    assert!(message.contains(", digest: "), "{message}");
}

#[test]
fn a_100_mb_file_records_and_replays_in_bounded_memory() {
    const SIZE: usize = 100 << 20;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_0123456789abcdefghijklmnopqrstuvwxyz\n";
    let big: Vec<u8> = line.iter().copied().cycle().take(SIZE).collect();
    std::fs::write(dir.join("big.txt"), &big).unwrap();
    drop(big);
    let trace = work.path().join("big.json");
    let app = example("checksum");
    let preopen = format!("{}::/data", dir.display());
    // Compiling the composed app (once, then cached) takes memory of its own: not measured.
    std::fs::write(dir.join("small.txt"), line).unwrap();
    let warm = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(work.path().join("small.json"))
        .args(["--dir", &preopen, "--", "/data/small.txt"]));
    assert!(warm.status.success(), "{}", stderr(&warm));
    let recorded_out = work.path().join("recorded.txt");
    let (code, record_kib) = run_measured(
        wasm_rr()
            .arg("record")
            .arg(&app)
            .arg("-t")
            .arg(&trace)
            .args(["--dir", &preopen, "--", "/data/big.txt"]),
        &recorded_out,
    );
    assert_eq!(code, Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
    let replayed_out = work.path().join("replayed.txt");
    let (code, replay_kib) =
        run_measured(wasm_rr().arg("replay").arg(&app).arg(&trace), &replayed_out);
    assert_eq!(code, Some(0));
    let recorded = std::fs::read_to_string(&recorded_out).unwrap();
    assert!(
        recorded.starts_with(&format!("{SIZE} bytes, fnv1a64 ")),
        "{recorded}"
    );
    assert_eq!(std::fs::read_to_string(&replayed_out).unwrap(), recorded);
    // Neither holds the file, let alone the trace, in memory.
    let limit_kib = (SIZE / 2 / 1024) as u64;
    println!(
        "peak memory: record {record_kib} KiB, replay {replay_kib} KiB (limit {limit_kib} KiB)"
    );
    assert!(record_kib < limit_kib, "record peaked at {record_kib} KiB");
    assert!(replay_kib < limit_kib, "replay peaked at {replay_kib} KiB");
}

fn record_echo_client(trace: &Path, server: &str, lines: &[&str]) -> Output {
    let app = example("tcp_echo_client");
    run(wasm_rr()
        .arg("record")
        .arg(app)
        .arg("-t")
        .arg(trace)
        .args(["-S", "inherit-network", "--", server])
        .args(lines))
}

#[test]
fn tcp_is_recorded_and_replays_with_the_server_down() {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("tcp.json");
    let (address, server) = common::echo_server_once();
    let recorded = record_echo_client(&trace, &address.to_string(), &["ping", "pong"]);
    server.join().unwrap();
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert_eq!(
        stdout(&recorded),
        format!(
            "connected to {address}\nsent \"ping\", got \"ping\"\nsent \"pong\", got \"pong\"\n"
        )
    );
    // The server is gone: a new run could not connect, but the replay needs no socket.
    let replayed = replay(&example("tcp_echo_client"), &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));

    // Sending something else diverges: edit the arguments the guest sends.
    edit_trace_text(&trace, |text| text.replace("\"ping\"", "\"PING\""));
    let out = replay(&example("tcp_echo_client"), &trace);
    assert_eq!(out.status.code(), Some(125), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the guest called wasi:io/streams.output-stream.write(stream: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_guest_server_accepts_and_replays_with_no_client() {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("server.json");
    let address = common::closed_port();
    let app = example("tcp_echo_server");
    let server = wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .args(["-S", "inherit-network", "--", &address.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A real client, once the guest listens (bounded: about ten seconds).
    let mut client = None;
    for _ in 0..1000 {
        if let Ok(stream) = std::net::TcpStream::connect(address) {
            client = Some(stream);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut client = client.expect("the guest server never listened");
    std::io::Write::write_all(&mut client, b"hello server\n").unwrap();
    let mut reply = [0u8; 13];
    std::io::Read::read_exact(&mut client, &mut reply).unwrap();
    assert_eq!(&reply, b"hello server\n");
    drop(client);
    let recorded = server.wait_with_output().unwrap();
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert_eq!(
        stdout(&recorded),
        format!("listening on {address}\naccepted a client\nechoed 13 bytes\n")
    );
    assert!(std::fs::read_to_string(&trace)
        .unwrap()
        .contains("\"tcp-socket.accept\""));
    // No client now, and the port may be anyone's: the replay listens on nothing.
    let replayed = replay(&app, &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));
}

#[test]
fn a_refused_connection_is_recorded() {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("refused.json");
    let address = common::closed_port().to_string();
    let app = example("tcp_echo_client");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .args(["-S", "inherit-network", "--", &address]));
    assert_eq!(recorded.status.code(), Some(1));
    assert_eq!(
        stderr(&recorded),
        format!("tcp_echo_client: connecting to {address}: connection-refused\n")
    );
    assert!(std::fs::read_to_string(&trace)
        .unwrap()
        .contains("\"connection-refused\""));
    let replayed = replay(&app, &trace);
    assert_eq!(replayed.status.code(), Some(1));
    assert_eq!(stderr(&replayed), stderr(&recorded));
}

#[test]
fn without_inherit_network_the_guest_gets_what_wasmtime_gives() {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("denied.json");
    let (address, _server) = common::echo_server_once();
    let app = example("tcp_echo_client");
    let out = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .args(["--", &address.to_string()]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("tcp_echo_client: connecting to {address}: access-denied\n")
    );
    let unknown = run(wasm_rr().arg("record").arg(&app).args([
        "-t",
        trace.to_str().unwrap(),
        "-S",
        "tcp-magic",
    ]));
    assert_eq!(unknown.status.code(), Some(125));
    assert!(
        stderr(&unknown).ends_with("unknown WASI option `tcp-magic` (known: inherit-network, allow-ip-name-lookup, tcp, udp, cli, http, p3, config, config-var, keyvalue, keyvalue-in-memory-data)\n"),
        "{}",
        stderr(&unknown)
    );
    // Unblock the server's accept.
    drop(std::net::TcpStream::connect(address));
}

#[test]
fn udp_datagrams_are_recorded_and_replay_with_the_server_down() {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("udp.json");
    let (address, server) = common::udp_echo_server(2);
    let app = example("udp_echo_client");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .args([
            "-S",
            "inherit-network",
            "--",
            &address.to_string(),
            "one",
            "two",
        ]));
    server.join().unwrap();
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert_eq!(
        stdout(&recorded),
        "sent \"one\", got \"one\"\nsent \"two\", got \"two\"\n"
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(
        text.contains("\"incoming-datagram-stream.receive\""),
        "{text}"
    );
    let replayed = replay(&app, &trace);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&recorded));
}

#[test]
fn name_lookups_are_recorded() {
    let work = tempfile::tempdir().unwrap();
    let trace = work.path().join("dns.json");
    let app = example("dns_lookup");
    let recorded = run(wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&trace)
        .args(["-S", "allow-ip-name-lookup", "--", "localhost"]));
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert!(
        stdout(&recorded).starts_with("localhost: "),
        "{}",
        stdout(&recorded)
    );
    assert!(
        stdout(&recorded).contains("127.0.0.1") || stdout(&recorded).contains("::1"),
        "{}",
        stdout(&recorded)
    );
    let replayed = replay(&app, &trace);
    assert_eq!(stdout(&replayed), stdout(&recorded));
}

#[test]
fn a_divergent_guest_is_stopped_with_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("random.json");
    let app = example("print_random");
    record(&app, &trace, &[]);
    let mut lines = trace_lines(&trace);
    let index = find_event(&lines, "random.get-random-bytes");
    lines[index]["random.get-random-bytes"]["len"] = Value::from(32u64);
    write_trace_lines(&trace, &lines);
    let out = replay(&app, &trace);
    assert_eq!(out.status.code(), Some(125));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    let expected = format!(
        "wasm-rr: error: replay diverged from the trace at event {index} ({}:{}): the guest called \
         wasi:random/random.get-random-bytes(len: 16) but the trace holds \
         wasi:random/random.get-random-bytes(len: 32)",
        trace.display(),
        index + 1
    );
    assert_eq!(message.trim_end(), expected);
}

#[test]
fn a_trace_that_runs_out_or_has_events_left_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("time.json");
    let app = example("print_time");
    record(&app, &trace, &[]);
    let lines = trace_lines(&trace);
    let clock = find_event(&lines, "wall-clock.now");

    // Cut at the clock reading: the guest asks for more than the trace holds.
    write_trace_lines(&trace, &lines[..clock]);
    let out = replay(&app, &trace);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).contains(
            "the guest called wasi:clocks/wall-clock.now() but the trace has no more events"
        ),
        "{}",
        stderr(&out)
    );

    // An extra event before the end line: left unused.
    let mut extra = lines.clone();
    extra.insert(lines.len() - 1, lines[clock].clone());
    write_trace_lines(&trace, &extra);
    let out = replay(&app, &trace);
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr(&out)
        .contains("the trace holds more events, starting with wasi:clocks/wall-clock.now()"));
}

#[test]
fn bad_input_gets_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_wasm = dir.path().join("notes.txt");
    std::fs::write(&not_wasm, "hello").unwrap();
    for args in [
        vec!["record", not_wasm.to_str().unwrap()],
        vec!["replay", "missing.wasm"],
    ] {
        let out = run(wasm_rr().args(&args).current_dir(dir.path()));
        assert_eq!(out.status.code(), Some(125), "{args:?}");
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(
            stderr(&out).starts_with("wasm-rr: error: "),
            "{}",
            stderr(&out)
        );
    }

    let trace = dir.path().join("bad.json");
    record(&example("print_time"), &trace, &[]);
    let text = std::fs::read_to_string(&trace).unwrap();
    std::fs::write(
        &trace,
        text.replacen("wall-clock.now", "wall-clock.later", 1),
    )
    .unwrap();
    let out = replay(&example("print_time"), &trace);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).ends_with(":2: unknown event `wall-clock.later`\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn binary_traces_replay_and_convert_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let app = example("read_stdin");
    let binary = dir.path().join("run.bin");
    let mut child = wasm_rr()
        .arg("record")
        .arg(&app)
        .arg("-t")
        .arg(&binary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"binary \xff\x00 input\n").unwrap();
    drop(child.stdin.take());
    let recorded = child.wait_with_output().unwrap();
    assert!(recorded.status.success());
    assert!(std::fs::read(&binary)
        .unwrap()
        .starts_with(b"wasm-rr binary trace\n"));
    assert_eq!(stdout(&replay(&app, &binary)), stdout(&recorded));

    // To JSON, readable; back to binary, byte for byte the same.
    let json = dir.path().join("run.json");
    let again = dir.path().join("again.bin");
    assert!(run(wasm_rr().arg("convert").arg(&binary).arg(&json))
        .status
        .success());
    assert!(std::fs::read_to_string(&json)
        .unwrap()
        .contains("\"input-stream.blocking-read\""));
    assert_eq!(stdout(&replay(&app, &json)), stdout(&recorded));
    assert!(run(wasm_rr().arg("convert").arg(&json).arg(&again))
        .status
        .success());
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&binary).unwrap()
    );
    // -f overrides the extension.
    let forced = dir.path().join("forced.json");
    assert!(run(wasm_rr()
        .arg("convert")
        .arg(&json)
        .arg(&forced)
        .args(["-f", "binary"]))
    .status
    .success());
    assert_eq!(
        std::fs::read(&forced).unwrap(),
        std::fs::read(&binary).unwrap()
    );

    // A cut trace is refused, with one line.
    let bytes = std::fs::read(&binary).unwrap();
    std::fs::write(&binary, &bytes[..bytes.len() - 2]).unwrap();
    let out = run(wasm_rr().arg("convert").arg(&binary).arg(&json));
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn compose_writes_a_component_that_imports_rr_log() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("print_time.rr.wasm");
    let out = run(wasm_rr()
        .arg("compose")
        .arg(example("print_time"))
        .arg("-o")
        .arg(&out_path));
    assert!(out.status.success(), "{}", stderr(&out));
    let composed = std::fs::read(&out_path).unwrap();
    let imports = wasm_rr_composer::imports(&composed).unwrap();
    assert!(
        imports.iter().any(|name| name.starts_with("rr:log/log@")),
        "{imports:?}"
    );
    // It names the app inside, for hosts that write traces of it.
    let app_bytes = std::fs::read(example("print_time")).unwrap();
    let app_sha256: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&app_bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    };
    let identity: Value =
        serde_json::from_str(&wasm_rr_composer::identity(&composed).unwrap()).unwrap();
    assert_eq!(identity["app_sha256"], app_sha256.as_str());
    assert_eq!(identity["wasm_rr_trace"], wasm_rr_trace::FORMAT_VERSION);
    assert_eq!(identity["wasm_rr_version"], env!("CARGO_PKG_VERSION"));
    // The composed component runs as an app too: wasm-rr sees it has an interposer, and a
    // trace of either replays with either; another app's is refused.
    let trace = dir.path().join("t.json");
    let recorded = record(&out_path, &trace, &[]);
    assert!(stdout(&recorded).starts_with("unix time: "));
    assert_eq!(trace_lines(&trace)[0]["app_sha256"], app_sha256.as_str());
    let replayed = replay(&example("print_time"), &trace);
    assert_eq!(
        stdout(&replayed),
        stdout(&recorded),
        "{}",
        stderr(&replayed)
    );
    let other = dir.path().join("other.json");
    record(&example("print_random"), &other, &[]);
    let refused = replay(&out_path, &other);
    assert_eq!(refused.status.code(), Some(125));
    assert!(stderr(&refused).contains("was recorded from another app"));
}

#[test]
fn cli_reference() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/src/cli-reference.md");
    let generated = wasm_rr::cli::reference();
    if std::env::var_os("WASM_RR_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/src/cli-reference.md is stale: run `cargo xtask docs`"
    );
}

#[test]
fn version_names_the_engine_and_the_trace_format() {
    let out = run(wasm_rr().arg("--version"));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let expected = format!("wasm-rr {} (wasmtime ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected), "{text}");
    assert!(
        text.trim_end().ends_with(&format!(
            ", trace format {})",
            wasm_rr_trace::FORMAT_VERSION
        )),
        "{text}"
    );
}

#[test]
fn completions_complete_commands_and_flags() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(wasm_rr().args(["completions", shell]));
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.contains("record") && script.contains("trace-dir"),
            "{shell}"
        );
    }
    // Bash, for real: what it offers after `wasm-rr rec` and `wasm-rr serve --tr`.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("wasm-rr.bash");
    std::fs::write(&script, run(wasm_rr().args(["completions", "bash"])).stdout).unwrap();
    // As bash calls the function that the script registers: the command, the word being
    // completed, the word before.
    let offered = |words: &str| {
        let command = format!(
            "source {}; complete=$(complete -p wasm-rr); function=${{complete##*-F }}; function=${{function%% *}}; \
             COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_LINE='{words}'; \
             $function wasm-rr \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        stdout(&run(
            std::process::Command::new("bash").args(["-c", &command])
        ))
    };
    assert_eq!(offered("wasm-rr rec").trim(), "record");
    assert!(offered("wasm-rr serve --tr").contains("--trace-dir"));
}

#[test]
fn man_pages_render_for_every_command() {
    let pages = wasm_rr::cli::man_pages().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // `cargo xtask man` asks for them here.
    let out_dir = std::env::var_os("WASM_RR_MAN_DIR").map(std::path::PathBuf::from);
    if let Some(out_dir) = &out_dir {
        std::fs::create_dir_all(out_dir).unwrap();
    }
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    for command in ["", "-record", "-replay", "-serve", "-completions"] {
        assert!(
            names.contains(&format!("wasm-rr{command}.1").as_str()),
            "{names:?}"
        );
    }
    for (name, page) in &pages {
        let path = dir.path().join(name);
        std::fs::write(&path, page).unwrap();
        // Rendered as `man` renders it, to text.
        let out = run(std::process::Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
            .arg(&path));
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{name}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("wasm-rr"), "{name}: {text}");
        if name == "wasm-rr-replay.1" {
            assert!(text.contains("--stop-at"), "{text}");
        }
        if let Some(out_dir) = &out_dir {
            std::fs::write(out_dir.join(name), page).unwrap();
        }
    }
}
