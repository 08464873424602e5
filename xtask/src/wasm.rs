//! Building the guest `.wasm` files: the interposer and the examples.
//!
//! Guests need wasm targets, which rustup cannot add here; Debian's Rust (with its std
//! source) builds them with `-Zbuild-std`. Paths are remapped so that the output does not
//! depend on where the repository or cargo's home are: a rebuild anywhere gives the
//! committed bytes.

use crate::run_command;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const RUST_SRC: &str = "/usr/lib/rustlib/src/rust/library";
const LLVM_BIN: &str = "/usr/lib/llvm-19/bin";
const WASI_LIBC: &str = "/usr/lib/wasm32-wasi";
const APT_PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld-19",
    "wasi-libc",
];

/// Examples whose toolchain snapshots a running engine (CPython, SpiderMonkey): their
/// builds are byte-reproducible only under `examples/shared/reproducible.c`, and not every
/// time, so `check-wasm` checks instead that the committed component was built from the
/// sources as they are: `SOURCES_FILE` holds the digest of the sources it was built from and
/// of the component itself, written by `build-wasm`, which builds them only when their
/// sources changed.
const SNAPSHOT_EXAMPLES: [&str; 4] = ["http_handler_js", "inputs_js", "inputs_python", "kv_python"];
/// The examples whose builds also read the shared WIT of `examples/wit/deps`.
const SHARED_WIT_EXAMPLES: [&str; 1] = ["kv_python"];
const SOURCES_FILE: &str = "built-from.txt";

/// `SOURCES_FILE` for `component`, built from example `name`: the SHA-256 of every source
/// (the example's files, the shared ones, the WASI WIT and, for some, the shared WIT),
/// then the component's.
fn sources_fingerprint(root: &Path, name: &str, component: &[u8]) -> Result<String> {
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("examples").join(name),
        root.join("examples/shared"),
        root.join("wit/deps"),
    ];
    if SHARED_WIT_EXAMPLES.contains(&name) {
        dirs.push(root.join("examples/wit/deps"));
    }
    for dir in dirs {
        collect_files(&dir, &mut files)?;
    }
    files.sort();
    let mut text = String::from(
        "# The sources this example's committed component was built from, and the component\n\
         # (`cargo xtask build-wasm` writes this file; `check-wasm` checks it).\n",
    );
    for file in files {
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if shown.ends_with(".wasm") || shown.ends_with(SOURCES_FILE) {
            continue;
        }
        text.push_str(&format!("{}  {shown}\n", sha256(&std::fs::read(&file)?)));
    }
    text.push_str(&format!(
        "{}  examples/{name}/{name}.wasm\n",
        sha256(component)
    ));
    Ok(text)
}

