//! Listens on an address, accepts one connection and echoes its lines until it closes:
//! `tcp_echo_server HOST:PORT` (an IPv4 address). Uses `wasi:sockets` directly: std's
//! `wasm32-wasip1` has no sockets.

use std::net::SocketAddrV4;
use wasip2::io::streams::StreamError;
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::tcp_create_socket::create_tcp_socket;

fn main() {
    let Some(address) = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<SocketAddrV4>().ok())
    else {
        eprintln!("usage: tcp_echo_server HOST:PORT");
        std::process::exit(2);
    };
    let network = instance_network();
    let socket = create_tcp_socket(IpAddressFamily::Ipv4).unwrap_or_else(|e| fail("socket", e));
    let [a, b, c, d] = address.ip().octets();
    let local = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: address.port(),
        address: (a, b, c, d),
    });
    socket
        .start_bind(&network, local)
        .unwrap_or_else(|e| fail("binding", e));
    let ready = socket.subscribe();
    loop {
        match socket.finish_bind() {
            Ok(()) => break,
            Err(ErrorCode::WouldBlock) => ready.block(),
            Err(error) => fail("binding", error),
        }
    }
    socket
        .start_listen()
        .unwrap_or_else(|e| fail("listening", e));
    loop {
        match socket.finish_listen() {
            Ok(()) => break,
            Err(ErrorCode::WouldBlock) => ready.block(),
            Err(error) => fail("listening", error),
        }
    }
    println!("listening on {address}");
    let (client, input, output) = loop {
        match socket.accept() {
            Ok(connection) => break connection,
            Err(ErrorCode::WouldBlock) => ready.block(),
            Err(error) => fail("accepting", error),
        }
    };
    let peer = client
        .remote_address()
        .map(|_| "a client")
        .unwrap_or("someone");
    println!("accepted {peer}");
    let mut echoed = 0;
    loop {
        match input.blocking_read(1024) {
            Ok(bytes) => {
                output.blocking_write_and_flush(&bytes).expect("echoing");
                echoed += bytes.len();
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(error)) => {
                eprintln!("tcp_echo_server: receiving: {}", error.to_debug_string());
                std::process::exit(1);
            }
        }
    }
    println!("echoed {echoed} bytes");
}

fn fail(what: &str, error: ErrorCode) -> ! {
    eprintln!("tcp_echo_server: {what}: {}", error.name());
    std::process::exit(1);
}
