//! Reads stdin to the end and prints its size, its line count, a checksum and its first line.

use std::io::Read;

fn main() {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .expect("reading stdin");
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    let fnv = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let first = input.split(|&b| b == b'\n').next().unwrap_or_default();
    println!(
        "stdin: {} bytes, {lines} lines, fnv1a64 {fnv:016x}",
        input.len()
    );
    println!("first line: {}", String::from_utf8_lossy(first));
}
