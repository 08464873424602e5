//! Every recorded WASI call, grouped by WASI package: the one table that defines the
//! events of a trace.

use crate::{
    Advice, Bytes, Datetime, DescriptorId, DescriptorType, DirectoryEntry, DirectoryStreamId,
    FsResult, MetadataHash, NewTimestamp, PollableId, Stat, StreamId, StreamResult,
};

calls! {
    // wasi:clocks
    WallClockNow = "wall-clock.now" ("wasi:clocks/wall-clock", "now") {} -> Datetime;
    WallClockResolution = "wall-clock.resolution" ("wasi:clocks/wall-clock", "resolution") {} -> Datetime;
    MonotonicClockNow = "monotonic-clock.now" ("wasi:clocks/monotonic-clock", "now") {} -> u64;
    MonotonicClockResolution = "monotonic-clock.resolution"
        ("wasi:clocks/monotonic-clock", "resolution") {} -> u64;

    // wasi:random
    GetRandomBytes = "random.get-random-bytes" ("wasi:random/random", "get-random-bytes")
        { len: u64 } -> Bytes;
    GetRandomU64 = "random.get-random-u64" ("wasi:random/random", "get-random-u64") {} -> u64;
    GetInsecureRandomBytes = "insecure.get-insecure-random-bytes"
        ("wasi:random/insecure", "get-insecure-random-bytes") { len: u64 } -> Bytes;
    GetInsecureRandomU64 = "insecure.get-insecure-random-u64"
        ("wasi:random/insecure", "get-insecure-random-u64") {} -> u64;
    InsecureSeed = "insecure-seed.insecure-seed" ("wasi:random/insecure-seed", "insecure-seed")
        {} -> (u64, u64);

    // wasi:cli
    GetEnvironment = "environment.get-environment" ("wasi:cli/environment", "get-environment")
        {} -> Vec<(String, String)>;
    GetArguments = "environment.get-arguments" ("wasi:cli/environment", "get-arguments")
        {} -> Vec<String>;
    InitialCwd = "environment.initial-cwd" ("wasi:cli/environment", "initial-cwd")
        {} -> Option<String>;
    /// Whether stdin is a terminal.
    GetTerminalStdin = "terminal-stdin.get-terminal-stdin"
        ("wasi:cli/terminal-stdin", "get-terminal-stdin") {} -> bool;
    /// Whether stdout is a terminal.
    GetTerminalStdout = "terminal-stdout.get-terminal-stdout"
        ("wasi:cli/terminal-stdout", "get-terminal-stdout") {} -> bool;
    /// Whether stderr is a terminal.
    GetTerminalStderr = "terminal-stderr.get-terminal-stderr"
        ("wasi:cli/terminal-stderr", "get-terminal-stderr") {} -> bool;

    // wasi:io
    PollableReady = "pollable.ready" ("wasi:io/poll", "pollable.ready")
        { pollable: PollableId } -> bool;
    Poll = "poll.poll" ("wasi:io/poll", "poll") { pollables: Vec<PollableId> } -> Vec<u32>;
    InputStreamRead = "input-stream.read" ("wasi:io/streams", "input-stream.read")
        { stream: StreamId, len: u64 } -> StreamResult<Bytes>;
    InputStreamBlockingRead = "input-stream.blocking-read"
        ("wasi:io/streams", "input-stream.blocking-read")
        { stream: StreamId, len: u64 } -> StreamResult<Bytes>;
    InputStreamSkip = "input-stream.skip" ("wasi:io/streams", "input-stream.skip")
        { stream: StreamId, len: u64 } -> StreamResult<u64>;
    InputStreamBlockingSkip = "input-stream.blocking-skip"
        ("wasi:io/streams", "input-stream.blocking-skip")
        { stream: StreamId, len: u64 } -> StreamResult<u64>;
    OutputStreamCheckWrite = "output-stream.check-write"
        ("wasi:io/streams", "output-stream.check-write")
        { stream: StreamId } -> StreamResult<u64>;
    /// Any write (`write`, `blocking-write-and-flush`, the `*-zeroes` forms) of `len`
    /// bytes whose [`digest`](crate::digest) is `digest`.
    OutputStreamWrite = "output-stream.write" ("wasi:io/streams", "output-stream.write")
        { stream: StreamId, len: u64, digest: u64 } -> StreamResult<()>;
    /// `flush` or `blocking-flush`.
    OutputStreamFlush = "output-stream.flush" ("wasi:io/streams", "output-stream.flush")
        { stream: StreamId } -> StreamResult<()>;

    // wasi:filesystem
    /// The guest paths of the preopened directories, which get descriptors 0, 1, ...
    GetDirectories = "preopens.get-directories" ("wasi:filesystem/preopens", "get-directories")
        {} -> Vec<String>;
    /// On success the stream gets the next stream number.
    ReadViaStream = "descriptor.read-via-stream" ("wasi:filesystem/types", "descriptor.read-via-stream")
        { descriptor: DescriptorId, offset: u64 } -> FsResult<()>;
    WriteViaStream = "descriptor.write-via-stream"
        ("wasi:filesystem/types", "descriptor.write-via-stream")
        { descriptor: DescriptorId, offset: u64 } -> FsResult<()>;
    AppendViaStream = "descriptor.append-via-stream"
        ("wasi:filesystem/types", "descriptor.append-via-stream")
        { descriptor: DescriptorId } -> FsResult<()>;
    Advise = "descriptor.advise" ("wasi:filesystem/types", "descriptor.advise")
        { descriptor: DescriptorId, offset: u64, length: u64, advice: Advice } -> FsResult<()>;
    SyncData = "descriptor.sync-data" ("wasi:filesystem/types", "descriptor.sync-data")
        { descriptor: DescriptorId } -> FsResult<()>;
    /// The `descriptor-flags` bits.
    GetFlags = "descriptor.get-flags" ("wasi:filesystem/types", "descriptor.get-flags")
        { descriptor: DescriptorId } -> FsResult<u8>;
    GetType = "descriptor.get-type" ("wasi:filesystem/types", "descriptor.get-type")
        { descriptor: DescriptorId } -> FsResult<DescriptorType>;
    SetSize = "descriptor.set-size" ("wasi:filesystem/types", "descriptor.set-size")
        { descriptor: DescriptorId, size: u64 } -> FsResult<()>;
    SetTimes = "descriptor.set-times" ("wasi:filesystem/types", "descriptor.set-times")
        { descriptor: DescriptorId, data_access: NewTimestamp, data_modification: NewTimestamp }
        -> FsResult<()>;
    /// The bytes read and whether the end of the file was reached.
    Read = "descriptor.read" ("wasi:filesystem/types", "descriptor.read")
        { descriptor: DescriptorId, length: u64, offset: u64 } -> FsResult<(Bytes, bool)>;
    /// A write of `len` bytes whose [`digest`](crate::digest) is `digest`.
    Write = "descriptor.write" ("wasi:filesystem/types", "descriptor.write")
        { descriptor: DescriptorId, offset: u64, len: u64, digest: u64 } -> FsResult<u64>;
    /// On success the listing gets the next directory-stream number.
    ReadDirectory = "descriptor.read-directory" ("wasi:filesystem/types", "descriptor.read-directory")
        { descriptor: DescriptorId } -> FsResult<()>;
    Sync = "descriptor.sync" ("wasi:filesystem/types", "descriptor.sync")
        { descriptor: DescriptorId } -> FsResult<()>;
    CreateDirectoryAt = "descriptor.create-directory-at"
        ("wasi:filesystem/types", "descriptor.create-directory-at")
        { descriptor: DescriptorId, path: String } -> FsResult<()>;
    GetStat = "descriptor.stat" ("wasi:filesystem/types", "descriptor.stat")
        { descriptor: DescriptorId } -> FsResult<Stat>;
    /// `path_flags` holds the `path-flags` bits.
    StatAt = "descriptor.stat-at" ("wasi:filesystem/types", "descriptor.stat-at")
        { descriptor: DescriptorId, path_flags: u8, path: String } -> FsResult<Stat>;
    SetTimesAt = "descriptor.set-times-at" ("wasi:filesystem/types", "descriptor.set-times-at")
        {
            descriptor: DescriptorId, path_flags: u8, path: String, data_access: NewTimestamp,
            data_modification: NewTimestamp
        } -> FsResult<()>;
    LinkAt = "descriptor.link-at" ("wasi:filesystem/types", "descriptor.link-at")
        {
            descriptor: DescriptorId, old_path_flags: u8, old_path: String,
            new_descriptor: DescriptorId, new_path: String
        } -> FsResult<()>;
    /// On success the file gets the next descriptor number.
    OpenAt = "descriptor.open-at" ("wasi:filesystem/types", "descriptor.open-at")
        { descriptor: DescriptorId, path_flags: u8, path: String, open_flags: u8, flags: u8 }
        -> FsResult<()>;
    ReadlinkAt = "descriptor.readlink-at" ("wasi:filesystem/types", "descriptor.readlink-at")
        { descriptor: DescriptorId, path: String } -> FsResult<String>;
    RemoveDirectoryAt = "descriptor.remove-directory-at"
        ("wasi:filesystem/types", "descriptor.remove-directory-at")
        { descriptor: DescriptorId, path: String } -> FsResult<()>;
    RenameAt = "descriptor.rename-at" ("wasi:filesystem/types", "descriptor.rename-at")
        { descriptor: DescriptorId, old_path: String, new_descriptor: DescriptorId, new_path: String }
        -> FsResult<()>;
    SymlinkAt = "descriptor.symlink-at" ("wasi:filesystem/types", "descriptor.symlink-at")
        { descriptor: DescriptorId, old_path: String, new_path: String } -> FsResult<()>;
    UnlinkFileAt = "descriptor.unlink-file-at" ("wasi:filesystem/types", "descriptor.unlink-file-at")
        { descriptor: DescriptorId, path: String } -> FsResult<()>;
    IsSameObject = "descriptor.is-same-object" ("wasi:filesystem/types", "descriptor.is-same-object")
        { descriptor: DescriptorId, other: DescriptorId } -> bool;
    GetMetadataHash = "descriptor.metadata-hash" ("wasi:filesystem/types", "descriptor.metadata-hash")
        { descriptor: DescriptorId } -> FsResult<MetadataHash>;
    MetadataHashAt = "descriptor.metadata-hash-at"
        ("wasi:filesystem/types", "descriptor.metadata-hash-at")
        { descriptor: DescriptorId, path_flags: u8, path: String } -> FsResult<MetadataHash>;
    ReadDirectoryEntry = "directory-entry-stream.read-directory-entry"
        ("wasi:filesystem/types", "directory-entry-stream.read-directory-entry")
        { stream: DirectoryStreamId } -> FsResult<Option<DirectoryEntry>>;
}
