//! Calls every WASI function that wasm-rr records at least once, so that its recording
//! holds every event kind of the trace: `coverage BASE_URL`.
//!
//! It needs a preopened directory `/data` (empty: it leaves it as it found it), stdin at its
//! end (`< /dev/null`), the network (`-S inherit-network -S allow-ip-name-lookup`) for its
//! own TCP and UDP sockets on 127.0.0.1, and, at `BASE_URL` (`http://127.0.0.1:PORT`), an
//! HTTP server with the routes of the runner's test server: `GET /hello`, `POST /echo` and
//! `GET /chunked` (a chunked body with an `x-checksum` trailer).
//!
//! It makes the same calls, in the same order, on every run, and prints one line per area
//! with what does not vary between runs; it exits with 1 if a call failed that should not.

use std::fmt::Debug;
use wasip2::cli::{
    environment, stderr, stdin, stdout, terminal_stderr, terminal_stdin, terminal_stdout,
};
use wasip2::clocks::{monotonic_clock, wall_clock};
use wasip2::filesystem::preopens::get_directories;
use wasip2::filesystem::types::{
    Advice, Descriptor, DescriptorFlags, NewTimestamp, OpenFlags, PathFlags,
};
use wasip2::http::outgoing_handler::handle;
use wasip2::http::types::{
    Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::poll::{poll, Pollable};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};
use wasip2::random::{insecure, insecure_seed, random};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::ip_name_lookup::resolve_addresses;
use wasip2::sockets::network::{
    ErrorCode as NetError, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Network,
};
use wasip2::sockets::tcp::{ShutdownType, TcpSocket};
use wasip2::sockets::tcp_create_socket::create_tcp_socket;
use wasip2::sockets::udp::{OutgoingDatagram, UdpSocket};
use wasip2::sockets::udp_create_socket::create_udp_socket;

/// The failures seen so far, printed at the end.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    /// The value of `result`, or `None` with the failure noted.
    fn ok<T, E: Debug>(&mut self, what: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(format!("{what}: {error:?}"));
                None
            }
        }
    }

    fn note(&mut self, what: impl Into<String>) {
        self.0.push(what.into());
    }
}

fn main() {
    let mut failures = Failures::default();
    clocks_and_random();
    let base = cli(&mut failures);
    filesystem(&mut failures);
    let network = instance_network();
    name_lookup(&mut failures, &network);
    tcp(&mut failures, &network);
    udp(&mut failures, &network);
    match base {
        Some(base) => http(&mut failures, &base),
        None => failures.note("http: no BASE_URL argument"),
    }
    if !failures.0.is_empty() {
        println!("{} calls failed:", failures.0.len());
        for failure in &failures.0 {
            println!("  {failure}");
        }
        std::process::exit(1);
    }
    println!("done");
}

// ---- wasi:clocks, wasi:random, wasi:io/poll ----

fn clocks_and_random() {
    let wall = wall_clock::now();
    let wall_resolution = wall_clock::resolution();
    let before = monotonic_clock::now();
    let monotonic_resolution = monotonic_clock::resolution();
    let after = monotonic_clock::now();
    println!(
        "clocks: wall-clock valid {}, resolutions nonzero {}, monotonic-clock non-decreasing {}",
        wall.nanoseconds < 1_000_000_000,
        wall_resolution.seconds > 0 || wall_resolution.nanoseconds > 0,
        after >= before && monotonic_resolution > 0,
    );

    let timer = monotonic_clock::subscribe_duration(1_000_000);
    let _ = timer.ready();
    let ready = poll(&[&timer]);
    println!("poll: {} of 1 timer ready", ready.len());

    let bytes = random::get_random_bytes(16);
    let _ = random::get_random_u64();
    let insecure_bytes = insecure::get_insecure_random_bytes(8);
    let _ = insecure::get_insecure_random_u64();
    let _ = insecure_seed::insecure_seed();
    println!(
        "random: {} bytes, {} insecure bytes, two u64s and a seed",
        bytes.len(),
        insecure_bytes.len()
    );
}

// ---- wasi:cli ----

