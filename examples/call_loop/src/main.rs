//! Makes one kind of call N times and prints a checksum: the benchmarks' measure of a
//! generic call against a hand-written WASI call of the same shape. `call_loop KIND [N]`:
//!
//! - `clock`: `wasi:clocks/wall-clock.now` (WASI, a small record out);
//! - `shift`: `acme:calls/source.shift` (generic, a small record in and out);
//! - `random`: `wasi:random/random.get-random-bytes(65536)` (WASI, 64 KiB out);
//! - `bytes`: `acme:calls/source.bytes(65536)` (generic, 64 KiB out).

wit_bindgen::generate!({
    path: "../wit/calls.wit",
    world: "app",
});

use acme::calls::source::{self, Instant};

const LIST_BYTES: u64 = 64 * 1024;

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_default();
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mut sum = 0u64;
    let mut at = Instant {
        seconds: 1,
        nanoseconds: 2,
    };
    for _ in 0..count {
        sum = sum.wrapping_add(match kind.as_str() {
            "clock" => u64::from(wasip2::clocks::wall_clock::now().nanoseconds),
            "shift" => {
                at = source::shift(at);
                u64::from(at.nanoseconds)
            }
            "random" => fold(&wasip2::random::random::get_random_bytes(LIST_BYTES)),
            "bytes" => fold(&source::bytes(LIST_BYTES)),
            _ => {
                eprintln!("usage: call_loop clock|shift|random|bytes [N]");
                std::process::exit(2);
            }
        });
    }
    println!("{count} {kind} calls, checksum {sum}");
}

fn fold(bytes: &[u8]) -> u64 {
    bytes.iter().map(|&byte| u64::from(byte)).sum()
}
