//! `wasm-rr inspect`: what a trace holds, for a person (or, with `--json`, a program).

use crate::cli::InspectArgs;
use crate::progress::Progress;
use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::ExitCode;
use wasm_rr_trace::any::{json, text, Calls};
use wasm_rr_trace::file::{Format, TraceReader};
use wasm_rr_trace::{stream, Event, Outcome, StreamResult};

pub fn inspect(args: &InspectArgs) -> Result<ExitCode> {
    let (mut reader, header) = TraceReader::open(&args.trace)?;
    let range = match &args.range {
        Some(range) => Some(parse_range(range)?),
        None => None,
    };
    let mut summary = Summary::default();
    let mut out = std::io::stdout().lock();
    let mut progress = Progress::for_file(&args.trace, "inspecting");
    let mut number = 0u64;
    let failure = loop {
        let bytes = match reader.next_event_bytes() {
            Ok(Some(bytes)) => bytes,
            Ok(None) => break None,
            Err(error) => break Some(error),
        };
        number += 1;
        progress.tick(number, || reader.bytes_read());
        // The reader hands out only events that decode.
        let Ok(event) = Event::decode(&bytes) else {
            break Some(reader.error("an event that does not decode"));
        };
        let shown = Shown::of(&event, reader.calls());
        summary.add(&event, &shown.interface, &shown.function, bytes.len());
        if !args.events {
            continue;
        }
        let in_range = range.is_none_or(|(from, to)| (from..=to).contains(&number));
        let in_interface = args.interface.is_empty()
            || args
                .interface
                .iter()
                .any(|prefix| shown.interface.starts_with(prefix.as_str()));
        if !(in_range && in_interface) {
            continue;
        }
        let line = if args.json {
            json!({"event": number, "interface": shown.interface, "function": shown.function, shown.name: shown.json})
                .to_string()
        } else {
            format!("{number:>8}  {}", shown.line())
        };
        if writeln!(out, "{line}").is_err() {
            // A closed pipe (`| head`): nothing more is wanted.
            return Ok(ExitCode::SUCCESS);
        }
    };
    progress.finish();
    let ending = match (reader.outcome(), reader.cut_short(), &failure) {
        (Some(outcome), _, _) => ending_text(outcome),
        (None, true, _) => format!("cut short after event {number}: no end"),
        (None, _, _) => format!("unreadable after event {number}"),
    };
    if !args.events {
        let format = match reader.format() {
            Format::Json => "JSON",
            Format::Binary => "binary",
            Format::Zstd => "binary, zstd",
        };
        if args.json {
            let mut value = summary.json();
            value["trace"] = json!(args.trace.display().to_string());
            value["format"] = json!(format);
            value["header"] = serde_json::to_value(&header)?;
            value["ending"] = json!(ending);
            writeln!(out, "{value}")?;
        } else {
            let trace = format!(
                "{} ({format}, format {})",
                args.trace.display(),
                header.wasm_rr_trace
            );
            write!(out, "{}", summary.text(&trace, &header, &ending))?;
        }
    }
    if let Some(error) = failure {
        bail!(error);
    }
    Ok(ExitCode::SUCCESS)
}

/// `START..END` (inclusive), `START..` or `N`.
fn parse_range(range: &str) -> Result<(u64, u64)> {
    let number = |text: &str, default: u64| -> Result<u64> {
        if text.is_empty() {
            return Ok(default);
        }
        text.parse()
            .map_err(|_| anyhow::anyhow!("--range {range}: `{text}` is not an event number"))
    };
    Ok(match range.split_once("..") {
        Some((from, to)) => (
            number(from, 1)?,
            number(to.trim_start_matches('='), u64::MAX)?,
        ),
        None => {
            let n = number(range, 1)?;
            (n, n)
        }
    })
}

/// An event as `inspect` and `diff` show it; a generic call by its trace's schema.
pub struct Shown {
    pub interface: String,
    pub function: String,
    /// The event's name in a JSON trace (`call` for a generic call).
    pub name: &'static str,
    /// `interface.function(args)`.
    pub call: String,
    /// The call's fields as the JSON trace writes them.
    pub json: Value,
}

impl Shown {
    pub fn of(event: &Event, calls: &Calls) -> Shown {
        if let Event::GenericCall(call) = event {
            if let Ok(decoded) = calls.decode(call) {
                let line =
                    json::call_to_json(decoded.function, &decoded.args, decoded.result.as_ref());
                let name = &decoded.function.name;
                let (interface, function) = name.rsplit_once('#').unwrap_or(("", name));
                return Shown {
                    interface: interface.into(),
                    function: function.into(),
                    name: "call",
                    call: format!(
                        "{name}({})",
                        text::show_all(&decoded.function.params, &decoded.args)
                    ),
                    json: serde_json::to_value(line).unwrap_or_default(),
                };
            }
        }
        let (_, name, interface, function) = row(event);
        Shown {
            interface: interface.into(),
            function: function.into(),
            name,
            call: event.describe(),
            json: call_json(event),
        }
    }

