//! `wasi:sockets`: lookups, connects, accepts, options, received bytes and datagrams and
//! every error are recorded. Replay opens no socket: sockets are virtual, received data
//! comes from the trace, and what the guest sends is checked against the recording (by
//! digest) instead of being sent.

use crate::bindings::exports::wasi::io::{poll::Pollable as GuestPollable, streams as e_streams};
use crate::bindings::exports::wasi::sockets::{
    instance_network as e_instance, ip_name_lookup as e_lookup, network as e_net, tcp as e_tcp,
    tcp_create_socket as e_tcp_create, udp as e_udp, udp_create_socket as e_udp_create,
};
use crate::bindings::wasi::io::poll::Pollable as HostPollable;
use crate::bindings::wasi::sockets::{
    instance_network as i_instance, ip_name_lookup as i_lookup, network as i_net, tcp as i_tcp,
    tcp_create_socket as i_tcp_create, udp as i_udp, udp_create_socket as i_udp_create,
};
use crate::io::{plain_failure, InputStream, OutputStream, Pollable};
use crate::log::{made_in_replay, recorded, replaying};
use crate::results::{creating, guest, traced};
use crate::Interposer;
use std::cell::Cell;
use wasm_rr_trace::{
    self as trace, ip_address_family_variants, network_error_code_variants, shutdown_type_variants,
    Bytes, SocketId,
};

thread_local! {
    static NEXT_SOCKET: Cell<SocketId> = const { Cell::new(0) };
}

fn next_socket_id() -> SocketId {
    NEXT_SOCKET.with(|next| next.replace(next.get() + 1))
}

network_error_code_variants!(enum_conversions!(i_net, e_net, ErrorCode; NetworkErrorCode;));
ip_address_family_variants!(enum_conversions!(i_net, e_net, IpAddressFamily; IpAddressFamily;));
shutdown_type_variants!(enum_conversions!(i_tcp, e_tcp, ShutdownType; ShutdownType;));

/// Conversions of the address types, which have the same shape in the host binding
/// (`$host`), the guest binding (`$guest`) and the trace.
macro_rules! address_conversions {
    ($from:ident => trace) => {
        impl From<$from::IpAddress> for trace::IpAddress {
            fn from(address: $from::IpAddress) -> Self {
                match address {
                    $from::IpAddress::Ipv4((a, b, c, d)) => trace::IpAddress::Ipv4([a, b, c, d]),
                    $from::IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
                        trace::IpAddress::Ipv6([a, b, c, d, e, f, g, h])
                    }
                }
            }
        }
        impl From<$from::IpSocketAddress> for trace::IpSocketAddress {
            fn from(address: $from::IpSocketAddress) -> Self {
                match address {
                    $from::IpSocketAddress::Ipv4(v4) => trace::IpSocketAddress::Ipv4 {
                        port: v4.port,
                        address: [v4.address.0, v4.address.1, v4.address.2, v4.address.3],
                    },
                    $from::IpSocketAddress::Ipv6(v6) => {
                        let (a, b, c, d, e, f, g, h) = v6.address;
                        trace::IpSocketAddress::Ipv6 {
                            port: v6.port,
                            flow_info: v6.flow_info,
                            address: [a, b, c, d, e, f, g, h],
                            scope_id: v6.scope_id,
                        }
                    }
                }
            }
        }
    };
    (trace => $to:ident) => {
        impl From<trace::IpAddress> for $to::IpAddress {
            fn from(address: trace::IpAddress) -> Self {
                match address {
                    trace::IpAddress::Ipv4([a, b, c, d]) => $to::IpAddress::Ipv4((a, b, c, d)),
                    trace::IpAddress::Ipv6([a, b, c, d, e, f, g, h]) => {
                        $to::IpAddress::Ipv6((a, b, c, d, e, f, g, h))
                    }
                }
            }
        }
        impl From<trace::IpSocketAddress> for $to::IpSocketAddress {
            fn from(address: trace::IpSocketAddress) -> Self {
                match address {
                    trace::IpSocketAddress::Ipv4 {
                        port,
                        address: [a, b, c, d],
                    } => $to::IpSocketAddress::Ipv4($to::Ipv4SocketAddress {
                        port,
                        address: (a, b, c, d),
                    }),
                    trace::IpSocketAddress::Ipv6 {
                        port,
                        flow_info,
                        address: [a, b, c, d, e, f, g, h],
                        scope_id,
                    } => $to::IpSocketAddress::Ipv6($to::Ipv6SocketAddress {
                        port,
                        flow_info,
                        address: (a, b, c, d, e, f, g, h),
                        scope_id,
                    }),
                }
            }
        }
    };
}

