//! WebAssembly/wasi-testsuite, run by its official runner (`run-tests`) through wasm-rr's
//! adapter (`tests/wasi-testsuite/wasm_rr.py`): every wasip1 and wasip3 test runs under
//! `wasm-rr run` (commands) and `wasm-rr serve` (HTTP services); every wasip1 test is
//! recorded, then replayed from its trace alone, its directories removed, the runner
//! checking the replay's output and exit code against the test's own expectations.
//!
//! The suite's prebuilt tests and the runner are vendored (`tests/wasi-testsuite/*.tar.xz`,
//! see its README). The runner needs Python 3.12 or newer (`$WASM_RR_PYTHON`, else the
//! first found on PATH or under pyenv) and, once, its two packages from PyPI.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vendored(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/wasi-testsuite")
        .join(name)
}

/// A fresh copy of the suite and its runner in `dir` (the runner changes the tests'
/// directories as they run).
fn extract(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for tarball in ["tests-prebuilt.tar.xz", "runner.tar.xz"] {
        let status = Command::new("tar")
            .arg("-xJf")
            .arg(vendored(tarball))
            .arg("-C")
            .arg(dir)
            .status()
            .expect("running tar");
        assert!(status.success(), "extracting {tarball}");
    }
}

/// A Python of 3.12 or newer, which the runner needs.
fn python_3_12() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::env::var_os("WASM_RR_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(["python3.14", "python3.13", "python3.12", "python3"].map(PathBuf::from));
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv")));
    if let Some(Ok(versions)) = pyenv.map(|root| std::fs::read_dir(root.join("versions"))) {
        let mut found: Vec<PathBuf> = versions
            .flatten()
            .map(|version| version.path().join("bin/python3"))
            .collect();
        found.sort();
        candidates.extend(found.into_iter().rev());
    }
    candidates
        .into_iter()
        .find(|python| {
            Command::new(python)
                .args(["-c", "import sys; sys.exit(sys.version_info < (3, 12))"])
                .output()
                .is_ok_and(|out| out.status.success())
        })
        .expect("the wasi-testsuite runner needs Python 3.12 or newer: set WASM_RR_PYTHON")
}

/// The Python of a virtual environment with the runner's packages, made once per target
/// directory (and by one test at a time).
fn venv(runner: &Path) -> PathBuf {
    static MADE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasi-testsuite-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let _ = std::fs::remove_dir_all(&venv);
        let made = Command::new(python_3_12())
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("making the runner's venv");
        assert!(made.success(), "making the runner's venv");
        let installed = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(runner.join("test-runner/requirements/prod.txt"))
            .status()
            .expect("installing the runner's packages");
        assert!(installed.success(), "installing the runner's packages");
    }
    python
}

/// Runs the official runner over the suite in `suite` with wasm-rr in `mode`.
fn run_tests(suite: &Path, mode: &str, traces: &Path) -> Output {
    let mut expectations = vec!["-e".into(), vendored("expectations.toml")];
    if mode != "run" {
        expectations.extend(["-e".into(), vendored("expectations-record.toml")]);
    }
    let out = Command::new(venv(suite))
        .current_dir(suite)
        .arg("run-tests")
        .arg("-r")
        .arg(vendored("wasm_rr.py"))
        .args(expectations)
        .arg("--disable-colors")
        .env("WASM_RR", env!("CARGO_BIN_EXE_wasm-rr"))
        .env("WASM_RR_MODE", mode)
        .env("WASM_RR_TRACES", traces)
        .output()
        .expect("running the wasi-testsuite runner");
    let report = format!("{}{}", common::stdout(&out), common::stderr(&out));
    assert!(out.status.success(), "wasm-rr {mode}:\n{report}");
    out
}

/// The runner's summary: "126 tests passed (1 skipped, 4 xfail)".
fn summary(out: &Output) -> String {
    let stdout = common::stdout(out);
    let summary = stdout
        .lines()
        .find_map(|line| line.split_once(": PASS: "))
        .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
    summary.1.to_string()
}

#[test]
fn the_official_runner_passes_under_run_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    extract(dir.path());
    let out = run_tests(dir.path(), "run", dir.path());
    // 72 wasip1 tests and 55 wasip3 ones: all pass but for the four expected to fail
    // (they do) and the one run alone below.
    assert_eq!(
        summary(&out),
        "126 tests passed (1 skipped, 4 xfail)",
        "{}",
        common::stdout(&out)
    );

    // On a fresh copy, alone, the one that the runner's leftovers break in a whole run.
    let fresh = tempfile::tempdir().unwrap();
    extract(fresh.path());
    let tests = fresh.path().join("tests/rust/testsuite/wasm32-wasip3");
    let out = common::run(
        common::wasm_rr()
            .arg("run")
            .arg("--dir")
            .arg(format!("{}::/", tests.join("fs-tests.dir").display()))
            .arg(tests.join("filesystem-read-directory.wasm")),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
}

