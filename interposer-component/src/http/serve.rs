//! Serving HTTP: the request a handler is handed, and the response it sets.
//!
//! The host's request and response-outparam reach the interposer through the request
//! slot (see `rr:log/incoming` in wit/rr-log.wit). The request is recorded when the
//! handler is handed it, its body as any stream; the response when the handler sets it,
//! its body by digest as it is written. Unlike every other output, the response goes to
//! the host in replay too, once checked against the recording: `wasm-rr replay` shows it.

use super::{
    host, next_id, redacted_request_fields, redacted_response_fields, redaction, traced_entries,
    FieldList, Fields, IncomingBody, OutgoingBody, RequestLine,
};
use crate::bindings::exports::rr::log::incoming as e_incoming;
use crate::bindings::exports::wasi::http::types as e_types;
use crate::bindings::rr::log::request_slot;
use crate::bindings::wasi::http::types as i_types;
use crate::log::{recorded, recorded_redacted, replaying};
use crate::results::{creating, creating_in_every_mode};
use crate::Interposer;
use std::cell::Cell;
use wasm_rr_trace::{self as trace, HttpId};

impl e_incoming::Guest for Interposer {
    fn accept_request() -> e_types::IncomingRequest {
        let host_request = request_slot::take_request();
        // Asked first, in every mode, so that the redaction comes before the request.
        let _ = redaction();
        let request = recorded_redacted::<trace::IncomingHandlerHandle>(
            (),
            || trace::HttpRequest {
                method: host_request.method().into(),
                scheme: host_request.scheme().map(Into::into),
                authority: host_request.authority(),
                path_with_query: host_request.path_with_query(),
                headers: traced_entries(host_request.headers().entries()),
            },
            |request| {
                Some(trace::HttpRequest {
                    headers: redacted_request_fields(request.headers.clone()),
                    ..request.clone()
                })
            },
        );
        e_types::IncomingRequest::new(IncomingRequest {
            id: next_id(),
            line: RequestLine {
                method: request.method,
                scheme: request.scheme,
                authority: request.authority,
                path_with_query: request.path_with_query,
            },
            headers: FieldList::from_traced(request.headers),
            // Replay reads no host resource: the request is the trace's.
            host: (!replaying()).then_some(host_request),
        })
    }

    fn accept_response_out() -> e_types::ResponseOutparam {
        e_types::ResponseOutparam::new(ResponseOutparam {
            host: request_slot::take_response_out(),
        })
    }
}

// ---- wasi:http/types.incoming-request ----

pub struct IncomingRequest {
    id: HttpId,
    line: RequestLine,
    headers: FieldList,
    host: Option<i_types::IncomingRequest>,
}

impl e_types::GuestIncomingRequest for IncomingRequest {
    fn method(&self) -> e_types::Method {
        self.line.method.clone().into()
    }

    fn path_with_query(&self) -> Option<String> {
        self.line.path_with_query.clone()
    }

    fn scheme(&self) -> Option<e_types::Scheme> {
        self.line.scheme.clone().map(Into::into)
    }

    fn authority(&self) -> Option<String> {
        self.line.authority.clone()
    }

    fn headers(&self) -> e_types::Headers {
        let host = self.host.as_ref().map(|host| host.headers());
        Fields::immutable(self.headers.clone(), host)
    }

    fn consume(&self) -> Result<e_types::IncomingBody, ()> {
        creating::<trace::IncomingRequestConsume, _, _, _, _>((self.id,), || {
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

// ---- wasi:http/types.outgoing-response, response-outparam ----

/// A response: the host has one in every mode, changed in step, so that replay can show
/// what the handler answers.
pub struct OutgoingResponse {
    id: HttpId,
    status: Cell<u16>,
    headers: FieldList,
    host: i_types::OutgoingResponse,
}

impl OutgoingResponse {
    /// The response as the trace keeps it.
    fn traced(&self) -> trace::HttpResponse {
        let headers = self.headers.traced();
        trace::HttpResponse {
            status: self.status.get(),
            headers: redacted_response_fields(&headers).unwrap_or(headers),
        }
    }
}

impl e_types::GuestOutgoingResponse for OutgoingResponse {
    fn new(headers: e_types::Headers) -> Self {
        let headers = headers.into_inner::<Fields>();
        let list = headers.list.borrow().clone();
        OutgoingResponse {
            id: next_id(),
            status: Cell::new(200),
            headers: list,
            host: i_types::OutgoingResponse::new(headers.into_host()),
        }
    }

    fn status_code(&self) -> u16 {
        self.status.get()
    }

    fn set_status_code(&self, status_code: u16) -> Result<(), ()> {
        let changed = self.host.set_status_code(status_code);
        let result =
            recorded::<trace::OutgoingResponseSetStatusCode>((self.id, status_code), || changed);
        if result.is_ok() {
            self.status.set(status_code);
        }
        result
    }

    fn headers(&self) -> e_types::Headers {
        Fields::immutable(self.headers.clone(), Some(self.host.headers()))
    }

    fn body(&self) -> Result<e_types::OutgoingBody, ()> {
        let host_body = self.host.body();
        creating_in_every_mode::<trace::OutgoingResponseBody, _, _>((self.id,), host_body).map(
            |host| {
                e_types::OutgoingBody::new(OutgoingBody {
                    id: next_id(),
                    host,
                    response: true,
                })
            },
        )
    }
}

pub struct ResponseOutparam {
    host: i_types::ResponseOutparam,
}

impl e_types::GuestResponseOutparam for ResponseOutparam {
    fn set(
        param: e_types::ResponseOutparam,
        response: Result<e_types::OutgoingResponse, e_types::ErrorCode>,
    ) {
        let param = param.into_inner::<ResponseOutparam>();
        let (traced, host_response) = match response {
            Ok(response) => {
                let response = response.into_inner::<OutgoingResponse>();
                (Ok(response.traced()), Ok(response.host))
            }
            Err(code) => {
                let code = trace::HttpErrorCode::from(code);
                (Err(code.clone()), Err(code.into()))
            }
        };
        recorded::<trace::ResponseOutparamSet>((traced,), || ());
        i_types::ResponseOutparam::set(param.host, host_response);
    }
}
