//! Types of `wasi:http`.
//!
//! WIT variants that carry data are listed once, in the `*_variants!` macros, as
//! `units: A, B, ...; data: C(Type) by how, ...`, where `how` says how the payload converts
//! between the WIT bindings and these types (`same`, `into`, or `map_into` for an
//! `option` of a record). This crate defines its enums from the lists with
//! [`wit_variant!`]; the interposer its conversions.

use crate::Bytes;
use serde::{Deserialize, Serialize};

/// Identifies an HTTP resource in events (fields, requests, options, bodies, responses,
/// futures), numbered in creation order from 0.
pub type HttpId = u32;

/// Defines a WIT variant's mirror from a `*_variants!` list, written in JSON as in WIT:
/// `"connection-refused"`, `{"internal-error":"..."}`.
#[macro_export]
macro_rules! wit_variant {
    ($(#[$meta:meta])* $name:ident;
     units: $($unit:ident),*; data: $($data:ident($ty:ty) by $how:ident),*) => {
        $(#[$meta])*
        #[derive(::serde::Serialize, ::serde::Deserialize, Debug, Clone, PartialEq, Eq)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($unit,)* $($data($ty),)* }
    };
}

/// Calls `$callback!($($prefix)* units: ...; data: ...)` with the variants of `method`.
#[macro_export]
macro_rules! method_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)*
            units: Get, Head, Post, Put, Delete, Connect, Options, Trace, Patch;
            data: Other(String) by same
        );
    };
}

/// Calls `$callback!($($prefix)* units: ...; data: ...)` with the variants of `scheme`.
#[macro_export]
macro_rules! scheme_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)* units: Http, Https; data: Other(String) by same);
    };
}

/// Calls `$callback!($($prefix)* units: ...; data: ...)` with the variants of `header-error`.
#[macro_export]
macro_rules! header_error_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)* units: InvalidSyntax, Forbidden, Immutable; data:);
    };
}

/// Calls `$callback!($($prefix)* units: ...; data: ...)` with the variants of the HTTP
/// `error-code`.
#[macro_export]
macro_rules! http_error_code_variants {
    ($callback:ident!($($prefix:tt)*)) => {
        $callback!($($prefix)*
            units: DnsTimeout, DestinationNotFound, DestinationUnavailable,
                DestinationIpProhibited, DestinationIpUnroutable, ConnectionRefused,
                ConnectionTerminated, ConnectionTimeout, ConnectionReadTimeout,
                ConnectionWriteTimeout, ConnectionLimitReached, TlsProtocolError,
                TlsCertificateError, HttpRequestDenied, HttpRequestLengthRequired,
                HttpRequestMethodInvalid, HttpRequestUriInvalid, HttpRequestUriTooLong,
                HttpResponseIncomplete, HttpResponseTimeout, HttpUpgradeFailed,
                HttpProtocolError, LoopDetected, ConfigurationError;
            data: DnsError(DnsErrorPayload) by into,
                TlsAlertReceived(TlsAlertReceivedPayload) by into,
                HttpRequestBodySize(Option<u64>) by same,
                HttpRequestHeaderSectionSize(Option<u32>) by same,
                HttpRequestHeaderSize(Option<FieldSizePayload>) by map_into,
                HttpRequestTrailerSectionSize(Option<u32>) by same,
                HttpRequestTrailerSize(FieldSizePayload) by into,
                HttpResponseHeaderSectionSize(Option<u32>) by same,
                HttpResponseHeaderSize(FieldSizePayload) by into,
                HttpResponseBodySize(Option<u64>) by same,
                HttpResponseTrailerSectionSize(Option<u32>) by same,
                HttpResponseTrailerSize(FieldSizePayload) by into,
                HttpResponseTransferCoding(Option<String>) by same,
                HttpResponseContentCoding(Option<String>) by same,
                InternalError(Option<String>) by same
        );
    };
}