/// Reads the environment, the terminals and stdin, and gives the first argument.
fn cli(failures: &mut Failures) -> Option<String> {
    let arguments = environment::get_arguments();
    let _ = environment::get_environment();
    let _ = environment::initial_cwd();
    let _ = terminal_stdin::get_terminal_stdin();
    let _ = terminal_stdout::get_terminal_stdout();
    let _ = terminal_stderr::get_terminal_stderr();
    println!("environment: {} arguments", arguments.len());

    // stdin is at its end: every read and skip gives nothing.
    let input = stdin::get_stdin();
    let mut got = 0u64;
    let mut count = |result: Result<u64, StreamError>| match result {
        Ok(n) => got += n,
        Err(StreamError::Closed) => {}
        Err(StreamError::LastOperationFailed(error)) => {
            failures.note(format!("stdin: {}", error.to_debug_string()))
        }
    };
    count(input.read(16).map(|bytes| bytes.len() as u64));
    count(input.skip(16));
    count(input.blocking_read(16).map(|bytes| bytes.len() as u64));
    count(input.blocking_skip(16));
    println!("stdin: {got} bytes");

    let output = stdout::get_stdout();
    failures.ok("stdout check-write", output.check_write());
    failures.ok("stdout flush", output.flush());
    failures.ok("stdout blocking-flush", output.blocking_flush());
    let error = stderr::get_stderr();
    failures.ok(
        "stderr write",
        error.blocking_write_and_flush(b"coverage: a line on stderr\n"),
    );
    arguments.get(1).cloned()
}

// ---- wasi:filesystem ----

fn filesystem(failures: &mut Failures) {
    let Some(dir) = get_directories()
        .into_iter()
        .find_map(|(descriptor, path)| (path == "/data").then_some(descriptor))
    else {
        failures.note("filesystem: no preopened /data");
        return;
    };
    let none = PathFlags::empty();
    let _ = failures.ok("get-type", dir.get_type());
    let _ = failures.ok("get-flags", dir.get_flags());
    let _ = failures.ok("stat", dir.stat());
    let _ = failures.ok("metadata-hash", dir.metadata_hash());
    failures.ok("create-directory-at", dir.create_directory_at("sub"));

    let file = failures.ok(
        "open-at",
        dir.open_at(
            none,
            "sub/a.txt",
            OpenFlags::CREATE | OpenFlags::TRUNCATE,
            DescriptorFlags::READ | DescriptorFlags::WRITE,
        ),
    );
    let Some(file) = file else { return };
    failures.ok("write", file.write(b"hello", 0));
    if let Some(stream) = failures.ok("write-via-stream", file.write_via_stream(5)) {
        write_all(failures, &stream, b", world");
        ready_to_write(failures, &stream, 3);
        failures.ok("write-zeroes", stream.write_zeroes(3));
        failures.ok(
            "blocking-write-zeroes",
            stream.blocking_write_zeroes_and_flush(2),
        );
        failures.ok("blocking-write", stream.blocking_write_and_flush(b"!"));
        failures.ok("flush", stream.flush());
        failures.ok("blocking-flush", stream.blocking_flush());
    }
    if let Some(stream) = failures.ok("append-via-stream", file.append_via_stream()) {
        failures.ok("append", stream.blocking_write_and_flush(b"\nend\n"));
    }
    failures.ok("sync-data", file.sync_data());
    failures.ok("sync", file.sync());
    failures.ok("advise", file.advise(0, 0, Advice::Sequential));
    let start = failures.ok("read", file.read(5, 0));
    let start = start.map(|(bytes, _)| String::from_utf8_lossy(&bytes).into_owned());
    let streamed = failures
        .ok("read-via-stream", file.read_via_stream(0))
        .map(|stream| read_to_end(failures, &stream));
    println!(
        "files: wrote and read back {} bytes, starting {:?}",
        streamed.unwrap_or(0),
        start.unwrap_or_default()
    );

    failures.ok("set-size", file.set_size(4));
    let time = wall_clock::Datetime {
        seconds: 1_000_000_000,
        nanoseconds: 0,
    };
    failures.ok(
        "set-times",
        file.set_times(NewTimestamp::NoChange, NewTimestamp::Timestamp(time)),
    );
    let stat = failures.ok("stat", file.stat());
    failures.ok(
        "set-times-at",
        dir.set_times_at(none, "sub/a.txt", NewTimestamp::Now, NewTimestamp::NoChange),
    );
    let stat_at = failures.ok("stat-at", dir.stat_at(none, "sub/a.txt"));
    failures.ok("metadata-hash-at", dir.metadata_hash_at(none, "sub/a.txt"));
    if let (Some(stat), Some(stat_at)) = (stat, stat_at) {
        println!(
            "files: size {} then {}, modified at {:?}",
            stat.size,
            stat_at.size,
            stat.data_modification_timestamp.map(|t| t.seconds)
        );
    }

    failures.ok("link-at", dir.link_at(none, "sub/a.txt", &dir, "sub/b.txt"));
    failures.ok("symlink-at", dir.symlink_at("a.txt", "sub/c.txt"));
    let target = failures.ok("readlink-at", dir.readlink_at("sub/c.txt"));
    failures.ok("rename-at", dir.rename_at("sub/b.txt", &dir, "sub/d.txt"));
    let linked = failures.ok(
        "open-at",
        dir.open_at(none, "sub/d.txt", OpenFlags::empty(), DescriptorFlags::READ),
    );
    let same = linked.map(|linked| file.is_same_object(&linked));
    println!(
        "files: the link is the same file {}, the symlink points to {:?}",
        same.unwrap_or(false),
        target.unwrap_or_default()
    );

    let listing = failures
        .ok(
            "open-at",
            dir.open_at(none, "sub", OpenFlags::DIRECTORY, DescriptorFlags::READ),
        )
        .map(|sub| list(failures, &sub));
    println!("files: sub holds {:?}", listing.unwrap_or_default());

    for name in ["sub/a.txt", "sub/c.txt", "sub/d.txt"] {
        failures.ok("unlink-file-at", dir.unlink_file_at(name));
    }
    failures.ok("remove-directory-at", dir.remove_directory_at("sub"));
}