    /// `call -> result`, the result cut short when long.
    pub fn line(&self) -> String {
        let result = self.json.get("result").cloned().unwrap_or_default();
        let text = result.to_string();
        let text = if text.chars().count() > 120 {
            let cut: String = text.chars().take(120).collect();
            format!("{cut}…")
        } else {
            text
        };
        format!("{} -> {text}", self.call)
    }
}

/// The event's row of the event table: id, name, interface, function.
pub fn row(event: &Event) -> (u32, &'static str, &'static str, &'static str) {
    let id = event.id();
    Event::TABLE
        .iter()
        .copied()
        .find(|row| row.0 == id)
        .unwrap_or((id, "?", "?", "?"))
}

/// The call's fields, as the JSON trace writes them.
pub fn call_json(event: &Event) -> Value {
    match serde_json::to_value(event) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .next()
            .map(|(_, call)| call)
            .unwrap_or_default(),
        _ => Value::Null,
    }
}

fn ending_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Exit(code) => format!("exit {code}"),
        Outcome::Trap(message) => format!("trap: {message}"),
        Outcome::Interrupted(signal) => format!("interrupted by {signal}"),
    }
}

#[derive(Default)]
struct Count {
    events: u64,
    bytes: u64,
}

/// What `inspect` tells of a trace, gathered event by event.
#[derive(Default)]
struct Summary {
    events: u64,
    bytes: u64,
    by_call: BTreeMap<(String, String), Count>,
    /// The first and last wall-clock readings, in nanoseconds since the epoch.
    first_time: Option<i128>,
    last_time: Option<i128>,
    stdin: u64,
    stdout: u64,
    stderr: u64,
    files: BTreeSet<String>,
    hosts: BTreeSet<String>,
    /// Guest paths of the preopened directories and opened files, by descriptor.
    descriptors: BTreeMap<u32, String>,
    next_descriptor: u32,
}

impl Summary {
    fn add(&mut self, event: &Event, interface: &str, function: &str, bytes: usize) {
        self.events += 1;
        self.bytes += bytes as u64;
        let count = self
            .by_call
            .entry((interface.to_string(), function.to_string()))
            .or_default();
        count.events += 1;
        count.bytes += bytes as u64;
        match event {
            Event::WallClockNow(call) => {
                let time = i128::from(call.result.seconds) * 1_000_000_000
                    + i128::from(call.result.nanoseconds);
                self.first_time.get_or_insert(time);
                self.last_time = Some(time);
            }
            Event::InputStreamRead(call) if call.stream == stream::STDIN => {
                self.stdin += read_len(&call.result);
            }
            Event::InputStreamBlockingRead(call) if call.stream == stream::STDIN => {
                self.stdin += read_len(&call.result);
            }
            Event::OutputStreamWrite(call) if call.stream == stream::STDOUT => {
                self.stdout += call.len
            }
            Event::OutputStreamWrite(call) if call.stream == stream::STDERR => {
                self.stderr += call.len
            }
            Event::GetDirectories(call) => {
                for (descriptor, path) in call.result.iter().enumerate() {
                    self.descriptors.insert(descriptor as u32, path.clone());
                }
                self.next_descriptor = call.result.len() as u32;
            }
            Event::OpenAt(call) => {
                let path = self.path(call.descriptor, &call.path);
                if call.result.is_ok() {
                    self.descriptors.insert(self.next_descriptor, path.clone());
                    self.next_descriptor += 1;
                }
                self.files.insert(path);
            }
            Event::StatAt(call) => {
                let path = self.path(call.descriptor, &call.path);
                self.files.insert(path);
            }
            Event::CreateDirectoryAt(call) => self.touch(call.descriptor, &call.path),
            Event::RemoveDirectoryAt(call) => self.touch(call.descriptor, &call.path),
            Event::UnlinkFileAt(call) => self.touch(call.descriptor, &call.path),
            Event::ReadlinkAt(call) => self.touch(call.descriptor, &call.path),
            Event::RenameAt(call) => {
                self.touch(call.descriptor, &call.old_path);
                self.touch(call.new_descriptor, &call.new_path);
            }
            Event::ResolveAddresses(call) => {
                self.hosts.insert(format!("{} (name lookup)", call.name));
            }
            Event::TcpStartConnect(call) => {
                self.hosts
                    .insert(format!("{:?} (TCP)", call.remote_address));
            }
            Event::TcpStartBind(call) => {
                self.hosts
                    .insert(format!("{:?} (TCP, bound)", call.local_address));
            }
            Event::UdpStream(call) => {
                if let Some(remote) = call.remote_address {
                    self.hosts.insert(format!("{remote:?} (UDP)"));
                }
            }
            Event::OutgoingHandlerHandle(call) => {
                let request = format!("{:?}", call.request);
                // The method and URL: headers (with their redacted values) are left out.
                let line = request.split(" {").next().unwrap_or_default();
                self.hosts.insert(format!("{line} (HTTP)"));
            }
            _ => {}
        }
    }