address_conversions!(i_net => trace);
address_conversions!(e_net => trace);
address_conversions!(trace => e_net);
address_conversions!(trace => i_net);

type GuestResult<T> = Result<T, e_net::ErrorCode>;

/// A connection's streams, recorded (virtual in replay).
fn connection_streams(
    host: Option<(i_tcp::InputStream, i_tcp::OutputStream)>,
) -> (e_streams::InputStream, e_streams::OutputStream) {
    let (input, output) = host.map_or((None, None), |(input, output)| (Some(input), Some(output)));
    (
        InputStream::recorded(input, plain_failure),
        OutputStream::recorded(output, plain_failure),
    )
}

/// The pollable of a resource: the host's in record, a virtual one in replay.
fn subscribe<H>(host: &Option<H>, subscribe: impl FnOnce(&H) -> HostPollable) -> GuestPollable {
    Pollable::unless_replaying(|| {
        subscribe(host.as_ref().unwrap_or_else(|| made_in_replay("a socket")))
    })
}

// ---- wasi:sockets/network and instance-network ----

/// The network: the host's in record, virtual in replay. It has no operations of its own.
pub struct Network(Option<i_net::Network>);

impl Network {
    fn host<'a>(network: &'a e_net::NetworkBorrow<'_>) -> &'a i_net::Network {
        let network = network.get::<Network>();
        network
            .0
            .as_ref()
            .unwrap_or_else(|| made_in_replay("a network"))
    }
}

impl e_net::GuestNetwork for Network {}

impl e_net::Guest for Interposer {
    type Network = Network;
}

impl e_instance::Guest for Interposer {
    fn instance_network() -> e_net::Network {
        let host = (!replaying()).then(i_instance::instance_network);
        e_net::Network::new(Network(host))
    }
}

// ---- wasi:sockets/ip-name-lookup ----

pub struct ResolveAddressStream {
    id: SocketId,
    host: Option<i_lookup::ResolveAddressStream>,
}

impl e_lookup::GuestResolveAddressStream for ResolveAddressStream {
    fn resolve_next_address(&self) -> GuestResult<Option<e_net::IpAddress>> {
        recorded::<trace::ResolveNextAddress>((self.id,), || {
            let host = self
                .host
                .as_ref()
                .unwrap_or_else(|| made_in_replay("a name lookup"));
            traced(
                host.resolve_next_address()
                    .map(|address| address.map(Into::into)),
            )
        })
        .map(|address| address.map(Into::into))
        .map_err(Into::into)
    }

    fn subscribe(&self) -> GuestPollable {
        subscribe(&self.host, |host| host.subscribe())
    }
}

impl e_lookup::Guest for Interposer {
    type ResolveAddressStream = ResolveAddressStream;

    fn resolve_addresses(
        network: e_net::NetworkBorrow<'_>,
        name: String,
    ) -> GuestResult<e_lookup::ResolveAddressStream> {
        creating::<trace::ResolveAddresses, _, _, _, _>((name.clone(),), || {
            i_lookup::resolve_addresses(Network::host(&network), &name)
        })
        .map(|host| {
            e_lookup::ResolveAddressStream::new(ResolveAddressStream {
                id: next_socket_id(),
                host,
            })
        })
    }
}

// ---- wasi:sockets/tcp and tcp-create-socket ----

