//! `wasi:http` for outgoing requests: every response, body chunk, trailer, error and
//! readiness the guest observes is recorded. Replay opens no connection. Serving (a
//! handler's request and response) is in [`serve`].
//!
//! The builders (`fields`, `outgoing-request`, `request-options`) are pure data, kept by
//! the interposer in every mode, so that the guest reads them back alike in record and
//! replay. While recording, the host's copies are changed in step, and each change's result
//! (which the host judges: a forbidden header, an invalid method) is recorded. The request
//! as a whole is checked when it is sent; its body as it is written, by digest.
//!
//! Header values named by the host's `redacted-headers` (request) and `set-cookie`
//! (response) are kept in the trace only as a keyed hash (see [`trace::Redaction`]).

use crate::bindings::exports::wasi::http::{outgoing_handler as e_handler, types as e_types};
use crate::bindings::exports::wasi::io::poll::Pollable as GuestPollable;
use crate::bindings::exports::wasi::io::streams as e_streams;
use crate::bindings::rr::log::log as host_log;
use crate::bindings::wasi::http::{outgoing_handler as i_handler, types as i_types};
use crate::bindings::wasi::io::error as i_error;
use crate::io::{plain_failure, InputStream, OutputStream, Pollable};
use crate::log::{made_in_replay, recorded, recorded_redacted};
use crate::results::{creating, creating_in_every_mode, guest, traced};
use crate::Interposer;
use std::cell::{Cell, RefCell};
mod serve;

use wasm_rr_trace::{
    self as trace, header_error_variants, http_error_code_variants, method_variants,
    scheme_variants, Bytes, HttpId, Redaction, StreamFailure,
};

thread_local! {
    static NEXT_ID: Cell<HttpId> = const { Cell::new(0) };
    static REDACTION: RefCell<Option<Redaction>> = const { RefCell::new(None) };
}

fn next_id() -> HttpId {
    NEXT_ID.with(|next| next.replace(next.get() + 1))
}

method_variants!(variant_conversions!(i_types, e_types, Method; Method;));
scheme_variants!(variant_conversions!(i_types, e_types, Scheme; Scheme;));
header_error_variants!(variant_conversions!(i_types, e_types, HeaderError; HeaderError;));
http_error_code_variants!(variant_conversions!(i_types, e_types, ErrorCode; HttpErrorCode;));
record_conversions!(i_types, e_types;
    DnsErrorPayload { rcode, info_code }
    TlsAlertReceivedPayload { alert_id, alert_message }
    FieldSizePayload { field_name, field_size }
);

/// What a body stream's error says, with its HTTP `error-code`.
fn describe_failure(error: &i_error::Error) -> StreamFailure {
    StreamFailure {
        http: i_types::http_error_code(error).map(Into::into),
        ..plain_failure(error)
    }
}

/// The pollable of a future: the host's in record, a virtual one in replay.
fn subscribe<H>(
    host: &Option<H>,
    subscribe: impl FnOnce(&H) -> crate::bindings::wasi::io::poll::Pollable,
) -> GuestPollable {
    Pollable::unless_replaying(|| {
        subscribe(
            host.as_ref()
                .unwrap_or_else(|| made_in_replay("an HTTP resource")),
        )
    })
}

/// The host's resource behind one of ours; only replay has none, and replay never asks.
fn host<H>(host: &Option<H>) -> &H {
    host.as_ref()
        .unwrap_or_else(|| made_in_replay("an HTTP resource"))
}

// ---- redaction ----

