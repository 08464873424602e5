//! An HTTP handler (`wasi:http/proxy`), served by `wasm-rr serve` or `wasmtime serve`:
//!
//! - `/echo`: the request body back, streamed, with the request's `content-type`.
//! - `/hello`: JSON with the time (wall clock, seconds) and a random id.
//! - `/upstream?url=URL`: GETs URL and answers `STATUS SHA256` of its body.
//! - `/big?bytes=N`: N bytes of a repeating pattern, streamed.
//! - `/panic`: panics, so the handler traps (the server answers 500).
//! - anything else: 404.

use sha2::{Digest, Sha256};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingRequest, OutgoingResponse,
    ResponseOutparam, Scheme,
};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

struct Handler;

wasip2::http::proxy::export!(Handler);

impl wasip2::exports::http::incoming_handler::Guest for Handler {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let path_with_query = request.path_with_query().unwrap_or_default();
        let (path, query) = path_with_query
            .split_once('?')
            .unwrap_or((&path_with_query, ""));
        match path {
            "/echo" => echo(request, response_out),
            "/hello" => hello(response_out),
            "/upstream" => upstream(query_value(query, "url"), response_out),
            "/big" => big(query_value(query, "bytes"), response_out),
            "/panic" => panic!("the handler was asked to panic"),
            _ => respond(response_out, 404, "text/plain", b"not found\n"),
        }
    }
}

/// The request body, streamed back as it arrives.
fn echo(request: IncomingRequest, response_out: ResponseOutparam) {
    let content_type = request
        .headers()
        .get("content-type")
        .into_iter()
        .next()
        .unwrap_or_else(|| b"application/octet-stream".to_vec());
    let body = request.consume().expect("the request body");
    let input = body.stream().expect("the request body's stream");
    let (body_out, output) = start_response(response_out, 200, &content_type);
    copy(&input, &output);
    drop(output);
    OutgoingBody::finish(body_out, None).expect("finishing the response");
}

fn hello(response_out: ResponseOutparam) {
    let now = wasip2::clocks::wall_clock::now();
    let id: String = wasip2::random::random::get_random_bytes(8)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let json = format!("{{\"time\": {}, \"id\": \"{id}\"}}\n", now.seconds);
    respond(response_out, 200, "application/json", json.as_bytes());
}

/// GETs `url` and answers with its status and the SHA-256 of its body.
fn upstream(url: Option<String>, response_out: ResponseOutparam) {
    let Some(url) = url else {
        return respond(response_out, 400, "text/plain", b"?url= is missing\n");
    };
    let answer = match fetch_digest(&url) {
        Ok((status, digest)) => format!("{status} {digest}\n"),
        Err(error) => return respond(response_out, 502, "text/plain", error.as_bytes()),
    };
    respond(response_out, 200, "text/plain", answer.as_bytes());
}

fn fetch_digest(url: &str) -> Result<(u16, String), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("not a URL: {url}\n"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let request = OutgoingRequest::new(Fields::new());
    request.set_method(&Method::Get).map_err(|()| "method")?;
    let scheme = if scheme == "https" {
        Scheme::Https
    } else {
        Scheme::Http
    };
    request.set_scheme(Some(&scheme)).map_err(|()| "scheme")?;
    request
        .set_authority(Some(authority))
        .map_err(|()| "authority")?;
    request
        .set_path_with_query(Some(path))
        .map_err(|()| "path")?;
    let future = outgoing_handler::handle(request, None).map_err(|error| format!("{error:?}\n"))?;
    future.subscribe().block();
    let response = future
        .get()
        .ok_or("no response")?
        .map_err(|()| "response taken")?
        .map_err(|error| format!("{error:?}\n"))?;
    let status = response.status();
    let body = response.consume().map_err(|()| "body")?;
    let input = body.stream().map_err(|()| "body stream")?;
    let mut digest = Sha256::new();
    loop {
        match input.blocking_read(64 * 1024) {
            Ok(chunk) => digest.update(&chunk),
            Err(StreamError::Closed) => break,
            Err(error) => return Err(format!("{error:?}\n")),
        }
    }
    let digest = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((status, digest))
}

/// `bytes` bytes of `0123456789abcdef` over and over, in 64 KiB writes.
fn big(bytes: Option<String>, response_out: ResponseOutparam) {
    let Some(mut left) = bytes.and_then(|bytes| bytes.parse::<usize>().ok()) else {
        return respond(response_out, 400, "text/plain", b"?bytes=N is missing\n");
    };
    let chunk: Vec<u8> = b"0123456789abcdef".repeat(4096);
    let (body, output) = start_response(response_out, 200, b"application/octet-stream");
    while left > 0 {
        let n = left.min(chunk.len());
        write_all(&output, &chunk[..n]);
        left -= n;
    }
    drop(output);
    OutgoingBody::finish(body, None).expect("finishing the response");
}

fn respond(response_out: ResponseOutparam, status: u16, content_type: &str, body: &[u8]) {
    let (body_out, output) = start_response(response_out, status, content_type.as_bytes());
    write_all(&output, body);
    drop(output);
    OutgoingBody::finish(body_out, None).expect("finishing the response");
}

/// Sets the response (status and content type) and gives its body to write.
fn start_response(
    response_out: ResponseOutparam,
    status: u16,
    content_type: &[u8],
) -> (OutgoingBody, OutputStream) {
    let headers = Fields::from_list(&[("content-type".to_string(), content_type.to_vec())])
        .expect("a content-type header");
    let response = OutgoingResponse::new(headers);
    response.set_status_code(status).expect("a valid status");
    let body = response.body().expect("the response body");
    ResponseOutparam::set(response_out, Ok(response));
    let output = body.write().expect("the response body's stream");
    (body, output)
}

fn copy(input: &InputStream, output: &OutputStream) {
    loop {
        match input.blocking_read(64 * 1024) {
            Ok(chunk) => write_all(output, &chunk),
            Err(StreamError::Closed) => return,
            Err(error) => panic!("reading the request body: {error:?}"),
        }
    }
}

/// Writes all of `bytes`, as much at a time as the stream takes.
fn write_all(output: &OutputStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let budget = loop {
            match output.check_write() {
                Ok(0) => output.subscribe().block(),
                Ok(budget) => break budget,
                Err(error) => panic!("writing the response body: {error:?}"),
            }
        };
        let n = bytes.len().min(budget as usize);
        output
            .write(&bytes[..n])
            .expect("writing the response body");
        bytes = &bytes[n..];
    }
    output.blocking_flush().expect("flushing the response body");
}

/// The value of `name` in a query string, percent-decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    let value = query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })?;
    let mut decoded = Vec::new();
    let mut bytes = value.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'%' => {
                let hex: String = bytes.by_ref().take(2).map(char::from).collect();
                decoded.push(u8::from_str_radix(&hex, 16).ok()?);
            }
            b'+' => decoded.push(b' '),
            _ => decoded.push(byte),
        }
    }
    String::from_utf8(decoded).ok()
}
