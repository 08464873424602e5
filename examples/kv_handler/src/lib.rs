//! An HTTP handler (`wasi:http/proxy`) on `wasi:keyvalue`: a visit counter per path.
//!
//! ```text
//! wasm-rr serve kv_handler.wasm -S keyvalue -S keyvalue-in-memory-data=visits:/=41 --trace-dir traces/
//! wasm-rr replay kv_handler.wasm traces/<one request's trace>     # no keyvalue needed
//! ```
//!
//! Each request increments the path's counter (`visits:PATH`) and answers with it. The
//! in-memory store starts each request from the `-S keyvalue-in-memory-data` pairs.

wit_bindgen::generate!({
    path: ["../wit/deps/keyvalue", "wit"],
    world: "wasm-rr-examples:kv-handler/kv-handler",
    generate_all,
});

use wasi::keyvalue::{atomics, store};
use wasip2::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

struct Handler;

wasip2::http::proxy::export!(Handler);

impl wasip2::exports::http::incoming_handler::Guest for Handler {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let path = request.path_with_query().unwrap_or_default();
        let (status, body) = match visit(&path) {
            Ok(visits) => (200, format!("{path}: visit {visits}\n")),
            Err(error) => (500, format!("the store failed: {error:?}\n")),
        };
        respond(response_out, status, body.as_bytes());
    }
}

/// Counts a visit of `path`: its count, this one included.
fn visit(path: &str) -> Result<u64, store::Error> {
    let bucket = store::open("")?;
    atomics::increment(&bucket, &format!("visits:{path}"), 1)
}

fn respond(response_out: ResponseOutparam, status: u16, body: &[u8]) {
    let headers = Fields::from_list(&[("content-type".into(), b"text/plain".to_vec())])
        .expect("valid headers");
    let response = OutgoingResponse::new(headers);
    response.set_status_code(status).expect("a valid status");
    let body_out = response.body().expect("the response body");
    ResponseOutparam::set(response_out, Ok(response));
    let output = body_out.write().expect("the body's stream");
    output
        .blocking_write_and_flush(body)
        .expect("writing the body");
    drop(output);
    OutgoingBody::finish(body_out, None).expect("finishing the response");
}
