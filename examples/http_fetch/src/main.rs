//! Fetches URLs with `wasi:http` and prints, for each, the status, the response headers and
//! the length and digest of the body, read as a stream:
//!
//! `http_fetch [--post BODY] [--header NAME:VALUE]... [--timeout MS] [--follow] [--parallel]
//! [--forward URL] URL...`
//!
//! `--post` sends BODY with POST (GET otherwise); `--timeout` bounds the wait for the first
//! byte of each response; `--follow` follows redirects (up to 5); `--forward` sends, after
//! each response, a GET to another URL with a copy of the response's headers (as a proxy
//! hands them on);
//! `--parallel` sends every request before reading any response, and waits for them
//! together with `wasi:io/poll.poll`. Exits with 1 when a request fails.

use wasip2::http::outgoing_handler::handle;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::poll::poll;
use wasip2::io::streams::StreamError;

const MAX_REDIRECTS: usize = 5;

#[derive(Default)]
struct Options {
    post: Option<String>,
    headers: Vec<(String, String)>,
    /// First-byte timeout, in milliseconds.
    timeout: Option<u64>,
    follow: bool,
    parallel: bool,
    /// Where to send a copy of each response's headers.
    forward: Option<String>,
    urls: Vec<String>,
}

fn main() {
    let options = parse_args().unwrap_or_else(|message| {
        eprintln!("http_fetch: {message}");
        eprintln!(
            "usage: http_fetch [--post BODY] [--header NAME:VALUE]... [--timeout MS] [--follow] \
             [--parallel] [--forward URL] URL..."
        );
        std::process::exit(2);
    });
    let mut failed = false;
    if options.parallel {
        let pending: Vec<_> = options
            .urls
            .iter()
            .map(|url| (url, send(&options, url, Fields::new())))
            .collect();
        let mut waiting: Vec<_> = pending
            .iter()
            .filter_map(|(url, sent)| sent.as_ref().ok().map(|future| (*url, future)))
            .collect();
        for (url, sent) in &pending {
            if let Err(error) = sent {
                failed |= report_error(url, error);
            }
        }
        // Each round, print the responses that are ready, in the order they came.
        while !waiting.is_empty() {
            let pollables: Vec<_> = waiting.iter().map(|(_, f)| f.subscribe()).collect();
            let ready = poll(&pollables.iter().collect::<Vec<_>>());
            drop(pollables);
            let mut ready: Vec<usize> = ready.into_iter().map(|i| i as usize).collect();
            ready.sort_unstable_by(|a, b| b.cmp(a));
            for index in ready {
                let (url, future) = waiting.remove(index);
                match future.get() {
                    Some(Ok(Ok(response))) => print_response(url, response),
                    Some(Ok(Err(error))) => failed |= report_error(url, &error),
                    Some(Err(())) | None => unreachable!("a ready future has a response"),
                }
            }
        }
    } else {
        for url in &options.urls {
            failed |= !fetch(&options, url);
        }
    }
    if failed {
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--post" => options.post = Some(args.next().ok_or("--post needs a body")?),
            "--header" => {
                let header = args.next().ok_or("--header needs NAME:VALUE")?;
                let (name, value) = header.split_once(':').ok_or("--header needs NAME:VALUE")?;
                options
                    .headers
                    .push((name.trim().to_string(), value.trim().to_string()));
            }
            "--timeout" => {
                let ms = args.next().and_then(|ms| ms.parse().ok());
                options.timeout = Some(ms.ok_or("--timeout needs milliseconds")?);
            }
            "--follow" => options.follow = true,
            "--parallel" => options.parallel = true,
            "--forward" => options.forward = Some(args.next().ok_or("--forward needs a URL")?),
            _ => options.urls.push(arg),
        }
    }
    if options.urls.is_empty() {
        return Err("no URL".into());
    }
    Ok(options)
}

/// Fetches `url`, following redirects if asked; false when it failed.
fn fetch(options: &Options, url: &str) -> bool {
    let mut url = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let response = send(options, &url, Fields::new()).and_then(|future| wait(&future));
        let response = match response {
            Ok(response) => response,
            Err(error) => return !report_error(&url, &error),
        };
        let location = redirect_location(&response);
        match location {
            Some(location) if options.follow => {
                println!("{url}: {} redirect to {location}", response.status());
                url = resolve(&url, &location);
            }
            _ => {
                let copy = options.forward.as_ref().map(|_| response.headers().clone());
                print_response(&url, response);
                return match (&options.forward, copy) {
                    (Some(forward), Some(copy)) => forward_headers(forward, copy),
                    _ => true,
                };
            }
        }
    }
    eprintln!("http_fetch: {url}: more than {MAX_REDIRECTS} redirects");
    false
}