pub struct TcpSocket {
    id: SocketId,
    host: Option<i_tcp::TcpSocket>,
}

impl TcpSocket {
    fn wrap(host: Option<i_tcp::TcpSocket>) -> e_tcp::TcpSocket {
        e_tcp::TcpSocket::new(TcpSocket {
            id: next_socket_id(),
            host,
        })
    }

    fn host(&self) -> &i_tcp::TcpSocket {
        self.host
            .as_ref()
            .unwrap_or_else(|| made_in_replay("a socket"))
    }
}

/// Socket functions whose arguments and results need only `Into` conversions: records
/// `$call` as `trace::$event` with the socket's number and the arguments.
macro_rules! recorded_methods {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $result:ty = $event:ident;)*) => {
        $(
            fn $method(&self, $($arg: $ty),*) -> $result {
                $(let $arg = $arg.into();)*
                guest(recorded::<trace::$event>((self.id, $($arg),*), || {
                    traced(self.host().$method($($arg.into()),*))
                }))
            }
        )*
    };
}

/// Socket functions that take the network and an address: records `$event` with the
/// socket's number and the address.
macro_rules! recorded_network_methods {
    ($($method:ident($address:ident) = $event:ident;)*) => {
        $(
            fn $method(
                &self,
                network: e_net::NetworkBorrow<'_>,
                $address: e_net::IpSocketAddress,
            ) -> GuestResult<()> {
                let $address = trace::IpSocketAddress::from($address);
                guest(recorded::<trace::$event>((self.id, $address), || {
                    traced(self.host().$method(Network::host(&network), $address.into()))
                }))
            }
        )*
    };
}

impl e_tcp::GuestTcpSocket for TcpSocket {
    recorded_network_methods! {
        start_bind(local_address) = TcpStartBind;
        start_connect(remote_address) = TcpStartConnect;
    }

    recorded_methods! {
        finish_bind() -> GuestResult<()> = TcpFinishBind;
        start_listen() -> GuestResult<()> = TcpStartListen;
        finish_listen() -> GuestResult<()> = TcpFinishListen;
        local_address() -> GuestResult<e_net::IpSocketAddress> = TcpLocalAddress;
        remote_address() -> GuestResult<e_net::IpSocketAddress> = TcpRemoteAddress;
        set_listen_backlog_size(value: u64) -> GuestResult<()> = TcpSetListenBacklogSize;
        keep_alive_enabled() -> GuestResult<bool> = TcpKeepAliveEnabled;
        set_keep_alive_enabled(value: bool) -> GuestResult<()> = TcpSetKeepAliveEnabled;
        keep_alive_idle_time() -> GuestResult<u64> = TcpKeepAliveIdleTime;
        set_keep_alive_idle_time(value: u64) -> GuestResult<()> = TcpSetKeepAliveIdleTime;
        keep_alive_interval() -> GuestResult<u64> = TcpKeepAliveInterval;
        set_keep_alive_interval(value: u64) -> GuestResult<()> = TcpSetKeepAliveInterval;
        keep_alive_count() -> GuestResult<u32> = TcpKeepAliveCount;
        set_keep_alive_count(value: u32) -> GuestResult<()> = TcpSetKeepAliveCount;
        hop_limit() -> GuestResult<u8> = TcpHopLimit;
        set_hop_limit(value: u8) -> GuestResult<()> = TcpSetHopLimit;
        receive_buffer_size() -> GuestResult<u64> = TcpReceiveBufferSize;
        set_receive_buffer_size(value: u64) -> GuestResult<()> = TcpSetReceiveBufferSize;
        send_buffer_size() -> GuestResult<u64> = TcpSendBufferSize;
        set_send_buffer_size(value: u64) -> GuestResult<()> = TcpSetSendBufferSize;
        shutdown(shutdown_type: e_tcp::ShutdownType) -> GuestResult<()> = TcpShutdown;
    }

