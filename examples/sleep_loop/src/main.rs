//! Reads the clocks, sleeps, and reads them again: `sleep_loop [COUNT] [MILLIS]`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let millis: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let start = Instant::now();
    for i in 0..count {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970");
        println!(
            "tick {i}: wall {}.{:09}, elapsed {} us",
            wall.as_secs(),
            wall.subsec_nanos(),
            start.elapsed().as_micros()
        );
        std::thread::sleep(Duration::from_millis(millis));
    }
    println!("done after {} us", start.elapsed().as_micros());
}