/// The sorted names in a directory.
fn list(failures: &mut Failures, dir: &Descriptor) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(entries) = failures.ok("read-directory", dir.read_directory()) {
        while let Some(Some(entry)) =
            failures.ok("read-directory-entry", entries.read_directory_entry())
        {
            names.push(entry.name);
        }
    }
    names.sort();
    names
}

/// Waits until `stream` takes `len` bytes.
fn ready_to_write(failures: &mut Failures, stream: &OutputStream, len: u64) -> bool {
    let pollable = stream.subscribe();
    loop {
        match stream.check_write() {
            Ok(n) if n >= len => return true,
            Ok(_) => pollable.block(),
            Err(error) => {
                failures.note(format!("check-write: {error:?}"));
                return false;
            }
        }
    }
}

/// Writes `bytes` with `check-write` and `write`, then flushes.
fn write_all(failures: &mut Failures, stream: &OutputStream, bytes: &[u8]) {
    if ready_to_write(failures, stream, bytes.len() as u64) {
        failures.ok("stream write", stream.write(bytes));
        failures.ok("stream flush", stream.blocking_flush());
    }
}

/// Reads `stream` to its end with every kind of read and skip; the bytes it went through.
fn read_to_end(failures: &mut Failures, stream: &InputStream) -> u64 {
    let mut total = 0u64;
    let mut step = |result: Result<u64, StreamError>| match result {
        Ok(n) => {
            total += n;
            true
        }
        Err(StreamError::Closed) => false,
        Err(StreamError::LastOperationFailed(error)) => {
            failures.note(format!("stream read: {}", error.to_debug_string()));
            false
        }
    };
    let mut open = step(stream.blocking_read(4).map(|bytes| bytes.len() as u64))
        && step(stream.blocking_skip(2));
    if open {
        stream.subscribe().block();
        open = step(stream.read(4).map(|bytes| bytes.len() as u64)) && step(stream.skip(1));
    }
    while open {
        open = step(stream.blocking_read(64).map(|bytes| bytes.len() as u64));
    }
    total
}

// ---- wasi:sockets ----

const LOOPBACK: (u8, u8, u8, u8) = (127, 0, 0, 1);

fn loopback(port: u16) -> IpSocketAddress {
    IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: LOOPBACK,
    })
}

/// Whether both are the same IPv4 socket address.
fn same_address(a: Option<IpSocketAddress>, b: Option<IpSocketAddress>) -> bool {
    match (a, b) {
        (Some(IpSocketAddress::Ipv4(a)), Some(IpSocketAddress::Ipv4(b))) => {
            a.port == b.port && a.address == b.address
        }
        _ => false,
    }
}

/// Waits on `pollable` for as long as `attempt` would block.
fn until_ready<T>(
    pollable: &Pollable,
    mut attempt: impl FnMut() -> Result<T, NetError>,
) -> Result<T, NetError> {
    loop {
        match attempt() {
            Err(NetError::WouldBlock) => pollable.block(),
            other => return other,
        }
    }
}

