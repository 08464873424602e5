//! The `wasm-rr` command.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = wasm_rr::cli::Cli::parse();
    match wasm_rr::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("wasm-rr: error: {error:#}");
            ExitCode::from(wasm_rr::EXIT_ERROR)
        }
    }
}
