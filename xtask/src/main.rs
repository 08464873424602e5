//! Project tasks: `cargo xtask <task>`.
//!
//! - `build-wasm`: install the wasm toolchain if missing, rebuild the interposer and the
//!   examples, and write the `.wasm` files that the repository commits.
//! - `check-wasm`: rebuild them and fail if any committed `.wasm` differs from its source.
//! - `golden-fixture NAME [--keep-trace]`: record `golden/NAME/` from its `metadata.toml`
//!   (or, with `--keep-trace`, refresh its outputs from its existing, maybe edited, trace).
//! - `golden-test`: run every golden test.
//! - `docs`: regenerate `docs/src/cli-reference.md` from the CLI definitions.

mod wasm;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    if let Err(error) = run() {
        eprintln!("xtask: error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["build-wasm"] => wasm::build(&root, wasm::Mode::Write),
        ["build-wasm", "interposer"] => wasm::build(&root, wasm::Mode::WriteInterposer),
        ["check-wasm"] => wasm::build(&root, wasm::Mode::Check),
        ["golden-fixture", name] => golden(&root, &[("WASM_RR_GOLDEN_FIXTURE", name)]),
        ["golden-fixture", name, "--keep-trace"] => {
            golden(&root, &[("WASM_RR_GOLDEN_FIXTURE", name), ("WASM_RR_GOLDEN_KEEP_TRACE", "1")])
        }
        ["golden-test"] => golden(&root, &[]),
        ["docs"] => test(&root, "cli", &[("WASM_RR_BLESS", "1")]),
        ["man"] => man(&root, &root.join("target/man")),
        ["man", dir] => man(&root, Path::new(dir)),
        _ => bail!(
            "usage: cargo xtask build-wasm [interposer] | check-wasm | golden-fixture NAME [--keep-trace] | golden-test | docs | man [DIR]"
        ),
    }
}

/// Writes the man pages into `dir` (by default `target/man/`): the runner's `cli` tests
/// render and check them, and write them where `WASM_RR_MAN_DIR` says.
fn man(root: &Path, dir: &Path) -> Result<()> {
    let dir = std::path::absolute(dir)?;
    test(root, "cli", &[("WASM_RR_MAN_DIR", &dir.to_string_lossy())])?;
    println!(
        "wrote the man pages into {}: man -l {}/wasm-rr.1",
        dir.display(),
        dir.display()
    );
    Ok(())
}

/// The repository: xtask's manifest directory's parent.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The cargo that runs this xtask.
fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The golden tests live in the runner's `tests/golden.rs`, which also records fixtures
/// when `WASM_RR_GOLDEN_FIXTURE` names one: the fixture format is defined there only.
fn golden(root: &Path, env: &[(&str, &str)]) -> Result<()> {
    test(root, "golden", env)
}

/// `cargo test --release` of one of the runner's test targets.
fn test(root: &Path, target: &str, env: &[(&str, &str)]) -> Result<()> {
    let mut command = Command::new(cargo_bin());
    command
        .current_dir(root)
        .args([
            "test",
            "--release",
            "--package",
            "wasm-rr",
            "--test",
            target,
            "--",
            "--nocapture",
        ])
        .envs(env.iter().copied());
    run_command(&mut command, &format!("cargo test --test {target}"))
}

fn check(status: std::process::ExitStatus, what: &str) -> Result<()> {
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Runs `command`, failing with `what` if it fails.
fn run_command(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {what}"))?;
    check(status, what)
}