    fn finish_connect(&self) -> GuestResult<(e_streams::InputStream, e_streams::OutputStream)> {
        creating::<trace::TcpFinishConnect, _, _, _, _>((self.id,), || self.host().finish_connect())
            .map(connection_streams)
    }

    fn accept(
        &self,
    ) -> GuestResult<(
        e_tcp::TcpSocket,
        e_streams::InputStream,
        e_streams::OutputStream,
    )> {
        creating::<trace::TcpAccept, _, _, _, _>((self.id,), || self.host().accept()).map(|host| {
            let (socket, streams) = match host {
                Some((socket, input, output)) => (Some(socket), Some((input, output))),
                None => (None, None),
            };
            let socket = TcpSocket::wrap(socket);
            let (input, output) = connection_streams(streams);
            (socket, input, output)
        })
    }

    fn is_listening(&self) -> bool {
        recorded::<trace::TcpIsListening>((self.id,), || self.host().is_listening())
    }

    fn address_family(&self) -> e_net::IpAddressFamily {
        recorded::<trace::TcpAddressFamily>((self.id,), || self.host().address_family().into())
            .into()
    }

    fn subscribe(&self) -> GuestPollable {
        subscribe(&self.host, |host| host.subscribe())
    }
}

impl e_tcp::Guest for Interposer {
    type TcpSocket = TcpSocket;
}

impl e_tcp_create::Guest for Interposer {
    fn create_tcp_socket(address_family: e_net::IpAddressFamily) -> GuestResult<e_tcp::TcpSocket> {
        let family = trace::IpAddressFamily::from(address_family);
        creating::<trace::CreateTcpSocket, _, _, _, _>((family,), || {
            i_tcp_create::create_tcp_socket(family.into())
        })
        .map(TcpSocket::wrap)
    }
}

// ---- wasi:sockets/udp and udp-create-socket ----

pub struct UdpSocket {
    id: SocketId,
    host: Option<i_udp::UdpSocket>,
}

impl UdpSocket {
    fn host(&self) -> &i_udp::UdpSocket {
        self.host
            .as_ref()
            .unwrap_or_else(|| made_in_replay("a socket"))
    }
}

impl e_udp::GuestUdpSocket for UdpSocket {
    recorded_network_methods! {
        start_bind(local_address) = UdpStartBind;
    }

    recorded_methods! {
        finish_bind() -> GuestResult<()> = UdpFinishBind;
        local_address() -> GuestResult<e_net::IpSocketAddress> = UdpLocalAddress;
        remote_address() -> GuestResult<e_net::IpSocketAddress> = UdpRemoteAddress;
        unicast_hop_limit() -> GuestResult<u8> = UdpUnicastHopLimit;
        set_unicast_hop_limit(value: u8) -> GuestResult<()> = UdpSetUnicastHopLimit;
        receive_buffer_size() -> GuestResult<u64> = UdpReceiveBufferSize;
        set_receive_buffer_size(value: u64) -> GuestResult<()> = UdpSetReceiveBufferSize;
        send_buffer_size() -> GuestResult<u64> = UdpSendBufferSize;
        set_send_buffer_size(value: u64) -> GuestResult<()> = UdpSetSendBufferSize;
    }

    fn stream(
        &self,
        remote_address: Option<e_net::IpSocketAddress>,
    ) -> GuestResult<(e_udp::IncomingDatagramStream, e_udp::OutgoingDatagramStream)> {
        let remote_address = remote_address.map(trace::IpSocketAddress::from);
        creating::<trace::UdpStream, _, _, _, _>((self.id, remote_address), || {
            self.host().stream(remote_address.map(Into::into))
        })
        .map(|host| {
            let (incoming, outgoing) = host.map_or((None, None), |(incoming, outgoing)| {
                (Some(incoming), Some(outgoing))
            });
            (
                e_udp::IncomingDatagramStream::new(IncomingDatagramStream {
                    id: next_socket_id(),
                    host: incoming,
                }),
                e_udp::OutgoingDatagramStream::new(OutgoingDatagramStream {
                    id: next_socket_id(),
                    host: outgoing,
                }),
            )
        })
    }

