//! A time bug: panics when the wall clock says 13:37 UTC, prints the time otherwise.

use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let (hour, minute) = clock_face(secs);
    if (hour, minute) == (13, 37) {
        panic!("time bomb: it is {hour:02}:{minute:02} UTC");
    }
    println!("it is {hour:02}:{minute:02} UTC, all is well");
}

/// The hour and minute, UTC, of `secs` since the epoch: the function that
/// docs/src/debugging.md breaks on, to see the recorded time.
#[inline(never)]
fn clock_face(secs: u64) -> (u64, u64) {
    (secs / 3600 % 24, secs / 60 % 60)
}
