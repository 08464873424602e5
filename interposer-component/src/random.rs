//! `wasi:random`: every value is recorded; the byte count asked must match in replay.

use crate::bindings::exports::wasi::random::{
    insecure as e_insecure, insecure_seed as e_seed, random as e_random,
};
use crate::bindings::wasi::random::{
    insecure as i_insecure, insecure_seed as i_seed, random as i_random,
};
use crate::log::recorded;
use crate::Interposer;
use wasm_rr_trace::{self as trace, Bytes};

impl e_random::Guest for Interposer {
    fn get_random_bytes(len: u64) -> Vec<u8> {
        recorded::<trace::GetRandomBytes>((len,), || Bytes(i_random::get_random_bytes(len))).into()
    }

    fn get_random_u64() -> u64 {
        recorded::<trace::GetRandomU64>((), i_random::get_random_u64)
    }
}

impl e_insecure::Guest for Interposer {
    fn get_insecure_random_bytes(len: u64) -> Vec<u8> {
        recorded::<trace::GetInsecureRandomBytes>((len,), || {
            Bytes(i_insecure::get_insecure_random_bytes(len))
        })
        .into()
    }

    fn get_insecure_random_u64() -> u64 {
        recorded::<trace::GetInsecureRandomU64>((), i_insecure::get_insecure_random_u64)
    }
}

impl e_seed::Guest for Interposer {
    fn insecure_seed() -> (u64, u64) {
        recorded::<trace::InsecureSeed>((), i_seed::insecure_seed)
    }
}
