//! The `rr:log` inside a bundle (`wasm-rr bundle`): replays the trace bundled with the app
//! (read through `rr:log/bundled-trace`, in the form of `wasm_rr_trace::bundle`), and
//! checks how the run ends, as `wasm-rr replay` does and in its words
//! (`wasm_rr_trace::replay`), so that a bundle reproduces a run, divergences included,
//! under any host: its only imports are stderr and exit.
//!
//! The run ends in one of two places: the guest calls `wasi:cli/exit` (the interposer's
//! goes to the export here), or the app's `run` returns (the bundle's run front calls
//! `bundled-end.returned`). Either way the rest of the trace must hold only output, and its
//! end must be the same; otherwise the bundle says so on stderr and exits with 125.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "rr:log/bundled-log",
        generate_all,
    });
}

use bindings::exports::rr::log::bundled_end;
use bindings::exports::rr::log::log::{self as e_log, Mode, Redaction};
use bindings::exports::wasi::cli::exit as e_exit;
use bindings::rr::log::bundled_trace;
use bindings::wasi::cli::{exit as i_exit, stderr};
use std::cell::RefCell;
use wasm_rr_trace::bundle::{BundleHead, BundleReader, BundleSource, BundledEnd};
use wasm_rr_trace::length::push_with_length;
use wasm_rr_trace::replay::{self, ReplayError};
use wasm_rr_trace::{Event, Outcome};

/// The exit status of a replay that fails, as `wasm-rr replay`'s.
const EXIT_ERROR: u8 = 125;

struct BundledLog;

bindings::export!(BundledLog with_types_in bindings);

/// The trace, as the data component holds it.
struct Bundled;

impl BundleSource for Bundled {
    fn size(&self) -> u64 {
        bundled_trace::size()
    }

    fn read(&self, offset: u64, len: u32) -> Vec<u8> {
        bundled_trace::read(offset, len)
    }
}

/// Where the replay is in the trace.
struct Replay {
    reader: BundleReader<Bundled>,
    head: BundleHead,
    /// Events handed to the guest.
    events_read: u64,
    /// Every event has been handed out: the trace's end is next.
    exhausted: bool,
    /// The first place where the guest's output differs from the recording's.
    output_difference: Option<String>,
    /// The last event handed out (batches hold one here), and one given back, to hand out
    /// again.
    last: Option<Vec<u8>>,
    given_back: Option<Vec<u8>>,
}

thread_local! {
    static REPLAY: RefCell<Option<Replay>> = const { RefCell::new(None) };
}

/// Runs `f` on the replay, opened on first use.
fn with_replay<T>(f: impl FnOnce(&mut Replay) -> T) -> T {
    REPLAY.with(|replay| {
        let mut replay = replay.borrow_mut();
        let replay = replay.get_or_insert_with(|| match BundleReader::open(Bundled) {
            Ok((reader, head)) => Replay {
                reader,
                head,
                events_read: 0,
                exhausted: false,
                output_difference: None,
                last: None,
                given_back: None,
            },
            Err(error) => fail(&error),
        });
        f(replay)
    })
}

impl Replay {
    /// `event N (TRACE:LINE)`: in a JSON trace, event N is on line N + 1.
    fn location(&self, event: u64) -> String {
        let line = (self.head.json_lines && event > 0).then_some(event + 1);
        replay::location(&self.head.trace, event, line)
    }

    fn end_location(&self) -> String {
        replay::end_location(&self.head.trace, self.events_read)
    }

    fn next_event(&mut self) -> Option<Vec<u8>> {
        if let Some(event) = self.given_back.take() {
            self.events_read += 1;
            return Some(event);
        }
        if self.exhausted {
            return None;
        }
        match self.reader.next_event() {
            Ok(Some(event)) => {
                self.events_read += 1;
                Some(event)
            }
            Ok(None) => {
                self.exhausted = true;
                None
            }
            Err(error) => fail(&format!("{}: {error}", self.head.trace)),
        }
    }

    /// The guest diverged: says where, and ends the run.
    fn diverged(&mut self, message: String) -> ! {
        if self.exhausted {
            match &self.head.end {
                // The recording stopped in the middle of this call: so does the replay.
                BundledEnd::Complete(outcome @ (Outcome::Trap(_) | Outcome::Interrupted(_))) => {
                    end_as(outcome)
                }
                BundledEnd::CutShort(cut) => fail_at(ReplayError {
                    at: self.end_location(),
                    message: format!("{cut}; {message}"),
                }),
                BundledEnd::Complete(Outcome::Exit(_)) => {}
            }
        }
        let at = match self.exhausted {
            true => self.end_location(),
            false => self.location(self.events_read),
        };
        fail_at(ReplayError { at, message })
    }