    fn address_family(&self) -> e_net::IpAddressFamily {
        recorded::<trace::UdpAddressFamily>((self.id,), || self.host().address_family().into())
            .into()
    }

    fn subscribe(&self) -> GuestPollable {
        subscribe(&self.host, |host| host.subscribe())
    }
}

pub struct IncomingDatagramStream {
    id: SocketId,
    host: Option<i_udp::IncomingDatagramStream>,
}

impl e_udp::GuestIncomingDatagramStream for IncomingDatagramStream {
    fn receive(&self, max_results: u64) -> GuestResult<Vec<e_udp::IncomingDatagram>> {
        recorded::<trace::IncomingDatagramReceive>((self.id, max_results), || {
            let host = self
                .host
                .as_ref()
                .unwrap_or_else(|| made_in_replay("a datagram stream"));
            traced(host.receive(max_results).map(|datagrams| {
                datagrams
                    .into_iter()
                    .map(|datagram| trace::IncomingDatagram {
                        data: Bytes(datagram.data),
                        remote_address: datagram.remote_address.into(),
                    })
                    .collect::<Vec<_>>()
            }))
        })
        .map(|datagrams| {
            datagrams
                .into_iter()
                .map(|datagram| e_udp::IncomingDatagram {
                    data: datagram.data.0,
                    remote_address: datagram.remote_address.into(),
                })
                .collect()
        })
        .map_err(Into::into)
    }

    fn subscribe(&self) -> GuestPollable {
        subscribe(&self.host, |host| host.subscribe())
    }
}

pub struct OutgoingDatagramStream {
    id: SocketId,
    host: Option<i_udp::OutgoingDatagramStream>,
}

impl e_udp::GuestOutgoingDatagramStream for OutgoingDatagramStream {
    fn check_send(&self) -> GuestResult<u64> {
        guest(recorded::<trace::OutgoingDatagramCheckSend>(
            (self.id,),
            || {
                let host = self
                    .host
                    .as_ref()
                    .unwrap_or_else(|| made_in_replay("a datagram stream"));
                traced(host.check_send())
            },
        ))
    }

    fn send(&self, datagrams: Vec<e_udp::OutgoingDatagram>) -> GuestResult<u64> {
        let checked = datagrams
            .iter()
            .map(|datagram| trace::OutgoingDatagram {
                len: datagram.data.len() as u64,
                digest: trace::digest(&datagram.data),
                remote_address: datagram.remote_address.map(Into::into),
            })
            .collect();
        guest(recorded::<trace::OutgoingDatagramSend>(
            (self.id, checked),
            || {
                let host = self
                    .host
                    .as_ref()
                    .unwrap_or_else(|| made_in_replay("a datagram stream"));
                let datagrams: Vec<i_udp::OutgoingDatagram> = datagrams
                    .into_iter()
                    .map(|datagram| i_udp::OutgoingDatagram {
                        data: datagram.data,
                        remote_address: datagram
                            .remote_address
                            .map(|address| trace::IpSocketAddress::from(address).into()),
                    })
                    .collect();
                traced(host.send(&datagrams))
            },
        ))
    }

    fn subscribe(&self) -> GuestPollable {
        subscribe(&self.host, |host| host.subscribe())
    }
}

impl e_udp::Guest for Interposer {
    type UdpSocket = UdpSocket;
    type IncomingDatagramStream = IncomingDatagramStream;
    type OutgoingDatagramStream = OutgoingDatagramStream;
}

impl e_udp_create::Guest for Interposer {
    fn create_udp_socket(address_family: e_net::IpAddressFamily) -> GuestResult<e_udp::UdpSocket> {
        let family = trace::IpAddressFamily::from(address_family);
        creating::<trace::CreateUdpSocket, _, _, _, _>((family,), || {
            i_udp_create::create_udp_socket(family.into())
        })
        .map(|host| {
            e_udp::UdpSocket::new(UdpSocket {
                id: next_socket_id(),
                host,
            })
        })
    }
}