#[test]
fn every_recorded_test_replays_from_its_trace_alone() {
    let dir = tempfile::tempdir().unwrap();
    extract(dir.path());
    let traces = dir.path().join("traces");
    std::fs::create_dir(&traces).unwrap();
    let out = run_tests(dir.path(), "record", &traces);
    // Every wasip1 test, and the wasip3 ones not in expectations-record.toml (39 are).
    let recorded = "126 tests passed (1 skipped, 43 xfail)";
    assert_eq!(summary(&out), recorded, "{}", common::stdout(&out));
    assert_eq!(std::fs::read_dir(&traces).unwrap().count(), 72 + 11);

    // The replay sees none of the tests' directories: the trace holds what they read.
    for suite in std::fs::read_dir(dir.path().join("tests"))
        .unwrap()
        .flatten()
    {
        for target in ["wasm32-wasip1", "wasm32-wasip3"] {
            let testsuite = suite.path().join("testsuite").join(target);
            for entry in std::fs::read_dir(&testsuite)
                .into_iter()
                .flatten()
                .flatten()
            {
                if entry.path().is_dir() {
                    std::fs::remove_dir_all(entry.path()).unwrap();
                }
            }
        }
    }
    let out = run_tests(dir.path(), "replay", &traces);
    assert_eq!(summary(&out), recorded, "{}", common::stdout(&out));
}

#[test]
fn wasi_p3_flags_and_what_is_not_recorded_yet_are_said_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    extract(dir.path());
    let tests = dir.path().join("tests/rust/testsuite/wasm32-wasip3");
    let one_line = |out: &Output, expected: &str| {
        assert_eq!(out.status.code(), Some(125), "{}", common::stderr(out));
        assert_eq!(common::stderr(out), format!("wasm-rr: error: {expected}\n"));
    };

    let exit = tests.join("cli-exit.wasm");
    // Only what uses the component model's async features runs on the concurrent runtime.
    assert!(wasm_rr_composer::uses_async(&std::fs::read(&exit).unwrap()));
    for example in ["print_time", "kv_app", "http_handler"] {
        let example = std::fs::read(common::example(example)).unwrap();
        assert!(!wasm_rr_composer::uses_async(&example));
    }
    let out = common::run(common::wasm_rr().args(["run", "-S", "p3=n"]).arg(&exit));
    one_line(
        &out,
        "the app imports `wasi:cli/exit@0.3.0`, of WASI 0.3, which -S p3=n or -W component-model-async=n turned off",
    );
    let out = common::run(
        common::wasm_rr()
            .args(["run", "-W", "component-model-async=n"])
            .arg(&exit),
    );
    assert_eq!(out.status.code(), Some(125));
    assert!(
        common::stderr(&out).contains("requires the component model async feature"),
        "{}",
        common::stderr(&out)
    );
    // As wasmtime takes them: several at once, the last one winning.
    let out = common::run(
        common::wasm_rr()
            .args(["run", "-S", "p3=n,tcp,p3"])
            .arg(&exit),
    );
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));

    let trace = dir.path().join("clock.json");
    let out = common::run(
        common::wasm_rr()
            .arg("record")
            .arg(tests.join("monotonic-clock.wasm"))
            .arg("-t")
            .arg(&trace),
    );
    one_line(
        &out,
        "`wasi:clocks/monotonic-clock@0.3.0#wait-until` is an async function, which wasm-rr cannot record (yet)",
    );
    assert!(!trace.exists());
}

#[test]
fn a_recorded_wasi_p3_run_replays_in_a_bundle_under_the_stock_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    extract(dir.path());
    let app = dir
        .path()
        .join("tests/rust/testsuite/wasm32-wasip3/cli-env.wasm");
    let trace = dir.path().join("env.json");
    let out = common::run(
        common::wasm_rr()
            .arg("record")
            .args(["--env", "foo=bar", "--env", "baz=42", "-t"])
            .arg(&trace)
            .arg(&app)
            .args(["--", "a", "b", "42"]),
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let calls = common::trace_lines(&trace);
    let calls: Vec<&str> = calls
        .iter()
        .filter_map(|line| line["call"].as_str())
        .collect();
    assert_eq!(
        calls,
        [
            "wasi:cli/environment@0.3.0#get-environment",
            "wasi:cli/environment@0.3.0#get-arguments",
            "wasi:cli/environment@0.3.0#get-initial-cwd"
        ]
    );

    // Replayed in a bundle, from the trace alone; then with the arguments edited, the
    // guest panics, and its panic's call (through WASI 0.2) is not in the trace.
    let edited = dir.path().join("edited.json");
    let text = std::fs::read_to_string(&trace).unwrap();
    let text = text.replace(r#""b","42""#, r#""b","43""#);
    let text = text.split(r#","crc32c""#).next().unwrap().to_string() + "}\n";
    std::fs::write(&edited, text).unwrap();
    for (trace, status) in [(&trace, 0), (&edited, 125)] {
        let bundle = dir.path().join("repro.wasm");
        let out = common::run(
            common::wasm_rr()
                .arg("bundle")
                .arg(&app)
                .arg(trace)
                .arg("-o")
                .arg(&bundle),
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
        let replayed = common::run(common::wasm_rr().arg("replay").arg(&app).arg(trace));
        let bundled = Command::new(common::stock_wasmtime())
            .arg("run")
            .arg(&bundle)
            .output()
            .unwrap();
        assert_eq!(
            replayed.status.code(),
            Some(status),
            "{}",
            common::stderr(&replayed)
        );
        assert_eq!(
            bundled.status.code(),
            Some(status),
            "{}",
            common::stderr(&bundled)
        );
        let said = |out: &Output| {
            common::stderr(out)
                .lines()
                .filter(|line| line.starts_with("wasm-rr:"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(said(&replayed).is_empty(), status == 0);
        assert_eq!(said(&bundled), said(&replayed));
    }
}