fn redirect_location(response: &IncomingResponse) -> Option<String> {
    if !(300..400).contains(&response.status()) {
        return None;
    }
    let location = response.headers().get("location").into_iter().next()?;
    String::from_utf8(location).ok()
}

/// Sends a GET to `url` with `headers` (a response's, copied, less its `content-length`,
/// which was its body's); false when it failed.
fn forward_headers(url: &str, headers: Fields) -> bool {
    if let Err(error) = headers.delete("content-length") {
        println!("{url}: the copied headers refused a change: {error:?}");
        return false;
    }
    match send(&Options::default(), url, headers).and_then(|future| wait(&future)) {
        Ok(response) => {
            print_response(url, response);
            true
        }
        Err(error) => !report_error(url, &error),
    }
}

/// Sends the request for `url` with `headers` and the options' headers, with the body if
/// any.
fn send(
    options: &Options,
    url: &str,
    headers: Fields,
) -> Result<FutureIncomingResponse, ErrorCode> {
    let (scheme, authority, path) = split_url(url)
        .ok_or_else(|| ErrorCode::InternalError(Some(format!("not a URL: {url}"))))?;
    for (name, value) in &options.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| ErrorCode::InternalError(Some(format!("header {name}: {e:?}"))))?;
    }
    if let Some(post) = &options.post {
        let length = post.len().to_string();
        headers
            .append("content-length", length.as_bytes())
            .map_err(|e| ErrorCode::InternalError(Some(format!("content-length: {e:?}"))))?;
    }
    let request = OutgoingRequest::new(headers);
    let method = if options.post.is_some() {
        Method::Post
    } else {
        Method::Get
    };
    let invalid = |what: &str| ErrorCode::InternalError(Some(format!("invalid {what}")));
    request
        .set_method(&method)
        .map_err(|()| invalid("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("scheme"))?;
    request
        .set_authority(Some(&authority))
        .map_err(|()| invalid("authority"))?;
    request
        .set_path_with_query(Some(&path))
        .map_err(|()| invalid("path"))?;
    let body = request.body().map_err(|()| invalid("body"))?;
    let request_options = match options.timeout {
        Some(ms) => {
            let request_options = RequestOptions::new();
            request_options
                .set_first_byte_timeout(Some(ms * 1_000_000))
                .map_err(|()| invalid("timeout"))?;
            Some(request_options)
        }
        None => None,
    };
    let future = handle(request, request_options)?;
    if let Some(post) = &options.post {
        let stream = body.write().map_err(|()| invalid("body stream"))?;
        for chunk in post.as_bytes().chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| ErrorCode::InternalError(Some(format!("sending the body: {e:?}"))))?;
        }
        drop(stream);
    }
    OutgoingBody::finish(body, None)?;
    Ok(future)
}

fn wait(future: &FutureIncomingResponse) -> Result<IncomingResponse, ErrorCode> {
    loop {
        match future.get() {
            Some(Ok(response)) => return response,
            Some(Err(())) => unreachable!("the response is taken once"),
            None => future.subscribe().block(),
        }
    }
}

/// Prints the status, the headers and the body's length and digest, reading the body as
/// a stream.
fn print_response(url: &str, response: IncomingResponse) {
    println!("{url}: status {}", response.status());
    for (name, value) in response.headers().entries() {
        println!("  {name}: {}", String::from_utf8_lossy(&value));
    }
    let body = response.consume().expect("the body is consumed once");
    let (length, digest) = {
        let stream = body.stream().expect("the body streams once");
        let mut length = 0u64;
        let mut digest = 0xcbf2_9ce4_8422_2325u64;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    length += chunk.len() as u64;
                    for byte in chunk {
                        digest = (digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
                    }
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(error)) => {
                    println!("  body failed: {}", error.to_debug_string());
                    break;
                }
            }
        }
        (length, digest)
    };
    println!("  body: {length} bytes, digest {digest:016x}");
    let trailers = wasip2::http::types::IncomingBody::finish(body);
    trailers.subscribe().block();
    if let Some(Ok(Ok(Some(trailers)))) = trailers.get() {
        for (name, value) in trailers.entries() {
            println!("  trailer {name}: {}", String::from_utf8_lossy(&value));
        }
    }
}

/// Prints why `url` failed; true, for `failed |= ...`.
fn report_error(url: &str, error: &ErrorCode) -> bool {
    println!("{url}: error {error:?}");
    true
}

/// `http://host:port/path?query` into its scheme, authority and path with query.
fn split_url(url: &str) -> Option<(Scheme, String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = match scheme {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_string()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Some((scheme, authority.to_string(), path.to_string()))
}

/// A redirect's `location`, absolute or relative to `base`'s origin.
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let origin_end = base
        .find("://")
        .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
        .unwrap_or(base.len());
    format!("{}{location}", &base[..origin_end])
}