    fn path(&self, descriptor: u32, path: &str) -> String {
        match self.descriptors.get(&descriptor) {
            Some(base) => format!("{}/{path}", base.trim_end_matches('/')),
            None => format!("(descriptor {descriptor})/{path}"),
        }
    }

    fn touch(&mut self, descriptor: u32, path: &str) {
        let path = self.path(descriptor, path);
        self.files.insert(path);
    }

    fn span(&self) -> Option<String> {
        let (first, last) = (self.first_time?, self.last_time?);
        let seconds = (last - first) as f64 / 1e9;
        Some(format!("{} .. {} ({seconds:.3} s)", utc(first), utc(last)))
    }

    fn text(&self, trace: &str, header: &wasm_rr_trace::Header, ending: &str) -> String {
        let mut text = String::new();
        let mut line = |label: &str, value: String| text.push_str(&format!("{label:<10}{value}\n"));
        line("trace:", trace.to_string());
        line("app:", format!("SHA-256 {}", header.app_sha256));
        line("recorder:", format!("wasm-rr {}", header.wasm_rr_version));
        if let Some(request) = &header.request {
            line("request:", request.clone());
        }
        line("events:", format!("{} ({} bytes)", self.events, self.bytes));
        if let Some(span) = self.span() {
            line("recorded:", span);
        }
        line(
            "stdio:",
            format!(
                "{} bytes read from stdin, {} written to stdout, {} to stderr",
                self.stdin, self.stdout, self.stderr
            ),
        );
        line("ending:", ending.to_string());
        if !self.files.is_empty() {
            text.push_str("\nfiles:\n");
            for file in &self.files {
                text.push_str(&format!("  {file}\n"));
            }
        }
        if !self.hosts.is_empty() {
            text.push_str("\nhosts:\n");
            for host in &self.hosts {
                text.push_str(&format!("  {host}\n"));
            }
        }
        if !self.by_call.is_empty() {
            text.push_str("\nevents by interface and function:\n");
            let width = self
                .by_call
                .keys()
                .map(|(interface, function)| interface.len() + function.len() + 1)
                .max()
                .unwrap_or(0);
            for ((interface, function), count) in &self.by_call {
                let call = format!("{interface}.{function}");
                text.push_str(&format!(
                    "  {call:<width$}  {:>9} events  {:>11} bytes\n",
                    count.events, count.bytes
                ));
            }
        }
        text
    }

    fn json(&self) -> Value {
        let by_call: Vec<Value> = self
            .by_call
            .iter()
            .map(|((interface, function), count)| {
                json!({"interface": interface, "function": function, "events": count.events, "bytes": count.bytes})
            })
            .collect();
        json!({
            "events": self.events,
            "bytes": self.bytes,
            "recorded": self.span(),
            "stdin_bytes": self.stdin,
            "stdout_bytes": self.stdout,
            "stderr_bytes": self.stderr,
            "files": self.files,
            "hosts": self.hosts,
            "by_call": by_call,
        })
    }
}

fn read_len(result: &StreamResult<wasm_rr_trace::Bytes>) -> u64 {
    match result {
        StreamResult::Ok(bytes) => bytes.0.len() as u64,
        _ => 0,
    }
}

/// Nanoseconds since the epoch as `YYYY-MM-DD HH:MM:SS.mmm UTC`.
fn utc(nanos: i128) -> String {
    let t = Utc::at(nanos);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

/// A time since the Unix epoch as a UTC calendar date and time of day.
pub(crate) struct Utc {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub millis: i64,
}

impl Utc {
    pub fn at(nanos: i128) -> Utc {
        let seconds = nanos.div_euclid(1_000_000_000) as i64;
        let millis = (nanos.rem_euclid(1_000_000_000) / 1_000_000) as i64;
        let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Utc {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: time / 3600,
            minute: time % 3600 / 60,
            second: time % 60,
            millis,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(
            super::utc(1_795_268_220_123_000_000),
            "2026-11-21 13:37:00.123 UTC"
        );
    }
}
