//! Fingerprints the embedded interposer at build time, so that finding a run's compiled
//! component in the cache costs no hashing of the interposer at start-up.

use sha2::{Digest, Sha256};

fn main() {
    let path = "../interposer-component/wasm_rr_interposer.wasm";
    println!("cargo::rerun-if-changed={path}");
    let bytes = std::fs::read(path).expect("the committed interposer .wasm");
    let digest: String = Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    println!("cargo::rustc-env=WASM_RR_INTERPOSER_SHA256={digest}");
}