fn name_lookup(failures: &mut Failures, network: &Network) {
    let Some(stream) = failures.ok("resolve-addresses", resolve_addresses(network, "localhost"))
    else {
        return;
    };
    let pollable = stream.subscribe();
    let mut loopback = false;
    while let Some(Some(address)) = failures.ok(
        "resolve-next-address",
        until_ready(&pollable, || stream.resolve_next_address()),
    ) {
        loopback |= matches!(address, IpAddress::Ipv4(LOOPBACK));
    }
    println!("ip-name-lookup: localhost has 127.0.0.1 {loopback}");
}

/// A TCP socket bound to 127.0.0.1 on a port of the system's choosing.
fn bound_tcp(failures: &mut Failures, network: &Network) -> Option<TcpSocket> {
    let socket = failures.ok(
        "create-tcp-socket",
        create_tcp_socket(IpAddressFamily::Ipv4),
    )?;
    failures.ok("tcp start-bind", socket.start_bind(network, loopback(0)))?;
    let pollable = socket.subscribe();
    failures.ok(
        "tcp finish-bind",
        until_ready(&pollable, || socket.finish_bind()),
    )?;
    Some(socket)
}

/// Reads `len` bytes, or to the end.
fn read_exactly(failures: &mut Failures, stream: &InputStream, len: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    while bytes.len() < len {
        match stream.blocking_read((len - bytes.len()) as u64) {
            Ok(chunk) => bytes.extend(chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(error)) => {
                failures.note(format!("tcp read: {}", error.to_debug_string()));
                break;
            }
        }
    }
    bytes
}

fn tcp(failures: &mut Failures, network: &Network) {
    let Some(listener) = bound_tcp(failures, network) else {
        return;
    };
    let mut options = 0;
    let mut option = |failures: &mut Failures, what: &str, result: Result<(), NetError>| {
        options += 1;
        failures.ok(what, result);
    };
    option(
        failures,
        "set-listen-backlog-size",
        listener.set_listen_backlog_size(16),
    );
    let _ = failures.ok("keep-alive-enabled", listener.keep_alive_enabled());
    option(
        failures,
        "set-keep-alive-enabled",
        listener.set_keep_alive_enabled(true),
    );
    let _ = failures.ok("keep-alive-idle-time", listener.keep_alive_idle_time());
    option(
        failures,
        "set-keep-alive-idle-time",
        listener.set_keep_alive_idle_time(60_000_000_000),
    );
    let _ = failures.ok("keep-alive-interval", listener.keep_alive_interval());
    option(
        failures,
        "set-keep-alive-interval",
        listener.set_keep_alive_interval(10_000_000_000),
    );
    let _ = failures.ok("keep-alive-count", listener.keep_alive_count());
    option(
        failures,
        "set-keep-alive-count",
        listener.set_keep_alive_count(5),
    );
    let _ = failures.ok("hop-limit", listener.hop_limit());
    option(failures, "set-hop-limit", listener.set_hop_limit(64));
    let _ = failures.ok("receive-buffer-size", listener.receive_buffer_size());
    option(
        failures,
        "set-receive-buffer-size",
        listener.set_receive_buffer_size(65536),
    );
    let _ = failures.ok("send-buffer-size", listener.send_buffer_size());
    option(
        failures,
        "set-send-buffer-size",
        listener.set_send_buffer_size(65536),
    );

    let pollable = listener.subscribe();
    if failures
        .ok("start-listen", listener.start_listen())
        .is_none()
        || failures
            .ok(
                "finish-listen",
                until_ready(&pollable, || listener.finish_listen()),
            )
            .is_none()
    {
        return;
    }
    let listening = listener.is_listening();
    let family = listener.address_family();
    let Some(address) = failures.ok("tcp local-address", listener.local_address()) else {
        return;
    };

    let Some(client) = failures.ok(
        "create-tcp-socket",
        create_tcp_socket(IpAddressFamily::Ipv4),
    ) else {
        return;
    };
    if failures
        .ok("start-connect", client.start_connect(network, address))
        .is_none()
    {
        return;
    }
    let connecting = client.subscribe();
    let Some((client_in, client_out)) = failures.ok(
        "finish-connect",
        until_ready(&connecting, || client.finish_connect()),
    ) else {
        return;
    };
    let Some((accepted, server_in, server_out)) =
        failures.ok("accept", until_ready(&pollable, || listener.accept()))
    else {
        return;
    };
    let peer = failures.ok("tcp remote-address", accepted.remote_address());
    let client_address = failures.ok("tcp local-address", client.local_address());
    let _ = failures.ok("tcp remote-address", client.remote_address());

    failures.ok("tcp write", client_out.blocking_write_and_flush(b"ping\n"));
    let request = read_exactly(failures, &server_in, 5);
    failures.ok("tcp write", server_out.blocking_write_and_flush(b"pong\n"));
    let reply = read_exactly(failures, &client_in, 5);
    failures.ok("shutdown", client.shutdown(ShutdownType::Send));
    let rest = read_exactly(failures, &server_in, 1);
    println!(
        "tcp: listening {listening}, {family:?}, {options} options set, the peer is the client {}, \
         sent {:?}, got {:?}, then the end ({} more bytes)",
        same_address(peer, client_address),
        String::from_utf8_lossy(&request),
        String::from_utf8_lossy(&reply),
        rest.len()
    );
}