/// Whether example `name`'s committed component is the one `SOURCES_FILE` names, built
/// from the sources as they are.
fn built_from_its_sources(root: &Path, name: &str) -> Result<bool> {
    let dir = root.join("examples").join(name);
    let component = std::fs::read(dir.join(format!("{name}.wasm"))).unwrap_or_default();
    let committed = std::fs::read_to_string(dir.join(SOURCES_FILE)).unwrap_or_default();
    Ok(sources_fingerprint(root, name, &component)? == committed)
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The Rust examples that are components exporting interfaces (an HTTP handler, the
/// providers of the plugin world and of the benchmarks' calls), built for
/// wasm32-unknown-unknown rather than adapted from wasip1.
const COMPONENT_EXAMPLES: [&str; 4] =
    ["call_provider", "http_handler", "kv_handler", "plugin_host"];

/// The example that also gets a debuggable build, `NAME.debug.wasm`.
const DEBUG_EXAMPLE: &str = "time_bomb";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the committed files.
    Write,
    /// Write the interposer and the bundle's rr:log alone (a quicker turn while working
    /// on them).
    WriteInterposer,
    /// Compare with the committed files.
    Check,
}

pub fn build(root: &Path, mode: Mode) -> Result<()> {
    ensure_toolchain()?;
    let mut outputs = Vec::new();
    let mut stale = Vec::new();

    // The interposer, and a bundle's rr:log, which `wasm-rr bundle` puts beside it.
    for (dir, name) in [
        ("interposer-component", "wasm_rr_interposer"),
        ("hosts/bundle", "wasm_rr_bundle_log"),
    ] {
        let dir = root.join(dir);
        let component = component_of(root, &dir, name, &["--release"], mode)?;
        outputs.push((dir.join(format!("{name}.wasm")), component));
    }
    outputs.push(generic_interposer(root, mode)?);
    if mode == Mode::WriteInterposer {
        return write_outputs(root, outputs, mode, stale);
    }

    let examples = root.join("examples");
    let wasip1_flags = [
        format!("-L{WASI_LIBC}"),
        "-Clink-self-contained=no".into(),
        format!("-Clink-arg={WASI_LIBC}/crt1-command.o"),
    ];
    guest_cargo(
        root,
        &examples,
        "wasm32-wasip1",
        &wasip1_flags,
        &["--release"],
        mode,
    )?;
    // Apart: the wit-bindgen features they ask for would change the others' builds.
    guest_cargo(
        root,
        &examples,
        "wasm32-wasip1",
        &wasip1_flags,
        &[
            "--release",
            "--package",
            "call_loop",
            "--package",
            "kv_app",
            "--package",
            "plugin_app",
        ],
        mode,
    )?;
    for name in example_names(&examples, "Cargo.toml")? {
        if COMPONENT_EXAMPLES.contains(&name.as_str()) {
            continue;
        }
        let core =
            std::fs::read(target_dir(root).join(format!("wasm32-wasip1/release/{name}.wasm")))?;
        let component =
            wasm_rr_composer::adapt_wasip1(&core).with_context(|| format!("adapting {name}"))?;
        outputs.push((examples.join(&name).join(format!("{name}.wasm")), component));
    }
    // Components through wit-bindgen's metadata, as the interposer is.
    for name in COMPONENT_EXAMPLES {
        let profile = ["--release", "--package", name];
        let component = component_of(root, &examples, name, &profile, mode)?;
        outputs.push((examples.join(name).join(format!("{name}.wasm")), component));
    }
    // Examples in other languages: each one's build.sh installs its pinned toolchain.
    for name in example_names(&examples, "build.sh")? {
        // Built again only when their sources changed: the build is not reproducible
        // everywhere.
        if SNAPSHOT_EXAMPLES.contains(&name.as_str()) {
            if built_from_its_sources(root, &name)? {
                println!("up to date (by its sources): examples/{name}/{name}.wasm");
                continue;
            }
            if mode == Mode::Check {
                stale.push(format!("examples/{name}/{name}.wasm (its sources changed)"));
                continue;
            }
        }
        let built = target_dir(root).join(format!("scripted/{name}.wasm"));
        std::fs::create_dir_all(built.parent().unwrap_or(root))?;
        let script = examples.join(&name).join("build.sh");
        run_command(
            Command::new("bash")
                .arg(&script)
                .arg(&built)
                .env("WASM_RR_TOOLCHAINS", toolchains_dir()?),
            &format!("examples/{name}/build.sh"),
        )?;
        let bytes =
            std::fs::read(&built).with_context(|| format!("reading {}", built.display()))?;
        let component = wasm_rr_composer::app_component(&bytes)
            .with_context(|| format!("adapting {name}"))?
            .into_owned();
        if SNAPSHOT_EXAMPLES.contains(&name.as_str()) {
            let fingerprint = sources_fingerprint(root, &name, &component)?;
            outputs.push((
                examples.join(&name).join(SOURCES_FILE),
                fingerprint.into_bytes(),
            ));
        }
        outputs.push((examples.join(&name).join(format!("{name}.wasm")), component));
    }
    // The example with a debug build, for `replay -g` (docs/src/debugging.md).
    let debug_build = ["--profile", "debugging", "--package", DEBUG_EXAMPLE];
    guest_cargo(
        root,
        &examples,
        "wasm32-wasip1",
        &wasip1_flags,
        &debug_build,
        mode,
    )?;
    let core = std::fs::read(
        target_dir(root).join(format!("wasm32-wasip1/debugging/{DEBUG_EXAMPLE}.wasm")),
    )?;
    let component = wasm_rr_composer::adapt_wasip1(&core).context("adapting the debug build")?;
    let debug_path = format!("{DEBUG_EXAMPLE}/{DEBUG_EXAMPLE}.debug.wasm");
    outputs.push((examples.join(debug_path), component));
    write_outputs(root, outputs, mode, stale)
}

/// Writes the built files (or, checking, compares them with the committed ones; `stale`
/// holds what is known stale already).
fn write_outputs(
    root: &Path,
    outputs: Vec<(PathBuf, Vec<u8>)>,
    mode: Mode,
    mut stale: Vec<String>,
) -> Result<()> {
    for (path, bytes) in outputs {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        match mode {
            Mode::Write | Mode::WriteInterposer => {
                std::fs::write(&path, &bytes).with_context(|| format!("writing {shown}"))?;
                println!("wrote {shown} ({} bytes)", bytes.len());
            }
            Mode::Check => {
                if std::fs::read(&path).ok().as_deref() == Some(bytes.as_slice()) {
                    println!("up to date: {shown}");
                } else {
                    stale.push(shown);
                }
            }
        }
    }
    if !stale.is_empty() {
        bail!(
            "committed .wasm differs from its source: {}; run `cargo xtask build-wasm` and commit",
            stale.join(", ")
        );
    }
    Ok(())
}

/// The examples whose directory holds `marker`: `Cargo.toml` for the Rust workspace's
/// members, `build.sh` for the examples in other languages.
fn example_names(examples: &Path, marker: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(examples)? {
        let path = entry?.path();
        if path.join(marker).is_file() {
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Where the examples' build scripts install their toolchains: `$WASM_RR_TOOLCHAINS`, else
/// the user's cache directory, so that every checkout on a machine shares them.
fn toolchains_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("WASM_RR_TOOLCHAINS") {
        return Ok(PathBuf::from(dir));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set")?;
    Ok(cache.join("wasm-rr-toolchains"))
}

fn target_dir(root: &Path) -> PathBuf {
    root.join("target/wasm")
}

/// The component of crate `name` in the guest workspace at `dir`, built (with `profile`)
/// for wasm32-unknown-unknown, where wit-bindgen's metadata makes it a component.
fn component_of(
    root: &Path,
    dir: &Path,
    name: &str,
    profile: &[&str],
    mode: Mode,
) -> Result<Vec<u8>> {
    guest_cargo(root, dir, "wasm32-unknown-unknown", &[], profile, mode)?;
    let core = std::fs::read(
        target_dir(root).join(format!("wasm32-unknown-unknown/release/{name}.wasm")),
    )?;
    wasm_rr_composer::component_from_core(&core).with_context(|| format!("componentizing {name}"))
}

/// Position-independent builds (the generic interposer's std differs), kept apart so that
/// neither build undoes the other's.
fn pic_target_dir(root: &Path) -> PathBuf {
    root.join("target/wasm-pic")
}

/// The generic interposer's shared library: its crate built position-independent (a
/// static library, std included), then linked by wasm-ld as `wit_component::Linker`
/// wants a library: `dylink.0`, memory and table imported, every `wit_dylib_*` exported.
fn generic_interposer(root: &Path, mode: Mode) -> Result<(PathBuf, Vec<u8>)> {
    let dir = root.join("generic-interposer");
    guest_cargo_in(
        root,
        &dir,
        "wasm32-unknown-unknown",
        &["-Crelocation-model=pic".to_string()],
        &["--release"],
        mode,
        &pic_target_dir(root),
    )?;
    let library =
        pic_target_dir(root).join("wasm32-unknown-unknown/release/libwasm_rr_generic_interposer.a");
    let linked = pic_target_dir(root).join("wasm_rr_generic_interposer.so");
    run_command(
        Command::new(format!("{LLVM_BIN}/wasm-ld"))
            .args([
                "--experimental-pic",
                "-shared",
                "--no-entry",
                "--gc-sections",
                "--strip-all",
                "--whole-archive",
            ])
            .arg(&library)
            .arg("--no-whole-archive")
            .arg("-o")
            .arg(&linked),
        "linking the generic interposer",
    )?;
    let bytes = std::fs::read(&linked).with_context(|| format!("reading {}", linked.display()))?;
    Ok((dir.join("wasm_rr_generic_interposer.so"), bytes))
}

/// `cargo build` (with `profile`, e.g. `--release`) of the guest workspace at `dir` with Debian's toolchain; a
/// check builds from the committed `Cargo.lock` as it is.
fn guest_cargo(
    root: &Path,
    dir: &Path,
    target: &str,
    extra_rustflags: &[String],
    profile: &[&str],
    mode: Mode,
) -> Result<()> {
    guest_cargo_in(
        root,
        dir,
        target,
        extra_rustflags,
        profile,
        mode,
        &target_dir(root),
    )
}

/// [`guest_cargo`], building in `target_dir`.
fn guest_cargo_in(
    root: &Path,
    dir: &Path,
    target: &str,
    extra_rustflags: &[String],
    profile: &[&str],
    mode: Mode,
    target_dir: &Path,
) -> Result<()> {
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|home| Path::new(&home).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let mut rustflags = vec![
        "-Clinker=wasm-ld".to_string(),
        format!("--remap-path-prefix={}=/wasm-rr", root.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
    ];
    rustflags.extend_from_slice(extra_rustflags);
    let path = format!("{LLVM_BIN}:{}", std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new(DEBIAN_CARGO);
    command
        .current_dir(dir)
        .args(["build"])
        .args(profile)
        .args(["-Zbuild-std=std,panic_abort", "--target", target])
        .args(if mode == Mode::Check {
            &["--locked"][..]
        } else {
            &[]
        })
        .env("RUSTC", DEBIAN_RUSTC)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\u{1f}"))
        .env("PATH", path);
    // What the host cargo that runs xtask exported must not leak into the guest build.
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "RUSTC_WRAPPER",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
    ] {
        command.env_remove(var);
    }
    run_command(
        &mut command,
        &format!("building {} for {target}", dir.display()),
    )
}

/// Installs Debian's Rust, its std source, wasm-ld and wasi-libc when any is missing.
fn ensure_toolchain() -> Result<()> {
    let needed = [
        DEBIAN_RUSTC,
        DEBIAN_CARGO,
        RUST_SRC,
        &format!("{LLVM_BIN}/wasm-ld"),
        WASI_LIBC,
    ];
    if needed.iter().all(|path| Path::new(path).exists()) {
        return Ok(());
    }
    println!(
        "installing the wasm toolchain: apt-get install {}",
        APT_PACKAGES.join(" ")
    );
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    run_command(&mut apt(&["update", "-qq"]), "apt-get update")?;
    let mut install = apt(&["install", "-y", "-qq"]);
    install.args(APT_PACKAGES);
    run_command(&mut install, "apt-get install")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}
