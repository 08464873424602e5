//! Fingerprints the embedded interposers at build time, so that finding a run's compiled
//! component in the cache costs no hashing of them at start-up.

use sha2::{Digest, Sha256};

fn main() {
    let mut hasher = Sha256::new();
    for path in [
        "../interposer-component/wasm_rr_interposer.wasm",
        "../generic-interposer/wasm_rr_generic_interposer.so",
    ] {
        println!("cargo::rerun-if-changed={path}");
        hasher.update(std::fs::read(path).expect("the committed interposers"));
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    println!("cargo::rustc-env=WASM_RR_INTERPOSER_SHA256={digest}");
}
