//! Every recorded WASI call, grouped by WASI package: the one table that defines the
//! events of a trace.

use crate::{
    bounds, Advice, Bytes, Datetime, DescriptorId, DescriptorType, DirectoryEntry,
    DirectoryStreamId, Fields, FsResult, FutureResult, HeaderError, HttpId, HttpRequest,
    HttpResponse, HttpResult, IncomingDatagram, IpAddress, IpAddressFamily, IpSocketAddress,
    MetadataHash, NetResult, NewTimestamp, OutgoingDatagram, PollableId, Redaction, RequestOptions,
    ShutdownType, SocketId, Stat, StreamId, StreamResult,
};

calls! {
    // wasi:clocks
    WallClockNow(0) = "wall-clock.now" ("wasi:clocks/wall-clock", "now") {} -> Datetime;
    WallClockResolution(1) = "wall-clock.resolution" ("wasi:clocks/wall-clock", "resolution") {} -> Datetime;
    MonotonicClockNow(2) = "monotonic-clock.now" ("wasi:clocks/monotonic-clock", "now") {} -> u64;
    MonotonicClockResolution(3) = "monotonic-clock.resolution"
        ("wasi:clocks/monotonic-clock", "resolution") {} -> u64;

    // wasi:random
    GetRandomBytes(4) = "random.get-random-bytes" ("wasi:random/random", "get-random-bytes")
        { len: u64 } -> Bytes,
        bounded by bounds::random_bytes;
    GetRandomU64(5) = "random.get-random-u64" ("wasi:random/random", "get-random-u64") {} -> u64;
    GetInsecureRandomBytes(6) = "insecure.get-insecure-random-bytes"
        ("wasi:random/insecure", "get-insecure-random-bytes") { len: u64 } -> Bytes,
        bounded by bounds::insecure_random_bytes;
    GetInsecureRandomU64(7) = "insecure.get-insecure-random-u64"
        ("wasi:random/insecure", "get-insecure-random-u64") {} -> u64;
    InsecureSeed(8) = "insecure-seed.insecure-seed" ("wasi:random/insecure-seed", "insecure-seed")
        {} -> (u64, u64);

    // wasi:cli
    GetEnvironment(9) = "environment.get-environment" ("wasi:cli/environment", "get-environment")
        {} -> Vec<(String, String)>;
    GetArguments(10) = "environment.get-arguments" ("wasi:cli/environment", "get-arguments")
        {} -> Vec<String>;
    InitialCwd(11) = "environment.initial-cwd" ("wasi:cli/environment", "initial-cwd")
        {} -> Option<String>;
    /// Whether stdin is a terminal.
    GetTerminalStdin(12) = "terminal-stdin.get-terminal-stdin"
        ("wasi:cli/terminal-stdin", "get-terminal-stdin") {} -> bool;
    /// Whether stdout is a terminal.
    GetTerminalStdout(13) = "terminal-stdout.get-terminal-stdout"
        ("wasi:cli/terminal-stdout", "get-terminal-stdout") {} -> bool;
    /// Whether stderr is a terminal.
    GetTerminalStderr(14) = "terminal-stderr.get-terminal-stderr"
        ("wasi:cli/terminal-stderr", "get-terminal-stderr") {} -> bool;

    // wasi:io
    PollableReady(15) = "pollable.ready" ("wasi:io/poll", "pollable.ready")
        { pollable: PollableId } -> bool;
    Poll(16) = "poll.poll" ("wasi:io/poll", "poll") { pollables: Vec<PollableId> } -> Vec<u32>,
        bounded by bounds::poll;
    InputStreamRead(17) = "input-stream.read" ("wasi:io/streams", "input-stream.read")
        { stream: StreamId, len: u64 } -> StreamResult<Bytes>,
        bounded by bounds::stream_read;
    InputStreamBlockingRead(18) = "input-stream.blocking-read"
        ("wasi:io/streams", "input-stream.blocking-read")
        { stream: StreamId, len: u64 } -> StreamResult<Bytes>,
        bounded by bounds::stream_blocking_read;
    InputStreamSkip(19) = "input-stream.skip" ("wasi:io/streams", "input-stream.skip")
        { stream: StreamId, len: u64 } -> StreamResult<u64>,
        bounded by bounds::stream_skip;
    InputStreamBlockingSkip(20) = "input-stream.blocking-skip"
        ("wasi:io/streams", "input-stream.blocking-skip")
        { stream: StreamId, len: u64 } -> StreamResult<u64>,
        bounded by bounds::stream_blocking_skip;
    OutputStreamCheckWrite(21) = "output-stream.check-write"
        ("wasi:io/streams", "output-stream.check-write")
        { stream: StreamId } -> StreamResult<u64>;
    /// Any write (`write`, `blocking-write-and-flush`, the `*-zeroes` forms) of `len`
    /// bytes whose [`digest`](crate::digest) is `digest`.
    OutputStreamWrite(22) = "output-stream.write" ("wasi:io/streams", "output-stream.write")
        { stream: StreamId, len: u64, digest: u64 } -> StreamResult<()>;
    /// `flush` or `blocking-flush`.
    OutputStreamFlush(23) = "output-stream.flush" ("wasi:io/streams", "output-stream.flush")
        { stream: StreamId } -> StreamResult<()>;

    // wasi:filesystem
    /// The guest paths of the preopened directories, which get descriptors 0, 1, ...
    GetDirectories(24) = "preopens.get-directories" ("wasi:filesystem/preopens", "get-directories")
        {} -> Vec<String>;
    /// On success the stream gets the next stream number.
    ReadViaStream(25) = "descriptor.read-via-stream" ("wasi:filesystem/types", "descriptor.read-via-stream")
        { descriptor: DescriptorId, offset: u64 } -> FsResult<()>;
    WriteViaStream(26) = "descriptor.write-via-stream"
        ("wasi:filesystem/types", "descriptor.write-via-stream")
        { descriptor: DescriptorId, offset: u64 } -> FsResult<()>;
    AppendViaStream(27) = "descriptor.append-via-stream"
        ("wasi:filesystem/types", "descriptor.append-via-stream")
        { descriptor: DescriptorId } -> FsResult<()>;
    Advise(28) = "descriptor.advise" ("wasi:filesystem/types", "descriptor.advise")
        { descriptor: DescriptorId, offset: u64, length: u64, advice: Advice } -> FsResult<()>;
    SyncData(29) = "descriptor.sync-data" ("wasi:filesystem/types", "descriptor.sync-data")
        { descriptor: DescriptorId } -> FsResult<()>;
    /// The `descriptor-flags` bits.
    GetFlags(30) = "descriptor.get-flags" ("wasi:filesystem/types", "descriptor.get-flags")
        { descriptor: DescriptorId } -> FsResult<u8>;
    GetType(31) = "descriptor.get-type" ("wasi:filesystem/types", "descriptor.get-type")
        { descriptor: DescriptorId } -> FsResult<DescriptorType>;
    SetSize(32) = "descriptor.set-size" ("wasi:filesystem/types", "descriptor.set-size")
        { descriptor: DescriptorId, size: u64 } -> FsResult<()>;
    SetTimes(33) = "descriptor.set-times" ("wasi:filesystem/types", "descriptor.set-times")
        { descriptor: DescriptorId, data_access: NewTimestamp, data_modification: NewTimestamp }
        -> FsResult<()>;
    /// The bytes read and whether the end of the file was reached.
    Read(34) = "descriptor.read" ("wasi:filesystem/types", "descriptor.read")
        { descriptor: DescriptorId, length: u64, offset: u64 } -> FsResult<(Bytes, bool)>,
        bounded by bounds::file_read;
    /// A write of `len` bytes whose [`digest`](crate::digest) is `digest`.
    Write(35) = "descriptor.write" ("wasi:filesystem/types", "descriptor.write")
        { descriptor: DescriptorId, offset: u64, len: u64, digest: u64 } -> FsResult<u64>,
        bounded by bounds::file_write;
    /// On success the listing gets the next directory-stream number.
    ReadDirectory(36) = "descriptor.read-directory" ("wasi:filesystem/types", "descriptor.read-directory")
        { descriptor: DescriptorId } -> FsResult<()>;
    Sync(37) = "descriptor.sync" ("wasi:filesystem/types", "descriptor.sync")
        { descriptor: DescriptorId } -> FsResult<()>;
    CreateDirectoryAt(38) = "descriptor.create-directory-at"
        ("wasi:filesystem/types", "descriptor.create-directory-at")
        { descriptor: DescriptorId, path: String } -> FsResult<()>;
    GetStat(39) = "descriptor.stat" ("wasi:filesystem/types", "descriptor.stat")
        { descriptor: DescriptorId } -> FsResult<Stat>;
    /// `path_flags` holds the `path-flags` bits.
    StatAt(40) = "descriptor.stat-at" ("wasi:filesystem/types", "descriptor.stat-at")
        { descriptor: DescriptorId, path_flags: u8, path: String } -> FsResult<Stat>;
    SetTimesAt(41) = "descriptor.set-times-at" ("wasi:filesystem/types", "descriptor.set-times-at")
        {
            descriptor: DescriptorId, path_flags: u8, path: String, data_access: NewTimestamp,
            data_modification: NewTimestamp
        } -> FsResult<()>;
    LinkAt(42) = "descriptor.link-at" ("wasi:filesystem/types", "descriptor.link-at")
        {
            descriptor: DescriptorId, old_path_flags: u8, old_path: String,
            new_descriptor: DescriptorId, new_path: String
        } -> FsResult<()>;
    /// On success the file gets the next descriptor number.
    OpenAt(43) = "descriptor.open-at" ("wasi:filesystem/types", "descriptor.open-at")
        { descriptor: DescriptorId, path_flags: u8, path: String, open_flags: u8, flags: u8 }
        -> FsResult<()>;
    ReadlinkAt(44) = "descriptor.readlink-at" ("wasi:filesystem/types", "descriptor.readlink-at")
        { descriptor: DescriptorId, path: String } -> FsResult<String>;
    RemoveDirectoryAt(45) = "descriptor.remove-directory-at"
        ("wasi:filesystem/types", "descriptor.remove-directory-at")
        { descriptor: DescriptorId, path: String } -> FsResult<()>;
    RenameAt(46) = "descriptor.rename-at" ("wasi:filesystem/types", "descriptor.rename-at")
        { descriptor: DescriptorId, old_path: String, new_descriptor: DescriptorId, new_path: String }
        -> FsResult<()>;
    SymlinkAt(47) = "descriptor.symlink-at" ("wasi:filesystem/types", "descriptor.symlink-at")
        { descriptor: DescriptorId, old_path: String, new_path: String } -> FsResult<()>;
    UnlinkFileAt(48) = "descriptor.unlink-file-at" ("wasi:filesystem/types", "descriptor.unlink-file-at")
        { descriptor: DescriptorId, path: String } -> FsResult<()>;
    IsSameObject(49) = "descriptor.is-same-object" ("wasi:filesystem/types", "descriptor.is-same-object")
        { descriptor: DescriptorId, other: DescriptorId } -> bool;
    GetMetadataHash(50) = "descriptor.metadata-hash" ("wasi:filesystem/types", "descriptor.metadata-hash")
        { descriptor: DescriptorId } -> FsResult<MetadataHash>;
    MetadataHashAt(51) = "descriptor.metadata-hash-at"
        ("wasi:filesystem/types", "descriptor.metadata-hash-at")
        { descriptor: DescriptorId, path_flags: u8, path: String } -> FsResult<MetadataHash>;
    ReadDirectoryEntry(52) = "directory-entry-stream.read-directory-entry"
        ("wasi:filesystem/types", "directory-entry-stream.read-directory-entry")
        { stream: DirectoryStreamId } -> FsResult<Option<DirectoryEntry>>;

    // wasi:sockets
    /// On success the lookup gets the next socket number.
    ResolveAddresses(53) = "ip-name-lookup.resolve-addresses"
        ("wasi:sockets/ip-name-lookup", "resolve-addresses") { name: String } -> NetResult<()>;
    ResolveNextAddress(54) = "resolve-address-stream.resolve-next-address"
        ("wasi:sockets/ip-name-lookup", "resolve-address-stream.resolve-next-address")
        { stream: SocketId } -> NetResult<Option<IpAddress>>;
    /// On success the socket gets the next socket number.
    CreateTcpSocket(55) = "tcp-create-socket.create-tcp-socket"
        ("wasi:sockets/tcp-create-socket", "create-tcp-socket")
        { address_family: IpAddressFamily } -> NetResult<()>;
    TcpStartBind(56) = "tcp-socket.start-bind" ("wasi:sockets/tcp", "tcp-socket.start-bind") { socket: SocketId, local_address: IpSocketAddress } -> NetResult<()>;
    TcpFinishBind(57) = "tcp-socket.finish-bind" ("wasi:sockets/tcp", "tcp-socket.finish-bind") { socket: SocketId } -> NetResult<()>;
    TcpStartConnect(58) = "tcp-socket.start-connect" ("wasi:sockets/tcp", "tcp-socket.start-connect") { socket: SocketId, remote_address: IpSocketAddress } -> NetResult<()>;
    /// On success the connection's input and output streams get the next two stream numbers.
    TcpFinishConnect(59) = "tcp-socket.finish-connect" ("wasi:sockets/tcp", "tcp-socket.finish-connect") { socket: SocketId } -> NetResult<()>;
    TcpStartListen(60) = "tcp-socket.start-listen" ("wasi:sockets/tcp", "tcp-socket.start-listen") { socket: SocketId } -> NetResult<()>;
    TcpFinishListen(61) = "tcp-socket.finish-listen" ("wasi:sockets/tcp", "tcp-socket.finish-listen") { socket: SocketId } -> NetResult<()>;
    /// On success the accepted socket gets the next socket number, its streams the next two stream numbers.
    TcpAccept(62) = "tcp-socket.accept" ("wasi:sockets/tcp", "tcp-socket.accept") { socket: SocketId } -> NetResult<()>;
    TcpLocalAddress(63) = "tcp-socket.local-address" ("wasi:sockets/tcp", "tcp-socket.local-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    TcpRemoteAddress(64) = "tcp-socket.remote-address" ("wasi:sockets/tcp", "tcp-socket.remote-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    TcpIsListening(65) = "tcp-socket.is-listening" ("wasi:sockets/tcp", "tcp-socket.is-listening") { socket: SocketId } -> bool;
    TcpAddressFamily(66) = "tcp-socket.address-family" ("wasi:sockets/tcp", "tcp-socket.address-family") { socket: SocketId } -> IpAddressFamily;
    TcpSetListenBacklogSize(67) = "tcp-socket.set-listen-backlog-size" ("wasi:sockets/tcp", "tcp-socket.set-listen-backlog-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpKeepAliveEnabled(68) = "tcp-socket.keep-alive-enabled" ("wasi:sockets/tcp", "tcp-socket.keep-alive-enabled") { socket: SocketId } -> NetResult<bool>;
    TcpSetKeepAliveEnabled(69) = "tcp-socket.set-keep-alive-enabled" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-enabled") { socket: SocketId, value: bool } -> NetResult<()>;
    TcpKeepAliveIdleTime(70) = "tcp-socket.keep-alive-idle-time" ("wasi:sockets/tcp", "tcp-socket.keep-alive-idle-time") { socket: SocketId } -> NetResult<u64>;
    TcpSetKeepAliveIdleTime(71) = "tcp-socket.set-keep-alive-idle-time" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-idle-time") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpKeepAliveInterval(72) = "tcp-socket.keep-alive-interval" ("wasi:sockets/tcp", "tcp-socket.keep-alive-interval") { socket: SocketId } -> NetResult<u64>;
    TcpSetKeepAliveInterval(73) = "tcp-socket.set-keep-alive-interval" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-interval") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpKeepAliveCount(74) = "tcp-socket.keep-alive-count" ("wasi:sockets/tcp", "tcp-socket.keep-alive-count") { socket: SocketId } -> NetResult<u32>;
    TcpSetKeepAliveCount(75) = "tcp-socket.set-keep-alive-count" ("wasi:sockets/tcp", "tcp-socket.set-keep-alive-count") { socket: SocketId, value: u32 } -> NetResult<()>;
    TcpHopLimit(76) = "tcp-socket.hop-limit" ("wasi:sockets/tcp", "tcp-socket.hop-limit") { socket: SocketId } -> NetResult<u8>;
    TcpSetHopLimit(77) = "tcp-socket.set-hop-limit" ("wasi:sockets/tcp", "tcp-socket.set-hop-limit") { socket: SocketId, value: u8 } -> NetResult<()>;
    TcpReceiveBufferSize(78) = "tcp-socket.receive-buffer-size" ("wasi:sockets/tcp", "tcp-socket.receive-buffer-size") { socket: SocketId } -> NetResult<u64>;
    TcpSetReceiveBufferSize(79) = "tcp-socket.set-receive-buffer-size" ("wasi:sockets/tcp", "tcp-socket.set-receive-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpSendBufferSize(80) = "tcp-socket.send-buffer-size" ("wasi:sockets/tcp", "tcp-socket.send-buffer-size") { socket: SocketId } -> NetResult<u64>;
    TcpSetSendBufferSize(81) = "tcp-socket.set-send-buffer-size" ("wasi:sockets/tcp", "tcp-socket.set-send-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    TcpShutdown(82) = "tcp-socket.shutdown" ("wasi:sockets/tcp", "tcp-socket.shutdown") { socket: SocketId, shutdown_type: ShutdownType } -> NetResult<()>;
    /// On success the socket gets the next socket number.
    CreateUdpSocket(83) = "udp-create-socket.create-udp-socket"
        ("wasi:sockets/udp-create-socket", "create-udp-socket")
        { address_family: IpAddressFamily } -> NetResult<()>;
    UdpStartBind(84) = "udp-socket.start-bind" ("wasi:sockets/udp", "udp-socket.start-bind") { socket: SocketId, local_address: IpSocketAddress } -> NetResult<()>;
    UdpFinishBind(85) = "udp-socket.finish-bind" ("wasi:sockets/udp", "udp-socket.finish-bind") { socket: SocketId } -> NetResult<()>;
    /// On success the incoming and outgoing datagram streams get the next two socket numbers.
    UdpStream(86) = "udp-socket.stream" ("wasi:sockets/udp", "udp-socket.stream") { socket: SocketId, remote_address: Option<IpSocketAddress> } -> NetResult<()>;
    UdpLocalAddress(87) = "udp-socket.local-address" ("wasi:sockets/udp", "udp-socket.local-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    UdpRemoteAddress(88) = "udp-socket.remote-address" ("wasi:sockets/udp", "udp-socket.remote-address") { socket: SocketId } -> NetResult<IpSocketAddress>;
    UdpAddressFamily(89) = "udp-socket.address-family" ("wasi:sockets/udp", "udp-socket.address-family") { socket: SocketId } -> IpAddressFamily;
    UdpUnicastHopLimit(90) = "udp-socket.unicast-hop-limit" ("wasi:sockets/udp", "udp-socket.unicast-hop-limit") { socket: SocketId } -> NetResult<u8>;
    UdpSetUnicastHopLimit(91) = "udp-socket.set-unicast-hop-limit" ("wasi:sockets/udp", "udp-socket.set-unicast-hop-limit") { socket: SocketId, value: u8 } -> NetResult<()>;
    UdpReceiveBufferSize(92) = "udp-socket.receive-buffer-size" ("wasi:sockets/udp", "udp-socket.receive-buffer-size") { socket: SocketId } -> NetResult<u64>;
    UdpSetReceiveBufferSize(93) = "udp-socket.set-receive-buffer-size" ("wasi:sockets/udp", "udp-socket.set-receive-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    UdpSendBufferSize(94) = "udp-socket.send-buffer-size" ("wasi:sockets/udp", "udp-socket.send-buffer-size") { socket: SocketId } -> NetResult<u64>;
    UdpSetSendBufferSize(95) = "udp-socket.set-send-buffer-size" ("wasi:sockets/udp", "udp-socket.set-send-buffer-size") { socket: SocketId, value: u64 } -> NetResult<()>;
    IncomingDatagramReceive(96) = "incoming-datagram-stream.receive"
        ("wasi:sockets/udp", "incoming-datagram-stream.receive")
        { stream: SocketId, max_results: u64 } -> NetResult<Vec<IncomingDatagram>>,
        bounded by bounds::datagrams_received;
    OutgoingDatagramCheckSend(97) = "outgoing-datagram-stream.check-send"
        ("wasi:sockets/udp", "outgoing-datagram-stream.check-send") { stream: SocketId } -> NetResult<u64>;
    OutgoingDatagramSend(98) = "outgoing-datagram-stream.send"
        ("wasi:sockets/udp", "outgoing-datagram-stream.send")
        { stream: SocketId, datagrams: Vec<OutgoingDatagram> } -> NetResult<u64>,
        bounded by bounds::datagrams_sent;

    // wasi:http
    /// Which request headers the trace redacts, and the key (see [`Redaction`]).
    HttpRedaction(99) = "wasm-rr.http-redaction" ("wasm-rr", "http-redaction") {} -> Redaction;
    /// A fields mutation as the host judged it; the values are checked when the request
    /// goes out.
    FieldsFromList(100) = "fields.from-list" ("wasi:http/types", "[static]fields.from-list")
        { names: Vec<String> } -> Result<(), HeaderError>;
    FieldsSet(101) = "fields.set" ("wasi:http/types", "fields.set")
        { fields: HttpId, name: String } -> Result<(), HeaderError>;
    FieldsDelete(102) = "fields.delete" ("wasi:http/types", "fields.delete")
        { fields: HttpId, name: String } -> Result<(), HeaderError>;
    FieldsAppend(103) = "fields.append" ("wasi:http/types", "fields.append")
        { fields: HttpId, name: String } -> Result<(), HeaderError>;
    OutgoingRequestSetMethod(104) = "outgoing-request.set-method"
        ("wasi:http/types", "outgoing-request.set-method") { request: HttpId } -> Result<(), ()>;
    OutgoingRequestSetPathWithQuery(105) = "outgoing-request.set-path-with-query"
        ("wasi:http/types", "outgoing-request.set-path-with-query")
        { request: HttpId } -> Result<(), ()>;
    OutgoingRequestSetScheme(106) = "outgoing-request.set-scheme"
        ("wasi:http/types", "outgoing-request.set-scheme") { request: HttpId } -> Result<(), ()>;
    OutgoingRequestSetAuthority(107) = "outgoing-request.set-authority"
        ("wasi:http/types", "outgoing-request.set-authority")
        { request: HttpId } -> Result<(), ()>;
    OutgoingRequestBody(108) = "outgoing-request.body" ("wasi:http/types", "outgoing-request.body")
        { request: HttpId } -> Result<(), ()>;
    RequestOptionsSetConnectTimeout(109) = "request-options.set-connect-timeout"
        ("wasi:http/types", "request-options.set-connect-timeout")
        { options: HttpId } -> Result<(), ()>;
    RequestOptionsSetFirstByteTimeout(110) = "request-options.set-first-byte-timeout"
        ("wasi:http/types", "request-options.set-first-byte-timeout")
        { options: HttpId } -> Result<(), ()>;
    RequestOptionsSetBetweenBytesTimeout(111) = "request-options.set-between-bytes-timeout"
        ("wasi:http/types", "request-options.set-between-bytes-timeout")
        { options: HttpId } -> Result<(), ()>;
    OutgoingBodyWrite(112) = "outgoing-body.write" ("wasi:http/types", "outgoing-body.write")
        { body: HttpId } -> Result<(), ()>;
    OutgoingBodyFinish(113) = "outgoing-body.finish" ("wasi:http/types", "[static]outgoing-body.finish")
        { body: HttpId, trailers: Option<Fields> } -> HttpResult<()>;
    /// The request as the guest sends it: replay checks all of it but the body.
    OutgoingHandlerHandle(114) = "outgoing-handler.handle" ("wasi:http/outgoing-handler", "handle")
        { request: HttpRequest, options: Option<RequestOptions> } -> HttpResult<()>;
    FutureIncomingResponseGet(115) = "future-incoming-response.get"
        ("wasi:http/types", "future-incoming-response.get")
        { future: HttpId } -> FutureResult<HttpResponse>;
    IncomingResponseConsume(116) = "incoming-response.consume"
        ("wasi:http/types", "incoming-response.consume") { response: HttpId } -> Result<(), ()>;
    IncomingBodyStream(117) = "incoming-body.stream" ("wasi:http/types", "incoming-body.stream")
        { body: HttpId } -> Result<(), ()>;
    FutureTrailersGet(118) = "future-trailers.get" ("wasi:http/types", "future-trailers.get")
        { future: HttpId } -> FutureResult<Option<Fields>>;

    // wasi:http, serving: a handler's request and response
    /// The request the host hands the handler, its headers redacted as an outgoing
    /// request's are; its body is read as any stream's.
    IncomingHandlerHandle(119) = "incoming-handler.handle" ("wasi:http/incoming-handler", "handle")
        {} -> HttpRequest;
    IncomingRequestConsume(120) = "incoming-request.consume"
        ("wasi:http/types", "incoming-request.consume") { request: HttpId } -> Result<(), ()>;
    OutgoingResponseSetStatusCode(121) = "outgoing-response.set-status-code"
        ("wasi:http/types", "outgoing-response.set-status-code")
        { response: HttpId, status: u16 } -> Result<(), ()>;
    OutgoingResponseBody(122) = "outgoing-response.body" ("wasi:http/types", "outgoing-response.body")
        { response: HttpId } -> Result<(), ()>;
    /// The response as the handler sets it: replay checks its status and headers; its body
    /// is checked as it is written, by digest.
    ResponseOutparamSet(123) = "response-outparam.set" ("wasi:http/types", "[static]response-outparam.set")
        { response: HttpResult<HttpResponse> } -> ();

    // Any other interface, through the generic interposer (see [`crate::any`])
    /// The functions the generic interposer interposes, before its first call.
    GenericSchema(124) = "wasm-rr.schema" ("wasm-rr", "schema") {} -> crate::any::Schema;
    /// A call of function `function` of the schema: its arguments and result, encoded by
    /// their types. In JSON, `{"call":"interface#function","args":[...],"result":...}`.
    GenericCall(125) = "call" ("wasm-rr", "call") { function: u32, args: Bytes } -> Bytes;
}
