//! Streams a file (or stdin) through a checksum in 64 KiB reads, holding no more than one
//! read in memory, and prints its size and FNV-1a digest: `checksum [FILE]`.

use std::io::Read;

fn main() {
    let mut input: Box<dyn Read> = match std::env::args().nth(1) {
        Some(path) => match std::fs::File::open(&path) {
            Ok(file) => Box::new(file),
            Err(error) => {
                eprintln!("checksum: {path}: {error}");
                std::process::exit(2);
            }
        },
        None => Box::new(std::io::stdin()),
    };
    let mut buffer = vec![0u8; 64 * 1024];
    let (mut size, mut hash) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    loop {
        let n = input.read(&mut buffer).expect("reading");
        if n == 0 {
            break;
        }
        size += n as u64;
        for &byte in &buffer[..n] {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("{size} bytes, fnv1a64 {hash:016x}");
}
