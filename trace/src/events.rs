//! Every recorded WASI call, grouped by WASI package: the one table that defines the
//! events of a trace.

use crate::{
    Advice, Bytes, Datetime, DescriptorId, DescriptorType, DirectoryEntry, DirectoryStreamId,
    Fields, FsResult, FutureResult, HeaderError, HttpId, HttpRequest, HttpResponse, HttpResult,
    IncomingDatagram, IpAddress, IpAddressFamily, IpSocketAddress, MetadataHash, NetResult,
    NewTimestamp, OutgoingDatagram, PollableId, Redaction, RequestOptions, ShutdownType, SocketId,
    Stat, StreamId, StreamResult,
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

    // wasi:sockets
    /// On success the lookup gets the next socket number.
    ResolveAddresses = "ip-name-lookup.resolve-addresses"
        ("wasi:sockets/ip-name-lookup", "resolve-addresses") { name: String } -> NetResult<()>;
    ResolveNextAddress = "resolve-address-stream.resolve-next-address"
        ("wasi:sockets/ip-name-lookup", "resolve-address-stream.resolve-next-address")
        { stream: SocketId } -> NetResult<Option<IpAddress>>;
    /// On success the socket gets the next socket number.
    CreateTcpSocket = "tcp-create-socket.create-tcp-socket"
        ("wasi:sockets/tcp-create-socket", "create-tcp-socket")
        { address_family: IpAddressFamily } -> NetResult<()>;
    TcpStartBind = "tcp-socket.start-bind" ("wasi:sockets/tcp", "tcp-socket.start-bind") { socket: SocketId, local_address: IpSocketAddress } -> NetResult<()>;
    TcpFinishBind = "tcp-socket.finish-bind" ("wasi:sockets/tcp", "tcp-socket.finish-bind") { socket: SocketId } -> NetResult<()>;
    TcpStartConnect = "tcp-socket.start-connect" ("wasi:sockets/tcp", "tcp-socket.start-connect") { socket: SocketId, remote_address: IpSocketAddress } -> NetResult<()>;
    /// On success the connection's input and output streams get the next two stream numbers.
    TcpFinishConnect = "tcp-socket.finish-connect" ("wasi:sockets/tcp", "tcp-socket.finish-connect") { socket: SocketId } -> NetResult<()>;
    TcpStartListen = "tcp-socket.start-listen" ("wasi:sockets/tcp", "tcp-socket.start-listen") { socket: SocketId } -> NetResult<()>;
    TcpFinishListen = "tcp-socket.finish-listen" ("wasi:sockets/tcp", "tcp-socket.finish-listen") { socket: SocketId } -> NetResult<()>;
    /// On success the accepted socket gets the next socket number, its streams the next two stream numbers.
    TcpAccept = "tcp-socket.accept" ("wasi:sockets/tcp", "tcp-socket.accept") { socket: SocketId } -> NetResult<()>;
    TcpLocalAddress = "tcp-socket.local-address" ("wasi:sockets/tcp", "tcp-socket.local-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    TcpRemoteAddress = "tcp-socket.remote-address" ("wasi:sockets/tcp", "tcp-socket.remote-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    TcpIsListening = "tcp-socket.is-listening" ("wasi:sockets/tcp", "tcp-socket.is-listening") { socket: SocketId } -> bool;
    TcpAddressFamily = "tcp-socket.address-family" ("wasi:sockets/tcp", "tcp-socket.address-family") { socket: SocketId } -> IpAddressFamily;
    TcpSetListenBacklogSize = "tcp-socket.set-listen-backlog-size" ("wasi:sockets/tcp", "tcp-socket.set-listen-backlog-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpKeepAliveEnabled = "tcp-socket.keep-alive-enabled" ("wasi:sockets/tcp", "tcp-socket.keep-alive-enabled") { socket: SocketId } -> NetResult<bool>;
    TcpSetKeepAliveEnabled = "tcp-socket.set-keep-alive-enabled" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-enabled") { socket: SocketId, value: bool } -> NetResult<()>;
    TcpKeepAliveIdleTime = "tcp-socket.keep-alive-idle-time" ("wasi:sockets/tcp", "tcp-socket.keep-alive-idle-time") { socket: SocketId } -> NetResult<u64>;
    TcpSetKeepAliveIdleTime = "tcp-socket.set-keep-alive-idle-time" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-idle-time") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpKeepAliveInterval = "tcp-socket.keep-alive-interval" ("wasi:sockets/tcp", "tcp-socket.keep-alive-interval") { socket: SocketId } -> NetResult<u64>;
    TcpSetKeepAliveInterval = "tcp-socket.set-keep-alive-interval" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-interval") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpKeepAliveCount = "tcp-socket.keep-alive-count" ("wasi:sockets/tcp", "tcp-socket.keep-alive-count") { socket: SocketId } -> NetResult<u32>;
    TcpSetKeepAliveCount = "tcp-socket.set-keep-alive-count" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-count") { socket: SocketId, value: u32 } -> NetResult<()>;
    TcpHopLimit = "tcp-socket.hop-limit" ("wasi:sockets/tcp", "tcp-socket.hop-limit") { socket: SocketId } -> NetResult<u8>;
    TcpSetHopLimit = "tcp-socket.set-hop-limit" ("wasi:sockets/tcp", "tcp-socket.set-hop-limit") { socket: SocketId, value: u8 } -> NetResult<()>;
    TcpReceiveBufferSize = "tcp-socket.receive-buffer-size" ("wasi:sockets/tcp", "tcp-socket.receive-buffer-size") { socket: SocketId } -> NetResult<u64>;
    TcpSetReceiveBufferSize = "tcp-socket.set-receive-buffer-size" ("wasi:sockets/tcp", "tcp-socket.set-receive-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpSendBufferSize = "tcp-socket.send-buffer-size" ("wasi:sockets/tcp", "tcp-socket.send-buffer-size") { socket: SocketId } -> NetResult<u64>;
    TcpSetSendBufferSize = "tcp-socket.set-send-buffer-size" ("wasi:sockets/tcp", "tcp-socket.set-send-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpShutdown = "tcp-socket.shutdown" ("wasi:sockets/tcp", "tcp-socket.shutdown") { socket: SocketId, shutdown_type: ShutdownType } -> NetResult<()>;
    /// On success the socket gets the next socket number.
    CreateUdpSocket = "udp-create-socket.create-udp-socket"
        ("wasi:sockets/udp-create-socket", "create-udp-socket")
        { address_family: IpAddressFamily } -> NetResult<()>;
    UdpStartBind = "udp-socket.start-bind" ("wasi:sockets/udp", "udp-socket.start-bind") { socket: SocketId, local_address: IpSocketAddress } -> NetResult<()>;
    UdpFinishBind = "udp-socket.finish-bind" ("wasi:sockets/udp", "udp-socket.finish-bind") { socket: SocketId } -> NetResult<()>;
    /// On success the incoming and outgoing datagram streams get the next two socket numbers.
    UdpStream = "udp-socket.stream" ("wasi:sockets/udp", "udp-socket.stream") { socket: SocketId, remote_address: Option<IpSocketAddress> } -> NetResult<()>;
    UdpLocalAddress = "udp-socket.local-address" ("wasi:sockets/udp", "udp-socket.local-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    UdpRemoteAddress = "udp-socket.remote-address" ("wasi:sockets/udp", "udp-socket.remote-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    UdpAddressFamily = "udp-socket.address-family" ("wasi:sockets/udp", "udp-socket.address-family") { socket: SocketId } -> IpAddressFamily;
    UdpUnicastHopLimit = "udp-socket.unicast-hop-limit" ("wasi:sockets/udp", "udp-socket.unicast-hop-limit") { socket: SocketId } -> NetResult<u8>;
    UdpSetUnicastHopLimit = "udp-socket.set-unicast-hop-limit" ("wasi:sockets/udp", "udp-socket.set-unicast-hop-limit") { socket: SocketId, value: u8 } -> NetResult<()>;
    UdpReceiveBufferSize = "udp-socket.receive-buffer-size" ("wasi:sockets/udp", "udp-socket.receive-buffer-size") { socket: SocketId } -> NetResult<u64>;
    UdpSetReceiveBufferSize = "udp-socket.set-receive-buffer-size" ("wasi:sockets/udp", "udp-socket.set-receive-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    UdpSendBufferSize = "udp-socket.send-buffer-size" ("wasi:sockets/udp", "udp-socket.send-buffer-size") { socket: SocketId } -> NetResult<u64>;
    UdpSetSendBufferSize = "udp-socket.set-send-buffer-size" ("wasi:sockets/udp", "udp-socket.set-send-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    IncomingDatagramReceive = "incoming-datagram-stream.receive"
        ("wasi:sockets/udp", "incoming-datagram-stream.receive")
        { stream: SocketId, max_results: u64 } -> NetResult<Vec<IncomingDatagram>>;
    OutgoingDatagramCheckSend = "outgoing-datagram-stream.check-send"
        ("wasi:sockets/udp", "outgoing-datagram-stream.check-send") { stream: SocketId } -> NetResult<u64>;
    OutgoingDatagramSend = "outgoing-datagram-stream.send"
        ("wasi:sockets/udp", "outgoing-datagram-stream.send")
        { stream: SocketId, datagrams: Vec<OutgoingDatagram> } -> NetResult<u64>;

    // wasi:http
    /// Which request headers the trace redacts, and the key (see [`Redaction`]).
    HttpRedaction = "wasm-rr.http-redaction" ("wasm-rr", "http-redaction") {} -> Redaction;
    /// A fields mutation as the host judged it; the values are checked when the request
    /// goes out.
    FieldsFromList = "fields.from-list" ("wasi:http/types", "[static]fields.from-list")
        { names: Vec<String> } -> Result<(), HeaderError>;
    FieldsSet = "fields.set" ("wasi:http/types", "fields.set")
        { fields: HttpId, name: String } -> Result<(), HeaderError>;
    FieldsDelete = "fields.delete" ("wasi:http/types", "fields.delete")
        { fields: HttpId, name: String } -> Result<(), HeaderError>;
    FieldsAppend = "fields.append" ("wasi:http/types", "fields.append")
        { fields: HttpId, name: String } -> Result<(), HeaderError>;
    OutgoingRequestSetMethod = "outgoing-request.set-method"
        ("wasi:http/types", "outgoing-request.set-method") { request: HttpId } -> Result<(), ()>;
    OutgoingRequestSetPathWithQuery = "outgoing-request.set-path-with-query"
        ("wasi:http/types", "outgoing-request.set-path-with-query")
        { request: HttpId } -> Result<(), ()>;
    OutgoingRequestSetScheme = "outgoing-request.set-scheme"
        ("wasi:http/types", "outgoing-request.set-scheme") { request: HttpId } -> Result<(), ()>;
    OutgoingRequestSetAuthority = "outgoing-request.set-authority"
        ("wasi:http/types", "outgoing-request.set-authority")
        { request: HttpId } -> Result<(), ()>;
    OutgoingRequestBody = "outgoing-request.body" ("wasi:http/types", "outgoing-request.body")
        { request: HttpId } -> Result<(), ()>;
    RequestOptionsSetConnectTimeout = "request-options.set-connect-timeout"
        ("wasi:http/types", "request-options.set-connect-timeout")
        { options: HttpId } -> Result<(), ()>;
    RequestOptionsSetFirstByteTimeout = "request-options.set-first-byte-timeout"
        ("wasi:http/types", "request-options.set-first-byte-timeout")
        { options: HttpId } -> Result<(), ()>;
    RequestOptionsSetBetweenBytesTimeout = "request-options.set-between-bytes-timeout"
        ("wasi:http/types", "request-options.set-between-bytes-timeout")
        { options: HttpId } -> Result<(), ()>;
    OutgoingBodyWrite = "outgoing-body.write" ("wasi:http/types", "outgoing-body.write")
        { body: HttpId } -> Result<(), ()>;
    OutgoingBodyFinish = "outgoing-body.finish" ("wasi:http/types", "[static]outgoing-body.finish")
        { body: HttpId, trailers: Option<Fields> } -> HttpResult<()>;
    /// The request as the guest sends it: replay checks all of it but the body.
    OutgoingHandlerHandle = "outgoing-handler.handle" ("wasi:http/outgoing-handler", "handle")
        { request: HttpRequest, options: Option<RequestOptions> } -> HttpResult<()>;
    FutureIncomingResponseGet = "future-incoming-response.get"
        ("wasi:http/types", "future-incoming-response.get")
        { future: HttpId } -> FutureResult<HttpResponse>;
    IncomingResponseConsume = "incoming-response.consume"
        ("wasi:http/types", "incoming-response.consume") { response: HttpId } -> Result<(), ()>;
    IncomingBodyStream = "incoming-body.stream" ("wasi:http/types", "incoming-body.stream")
        { body: HttpId } -> Result<(), ()>;
    FutureTrailersGet = "future-trailers.get" ("wasi:http/types", "future-trailers.get")
        { future: HttpId } -> FutureResult<Option<Fields>>;
}
