//! What a replay says, worded once for every host that replays: the runner and a bundle's
//! own `rr:log` (hosts/bundle/) give the same messages.

use crate::{Event, Outcome};
use std::fmt;

/// A replay that cannot go on: the guest diverged from the trace.
#[derive(Debug)]
pub struct ReplayError {
    /// Where in the trace: [`location`] or [`end_location`].
    pub at: String,
    pub message: String,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replay diverged from the trace at {}: {}",
            self.at, self.message
        )
    }
}

impl std::error::Error for ReplayError {}

/// `event N (TRACE:LINE)`: the event last handed to the guest, and its line in a JSON trace.
pub fn location(trace: &str, event: u64, line: Option<u64>) -> String {
    match line {
        Some(line) => format!("event {event} ({trace}:{line})"),
        None => format!("event {event} ({trace})"),
    }
}

/// `its end (N events, TRACE)`: past the last event.
pub fn end_location(trace: &str, events: u64) -> String {
    format!("its end ({events} events, {trace})")
}

/// The guest ended with `outcome` while the trace holds `first` (wire bytes) and more.
pub fn events_left(outcome: &Outcome, first: &[u8]) -> String {
    let first = Event::decode(first).map_or_else(|e| e.to_string(), |event| event.describe());
    format!("the guest ended ({outcome}), but the trace holds more events, starting with {first}")
}

/// The guest ended otherwise than the recording did.
pub fn ended_otherwise(outcome: &Outcome, recorded: &Outcome) -> String {
    format!("the guest ended with {outcome}, but the recording ended with {recorded}")
}

/// The guest ended, but the trace has no end: `cut` says where it was cut short.
pub fn end_unknown(outcome: &Outcome, cut: &str) -> String {
    format!("the guest ended ({outcome}), but {cut}: how the recorded run ended is unknown")
}

/// The most outputs in a row that a replay walks past where the guest did not make them
/// again (an edited trace): past that, the replay stops, so that a hostile trace of a
/// hundred million outputs costs no more than the guest's own work.
pub const MAX_UNMADE_OUTPUTS: u64 = 1 << 16;

/// Outputs the replay did not make, more than [`MAX_UNMADE_OUTPUTS`], the first described
/// (said where the replay stops: at the last of them, [`MAX_UNMADE_OUTPUTS`] events after
/// the first).
pub fn too_much_output(first: &str) -> String {
    format!(
        "more than {MAX_UNMADE_OUTPUTS} outputs in a row that the replay did not make, the first of them {MAX_UNMADE_OUTPUTS} events before this one: {first}"
    )
}

/// The guest ended with more than [`MAX_UNMADE_OUTPUTS`] outputs left in the trace.
pub fn too_much_output_left(outcome: &Outcome) -> String {
    format!(
        "the guest ended ({outcome}), but the trace holds more than {MAX_UNMADE_OUTPUTS} outputs after it that the replay did not make, the first of them {MAX_UNMADE_OUTPUTS} events before this one"
    )
}

/// Output events left in the trace when the guest ended.
pub const MORE_OUTPUT: &str = "the recording wrote more output than the replay";

/// The note at the end of a replay whose output differed, first at `difference`.
pub fn output_differed(difference: &str) -> String {
    format!(
        "wasm-rr: note: the replay's output differs from the recording's, first at {difference}"
    )
}