    /// The guest ended with `outcome`: checks it against the trace, which must hold nothing
    /// more but output, and notes where the output first differed.
    fn finish(&mut self, outcome: &Outcome) {
        let mut outputs_left = 0;
        while let Some(event) = self.next_event() {
            if Event::optional_output_of(&event).is_some() {
                if self.output_difference.is_none() {
                    let at = self.location(self.events_read);
                    self.output_difference = Some(format!("{at}: {}", replay::MORE_OUTPUT));
                }
                outputs_left += 1;
                if outputs_left > replay::MAX_UNMADE_OUTPUTS {
                    fail_at(ReplayError {
                        at: self.location(self.events_read),
                        message: replay::too_much_output_left(outcome),
                    });
                }
                continue;
            }
            fail_at(ReplayError {
                at: self.location(self.events_read),
                message: replay::events_left(outcome, &event),
            });
        }
        match &self.head.end {
            BundledEnd::Complete(recorded) if recorded == outcome => {}
            BundledEnd::Complete(recorded) => fail_at(ReplayError {
                at: self.end_location(),
                message: replay::ended_otherwise(outcome, recorded),
            }),
            BundledEnd::CutShort(cut) => fail(&replay::end_unknown(outcome, cut)),
        }
        if let Some(difference) = &self.output_difference {
            say(&replay::output_differed(difference));
        }
    }
}

/// Writes `line` and a newline to stderr.
fn say(line: &str) {
    let stream = stderr::get_stderr();
    let text = format!("{line}\n");
    for chunk in text.as_bytes().chunks(4096) {
        if stream.blocking_write_and_flush(chunk).is_err() {
            break;
        }
    }
}

/// Ends the run with `status`.
fn exit(status: u8) -> ! {
    match status {
        0 => i_exit::exit(Ok(())),
        1 => i_exit::exit(Err(())),
        status => i_exit::exit_with_code(status),
    }
    // `exit` does not return.
    std::process::abort()
}

/// The replay failed: says why, as `wasm-rr` does, and exits with 125.
fn fail(message: &str) -> ! {
    say(&format!("wasm-rr: error: {message}"));
    exit(EXIT_ERROR)
}

fn fail_at(error: ReplayError) -> ! {
    fail(&error.to_string())
}

/// Ends the replay as the recording ended, in the middle of a call, with what
/// `wasm-rr replay` says then.
fn end_as(outcome: &Outcome) -> ! {
    match outcome {
        Outcome::Trap(message) => say(&format!("wasm-rr: the guest trapped: {message}")),
        Outcome::Interrupted(signal) => say(&format!(
            "wasm-rr: the recording was interrupted by {signal} here; so is the replay"
        )),
        Outcome::Exit(_) => {}
    }
    exit(outcome.exit_status())
}

/// The guest ended with `outcome`: checked, then the host is told.
fn ended(outcome: Outcome) -> ! {
    with_replay(|replay| replay.finish(&outcome));
    exit(outcome.exit_status())
}

impl e_log::Guest for BundledLog {
    fn get_mode() -> Mode {
        Mode::Replay
    }

    fn append(_: Vec<u8>) {
        fail("the interposer recorded an event in a bundle, which only replays")
    }

    fn http_redaction() -> Redaction {
        // Nothing is recorded; replay reads the recording's.
        Redaction {
            headers: Vec::new(),
            key: Vec::new(),
        }
    }

    /// A batch of one event: a bundle is not where replay speed matters.
    fn next_batch() -> Vec<u8> {
        with_replay(|replay| {
            let Some(event) = replay.next_event() else {
                return Vec::new();
            };
            let mut batch = Vec::with_capacity(event.len() + 5);
            push_with_length(&mut batch, &event);
            replay.last = Some(event);
            batch
        })
    }

    fn give_back(events: u32) {
        with_replay(|replay| match (events, replay.last.take()) {
            (0, last) => replay.last = last,
            (1, Some(event)) => {
                replay.events_read -= 1;
                replay.given_back = Some(event);
            }
            _ => fail("the interposer gave back events it was not handed"),
        })
    }

    fn diverged(message: String) {
        with_replay(|replay| replay.diverged(message))
    }

    fn output_differs(message: String) {
        with_replay(|replay| {
            if replay.output_difference.is_none() {
                let at = replay.location(replay.events_read);
                replay.output_difference = Some(format!("{at}: {message}"));
            }
        })
    }
}

impl bundled_end::Guest for BundledLog {
    fn returned(status: Result<(), ()>) {
        let outcome = Outcome::Exit(if status.is_ok() { 0 } else { 1 });
        with_replay(|replay| replay.finish(&outcome));
    }
}

impl e_exit::Guest for BundledLog {
    fn exit(status: Result<(), ()>) {
        ended(Outcome::Exit(if status.is_ok() { 0 } else { 1 }))
    }

    fn exit_with_code(status_code: u8) {
        ended(Outcome::Exit(status_code.into()))
    }
}