/// A UDP socket bound to 127.0.0.1, and its address.
fn bound_udp(failures: &mut Failures, network: &Network) -> Option<(UdpSocket, IpSocketAddress)> {
    let socket = failures.ok(
        "create-udp-socket",
        create_udp_socket(IpAddressFamily::Ipv4),
    )?;
    failures.ok("udp start-bind", socket.start_bind(network, loopback(0)))?;
    let pollable = socket.subscribe();
    failures.ok(
        "udp finish-bind",
        until_ready(&pollable, || socket.finish_bind()),
    )?;
    let address = failures.ok("udp local-address", socket.local_address())?;
    Some((socket, address))
}

fn udp(failures: &mut Failures, network: &Network) {
    let (Some((a, a_address)), Some((b, b_address))) =
        (bound_udp(failures, network), bound_udp(failures, network))
    else {
        return;
    };
    let family = a.address_family();
    let _ = failures.ok("unicast-hop-limit", a.unicast_hop_limit());
    failures.ok("set-unicast-hop-limit", a.set_unicast_hop_limit(64));
    let _ = failures.ok("udp receive-buffer-size", a.receive_buffer_size());
    failures.ok(
        "udp set-receive-buffer-size",
        a.set_receive_buffer_size(65536),
    );
    let _ = failures.ok("udp send-buffer-size", a.send_buffer_size());
    failures.ok("udp set-send-buffer-size", a.set_send_buffer_size(65536));

    // `a` is connected to `b`; `b` answers whoever sent.
    let Some((a_in, a_out)) = failures.ok("udp stream", a.stream(Some(b_address))) else {
        return;
    };
    let Some((b_in, b_out)) = failures.ok("udp stream", b.stream(None)) else {
        return;
    };
    let connected = same_address(
        failures.ok("udp remote-address", a.remote_address()),
        Some(b_address),
    );

    let send = |failures: &mut Failures,
                stream: &wasip2::sockets::udp::OutgoingDatagramStream,
                data: &[u8],
                to: Option<IpSocketAddress>| {
        let pollable = stream.subscribe();
        while failures.ok("check-send", stream.check_send()) == Some(0) {
            pollable.block();
        }
        let datagram = OutgoingDatagram {
            data: data.to_vec(),
            remote_address: to,
        };
        failures.ok("send", stream.send(&[datagram]))
    };
    let receive = |failures: &mut Failures,
                   stream: &wasip2::sockets::udp::IncomingDatagramStream| {
        let pollable = stream.subscribe();
        loop {
            match failures.ok("receive", stream.receive(4)) {
                Some(mut datagrams) if !datagrams.is_empty() => break Some(datagrams.remove(0)),
                Some(_) => pollable.block(),
                None => break None,
            }
        }
    };
    send(failures, &a_out, b"ping", None);
    let request = receive(failures, &b_in);
    let from_a = same_address(request.as_ref().map(|d| d.remote_address), Some(a_address));
    send(failures, &b_out, b"pong", Some(a_address));
    let reply = receive(failures, &a_in);
    let show = |datagram: Option<wasip2::sockets::udp::IncomingDatagram>| {
        datagram.map(|d| String::from_utf8_lossy(&d.data).into_owned())
    };
    println!(
        "udp: {family:?}, connected {connected}, got {:?} from the first socket {from_a}, \
         got {:?} back",
        show(request),
        show(reply)
    );
}

// ---- wasi:http ----

