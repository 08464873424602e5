//! The provider of `acme:calls/source` (see ../wit/calls.wit) for the benchmarks: each call
//! makes the WASI call whose shape it has, so that a plain run costs the same either way.

wit_bindgen::generate!({
    path: "../wit/calls.wit",
    world: "provider",
});

use exports::acme::calls::source::{Guest, Instant};

struct Provider;

export!(Provider);

impl Guest for Provider {
    fn shift(at: Instant) -> Instant {
        let now = wasip2::clocks::wall_clock::now();
        Instant {
            seconds: at.seconds ^ now.seconds,
            nanoseconds: now.nanoseconds,
        }
    }

    fn bytes(len: u64) -> Vec<u8> {
        wasip2::random::random::get_random_bytes(len)
    }
}
