//! Connects to an echo server, sends lines and prints the replies:
//! `tcp_echo_client HOST:PORT [LINE...]` (an IPv4 address; lines default to two greetings).
//! Uses `wasi:sockets` directly: std's `wasm32-wasip1` has no sockets.

use std::net::SocketAddrV4;
use wasip2::io::streams::{InputStream, StreamError};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::tcp_create_socket::create_tcp_socket;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(address) = args.next().and_then(|a| a.parse::<SocketAddrV4>().ok()) else {
        eprintln!("usage: tcp_echo_client HOST:PORT [LINE...]");
        std::process::exit(2);
    };
    let mut lines: Vec<String> = args.collect();
    if lines.is_empty() {
        lines = vec!["hello, echo".into(), "second line".into()];
    }

    let network = instance_network();
    let socket = create_tcp_socket(IpAddressFamily::Ipv4).expect("creating a socket");
    let [a, b, c, d] = address.ip().octets();
    let remote = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: address.port(),
        address: (a, b, c, d),
    });
    if let Err(error) = socket.start_connect(&network, remote) {
        fail(&format!("connecting to {address}"), error);
    }
    let ready = socket.subscribe();
    let (input, output) = loop {
        match socket.finish_connect() {
            Ok(streams) => break streams,
            Err(ErrorCode::WouldBlock) => ready.block(),
            Err(error) => fail(&format!("connecting to {address}"), error),
        }
    };
    println!("connected to {address}");
    for line in &lines {
        let message = format!("{line}\n");
        output
            .blocking_write_and_flush(message.as_bytes())
            .expect("sending");
        let reply = read_line(&input);
        println!("sent {line:?}, got {:?}", reply.trim_end());
    }
}

/// Reads up to and including a newline (or to the end of the stream).
fn read_line(input: &InputStream) -> String {
    let mut line = Vec::new();
    while !line.ends_with(b"\n") {
        match input.blocking_read(1) {
            Ok(bytes) => line.extend(bytes),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(error)) => {
                eprintln!("tcp_echo_client: receiving: {}", error.to_debug_string());
                std::process::exit(1);
            }
        }
    }
    String::from_utf8_lossy(&line).into_owned()
}

fn fail(what: &str, error: ErrorCode) -> ! {
    eprintln!("tcp_echo_client: {what}: {}", error.name());
    std::process::exit(1);
}
