//! Sends datagrams to a UDP echo server and prints the replies:
//! `udp_echo_client HOST:PORT [LINE...]` (an IPv4 address). Uses `wasi:sockets` directly:
//! std's `wasm32-wasip1` has no sockets.

use std::net::SocketAddrV4;
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::udp::OutgoingDatagram;
use wasip2::sockets::udp_create_socket::create_udp_socket;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(server) = args.next().and_then(|a| a.parse::<SocketAddrV4>().ok()) else {
        eprintln!("usage: udp_echo_client HOST:PORT [LINE...]");
        std::process::exit(2);
    };
    let mut lines: Vec<String> = args.collect();
    if lines.is_empty() {
        lines = vec!["hello, udp".into()];
    }

    let network = instance_network();
    let socket = create_udp_socket(IpAddressFamily::Ipv4).unwrap_or_else(|e| fail("socket", e));
    let any = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: 0,
        address: (127, 0, 0, 1),
    });
    socket
        .start_bind(&network, any)
        .unwrap_or_else(|e| fail("binding", e));
    let ready = socket.subscribe();
    loop {
        match socket.finish_bind() {
            Ok(()) => break,
            Err(ErrorCode::WouldBlock) => ready.block(),
            Err(error) => fail("binding", error),
        }
    }
    let [a, b, c, d] = server.ip().octets();
    let remote = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: server.port(),
        address: (a, b, c, d),
    });
    let (incoming, outgoing) = socket
        .stream(Some(remote))
        .unwrap_or_else(|e| fail("stream", e));
    for line in &lines {
        let sendable = outgoing.subscribe();
        while outgoing.check_send().unwrap_or_else(|e| fail("sending", e)) == 0 {
            sendable.block();
        }
        let datagram = OutgoingDatagram {
            data: line.as_bytes().to_vec(),
            remote_address: None,
        };
        outgoing
            .send(&[datagram])
            .unwrap_or_else(|e| fail("sending", e));
        let readable = incoming.subscribe();
        let reply = loop {
            let mut datagrams = incoming.receive(1).unwrap_or_else(|e| fail("receiving", e));
            match datagrams.pop() {
                Some(datagram) => break datagram.data,
                None => readable.block(),
            }
        };
        println!("sent {line:?}, got {:?}", String::from_utf8_lossy(&reply));
    }
}

fn fail(what: &str, error: ErrorCode) -> ! {
    eprintln!("udp_echo_client: {what}: {}", error.name());
    std::process::exit(1);
}
