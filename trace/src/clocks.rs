//! Types of `wasi:clocks`.

use serde::{Deserialize, Serialize};

/// A seconds-and-nanoseconds time, as `wasi:clocks/wall-clock` returns it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datetime {
    pub seconds: u64,
    pub nanoseconds: u32,
}
