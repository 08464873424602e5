//! `wasi:clocks`: every reading is recorded; in replay, timers are ready at once.

use crate::bindings::exports::wasi::clocks::{monotonic_clock as e_mono, wall_clock as e_wall};
use crate::bindings::exports::wasi::io::poll::Pollable as ExportPollable;
use crate::bindings::wasi::clocks::{monotonic_clock as i_mono, wall_clock as i_wall};
use crate::io::Pollable;
use crate::log::recorded;
use crate::Interposer;
use wasm_rr_trace as trace;

impl From<i_wall::Datetime> for trace::Datetime {
    fn from(time: i_wall::Datetime) -> Self {
        trace::Datetime {
            seconds: time.seconds,
            nanoseconds: time.nanoseconds,
        }
    }
}

impl From<trace::Datetime> for e_wall::Datetime {
    fn from(time: trace::Datetime) -> Self {
        e_wall::Datetime {
            seconds: time.seconds,
            nanoseconds: time.nanoseconds,
        }
    }
}

impl e_wall::Guest for Interposer {
    fn now() -> e_wall::Datetime {
        recorded::<trace::WallClockNow>((), || i_wall::now().into()).into()
    }

    fn resolution() -> e_wall::Datetime {
        recorded::<trace::WallClockResolution>((), || i_wall::resolution().into()).into()
    }
}

impl e_mono::Guest for Interposer {
    fn now() -> u64 {
        recorded::<trace::MonotonicClockNow>((), i_mono::now)
    }

    fn resolution() -> u64 {
        recorded::<trace::MonotonicClockResolution>((), i_mono::resolution)
    }

    fn subscribe_instant(when: u64) -> ExportPollable {
        Pollable::unless_replaying(|| i_mono::subscribe_instant(when))
    }

    fn subscribe_duration(when: u64) -> ExportPollable {
        Pollable::unless_replaying(|| i_mono::subscribe_duration(when))
    }
}
