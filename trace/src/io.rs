//! Types of `wasi:io`.

use crate::{ErrorCode, HttpErrorCode};
use serde::{Deserialize, Serialize};

/// Outcome of a `wasi:io/streams` operation.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StreamResult<T> {
    Ok(T),
    /// `stream-error::closed`.
    Closed,
    /// `stream-error::last-operation-failed`.
    Failed(StreamFailure),
}

/// What the guest can learn of a stream's `error`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StreamFailure {
    /// Its `to-debug-string`.
    pub debug: String,
    /// Its `wasi:filesystem/types.filesystem-error-code`, for a file's stream.
    pub filesystem: Option<ErrorCode>,
    /// Its `wasi:http/types.http-error-code`, for an HTTP body's stream.
    #[serde(default)]
    pub http: Option<HttpErrorCode>,
}

/// Identifies a stream in events. The standard streams have fixed numbers, like file
/// descriptors; other streams are numbered from [`stream::FIRST_OTHER`] in creation order.
pub type StreamId = u32;

/// Stream numbers with a fixed meaning.
pub mod stream {
    use super::StreamId;
    pub const STDIN: StreamId = 0;
    pub const STDOUT: StreamId = 1;
    pub const STDERR: StreamId = 2;
    pub const FIRST_OTHER: StreamId = 3;
}

/// Identifies a pollable in events: pollables are numbered in creation order from 0.
pub type PollableId = u32;

/// A short fingerprint of bytes the guest wrote (FNV-1a, 64 bits): replay checks that the
/// guest writes the same data without the trace holding it.
pub fn digest(bytes: &[u8]) -> u64 {
    digest_more(0xcbf2_9ce4_8422_2325, bytes)
}

/// The [`digest`] of the bytes that gave `digest`, followed by `bytes`.
pub fn digest_more(digest: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(digest, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
