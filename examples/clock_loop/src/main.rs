//! Reads the wall clock N times (default 1,000,000) and prints a sum of the readings: the
//! call-heavy worst case for a recorder. `clock_loop [N]`.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let mut sum = 0u64;
    for _ in 0..count {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970");
        sum = sum.wrapping_add(u64::from(now.subsec_nanos()));
    }
    println!("{count} clock reads, checksum {sum}");
}