method_variants!(wit_variant!(
    /// `method`.
    Method;
));
scheme_variants!(wit_variant!(
    /// `scheme`.
    Scheme;
));
header_error_variants!(wit_variant!(
    /// `header-error`.
    HeaderError;
));
http_error_code_variants!(wit_variant!(
    /// The HTTP `error-code`.
    HttpErrorCode;
));

/// `DNS-error-payload`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DnsErrorPayload {
    pub rcode: Option<String>,
    pub info_code: Option<u16>,
}

/// `TLS-alert-received-payload`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct TlsAlertReceivedPayload {
    pub alert_id: Option<u8>,
    pub alert_message: Option<String>,
}

/// `field-size-payload`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FieldSizePayload {
    pub field_name: Option<String>,
    pub field_size: Option<u32>,
}

/// Header or trailer fields in their order: lowercase names, values as the guest saw them,
/// or as [`Redaction::MARKER`] and a keyed hash for a redacted field.
pub type Fields = Vec<(String, Bytes)>;

/// An outgoing request as replay checks it when the guest sends it. Its body is checked
/// as it is written, like any stream's output.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub scheme: Option<Scheme>,
    pub authority: Option<String>,
    pub path_with_query: Option<String>,
    pub headers: Fields,
}

/// `GET http://example.com/path {accept: */*}`: the request in one line.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.method {
            Method::Other(method) => write!(f, "{method} ")?,
            method => write!(f, "{} ", format!("{method:?}").to_uppercase())?,
        }
        match &self.scheme {
            Some(Scheme::Http) => write!(f, "http://")?,
            Some(Scheme::Https) => write!(f, "https://")?,
            Some(Scheme::Other(scheme)) => write!(f, "{scheme}://")?,
            None => {}
        }
        write!(
            f,
            "{}{} {{",
            self.authority.as_deref().unwrap_or(""),
            self.path_with_query.as_deref().unwrap_or("")
        )?;
        for (i, (name, value)) in self.headers.iter().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            write!(
                f,
                "{separator}{name}: {}",
                String::from_utf8_lossy(&value.0)
            )?;
        }
        write!(f, "}}")
    }
}

/// A `request-options` as replay checks it: the timeouts in nanoseconds.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOptions {
    pub connect_timeout: Option<u64>,
    pub first_byte_timeout: Option<u64>,
    pub between_bytes_timeout: Option<u64>,
}

/// An `incoming-response` as the guest first sees it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Fields,
}

/// Which header values the trace keeps only as a keyed hash, and the key. Recorded once,
/// before the first HTTP request, so that replay hashes what the guest sends alike.
///
/// The key is in the trace: it makes the hash of a secret useless to a reader who would
/// precompute hashes of common values, but a short password can still be guessed by trying
/// candidates against it. Tokens and session cookies are long enough not to be.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// Lowercase names of the request headers redacted; response `set-cookie` always is.
    pub headers: Vec<String>,
    /// Hex key of the HMAC-SHA-256.
    pub key: String,
}

impl Redaction {
    /// What a redacted value starts with, before the hex of its hash.
    pub const MARKER: &'static str = "wasm-rr-redacted:";

    /// What the trace keeps of the secret `value` named `name`: [`Redaction::MARKER`], then
    /// the hex of its HMAC-SHA-256 under `key` (of any length), cut to 128 bits.
    pub fn hash(key: &[u8], name: &[u8], value: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = <Hmac<sha2::Sha256>>::new_from_slice(key) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(name);
        mac.update(b":");
        mac.update(value);
        let hash: String = mac.finalize().into_bytes()[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("{}{hash}", Redaction::MARKER)
    }
}

/// The result of a `wasi:http` function that fails with an `error-code`.
pub type HttpResult<T> = Result<T, HttpErrorCode>;

/// The result of a `future-*.get`: `None` while pending, `Some(Err(()))` once taken.
pub type FutureResult<T> = Option<Result<HttpResult<T>, ()>>;
