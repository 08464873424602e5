//! Helpers shared by the integration tests.

// Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the echo servers wait for their client, so that a test whose guest never
/// connects fails instead of hanging.
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(20);

/// A real TCP echo server on 127.0.0.1 that serves one connection, echoing it line by line,
/// and then stops: after `join`, nothing listens on its port any more.
pub fn echo_server_once() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding the echo server");
    let address = listener.local_addr().expect("the echo server's address");
    let server = std::thread::spawn(move || {
        let Some(stream) = accept_within(&listener, ACCEPT_TIMEOUT) else {
            return;
        };
        let mut writer = stream.try_clone().expect("cloning the connection");
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if writeln!(writer, "{line}").is_err() {
                break;
            }
        }
    });
    (address, server)
}

fn accept_within(listener: &TcpListener, timeout: Duration) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).ok()?;
                return Some(stream);
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(_) => return None,
        }
    }
    None
}

/// An address on 127.0.0.1 where nothing listens.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a port");
    listener.local_addr().expect("the port's address")
}

/// A real UDP echo server on 127.0.0.1 that echoes `count` datagrams and then stops (or
/// gives up after a while without any).
pub fn udp_echo_server(count: usize) -> (SocketAddr, JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("binding the UDP echo server");
    let address = socket.local_addr().expect("the UDP echo server's address");
    socket
        .set_read_timeout(Some(ACCEPT_TIMEOUT))
        .expect("setting a timeout");
    let server = std::thread::spawn(move || {
        let mut buffer = [0u8; 2048];
        for _ in 0..count {
            let Ok((len, peer)) = socket.recv_from(&mut buffer) else {
                return;
            };
            if socket.send_to(&buffer[..len], peer).is_err() {
                return;
            }
        }
    });
    (address, server)
}
