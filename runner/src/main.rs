//! The `wasm-rr` command.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match wasm_rr::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go out as clap writes them; a usage error is one line.
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            let rendered = error.to_string();
            let first = rendered.lines().next().unwrap_or_default();
            eprintln!("wasm-rr: {first}");
            return ExitCode::from(wasm_rr::EXIT_ERROR);
        }
    };
    match wasm_rr::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("wasm-rr: error: {error:#}");
            ExitCode::from(wasm_rr::EXIT_ERROR)
        }
    }
}