fn http(failures: &mut Failures, base: &str) {
    let Some(authority) = base
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'))
    else {
        failures.note(format!("http: {base} is not http://HOST:PORT"));
        return;
    };

    // GET /hello, with every header change and every timeout.
    let headers = failures.ok(
        "from-list",
        Fields::from_list(&[("x-coverage".to_string(), b"from-list".to_vec())]),
    );
    let Some(headers) = headers else { return };
    failures.ok("fields set", headers.set("x-coverage", &[b"set".to_vec()]));
    failures.ok("fields append", headers.append("x-extra", b"appended"));
    failures.ok("fields delete", headers.delete("x-extra"));
    let options = RequestOptions::new();
    failures.ok(
        "set-connect-timeout",
        options.set_connect_timeout(Some(5_000_000_000)),
    );
    failures.ok(
        "set-first-byte-timeout",
        options.set_first_byte_timeout(Some(5_000_000_000)),
    );
    failures.ok(
        "set-between-bytes-timeout",
        options.set_between_bytes_timeout(Some(5_000_000_000)),
    );
    if let Some(response) = request(
        failures,
        authority,
        Method::Get,
        "/hello",
        headers,
        Some(options),
        None,
    ) {
        show_response(failures, "GET /hello", response);
    }

    // POST /echo, with a body and trailers.
    let body = b"a request body\n".repeat(10);
    let headers = failures.ok(
        "from-list",
        Fields::from_list(&[(
            "content-length".to_string(),
            body.len().to_string().into_bytes(),
        )]),
    );
    let Some(headers) = headers else { return };
    if let Some(response) = request(
        failures,
        authority,
        Method::Post,
        "/echo",
        headers,
        None,
        Some(&body),
    ) {
        show_response(failures, "POST /echo", response);
    }

    // GET /chunked: a response with trailers.
    if let Some(response) = request(
        failures,
        authority,
        Method::Get,
        "/chunked",
        Fields::new(),
        None,
        None,
    ) {
        show_response(failures, "GET /chunked", response);
    }
}

/// Sends a request and waits for its response.
fn request(
    failures: &mut Failures,
    authority: &str,
    method: Method,
    path: &str,
    headers: Fields,
    options: Option<RequestOptions>,
    body: Option<&[u8]>,
) -> Option<IncomingResponse> {
    let request = OutgoingRequest::new(headers);
    failures.ok("set-method", request.set_method(&method))?;
    failures.ok("set-scheme", request.set_scheme(Some(&Scheme::Http)))?;
    failures.ok("set-authority", request.set_authority(Some(authority)))?;
    failures.ok(
        "set-path-with-query",
        request.set_path_with_query(Some(path)),
    )?;
    let outgoing = failures.ok("outgoing-request body", request.body())?;
    let future = failures.ok("handle", handle(request, options))?;
    let trailers = if let Some(body) = body {
        let stream = failures.ok("outgoing-body write", outgoing.write())?;
        for chunk in body.chunks(4096) {
            failures.ok("body write", stream.blocking_write_and_flush(chunk))?;
        }
        drop(stream);
        let trailers = failures.ok(
            "trailers",
            Fields::from_list(&[("x-body-trailer".to_string(), b"yes".to_vec())]),
        )?;
        Some(trailers)
    } else {
        None
    };
    failures.ok(
        "outgoing-body finish",
        OutgoingBody::finish(outgoing, trailers),
    )?;
    wait(failures, &future)
}

fn wait(failures: &mut Failures, future: &FutureIncomingResponse) -> Option<IncomingResponse> {
    loop {
        match future.get() {
            Some(Ok(response)) => return failures.ok("response", response),
            Some(Err(())) => {
                failures.note("response: taken twice");
                return None;
            }
            None => future.subscribe().block(),
        }
    }
}

/// Prints the status, the body's length and the trailers.
fn show_response(failures: &mut Failures, what: &str, response: IncomingResponse) {
    let status = response.status();
    let Some(body) = failures.ok("consume", response.consume()) else {
        return;
    };
    let mut length = 0;
    if let Some(stream) = failures.ok("incoming-body stream", body.stream()) {
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => length += chunk.len(),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(error)) => {
                    failures.note(format!("{what}: body: {}", error.to_debug_string()));
                    break;
                }
            }
        }
    }
    let trailers = IncomingBody::finish(body);
    let trailers = loop {
        match trailers.get() {
            Some(Ok(Ok(trailers))) => break trailers.map(|t| t.entries()).unwrap_or_default(),
            Some(Ok(Err(error))) => {
                failures.note(format!("{what}: trailers: {error:?}"));
                break Vec::new();
            }
            Some(Err(())) => break Vec::new(),
            None => trailers.subscribe().block(),
        }
    };
    let trailers: Vec<String> = trailers
        .iter()
        .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value)))
        .collect();
    println!("http: {what}: status {status}, {length} bytes, trailers {trailers:?}");
}
