//! Types of `wasi:filesystem`.
//!
//! The variants of its enums are listed once, in the `*_variants!` macros, which call back
//! a macro of the caller's with the list: this crate defines the enums with them, and the
//! interposer its conversions from and to the WIT bindings.

use crate::Datetime;
use serde::{Deserialize, Serialize};

/// Identifies a descriptor in events: descriptors are numbered in creation order from 0
/// (the preopens first).
pub type DescriptorId = u32;

/// Identifies a directory-entry stream in events, numbered in creation order from 0.
pub type DirectoryStreamId = u32;

/// Calls `$callback!($($prefix)* Variant, ...)` with the variants of `error-code`.
#[macro_export]
macro_rules! error_code_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)*
            Access, WouldBlock, Already, BadDescriptor, Busy, Deadlock, Quota, Exist,
            FileTooLarge, IllegalByteSequence, InProgress, Interrupted, Invalid, Io,
            IsDirectory, Loop, TooManyLinks, MessageSize, NameTooLong, NoDevice, NoEntry,
            NoLock, InsufficientMemory, InsufficientSpace, NotDirectory, NotEmpty,
            NotRecoverable, Unsupported, NoTty, NoSuchDevice, Overflow, NotPermitted, Pipe,
            ReadOnly, InvalidSeek, TextFileBusy, CrossDevice
        );
    };
}

/// Calls `$callback!($($prefix)* Variant, ...)` with the variants of `descriptor-type`.
#[macro_export]
macro_rules! descriptor_type_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)*
            Unknown, BlockDevice, CharacterDevice, Directory, Fifo, SymbolicLink, RegularFile,
            Socket
        );
    };
}

/// Calls `$callback!($($prefix)* Variant, ...)` with the variants of `advice`.
#[macro_export]
macro_rules! advice_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)* Normal, Sequential, Random, WillNeed, DontNeed, NoReuse);
    };
}

error_code_variants!(wit_enum!(
    /// `error-code`, written in JSON as in WIT: `"no-entry"`.
    ErrorCode;
));
descriptor_type_variants!(wit_enum!(
    /// `descriptor-type`.
    DescriptorType;
));
advice_variants!(wit_enum!(
    /// `advice`.
    Advice;
));

/// `descriptor-stat`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    #[serde(rename = "type")]
    pub type_: DescriptorType,
    pub link_count: u64,
    pub size: u64,
    pub data_access_timestamp: Option<Datetime>,
    pub data_modification_timestamp: Option<Datetime>,
    pub status_change_timestamp: Option<Datetime>,
}

/// `new-timestamp`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NewTimestamp {
    NoChange,
    Now,
    Timestamp(Datetime),
}

/// `directory-entry`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    #[serde(rename = "type")]
    pub type_: DescriptorType,
    pub name: String,
}

/// `metadata-hash-value`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataHash {
    pub lower: u64,
    pub upper: u64,
}

/// The result of a `wasi:filesystem` function.
pub type FsResult<T> = Result<T, ErrorCode>;
