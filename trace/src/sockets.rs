//! Types of `wasi:sockets`.

use crate::Bytes;
use serde::{Deserialize, Serialize};

/// Identifies a socket-like resource in events (a TCP or UDP socket, a datagram stream,
/// an address lookup), numbered in creation order from 0.
pub type SocketId = u32;

/// Calls `$callback!($($prefix)* Variant, ...)` with the variants of the network
/// `error-code`.
#[macro_export]
macro_rules! network_error_code_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)*
            Unknown, AccessDenied, NotSupported, InvalidArgument, OutOfMemory, Timeout,
            ConcurrencyConflict, NotInProgress, WouldBlock, InvalidState, NewSocketLimit,
            AddressNotBindable, AddressInUse, RemoteUnreachable, ConnectionRefused,
            ConnectionReset, ConnectionAborted, DatagramTooLarge, NameUnresolvable,
            TemporaryResolverFailure, PermanentResolverFailure
        );
    };
}

/// Calls `$callback!($($prefix)* Variant, ...)` with the variants of `ip-address-family`.
#[macro_export]
macro_rules! ip_address_family_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)* Ipv4, Ipv6);
    };
}

/// Calls `$callback!($($prefix)* Variant, ...)` with the variants of `shutdown-type`.
#[macro_export]
macro_rules! shutdown_type_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)* Receive, Send, Both);
    };
}

network_error_code_variants!(wit_enum!(
    /// The network `error-code`, written in JSON as in WIT: `"connection-refused"`.
    NetworkErrorCode;
));
ip_address_family_variants!(wit_enum!(
    /// `ip-address-family`.
    IpAddressFamily;
));
shutdown_type_variants!(wit_enum!(
    /// `shutdown-type`.
    ShutdownType;
));

/// `ip-address`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum IpAddress {
    Ipv4([u8; 4]),
    Ipv6([u16; 8]),
}

/// `ip-socket-address`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum IpSocketAddress {
    Ipv4 {
        port: u16,
        address: [u8; 4],
    },
    Ipv6 {
        port: u16,
        flow_info: u32,
        address: [u16; 8],
        scope_id: u32,
    },
}

/// `incoming-datagram`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct IncomingDatagram {
    pub data: Bytes,
    pub remote_address: IpSocketAddress,
}

/// An `outgoing-datagram` as replay checks it: its data by length and
/// [`digest`](crate::digest).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct OutgoingDatagram {
    pub len: u64,
    pub digest: u64,
    pub remote_address: Option<IpSocketAddress>,
}

/// The result of a `wasi:sockets` function.
pub type NetResult<T> = Result<T, NetworkErrorCode>;