/// The run's redaction: asked of the host and recorded when the first request is sent,
/// read from the trace in replay.
fn redaction() -> Redaction {
    REDACTION.with(|cell| {
        let mut redaction = cell.borrow_mut();
        let redaction = redaction.get_or_insert_with(|| {
            recorded::<trace::HttpRedaction>((), || {
                let host_log::Redaction { headers, key } = host_log::http_redaction();
                Redaction {
                    headers: headers
                        .iter()
                        .map(|name| name.to_ascii_lowercase())
                        .collect(),
                    key: hex(&key),
                }
            })
        });
        redaction.clone()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `fields` with the values of the fields that `redacts` names replaced by their keyed hash.
fn redacted(
    redaction: &Redaction,
    fields: trace::Fields,
    redacts: impl Fn(&str) -> bool,
) -> trace::Fields {
    let hashed = fields.into_iter().map(|(name, value)| {
        if !redacts(&name) {
            return (name, value);
        }
        let hash = Redaction::hash(redaction.key.as_bytes(), name.as_bytes(), &value.0);
        (name, Bytes::from(hash.into_bytes()))
    });
    hashed.collect()
}

/// Request headers or trailers as the trace keeps them. Asks for the redaction even when
/// no field is redacted, so that record and replay ask at the same point.
fn redacted_request_fields(fields: trace::Fields) -> trace::Fields {
    let redaction = redaction();
    redacted(&redaction, fields, |name| {
        redaction.headers.iter().any(|redacted| redacted == name)
    })
}

/// Response fields as the trace keeps them, when they hold a `set-cookie` to hash. The
/// redaction exists by then: a response follows a request.
fn redacted_response_fields(fields: &trace::Fields) -> Option<trace::Fields> {
    let is_cookie = |name: &str| name == "set-cookie";
    if !fields.iter().any(|(name, _)| is_cookie(name)) {
        return None;
    }
    Some(redacted(&redaction(), fields.clone(), is_cookie))
}

// ---- wasi:http/types.fields ----

/// Host fields holding `entries`, which came from the host (record only).
fn host_fields(entries: &[(String, Vec<u8>)]) -> i_types::Fields {
    // The host gave these entries, so it takes them back.
    i_types::Fields::from_list(entries).unwrap_or_else(|_| i_types::Fields::new())
}

/// A change to a request or its options (numbered `id`, with the host's copy while
/// recording), recorded as `C`: the host judges it, and `apply` makes it to the
/// interposer's copy when the host took it (in replay, when the trace says it did).
fn builder_change<C, H>(
    id: HttpId,
    host_copy: &Option<H>,
    host_change: impl FnOnce(&H) -> Result<(), ()>,
    apply: impl FnOnce(),
) -> Result<(), ()>
where
    C: trace::Call<Args = (HttpId,), Result = Result<(), ()>>,
{
    let result = recorded::<C>((id,), || host_change(host(host_copy)));
    if result.is_ok() {
        apply();
    }
    result
}

/// Fields as the host gives them, in their trace form.
fn traced_entries(entries: Vec<(String, Vec<u8>)>) -> trace::Fields {
    let entries = entries.into_iter();
    entries.map(|(name, value)| (name, Bytes(value))).collect()
}

/// Header fields in their order: lowercase names, each with its values.
#[derive(Clone, Default)]
struct FieldList(Vec<(String, Vec<Vec<u8>>)>);

impl FieldList {
    fn from_entries(entries: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        let mut list = FieldList::default();
        for (name, value) in entries {
            list.append(&name, value);
        }
        list
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|(have, _)| have.eq_ignore_ascii_case(name))
    }

    fn get(&self, name: &str) -> Vec<Vec<u8>> {
        self.position(name)
            .map(|i| self.0[i].1.clone())
            .unwrap_or_default()
    }

    fn set(&mut self, name: &str, values: Vec<Vec<u8>>) {
        match self.position(name) {
            Some(i) => self.0[i].1 = values,
            None => self.0.push((name.to_ascii_lowercase(), values)),
        }
    }

    fn append(&mut self, name: &str, value: Vec<u8>) {
        match self.position(name) {
            Some(i) => self.0[i].1.push(value),
            None => self.0.push((name.to_ascii_lowercase(), vec![value])),
        }
    }

    fn delete(&mut self, name: &str) {
        if let Some(i) = self.position(name) {
            self.0.remove(i);
        }
    }

    fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let entries = self.0.iter().flat_map(|(name, values)| {
            values
                .iter()
                .map(move |value| (name.clone(), value.clone()))
        });
        entries.collect()
    }

    fn traced(&self) -> trace::Fields {
        traced_entries(self.entries())
    }

    fn from_traced(fields: trace::Fields) -> Self {
        FieldList::from_entries(fields.into_iter().map(|(name, value)| (name, value.0)))
    }
}

/// A `fields`. Mutable ones keep the host's copy in step while recording, so that the
/// host judges each change; immutable ones (a request's or response's headers) have none.
pub struct Fields {
    id: HttpId,
    list: RefCell<FieldList>,
    mutable: bool,
    host: Option<i_types::Fields>,
}

impl Fields {
    fn mutable(list: FieldList, host: impl FnOnce() -> i_types::Fields) -> Self {
        let host = (!crate::log::replaying()).then(host);
        Fields {
            id: next_id(),
            list: RefCell::new(list),
            mutable: true,
            host,
        }
    }

    /// Fields the guest cannot change, with the host's own copy while recording: a clone
    /// of it, or a request made with it, then holds what the host holds, even the headers
    /// (`connection`, `transfer-encoding`) that the host would refuse from a guest.
    fn immutable(list: FieldList, host: Option<i_types::Fields>) -> e_types::Fields {
        e_types::Fields::new(Fields {
            id: next_id(),
            list: RefCell::new(list),
            mutable: false,
            host,
        })
    }

    /// The host's fields with the same entries (record only).
    fn into_host(self) -> i_types::Fields {
        self.host
            .unwrap_or_else(|| host_fields(&self.list.into_inner().entries()))
    }

    /// A change to mutable fields, recorded as `C` with the field's name.
    fn change<C>(
        &self,
        name: String,
        host_change: impl FnOnce(&i_types::Fields) -> Result<(), i_types::HeaderError>,
        apply: impl FnOnce(&mut FieldList, &str),
    ) -> Result<(), e_types::HeaderError>
    where
        C: trace::Call<Args = (HttpId, String), Result = Result<(), trace::HeaderError>>,
    {
        if !self.mutable {
            return Err(e_types::HeaderError::Immutable);
        }
        let result = recorded::<C>((self.id, name.clone()), || {
            traced(host_change(host(&self.host)))
        });
        if result.is_ok() {
            apply(&mut self.list.borrow_mut(), &name);
        }
        guest(result)
    }
}

impl e_types::GuestFields for Fields {
    fn new() -> Self {
        Fields::mutable(FieldList::default(), i_types::Fields::new)
    }

    fn from_list(entries: Vec<(String, Vec<u8>)>) -> Result<e_types::Fields, e_types::HeaderError> {
        let names = entries.iter().map(|(name, _)| name.clone()).collect();
        let created =
            creating::<trace::FieldsFromList, _, _, trace::HeaderError, e_types::HeaderError>(
                (names,),
                || i_types::Fields::from_list(&entries),
            )?;
        let list = FieldList::from_entries(entries);
        Ok(e_types::Fields::new(Fields {
            id: next_id(),
            list: RefCell::new(list),
            mutable: true,
            host: created,
        }))
    }

    fn get(&self, name: String) -> Vec<Vec<u8>> {
        self.list.borrow().get(&name)
    }

    fn has(&self, name: String) -> bool {
        self.list.borrow().position(&name).is_some()
    }

    fn set(&self, name: String, values: Vec<Vec<u8>>) -> Result<(), e_types::HeaderError> {
        let applied = values.clone();
        self.change::<trace::FieldsSet>(
            name.clone(),
            |host| host.set(&name, &values),
            |list, name| list.set(name, applied),
        )
    }

    fn delete(&self, name: String) -> Result<(), e_types::HeaderError> {
        self.change::<trace::FieldsDelete>(
            name.clone(),
            |host| host.delete(&name),
            |list, name| list.delete(name),
        )
    }

    fn append(&self, name: String, value: Vec<u8>) -> Result<(), e_types::HeaderError> {
        let applied = value.clone();
        self.change::<trace::FieldsAppend>(
            name.clone(),
            |host| host.append(&name, &value),
            |list, name| list.append(name, applied),
        )
    }

    fn entries(&self) -> Vec<(String, Vec<u8>)> {
        self.list.borrow().entries()
    }

    fn clone(&self) -> e_types::Fields {
        let list = self.list.borrow().clone();
        let entries = list.entries();
        e_types::Fields::new(Fields::mutable(list, || match &self.host {
            Some(host) => host.clone(),
            None => host_fields(&entries),
        }))
    }
}

// ---- wasi:http/types.outgoing-request ----

/// The parts of a request that the guest sets and reads back.
struct RequestLine {
    method: trace::Method,
    scheme: Option<trace::Scheme>,
    authority: Option<String>,
    path_with_query: Option<String>,
}

pub struct OutgoingRequest {
    id: HttpId,
    line: RefCell<RequestLine>,
    headers: FieldList,
    host: Option<i_types::OutgoingRequest>,
}

impl OutgoingRequest {
    /// A change to the request line, recorded as `C`.
    fn change<C>(
        &self,
        host_change: impl FnOnce(&i_types::OutgoingRequest) -> Result<(), ()>,
        apply: impl FnOnce(&mut RequestLine),
    ) -> Result<(), ()>
    where
        C: trace::Call<Args = (HttpId,), Result = Result<(), ()>>,
    {
        builder_change::<C, _>(self.id, &self.host, host_change, || {
            apply(&mut self.line.borrow_mut())
        })
    }

    /// The request as the trace keeps it.
    fn traced(&self) -> trace::HttpRequest {
        let line = self.line.borrow();
        trace::HttpRequest {
            method: line.method.clone(),
            scheme: line.scheme.clone(),
            authority: line.authority.clone(),
            path_with_query: line.path_with_query.clone(),
            headers: redacted_request_fields(self.headers.traced()),
        }
    }
}

impl e_types::GuestOutgoingRequest for OutgoingRequest {
    fn new(headers: e_types::Headers) -> Self {
        let headers = headers.into_inner::<Fields>();
        let list = headers.list.borrow().clone();
        let host =
            (!crate::log::replaying()).then(|| i_types::OutgoingRequest::new(headers.into_host()));
        OutgoingRequest {
            id: next_id(),
            line: RefCell::new(RequestLine {
                method: trace::Method::Get,
                scheme: None,
                authority: None,
                path_with_query: None,
            }),
            headers: list,
            host,
        }
    }

    fn body(&self) -> Result<e_types::OutgoingBody, ()> {
        creating::<trace::OutgoingRequestBody, _, _, _, _>((self.id,), || host(&self.host).body())
            .map(|host| {
                e_types::OutgoingBody::new(OutgoingBody {
                    id: next_id(),
                    host,
                    response: false,
                })
            })
    }

    fn method(&self) -> e_types::Method {
        self.line.borrow().method.clone().into()
    }

    fn set_method(&self, method: e_types::Method) -> Result<(), ()> {
        let method = trace::Method::from(method);
        let host_method = method.clone().into();
        self.change::<trace::OutgoingRequestSetMethod>(
            |host| host.set_method(&host_method),
            |line| line.method = method,
        )
    }

    fn path_with_query(&self) -> Option<String> {
        self.line.borrow().path_with_query.clone()
    }

    fn set_path_with_query(&self, path_with_query: Option<String>) -> Result<(), ()> {
        let host_path = path_with_query.clone();
        self.change::<trace::OutgoingRequestSetPathWithQuery>(
            |host| host.set_path_with_query(host_path.as_deref()),
            |line| line.path_with_query = path_with_query,
        )
    }

    fn scheme(&self) -> Option<e_types::Scheme> {
        self.line.borrow().scheme.clone().map(Into::into)
    }

    fn set_scheme(&self, scheme: Option<e_types::Scheme>) -> Result<(), ()> {
        let scheme = scheme.map(trace::Scheme::from);
        let host_scheme = scheme.clone().map(Into::into);
        self.change::<trace::OutgoingRequestSetScheme>(
            |host| host.set_scheme(host_scheme.as_ref()),
            |line| line.scheme = scheme,
        )
    }

    fn authority(&self) -> Option<String> {
        self.line.borrow().authority.clone()
    }

    fn set_authority(&self, authority: Option<String>) -> Result<(), ()> {
        let host_authority = authority.clone();
        self.change::<trace::OutgoingRequestSetAuthority>(
            |host| host.set_authority(host_authority.as_deref()),
            |line| line.authority = authority,
        )
    }

    fn headers(&self) -> e_types::Headers {
        let host = self.host.as_ref().map(|host| host.headers());
        Fields::immutable(self.headers.clone(), host)
    }
}

// ---- wasi:http/types.request-options ----

pub struct RequestOptions {
    id: HttpId,
    timeouts: Cell<trace::RequestOptions>,
    host: Option<i_types::RequestOptions>,
}

impl RequestOptions {
    /// A change to a timeout, recorded as `C`.
    fn change<C>(
        &self,
        host_change: impl FnOnce(&i_types::RequestOptions) -> Result<(), ()>,
        apply: impl FnOnce(&mut trace::RequestOptions),
    ) -> Result<(), ()>
    where
        C: trace::Call<Args = (HttpId,), Result = Result<(), ()>>,
    {
        builder_change::<C, _>(self.id, &self.host, host_change, || {
            let mut timeouts = self.timeouts.get();
            apply(&mut timeouts);
            self.timeouts.set(timeouts);
        })
    }
}

impl e_types::GuestRequestOptions for RequestOptions {
    fn new() -> Self {
        RequestOptions {
            id: next_id(),
            timeouts: Cell::default(),
            host: (!crate::log::replaying()).then(i_types::RequestOptions::new),
        }
    }

    fn connect_timeout(&self) -> Option<u64> {
        self.timeouts.get().connect_timeout
    }

    fn set_connect_timeout(&self, duration: Option<u64>) -> Result<(), ()> {
        self.change::<trace::RequestOptionsSetConnectTimeout>(
            |host| host.set_connect_timeout(duration),
            |timeouts| timeouts.connect_timeout = duration,
        )
    }

    fn first_byte_timeout(&self) -> Option<u64> {
        self.timeouts.get().first_byte_timeout
    }

    fn set_first_byte_timeout(&self, duration: Option<u64>) -> Result<(), ()> {
        self.change::<trace::RequestOptionsSetFirstByteTimeout>(
            |host| host.set_first_byte_timeout(duration),
            |timeouts| timeouts.first_byte_timeout = duration,
        )
    }

    fn between_bytes_timeout(&self) -> Option<u64> {
        self.timeouts.get().between_bytes_timeout
    }

    fn set_between_bytes_timeout(&self, duration: Option<u64>) -> Result<(), ()> {
        self.change::<trace::RequestOptionsSetBetweenBytesTimeout>(
            |host| host.set_between_bytes_timeout(duration),
            |timeouts| timeouts.between_bytes_timeout = duration,
        )
    }
}

// ---- wasi:http/types.outgoing-body ----

/// A request's body, or (`response`) a handler's response's, which the host has in every
/// mode: replay shows the response.
pub struct OutgoingBody {
    id: HttpId,
    host: Option<i_types::OutgoingBody>,
    response: bool,
}

impl e_types::GuestOutgoingBody for OutgoingBody {
    fn write(&self) -> Result<e_streams::OutputStream, ()> {
        if self.response {
            let host_stream = host(&self.host).write();
            return creating_in_every_mode::<trace::OutgoingBodyWrite, _, _>(
                (self.id,),
                host_stream,
            )
            .map(|host| OutputStream::response_body(host, describe_failure));
        }
        creating::<trace::OutgoingBodyWrite, _, _, _, _>((self.id,), || host(&self.host).write())
            .map(|host| OutputStream::recorded(host, describe_failure))
    }

    fn finish(
        this: e_types::OutgoingBody,
        trailers: Option<e_types::Trailers>,
    ) -> Result<(), e_types::ErrorCode> {
        let body = this.into_inner::<OutgoingBody>();
        let trailers = trailers.map(|trailers| trailers.into_inner::<Fields>());
        let traced_trailers = trailers
            .as_ref()
            .map(|trailers| redacted_request_fields(trailers.list.borrow().traced()));
        if body.response {
            let host = body.host.unwrap_or_else(|| made_in_replay("an HTTP body"));
            let finished = i_types::OutgoingBody::finish(host, trailers.map(Fields::into_host));
            return guest(recorded::<trace::OutgoingBodyFinish>(
                (body.id, traced_trailers),
                || traced(finished),
            ));
        }
        guest(recorded::<trace::OutgoingBodyFinish>(
            (body.id, traced_trailers),
            || {
                let host = body.host.unwrap_or_else(|| made_in_replay("an HTTP body"));
                traced(i_types::OutgoingBody::finish(
                    host,
                    trailers.map(Fields::into_host),
                ))
            },
        ))
    }
}

// ---- wasi:http/outgoing-handler ----

impl e_handler::Guest for Interposer {
    fn handle(
        request: e_types::OutgoingRequest,
        options: Option<e_types::RequestOptions>,
    ) -> Result<e_types::FutureIncomingResponse, e_types::ErrorCode> {
        let request = request.into_inner::<OutgoingRequest>();
        let options = options.map(|options| options.into_inner::<RequestOptions>());
        let args = (
            request.traced(),
            options.as_ref().map(|options| options.timeouts.get()),
        );
        creating::<trace::OutgoingHandlerHandle, _, _, _, _>(args, || {
            let host_request = request
                .host
                .unwrap_or_else(|| made_in_replay("an HTTP request"));
            i_handler::handle(host_request, options.and_then(|options| options.host))
        })
        .map(|host| {
            e_types::FutureIncomingResponse::new(FutureIncomingResponse {
                id: next_id(),
                host,
            })
        })
    }
}

// ---- wasi:http/types.future-incoming-response, incoming-response ----

pub struct FutureIncomingResponse {
    id: HttpId,
    host: Option<i_types::FutureIncomingResponse>,
}

type GuestFuture<T> = Option<Result<Result<T, e_types::ErrorCode>, ()>>;

impl e_types::GuestFutureIncomingResponse for FutureIncomingResponse {
    fn subscribe(&self) -> GuestPollable {
        subscribe(&self.host, |host| host.subscribe())
    }

    fn get(&self) -> GuestFuture<e_types::IncomingResponse> {
        let mut host_response = None;
        let result = recorded_redacted::<trace::FutureIncomingResponseGet>(
            (self.id,),
            || {
                let got = host(&self.host).get();
                got.map(|taken| {
                    taken.map(|response| {
                        let response = response.map_err(trace::HttpErrorCode::from)?;
                        let traced = trace::HttpResponse {
                            status: response.status(),
                            headers: traced_entries(response.headers().entries()),
                        };
                        host_response = Some(response);
                        Ok(traced)
                    })
                })
            },
            |result| match result {
                Some(Ok(Ok(response))) => {
                    let headers = redacted_response_fields(&response.headers)?;
                    Some(Some(Ok(Ok(trace::HttpResponse {
                        status: response.status,
                        headers,
                    }))))
                }
                _ => None,
            },
        );
        result.map(|taken| {
            taken.map(|response| {
                let response = response.map_err(e_types::ErrorCode::from)?;
                Ok(e_types::IncomingResponse::new(IncomingResponse {
                    id: next_id(),
                    status: response.status,
                    headers: FieldList::from_traced(response.headers),
                    host: host_response.take(),
                }))
            })
        })
    }
}

pub struct IncomingResponse {
    id: HttpId,
    status: u16,
    headers: FieldList,
    host: Option<i_types::IncomingResponse>,
}

impl e_types::GuestIncomingResponse for IncomingResponse {
    fn status(&self) -> u16 {
        self.status
    }

    fn headers(&self) -> e_types::Headers {
        let host = self.host.as_ref().map(|host| host.headers());
        Fields::immutable(self.headers.clone(), host)
    }

    fn consume(&self) -> Result<e_types::IncomingBody, ()> {
        creating::<trace::IncomingResponseConsume, _, _, _, _>((self.id,), || {
            host(&self.host).consume()
        })
        .map(|host| {
            e_types::IncomingBody::new(IncomingBody {
                id: next_id(),
                host,
            })
        })
    }
}

// ---- wasi:http/types.incoming-body, future-trailers ----

pub struct IncomingBody {
    id: HttpId,
    host: Option<i_types::IncomingBody>,
}

impl e_types::GuestIncomingBody for IncomingBody {
    fn stream(&self) -> Result<e_streams::InputStream, ()> {
        creating::<trace::IncomingBodyStream, _, _, _, _>((self.id,), || host(&self.host).stream())
            .map(|host| InputStream::recorded(host, describe_failure))
    }

    fn finish(this: e_types::IncomingBody) -> e_types::FutureTrailers {
        let body = this.into_inner::<IncomingBody>();
        e_types::FutureTrailers::new(FutureTrailers {
            id: next_id(),
            host: body.host.map(i_types::IncomingBody::finish),
        })
    }
}

pub struct FutureTrailers {
    id: HttpId,
    host: Option<i_types::FutureTrailers>,
}

impl e_types::GuestFutureTrailers for FutureTrailers {
    fn subscribe(&self) -> GuestPollable {
        subscribe(&self.host, |host| host.subscribe())
    }

    fn get(&self) -> GuestFuture<Option<e_types::Trailers>> {
        let mut host_trailers = None;
        let result = recorded_redacted::<trace::FutureTrailersGet>(
            (self.id,),
            || {
                let got = host(&self.host).get();
                got.map(|taken| {
                    taken.map(|trailers| {
                        let trailers = trailers.map_err(trace::HttpErrorCode::from)?;
                        Ok(trailers.map(|fields| {
                            let traced = traced_entries(fields.entries());
                            host_trailers = Some(fields);
                            traced
                        }))
                    })
                })
            },
            |result| match result {
                Some(Ok(Ok(Some(trailers)))) => {
                    Some(Some(Ok(Ok(Some(redacted_response_fields(trailers)?)))))
                }
                _ => None,
            },
        );
        result.map(|taken| {
            taken.map(|trailers| {
                let trailers = trailers.map_err(e_types::ErrorCode::from)?;
                Ok(trailers.map(|fields| {
                    Fields::immutable(FieldList::from_traced(fields), host_trailers.take())
                }))
            })
        })
    }
}

impl e_types::Guest for Interposer {
    type Fields = Fields;
    type IncomingRequest = serve::IncomingRequest;
    type OutgoingRequest = OutgoingRequest;
    type RequestOptions = RequestOptions;
    type ResponseOutparam = serve::ResponseOutparam;
    type IncomingResponse = IncomingResponse;
    type IncomingBody = IncomingBody;
    type FutureTrailers = FutureTrailers;
    type OutgoingResponse = serve::OutgoingResponse;
    type OutgoingBody = OutgoingBody;
    type FutureIncomingResponse = FutureIncomingResponse;

    fn http_error_code(err: e_types::IoErrorBorrow<'_>) -> Option<e_types::ErrorCode> {
        err.get::<crate::io::Error>().http_code().map(Into::into)
    }
}
